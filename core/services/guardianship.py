"""Guardianship: which parents and guardians a student has, dated like every other membership.

A link needs no order; it starts on a date (today by default) and ends on a date, and is never deleted.
Both people concerned get an audit record of every change, so each one's trail shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import Enrolment, Guardianship, Person
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.orders import invalid, lock_person
from zhurnal.core.services.persons import get_person
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, format_date

RELATIONS = {"mother": "мать", "father": "отец", "guardian": "опекун (попечитель)", "other": "иной представитель"}


@dataclass(frozen=True)
class GuardianshipView:
    id: int
    parent_id: int
    parent_name: str
    student_id: int
    student_name: str
    relation: str
    start_date: date
    end_date: date | None
    version: int


def _full_name(person: Person) -> str:
    return " ".join(p for p in (person.last_name, person.first_name, person.middle_name) if p)


def _views(uow: UnitOfWork, on: date | None, *conditions: ColumnElement[bool]) -> list[GuardianshipView]:
    parent, student = aliased(Person), aliased(Person)
    query = (select(Guardianship, parent, student)
             .join(parent, parent.id == Guardianship.parent_id)
             .join(student, student.id == Guardianship.student_id)
             .where(Guardianship.school_id == uow.school_id, *conditions))
    if on is not None:
        query = query.where(Guardianship.start_date <= on,
                            or_(Guardianship.end_date.is_(None), Guardianship.end_date >= on))
    rows = uow.session.execute(query.order_by(parent.name_key, student.name_key, Guardianship.id)).all()
    return [GuardianshipView(g.id, g.parent_id, _full_name(p), g.student_id, _full_name(s), g.relation,
                             g.start_date, g.end_date, g.version) for g, p, s in rows]


def _audit(uow: UnitOfWork, action: str, link: Guardianship, fields: list[str]) -> None:
    for person_id in (link.student_id, link.parent_id):
        # No detail: the relation ("guardian" tells a child is in care) is a field value, named in `fields`.
        uow.audit(action, object_type="guardianship", object_id=link.id, person_id=person_id, fields=fields)


class GuardianshipService(Service):
    """Links between students and their parents or guardians."""

    area = "guardianship"

    @service("people.write")
    def link(self, uow: UnitOfWork, parent_id: int, student_id: int, relation: str,
             start_date: date | None = None) -> GuardianshipView:
        """Record that `parent_id` is the student's mother, father, guardian or other representative from
        `start_date` (today by default). The student must have been enrolled in the school at some time; a
        link between the same two people still running on or after `start_date` is a Conflict."""
        if relation not in RELATIONS:
            raise invalid("relation", "Кем приходится",
                          f"«{relation}» — неизвестное значение; допустимы: {', '.join(RELATIONS)}", "bad_format")
        if parent_id == student_id:
            raise invalid("parent", "Родитель", "человек не может быть представителем самого себя", "self")
        student = lock_person(uow, student_id)
        parent = get_person(uow, parent_id)
        day = start_date or date.today()
        enrolled = uow.session.scalar(select(exists().where(Enrolment.school_id == uow.school_id,
                                                            Enrolment.person_id == student.id)))
        if not enrolled:
            raise ValidationFailed([Problem("student", "not_student",
                                            "Ученик: этот человек не зачислен в школу ни одним приказом")])
        same = uow.session.scalars(select(Guardianship).where(
            Guardianship.school_id == uow.school_id, Guardianship.parent_id == parent.id,
            Guardianship.student_id == student.id,
            or_(Guardianship.end_date.is_(None), Guardianship.end_date >= day))).first()
        if same is not None:
            raise Conflict(f"Связь уже записана: {RELATIONS[same.relation]} с {format_date(same.start_date)}")
        row = Guardianship(school_id=uow.school_id, parent_id=parent.id, student_id=student.id,
                           relation=relation, start_date=day)
        uow.session.add(row)
        uow.session.flush()
        _audit(uow, "guardianship.create", row, ["parent_id", "student_id", "relation", "start_date"])
        return _views(uow, None, Guardianship.id == row.id)[0]

    @service("people.write")
    def end(self, uow: UnitOfWork, guardianship_id: int, end_date: date) -> GuardianshipView:
        """End a link on `end_date` (its last day). Ending an ended link is a Conflict."""
        row = uow.session.get(Guardianship, guardianship_id)
        if row is None or row.school_id != uow.school_id:
            raise NotFound(f"Связь с номером записи {guardianship_id} не найдена")
        lock_person(uow, row.student_id)
        if row.end_date is not None:
            raise Conflict(f"Связь уже завершена {format_date(row.end_date)}")
        if end_date < row.start_date:
            raise ValidationFailed([Problem("end_date", "out_of_range",
                                            f"Дата окончания: {format_date(end_date)} раньше начала "
                                            f"{format_date(row.start_date)}")])
        row.end_date = end_date
        uow.session.flush()
        _audit(uow, "guardianship.end", row, ["end_date"])
        return _views(uow, None, Guardianship.id == row.id)[0]

    @service("people.read")
    def children(self, uow: UnitOfWork, parent_id: int, on: date | None = None) -> list[GuardianshipView]:
        """The students the person represents on `on` (today by default); the read is audited."""
        parent = get_person(uow, parent_id)
        uow.audit("guardianship.read", object_type="person", object_id=parent.id, person_id=parent.id)
        return _views(uow, on or date.today(), Guardianship.parent_id == parent.id)

    @service("people.read")
    def guardians(self, uow: UnitOfWork, student_id: int, on: date | None = None) -> list[GuardianshipView]:
        """The parents and guardians of the student on `on` (today by default); the read is audited."""
        student = get_person(uow, student_id)
        uow.audit("guardianship.read", object_type="person", object_id=student.id, person_id=student.id)
        return _views(uow, on or date.today(), Guardianship.student_id == student.id)
