"""Staff service: hire and dismiss by order, positions, the staff list, accounts that follow employees."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.helpers import make_user, records, user_active
from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.permissions import Actor
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.staff import StaffService

D = date(2026, 9, 1)


def make_person(store, admin, last: str, first: str = "Ольга") -> int:
    return PersonService(store).create(admin, PersonInput(last, first, "Петровна", date(1980, 2, 2), "F")).person.id


def make_order(store, admin, kind: str, number: str, on: date = D) -> int:
    return OrderService(store).create(admin, number, on, kind, f"Приказ {number}").id


@pytest.fixture
def orders(store, admin):
    return {"hire": make_order(store, admin, "hire", "10-к"), "dismissal": make_order(store, admin, "dismissal",
                                                                                      "11-к", date(2026, 11, 1))}


def test_hire_and_staff_list_by_name(store, admin, orders):
    service = StaffService(store)
    romanova, antonova = make_person(store, admin, "Романова"), make_person(store, admin, "Антонова")
    hired = service.hire(admin, romanova, "  учитель   математики ", D, orders["hire"], Decimal("1.5"))
    assert (hired.position, hired.rate, hired.end_date) == ("учитель математики", Decimal("1.50"), None)
    assert hired.start_order == "№ 10-к от 01.09.2026"
    service.hire(admin, antonova, "Педагог-психолог", D + timedelta(days=10), orders["hire"], "0,5")
    assert [(r.full_name, r.position) for r in service.active_staff(admin, D + timedelta(days=10))] == [
        ("Антонова Ольга Петровна", "Педагог-психолог"), ("Романова Ольга Петровна", "учитель математики")]
    assert [r.person_id for r in service.active_staff(admin, D)] == [romanova]


def test_hire_refusals(store, admin, orders):
    service = StaffService(store)
    person = make_person(store, admin, "Романова")
    service.hire(admin, person, "Учитель математики", D, orders["hire"])
    with pytest.raises(Conflict, match="Учитель математики"):
        service.hire(admin, person, "УЧИТЕЛЬ МАТЕМАТИКИ", D + timedelta(days=30), orders["hire"])
    for rate in ("0.05", "2.5", "1.005", "много"):
        with pytest.raises(ValidationFailed) as failure:
            service.hire(admin, person, "Учитель физики", D, orders["hire"], rate)
        assert [p.field for p in failure.value.problems] == ["rate"]
    with pytest.raises(ValidationFailed) as failure:
        service.hire(admin, person, "Учитель физики", D, orders["dismissal"])
    assert [p.field for p in failure.value.problems] == ["order"]
    with pytest.raises(ValidationFailed) as failure:
        service.hire(admin, person, "   ", D, orders["hire"])
    assert failure.value.problems[0].message.startswith("Должность: ")
    assert len(service.positions(admin, person)) == 1


def test_dismiss_checks_dates_and_is_not_repeated(store, admin, orders):
    service = StaffService(store)
    person = make_person(store, admin, "Романова")
    hired = service.hire(admin, person, "Учитель", D, orders["hire"])
    with pytest.raises(ValidationFailed) as failure:
        service.dismiss(admin, hired.id, D - timedelta(days=1), orders["dismissal"])
    assert failure.value.problems[0].field == "end_date"
    with pytest.raises(ValidationFailed) as failure:
        service.dismiss(admin, hired.id, D, orders["hire"])
    assert failure.value.problems[0].field == "order"
    ended = service.dismiss(admin, hired.id, date(2026, 11, 1), orders["dismissal"], "agreement",
                            today=date(2026, 11, 2))
    assert (ended.end_date, ended.end_reason, ended.end_order) == (date(2026, 11, 1), "agreement",
                                                                   "№ 11-к от 01.11.2026")
    with pytest.raises(Conflict):
        service.dismiss(admin, hired.id, date(2026, 11, 2), orders["dismissal"])
    assert service.active_staff(admin, date(2026, 11, 2)) == []
    # the position may be held again after the dismissal
    service.hire(admin, person, "Учитель", date(2026, 11, 10), orders["hire"])


def test_account_follows_the_last_position(store, admin, school, orders):
    service = StaffService(store)
    person = make_person(store, admin, "Романова")
    user = make_user(store, school.school_id, person, "romanova")
    first = service.hire(admin, person, "Учитель", D, orders["hire"])
    second = service.hire(admin, person, "Библиотекарь", D, orders["hire"], "0.25")
    last_day, after = date(2026, 11, 1), date(2026, 11, 20)
    service.dismiss(admin, first.id, last_day, orders["dismissal"], today=after)
    assert user_active(store, user)  # still a librarian
    service.dismiss(admin, second.id, date(2026, 12, 31), orders["dismissal"], today=after)
    assert user_active(store, user)  # the last day has not come yet
    assert service.deactivate_due_accounts(admin, today=date(2026, 12, 30)) == []
    disabled = service.deactivate_due_accounts(admin, today=date(2026, 12, 31))
    assert [(d.user_id, d.login, d.person_id) for d in disabled] == [(user, "romanova", person)]
    assert not user_active(store, user)
    [record] = records(store, "user.disable")
    assert record.person_id == person and json.loads(record.fields) == ["is_active"]


def test_dismissal_in_the_past_disables_at_once_and_is_audited_without_values(store, admin, school, orders):
    service = StaffService(store)
    person = make_person(store, admin, "Романова")
    user = make_user(store, school.school_id, person, "romanova")
    hired = service.hire(admin, person, "Учитель", D, orders["hire"])
    service.dismiss(admin, hired.id, date(2026, 11, 1), orders["dismissal"], today=date(2026, 11, 1))
    assert not user_active(store, user)
    service.positions(admin, person)
    for action in ("staff.hire", "staff.dismiss", "staff.read", "user.disable"):
        [record] = records(store, action)
        assert record.person_id == person
        text = f"{record.fields} {record.detail}"
        assert "Романова" not in text and "Учитель" not in text


def test_permissions_and_school_scope(store, admin, school, orders):
    service = StaffService(store)
    person = make_person(store, admin, "Романова")
    teacher = Actor(user_id=None, login="teacher", school_id=school.school_id, roles=frozenset({"teacher"}))
    with pytest.raises(PermissionDenied):
        service.hire(teacher, person, "Учитель", D, orders["hire"])
    with pytest.raises(PermissionDenied):
        service.deactivate_due_accounts(teacher)
    hired = service.hire(admin, person, "Учитель", D, orders["hire"])
    stranger = Actor(user_id=None, login="x", school_id=school.school_id + 1000, roles=frozenset({"admin"}))
    with pytest.raises(NotFound):
        service.dismiss(stranger, hired.id, date(2026, 11, 1), orders["dismissal"])
    with pytest.raises(NotFound):
        service.positions(stranger, person)
