"""Order service: the register of directors' orders, and `resolve_order` that movements rely on."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.helpers import make_class
from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import AuditRecord, School
from zhurnal.core.permissions import Actor
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.orders import OrderService, resolve_order
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.staff import StaffService
from zhurnal.core.uow import UnitOfWork

D = date(2026, 9, 1)


def make_person(store, admin, last: str) -> int:
    return PersonService(store).create(admin, PersonInput(last, "Вера", None, date(2016, 6, 6))).person.id


def test_create_cleans_and_audits_without_person(store, admin):
    order = OrderService(store).create(admin, "  12-к ", D, "hire", " О приёме  на работу ", "Принять\r\n\r\n\r\n"
                                       "на должность")
    assert (order.number, order.title, order.text, order.label) == (
        "12-к", "О приёме на работу", "Принять\n\nна должность", "№ 12-к от 01.09.2026")
    with store.session() as s:
        record = s.scalars(select(AuditRecord).where(AuditRecord.action == "order.create")).one()
    assert record.object_id == order.id and record.person_id is None and "12-к" in record.detail


def test_number_is_unique_per_calendar_year_case_folded(store, admin):
    service = OrderService(store)
    service.create(admin, "12-к", D, "hire", "О приёме")
    with pytest.raises(Conflict, match=re.escape("Приказ № 12-к от 01.09.2026 уже есть")):
        service.create(admin, "12-К", date(2026, 12, 1), "dismissal", "Об увольнении")
    assert service.create(admin, "12-к", date(2027, 1, 10), "hire", "О приёме").number == "12-к"


def test_bad_fields_are_named(store, admin):
    service = OrderService(store)
    with pytest.raises(ValidationFailed) as failure:
        service.create(admin, "1", D, "vacation", "Об отпуске")
    assert [p.field for p in failure.value.problems] == ["kind"]
    with pytest.raises(ValidationFailed) as failure:
        service.create(admin, " ", D, "hire", "")
    assert [p.field for p in failure.value.problems] == ["number", "title"]
    assert failure.value.problems[0].message.startswith("Номер приказа: ")
    assert service.list(admin) == []


def test_list_find_and_get_with_movement_counts(store, admin, school):
    service = OrderService(store)
    enrol = service.create(admin, "1-у", date(2026, 8, 30), "enrolment", "О зачислении")
    hire = service.create(admin, "2-к", D, "hire", "О приёме")
    service.create(admin, "3-к", date(2026, 10, 1), "dismissal", "Об увольнении")
    assert [o.number for o in service.list(admin)] == ["1-у", "2-к", "3-к"]
    assert [o.number for o in service.list(admin, kind="hire")] == ["2-к"]
    assert [o.number for o in service.list(admin, date_from=D, date_to=date(2026, 9, 30))] == ["2-к"]
    assert service.find(admin, "2-К", D) == hire
    assert service.find(admin, "2-к", date(2026, 9, 2)) is None
    class_id = make_class(store, school.school_id, 1, "А")
    for name in ("Белова", "Чернова"):
        EnrolmentService(store).enrol(admin, make_person(store, admin, name), class_id, D, enrol.id)
    StaffService(store).hire(admin, make_person(store, admin, "Седова"), "Учитель", D, hire.id)
    detail = service.get(admin, enrol.id)
    assert (detail.enrolments_started, detail.enrolments_ended, detail.positions_started) == (2, 0, 0)
    assert service.get(admin, hire.id).positions_started == 1


def test_resolve_order_checks_school_and_kind(store, admin, school):
    order = OrderService(store).create(admin, "7", D, "transfer", "О переводе")
    with UnitOfWork(store, admin) as uow:
        assert resolve_order(uow, order.id, ("transfer",)).id == order.id
        for kinds in (("enrolment",), ("departure", "graduation")):
            with pytest.raises(ValidationFailed) as failure:
                resolve_order(uow, order.id, kinds)
            assert failure.value.problems[0].field == "order"
        with pytest.raises(ValidationFailed):
            resolve_order(uow, None, ("transfer",))
    with store.session() as s:
        other = School(code="school-2", name="СОШ № 2")
        s.add(other)
        s.commit()
        other_id = other.id
    stranger = Actor(user_id=None, login="other", school_id=other_id, roles=frozenset({"admin"}))
    with UnitOfWork(store, stranger) as uow, pytest.raises(ValidationFailed):
        resolve_order(uow, order.id, ("transfer",))
    with pytest.raises(NotFound):
        OrderService(store).get(stranger, order.id)
    assert OrderService(store).list(stranger) == []


def test_teacher_may_neither_write_nor_read_orders(store, school):
    teacher = Actor(user_id=None, login="teacher", school_id=school.school_id, roles=frozenset({"teacher"}))
    with pytest.raises(PermissionDenied):
        OrderService(store).create(teacher, "1", D, "hire", "О приёме")
    with pytest.raises(PermissionDenied):
        OrderService(store).list(teacher)
