"""DashboardService: what needs the administrator's attention, and the audit chain state (read-only, core)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from tests.helpers import make_class, make_user
from tests.test_audit import drop_guards
from zhurnal.core.errors import PermissionDenied
from zhurnal.core.models import AcademicYear, Enrolment, User, utcnow
from zhurnal.core.permissions import Actor
from zhurnal.core.services.dashboard import DashboardService
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.persons import PersonInput, PersonService


def person(store, admin, last: str) -> int:
    return PersonService(store).create(admin, PersonInput(last, "Анна", None, date(2015, 5, 5), "F")).person.id


@pytest.fixture
def year(store, school) -> AcademicYear:
    with store.session() as s:
        return s.scalars(select(AcademicYear).where(AcademicYear.school_id == school.school_id)).one()


def test_a_fresh_school_needs_little_attention(store, admin, year):
    attention = DashboardService(store).attention(admin, on=year.start_date + timedelta(days=30))
    assert attention.classes_without_teacher == []
    assert attention.students_without_class == 0 and attention.persons_unplaced == 0
    assert attention.accounts_never_activated == 1  # the administrator has not signed in (init does not)


def test_attention_counts_what_is_out_of_order(store, school, admin, year):
    day = year.start_date + timedelta(days=60)
    service = DashboardService(store)
    b = make_class(store, school.school_id, 5, "Б")
    make_class(store, school.school_id, 5, "А")
    make_class(store, school.school_id, 10, "А")
    enrol = OrderService(store).create(admin, "1-у", year.start_date, "enrolment", "Зачисление").id
    depart = OrderService(store).create(admin, "2-у", day - timedelta(days=10), "departure", "Выбытие").id
    staying, left, forgotten = (person(store, admin, name) for name in ("Иванова", "Петрова", "Сидорова"))
    unplaced = person(store, admin, "Кузнецова")
    for student in (staying, left, forgotten):
        EnrolmentService(store).enrol(admin, student, b, year.start_date, enrol)
    EnrolmentService(store).depart(admin, left, day - timedelta(days=10), depart, "transfer_out",
                                   "МБОУ «СОШ № 7»", today=day)
    with store.session() as s:  # an enrolment ended with no departure (as a year closed without promotion would)
        row = s.scalars(select(Enrolment).where(Enrolment.person_id == forgotten)).one()
        row.end_date = day - timedelta(days=1)
        s.commit()
    make_user(store, school.school_id, unplaced, "kuznetsova")

    attention = service.attention(admin, on=day)
    assert attention.classes_without_teacher == ["5А", "5Б", "10А"]  # by parallel, then letter
    assert attention.students_without_class == 1  # the forgotten one; the departed student left by order
    assert attention.persons_unplaced == 1
    assert attention.accounts_never_activated == 2
    # Before the forgotten student's enrolment ended, nothing was wrong with them.
    assert service.attention(admin, on=day - timedelta(days=1)).students_without_class == 0


def test_signing_in_activates_an_account(store, school, admin):
    with store.session() as s:
        s.scalars(select(User).where(User.login == admin.login)).one().last_login_at = utcnow()
        s.commit()
    assert DashboardService(store).attention(admin).accounts_never_activated == 0


def test_audit_chain_state(store, admin):
    service = DashboardService(store)
    state = service.audit_chain(admin)
    assert state.ok and state.records >= 4 and state.problem is None
    drop_guards(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET detail = 'edited' WHERE seq = 2"))
    broken = service.audit_chain(admin)
    assert not broken.ok and broken.problem == "запись 2 изменена (хэш не совпадает)"


def test_permissions(store, admin):
    teacher = Actor(admin.user_id, "teacher", admin.school_id, frozenset({"teacher"}))
    assert DashboardService(store).attention(teacher).classes_without_teacher == []  # stats.read is enough
    with pytest.raises(PermissionDenied):
        DashboardService(store).audit_chain(teacher)
    nobody = Actor(None, "parent", admin.school_id, frozenset({"parent"}))
    with pytest.raises(PermissionDenied):
        DashboardService(store).attention(nobody)


def test_last_verified_backup_reads_the_folder(store, admin, tmp_path):
    from zhurnal.core.backup.age import X25519Identity
    from zhurnal.core.backup.service import BackupService

    folder, identity = tmp_path / "backups", X25519Identity.generate()
    backups, service = BackupService(store, folder=folder), DashboardService(store)
    assert service.last_verified_backup(admin, folder=folder).backups == 0  # no folder yet
    first = backups.create(admin, recipients=[identity.recipient()]).path
    unverified = service.last_verified_backup(admin, folder=folder)
    assert unverified.backups == 1 and unverified.verified is None  # an unverified copy does not count
    assert backups.verify(admin, first, [identity]).ok
    backups.create(admin, recipients=[identity.recipient()])  # newer (or the same second), never verified
    state = service.last_verified_backup(admin, folder=folder)
    assert state.backups == 2 and state.verified is not None
    last = state.verified
    assert last.name == first.name and last.created.tzinfo is not None
    later = service.last_verified_backup(admin, folder=folder, now=last.created + timedelta(hours=3, minutes=5))
    assert later.verified is not None and later.verified.hours == 3 and later.verified.days == 0


def test_last_verified_backup_needs_backup_create(store, admin, tmp_path):
    teacher = Actor(admin.user_id, "teacher", admin.school_id, frozenset({"teacher"}))
    with pytest.raises(PermissionDenied):
        DashboardService(store).last_verified_backup(teacher, folder=tmp_path)
