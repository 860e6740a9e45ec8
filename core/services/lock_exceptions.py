"""Exceptions to the grade-entry lock: a teacher asks to change the marks of past lessons, the administration
approves (for a limited time) or rejects; every step is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import LockException, Person, SchoolClass, Subject, TeachingAssignment, utcnow
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import full_name
from zhurnal.core.services.common import check_version, clean_label, flush, refuse
from zhurnal.core.services.journal_rules import get_assignment_any, require_year_open, scope, year_of
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, format_date

STATUSES = ("pending", "approved", "rejected")
DEFAULT_VALID_DAYS = 3  # an approval without an end date lets the teacher in for this many days


@dataclass(frozen=True)
class LockExceptionView:
    id: int
    assignment_id: int
    class_name: str
    subject_name: str
    teacher_name: str
    from_day: date
    to_day: date
    reason: str
    status: str
    valid_until: date | None
    version: int


def _view(uow: UnitOfWork, row: LockException) -> LockExceptionView:
    assignment = uow.session.get(TeachingAssignment, row.assignment_id)
    assert assignment is not None
    school_class = uow.session.get(SchoolClass, assignment.class_id)
    subject = uow.session.get(Subject, assignment.subject_id)
    teacher = uow.session.get(Person, assignment.teacher_id)
    assert school_class is not None and subject is not None and teacher is not None
    return LockExceptionView(row.id, row.assignment_id, school_class.name, subject.name,
                             full_name(teacher.last_name, teacher.first_name, teacher.middle_name), row.from_day,
                             row.to_day, row.reason, row.status, row.valid_until, row.version)


class LockExceptionService(Service):
    """Requests to change marks behind the grade-entry lock, and their decisions."""

    area = "lock_exception"

    @service("journal.write")
    def request(self, uow: UnitOfWork, assignment_id: int, from_day: date, to_day: date,
                reason: str) -> LockExceptionView:
        """The teacher of the assignment asks to change marks of lessons from `from_day` to `to_day`."""
        assignment = get_assignment_any(uow, assignment_id)
        scope(uow, assignment, write=True)
        year = year_of(uow, assignment)
        require_year_open(year, "assignment_id")
        if from_day > to_day:
            raise ValidationFailed([Problem("to_day", "dates_order", f"Период: {format_date(from_day)} позже "
                                                                     f"{format_date(to_day)}")])
        if from_day < year.start_date or to_day > year.end_date:
            raise ValidationFailed([Problem("from_day", "out_of_range", f"Период выходит за учебный год "
                                                                        f"{year.name}")])
        text, problems = clean_label(reason, "reason", "Причина", required=True, max_len=500)
        refuse(problems)
        assert text is not None
        pending = uow.session.scalar(select(LockException.id).where(
            LockException.assignment_id == assignment.id, LockException.status == "pending").limit(1))
        if pending is not None:
            raise Conflict("По этому журналу уже есть нерассмотренный запрос — дождитесь решения")
        row = LockException(school_id=uow.school_id, assignment_id=assignment.id, from_day=from_day,
                            to_day=to_day, reason=text, requested_by=uow.actor.user_id)
        uow.session.add(row)
        flush(uow, "Запрос")
        uow.audit("lock_exception.request", object_type="lock_exception", object_id=row.id,
                  fields=["from_day", "to_day", "reason"])
        return _view(uow, row)

    @service("journal.unlock", "journal.write", write=False)
    def list(self, uow: UnitOfWork, status: str | None = "pending") -> list[LockExceptionView]:
        """Requests of the school (journal.unlock) or the actor's own (a teacher), by status, oldest first."""
        query = select(LockException).where(LockException.school_id == uow.school_id)
        if status is not None:
            if status not in STATUSES:
                raise ValidationFailed([Problem("status", "bad_value", f"Состояние: «{status}» — допустимы "
                                                                       f"{', '.join(STATUSES)}")])
            query = query.where(LockException.status == status)
        if "journal.unlock" not in uow.actor.actions:
            me = uow.actor.person_id if uow.actor.person_id is not None else -1
            query = query.join(TeachingAssignment, TeachingAssignment.id == LockException.assignment_id).where(
                TeachingAssignment.teacher_id == me)
        return [_view(uow, row) for row in uow.session.scalars(query.order_by(LockException.id))]

    @service("journal.unlock")
    def decide(self, uow: UnitOfWork, request_id: int, expected_version: int, approve: bool, *,
               valid_until: date | None = None, today: date | None = None) -> LockExceptionView:
        """Approve (until `valid_until`, default three days from today) or reject a pending request."""
        row = uow.session.get(LockException, request_id)
        if row is None or row.school_id != uow.school_id:
            raise NotFound(f"Запрос № {request_id} не найден")
        # A deputy who also teaches holds journal.unlock and journal.write: their own request goes to someone
        # else (refused in the body, audited by the service decorator).
        if row.requested_by is not None and row.requested_by == uow.actor.user_id:
            raise PermissionDenied("journal.unlock", "Недостаточно прав: свой запрос решает другой сотрудник "
                                                     "администрации")
        check_version(row, expected_version, "Запрос")
        if row.status != "pending":
            raise Conflict(f"Запрос № {request_id} уже рассмотрен")
        day = today or date.today()
        if approve:
            until = valid_until or day + timedelta(days=DEFAULT_VALID_DAYS)
            if until < day:
                raise ValidationFailed([Problem("valid_until", "past", "Срок разрешения уже прошёл")])
            row.status, row.valid_until = "approved", until
        else:
            row.status = "rejected"
        row.decided_by, row.decided_at = uow.actor.user_id, utcnow()
        flush(uow, "Запрос")
        uow.audit("lock_exception.approve" if approve else "lock_exception.reject", object_type="lock_exception",
                  object_id=row.id, fields=["status"],
                  detail=f"assignment {row.assignment_id} until {row.valid_until}" if approve else None)
        return _view(uow, row)
