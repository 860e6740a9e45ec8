"""one live mark per cell, term mark history, activity purges

- `uq_marks_live`: at most one live (not removed) mark per lesson, student and kind of work. Duplicates left
  by earlier concurrent saves are not a reason to refuse the upgrade: the newest of each group (latest
  `entered_at`, then highest id) stays, the others are soft-deleted now with a `mark_history` entry
  "value -> removed" whose author is empty (the upgrade, not a person). Only their number is logged.
- `term_mark_history`: every confirmation, change and withdrawal of a term or year mark. Marks confirmed
  before this revision get one entry "none -> current value" at their confirmation, by who confirmed them.
- `activity_purges`: purges of old activity events, so the roll-up is never rebuilt from what is left.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 20:31:38.009529
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text('deleted_at IS NULL')


def _remove_duplicate_live_marks() -> int:
    """Soft-delete every live mark that has a newer live twin (same lesson, student, kind of work)."""
    marks = sa.table('marks', sa.column('id', sa.Integer), sa.column('lesson_id', sa.Integer),
                     sa.column('student_id', sa.Integer), sa.column('work_type_id', sa.Integer),
                     sa.column('value', sa.String), sa.column('entered_at', sa.DateTime),
                     sa.column('deleted_at', sa.DateTime), sa.column('version', sa.Integer))
    history = sa.table('mark_history', sa.column('mark_id', sa.Integer), sa.column('changed_by', sa.Integer),
                       sa.column('changed_at', sa.DateTime), sa.column('old_value', sa.String),
                       sa.column('new_value', sa.String))
    newer = marks.alias('newer')
    has_newer_twin = sa.exists().where(
        newer.c.lesson_id == marks.c.lesson_id, newer.c.student_id == marks.c.student_id,
        newer.c.work_type_id == marks.c.work_type_id, newer.c.deleted_at.is_(None),
        sa.or_(newer.c.entered_at > marks.c.entered_at,
               sa.and_(newer.c.entered_at == marks.c.entered_at, newer.c.id > marks.c.id)))
    bind = op.get_bind()
    losers = bind.execute(sa.select(marks.c.id, marks.c.value)
                          .where(marks.c.deleted_at.is_(None), has_newer_twin)).all()
    if not losers:
        return 0
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC, as UTCDateTime does
    ids = [mark_id for mark_id, _value in losers]
    for start in range(0, len(ids), 500):
        bind.execute(marks.update().where(marks.c.id.in_(ids[start:start + 500]))
                     .values(deleted_at=now, version=marks.c.version + 1))
    bind.execute(history.insert(), [{'mark_id': mark_id, 'changed_by': None, 'changed_at': now,
                                     'old_value': value, 'new_value': None} for mark_id, value in losers])
    return len(losers)


def upgrade() -> None:
    op.create_table('activity_purges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('purged_before', sa.Date(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_activity_purges_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_purges'))
    )
    with op.batch_alter_table('activity_purges', schema=None) as batch_op:
        batch_op.create_index('ix_activity_purges_school', ['school_id'], unique=False)

    op.create_table('term_mark_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('year_id', sa.Integer(), nullable=False),
    sa.Column('term_kind', sa.String(length=20), nullable=False),
    sa.Column('term_number', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('subject_name', sa.String(length=200), nullable=False),
    sa.Column('class_name', sa.String(length=12), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('old_value', sa.String(length=8), nullable=True),
    sa.Column('new_value', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_term_mark_history_changed_by_users')),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_term_mark_history_class_id_classes')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_term_mark_history_school_id_schools')),
    sa.ForeignKeyConstraint(['student_id'], ['persons.id'], name=op.f('fk_term_mark_history_student_id_persons')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_term_mark_history_subject_id_subjects')),
    sa.ForeignKeyConstraint(['year_id'], ['academic_years.id'], name=op.f('fk_term_mark_history_year_id_academic_years')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_term_mark_history'))
    )
    with op.batch_alter_table('term_mark_history', schema=None) as batch_op:
        batch_op.create_index('ix_term_mark_history_student', ['student_id', 'year_id', 'id'], unique=False)
    # The history of the marks confirmed so far starts with their current value.
    op.execute(
        'INSERT INTO term_mark_history (school_id, year_id, term_kind, term_number, student_id, subject_id, '
        'class_id, subject_name, class_name, changed_by, changed_at, old_value, new_value) '
        'SELECT school_id, year_id, term_kind, term_number, student_id, subject_id, class_id, subject_name, '
        'class_name, confirmed_by, confirmed_at, NULL, value FROM term_marks ORDER BY id')

    removed = _remove_duplicate_live_marks()
    if removed:
        logging.getLogger('alembic.runtime.migration').warning(
            'marks: %d duplicate live marks soft-deleted (the newest of each lesson, student and kind of work '
            'stays; mark_history records each)', removed)
    with op.batch_alter_table('marks', schema=None) as batch_op:
        batch_op.create_index('uq_marks_live', ['lesson_id', 'student_id', 'work_type_id'], unique=True,
                              sqlite_where=_LIVE, postgresql_where=_LIVE)


def downgrade() -> None:
    # The marks soft-deleted as duplicates stay removed: which of a pair was the newer is all that was known.
    with op.batch_alter_table('marks', schema=None) as batch_op:
        batch_op.drop_index('uq_marks_live', sqlite_where=_LIVE, postgresql_where=_LIVE)

    with op.batch_alter_table('term_mark_history', schema=None) as batch_op:
        batch_op.drop_index('ix_term_mark_history_student')

    op.drop_table('term_mark_history')
    with op.batch_alter_table('activity_purges', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_purges_school')

    op.drop_table('activity_purges')
