"""Directors' orders (приказы): create, list, look up; and `resolve_order`, which movement services use.

Every movement of a student or an employee references an order of the matching kind. Order numbers restart
every calendar year, so a number is unique within the school and the year of the order's date; numbers are
compared with case and ё folded ("12-К" and "12-к" are the same order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import ORDER_KINDS, Enrolment, Order, Person, StaffPosition
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.common import invalid
from zhurnal.core.services.persons import get_person
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_multiline, clean_text, errors, fold, format_date

KIND_TITLES = {
    "enrolment": "о зачислении",
    "transfer": "о переводе",
    "departure": "об отчислении (выбытии)",
    "hire": "о приёме на работу",
    "dismissal": "об увольнении",
    "promotion": "о переводе в следующий класс",
    "graduation": "о выпуске",
    "other": "прочий",
}


def labelled(problems: Iterable[Problem], label: str) -> list[Problem]:
    """The blocking problems, their messages starting with `label` instead of the machine field name."""
    return [Problem(p.field, p.code, f"{label}: {p.message.removeprefix(f'{p.field}: ')}", p.severity)
            for p in errors(problems)]


def order_label(order: Order) -> str:
    """"№ 12-к от 01.09.2026": how an order is named in messages and audit details."""
    return f"№ {order.number} от {format_date(order.order_date)}"


@dataclass(frozen=True)
class OrderView:
    id: int
    number: str
    order_date: date
    kind: str
    title: str
    text: str | None
    version: int

    @property
    def label(self) -> str:
        return f"№ {self.number} от {format_date(self.order_date)}"


@dataclass(frozen=True)
class OrderDetail:
    """An order with the movements it backs."""

    order: OrderView
    enrolments_started: int
    enrolments_ended: int
    positions_started: int
    positions_ended: int


def _view(order: Order) -> OrderView:
    return OrderView(order.id, order.number, order.order_date, order.kind, order.title, order.text,
                     order.version)


def _check_kind(kind: str, field: str = "kind") -> None:
    if kind not in ORDER_KINDS:
        known = ", ".join(ORDER_KINDS)
        raise invalid(field, "Вид приказа", f"«{kind}» — неизвестный вид; допустимы: {known}", "bad_format")


def _same_number(uow: UnitOfWork, number: str, year: int) -> Order | None:
    """The order of the school with `number` (case and ё folded) in the calendar `year`, if any."""
    key = fold(number)
    candidates = uow.session.scalars(select(Order).where(Order.school_id == uow.school_id,
                                                         Order.order_year == year))
    return next((o for o in candidates if fold(o.number) == key), None)


def _count(uow: UnitOfWork, condition: ColumnElement[bool]) -> int:
    return int(uow.session.scalar(select(func.count()).where(condition)) or 0)


def get_order(uow: UnitOfWork, order_id: int) -> Order:
    """The order if it belongs to the acting user's school, else NotFound."""
    order = uow.session.get(Order, order_id)
    if order is None or order.school_id != uow.school_id:
        raise NotFound(f"Приказ с номером записи {order_id} не найден")
    return order


def lock_person(uow: UnitOfWork, person_id: int) -> Person:
    """The person (NotFound outside the school), locked for the rest of the unit of work on PostgreSQL.

    Movements of one person check for overlaps before they write, so two of them must not run at once;
    SQLite already serialises writers (BEGIN IMMEDIATE).
    """
    person = get_person(uow, person_id)
    uow.session.execute(select(Person.id).where(Person.id == person.id).with_for_update())
    return person


