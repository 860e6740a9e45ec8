"""The diary: what a student (or a parent, for each of their children) reads — lessons by day with topic,
homework, marks and attendance, and the term marks. Read-only; each view is an activity event."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select

from zhurnal.core.errors import NotFound, PermissionDenied
from zhurnal.core.models import (
    AcademicYear,
    Attendance,
    Enrolment,
    Guardianship,
    Lesson,
    Mark,
    Person,
    SchoolClass,
    Subject,
    TeachingAssignment,
    Term,
    TermMark,
    WorkType,
)
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import active_on, full_name
from zhurnal.core.services.journal_rules import record_activity
from zhurnal.core.uow import UnitOfWork


@dataclass(frozen=True)
class DiaryChild:
    """A student whose diary the actor reads: themself, or a child of a parent."""

    student_id: int
    full_name: str
    class_name: str | None  # on the day asked
    class_id: int | None


@dataclass(frozen=True)
class DiaryMark:
    value: str
    work_type: str


@dataclass(frozen=True)
class DiaryLesson:
    day: date
    number: int
    subject: str
    topic: str | None
    homework: str | None
    marks: tuple[DiaryMark, ...]
    attendance: str | None  # None: not recorded (or present once attendance was taken: "present")


@dataclass(frozen=True)
class DiaryTermMark:
    subject: str
    term_kind: str
    term_number: int
    value: str


@dataclass(frozen=True)
class DiaryWeek:
    student: DiaryChild
    start: date  # Monday
    end: date  # Sunday
    lessons: list[DiaryLesson]
    term_marks: list[DiaryTermMark]


def _child(uow: UnitOfWork, student_id: int, day: date) -> DiaryChild:
    """The actor's own diary or their child's; PermissionDenied (audited by the service) for anyone else."""
    child = next((c for c in _children(uow, day) if c.student_id == student_id), None)
    if child is None:
        raise PermissionDenied("diary.read", "Недостаточно прав: это не ваш дневник и не дневник вашего ребёнка")
    return child


def _children(uow: UnitOfWork, day: date) -> list[DiaryChild]:
    actor = uow.actor
    if actor.person_id is None:
        return []
    ids: list[int] = []
    if "student" in actor.roles:
        ids.append(actor.person_id)
    if "parent" in actor.roles:
        ids += list(uow.session.scalars(select(Guardianship.student_id).where(
            Guardianship.parent_id == actor.person_id, active_on(Guardianship, day))
            .order_by(Guardianship.student_id)))
    found = []
    for student_id in dict.fromkeys(ids):
        person = uow.session.get(Person, student_id)
        if person is None:
            continue
        row = uow.session.execute(select(SchoolClass.id, SchoolClass.name).join(
            Enrolment, Enrolment.class_id == SchoolClass.id).where(
            Enrolment.person_id == student_id, active_on(Enrolment, day)).limit(1)).first()
        found.append(DiaryChild(student_id, full_name(person.last_name, person.first_name, person.middle_name),
                                row[1] if row else None, row[0] if row else None))
    return found


class DiaryService(Service):
    """The read-only diary of a student, for the student and their parents."""

    area = "diary"

    @service("diary.read", write=False)
    def children(self, uow: UnitOfWork, *, today: date | None = None) -> list[DiaryChild]:
        """Whose diaries the actor reads: themself (a student) or each child under their guardianship now."""
        return _children(uow, today or date.today())

    @service("diary.read")
    def week(self, uow: UnitOfWork, student_id: int, day: date, *, today: date | None = None) -> DiaryWeek:
        """The week (Monday to Sunday) holding `day`: every lesson of the student's classes then, with the
        student's marks and attendance, and the term marks confirmed so far in that academic year."""
        when = today or date.today()
        child = _child(uow, student_id, when)
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=6)
        enrolments = list(uow.session.execute(select(Enrolment.class_id, Enrolment.start_date, Enrolment.end_date)
                                              .where(Enrolment.person_id == student_id,
                                                     Enrolment.start_date <= end,
                                                     or_(Enrolment.end_date.is_(None), Enrolment.end_date >= start))))
        lessons: list[tuple[Lesson, str]] = []
        for class_id, first, last in enrolments:
            rows = uow.session.execute(
                select(Lesson, Subject.name).join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
                .join(Subject, Subject.id == TeachingAssignment.subject_id)
                .where(Lesson.class_id == class_id, Lesson.deleted_at.is_(None),
                       Lesson.day >= max(start, first), Lesson.day <= min(end, last or end)))
            lessons += [(lesson, name) for lesson, name in rows]
        ids = [lesson.id for lesson, _ in lessons]
        marks: dict[int, list[DiaryMark]] = defaultdict(list)
        attendance: dict[int, str] = {}
        if ids:
            for lesson_id, value, work_type in uow.session.execute(
                    select(Mark.lesson_id, Mark.value, WorkType.name).join(WorkType, WorkType.id == Mark.work_type_id)
                    .where(Mark.lesson_id.in_(ids), Mark.student_id == student_id, Mark.deleted_at.is_(None))
                    .order_by(Mark.id)):
                marks[lesson_id].append(DiaryMark(value, work_type))
            attendance = dict(uow.session.execute(select(Attendance.lesson_id, Attendance.status).where(
                Attendance.lesson_id.in_(ids), Attendance.student_id == student_id)).all())
        items = sorted((DiaryLesson(lesson.day, lesson.number, name, lesson.topic, lesson.homework,
                                    tuple(marks.get(lesson.id, ())),
                                    attendance.get(lesson.id, "present" if lesson.attendance_taken else None))
                        for lesson, name in lessons), key=lambda item: (item.day, item.number, item.subject))
        year_id = uow.session.scalar(select(AcademicYear.id).where(
            AcademicYear.school_id == uow.school_id, AcademicYear.start_date <= day, AcademicYear.end_date >= day))
        terms = [] if year_id is None else [
            DiaryTermMark(subject, kind, number, value) for subject, kind, number, value in uow.session.execute(
                select(TermMark.subject_name, TermMark.term_kind, TermMark.term_number, TermMark.value).where(
                    TermMark.student_id == student_id, TermMark.year_id == year_id)
                .order_by(TermMark.subject_name, TermMark.term_number))]
        record_activity(uow, "diary_view", when, class_id=child.class_id)
        return DiaryWeek(child, start, end, items, terms)

    @service("diary.read", write=False)
    def terms(self, uow: UnitOfWork, student_id: int, *, today: date | None = None) -> list[tuple[str, date, date]]:
        """(name, start, end) of the terms of the student's current year, to move the diary by term."""
        when = today or date.today()
        child = _child(uow, student_id, when)
        if child.class_id is None:
            raise NotFound("Ученик сейчас не учится ни в одном классе")
        school_class = uow.session.get(SchoolClass, child.class_id)
        assert school_class is not None
        from zhurnal.core.services.settings import _settings

        kind = _settings(uow).term_kind_for(school_class.parallel)
        return [(t.name, t.start_date, t.end_date) for t in uow.session.scalars(
            select(Term).where(Term.year_id == school_class.year_id, Term.kind == kind).order_by(Term.number))]
