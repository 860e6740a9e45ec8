"""Student movements by order: enrolment, transfer between classes, departure; and the class on a date.

Enrolments are dated memberships (start and end inclusive, open while the end is empty); a person never has
a "current class" column. A mid-year move ends one enrolment the day before and starts another, so marks and
everything else stay with the student; nothing is deleted.

An enrolment keeps where a student arrived from (`came_from`, for arrivals by transfer from another school)
and where they left to (`went_to`), for the movement book.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import AcademicYear, Enrolment, Order, SchoolClass
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.orders import invalid, labelled, lock_person, order_label, resolve_order
from zhurnal.core.services.persons import get_person
from zhurnal.core.services.staff import disable_accounts_if_due
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import check_date_in_range, clean_text, format_date

# Start reason -> the order kinds that may back it.
ENROL_REASONS: dict[str, tuple[str, ...]] = {
    "admission": ("enrolment",),
    "transfer_in": ("enrolment",),  # from another school; counterpart = where from
    "promotion": ("promotion",),
    "retention": ("promotion",),
    "reinstatement": ("enrolment",),
}
# End reason -> the order kinds that may back it.
DEPART_REASONS: dict[str, tuple[str, ...]] = {
    "transfer_out": ("departure",),  # to another school; counterpart = where to
    "family_education": ("departure",),
    "expelled": ("departure",),
    "graduated": ("graduation", "departure"),
    "moved_abroad": ("departure",),
    "deceased": ("departure",),
    "other": ("departure",),
}
TRANSFER = "transfer"  # start and end reason of a move between classes of the school
_COUNTERPART_MAX = 300


@dataclass(frozen=True)
class ClassRef:
    id: int
    name: str


@dataclass(frozen=True)
class EnrolmentView:
    """One enrolment as the movement book shows it."""

    id: int
    person_id: int
    class_id: int
    class_name: str
    year_name: str
    start_date: dt.date
    end_date: dt.date | None
    start_reason: str
    end_reason: str | None
    start_order: str  # "№ 12-у от 01.09.2026"
    end_order: str | None
    came_from: str | None
    went_to: str | None
    version: int


@dataclass(frozen=True)
class Transfer:
    """The two enrolments of a move between classes."""

    ended: EnrolmentView
    started: EnrolmentView


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------

def _clean_counterpart(value: str | None, label: str, *, required: bool) -> str | None:
    clean, problems = clean_text(value, "counterpart", required=required, max_len=_COUNTERPART_MAX)
    found = labelled(problems, label)
    if found:
        raise ValidationFailed(found)
    return clean


def _get_class(uow: UnitOfWork, class_id: int) -> tuple[SchoolClass, AcademicYear]:
    """The class and its academic year; NotFound outside the school."""
    found = uow.session.get(SchoolClass, class_id)
    if found is None or found.school_id != uow.school_id:
        raise NotFound(f"Класс с номером записи {class_id} не найден")
    year = uow.session.get(AcademicYear, found.year_id)
    assert year is not None
    return found, year


def _check_in_year(day: dt.date, year: AcademicYear, field: str, label: str) -> None:
    problems = check_date_in_range(day, year.start_date, year.end_date, field, f"учебный год {year.name}")
    if problems:
        raise ValidationFailed(labelled(problems, label))


def _covering(uow: UnitOfWork, person_id: int, day: dt.date) -> Enrolment | None:
    """The person's enrolment in this school that includes `day`, if any."""
    return uow.session.scalars(select(Enrolment).where(
        Enrolment.school_id == uow.school_id, Enrolment.person_id == person_id, Enrolment.start_date <= day,
        or_(Enrolment.end_date.is_(None), Enrolment.end_date >= day))
        .order_by(Enrolment.start_date.desc(), Enrolment.id.desc())).first()


def _class_name(uow: UnitOfWork, class_id: int) -> str:
    return str(uow.session.scalar(select(SchoolClass.name).where(SchoolClass.id == class_id)))


