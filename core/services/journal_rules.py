"""Rules the journal services share: who may read or keep which journal, the grade-entry lock, mark values,
work types, and recording activity events for the quarterly report.

Scopes (docs/permissions.md): a teacher keeps the journal of their own teaching assignments; a class teacher
also reads every subject of their own class; holders of `journal.read` beyond that (administrator, deputy,
auditor) read every class of the school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from zhurnal.core import activity
from zhurnal.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import (
    AcademicYear,
    Enrolment,
    Lesson,
    LockException,
    Person,
    SchoolClass,
    SubgroupMember,
    TeachingAssignment,
    WorkType,
)
from zhurnal.core.services.classes import active_on, full_name
from zhurnal.core.services.settings import SchoolSettings, _settings
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, format_date

NOT_AVAILABLE = "н/а"
PASS, FAIL = "зач", "незач"
# The work types a school starts with (name, weight, default); the school edits them in settings.
DEFAULT_WORK_TYPES = (("Работа на уроке", Decimal("1"), True), ("Домашняя работа", Decimal("1"), False),
                      ("Самостоятельная работа", Decimal("1.5"), False),
                      ("Проверочная работа", Decimal("1.5"), False), ("Контрольная работа", Decimal("2"), False))


@dataclass(frozen=True)
class Scope:
    """What the actor may do with one assignment's journal."""

    writable: bool
    reason: str  # "teacher" | "class_teacher" | "school"


def get_assignment_any(uow: UnitOfWork, assignment_id: int) -> TeachingAssignment:
    """The assignment (live or removed: its journal stays readable) of the acting user's school."""
    row = uow.session.get(TeachingAssignment, assignment_id)
    if row is None or row.school_id != uow.school_id:
        raise NotFound(f"Назначение № {assignment_id} не найдено")
    return row


def scope(uow: UnitOfWork, assignment: TeachingAssignment, *, write: bool) -> Scope:
    """The actor's access to the assignment's journal; PermissionDenied when it has none (or only reads and
    `write` is asked)."""
    actor = uow.actor
    own = actor.person_id is not None and actor.person_id == assignment.teacher_id
    if own and "journal.write" in actor.actions and assignment.deleted_at is None:
        return Scope(True, "teacher")
    if write:
        action = "journal.write"
        if assignment.deleted_at is not None:
            raise PermissionDenied(action, "Назначение снято: его журнал только для чтения")
        raise PermissionDenied(action, "Недостаточно прав: журнал этого предмета ведёт другой учитель")
    if "journal.read" in actor.actions:
        return Scope(False, "school")
    if own and "journal.write" in actor.actions:
        return Scope(False, "teacher")  # a removed assignment: its teacher still reads it
    school_class = uow.session.get(SchoolClass, assignment.class_id)
    if (school_class is not None and actor.person_id is not None and "journal.write" in actor.actions
            and school_class.class_teacher_id == actor.person_id):
        return Scope(False, "class_teacher")
    raise PermissionDenied("journal.read", "Недостаточно прав: это журнал чужого класса")


def year_of(uow: UnitOfWork, assignment: TeachingAssignment) -> AcademicYear:
    year = uow.session.get(AcademicYear, assignment.year_id)
    assert year is not None
    return year


def require_year_open(year: AcademicYear, field: str = "lesson_id") -> None:
    if year.status == "closed":
        raise ValidationFailed([Problem(field, "closed", f"Учебный год {year.name} закрыт: журнал только для "
                                                         "чтения")])


def lock_date(settings: SchoolSettings, today: date) -> date | None:
    """Lessons before this date are closed for marks and attendance; None when the school sets no lock."""
    if settings.grade_lock_days <= 0:
        return None
    return today - timedelta(days=settings.grade_lock_days)


def exception_covers(uow: UnitOfWork, assignment_id: int, day: date, today: date) -> bool:
    """Whether an approved, still valid lock exception lets the teacher change marks of `day`."""
    found = uow.session.scalar(select(LockException.id).where(
        LockException.assignment_id == assignment_id, LockException.status == "approved",
        LockException.from_day <= day, LockException.to_day >= day,
        LockException.valid_until >= today).limit(1))
    return found is not None


def require_unlocked(uow: UnitOfWork, lesson: Lesson, today: date, field: str = "lesson_id") -> None:
    """Refuse a change to a lesson in the future or behind the grade-entry lock (unless an exception lets it)."""
    if lesson.day > today:
        raise ValidationFailed([Problem(field, "future", f"Урок {format_date(lesson.day)} ещё не прошёл: "
                                                         "отметки и посещаемость ставят в день урока или позже")])
    locked_before = lock_date(_settings(uow), today)
    if locked_before is not None and lesson.day < locked_before \
            and not exception_covers(uow, lesson.assignment_id, lesson.day, today):
        raise ValidationFailed([Problem(field, "locked", f"Урок {format_date(lesson.day)} закрыт для "
                                                         f"изменений (срок — до {format_date(locked_before)}); "
                                                         "попросите разрешение у администрации")])


