"""Enrolment service: enrol, transfer and depart by order; class on a date; history; accounts follow students."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.helpers import make_class, make_user, records, user_active
from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import AcademicYear, School
from zhurnal.core.permissions import Actor
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.staff import StaffService


def current_year(store, school_id: int) -> AcademicYear:
    with store.session() as s:
        return s.scalars(select(AcademicYear).where(AcademicYear.school_id == school_id)).one()


def make_person(store, admin, last: str, first: str = "Анна") -> int:
    return PersonService(store).create(admin, PersonInput(last, first, None, date(2015, 5, 5), "F")).person.id


def make_order(store, admin, kind: str, number: str, on: date) -> int:
    return OrderService(store).create(admin, number, on, kind, f"Приказ {number}").id


@pytest.fixture
def world(store, school, admin):
    """The current year, classes 5А and 5Б, a student and orders of each movement kind."""
    year = current_year(store, school.school_id)
    start = year.start_date
    return {
        "year": year,
        "start": start,
        "a": make_class(store, school.school_id, 5, "А"),
        "b": make_class(store, school.school_id, 5, "Б"),
        "student": make_person(store, admin, "Соколова"),
        "enrol": make_order(store, admin, "enrolment", "1-у", start - timedelta(days=3)),
        "transfer": make_order(store, admin, "transfer", "2-у", start + timedelta(days=60)),
        "depart": make_order(store, admin, "departure", "3-у", start + timedelta(days=90)),
    }


def test_enrol_then_class_on_and_history(store, admin, world):
    service = EnrolmentService(store)
    saved = service.enrol(admin, world["student"], world["a"], world["start"], world["enrol"])
    assert saved.class_name == "5А" and saved.start_reason == "admission" and saved.end_date is None
    assert saved.start_order.startswith("№ 1-у от ")
    on = service.class_on(admin, world["student"], world["start"] + timedelta(days=10))
    assert on is not None and (on.id, on.name) == (world["a"], "5А")
    assert service.class_on(admin, world["student"], world["start"] - timedelta(days=1)) is None
    assert [h.class_name for h in service.history(admin, world["student"])] == ["5А"]


def test_wrong_order_kind_names_the_order_field(store, admin, world):
    with pytest.raises(ValidationFailed) as failure:
        EnrolmentService(store).enrol(admin, world["student"], world["a"], world["start"], world["transfer"])
    assert [p.field for p in failure.value.problems] == ["order"]
    assert failure.value.problems[0].message.startswith("Приказ: ")


def test_start_date_outside_the_year_is_refused(store, admin, world):
    with pytest.raises(ValidationFailed) as failure:
        EnrolmentService(store).enrol(admin, world["student"], world["a"], world["start"] - timedelta(days=1),
                                      world["enrol"])
    problem = failure.value.problems[0]
    assert problem.field == "start_date" and problem.message.startswith("Дата зачисления: ")


def test_overlapping_enrolment_is_a_conflict_naming_the_class(store, admin, world):
    service = EnrolmentService(store)
    service.enrol(admin, world["student"], world["a"], world["start"], world["enrol"])
    with pytest.raises(Conflict, match="5А"):
        service.enrol(admin, world["student"], world["b"], world["start"] + timedelta(days=5), world["enrol"])


def test_transfer_ends_one_enrolment_the_day_before_and_starts_another(store, admin, world):
    service = EnrolmentService(store)
    service.enrol(admin, world["student"], world["a"], world["start"], world["enrol"])
    move_day = world["start"] + timedelta(days=61)
    moved = service.transfer(admin, world["student"], world["b"], move_day, world["transfer"])
    history = service.history(admin, world["student"])
    assert [(h.class_name, h.start_date, h.end_date) for h in history] == [
        ("5А", world["start"], move_day - timedelta(days=1)), ("5Б", move_day, None)]
    assert history[0].end_reason == "transfer" and history[1].start_reason == "transfer"
    assert history[0].end_order == history[1].start_order == moved.started.start_order
    assert service.class_on(admin, world["student"], move_day - timedelta(days=1)).name == "5А"
    assert service.class_on(admin, world["student"], move_day).name == "5Б"


def test_transfer_refusals(store, admin, school, world):
    service = EnrolmentService(store)
    day = world["start"] + timedelta(days=61)
    with pytest.raises(ValidationFailed) as failure:
        service.transfer(admin, world["student"], world["b"], day, world["transfer"])
    assert failure.value.problems[0].field == "date"
    service.enrol(admin, world["student"], world["a"], world["start"], world["enrol"])
    with pytest.raises(ValidationFailed) as failure:
        service.transfer(admin, world["student"], world["a"], day, world["transfer"])
    assert failure.value.problems[0].field == "class"
    with pytest.raises(ValidationFailed) as failure:
        service.transfer(admin, world["student"], world["b"], day, world["enrol"])
    assert failure.value.problems[0].field == "order"
    with store.session() as s:
        next_year = AcademicYear(school_id=school.school_id, name="next", start_date=world["year"].end_date
                                 + timedelta(days=1), end_date=world["year"].end_date + timedelta(days=365))
        s.add(next_year)
        s.commit()
        next_year_id = next_year.id
    later = make_class(store, school.school_id, 6, "А", next_year_id)
    with pytest.raises(ValidationFailed) as failure:
        service.transfer(admin, world["student"], later, day, world["transfer"])
    assert failure.value.problems[0].field == "class"
    assert len(service.history(admin, world["student"])) == 1  # nothing changed


def test_departure_records_where_to_and_keeps_where_from(store, admin, world):
    service = EnrolmentService(store)
    service.enrol(admin, world["student"], world["a"], world["start"], world["enrol"], reason="transfer_in",
                  counterpart="МБОУ «СОШ № 7»")
    with pytest.raises(ValidationFailed) as failure:
        service.depart(admin, world["student"], world["start"] + timedelta(days=90), world["depart"],
                       "transfer_out")
    assert failure.value.problems[0].field == "counterpart"
    ended = service.depart(admin, world["student"], world["start"] + timedelta(days=90), world["depart"],
                           "transfer_out", "Гимназия № 2")
    assert (ended.came_from, ended.went_to, ended.end_reason) == ("МБОУ «СОШ № 7»", "Гимназия № 2",
                                                                  "transfer_out")
    assert service.class_on(admin, world["student"], world["start"] + timedelta(days=91)) is None
    with pytest.raises(ValidationFailed):  # no longer enrolled on that day
        service.depart(admin, world["student"], world["start"] + timedelta(days=95), world["depart"], "other")


def test_departure_disables_a_linked_account_once_the_day_has_come(store, admin, school, world):
    service = EnrolmentService(store)
    other = make_person(store, admin, "Лебедева")
    for person in (world["student"], other):
        service.enrol(admin, person, world["a"], world["start"], world["enrol"])
    past_user = make_user(store, school.school_id, world["student"], "sokolova")
    future_user = make_user(store, school.school_id, other, "lebedeva")
    last_day = world["start"] + timedelta(days=90)
    service.depart(admin, world["student"], last_day, world["depart"], "family_education",
                   today=last_day + timedelta(days=1))
    service.depart(admin, other, last_day, world["depart"], "family_education", today=last_day - timedelta(days=5))
    assert not user_active(store, past_user)
    assert user_active(store, future_user)
    disabled = StaffService(store).deactivate_due_accounts(admin, today=last_day - timedelta(days=1))
    assert disabled == [] and user_active(store, future_user)
    disabled = StaffService(store).deactivate_due_accounts(admin, today=last_day)
    assert [d.user_id for d in disabled] == [future_user] and not user_active(store, future_user)
    assert {r.person_id for r in records(store, "user.disable")} == {world["student"], other}


def test_audit_records_name_the_person_and_no_values(store, admin, world):
    service = EnrolmentService(store)
    service.enrol(admin, world["student"], world["a"], world["start"], world["enrol"])
    service.transfer(admin, world["student"], world["b"], world["start"] + timedelta(days=61), world["transfer"])
    trail = records(store, "enrolment.create") + records(store, "enrolment.end")
    assert len(trail) == 3
    for record in trail:
        assert record.person_id == world["student"] and record.object_type == "enrolment"
        assert all(name.isascii() for name in json.loads(record.fields))
        assert "Соколова" not in (record.detail or "") and "5А" not in (record.detail or "")
        assert "№" in record.detail


def test_teacher_may_not_move_students(store, admin, school, world):
    teacher = Actor(user_id=None, login="teacher", school_id=school.school_id, roles=frozenset({"teacher"}))
    service = EnrolmentService(store)
    with pytest.raises(PermissionDenied):
        service.enrol(teacher, world["student"], world["a"], world["start"], world["enrol"])
    with pytest.raises(PermissionDenied):
        service.history(teacher, world["student"])
    assert records(store, "enrolment.enrol")[-1].outcome == "denied"


def test_other_schools_objects_are_not_found(store, admin, world):
    with store.session() as s:
        other = School(code="school-2", name="СОШ № 2")
        s.add(other)
        s.commit()
        other_id = other.id
    stranger = Actor(user_id=None, login="other-admin", school_id=other_id, roles=frozenset({"admin"}))
    service = EnrolmentService(store)
    with pytest.raises(NotFound):
        service.enrol(stranger, world["student"], world["a"], world["start"], world["enrol"])
    with pytest.raises(NotFound):
        service.history(stranger, world["student"])
    mine = make_person(store, stranger, "Орлова")
    with pytest.raises(ValidationFailed) as failure:  # our order is not theirs
        service.enrol(stranger, mine, world["a"], world["start"], world["enrol"])
    assert failure.value.problems[0].field == "order"


def test_transfer_before_a_recorded_departure_carries_the_departure_over(store, admin, world):
    service = EnrolmentService(store)
    service.enrol(admin, world["student"], world["a"], world["start"], world["enrol"], reason="transfer_in",
                  counterpart="Лицей № 3")
    last_day, move_day = world["start"] + timedelta(days=90), world["start"] + timedelta(days=61)
    service.depart(admin, world["student"], last_day, world["depart"], "transfer_out", "Гимназия № 2",
                   today=world["start"])
    with pytest.raises(ValidationFailed) as failure:  # cannot move on the first day of an enrolment
        service.transfer(admin, world["student"], world["b"], world["start"], world["transfer"])
    assert failure.value.problems[0].field == "date"
    moved = service.transfer(admin, world["student"], world["b"], move_day, world["transfer"])
    assert (moved.ended.came_from, moved.ended.went_to, moved.ended.end_reason) == ("Лицей № 3", None,
                                                                                    "transfer")
    assert (moved.started.end_date, moved.started.end_reason, moved.started.went_to) == (
        last_day, "transfer_out", "Гимназия № 2")
    assert moved.started.end_order is not None and moved.started.end_order.startswith("№ 3-у")
    with pytest.raises(Conflict):  # the departure is already recorded
        service.depart(admin, world["student"], last_day, world["depart"], "other")
