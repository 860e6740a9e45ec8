"""Reading the audit trail (AuditLogService): newest first, keyset pages, filters by person, user, action and
dates, one record by number, the school's records only, and nothing a record does not hold."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN_LOGIN
from zhurnal.core import audit
from zhurnal.core.audit import AuditEvent
from zhurnal.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import AuditRecord, School, utcnow
from zhurnal.core.permissions import Actor
from zhurnal.core.services.audit_log import AuditEntry, AuditFilter, AuditLogService
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.users import UserService

PASSWORD = "a teacher's passphrase 7"


@pytest.fixture
def log(store):
    return AuditLogService(store)


def all_seqs(log, actor, where=None, limit=3):
    """Every page of the filtered list, walked with next_before."""
    seen, before = [], None
    while True:
        page = log.list(actor, where, before_seq=before, limit=limit)
        seen.extend(r.seq for r in page.rows)
        if page.next_before is None:
            return seen
        assert len(page.rows) == limit
        before = page.next_before


def test_newest_first_in_keyset_pages(store, admin, log):
    users = UserService(store, sleep=lambda _s: None)
    for n in range(7):
        users.add(admin, f"user{n}", password=PASSWORD)
    with store.session(write=False) as s:
        expected = list(s.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq.desc())))
    assert all_seqs(log, admin) == expected
    first = log.list(admin, limit=2)
    assert [r.seq for r in first.rows] == expected[:2] and first.next_before == expected[1]


def test_filters_narrow_the_list(store, admin, log, school):
    users = UserService(store, sleep=lambda _s: None)
    person = PersonService(store).create(admin, PersonInput("Иванова", "Мария", None, date(1980, 1, 2)),
                                         today=date(2026, 11, 28)).person
    created = users.add(admin, "ivanova", person_id=person.id, password=PASSWORD)
    users.add(admin, "other", password=PASSWORD)
    users.reset(admin, created.id)

    by_person = log.list(admin, AuditFilter(person_id=person.id)).rows
    assert by_person and all(r.person_id == person.id for r in by_person)
    assert {"person.create", "user.create", "user.reset"} <= {r.action for r in by_person}

    by_action = log.list(admin, AuditFilter(action="USER.")).rows  # a prefix, case folded
    assert {r.action for r in by_action} == {"user.create", "user.reset"}
    assert len([r for r in by_action if r.action == "user.create"]) == 3  # the seeded administrator too

    by_user = log.list(admin, AuditFilter(login=ADMIN_LOGIN.upper())).rows
    assert by_user and all(r.user_id == admin.user_id for r in by_user)
    assert log.list(admin, AuditFilter(login="nobody-such")).rows == []

    today = utcnow().astimezone().date()
    assert log.list(admin, AuditFilter(action="user.reset", date_from=today, date_to=today)).rows
    assert log.list(admin, AuditFilter(date_to=today - timedelta(days=400))).rows == []
    assert log.list(admin, AuditFilter(date_from=today + timedelta(days=1))).rows == []
    with pytest.raises(ValidationFailed):
        log.list(admin, AuditFilter(date_from=today, date_to=today - timedelta(days=1)))

    combined = all_seqs(log, admin, AuditFilter(person_id=person.id, action="user.", login=ADMIN_LOGIN), limit=1)
    assert len(combined) == 2  # user.create and user.reset of that person, one per page


def test_a_record_holds_no_personal_data_beyond_its_columns(store, admin, log):
    person = PersonService(store).create(admin, PersonInput("Петров", "Пётр", None, date(1990, 5, 6)),
                                         today=date(2026, 11, 28)).person
    entry = log.list(admin, AuditFilter(person_id=person.id, action="person.create")).rows[0]
    assert {f.name for f in dataclasses.fields(AuditEntry)} == {c.name for c in AuditRecord.__table__.columns}
    values = " ".join(str(v) for v in dataclasses.asdict(entry).values())
    assert "Петров" not in values and "1990" not in values
    assert log.get(admin, entry.seq) == entry
    assert entry.hash and entry.prev_hash


def test_other_schools_records_are_not_shown(store, admin, log, school):
    # A record of another school (written directly: the test database has one school).
    with store.session() as s:
        other = School(name="Другая школа", code="school-2")
        s.add(other)
        s.flush()
        audit.append(s, user_id=None, login="district", school_id=other.id, events=[AuditEvent("x.other")])
        s.commit()
        seq = s.scalar(select(AuditRecord.seq).where(AuditRecord.action == "x.other"))
    assert log.list(admin, AuditFilter(action="x.")).rows == []
    with pytest.raises(NotFound):
        log.get(admin, seq)


def test_reading_needs_audit_read_and_is_not_itself_audited(store, admin, log, school):
    with store.session(write=False) as s:
        before = s.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1))
    log.list(admin)
    with store.session(write=False) as s:
        assert s.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1)) == before
    teacher = Actor(None, "teacher", school.school_id, frozenset({"teacher"}))
    with pytest.raises(PermissionDenied):
        log.list(teacher)
    auditor = Actor(None, "auditor", school.school_id, frozenset({"auditor"}))
    assert log.list(auditor).rows


def test_user_list_searches_login_and_person_name(store, admin):
    users = UserService(store, sleep=lambda _s: None)
    person = PersonService(store).create(admin, PersonInput("Семёнова", "Алла", None, date(1985, 3, 4)),
                                         today=date(2026, 11, 28)).person
    users.add(admin, "asemenova", person_id=person.id, password=PASSWORD)
    users.add(admin, "semenov.x", password=PASSWORD)
    assert [r.login for r in users.list(admin, text="семенова").rows] == ["asemenova"]
    assert [r.login for r in users.list(admin, text="Алла").rows] == ["asemenova"]
    assert [r.login for r in users.list(admin, text="SEMEN").rows] == ["semenov.x"]
    assert [r.login for r in users.list(admin, text="%").rows] == []
    assert ADMIN_LOGIN in [r.login for r in users.list(admin).rows]
