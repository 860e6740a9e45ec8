"""Person service: validation, duplicates, optimistic versions, audited reads, keyset search."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from zhurnal.core.errors import Conflict, PermissionDenied, PossibleDuplicate, ValidationFailed
from zhurnal.core.models import AuditRecord, Person
from zhurnal.core.permissions import Actor
from zhurnal.core.services.persons import PersonInput, PersonService, input_from, with_changes

IVANOV = PersonInput("Иванов", "Пётр", "Сергеевич", date(2014, 3, 2), "M", "112-233-445 95")


def audit_actions(store) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


def test_create_normalises_and_audits_without_values(store, admin):
    saved = PersonService(store).create(admin, with_changes(IVANOV, last_name="  Иванов ", snils="11223344595"))
    assert saved.person.last_name == "Иванов"
    assert saved.person.snils == "112-233-445 95"
    with store.session() as s:
        record = s.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert record.action == "person.create" and record.person_id == saved.person.id
    assert "Иванов" not in (record.fields or "") and "11223344595" not in (record.fields or "")
    assert "last_name" in record.fields


def test_mixed_scripts_refused_and_nothing_written(store, admin):
    with pytest.raises(ValidationFailed) as failure:
        PersonService(store).create(admin, with_changes(IVANOV, last_name="Иванoв"))  # Latin o
    assert failure.value.problems[0].field == "last_name"
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_bad_snils_checksum_names_the_field(store, admin):
    with pytest.raises(ValidationFailed) as failure:
        PersonService(store).create(admin, with_changes(IVANOV, snils="112-233-445 96"))
    assert [p.field for p in failure.value.problems] == ["snils"]


def test_duplicate_by_folded_name_and_birth_date(store, admin):
    service = PersonService(store)
    service.create(admin, IVANOV)
    twin = with_changes(IVANOV, last_name="ИВАНОВ", first_name="Петр", snils=None)
    with pytest.raises(PossibleDuplicate):
        service.create(admin, twin)
    assert service.create(admin, twin, allow_duplicate=True).person.first_name == "Петр"


def test_same_snils_is_refused_even_when_allowed(store, admin):
    service = PersonService(store)
    service.create(admin, IVANOV)
    other = PersonInput("Петров", "Иван", None, date(2013, 1, 1), "M", IVANOV.snils)
    with pytest.raises(ValidationFailed, match="СНИЛС"):
        service.create(admin, other, allow_duplicate=True)


def test_later_save_of_the_same_version_is_refused(store, admin):
    service = PersonService(store)
    saved = service.create(admin, IVANOV).person
    first = service.update(admin, saved.id, saved.version, with_changes(input_from(saved), phone="89123456789"))
    assert first.person.version == saved.version + 1
    with pytest.raises(Conflict):
        service.update(admin, saved.id, saved.version, with_changes(input_from(saved), email="a@b.ru"))
    assert service.get(admin, saved.id).email is None


def test_read_is_audited_and_denied_read_is_audited(store, admin, school):
    service = PersonService(store)
    saved = service.create(admin, IVANOV).person
    service.get(admin, saved.id)
    parent = Actor(user_id=None, login="someone", school_id=school.school_id, roles=frozenset({"parent"}))
    with pytest.raises(PermissionDenied):
        service.get(parent, saved.id)
    actions = audit_actions(store)
    assert actions[-2:] == ["person.read", "person.get"]
    with store.session() as s:
        last = s.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert last.outcome == "denied"


def test_search_pages_by_keyset(store, admin):
    service = PersonService(store)
    for i, last in enumerate(["Бобров", "Аксёнов", "Волков", "Аксенова", "Гусев"]):
        service.create(admin, PersonInput(last, "Анна", None, date(2012, 1, i + 1), "F"))
    first = service.search(admin, limit=2)
    assert [r.full_name for r in first.rows] == ["Аксёнов Анна", "Аксенова Анна"]
    second = service.search(admin, after=first.next_after, limit=2)
    assert [r.full_name.split()[0] for r in second.rows] == ["Бобров", "Волков"]
    third = service.search(admin, after=second.next_after, limit=2)
    assert [r.full_name.split()[0] for r in third.rows] == ["Гусев"] and third.next_after is None
    assert [r.full_name.split()[0] for r in service.search(admin, "аксе").rows] == ["Аксёнов", "Аксенова"]
    assert [r.full_name.split()[0] for r in service.search(admin, "анн", limit=10).rows][:1] == ["Аксёнов"]
