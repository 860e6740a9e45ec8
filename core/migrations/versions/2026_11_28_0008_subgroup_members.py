"""subgroup members

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('subgroup_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('subgroup', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_subgroup_members_class_id_classes')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_subgroup_members_school_id_schools')),
    sa.ForeignKeyConstraint(['student_id'], ['persons.id'], name=op.f('fk_subgroup_members_student_id_persons')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_subgroup_members_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subgroup_members')),
    sa.UniqueConstraint('class_id', 'subject_id', 'student_id',
                        name=op.f('uq_subgroup_members_class_id_subject_id_student_id'))
    )


def downgrade() -> None:
    op.drop_table('subgroup_members')
