"""The journal services on both engines: lessons, marks with history, attendance, the grade-entry lock and its
exceptions, term marks, scopes, the diary and the activity events they leave."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.helpers import make_class, make_user, records
from tests.test_structure_services import add_person, add_staff, enrol
from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import ActivityEvent, AuditRecord, Guardianship, Mark, MarkHistory, TermMark
from zhurnal.core.permissions import Actor
from zhurnal.core.services.assignments import AssignmentService
from zhurnal.core.services.diary import DiaryService
from zhurnal.core.services.journal import JournalService
from zhurnal.core.services.lock_exceptions import LockExceptionService
from zhurnal.core.services.settings import SettingsService
from zhurnal.core.services.stats import StatsService
from zhurnal.core.services.subjects import SubjectService
from zhurnal.core.services.term_marks import TermMarkService, nearest_mark, weighted_average
from zhurnal.core.services.work_types import WorkTypeService

TODAY = date(2026, 11, 27)  # a Friday in the second quarter of the seeded year 2026/2027
TERM_START = date(2026, 11, 5)


@dataclass
class World:
    class_id: int
    subject_id: int
    assignment_id: int
    teacher: Actor
    other_teacher: Actor
    students: list[int]
    parent: Actor
    student: Actor


def _actor(store, school_id: int, person_id: int, login: str, roles: set[str]) -> Actor:
    user_id = make_user(store, school_id, person_id, login)
    return Actor(user_id, login, school_id, frozenset(roles), person_id)


@pytest.fixture
def world(store, school, admin) -> World:
    sid = school.school_id
    class_id = make_class(store, sid, 5, "А")
    subject = SubjectService(store).create(admin, "Математика")
    teacher_id = add_staff(store, sid, "Иванова", "Мария")
    other_id = add_staff(store, sid, "Кузнецов", "Олег")
    assignment = AssignmentService(store).assign(admin, class_id, subject.id, teacher_id, today=TODAY)
    students = [enrol(store, sid, class_id, last, first, start=date(2026, 9, 1))
                for last, first in (("Андреев", "Пётр"), ("Борисова", "Анна"), ("Васильев", "Иван"))]
    parent_id = add_person(store, sid, "Андреева", "Ольга")
    with store.session() as s:
        s.add(Guardianship(school_id=sid, parent_id=parent_id, student_id=students[0], relation="mother",
                           start_date=date(2020, 1, 1)))
        s.commit()
    return World(class_id, subject.id, assignment.id,
                 _actor(store, sid, teacher_id, "ivanova", {"teacher"}),
                 _actor(store, sid, other_id, "kuznetsov", {"teacher"}), students,
                 _actor(store, sid, parent_id, "andreeva", {"parent"}),
                 _actor(store, sid, students[0], "andreev", {"student"}))


def activity(store, kind: str) -> list[ActivityEvent]:
    with store.session() as s:
        return list(s.scalars(select(ActivityEvent).where(ActivityEvent.kind == kind).order_by(ActivityEvent.id)))


def test_a_teacher_keeps_the_journal_and_the_grid_shows_it(store, admin, world):
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 24), 2, "Дроби",
                                "№ 12, 14", today=TODAY)
    journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=TODAY)
    journal.set_mark(world.teacher, lesson.id, world.students[1], " на ", today=TODAY)  # spelled as the scale
    journal.set_attendance(world.teacher, lesson.id, world.students[2], "sick", today=TODAY)
    grid = journal.open(world.teacher, world.assignment_id, today=TODAY)
    assert (grid.class_name, grid.subject_name, grid.term_name, grid.writable) == ("5А", "Математика",
                                                                                   "2 четверть", True)
    assert [s.full_name for s in grid.students] == ["Андреев Пётр", "Борисова Анна", "Васильев Иван"]
    assert [(le.day, le.number, le.topic, le.homework, le.attendance_taken) for le in grid.lessons] == [
        (date(2026, 11, 24), 2, "Дроби", "№ 12, 14", True)]
    assert {(m.student_id, m.value) for m in grid.marks} == {(world.students[0], "5"), (world.students[1], "н/а")}
    assert grid.attendance == {(lesson.id, world.students[2]): "sick"}
    assert "5" in grid.values and "н/а" in grid.values
    # The administrator reads every journal, read-only; the journal's own teacher is the only writer.
    as_admin = journal.open(admin, world.assignment_id, today=TODAY)
    assert not as_admin.writable and len(as_admin.marks) == 2
    with pytest.raises(PermissionDenied):
        journal.set_mark(admin, lesson.id, world.students[0], "4", today=TODAY)
    with pytest.raises(PermissionDenied, match="другой учитель"):
        journal.set_mark(world.other_teacher, lesson.id, world.students[0], "4", today=TODAY)
    with pytest.raises(PermissionDenied, match="чужого класса"):
        journal.open(world.other_teacher, world.assignment_id, today=TODAY)
    denied = [r for r in records(store, "journal.set_mark") if r.outcome == "denied"]
    assert len(denied) == 2  # both refusals are on the audit trail, the scoped one too
    assert [e.assignment_id for e in journal.list_journals(world.teacher)] == [world.assignment_id]
    assert journal.list_journals(world.other_teacher) == []
    assert stats_counts(store, admin) == (1, 2, 1)


def stats_counts(store, admin) -> tuple[int, int, int]:
    counts = StatsService(store).counts(admin, TODAY)
    return counts.lessons, counts.marks, counts.attendance


def test_a_mark_keeps_its_history_and_bad_values_are_named(store, world):
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 26), 1, today=TODAY)
    first = journal.set_mark(world.teacher, lesson.id, world.students[0], "4", today=TODAY)
    assert first is not None
    journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=TODAY)
    journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=TODAY)  # unchanged: no history
    assert journal.set_mark(world.teacher, lesson.id, world.students[0], "", today=TODAY) is None
    history = journal.mark_history(world.teacher, first.id)
    assert [(h.old_value, h.new_value, h.changed_by) for h in history] == [
        (None, "4", "ivanova"), ("4", "5", "ivanova"), ("5", None, "ivanova")]
    assert journal.open(world.teacher, world.assignment_id, today=TODAY).marks == []
    with store.session() as s:  # removed, not deleted
        assert s.get(Mark, first.id).deleted_at is not None
    with pytest.raises(ValidationFailed, match="«7» не из шкалы школы; допустимы: 1, 2, 3, 4, 5, н/а"):
        journal.set_mark(world.teacher, lesson.id, world.students[0], "7", today=TODAY)
    with pytest.raises(ValidationFailed, match="ещё не прошёл"):
        future = journal.add_lesson(world.teacher, world.assignment_id, TODAY + timedelta(days=3), 1, today=TODAY)
        journal.set_mark(world.teacher, future.id, world.students[0], "5", today=TODAY)
    outsider = enrol(store, world.teacher.school_id or 0, make_class(store, world.teacher.school_id or 0, 6, "Б"),
                     "Григорьев", "Антон", start=date(2026, 9, 1))
    with pytest.raises(ValidationFailed, match="не учился в этом классе"):
        journal.set_mark(world.teacher, lesson.id, outsider, "5", today=TODAY)
    with pytest.raises(ValidationFailed, match="Посещаемость: «ill»"):
        journal.set_attendance(world.teacher, lesson.id, world.students[0], "ill", today=TODAY)


def test_the_lock_period_and_an_approved_exception(store, admin, world):
    SettingsService(store).set(admin, "grade_lock_days", 7)
    journal = JournalService(store)
    old_day = TODAY - timedelta(days=10)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, old_day, 1, today=TODAY)
    with pytest.raises(ValidationFailed, match="закрыт для изменений"):
        journal.set_mark(world.teacher, lesson.id, world.students[0], "3", today=TODAY)
    exceptions = LockExceptionService(store)
    asked = exceptions.request(world.teacher, world.assignment_id, old_day, old_day, "Болел, не успел")
    with pytest.raises(Conflict, match="нерассмотренный"):
        exceptions.request(world.teacher, world.assignment_id, old_day, old_day, "Ещё раз")
    with pytest.raises(PermissionDenied):
        exceptions.decide(world.teacher, asked.id, asked.version, True, today=TODAY)
    assert [r.id for r in exceptions.list(admin)] == [asked.id]
    approved = exceptions.decide(admin, asked.id, asked.version, True, today=TODAY)
    assert (approved.status, approved.valid_until) == ("approved", TODAY + timedelta(days=3))
    assert journal.set_mark(world.teacher, lesson.id, world.students[0], "3", today=TODAY) is not None
    later = TODAY + timedelta(days=4)  # the approval has run out
    with pytest.raises(ValidationFailed, match="закрыт для изменений"):
        journal.set_mark(world.teacher, lesson.id, world.students[0], "4", today=later)
    assert [r.action for r in records(store, "lock_exception.approve")] == ["lock_exception.approve"]


def test_moving_and_removing_lessons_report_what_they_touch(store, admin, world):
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 25), 3, "Тема", today=TODAY)
    for student in world.students[:2]:
        journal.set_mark(world.teacher, lesson.id, student, "4", today=TODAY)
    journal.set_attendance(world.teacher, lesson.id, world.students[2], "absent", today=TODAY)
    other = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 26), 3, today=TODAY)
    with pytest.raises(Conflict, match="уже есть"):
        journal.update_lesson(world.teacher, other.id, other.version, topic=None, homework=None,
                              day=date(2026, 11, 25), today=TODAY)
    lesson = journal.open(world.teacher, world.assignment_id, today=TODAY).lessons[0]  # attendance bumped it
    moved, touched = journal.update_lesson(world.teacher, lesson.id, lesson.version, topic="Новая тема",
                                           homework="Стр. 5", number=4, today=TODAY)
    assert (moved.number, moved.topic, touched.marks, touched.attendance) == (4, "Новая тема", 2, 1)
    assignments = AssignmentService(store)
    impact = assignments.impact(admin, world.assignment_id)
    assert (impact.lessons_touched, impact.marks_touched, impact.attendance_touched) == (2, 2, 1)
    assert journal.lesson_impact(world.teacher, lesson.id).marks == 2
    removed = journal.remove_lesson(world.teacher, lesson.id, moved.version)
    assert (removed.marks, removed.attendance) == (2, 1)
    assert [le.id for le in journal.open(world.teacher, world.assignment_id, today=TODAY).lessons] == [other.id]
    with pytest.raises(NotFound):
        journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=TODAY)
    detail = records(store, "lesson.remove")[-1].detail
    assert detail == "marks=2 attendance=1"
    # A removed assignment's journal stays readable by its teacher, and nobody writes it any more.
    view = assignments.get(admin, world.assignment_id)
    assignments.remove(admin, world.assignment_id, view.version)
    assert not journal.open(world.teacher, world.assignment_id, today=TODAY).writable
    with pytest.raises(PermissionDenied, match="снято"):
        journal.add_lesson(world.teacher, world.assignment_id, TODAY, 1, today=TODAY)


def test_term_marks_suggest_a_weighted_average_and_keep_a_snapshot(store, admin, world):
    journal = JournalService(store)
    entry_day = date(2026, 11, 20)  # marks entered on time, inside the lock period
    kinds = {w.name: w for w in WorkTypeService(store).list(admin)}
    test = kinds["Контрольная работа"]
    assert test.weight == Decimal("2") and kinds["Работа на уроке"].is_default
    first = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 16), 1, today=entry_day)
    second = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 20), 1, today=entry_day)
    a, b, c = world.students
    journal.set_mark(world.teacher, first.id, a, "3", today=entry_day)
    journal.set_mark(world.teacher, second.id, a, "5", test.id, today=entry_day)  # (3·1 + 5·2) / 3 = 4.33
    journal.set_mark(world.teacher, first.id, b, "4", today=entry_day)
    journal.set_mark(world.teacher, second.id, b, "5", today=entry_day)  # 4.5 rounds half up to 5
    journal.set_mark(world.teacher, first.id, c, "н/а", today=entry_day)  # not a number: no suggestion
    grid = journal.open(world.teacher, world.assignment_id, today=TODAY)
    term_id = grid.term_id
    assert term_id is not None
    marks = TermMarkService(store)
    rows = {r.student_id: r for r in marks.suggestions(world.teacher, world.assignment_id, term_id)}
    assert (rows[a].average, rows[a].suggested, rows[a].marks) == (Decimal("4.33"), "4", 2)
    assert (rows[b].average, rows[b].suggested) == (Decimal("4.50"), "5")
    assert (rows[c].average, rows[c].suggested, rows[c].confirmed) == (None, None, None)
    confirmed = marks.confirm(world.teacher, world.assignment_id, term_id, a, "5")  # the teacher decides
    assert (confirmed.suggested, confirmed.confirmed) == ("4", "5")
    assert journal.open(world.teacher, world.assignment_id, today=TODAY).term_marks == {a: "5"}
    SubjectService(store).rename(admin, world.subject_id, SubjectService(store).get(admin, world.subject_id).version,
                                 "Алгебра")
    with store.session() as s:
        stored = s.scalars(select(TermMark)).one()
        assert (stored.subject_name, stored.class_name, stored.value, stored.suggested) == (
            "Математика", "5А", "5", Decimal("4.33"))
    year_rows = {r.student_id: r for r in marks.suggestions(world.teacher, world.assignment_id, None)}
    assert year_rows[a].suggested == "5"  # the year follows the confirmed term marks
    school = {(s.student_id, s.suggested) for s in marks.suggest_school(admin, term_id)}
    assert school == {(a, "4"), (b, "5")}
    marks.confirm(world.teacher, world.assignment_id, term_id, a, "")
    assert journal.open(world.teacher, world.assignment_id, today=TODAY).term_marks == {}
    with pytest.raises(PermissionDenied):
        marks.confirm(world.other_teacher, world.assignment_id, term_id, a, "4")


def test_weighted_average_and_rounding_to_the_scale():
    assert weighted_average([]) is None
    assert weighted_average([(Decimal(2), Decimal(1)), (Decimal(3), Decimal(1))]) == Decimal("2.50")
    assert nearest_mark(Decimal("2.49"), ["1", "2", "3", "4", "5"]) == "2"
    assert nearest_mark(Decimal("2.50"), ["1", "2", "3", "4", "5"]) == "3"
    assert nearest_mark(Decimal("9.7"), ["1", "2", "3", "4", "5"]) == "5"
    assert nearest_mark(Decimal("4"), ["зач", "незач"]) is None


def test_the_diary_of_a_student_and_of_a_parents_child(store, admin, world):
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 24), 2, "Дроби", "№ 12",
                                today=TODAY)
    journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=TODAY)
    journal.set_attendance(world.teacher, lesson.id, world.students[1], "late", today=TODAY)
    diary = DiaryService(store)
    assert [c.full_name for c in diary.children(world.parent, today=TODAY)] == ["Андреев Пётр"]
    assert [(c.student_id, c.class_name) for c in diary.children(world.student, today=TODAY)] == [
        (world.students[0], "5А")]
    for reader in (world.student, world.parent):
        week = diary.week(reader, world.students[0], date(2026, 11, 26), today=TODAY)
        assert (week.start, week.end) == (date(2026, 11, 23), date(2026, 11, 29))
        [item] = week.lessons
        assert (item.subject, item.topic, item.homework, item.attendance) == ("Математика", "Дроби", "№ 12",
                                                                              "present")
        assert [(m.value, m.work_type) for m in item.marks] == [("5", "Работа на уроке")]
    with pytest.raises(PermissionDenied, match="не ваш дневник"):
        diary.week(world.parent, world.students[1], date(2026, 11, 26), today=TODAY)
    with pytest.raises(PermissionDenied):
        diary.week(admin, world.students[0], date(2026, 11, 26), today=TODAY)
    assert diary.week(world.student, world.students[0], date(2026, 11, 16), today=TODAY).lessons == []
    views = activity(store, "diary_view")
    assert [(e.user_id, e.class_id) for e in views] == [(world.student.user_id, world.class_id),
                                                         (world.parent.user_id, world.class_id),
                                                         (world.student.user_id, world.class_id)]


def test_journal_entries_are_activity_events_with_class_and_lesson_day(store, world):
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 20), 1, "Тема", "Задание",
                                today=TODAY)
    journal.set_mark(world.teacher, lesson.id, world.students[0], "4", today=TODAY)
    journal.set_attendance(world.teacher, lesson.id, world.students[1], "absent", today=TODAY)
    with store.session() as s:
        rows = s.execute(select(ActivityEvent.kind, ActivityEvent.user_id, ActivityEvent.class_id,
                                ActivityEvent.day, ActivityEvent.lesson_day).order_by(ActivityEvent.id)).all()
    assert [tuple(r) for r in rows] == [
        (kind, world.teacher.user_id, world.class_id, TODAY, date(2026, 11, 20))
        for kind in ("topic", "homework", "mark", "attendance")]


def test_a_login_is_an_activity_event(store, school):
    from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
    from zhurnal.core.services.accounts import AuthService

    AuthService(store).login(ADMIN_LOGIN, ADMIN_PASSWORD)
    [event] = activity(store, "login")
    assert (event.school_id, event.class_id) == (school.school_id, None)


def test_a_class_teacher_reads_every_subject_of_their_class_only(store, admin, school, world):
    sid = school.school_id
    leader_id = add_staff(store, sid, "Петрова", "Нина")
    leader = _actor(store, sid, leader_id, "petrova", {"teacher", "class_teacher"})
    from zhurnal.core.services.classes import ClassService

    classes = ClassService(store)
    current = classes.get(admin, world.class_id)
    classes.set_class_teacher(admin, world.class_id, current.version, leader_id, today=TODAY)
    journal = JournalService(store)
    view = journal.open(leader, world.assignment_id, today=TODAY)
    assert not view.writable
    assert [(e.assignment_id, e.writable) for e in journal.list_journals(leader)] == [(world.assignment_id, False)]
    with pytest.raises(PermissionDenied):
        journal.add_lesson(leader, world.assignment_id, TODAY, 1, today=TODAY)


def test_a_closed_year_is_read_only(store, admin, world):
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 20), 1, today=TODAY)
    from zhurnal.core.models import AcademicYear

    with store.session() as s:
        year = s.scalars(select(AcademicYear)).first()
        year.status = "closed"
        s.commit()
    assert not journal.open(world.teacher, world.assignment_id, today=TODAY).writable
    with pytest.raises(ValidationFailed, match="закрыт"):
        journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=TODAY)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "mark.create")) == 0


def test_marks_stay_with_a_student_moved_to_another_class_and_show_in_its_journal(store, admin, school, world):
    from sqlalchemy import event

    from zhurnal.core.services.enrolments import EnrolmentService
    from zhurnal.core.services.journal import EarlierMark
    from zhurnal.core.services.orders import OrderService

    journal = JournalService(store)
    entry_day = date(2026, 11, 20)
    b_class = make_class(store, school.school_id, 5, "Б")
    teacher_id = world.teacher.person_id
    assert teacher_id is not None
    b_assignment = AssignmentService(store).assign(admin, b_class, world.subject_id, teacher_id, today=TODAY).id
    a, b, _ = world.students
    in_a = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 16), 1, today=entry_day)
    journal.set_mark(world.teacher, in_a.id, a, "3", today=entry_day)
    journal.set_mark(world.teacher, in_a.id, b, "4", today=entry_day)
    order = OrderService(store).create(admin, "7-у", date(2026, 11, 17), "transfer", "Приказ 7-у").id
    EnrolmentService(store).transfer(admin, a, b_class, date(2026, 11, 18), order)
    in_b = journal.add_lesson(world.teacher, b_assignment, date(2026, 11, 20), 1, today=entry_day)
    journal.set_mark(world.teacher, in_b.id, a, "5", today=entry_day)
    with store.session() as s:  # the marks belong to the student and the lesson: the move touched none
        assert s.scalar(select(func.count()).select_from(Mark).where(Mark.student_id == a)) == 2
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        grid = journal.open(world.teacher, b_assignment, today=TODAY)
        with_one = len(statements)
        statements.clear()
        old = journal.open(world.teacher, world.assignment_id, today=TODAY)
        assert len(statements) == with_one  # the same queries whatever the marks
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert [s.id for s in grid.students] == [a]
    default = next(w.id for w in grid.work_types if w.is_default)
    assert grid.earlier_marks == {a: [EarlierMark(date(2026, 11, 16), "3", "5А", default)]}
    assert [(m.student_id, m.value) for m in grid.marks] == [(a, "5")]
    # the old class's journal keeps the marks given there and shows, read-only, the one given after the move
    assert {(m.student_id, m.value) for m in old.marks} == {(a, "3"), (b, "4")}
    assert old.earlier_marks == {a: [EarlierMark(date(2026, 11, 20), "5", "5Б", default)]}
    # the term-mark suggestion in the new class counts the marks of the old one
    term_id = grid.term_id
    assert term_id is not None
    rows = {r.student_id: r for r in TermMarkService(store).suggestions(world.teacher, b_assignment, term_id)}
    assert (rows[a].marks, rows[a].average, rows[a].suggested) == (2, Decimal("4.00"), "4")


def test_a_lesson_behind_the_lock_cannot_be_removed_with_its_marks(store, admin, world):
    # Removing a lesson takes its marks and attendance out of the grid, the averages and the term marks: behind
    # the grade-entry lock that is a change of marks like any other, refused until an exception lets it in.
    SettingsService(store).set(admin, "grade_lock_days", 7)
    journal = JournalService(store)
    old_day = TODAY - timedelta(days=10)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, old_day, 1, today=old_day)
    journal.set_mark(world.teacher, lesson.id, world.students[0], "2", today=old_day)
    lesson = journal.open(world.teacher, world.assignment_id, start=old_day, end=old_day, today=TODAY).lessons[0]
    with pytest.raises(ValidationFailed, match="закрыт для изменений"):
        journal.remove_lesson(world.teacher, lesson.id, lesson.version, today=TODAY)
    assert journal.lesson_impact(world.teacher, lesson.id).marks == 1
    exceptions = LockExceptionService(store)
    asked = exceptions.request(world.teacher, world.assignment_id, old_day, old_day, "Урок внесён по ошибке")
    exceptions.decide(admin, asked.id, asked.version, True, today=TODAY)
    assert journal.remove_lesson(world.teacher, lesson.id, lesson.version, today=TODAY).marks == 1
    # An empty lesson behind the lock goes as freely as it could be added; one planned ahead too.
    empty = journal.add_lesson(world.teacher, world.assignment_id, old_day, 2, today=TODAY)
    assert journal.remove_lesson(world.teacher, empty.id, empty.version, today=TODAY).marks == 0
    ahead = journal.add_lesson(world.teacher, world.assignment_id, TODAY + timedelta(days=3), 1, today=TODAY)
    assert journal.remove_lesson(world.teacher, ahead.id, ahead.version, today=TODAY).marks == 0


def test_a_lesson_cannot_carry_its_marks_behind_the_lock(store, admin, world):
    # A mark cannot be put on a locked lesson; moving a lesson that holds marks onto a locked date would put it
    # there all the same (and into a term whose marks may be confirmed already).
    SettingsService(store).set(admin, "grade_lock_days", 7)
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, TODAY, 1, today=TODAY)
    journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=TODAY)
    lesson = journal.open(world.teacher, world.assignment_id, today=TODAY).lessons[0]
    old_day = TODAY - timedelta(days=10)
    with pytest.raises(ValidationFailed, match="закрыт для изменений"):
        journal.update_lesson(world.teacher, lesson.id, lesson.version, topic=None, homework=None, day=old_day,
                              today=TODAY)
    assert journal.open(world.teacher, world.assignment_id, today=TODAY).lessons[0].day == TODAY
    # Inside the open days the move goes through as before.
    moved, _ = journal.update_lesson(world.teacher, lesson.id, lesson.version, topic=None, homework=None,
                                     day=TODAY - timedelta(days=2), today=TODAY)
    assert moved.day == TODAY - timedelta(days=2)


def test_a_changed_or_withdrawn_term_mark_is_in_the_trail_without_its_values(store, world):
    # The term mark row holds only the current value; term_mark_history keeps the old ones. The audit trail
    # says who changed which term's mark of whom, never the marks (a child's personal data).
    journal = JournalService(store)
    term_id = journal.open(world.teacher, world.assignment_id, today=TODAY).term_id
    marks = TermMarkService(store)
    student = world.students[0]
    marks.confirm(world.teacher, world.assignment_id, term_id, student, "3")
    marks.confirm(world.teacher, world.assignment_id, term_id, student, "5")
    marks.confirm(world.teacher, world.assignment_id, term_id, student, "")
    trail = [(r.action, r.person_id, r.detail) for r in sorted(
        (r for action in ("term_mark.set", "term_mark.withdraw") for r in records(store, action)),
        key=lambda r: r.seq)]
    assert [(action, person) for action, person, _ in trail] == [("term_mark.set", student)] * 2 + [
        ("term_mark.withdraw", student)]
    assert [(h.old_value, h.new_value) for h in marks.history(world.teacher, world.assignment_id, term_id,
                                                              student)] == [(None, "3"), ("3", "5"), ("5", None)]
    assert {detail for _, _, detail in trail} == {"quarter 2"}
    assert {r.fields for action in ("term_mark.set", "term_mark.withdraw") for r in records(store, action)} == {
        '["value"]'}


def test_a_withdrawn_term_mark_keeps_who_withdrew_it_and_what_it_was(store, admin, world):
    journal = JournalService(store)
    term_id = journal.open(world.teacher, world.assignment_id, today=TODAY).term_id
    marks = TermMarkService(store)
    student, other = world.students[0], world.students[1]
    marks.confirm(world.teacher, world.assignment_id, term_id, student, "4")
    marks.confirm(world.teacher, world.assignment_id, term_id, student, "4")  # unchanged: no history
    marks.confirm(world.teacher, world.assignment_id, term_id, student, "5")
    marks.confirm(world.teacher, world.assignment_id, term_id, other, "3")
    marks.confirm(world.teacher, world.assignment_id, None, student, "5")  # the year mark: its own history
    SubjectService(store).rename(admin, world.subject_id, SubjectService(store).get(admin, world.subject_id).version,
                                 "Алгебра")
    marks.confirm(world.teacher, world.assignment_id, term_id, student, "")
    with store.session() as s:  # the row is gone: the history is what is left of it
        assert s.scalar(select(func.count()).select_from(TermMark).where(TermMark.student_id == student,
                                                                          TermMark.term_number > 0)) == 0
    # The director (journal.read) sees who withdrew which final mark and what it was.
    history = marks.history(admin, world.assignment_id, term_id, student)
    assert [(h.old_value, h.new_value, h.changed_by, h.subject_name, h.class_name) for h in history] == [
        (None, "4", "ivanova", "Математика", "5А"), ("4", "5", "ivanova", "Математика", "5А"),
        ("5", None, "ivanova", "Математика", "5А")]
    marks.confirm(world.teacher, world.assignment_id, term_id, student, "3")  # confirmed again after withdrawal
    assert [(h.old_value, h.new_value, h.subject_name) for h in
            marks.history(world.teacher, world.assignment_id, term_id, student)][-1] == (None, "3", "Алгебра")
    assert [(h.old_value, h.new_value) for h in marks.history(admin, world.assignment_id, None, student)] == [
        (None, "5")]
    assert [(h.old_value, h.new_value) for h in marks.history(admin, world.assignment_id, term_id, other)] == [
        (None, "3")]
    with pytest.raises(PermissionDenied):  # not their journal, not a reader of the school's journals
        marks.history(world.other_teacher, world.assignment_id, term_id, student)


def test_the_diary_terms_of_someone_elses_child_are_an_audited_refusal(store, world):
    diary = DiaryService(store)
    assert diary.terms(world.parent, world.students[0], today=TODAY)
    with pytest.raises(PermissionDenied, match="не ваш дневник"):
        diary.terms(world.parent, world.students[1], today=TODAY)
    assert [(r.outcome, r.login) for r in records(store, "diary.terms")] == [("denied", "andreeva")]


def test_an_empty_lesson_moves_onto_a_locked_date_like_a_new_one_is_added(store, admin, world):
    SettingsService(store).set(admin, "grade_lock_days", 7)
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, TODAY, 1, today=TODAY)
    old_day = TODAY - timedelta(days=10)
    moved, touched = journal.update_lesson(world.teacher, lesson.id, lesson.version, topic="Повторение",
                                           homework=None, day=old_day, today=TODAY)
    assert (moved.day, touched.marks, touched.attendance) == (old_day, 0, 0)


def test_nobody_approves_their_own_lock_exception(store, admin, school, world):
    # A deputy director who also teaches holds both journal.write and journal.unlock: their own request to change
    # locked marks goes to someone else, or the lock would hold for everyone but them.
    SettingsService(store).set(admin, "grade_lock_days", 7)
    sid = school.school_id
    teacher_id = add_staff(store, sid, "Завучева", "Нина")
    deputy = _actor(store, sid, teacher_id, "zavucheva", {"deputy", "teacher"})
    AssignmentService(store).assign(admin, world.class_id, SubjectService(store).create(admin, "Физика").id,
                                    teacher_id, today=TODAY)
    assignment_id = next(j.assignment_id for j in JournalService(store).list_journals(deputy) if j.writable)
    old_day = TODAY - timedelta(days=10)
    exceptions = LockExceptionService(store)
    asked = exceptions.request(deputy, assignment_id, old_day, old_day, "Забыла выставить")
    with pytest.raises(PermissionDenied, match="свой"):
        exceptions.decide(deputy, asked.id, asked.version, True, today=TODAY)
    assert [r.outcome for r in records(store, "lock_exception.decide")] == ["denied"]
    assert exceptions.decide(admin, asked.id, asked.version, True, today=TODAY).status == "approved"


def _first_mark_cell(store, world) -> tuple[int, int]:
    """A lesson, with the school's kinds of work created by an earlier mark (so only the cell is raced for)."""
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 26), 1, today=TODAY)
    journal.set_mark(world.teacher, lesson.id, world.students[1], "3", today=TODAY)
    return lesson.id, world.students[0]


