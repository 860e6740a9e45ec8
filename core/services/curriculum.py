"""The curriculum (учебный план): weekly hours of each subject in each grade of a year.

Hours go from 0.5 to 12 in steps of 0.5; setting 0 takes the subject out of the grade's plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from zhurnal.core.errors import ValidationFailed
from zhurnal.core.models import CurriculumItem, GradeLevel, Subject
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import grade_level
from zhurnal.core.services.common import flush
from zhurnal.core.services.subjects import get_subject
from zhurnal.core.services.years import get_year, require_open
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, fold

MAX_HOURS = Decimal(12)
HOURS_STEP = Decimal("0.5")


@dataclass(frozen=True)
class CurriculumRow:
    id: int
    year_id: int
    grade: int
    subject_id: int
    subject_name: str
    hours: Decimal
    version: int


def clean_hours(value: Decimal | float | int | str) -> Decimal:
    """Hours per week as a Decimal (a comma is accepted as the decimal point); ValidationFailed otherwise."""
    label = "Часов в неделю"
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        hours = Decimal(value.strip().replace(",", ".") if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed([Problem("hours", "bad_format", f"{label}: «{value}» — не число")]) from None
    if not hours.is_finite() or hours < 0 or hours > MAX_HOURS:
        raise ValidationFailed([Problem("hours", "out_of_range", f"{label}: {value} — допускается от 0,5 до 12 "
                                                                 "(0 убирает предмет из плана)")])
    if hours % HOURS_STEP != 0:
        raise ValidationFailed([Problem("hours", "bad_format", f"{label}: {value} — шаг 0,5 часа "
                                                               "(например 1, 1,5, 2)")])
    return hours.quantize(Decimal("0.1"))


def totals_by_grade(rows: Iterable[CurriculumRow]) -> dict[int, Decimal]:
    """Total weekly hours per grade number, grades in order."""
    totals: dict[int, Decimal] = {}
    for row in sorted(rows, key=lambda r: r.grade):
        totals[row.grade] = totals.get(row.grade, Decimal(0)) + row.hours
    return totals


class CurriculumService(Service):
    """Weekly hours per grade and subject."""

    area = "curriculum"

    @service("school.write")
    def set_hours(self, uow: UnitOfWork, year_id: int, grade: int, subject_id: int,
                  hours: Decimal | float | int | str) -> CurriculumRow | None:
        """Set the hours of `subject_id` in `grade` (insert or update); 0 removes the row and returns None."""
        year = get_year(uow, year_id)
        require_open(year)
        level = grade_level(uow, grade, field="grade")
        subject = get_subject(uow, subject_id)
        value = clean_hours(hours)
        if value and subject.archived:
            raise ValidationFailed([Problem("subject_id", "archived", f"Предмет: «{subject.name}» в архиве — "
                                                                      "сначала верните его из архива")])
        row = uow.session.scalar(select(CurriculumItem).where(
            CurriculumItem.year_id == year.id, CurriculumItem.grade_level_id == level.id,
            CurriculumItem.subject_id == subject.id))
        what = f"Учебный план {grade} класса, «{subject.name}»"
        if not value:
            if row is not None:
                uow.session.delete(row)
                flush(uow, what)
                uow.audit("curriculum.delete", object_type="curriculum_item", object_id=row.id,
                          fields=["hours_per_week"])
            return None
        if row is None:
            row = CurriculumItem(school_id=uow.school_id, year_id=year.id, grade_level_id=level.id,
                                 subject_id=subject.id, hours_per_week=value)
            uow.session.add(row)
            flush(uow, what)
            uow.audit("curriculum.create", object_type="curriculum_item", object_id=row.id,
                      fields=["grade_level_id", "subject_id", "hours_per_week"])
        elif row.hours_per_week != value:
            row.hours_per_week = value
            flush(uow, what)
            uow.audit("curriculum.update", object_type="curriculum_item", object_id=row.id,
                      fields=["hours_per_week"])
        return CurriculumRow(row.id, year.id, level.number, subject.id, subject.name, value, row.version)

    @service("school.read")
    def list(self, uow: UnitOfWork, year_id: int, grade: int | None = None) -> list[CurriculumRow]:
        """The year's plan (one grade when given), by grade and subject name."""
        return _rows(uow, year_id, grade)

    @service("school.read")
    def totals(self, uow: UnitOfWork, year_id: int) -> dict[int, Decimal]:
        """Total weekly hours per grade number of the year's plan (grades without hours are left out)."""
        return totals_by_grade(_rows(uow, year_id))


def _rows(uow: UnitOfWork, year_id: int, grade: int | None = None) -> list[CurriculumRow]:
    year = get_year(uow, year_id)
    query = (select(CurriculumItem, GradeLevel.number, Subject.name)
             .join(GradeLevel, GradeLevel.id == CurriculumItem.grade_level_id)
             .join(Subject, Subject.id == CurriculumItem.subject_id)
             .where(CurriculumItem.year_id == year.id))
    if grade is not None:
        query = query.where(GradeLevel.id == grade_level(uow, grade, field="grade").id)
    rows = [CurriculumRow(item.id, year.id, number, item.subject_id, name,
                          Decimal(item.hours_per_week).quantize(Decimal("0.1")), item.version)
            for item, number, name in uow.session.execute(query)]
    return sorted(rows, key=lambda r: (r.grade, fold(r.subject_name), r.subject_id))
