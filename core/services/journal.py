"""The class journal of one teaching assignment: lessons (date, number, topic, homework), marks, attendance.

A teacher keeps the journal of their own assignments; readers see it read-only (journal_rules.scope).
Opening a journal is a fixed number of indexed queries whatever the class size, so the grid opens at once. A
student moved in from another class mid-period brings the marks they got there in the subject: the view lists
them, read-only, as earlier marks (marks belong to the student and the lesson, never to the enrolment). Nothing is
removed: a lesson is soft-deleted together with the report of what it held, a mark change appends history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import (
    ATTENDANCE_STATUSES,
    Attendance,
    Enrolment,
    Lesson,
    Mark,
    MarkHistory,
    Person,
    SchoolClass,
    Subject,
    TeachingAssignment,
    Term,
    TermMark,
    WorkType,
    utcnow,
)
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import full_name
from zhurnal.core.services.common import check_version, clean_label, flush, refuse, relabel
from zhurnal.core.services.journal_rules import (
    allowed_values,
    clean_mark,
    enrolled_on,
    ensure_work_types,
    get_assignment_any,
    in_subgroup,
    lock_date,
    memberships,
    record_activity,
    require_own_subgroup,
    require_unlocked,
    require_year_open,
    scope,
    year_of,
)
from zhurnal.core.services.settings import _settings
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_multiline, format_date

MAX_LESSON_NUMBER = 12


@dataclass(frozen=True)
class JournalEntry:
    """An assignment whose journal the actor may open."""

    assignment_id: int
    class_id: int
    class_name: str
    subject_name: str
    subgroup: str | None
    teacher_name: str
    writable: bool


@dataclass(frozen=True)
class LessonView:
    id: int
    assignment_id: int
    day: date
    number: int
    topic: str | None
    homework: str | None
    attendance_taken: bool
    version: int


@dataclass(frozen=True)
class StudentRow:
    id: int
    full_name: str
    start: date  # the enrolment's overlap with the journal's period: outside it the cells are not the class's
    end: date | None


@dataclass(frozen=True)
class MarkView:
    id: int
    lesson_id: int
    student_id: int
    value: str
    work_type_id: int
    version: int


@dataclass(frozen=True)
class EarlierMark:
    """A mark a student of the journal got in the same subject in another class of the school during the
    period (before a transfer, or after one away): shown read-only in the new class's journal."""

    day: date
    value: str
    class_name: str
    work_type_id: int


@dataclass(frozen=True)
class WorkTypeView:
    id: int
    name: str
    weight: float
    is_default: bool


@dataclass(frozen=True)
class JournalView:
    """Everything the grid shows for one assignment and period."""

    assignment_id: int
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    teacher_name: str
    subgroup: str | None
    year_id: int
    start: date
    end: date
    term_id: int | None
    term_name: str | None
    writable: bool
    locked_before: date | None
    students: list[StudentRow]
    lessons: list[LessonView]
    marks: list[MarkView]
    attendance: dict[tuple[int, int], str]  # (lesson id, student id) -> status
    term_marks: dict[int, str]  # student id -> the confirmed mark of the term
    work_types: list[WorkTypeView]
    values: tuple[str, ...]  # the marks the school's scale allows
    # student id -> their marks in the subject in other classes during the period, by day
    earlier_marks: dict[int, list[EarlierMark]] = dataclasses.field(default_factory=dict)
    # A subgroup journal of a class whose split in the subject is not set yet lists the whole class.
    subgroups_unset: bool = False
    # A subgroup journal of a split class: students of the class in no subgroup (listed in no subgroup journal).
    unplaced: int = 0


@dataclass(frozen=True)
class LessonImpact:
    """What a lesson holds: a change of its date or its removal touches these."""

    lesson_id: int
    marks: int
    attendance: int


@dataclass(frozen=True)
class MarkHistoryEntry:
    changed_at: str
    changed_by: str | None
    old_value: str | None
    new_value: str | None


