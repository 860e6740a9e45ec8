"""JSON (zhurnal-json): lists through the engine, and the full-fidelity store dump loaded into an empty
database — every row back except the secrets (login codes, password hashes)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.test_import_support import TODAY, counts, make_classes, run, runs
from zhurnal.core.backup.format import TableCodec, tables_in_order
from zhurnal.core.demo.generator import build_demo
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store
from zhurnal.plugins.builtin.json_format import (
    FORMAT,
    JsonImporter,
    dump_store,
    load_store,
    parse_document,
    write_store,
)
from zhurnal.plugins.engine.export import export
from zhurnal.plugins.engine.formats import FormatError, ReadOptions
from zhurnal.plugins.manager import Hub

DEMO_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"


@pytest.fixture
def hub() -> Hub:
    return Hub(entry_points=False)


@pytest.fixture
def demo_store(empty_store: Store) -> Store:
    empty_store.upgrade()
    build_demo(empty_store, seed=3, today=TODAY, admin_password_hash=DEMO_HASH)
    return empty_store


@pytest.fixture
def target(another_store_: Store) -> Store:
    return another_store_


@pytest.fixture
def another_store_(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if engine_name == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'target.sqlite3'}")
        store.upgrade()
        yield store
        store.dispose()
        return
    server = request.getfixturevalue("pg_server")
    name = server.create()
    store = Store(server.url_for(name))
    store.upgrade()
    yield store
    store.dispose()
    server.drop(name)


def _all_rows(store: Store) -> dict[str, list[dict]]:
    found = {}
    with store.engine.connect() as connection:
        for table in tables_in_order():
            codec = TableCodec.of(table)
            found[table.name] = [codec.encode(r) for r in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
    return found


def test_store_round_trip_keeps_every_row_but_the_secrets(demo_store, target):
    actor = Actor.system("test")
    out = io.BytesIO()
    written = write_store(demo_store, actor, out)
    data = out.getvalue()
    assert b"$argon2" not in data and b"code_hash" not in data
    document = json.loads(data)
    assert document["format"] == FORMAT and document["version"] == 1 and document["kind"] == "store"
    assert document["schools"] and "login_codes" not in document["tables"]
    loaded = load_store(target, actor, data)
    assert sum(loaded.values()) == written
    before, after = _all_rows(demo_store), _all_rows(target)
    for name, rows in before.items():
        if name == "login_codes":
            assert after[name] == []
            continue
        if name == "users":
            assert any(r["password_hash"] for r in rows)
            rows = [{**r, "password_hash": None} for r in rows]
        assert after[name] == rows, name
    assert sum(len(r) for r in before.values()) > 1000


def test_store_load_refuses_a_database_that_is_not_empty(store, admin):
    actor = Actor.system("test")
    document = dump_store(store, actor)
    before = counts(store)
    with pytest.raises(FormatError, match="не пуста"):
        load_store(store, actor, json.dumps(document).encode())
    assert counts(store) == before


def test_store_load_checks_every_value(store, target):
    actor = Actor.system("test")
    document = dump_store(store, actor)
    document["tables"]["academic_years"][0]["start_date"] = "31.02.2026"
    with pytest.raises(FormatError, match="academic_years, строка 1: столбец start_date"):
        load_store(target, actor, json.dumps(document).encode())
    assert _all_rows(target)["schools"] == []


def test_store_dump_needs_the_rights(store, school):
    from zhurnal.core.errors import PermissionDenied

    teacher = Actor(user_id=None, login="t", school_id=school.school_id, roles=frozenset({"teacher"}))
    with pytest.raises(PermissionDenied):
        dump_store(store, teacher)


def test_lists_round_trip_through_the_engine(hub, store, school, admin, tmp_path):
    make_classes(store, school.school_id)
    source = tmp_path / "in.csv"
    source.write_text("Фамилия;Имя;Дата рождения;Пол;Класс;Телефон;Номер приказа;Дата приказа;Родитель 1 ФИО\n"
                      "Иванов;Иван;01.01.2015;М;5А;+7 912 000-00-01;1;01.09.2026;Иванова Мария Петровна\n",
                      encoding="utf-8")
    assert run(hub, store, admin, source).applied
    out = io.BytesIO()
    export(hub, store, admin, "students", "json", out, on=TODAY)
    document = json.loads(out.getvalue())
    assert document["kind"] == "lists"
    row = document["tables"]["students"][0]
    assert row["last_name"] == "Иванов" and row["birth_date"] == "2015-01-01" and row["class_name"] == "5А"
    path = tmp_path / "students.json"
    path.write_bytes(out.getvalue())
    before = counts(store)
    again = run(hub, store, admin, path)
    assert not again.messages, [str(m) for m in again.messages]
    assert again.report.counts["new"] == 0 and again.report.counts["changed"] == 0
    assert counts(store) == before and runs(store)[-1].format == "json"


@pytest.mark.parametrize(("data", "words"), [
    (b"", "пуст"),
    (b"[1]", "объектом"),
    (b'{"format": "x"}', "не документ"),
    (b'{"format": "zhurnal-json", "version": 2, "tables": {}}', "версия"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": []}', "tables"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": {"students": [1]}}', "ожидается объект"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": {"x": []}}', "неизвестна"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": {"students": [{"last_name": [1]}]}}', "ожидается текст"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": {"students": [{"last_name": true}]}}', "логическое"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": {"students": [{"snils": NaN}]}}', "NaN"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": {"students": [{"snils": ' + b"9" * 5000 + b"}]}}",
     "слишком большое"),
    (b"[" * 100000 + b"]" * 100000, "вложенность"),
    (b'{"format": "zhurnal-json", "version": 1, "kind": "store", "tables": {}}', "полная выгрузка"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": {"students": [{"x": "\xff"}]}}', "UTF-8"),
    (b'{"format": "zhurnal-json", "version": 1, "tables": {', "повреждён"),
])
def test_wrong_documents_are_refused_clearly(data, words):
    with pytest.raises(FormatError, match=words):
        JsonImporter().read(data, ReadOptions(max_rows=10))


def test_parse_document_accepts_a_bom():
    assert parse_document(b'\xef\xbb\xbf{"format": "zhurnal-json", "version": 1, "tables": {}}')["tables"] == {}
