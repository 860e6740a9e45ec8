"""Appending to and verifying the hash-chained audit trail.

Each record's hash is SHA-256 over a canonical JSON of all its columns including the previous record's
hash, so editing, removing or reordering any record breaks every link after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from zhurnal.core.models import AuditRecord, utcnow

GENESIS_HASH = "0" * 64
# Serialises appends on PostgreSQL so two transactions never compute the same next seq.
_PG_AUDIT_LOCK = 0x7A68_6175_6469_74  # "zhaudit"
_SMALL = 50  # up to this many events per append: a plain executemany

_HASHED_COLUMNS = ("seq", "at", "user_id", "login", "school_id", "action", "object_type", "object_id",
                   "person_id", "outcome", "fields", "detail", "prev_hash")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What a service wants recorded. `fields` are names of changed fields, never their values."""

    action: str
    object_type: str | None = None
    object_id: int | None = None
    person_id: int | None = None
    outcome: str = "ok"
    fields: Sequence[str] | None = None
    detail: str | None = None


def record_hash(values: dict[str, Any]) -> str:
    canonical = {name: values[name] for name in _HASHED_COLUMNS}
    at = canonical["at"]
    if isinstance(at, datetime):
        canonical["at"] = at.isoformat(timespec="microseconds")
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _lock_and_head(session: Session) -> tuple[int, str]:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    row = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def _fast_hash(canonical: dict[str, Any]) -> str | None:
    """record_hash of hashed columns whose `at` is already its isoformat text: orjson with sorted keys writes
    the very bytes json.dumps(..., ensure_ascii=False, sort_keys=True, separators=(",", ":")) writes for
    strings, integers and null (the same shortcut as backup.format._canonical_hash, tested against
    record_hash). None when orjson refuses a value (a lone surrogate): record_hash then decides."""
    try:
        return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except TypeError:
        return None


def _fields_text(fields: Sequence[str] | None, cache: dict[tuple[str, ...], str]) -> str | None:
    if not fields:
        return None
    key = tuple(fields)
    found = cache.get(key)
    if found is None:
        found = cache[key] = json.dumps(sorted(fields), ensure_ascii=False)
    return found


def append(session: Session, *, user_id: int | None, login: str | None, school_id: int | None,
           events: Iterable[AuditEvent]) -> int:
    """Append `events` in order inside the caller's transaction; returns how many were written.

    A few events (a form's save) go through one executemany; many (an import: two or three per row) are
    hashed with orjson and streamed through core.bulk (COPY on PostgreSQL), never all held as row dicts."""
    events = list(events)
    seq, prev = _lock_and_head(session)
    now = utcnow()
    if len(events) <= _SMALL:
        rows = []
        for event in events:
            seq += 1
            values: dict[str, Any] = {
                "seq": seq, "at": now, "user_id": user_id, "login": login, "school_id": school_id,
                "action": event.action, "object_type": event.object_type, "object_id": event.object_id,
                "person_id": event.person_id, "outcome": event.outcome,
                "fields": json.dumps(sorted(event.fields), ensure_ascii=False) if event.fields else None,
                "detail": event.detail, "prev_hash": prev,
            }
            values["hash"] = prev = record_hash(values)
            rows.append(values)
        if rows:
            session.execute(insert(AuditRecord), rows)
        return len(rows)
    from zhurnal.core.bulk import bulk_insert

    at_text = now.isoformat(timespec="microseconds")
    field_texts: dict[tuple[str, ...], str] = {}

    def rows_of() -> Iterator[dict[str, Any]]:
        nonlocal seq, prev
        for event in events:
            seq += 1
            values: dict[str, Any] = {
                "seq": seq, "at": at_text, "user_id": user_id, "login": login, "school_id": school_id,
                "action": event.action, "object_type": event.object_type, "object_id": event.object_id,
                "person_id": event.person_id, "outcome": event.outcome,
                "fields": _fields_text(event.fields, field_texts), "detail": event.detail, "prev_hash": prev,
            }
            digest = _fast_hash(values)
            values["at"] = now
            values["hash"] = prev = digest if digest is not None else record_hash(values)
            yield values

    return bulk_insert(session, cast(Table, AuditRecord.__table__), rows_of())


@dataclass(frozen=True)
class ChainReport:
    """Result of walking the chain: intact, or the first record that does not fit."""

    count: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk every record in seq order, recomputing hashes and links; stop at the first break."""
    columns = [getattr(AuditRecord, name) for name in (*_HASHED_COLUMNS, "hash")]
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    last_seq = 0
    while True:
        rows = session.execute(
            select(*columns).where(AuditRecord.seq > last_seq).order_by(AuditRecord.seq).limit(batch)
        ).mappings().all()
        if not rows:
            return ChainReport(count=count, head=prev)
        for row in rows:
            values = dict(row)
            seq = values["seq"]
            if seq != expected_seq:
                return ChainReport(count, prev, expected_seq,
                                   f"запись {expected_seq} отсутствует (следующая найденная — {seq})")
            if values["prev_hash"] != prev:
                return ChainReport(count, prev, seq, f"запись {seq} не связана с записью {seq - 1}")
            if record_hash(values) != values["hash"]:
                return ChainReport(count, prev, seq, f"запись {seq} изменена (хэш не совпадает)")
            prev = values["hash"]
            expected_seq += 1
            count += 1
            last_seq = seq