def _lesson_view(row: Lesson) -> LessonView:
    return LessonView(row.id, row.assignment_id, row.day, row.number, row.topic, row.homework,
                      row.attendance_taken, row.version)


def _mark_view(row: Mark) -> MarkView:
    return MarkView(row.id, row.lesson_id, row.student_id, row.value, row.work_type_id, row.version)


def get_lesson(uow: UnitOfWork, lesson_id: int) -> Lesson:
    row = uow.session.get(Lesson, lesson_id)
    if row is None or row.school_id != uow.school_id or row.deleted_at is not None:
        raise NotFound(f"Урок № {lesson_id} не найден (или удалён)")
    return row


def impact(uow: UnitOfWork, lesson_ids: Iterable[int]) -> tuple[int, int]:
    """(live marks, attendance records) held by the lessons."""
    ids = list(lesson_ids)
    if not ids:
        return 0, 0
    marks = uow.session.scalar(select(func.count()).select_from(Mark).where(
        Mark.lesson_id.in_(ids), Mark.deleted_at.is_(None))) or 0
    attendance = uow.session.scalar(select(func.count()).select_from(Attendance).where(
        Attendance.lesson_id.in_(ids))) or 0
    return int(marks), int(attendance)


def _period(uow: UnitOfWork, assignment: TeachingAssignment, today: date, term_id: int | None,
            start: date | None, end: date | None) -> tuple[date, date, Term | None]:
    """The journal's period: the given term, or the dates, or the term holding today, else the whole year."""
    year = year_of(uow, assignment)
    if term_id is not None:
        term = uow.session.get(Term, term_id)
        if term is None or term.year_id != year.id:
            raise NotFound(f"Четверть (период) № {term_id} не найдена в учебном году {year.name}")
        return term.start_date, term.end_date, term
    if start is not None or end is not None:
        return start or year.start_date, end or year.end_date, None
    school_class = uow.session.get(SchoolClass, assignment.class_id)
    kind = _settings(uow).term_kind_for(school_class.parallel if school_class else 0)
    term = uow.session.scalar(select(Term).where(Term.year_id == year.id, Term.kind == kind,
                                                 Term.start_date <= today, Term.end_date >= today))
    if term is not None:
        return term.start_date, term.end_date, term
    return year.start_date, year.end_date, None


def _students(uow: UnitOfWork, class_id: int, start: date, end: date) -> list[StudentRow]:
    rows = uow.session.execute(
        select(Person.id, Person.last_name, Person.first_name, Person.middle_name, Enrolment.start_date,
               Enrolment.end_date)
        .join(Enrolment, Enrolment.person_id == Person.id)
        .where(Enrolment.class_id == class_id, Enrolment.start_date <= end,
               or_(Enrolment.end_date.is_(None), Enrolment.end_date >= start))
        .order_by(Person.name_key, Person.id, Enrolment.start_date))
    seen: dict[int, StudentRow] = {}
    for pid, last, first, middle, s, e in rows:
        if pid not in seen:  # two stints in the same class in one period: one row from the first start
            seen[pid] = StudentRow(pid, full_name(last, first, middle), s, e)
    return list(seen.values())


def _earlier_marks(uow: UnitOfWork, assignment: TeachingAssignment, students: list[int], start: date,
                   end: date) -> dict[int, list[EarlierMark]]:
    """The students' marks in the assignment's subject from lessons of other classes in the period (one query)."""
    result: dict[int, list[EarlierMark]] = {}
    if not students:
        return result
    rows = uow.session.execute(
        select(Mark.student_id, Lesson.day, Mark.value, SchoolClass.name, Mark.work_type_id)
        .join(Lesson, Lesson.id == Mark.lesson_id)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(SchoolClass, SchoolClass.id == Lesson.class_id)
        .where(Mark.student_id.in_(students), Mark.deleted_at.is_(None), Lesson.deleted_at.is_(None),
               Lesson.class_id != assignment.class_id, TeachingAssignment.subject_id == assignment.subject_id,
               Lesson.day >= start, Lesson.day <= end)
        .order_by(Mark.student_id, Lesson.day, Lesson.number, Mark.id))
    for student_id, day, value, class_name, work_type_id in rows:
        result.setdefault(student_id, []).append(EarlierMark(day, value, class_name, work_type_id))
    return result