def resolve_order(uow: UnitOfWork, order_id: int | None, allowed_kinds: Sequence[str]) -> Order:
    """The order backing a movement: it must exist in the school and be of one of `allowed_kinds`.

    Anything else is a ValidationFailed naming the field "order", so a form can point at the order picker.
    """
    order = uow.session.get(Order, order_id) if order_id is not None else None
    if order is None or order.school_id != uow.school_id:
        raise invalid("order", "Приказ", "не найден; выберите приказ этой школы", "not_found")
    if order.kind not in allowed_kinds:
        wanted = " или ".join(f"«{KIND_TITLES.get(k, k)}»" for k in allowed_kinds)
        raise invalid("order", "Приказ",
                      f"{order_label(order)} — приказ «{KIND_TITLES.get(order.kind, order.kind)}», "
                      f"а нужен приказ {wanted}", "wrong_kind")
    return order


class OrderService(Service):
    """The school's register of directors' orders."""

    area = "order"

    @service("orders.write")
    def create(self, uow: UnitOfWork, number: str, order_date: date, kind: str, title: str,
               text: str | None = None) -> OrderView:
        """Register an order. Refuses an unknown kind, an empty number or title, and a number already used
        in the same calendar year (Conflict)."""
        _check_kind(kind)
        clean_number, problems = clean_text(number, "number", required=True, max_len=40)
        found = labelled(problems, "Номер приказа")
        clean_title, problems = clean_text(title, "title", required=True, max_len=300)
        found += labelled(problems, "Заголовок приказа")
        clean_body, problems = clean_multiline(text, "text", max_len=20000)
        found += labelled(problems, "Текст приказа")
        if not isinstance(order_date, date):
            found.append(Problem("order_date", "required", "Дата приказа: обязательное поле не заполнено"))
        if found:
            raise ValidationFailed(found)
        assert clean_number is not None and clean_title is not None
        existing = _same_number(uow, clean_number, order_date.year)
        if existing is not None:
            raise Conflict(f"Приказ {order_label(existing)} уже есть")
        order = Order(school_id=uow.school_id, number=clean_number, order_date=order_date,
                      order_year=order_date.year, kind=kind, title=clean_title, text=clean_body,
                      created_by=uow.actor.user_id)
        uow.session.add(order)
        try:
            uow.session.flush()
        except IntegrityError as error:  # another session took the number after our check
            raise Conflict(f"Приказ № {clean_number} от {format_date(order_date)} уже есть") from error
        fields = ["number", "order_date", "kind", "title"] + (["text"] if clean_body else [])
        uow.audit("order.create", object_type="order", object_id=order.id, fields=fields,
                  detail=f"{order_label(order)}; {kind}")
        return _view(order)

    @service("people.read")
    def get(self, uow: UnitOfWork, order_id: int) -> OrderDetail:
        """One order and how many enrolments and staff positions it started and ended."""
        order = get_order(uow, order_id)
        return OrderDetail(_view(order), _count(uow, Enrolment.start_order_id == order.id),
                           _count(uow, Enrolment.end_order_id == order.id),
                           _count(uow, StaffPosition.start_order_id == order.id),
                           _count(uow, StaffPosition.end_order_id == order.id))

    @service("people.read")
    def find(self, uow: UnitOfWork, number: str, order_date: date) -> OrderView | None:
        """The order with this number (case and ё folded) and this date, or None."""
        clean_number, _ = clean_text(number, "number", max_len=40)
        if not clean_number:
            return None
        order = _same_number(uow, clean_number, order_date.year)
        return _view(order) if order is not None and order.order_date == order_date else None

    @service("people.read")
    def list(self, uow: UnitOfWork, kind: str | None = None, date_from: date | None = None,
             date_to: date | None = None) -> list[OrderView]:
        """Orders of the school, oldest first, optionally of one kind and within dates (both included)."""
        query = select(Order).where(Order.school_id == uow.school_id)
        if kind is not None:
            _check_kind(kind)
            query = query.where(Order.kind == kind)
        if date_from is not None:
            query = query.where(Order.order_date >= date_from)
        if date_to is not None:
            query = query.where(Order.order_date <= date_to)
        return [_view(o) for o in uow.session.scalars(query.order_by(Order.order_date, Order.id))]
