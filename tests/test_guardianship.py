"""Guardianship service: dated links between students and their parents or guardians."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from tests.helpers import make_class
from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import AuditRecord
from zhurnal.core.permissions import Actor
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.guardianship import GuardianshipService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.persons import PersonInput, PersonService

D = date(2026, 9, 1)


def make_person(store, admin, last: str, first: str, birth: date) -> int:
    return PersonService(store).create(admin, PersonInput(last, first, None, birth)).person.id


@pytest.fixture
def family(store, admin, school):
    """A mother, a father and their son enrolled in 3А; a child nobody enrolled."""
    son = make_person(store, admin, "Кузнецов", "Илья", date(2018, 4, 4))
    order = OrderService(store).create(admin, "5-у", date(2026, 8, 30), "enrolment", "О зачислении").id
    EnrolmentService(store).enrol(admin, son, make_class(store, school.school_id, 3, "А"), D, order)
    return {"son": son, "mother": make_person(store, admin, "Кузнецова", "Мария", date(1990, 1, 1)),
            "father": make_person(store, admin, "Кузнецов", "Олег", date(1988, 1, 1)),
            "stranger": make_person(store, admin, "Зайцев", "Лев", date(2019, 1, 1))}


def test_link_then_guardians_and_children(store, admin, family):
    service = GuardianshipService(store)
    mother = service.link(admin, family["mother"], family["son"], "mother", D)
    service.link(admin, family["father"], family["son"], "father", date(2026, 10, 1))
    assert (mother.parent_name, mother.student_name, mother.relation) == ("Кузнецова Мария", "Кузнецов Илья",
                                                                          "mother")
    assert [g.relation for g in service.guardians(admin, family["son"], date(2026, 9, 15))] == ["mother"]
    assert [g.parent_name for g in service.guardians(admin, family["son"], date(2026, 10, 1))] == [
        "Кузнецов Олег", "Кузнецова Мария"]
    assert [g.student_id for g in service.children(admin, family["mother"], D)] == [family["son"]]
    assert service.children(admin, family["mother"], date(2026, 8, 31)) == []


def test_link_refusals(store, admin, family):
    service = GuardianshipService(store)
    with pytest.raises(ValidationFailed) as failure:
        service.link(admin, family["mother"], family["son"], "aunt", D)
    assert failure.value.problems[0].field == "relation"
    with pytest.raises(ValidationFailed) as failure:
        service.link(admin, family["son"], family["son"], "other", D)
    assert failure.value.problems[0].field == "parent"
    with pytest.raises(ValidationFailed) as failure:
        service.link(admin, family["mother"], family["stranger"], "mother", D)
    assert failure.value.problems[0].field == "student"
    service.link(admin, family["mother"], family["son"], "mother", D)
    with pytest.raises(Conflict):
        service.link(admin, family["mother"], family["son"], "mother", date(2026, 12, 1))


def test_end_then_link_again(store, admin, family):
    service = GuardianshipService(store)
    link = service.link(admin, family["mother"], family["son"], "guardian", D)
    with pytest.raises(ValidationFailed) as failure:
        service.end(admin, link.id, date(2026, 8, 1))
    assert failure.value.problems[0].field == "end_date"
    ended = service.end(admin, link.id, date(2026, 10, 31))
    assert ended.end_date == date(2026, 10, 31)
    with pytest.raises(Conflict):
        service.end(admin, link.id, date(2026, 11, 30))
    assert service.guardians(admin, family["son"], date(2026, 11, 1)) == []
    with pytest.raises(Conflict):  # the old link still runs on 31.10
        service.link(admin, family["mother"], family["son"], "mother", date(2026, 10, 31))
    service.link(admin, family["mother"], family["son"], "mother", date(2026, 11, 1))
    assert len(service.guardians(admin, family["son"], date(2026, 11, 1))) == 1


def test_both_people_get_an_audit_record_without_values(store, admin, family):
    service = GuardianshipService(store)
    link = service.link(admin, family["mother"], family["son"], "mother", D)
    service.end(admin, link.id, date(2026, 12, 31))
    with store.session() as s:
        trail = list(s.scalars(select(AuditRecord).where(AuditRecord.object_type == "guardianship")))
    assert sorted((r.action, r.person_id) for r in trail) == sorted(
        (action, person) for action in ("guardianship.create", "guardianship.end")
        for person in (family["mother"], family["son"]))
    for record in trail:
        assert "Кузнец" not in f"{record.fields} {record.detail}"
        assert all(name.isascii() for name in json.loads(record.fields))


def test_permissions_and_school_scope(store, admin, school, family):
    service = GuardianshipService(store)
    teacher = Actor(user_id=None, login="teacher", school_id=school.school_id, roles=frozenset({"teacher"}))
    with pytest.raises(PermissionDenied):
        service.link(teacher, family["mother"], family["son"], "mother", D)
    with pytest.raises(PermissionDenied):
        service.guardians(teacher, family["son"], D)
    link = service.link(admin, family["mother"], family["son"], "mother", D)
    stranger = Actor(user_id=None, login="x", school_id=school.school_id + 1000, roles=frozenset({"admin"}))
    with pytest.raises(NotFound):
        service.end(stranger, link.id, date(2026, 12, 31))
    with pytest.raises(NotFound):
        service.guardians(stranger, family["son"], D)