def _views(uow: UnitOfWork, *conditions: ColumnElement[bool]) -> list[EnrolmentView]:
    start, end = aliased(Order), aliased(Order)
    rows = uow.session.execute(
        select(Enrolment, SchoolClass.name, AcademicYear.name, start, end)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .join(AcademicYear, AcademicYear.id == SchoolClass.year_id)
        .join(start, start.id == Enrolment.start_order_id)
        .outerjoin(end, end.id == Enrolment.end_order_id)
        .where(Enrolment.school_id == uow.school_id, *conditions)
        .order_by(Enrolment.start_date, Enrolment.id)).all()
    views = []
    for e, class_name, year_name, s, f in rows:
        views.append(EnrolmentView(e.id, e.person_id, e.class_id, class_name, year_name, e.start_date,
                                   e.end_date, e.start_reason, e.end_reason, order_label(s),
                                   order_label(f) if f is not None else None, e.came_from, e.went_to,
                                   e.version))
    return views


def _view(uow: UnitOfWork, enrolment_id: int) -> EnrolmentView:
    return _views(uow, Enrolment.id == enrolment_id)[0]


def _choice(value: str, allowed: dict[str, tuple[str, ...]], label: str) -> tuple[str, ...]:
    if value not in allowed:
        raise invalid("reason", label, f"«{value}» — неизвестное основание; допустимы: {', '.join(allowed)}",
                      "bad_format")
    return allowed[value]


# ---------------------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------------------

