"""Staff: positions held by employees, hired and dismissed by order; and accounts that follow people.

A position is dated like an enrolment (start and end inclusive, open while the end is empty). When the
last membership of a person ends — an employee's last position, a student's enrolment — the user accounts
linked to that person are disabled, but only once that last day has come: a movement recorded ahead of
time leaves the accounts alone and `StaffService.deactivate_due_accounts`, run daily (cron), disables them
on the day. Both use the same rule: an account is disabled from the last day of membership on, when no
enrolment, position or guardianship of the person runs after that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.elements import ColumnElement

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import Enrolment, Guardianship, Order, Person, StaffPosition, User
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.orders import invalid, labelled, lock_person, order_label, resolve_order
from zhurnal.core.services.persons import get_person
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_text, fold, format_date

MIN_RATE = Decimal("0.1")
MAX_RATE = Decimal("2.0")
# Reason codes of a dismissal (основание увольнения).
DISMISS_REASONS = {
    "own_wish": "по собственному желанию",
    "agreement": "по соглашению сторон",
    "contract_end": "истечение срока трудового договора",
    "employer": "по инициативе работодателя",
    "transfer": "перевод к другому работодателю",
    "retirement": "выход на пенсию",
    "deceased": "смерть работника",
    "other": "иное",
}


@dataclass(frozen=True)
class PositionView:
    id: int
    person_id: int
    position: str
    rate: Decimal
    start_date: date
    end_date: date | None
    start_order: str  # "№ 12-к от 01.09.2026"
    end_order: str | None
    end_reason: str | None
    version: int


@dataclass(frozen=True)
class StaffRow:
    """One position of one employee in a staff list."""

    person_id: int
    full_name: str
    position: str
    position_id: int


@dataclass(frozen=True)
class DisabledAccount:
    user_id: int
    login: str
    person_id: int


# ---------------------------------------------------------------------------------------------------------
# Accounts follow people
# ---------------------------------------------------------------------------------------------------------

def _runs_after(end: InstrumentedAttribute[date | None], day: date) -> ColumnElement[bool]:
    """A dated membership still running on some day after `day` (one starting later counts too)."""
    return or_(end.is_(None), end > day)


def has_membership_after(uow: UnitOfWork, person_id: int, day: date) -> bool:
    """Whether the person is enrolled, employed or a guardian in this school on any day after `day`."""
    checks = (
        exists().where(Enrolment.school_id == uow.school_id, Enrolment.person_id == person_id,
                       _runs_after(Enrolment.end_date, day)),
        exists().where(StaffPosition.school_id == uow.school_id, StaffPosition.person_id == person_id,
                       _runs_after(StaffPosition.end_date, day)),
        exists().where(Guardianship.school_id == uow.school_id, Guardianship.parent_id == person_id,
                       _runs_after(Guardianship.end_date, day)),
    )
    return any(uow.session.scalar(select(check)) for check in checks)


def _disable(uow: UnitOfWork, users: list[User], reason: str) -> list[DisabledAccount]:
    done = []
    for user in users:
        user.is_active = False
        uow.audit("user.disable", object_type="user", object_id=user.id, person_id=user.person_id,
                  fields=["is_active"], detail=reason)
        done.append(DisabledAccount(user.id, user.login, int(user.person_id or 0)))
    uow.session.flush()
    return done


def disable_accounts_if_due(uow: UnitOfWork, person_id: int, last_day: date, today: date,
                            reason: str) -> list[DisabledAccount]:
    """Disable the person's active accounts when `last_day` has come and nothing runs after it.

    A last day still in the future is left alone: `StaffService.deactivate_due_accounts` does it then.
    """
    if last_day > today or has_membership_after(uow, person_id, last_day):
        return []
    users = list(uow.session.scalars(select(User).where(User.person_id == person_id, User.is_active.is_(True))
                                     .order_by(User.id)))
    return _disable(uow, users, reason)


def _ended_by(today: date) -> ColumnElement[bool]:
    """Persons of whom some enrolment or position has had its last day by `today`."""
    return or_(
        exists().where(Enrolment.person_id == Person.id, Enrolment.end_date <= today),
        exists().where(StaffPosition.person_id == Person.id, StaffPosition.end_date <= today),
    )


def _still_member(today: date) -> ColumnElement[bool]:
    return or_(
        exists().where(Enrolment.person_id == Person.id, _runs_after(Enrolment.end_date, today)),
        exists().where(StaffPosition.person_id == Person.id,
                       _runs_after(StaffPosition.end_date, today)),
        exists().where(Guardianship.parent_id == Person.id,
                       _runs_after(Guardianship.end_date, today)),
    )


# ---------------------------------------------------------------------------------------------------------
# Positions
# ---------------------------------------------------------------------------------------------------------

def _clean_rate(rate: Decimal | int | str) -> Decimal:
    try:
        value = Decimal(str(rate).strip().replace(",", "."))
    except InvalidOperation:
        raise invalid("rate", "Ставка", f"«{rate}» — не число", "bad_format") from None
    if not value.is_finite() or not MIN_RATE <= value <= MAX_RATE:
        raise invalid("rate", "Ставка", f"допускается от {MIN_RATE} до {MAX_RATE}".replace(".", ","),
                      "out_of_range")
    if value != value.quantize(Decimal("0.01")):
        raise invalid("rate", "Ставка", "не более двух знаков после запятой", "bad_format")
    return value.quantize(Decimal("0.01"))


def _get_position(uow: UnitOfWork, position_id: int) -> StaffPosition:
    position = uow.session.get(StaffPosition, position_id)
    if position is None or position.school_id != uow.school_id:
        raise NotFound(f"Должность с номером записи {position_id} не найдена")
    return position


def _positions(uow: UnitOfWork, *conditions: ColumnElement[bool]) -> list[PositionView]:
    start, end = aliased(Order), aliased(Order)
    rows = uow.session.execute(
        select(StaffPosition, start, end).join(start, start.id == StaffPosition.start_order_id)
        .outerjoin(end, end.id == StaffPosition.end_order_id)
        .where(StaffPosition.school_id == uow.school_id, *conditions)
        .order_by(StaffPosition.start_date, StaffPosition.id)).all()
    return [PositionView(p.id, p.person_id, p.position, Decimal(p.rate), p.start_date, p.end_date,
                         order_label(s), order_label(e) if e is not None else None, p.end_reason, p.version)
            for p, s, e in rows]


class StaffService(Service):
    """Hiring and dismissing employees by order; who works here on a date; accounts of those who left."""

    area = "staff"

    @service("orders.write")
    def hire(self, uow: UnitOfWork, person_id: int, position: str, start_date: date, order_id: int,
             rate: Decimal | int | str = Decimal("1")) -> PositionView:
        """Start a position from `start_date` by a hiring order. The same position (case and ё folded) still
        held on or after that date is a Conflict."""
        person = lock_person(uow, person_id)
        order = resolve_order(uow, order_id, ("hire",))
        title, problems = clean_text(position, "position", required=True, max_len=200)
        if found := labelled(problems, "Должность"):
            raise ValidationFailed(found)
        assert title is not None
        clean_rate = _clean_rate(rate)
        held = uow.session.scalars(select(StaffPosition).where(
            StaffPosition.school_id == uow.school_id, StaffPosition.person_id == person.id,
            or_(StaffPosition.end_date.is_(None), StaffPosition.end_date >= start_date))).all()
        same = next((p for p in held if fold(p.position) == fold(title)), None)
        if same is not None:
            raise Conflict(f"Уже работает в должности «{same.position}» с {format_date(same.start_date)}")
        row = StaffPosition(school_id=uow.school_id, person_id=person.id, position=title, rate=clean_rate,
                            start_date=start_date, start_order_id=order.id)
        uow.session.add(row)
        uow.session.flush()
        uow.audit("staff.hire", object_type="staff_position", object_id=row.id, person_id=person.id,
                  fields=["position", "rate", "start_date", "start_order_id"],
                  detail=f"приказ {order_label(order)}")
        return _positions(uow, StaffPosition.id == row.id)[0]

    @service("orders.write")
    def dismiss(self, uow: UnitOfWork, position_id: int, end_date: date, order_id: int,
                reason: str = "own_wish", *, today: date | None = None) -> PositionView:
        """End a position on `end_date` (the last working day) by a dismissal order.

        When it was the person's last membership and `end_date` has come, their accounts are disabled now;
        otherwise `deactivate_due_accounts` disables them on the day."""
        position = _get_position(uow, position_id)
        lock_person(uow, position.person_id)
        order = resolve_order(uow, order_id, ("dismissal",))
        if reason not in DISMISS_REASONS:
            raise invalid("reason", "Основание увольнения",
                          f"«{reason}» — неизвестное основание; допустимы: {', '.join(DISMISS_REASONS)}")
        if position.end_date is not None:
            raise Conflict(f"Уже уволен с должности «{position.position}» {format_date(position.end_date)}")
        if end_date < position.start_date:
            raise ValidationFailed([Problem("end_date", "out_of_range",
                                            f"Дата увольнения: {format_date(end_date)} раньше даты приёма "
                                            f"{format_date(position.start_date)}")])
        position.end_date, position.end_reason, position.end_order_id = end_date, reason, order.id
        uow.session.flush()
        uow.audit("staff.dismiss", object_type="staff_position", object_id=position.id,
                  person_id=position.person_id, fields=["end_date", "end_reason", "end_order_id"],
                  detail=f"приказ {order_label(order)}")  # the reason is the person's data: in the row only
        disable_accounts_if_due(uow, position.person_id, end_date, today or date.today(), "dismissal")
        return _positions(uow, StaffPosition.id == position.id)[0]

    @service("people.read")
    def positions(self, uow: UnitOfWork, person_id: int) -> list[PositionView]:
        """Every position the person has held here, oldest first (the read is audited)."""
        person = get_person(uow, person_id)
        uow.audit("staff.read", object_type="person", object_id=person.id, person_id=person.id)
        return _positions(uow, StaffPosition.person_id == person.id)

    @service("people.read")
    def active_staff(self, uow: UnitOfWork, on: date | None = None) -> list[StaffRow]:
        """Positions held on `on` (today by default), ordered by the employee's name, then position."""
        day = on or date.today()
        rows = uow.session.execute(
            select(Person.id, Person.last_name, Person.first_name, Person.middle_name, StaffPosition.position,
                   StaffPosition.id.label("position_id"))
            .join(StaffPosition, StaffPosition.person_id == Person.id)
            .where(StaffPosition.school_id == uow.school_id, StaffPosition.start_date <= day,
                   or_(StaffPosition.end_date.is_(None), StaffPosition.end_date >= day))
            .order_by(Person.name_key, Person.id, StaffPosition.position, StaffPosition.id)).all()
        return [StaffRow(r.id, " ".join(p for p in (r.last_name, r.first_name, r.middle_name) if p),
                         r.position, r.position_id) for r in rows]

    @service("accounts.manage")
    def deactivate_due_accounts(self, uow: UnitOfWork, today: date | None = None) -> list[DisabledAccount]:
        """Disable active accounts of people of this school whose enrolment or position has had its last day
        by `today` and who have no enrolment, position or guardianship running after it. Run daily."""
        day = today or date.today()
        users = list(uow.session.scalars(
            select(User).join(Person, Person.id == User.person_id)
            .where(Person.school_id == uow.school_id, User.is_active.is_(True), _ended_by(day),
                   ~_still_member(day))
            .order_by(User.id)))
        return _disable(uow, users, "membership_ended")

