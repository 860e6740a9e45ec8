"""Teaching assignments: who teaches which subject to which class (or subgroup of it) in a year.

Assignments are never deleted: removing one sets `deleted_at`, and a teacher change retires the old row and
creates a new one, so the record of who taught when stays. Both report how many lessons and marks they
touch, so the user sees the cost before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import Person, SchoolClass, Subject, TeachingAssignment, utcnow
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import full_name, get_class, letter_order, require_staff
from zhurnal.core.services.common import check_version, clean_label, flush, refuse
from zhurnal.core.services.subjects import get_subject
from zhurnal.core.services.years import get_year, require_open
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, fold


@dataclass(frozen=True)
class AssignmentView:
    id: int
    year_id: int
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    teacher_id: int
    teacher_name: str
    subgroup: str | None
    version: int


@dataclass(frozen=True)
class RemovalReport:
    """What removing an assignment touches (the lessons and marks stay, attached to the removed row)."""

    assignment_id: int
    lessons_touched: int
    marks_touched: int
    attendance_touched: int = 0


@dataclass(frozen=True)
class TeacherChange:
    """The retired assignment, its replacement, and the lessons and marks that stay with the retired one."""

    old_assignment_id: int
    assignment: AssignmentView
    lessons_touched: int
    marks_touched: int
    attendance_touched: int = 0


def dependents(session: Session, assignment_id: int) -> tuple[int, int, int]:
    """(lessons, marks, attendance records) recorded under the assignment (live ones: what the journal shows)."""
    from zhurnal.core.models import Attendance, Lesson, Mark

    live = (Lesson.assignment_id == assignment_id, Lesson.deleted_at.is_(None))
    lessons = session.scalar(select(func.count()).select_from(Lesson).where(*live)) or 0
    marks = session.scalar(select(func.count()).select_from(Mark).join(Lesson, Lesson.id == Mark.lesson_id).where(
        *live, Mark.deleted_at.is_(None))) or 0
    attendance = session.scalar(select(func.count()).select_from(Attendance).join(
        Lesson, Lesson.id == Attendance.lesson_id).where(*live)) or 0
    return int(lessons), int(marks), int(attendance)


def get_assignment(uow: UnitOfWork, assignment_id: int) -> TeachingAssignment:
    """A live (not removed) assignment of the acting user's school, else NotFound."""
    row = uow.session.get(TeachingAssignment, assignment_id)
    if row is None or row.school_id != uow.school_id or row.deleted_at is not None:
        raise NotFound(f"Назначение № {assignment_id} не найдено (или уже снято)")
    return row


def _view(uow: UnitOfWork, row: TeachingAssignment) -> AssignmentView:
    school_class = get_class(uow, row.class_id)
    subject = get_subject(uow, row.subject_id)
    teacher = uow.session.get(Person, row.teacher_id)
    assert teacher is not None
    return AssignmentView(row.id, row.year_id, row.class_id, school_class.name, row.subject_id, subject.name,
                          row.teacher_id, full_name(teacher.last_name, teacher.first_name, teacher.middle_name),
                          row.subgroup, row.version)


def _refuse_twin(uow: UnitOfWork, class_id: int, subject_id: int, teacher_id: int, subgroup: str | None,
                 describe: str) -> None:
    """Conflict when the same teacher already teaches the same subject to the same class and subgroup."""
    twins = uow.session.scalars(select(TeachingAssignment.subgroup).where(
        TeachingAssignment.class_id == class_id, TeachingAssignment.subject_id == subject_id,
        TeachingAssignment.teacher_id == teacher_id, TeachingAssignment.deleted_at.is_(None)))
    key = fold(subgroup or "")
    if any(fold(other or "") == key for other in twins):
        raise Conflict(f"Такое назначение уже есть: {describe}")


def _describe(school_class: SchoolClass, subject: Subject, teacher: Person, subgroup: str | None) -> str:
    group = f", группа «{subgroup}»" if subgroup else ""
    return (f"{full_name(teacher.last_name, teacher.first_name, teacher.middle_name)} — «{subject.name}» "
            f"в {school_class.name}{group}")