def _live_marks(store, lesson_id: int, student_id: int) -> list[tuple[str, int]]:
    with store.session() as s:
        rows = s.scalars(select(Mark).where(Mark.lesson_id == lesson_id, Mark.student_id == student_id,
                                            Mark.deleted_at.is_(None))).all()
        return [(m.value, s.scalar(select(func.count()).select_from(MarkHistory).where(
            MarkHistory.mark_id == m.id)) or 0) for m in rows]


def test_a_first_mark_another_session_put_meanwhile_is_refused_by_name(store, world):
    # Between set_mark's look-up and its insert another session puts the cell's first mark: simulated in the
    # same transaction (SQLite lets no other writer in), the unique index refuses the insert all the same.
    lesson_id, student = _first_mark_cell(store, world)
    with store.session() as s:
        work_type_id = s.scalar(select(Mark.work_type_id).where(Mark.lesson_id == lesson_id))

    def other_session_first(session, _context, _instances):
        if any(isinstance(o, Mark) for o in session.new):
            session.connection().execute(insert(Mark).values(
                school_id=world.teacher.school_id, lesson_id=lesson_id, student_id=student,
                work_type_id=work_type_id, value="2", entered_at=datetime.now(UTC), version=1))

    event.listen(Session, "before_flush", other_session_first)
    try:
        with pytest.raises(Conflict, match=r"Отметка ученика Андреев Пётр за урок 1 26\.11\.2026 \(Работа на "
                                           r"уроке\): её только что поставил другой пользователь"):
            JournalService(store).set_mark(world.teacher, lesson_id, student, "5", today=TODAY)
    finally:
        event.remove(Session, "before_flush", other_session_first)
    assert _live_marks(store, lesson_id, student) == []  # the whole save rolled back, the simulated one too
    assert not records(store, "mark.create")[1:]  # only the earlier mark of the other student