def subgroup_students(uow: UnitOfWork, assignment: TeachingAssignment,
                      students: list[StudentRow]) -> tuple[list[StudentRow], bool, int]:
    """The students of a subgroup journal (one query): (its members — the whole class while the class is not
    split in the subject yet —, whether it is not split yet, how many students of the class are in no subgroup).
    A whole-class assignment keeps every student."""
    if assignment.subgroup is None:
        return students, False, 0
    members = memberships(uow, assignment.class_id, assignment.subject_id)
    if not members:
        return students, True, 0
    return ([s for s in students if in_subgroup(assignment, members, s.id)], False,
            sum(1 for s in students if s.id not in members))


def _require_student(uow: UnitOfWork, student_id: int, lesson: Lesson, assignment: TeachingAssignment) -> None:
    if not enrolled_on(uow, student_id, lesson.class_id, lesson.day):
        raise ValidationFailed([Problem("student_id", "not_enrolled", f"Ученик № {student_id} не учился в этом "
                                                                      f"классе {format_date(lesson.day)}")])
    require_own_subgroup(uow, assignment, student_id)


def _lost_first_mark(uow: UnitOfWork, student_id: int, number: int, day: date, work: str) -> str:
    """The refusal of a first mark another session saved meanwhile; names the student, lesson and kind of work.
    The failed transaction is rolled back first (nothing more can be read in it)."""
    uow.session.rollback()
    student = uow.session.get(Person, student_id)
    name = full_name(student.last_name, student.first_name, student.middle_name) if student else f"№ {student_id}"
    return (f"Отметка ученика {name} за урок {number} {format_date(day)} ({work}): её только что поставил другой "
            "пользователь; загрузите журнал заново и повторите правку")


def _lesson_number(number: object) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_LESSON_NUMBER:
        raise ValidationFailed([Problem("number", "out_of_range", f"Номер урока: «{number}» — ожидается число "
                                                                  f"от 1 до {MAX_LESSON_NUMBER}")])
    return number


def _texts(topic: str | None, homework: str | None) -> tuple[str | None, str | None]:
    clean_topic, problems = clean_label(topic, "topic", "Тема урока", max_len=500)
    clean_homework, more = clean_multiline(homework, "homework", max_len=4000)
    refuse(problems + relabel(more, "homework", "Домашнее задание"))
    return clean_topic, clean_homework