def allowed_values(settings: SchoolSettings) -> tuple[str, ...]:
    """Every mark the school's scale allows, in the order the scale lists them."""
    scale = settings.grading_scale
    extra = ((NOT_AVAILABLE,) if scale.allow_na else ()) + ((PASS, FAIL) if scale.pass_fail else ())
    return tuple(scale.marks) + extra


def clean_mark(value: str, settings: SchoolSettings, field: str = "value") -> str:
    """The mark as the scale spells it ("н/а" also from "на", case folded); ValidationFailed otherwise."""
    text = (value or "").strip()
    allowed = allowed_values(settings)
    folded = {v.casefold(): v for v in allowed}
    if settings.grading_scale.allow_na:
        folded.setdefault("на", NOT_AVAILABLE)
        folded.setdefault("n/a", NOT_AVAILABLE)
    found = folded.get(text.casefold())
    if found is None:
        raise ValidationFailed([Problem(field, "bad_value", f"Отметка «{text}» не из шкалы школы; допустимы: "
                                                            f"{', '.join(allowed)}")])
    return found


def numeric(value: str) -> Decimal | None:
    """The number a mark counts as in averages; None for н/а, pass/fail and anything else."""
    try:
        return Decimal(value.replace(",", "."))
    except ArithmeticError:
        return None


def ensure_work_types(uow: UnitOfWork) -> list[WorkType]:
    """The school's work types, creating the defaults the first time anything needs them."""
    rows = list(uow.session.scalars(select(WorkType).where(WorkType.school_id == uow.school_id)
                                    .order_by(WorkType.id)))
    if rows:
        return rows
    for name, weight, default in DEFAULT_WORK_TYPES:
        uow.session.add(WorkType(school_id=uow.school_id, name=name, weight=weight, is_default=default))
    uow.session.flush()
    return list(uow.session.scalars(select(WorkType).where(WorkType.school_id == uow.school_id)
                                    .order_by(WorkType.id)))


def enrolled_on(uow: UnitOfWork, student_id: int, class_id: int, day: date) -> bool:
    found = uow.session.scalar(select(Enrolment.id).where(
        Enrolment.person_id == student_id, Enrolment.class_id == class_id, active_on(Enrolment, day)).limit(1))
    return found is not None


def record_activity(uow: UnitOfWork, kind: str, today: date, *, class_id: int | None = None,
                    lesson: Lesson | None = None) -> None:
    """Append one activity event for the acting user (none for the system actor, which is not a person)."""
    if uow.actor.user_id is None:
        return
    activity.record(uow.session, school_id=uow.school_id, user_id=uow.actor.user_id, kind=kind, day=today,
                    class_id=class_id if lesson is None else lesson.class_id,
                    lesson_id=lesson.id if lesson is not None else None,
                    lesson_day=lesson.day if lesson is not None else None)


def memberships(uow: UnitOfWork, class_id: int, subject_id: int) -> dict[int, str]:
    """Student id -> their subgroup in the class's subject; empty while the class is not split yet."""
    rows = uow.session.execute(select(SubgroupMember.student_id, SubgroupMember.subgroup).where(
        SubgroupMember.class_id == class_id, SubgroupMember.subject_id == subject_id))
    return {student_id: subgroup for student_id, subgroup in rows}


def in_subgroup(assignment: TeachingAssignment, members: dict[int, str], student_id: int) -> bool:
    """Whether the student belongs in the assignment's journal as far as subgroups go: always for a whole-class
    assignment or a class not split yet, else when placed in the assignment's subgroup."""
    return assignment.subgroup is None or not members or members.get(student_id) == assignment.subgroup


def require_own_subgroup(uow: UnitOfWork, assignment: TeachingAssignment, student_id: int,
                         field: str = "student_id") -> None:
    """Refuse a mark, attendance or term mark of a subgroup journal for a student of another subgroup."""
    if assignment.subgroup is None:
        return
    other = uow.session.scalar(select(SubgroupMember.subgroup).where(
        SubgroupMember.class_id == assignment.class_id, SubgroupMember.subject_id == assignment.subject_id,
        SubgroupMember.student_id == student_id))
    if other is None or other == assignment.subgroup:
        return
    person = uow.session.get(Person, student_id)
    name = full_name(person.last_name, person.first_name, person.middle_name) if person else f"№ {student_id}"
    raise ValidationFailed([Problem(field, "other_subgroup", f"Ученик {name} занимается в подгруппе «{other}», а "
                                                             f"этот журнал — подгруппы «{assignment.subgroup}»")])