def test_two_sessions_racing_for_a_cells_first_mark_leave_one_mark(store, engine_name, world):
    """Two sessions of the teacher both find the cell empty, then both insert: one wins, the other is refused."""
    if engine_name == "sqlite":
        pytest.skip("SQLite starts every write transaction with BEGIN IMMEDIATE: the second save cannot look "
                    "before the first commits (the simulated race above covers the refusal)")
    lesson_id, student = _first_mark_cell(store, world)
    both_looked = threading.Barrier(2, timeout=30)

    def wait_for_the_other(session, _context, _instances):
        if any(isinstance(o, Mark) for o in session.new):
            both_looked.wait()  # both have found no mark; now both insert

    outcome: dict[str, object] = {}

    def save(value: str) -> None:
        try:
            JournalService(store).set_mark(world.teacher, lesson_id, student, value, today=TODAY)
            outcome[value] = "saved"
        except Conflict as exc:
            outcome[value] = exc

    event.listen(Session, "before_flush", wait_for_the_other)
    try:
        threads = [threading.Thread(target=save, args=(value,)) for value in ("5", "4")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(Session, "before_flush", wait_for_the_other)
    [winner] = [value for value, result in outcome.items() if result == "saved"]
    [refusal] = [result for result in outcome.values() if isinstance(result, Conflict)]
    assert "Андреев Пётр" in str(refusal) and "другой пользователь" in str(refusal)
    assert _live_marks(store, lesson_id, student) == [(winner, 1)]  # one mark, one history entry
    assert len(records(store, "mark.create")) == 2  # the other student's and the winner's


def test_one_live_mark_per_cell_and_any_number_of_removed_ones(store, world):
    lesson_id, student = _first_mark_cell(store, world)
    journal = JournalService(store)
    for value in ("5", "", "4", "", "3"):  # removed marks stay as rows beside the live one
        journal.set_mark(world.teacher, lesson_id, student, value, today=TODAY)
    with store.session() as s:
        rows = s.scalars(select(Mark).where(Mark.lesson_id == lesson_id, Mark.student_id == student)).all()
        assert sorted((m.value, m.deleted_at is None) for m in rows) == [("3", True), ("4", False), ("5", False)]
        live = next(m for m in rows if m.deleted_at is None)
        s.add(Mark(school_id=live.school_id, lesson_id=lesson_id, student_id=student,
                   work_type_id=live.work_type_id, value="2"))
        with pytest.raises(IntegrityError):
            s.flush()