class AssignmentService(Service):
    """Teaching assignments of a school."""

    area = "assignment"

    @service("school.write")
    def assign(self, uow: UnitOfWork, class_id: int, subject_id: int, teacher_id: int,
               subgroup: str | None = None, *, today: date | None = None) -> AssignmentView:
        """Assign a teacher (a staff member on `today`) to teach a subject to a class or a subgroup of it."""
        school_class = get_class(uow, class_id)
        require_open(get_year(uow, school_class.year_id), field="class_id")
        subject = get_subject(uow, subject_id)
        if subject.archived:
            raise ValidationFailed([Problem("subject_id", "archived", f"Предмет: «{subject.name}» в архиве — "
                                                                      "сначала верните его из архива")])
        teacher = require_staff(uow, teacher_id, "teacher_id", "Учитель", today)
        group, problems = clean_label(subgroup, "subgroup", "Подгруппа", max_len=40)
        refuse(problems)
        _refuse_twin(uow, school_class.id, subject.id, teacher.id, group,
                     _describe(school_class, subject, teacher, group))
        row = TeachingAssignment(school_id=uow.school_id, year_id=school_class.year_id, class_id=school_class.id,
                                 subject_id=subject.id, teacher_id=teacher.id, subgroup=group)
        uow.session.add(row)
        flush(uow, "Назначение")
        uow.audit("assignment.create", object_type="teaching_assignment", object_id=row.id,
                  fields=["class_id", "subject_id", "teacher_id"] + (["subgroup"] if group else []))
        return _view(uow, row)

    @service("school.read")
    def get(self, uow: UnitOfWork, assignment_id: int) -> AssignmentView:
        """One live assignment."""
        return _view(uow, get_assignment(uow, assignment_id))

    @service("school.read")
    def list(self, uow: UnitOfWork, year_id: int | None = None, class_id: int | None = None,
             teacher_id: int | None = None) -> list[AssignmentView]:
        """Live assignments, filtered by year, class and teacher when given; by class, subject, subgroup."""
        query = (select(TeachingAssignment, SchoolClass, Subject.name, Person)
                 .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
                 .join(Subject, Subject.id == TeachingAssignment.subject_id)
                 .join(Person, Person.id == TeachingAssignment.teacher_id)
                 .where(TeachingAssignment.school_id == uow.school_id, TeachingAssignment.deleted_at.is_(None)))
        if year_id is not None:
            query = query.where(TeachingAssignment.year_id == get_year(uow, year_id).id)
        if class_id is not None:
            query = query.where(TeachingAssignment.class_id == get_class(uow, class_id).id)
        if teacher_id is not None:
            query = query.where(TeachingAssignment.teacher_id == teacher_id)
        found = [(c, AssignmentView(a.id, a.year_id, a.class_id, c.name, a.subject_id, name, a.teacher_id,
                                    full_name(p.last_name, p.first_name, p.middle_name), a.subgroup, a.version))
                 for a, c, name, p in uow.session.execute(query)]
        found.sort(key=lambda pair: (pair[1].year_id, pair[0].parallel, letter_order(pair[0].letter),
                                     fold(pair[1].subject_name), fold(pair[1].subgroup or ""),
                                     fold(pair[1].teacher_name), pair[1].id))
        return [view for _, view in found]

    @service("school.read")
    def impact(self, uow: UnitOfWork, assignment_id: int) -> RemovalReport:
        """What removing the assignment would touch, for the confirmation before `remove`."""
        row = get_assignment(uow, assignment_id)
        return RemovalReport(row.id, *dependents(uow.session, row.id))

    @service("school.write")
    def remove(self, uow: UnitOfWork, assignment_id: int, expected_version: int) -> RemovalReport:
        """Soft-delete the assignment (sets deleted_at; the row, its lessons and marks stay)."""
        row = get_assignment(uow, assignment_id)
        check_version(row, expected_version, "Назначение")
        require_open(get_year(uow, row.year_id), field="assignment_id")
        lessons, marks, attendance = dependents(uow.session, row.id)
        row.deleted_at = utcnow()
        flush(uow, "Назначение")
        uow.audit("assignment.remove", object_type="teaching_assignment", object_id=row.id,
                  fields=["deleted_at"], detail=f"lessons={lessons} marks={marks} attendance={attendance}")
        return RemovalReport(row.id, lessons, marks, attendance)

    @service("school.write")
    def change_teacher(self, uow: UnitOfWork, assignment_id: int, expected_version: int, teacher_id: int,
                       *, today: date | None = None) -> TeacherChange:
        """Hand the class and subject to another teacher: the old row is soft-deleted, a new one created.

        The new row keeps the old one's previous-year link, so year-to-year lineage is not lost.
        """
        row = get_assignment(uow, assignment_id)
        check_version(row, expected_version, "Назначение")
        school_class = get_class(uow, row.class_id)
        require_open(get_year(uow, row.year_id), field="assignment_id")
        teacher = require_staff(uow, teacher_id, "teacher_id", "Учитель", today)
        if teacher.id == row.teacher_id:
            raise ValidationFailed([Problem("teacher_id", "unchanged", "Учитель: это тот же учитель, что и "
                                                                       "сейчас")])
        subject = get_subject(uow, row.subject_id)
        _refuse_twin(uow, row.class_id, row.subject_id, teacher.id, row.subgroup,
                     _describe(school_class, subject, teacher, row.subgroup))
        lessons, marks, attendance = dependents(uow.session, row.id)
        row.deleted_at = utcnow()
        new = TeachingAssignment(school_id=uow.school_id, year_id=row.year_id, class_id=row.class_id,
                                 subject_id=row.subject_id, teacher_id=teacher.id, subgroup=row.subgroup,
                                 previous_id=row.previous_id)
        uow.session.add(new)
        flush(uow, "Назначение")
        uow.audit("assignment.remove", object_type="teaching_assignment", object_id=row.id,
                  fields=["deleted_at"],
                  detail=f"teacher change; lessons={lessons} marks={marks} attendance={attendance}")
        uow.audit("assignment.create", object_type="teaching_assignment", object_id=new.id,
                  fields=["teacher_id"], detail=f"replaces assignment {row.id}")
        return TeacherChange(row.id, _view(uow, new), lessons, marks, attendance)
