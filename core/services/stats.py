"""Counts for the dashboard and `zhurnal stats`: no personal data, just how much the store holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from zhurnal.core.models import (
    AcademicYear,
    Attendance,
    AuditRecord,
    Enrolment,
    Guardianship,
    Lesson,
    Mark,
    School,
    SchoolClass,
    StaffPosition,
    User,
)
from zhurnal.core.services.base import Service, service
from zhurnal.core.uow import UnitOfWork


@dataclass(frozen=True)
class Stats:
    """Counts over every school in the database (a district) on one date."""

    schools: int
    students: int  # enrolled on the date
    staff: int  # holding a position on the date
    parents: int  # guardians of a student enrolled on the date
    classes: int  # classes of the academic years containing the date
    accounts: int
    active_accounts: int
    audit_records: int
    lessons: int = 0  # journal rows: live lessons, marks and attendance records (every date)
    marks: int = 0
    attendance: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _active(start: Any, end: Any, day: date) -> ColumnElement[bool]:
    """Rows whose [start, end] period (end open while NULL) contains `day`."""
    return (start <= day) & or_(end.is_(None), end >= day)


def count_all(session: Session, day: date) -> Stats:
    def scalar(query: object) -> int:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]

    enrolled = select(Enrolment.person_id).where(_active(Enrolment.start_date, Enrolment.end_date, day))
    return Stats(
        schools=scalar(select(func.count()).select_from(School)),
        students=scalar(select(func.count(distinct(Enrolment.person_id))).where(
            _active(Enrolment.start_date, Enrolment.end_date, day))),
        staff=scalar(select(func.count(distinct(StaffPosition.person_id))).where(
            _active(StaffPosition.start_date, StaffPosition.end_date, day))),
        parents=scalar(select(func.count(distinct(Guardianship.parent_id))).where(
            _active(Guardianship.start_date, Guardianship.end_date, day),
            Guardianship.student_id.in_(enrolled))),
        classes=scalar(select(func.count()).select_from(SchoolClass).join(
            AcademicYear, AcademicYear.id == SchoolClass.year_id).where(
            AcademicYear.start_date <= day, AcademicYear.end_date >= day)),
        accounts=scalar(select(func.count()).select_from(User)),
        active_accounts=scalar(select(func.count()).select_from(User).where(User.is_active.is_(True))),
        audit_records=scalar(select(func.count()).select_from(AuditRecord)),
        lessons=scalar(select(func.count()).select_from(Lesson).where(Lesson.deleted_at.is_(None))),
        marks=scalar(select(func.count()).select_from(Mark).where(Mark.deleted_at.is_(None))),
        attendance=scalar(select(func.count()).select_from(Attendance)),
    )


class StatsService(Service):
    area = "stats"

    @service("stats.read", write=False)
    def counts(self, uow: UnitOfWork, on: date | None = None) -> Stats:
        """How many schools, active students, staff, parents, classes, accounts and audit records there are."""
        return count_all(uow.session, on or date.today())
