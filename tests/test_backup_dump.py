"""The fast paths of backup create and verify against their definitions: the raw DB-API dump writes byte for
byte what encoding SQLAlchemy's own rows with json.dumps writes (on SQLite and PostgreSQL), and the audit
chain check's hash equals audit.record_hash, whatever the values."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from tests.conftest import ADMIN_PASSWORD
from zhurnal.core.audit import record_hash
from zhurnal.core.backup import format as fmt
from zhurnal.core.models import Base, Person
from zhurnal.core.store import Store

TODAY = date(2026, 11, 28)
TRICKY = "О'Нил \"x\" \\ / \n\r\t\b\f\x01\x1f\x7f\u2028\u2029 ёЁ 😀"


@pytest.fixture
def demo_store(empty_store: Store) -> Store:
    from zhurnal.core.demo.generator import build_demo
    from zhurnal.core.passwords import hash_password

    empty_store.upgrade()
    build_demo(empty_store, seed=5, schools=1, today=TODAY, admin_password_hash=hash_password(ADMIN_PASSWORD))
    with empty_store.session() as session:
        session.add(Person(school_id=1, last_name=TRICKY, first_name="Анна", name_key="x"))
        session.commit()
    return empty_store


def test_raw_dump_writes_what_the_orm_rows_encode_to(demo_store: Store) -> None:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    with demo_store.engine.connect() as conn, conn.begin():
        snapshot = fmt.take_snapshot(conn)
        try:
            for table, dumped in zip(fmt.tables_in_order(), snapshot.tables, strict=True):
                codec = fmt.TableCodec.of(table)
                rows = conn.execute(select(table).order_by(*table.primary_key.columns))
                expected = "".join(encode(codec.encode(row)) + "\n" for row in rows).encode("utf-8")
                assert dumped.file.read() == expected, table.name
                assert dumped.rows == expected.count(b"\n")
        finally:
            snapshot.close()
    assert snapshot.audit_count > 0
    assert any(t.name == "staff_positions" and t.rows for t in snapshot.tables)  # decimals were dumped


def _sqlite_converter(table: str, column: str) -> Any:
    found = dict(fmt.raw_converters(Base.metadata.tables[table], sqlite.dialect()))
    return found[[c.name for c in Base.metadata.tables[table].columns].index(column)]


def test_sqlite_moment_and_date_shortcuts_agree_with_the_generic_path() -> None:
    moment = _sqlite_converter(fmt.AUDIT_TABLE, "at")
    assert moment("2026-11-28 09:30:15.123456") == "2026-11-28T09:30:15.123456Z"
    assert moment("2026-11-28 09:30:15") == "2026-11-28T09:30:15.000000Z"  # not SQLAlchemy's text: parsed
    with pytest.raises(ValueError):
        moment("2026-02-30 09:30:15.123456")  # an impossible moment stops the backup, as before
    day = _sqlite_converter("staff_positions", "start_date")
    assert day("2026-11-28") == "2026-11-28"
    with pytest.raises(ValueError):
        day("2026-13-01")


def _record(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"seq": 7, "at": "2026-11-28T09:30:15.123456+00:00", "user_id": 3, "login": "admin",
                              "school_id": None, "action": "person.update", "object_type": "person",
                              "object_id": 12, "person_id": 12, "outcome": "ok",
                              "fields": '["first_name", "last_name"]', "detail": None, "prev_hash": "a" * 64}
    values.update(changes)
    return values


@pytest.mark.parametrize("changes", [
    {}, {"detail": TRICKY}, {"login": "ёжик"}, {"object_id": 2**63 - 1}, {"object_id": 2**70},
    {"object_id": 1e16}, {"object_id": True}, {"detail": 0.1}, {"fields": None, "user_id": None},
])
def test_the_chain_check_hashes_like_record_hash(changes: dict[str, Any]) -> None:
    values = _record(**changes)
    assert fmt._canonical_hash(dict(values)) == record_hash(values)


def test_the_chain_check_with_other_columns_falls_back_to_record_hash() -> None:
    values = _record()
    del values["detail"]
    assert fmt._canonical_hash(values) is None  # record_hash: KeyError → no hash → "изменена"
    values = _record(extra="x")
    assert fmt._canonical_hash(dict(values)) == record_hash(values)  # record_hash ignores other keys


def test_block_parse_refuses_lines_that_are_not_one_value_each() -> None:
    assert fmt._parse_block(b'{"a":1}\n{"b":2}\n') == [{"a": 1}, {"b": 2}]
    assert fmt._parse_block(b'{"a":1}\n{"b":2}') == [{"a": 1}, {"b": 2}]
    assert fmt._parse_block(b'{"a":1},{"b":2}\n') is None
    with pytest.raises(ValueError):
        fmt._parse_block(b'{"a":1}\n\n')
