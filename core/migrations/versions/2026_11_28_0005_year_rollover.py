"""year rollover: runs and items (exact undo of the last opening or closing), the year archive

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 13:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rollover_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('from_year_id', sa.Integer(), nullable=True),
    sa.Column('to_year_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('login', sa.String(length=80), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['from_year_id'], ['academic_years.id'],
                            name=op.f('fk_rollover_runs_from_year_id_academic_years')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_rollover_runs_school_id_schools')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rollover_runs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollover_runs'))
    )
    with op.batch_alter_table('rollover_runs', schema=None) as batch_op:
        batch_op.create_index('ix_rollover_runs_school', ['school_id', 'id'], unique=False)

    op.create_table('rollover_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('before', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['rollover_runs.id'], name=op.f('fk_rollover_items_run_id_rollover_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollover_items'))
    )
    with op.batch_alter_table('rollover_items', schema=None) as batch_op:
        batch_op.create_index('ix_rollover_items_run', ['run_id', 'seq'], unique=False)

    op.create_table('year_archive_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('year_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_year_archive_files_school_id_schools')),
    sa.ForeignKeyConstraint(['year_id'], ['academic_years.id'],
                            name=op.f('fk_year_archive_files_year_id_academic_years')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_year_archive_files')),
    sa.UniqueConstraint('year_id', 'name', name=op.f('uq_year_archive_files_year_id_name'))
    )
    with op.batch_alter_table('year_archive_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_year_archive_files_school_id'), ['school_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('year_archive_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_year_archive_files_school_id'))
    op.drop_table('year_archive_files')
    with op.batch_alter_table('rollover_items', schema=None) as batch_op:
        batch_op.drop_index('ix_rollover_items_run')
    op.drop_table('rollover_items')
    with op.batch_alter_table('rollover_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_rollover_runs_school')
    op.drop_table('rollover_runs')
