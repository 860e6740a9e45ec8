"""Alembic: one head, and upgrading an empty database gives exactly the models, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from tests.test_journal import TODAY, world  # noqa: F401  (the fixture)
from zhurnal.core.migrate import SCHEMA_HEAD, alembic_config, current_revision, heads, schema_problem
from zhurnal.core.models import Base, Mark, MarkHistory, TermMarkHistory
from zhurnal.core.services.journal import JournalService
from zhurnal.core.services.term_marks import TermMarkService


def test_single_head():
    assert len(heads()) == 1


def test_upgrade_from_empty_equals_models(empty_store):
    empty_store.upgrade()
    assert current_revision(empty_store.engine) == heads()[0]
    with empty_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_twice_is_harmless(empty_store):
    empty_store.upgrade()
    empty_store.upgrade()
    assert empty_store.is_initialised()


def test_0009_keeps_the_newest_of_duplicate_live_marks_and_starts_term_mark_history(store, world):  # noqa: F811
    """A database with duplicate live marks (left by concurrent saves before 0009) upgrades: the newest of each
    cell stays, the older ones are removed with a history entry; confirmed term marks get their first entry."""
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 26), 1, today=TODAY)
    kept_elsewhere = journal.set_mark(world.teacher, lesson.id, world.students[1], "3", today=TODAY)
    term_id = journal.open(world.teacher, world.assignment_id, today=TODAY).term_id
    TermMarkService(store).confirm(world.teacher, world.assignment_id, term_id, world.students[0], "4")
    assert kept_elsewhere is not None
    command.downgrade(alembic_config(store.engine), "0008")
    moment = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with store.session() as s:
        school_id = world.teacher.school_id
        twins = [Mark(school_id=school_id, lesson_id=lesson.id, student_id=world.students[0],
                      work_type_id=kept_elsewhere.work_type_id, value=value, entered_at=moment + timedelta(minutes=m))
                 for value, m in (("2", 5), ("5", 10), ("4", 1))]
        removed_before = Mark(school_id=school_id, lesson_id=lesson.id, student_id=world.students[0],
                              work_type_id=kept_elsewhere.work_type_id, value="1", entered_at=moment,
                              deleted_at=moment)
        s.add_all([*twins, removed_before])
        s.commit()
        ids = [m.id for m in twins]
    store.upgrade()
    with store.session() as s:
        rows = {m.id: m for m in s.scalars(select(Mark).where(Mark.id.in_([*ids, removed_before.id,
                                                                           kept_elsewhere.id])))}
        assert [rows[i].deleted_at is None for i in ids] == [False, True, False]  # "5" was entered last
        assert rows[kept_elsewhere.id].deleted_at is None and rows[removed_before.id].deleted_at == moment
        history = s.execute(select(MarkHistory.mark_id, MarkHistory.changed_by, MarkHistory.old_value,
                                   MarkHistory.new_value).where(MarkHistory.mark_id.in_(ids))
                            .order_by(MarkHistory.mark_id)).all()
        assert history == [(ids[0], None, "2", None), (ids[2], None, "4", None)]
        assert s.execute(select(TermMarkHistory.student_id, TermMarkHistory.changed_by, TermMarkHistory.old_value,
                                TermMarkHistory.new_value, TermMarkHistory.subject_name)).all() == [
            (world.students[0], world.teacher.user_id, None, "4", "Математика")]
    grid = journal.open(world.teacher, world.assignment_id, today=TODAY)
    assert sorted((m.student_id, m.value) for m in grid.marks) == [(world.students[0], "5"), (world.students[1], "3")]
    assert [(h.old_value, h.new_value) for h in TermMarkService(store).history(
        world.teacher, world.assignment_id, term_id, world.students[0])] == [(None, "4")]


def test_the_programs_schema_head_is_alembics():
    assert heads()[0] == SCHEMA_HEAD


def test_a_database_behind_or_ahead_of_the_program_is_refused_with_what_to_do(empty_store):
    empty_store.upgrade()
    assert schema_problem(empty_store.engine) is None
    command.downgrade(alembic_config(empty_store.engine), "0008")
    behind = schema_problem(empty_store.engine)
    assert behind is not None and "zhurnal db upgrade" in behind and "0008" in behind
    with empty_store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    ahead = schema_problem(empty_store.engine)
    assert ahead is not None and "новее" in ahead and "db upgrade" not in ahead