class EnrolmentService(Service):
    """Enrolments of students in classes, changed only by movements backed by orders."""

    area = "enrolment"

    @service("orders.write")
    def enrol(self, uow: UnitOfWork, person_id: int, class_id: int, start_date: dt.date, order_id: int,
              reason: str = "admission", counterpart: str | None = None) -> EnrolmentView:
        """Enrol a student in a class from `start_date` (inside the class's academic year).

        Reasons: admission, transfer_in (from another school: `counterpart` says where from, required),
        promotion, retention, reinstatement. An enrolment of the person in this school that runs on or after
        `start_date` is a Conflict naming its class.
        """
        person = lock_person(uow, person_id)
        kinds = _choice(reason, ENROL_REASONS, "Основание зачисления")
        order = resolve_order(uow, order_id, kinds)
        school_class, year = _get_class(uow, class_id)
        _check_in_year(start_date, year, "start_date", "Дата зачисления")
        if reason == "transfer_in":
            came_from = _clean_counterpart(counterpart, "Откуда прибыл", required=True)
        elif counterpart is not None and counterpart.strip():
            raise invalid("counterpart", "Откуда прибыл",
                          "указывается только при зачислении в порядке перевода из другой школы")
        else:
            came_from = None
        clash = uow.session.scalars(select(Enrolment).where(
            Enrolment.school_id == uow.school_id, Enrolment.person_id == person.id,
            or_(Enrolment.end_date.is_(None), Enrolment.end_date >= start_date))
            .order_by(Enrolment.start_date)).first()
        if clash is not None:
            until = f" по {format_date(clash.end_date)}" if clash.end_date else ""
            raise Conflict(f"Ученик уже зачислен в {_class_name(uow, clash.class_id)} с "
                           f"{format_date(clash.start_date)}{until}; оформите перевод или выбытие")
        row = Enrolment(school_id=uow.school_id, person_id=person.id, class_id=school_class.id,
                        start_date=start_date, start_reason=reason, start_order_id=order.id,
                        came_from=came_from)
        uow.session.add(row)
        uow.session.flush()
        fields = ["class_id", "start_date", "start_reason", "start_order_id"]
        fields += ["came_from"] if came_from else []
        # The order, not the reason: a start or end reason (retention, expelled, deceased) is the child's data,
        # named in `fields` and kept in the enrolment row.
        uow.audit("enrolment.create", object_type="enrolment", object_id=row.id, person_id=person.id,
                  fields=fields, detail=f"приказ {order_label(order)}")
        return _view(uow, row.id)

    @service("orders.write")
    def transfer(self, uow: UnitOfWork, person_id: int, to_class_id: int, date: dt.date,
                 order_id: int) -> Transfer:
        """Move a student to another class of the same academic year from `date`.

        The enrolment running on `date` ends the day before (reason "transfer") and a new one starts on
        `date`; a departure already recorded for a later day moves over to the new enrolment.
        """
        person = lock_person(uow, person_id)
        order = resolve_order(uow, order_id, (TRANSFER,))
        target, year = _get_class(uow, to_class_id)
        current = _covering(uow, person.id, date)
        if current is None:
            raise invalid("date", "Дата перевода", f"на {format_date(date)} ученик не зачислен ни в один класс",
                          "not_enrolled")
        if current.class_id == target.id:
            raise invalid("class", "Класс", f"ученик уже учится в {target.name}", "same_class")
        source, source_year = _get_class(uow, current.class_id)
        if source_year.id != year.id:
            raise invalid("class", "Класс", f"{target.name} — класс {year.name} учебного года, а ученик учится "
                          f"в {source.name} ({source_year.name}); перевод возможен только внутри года",
                          "other_year")
        _check_in_year(date, year, "date", "Дата перевода")
        if current.start_date >= date:
            raise invalid("date", "Дата перевода", f"ученик зачислен в {source.name} только с "
                          f"{format_date(current.start_date)}; перевод возможен со следующего дня",
                          "out_of_range")
        went_to = current.went_to
        started = Enrolment(school_id=uow.school_id, person_id=person.id, class_id=target.id, start_date=date,
                            start_reason=TRANSFER, start_order_id=order.id, end_date=current.end_date,
                            end_reason=current.end_reason, end_order_id=current.end_order_id,
                            went_to=went_to)
        current.end_date = date - dt.timedelta(days=1)
        current.end_reason, current.end_order_id = TRANSFER, order.id
        current.went_to = None
        uow.session.add(started)
        uow.session.flush()
        detail = f"приказ {order_label(order)}; {TRANSFER}"
        uow.audit("enrolment.end", object_type="enrolment", object_id=current.id, person_id=person.id,
                  fields=["end_date", "end_reason", "end_order_id"], detail=detail)
        fields = ["class_id", "start_date", "start_reason", "start_order_id"]
        fields += ["end_date", "end_reason", "end_order_id"] if started.end_date else []
        fields += ["went_to"] if went_to else []
        uow.audit("enrolment.create", object_type="enrolment", object_id=started.id, person_id=person.id,
                  fields=fields, detail=detail)
        return Transfer(_view(uow, current.id), _view(uow, started.id))

    @service("orders.write")
    def depart(self, uow: UnitOfWork, person_id: int, date: dt.date, order_id: int, reason: str,
               counterpart: str | None = None, *, today: dt.date | None = None) -> EnrolmentView:
        """End the enrolment running on `date`, which is the student's last day.

        Reasons: transfer_out (`counterpart` says where to, required), family_education, expelled,
        graduated, moved_abroad, deceased, other. When `date` has come (<= today) and nothing else runs
        after it, the student's accounts are disabled now; otherwise
        `StaffService.deactivate_due_accounts` disables them on the day.
        """
        person = lock_person(uow, person_id)
        kinds = _choice(reason, DEPART_REASONS, "Основание выбытия")
        order = resolve_order(uow, order_id, kinds)
        went_to = _clean_counterpart(counterpart, "Куда выбыл", required=reason == "transfer_out")
        current = _covering(uow, person.id, date)
        if current is None:
            raise invalid("date", "Дата выбытия", f"на {format_date(date)} ученик не зачислен ни в один класс",
                          "not_enrolled")
        if current.end_date is not None:
            raise Conflict(f"Обучение в {_class_name(uow, current.class_id)} уже завершается "
                           f"{format_date(current.end_date)}; выбытие оформлено раньше")
        current.end_date, current.end_reason, current.end_order_id = date, reason, order.id
        current.went_to = went_to
        uow.session.flush()
        uow.audit("enrolment.end", object_type="enrolment", object_id=current.id, person_id=person.id,
                  fields=["end_date", "end_reason", "end_order_id"] + (["went_to"] if went_to else []),
                  detail=f"приказ {order_label(order)}")
        disable_accounts_if_due(uow, person.id, date, today or dt.date.today(), "departure")
        return _view(uow, current.id)

    @service("people.read")
    def class_on(self, uow: UnitOfWork, person_id: int, date: dt.date) -> ClassRef | None:
        """The class the student is in on `date`, or None when not enrolled then."""
        person = get_person(uow, person_id)
        current = _covering(uow, person.id, date)
        if current is None:
            return None
        return ClassRef(current.class_id, _class_name(uow, current.class_id))

    @service("people.read")
    def history(self, uow: UnitOfWork, person_id: int) -> list[EnrolmentView]:
        """Every enrolment of the student, by start date, with classes, reasons and orders (audited read)."""
        person = get_person(uow, person_id)
        uow.audit("enrolment.read", object_type="person", object_id=person.id, person_id=person.id)
        return _views(uow, Enrolment.person_id == person.id)