class JournalService(Service):
    """Lessons, marks and attendance of the class journals."""

    area = "journal"

    @service("journal.read", "journal.write", write=False)
    def list_journals(self, uow: UnitOfWork, year_id: int | None = None) -> list[JournalEntry]:
        """The journals the actor may open: their own assignments (and, for a class teacher, every subject of
        their class) or, with journal.read, every class; in the year given or every open year."""
        from zhurnal.core.models import AcademicYear

        query = (select(TeachingAssignment, SchoolClass, Subject.name, Person)
                 .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
                 .join(Subject, Subject.id == TeachingAssignment.subject_id)
                 .join(Person, Person.id == TeachingAssignment.teacher_id)
                 .join(AcademicYear, AcademicYear.id == TeachingAssignment.year_id)
                 .where(TeachingAssignment.school_id == uow.school_id, TeachingAssignment.deleted_at.is_(None)))
        query = query.where(AcademicYear.id == year_id) if year_id is not None else \
            query.where(AcademicYear.status != "closed")
        actor = uow.actor
        if "journal.read" not in actor.actions:
            me = actor.person_id if actor.person_id is not None else -1
            query = query.where(or_(TeachingAssignment.teacher_id == me, SchoolClass.class_teacher_id == me))
        from zhurnal.core.services.classes import letter_order

        found = []
        for a, c, subject_name, p in uow.session.execute(query):
            writable = a.teacher_id == actor.person_id and "journal.write" in actor.actions
            found.append(((c.parallel, letter_order(c.letter), subject_name, a.subgroup or "", a.id),
                          JournalEntry(a.id, c.id, c.name, subject_name, a.subgroup,
                                       full_name(p.last_name, p.first_name, p.middle_name), writable)))
        found.sort(key=lambda pair: pair[0])
        return [entry for _, entry in found]

    @service("journal.read", "journal.write", write=False)
    def open(self, uow: UnitOfWork, assignment_id: int, *, term_id: int | None = None, start: date | None = None,
             end: date | None = None, today: date | None = None) -> JournalView:
        """The grid of one assignment for a term (default: the term holding today) or a date range."""
        day = today or date.today()
        assignment = get_assignment_any(uow, assignment_id)
        writable = scope(uow, assignment, write=False).writable
        year = year_of(uow, assignment)
        first, last, term = _period(uow, assignment, day, term_id, start, end)
        school_class = uow.session.get(SchoolClass, assignment.class_id)
        subject = uow.session.get(Subject, assignment.subject_id)
        teacher = uow.session.get(Person, assignment.teacher_id)
        assert school_class is not None and subject is not None and teacher is not None
        lessons = list(uow.session.scalars(select(Lesson).where(
            Lesson.assignment_id == assignment.id, Lesson.deleted_at.is_(None), Lesson.day >= first,
            Lesson.day <= last).order_by(Lesson.day, Lesson.number, Lesson.id)))
        ids = [lesson.id for lesson in lessons]
        marks = [] if not ids else [_mark_view(m) for m in uow.session.scalars(select(Mark).where(
            Mark.lesson_id.in_(ids), Mark.deleted_at.is_(None)).order_by(Mark.lesson_id, Mark.id))]
        attendance = {} if not ids else {(lesson_id, student_id): status for lesson_id, student_id, status in
                                         uow.session.execute(select(Attendance.lesson_id, Attendance.student_id,
                                                                    Attendance.status)
                                                             .where(Attendance.lesson_id.in_(ids)))}
        term_marks: dict[int, str] = {}
        if term is not None:
            term_marks = dict(uow.session.execute(select(TermMark.student_id, TermMark.value).where(
                TermMark.year_id == year.id, TermMark.subject_id == assignment.subject_id,
                TermMark.term_kind == term.kind, TermMark.term_number == term.number,
                TermMark.class_id == assignment.class_id)).all())
        settings = _settings(uow)
        work_types = [WorkTypeView(w.id, w.name, float(w.weight), w.is_default) for w in uow.session.scalars(
            select(WorkType).where(WorkType.school_id == uow.school_id, WorkType.archived.is_(False))
            .order_by(WorkType.id))]
        students = _students(uow, school_class.id, first, last)
        students, unset, unplaced = subgroup_students(uow, assignment, students)
        return JournalView(
            assignment.id, school_class.id, school_class.name, subject.id, subject.name,
            full_name(teacher.last_name, teacher.first_name, teacher.middle_name), assignment.subgroup, year.id,
            first, last, term.id if term else None, term.name if term else None,
            writable and year.status != "closed", lock_date(settings, day),
            students, [_lesson_view(lesson) for lesson in lessons], marks, attendance, term_marks, work_types,
            allowed_values(settings), _earlier_marks(uow, assignment, [s.id for s in students], first, last),
            unset, unplaced)

    @service("journal.write")
    def add_lesson(self, uow: UnitOfWork, assignment_id: int, day: date, number: int, topic: str | None = None,
                   homework: str | None = None, *, today: date | None = None) -> LessonView:
        """Add a lesson to the teacher's own assignment (inside its academic year)."""
        assignment = get_assignment_any(uow, assignment_id)
        scope(uow, assignment, write=True)
        year = year_of(uow, assignment)
        require_year_open(year, "assignment_id")
        if not year.start_date <= day <= year.end_date:
            raise ValidationFailed([Problem("day", "out_of_range", f"Дата урока: {format_date(day)} вне учебного "
                                                                   f"года {year.name}")])
        number = _lesson_number(number)
        clean_topic, clean_homework = _texts(topic, homework)
        self._refuse_twin(uow, assignment.id, day, number, None)
        row = Lesson(school_id=uow.school_id, assignment_id=assignment.id, class_id=assignment.class_id, day=day,
                     number=number, topic=clean_topic, homework=clean_homework, subgroup=assignment.subgroup,
                     created_by=uow.actor.user_id)
        uow.session.add(row)
        flush(uow, "Урок")
        when = today or date.today()
        for kind, text in (("topic", clean_topic), ("homework", clean_homework)):
            if text:
                record_activity(uow, kind, when, lesson=row)
        uow.audit("lesson.create", object_type="lesson", object_id=row.id, fields=["day", "number"])
        return _lesson_view(row)

    @staticmethod
    def _refuse_twin(uow: UnitOfWork, assignment_id: int, day: date, number: int, lesson_id: int | None) -> None:
        twin = uow.session.scalar(select(Lesson.id).where(
            Lesson.assignment_id == assignment_id, Lesson.day == day, Lesson.number == number,
            Lesson.deleted_at.is_(None), Lesson.id != (lesson_id or -1)).limit(1))
        if twin is not None:
            raise Conflict(f"Урок {number} на {format_date(day)} уже есть в этом журнале")

    @service("journal.write")
    def update_lesson(self, uow: UnitOfWork, lesson_id: int, expected_version: int, *, topic: str | None,
                      homework: str | None, day: date | None = None, number: int | None = None,
                      today: date | None = None) -> tuple[LessonView, LessonImpact]:
        """Change a lesson's topic and homework, or move it to another date or number; the report says how
        many marks and attendance records moved with it."""
        row = get_lesson(uow, lesson_id)
        assignment = get_assignment_any(uow, row.assignment_id)
        scope(uow, assignment, write=True)
        year = year_of(uow, assignment)
        require_year_open(year)
        check_version(row, expected_version, "Урок")
        clean_topic, clean_homework = _texts(topic, homework)
        changed: list[str] = []
        when = today or date.today()
        new_day, new_number = day or row.day, _lesson_number(number) if number is not None else row.number
        if (new_day, new_number) != (row.day, row.number):
            if not year.start_date <= new_day <= year.end_date:
                raise ValidationFailed([Problem("day", "out_of_range", f"Дата урока: {format_date(new_day)} вне "
                                                                       f"учебного года {year.name}")])
            old_day = row.day
            if new_day != old_day:
                require_unlocked(uow, row, max(when, old_day), "day")  # a locked lesson's marks stay put
            self._refuse_twin(uow, row.assignment_id, new_day, new_number, row.id)
            changed += [f for f, old, new in (("day", row.day, new_day), ("number", row.number, new_number))
                        if old != new]
            row.day, row.number = new_day, new_number
            if new_day != old_day and (any(impact(uow, [row.id])) or row.attendance_taken):
                # ...and none carries marks or attendance onto a locked date (an empty one moves like a new
                # lesson is added; on refusal the unit of work rolls the move back).
                require_unlocked(uow, row, max(when, new_day), "day")
        for field, kind, value in (("topic", "topic", clean_topic), ("homework", "homework", clean_homework)):
            if getattr(row, field) != value:
                setattr(row, field, value)
                changed.append(field)
                if value:
                    record_activity(uow, kind, when, lesson=row)
        marks, attendance = impact(uow, [row.id])
        if changed:
            flush(uow, "Урок")
            uow.audit("lesson.update", object_type="lesson", object_id=row.id, fields=changed,
                      detail=f"marks={marks} attendance={attendance}" if {"day", "number"} & set(changed) else None)
        return _lesson_view(row), LessonImpact(row.id, marks, attendance)

    @service("journal.read", "journal.write", write=False)
    def lesson_impact(self, uow: UnitOfWork, lesson_id: int) -> LessonImpact:
        """How many marks and attendance records a lesson holds (shown before moving or removing it)."""
        row = get_lesson(uow, lesson_id)
        scope(uow, get_assignment_any(uow, row.assignment_id), write=False)
        marks, attendance = impact(uow, [row.id])
        return LessonImpact(row.id, marks, attendance)

    @service("journal.write")
    def remove_lesson(self, uow: UnitOfWork, lesson_id: int, expected_version: int, *,
                      today: date | None = None) -> LessonImpact:
        """Soft-delete a lesson: it and what it holds leave the grid, and stay in the store. A lesson behind
        the grade-entry lock holding marks or attendance stays (they would leave the averages) unless an
        exception lets it in."""
        row = get_lesson(uow, lesson_id)
        scope(uow, get_assignment_any(uow, row.assignment_id), write=True)
        require_year_open(year_of(uow, get_assignment_any(uow, row.assignment_id)))
        check_version(row, expected_version, "Урок")
        marks, attendance = impact(uow, [row.id])
        if marks or attendance or row.attendance_taken:  # an empty lesson goes as freely as it was added
            require_unlocked(uow, row, max(today or date.today(), row.day))  # a future lesson holds nothing yet
        row.deleted_at = utcnow()
        flush(uow, "Урок")
        uow.audit("lesson.remove", object_type="lesson", object_id=row.id, fields=["deleted_at"],
                  detail=f"marks={marks} attendance={attendance}")
        return LessonImpact(row.id, marks, attendance)

    @service("journal.write")
    def set_mark(self, uow: UnitOfWork, lesson_id: int, student_id: int, value: str | None,
                 work_type_id: int | None = None, *, today: date | None = None) -> MarkView | None:
        """Put, change or (with an empty value) remove a student's mark for a kind of work in a lesson.

        Each change appends to the mark's history; a removed mark is soft-deleted. Returns the mark, or None
        once removed (or when there was nothing to remove). A first mark another session put in the same cell
        meanwhile is refused (Conflict naming the student, lesson and kind of work), as a stale version is.
        """
        when = today or date.today()
        lesson = get_lesson(uow, lesson_id)
        assignment = get_assignment_any(uow, lesson.assignment_id)
        scope(uow, assignment, write=True)
        require_year_open(year_of(uow, assignment))
        require_unlocked(uow, lesson, when)
        _require_student(uow, student_id, lesson, assignment)
        work_types = ensure_work_types(uow)
        if work_type_id is None:
            work_type = next((w for w in work_types if w.is_default), work_types[0])
        else:
            found = next((w for w in work_types if w.id == work_type_id), None)
            if found is None or found.archived:
                raise ValidationFailed([Problem("work_type_id", "not_found", f"Вид работы № {work_type_id} не "
                                                                             "найден")])
            work_type = found
        clean = clean_mark(value, _settings(uow)) if value and value.strip() else None
        row = uow.session.scalar(select(Mark).where(
            Mark.lesson_id == lesson.id, Mark.student_id == student_id, Mark.work_type_id == work_type.id,
            Mark.deleted_at.is_(None)))
        old = row.value if row is not None else None
        if old == clean:
            return _mark_view(row) if row is not None else None
        now = utcnow()
        if row is None:
            assert clean is not None
            row = Mark(school_id=uow.school_id, lesson_id=lesson.id, student_id=student_id,
                       work_type_id=work_type.id, value=clean, entered_by=uow.actor.user_id, entered_at=now)
            uow.session.add(row)
            cell = (lesson.number, lesson.day, work_type.name)  # named in a refusal, read while readable
            try:
                uow.session.flush()
            except IntegrityError as exc:
                # uq_marks_live: another session put this cell's first mark between our look-up and our insert
                # (PostgreSQL; SQLite runs writers one after another). Refused like a stale version: the
                # teacher sees the winner's mark on reloading and decides, nothing is overwritten unseen.
                raise Conflict(_lost_first_mark(uow, student_id, *cell)) from exc
        elif clean is None:
            row.deleted_at = now
        else:
            row.value, row.entered_by, row.entered_at = clean, uow.actor.user_id, now
        flush(uow, "Отметка")
        uow.session.add(MarkHistory(mark_id=row.id, changed_by=uow.actor.user_id, changed_at=now, old_value=old,
                                    new_value=clean))
        record_activity(uow, "mark", when, lesson=lesson)
        action = "mark.create" if old is None else ("mark.remove" if clean is None else "mark.update")
        uow.audit(action, object_type="mark", object_id=row.id, person_id=student_id, fields=["value"])
        return None if clean is None else _mark_view(row)

    @service("journal.read", "journal.write", write=False)
    def mark_history(self, uow: UnitOfWork, mark_id: int) -> list[MarkHistoryEntry]:
        """Every change of one mark, oldest first: who, when, the old and the new value."""
        from zhurnal.core.models import User

        mark = uow.session.get(Mark, mark_id)
        if mark is None or mark.school_id != uow.school_id:
            raise NotFound(f"Отметка № {mark_id} не найдена")
        lesson = uow.session.get(Lesson, mark.lesson_id)
        assert lesson is not None
        scope(uow, get_assignment_any(uow, lesson.assignment_id), write=False)
        rows = uow.session.execute(select(MarkHistory, User.login).outerjoin(User, User.id == MarkHistory.changed_by)
                                   .where(MarkHistory.mark_id == mark.id).order_by(MarkHistory.id))
        return [MarkHistoryEntry(h.changed_at.isoformat(timespec="seconds"), login, h.old_value, h.new_value)
                for h, login in rows]

    @service("journal.write")
    def set_attendance(self, uow: UnitOfWork, lesson_id: int, student_id: int, status: str, *,
                       today: date | None = None) -> str:
        """Record one student's attendance status for a lesson; the lesson counts as having attendance taken."""
        when = today or date.today()
        if status not in ATTENDANCE_STATUSES:
            raise ValidationFailed([Problem("status", "bad_value", f"Посещаемость: «{status}» — допустимы "
                                                                   f"{', '.join(ATTENDANCE_STATUSES)}")])
        lesson = get_lesson(uow, lesson_id)
        assignment = get_assignment_any(uow, lesson.assignment_id)
        scope(uow, assignment, write=True)
        require_year_open(year_of(uow, assignment))
        require_unlocked(uow, lesson, when)
        _require_student(uow, student_id, lesson, assignment)
        row = uow.session.scalar(select(Attendance).where(Attendance.lesson_id == lesson.id,
                                                          Attendance.student_id == student_id))
        if row is not None and row.status == status and lesson.attendance_taken:
            return status
        old = row.status if row is not None else None
        if row is None:
            uow.session.add(Attendance(school_id=uow.school_id, lesson_id=lesson.id, student_id=student_id,
                                       status=status, entered_by=uow.actor.user_id))
        else:
            row.status, row.entered_by, row.entered_at = status, uow.actor.user_id, utcnow()
        lesson.attendance_taken = True
        flush(uow, "Посещаемость")
        record_activity(uow, "attendance", when, lesson=lesson)
        # The field's name only: a child's attendance status is personal data and stays out of the trail.
        uow.audit("attendance.set", object_type="lesson", object_id=lesson.id, person_id=student_id,
                  fields=["status"], detail=None if old is None else "changed")
        return status

    @service("journal.write")
    def take_attendance(self, uow: UnitOfWork, lesson_id: int, *, today: date | None = None) -> LessonView:
        """Mark the lesson's attendance as taken: everyone without a status was present."""
        when = today or date.today()
        lesson = get_lesson(uow, lesson_id)
        assignment = get_assignment_any(uow, lesson.assignment_id)
        scope(uow, assignment, write=True)
        require_year_open(year_of(uow, assignment))
        require_unlocked(uow, lesson, when)
        if not lesson.attendance_taken:
            lesson.attendance_taken = True
            flush(uow, "Урок")
            record_activity(uow, "attendance", when, lesson=lesson)
            uow.audit("attendance.take", object_type="lesson", object_id=lesson.id, fields=["attendance_taken"])
        return _lesson_view(lesson)

