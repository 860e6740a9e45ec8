"""Reading the audit trail: records newest first, a page at a time, filtered by person, user, action and dates.

What a reader sees is exactly what a record holds (who, when, the action, the object's type and number, the
person's number, the outcome, the names of the changed fields, the non-personal detail): nothing is joined
to it, so reading the trail never shows a name, a birth date or any other personal data the record does not
carry. Looking a person up by name is the people lists' job (`people.read`); the filter takes the number.

Reading is not itself audited: the list is read a page per keystroke, and each read would add a record on top
of the list being read (docs/decisions.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, or_, select

from zhurnal.core.errors import NotFound
from zhurnal.core.models import AuditRecord
from zhurnal.core.services.accounts import find_user
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.common import invalid
from zhurnal.core.uow import UnitOfWork

MAX_PAGE = 500


@dataclass(frozen=True)
class AuditEntry:
    """One audit record as stored (`hash` and `prev_hash` tie it into the chain)."""

    seq: int
    at: datetime  # UTC
    user_id: int | None
    login: str | None
    school_id: int | None
    action: str
    object_type: str | None
    object_id: int | None
    person_id: int | None
    outcome: str  # ok | denied | failed
    fields: tuple[str, ...]  # names of the changed fields, never their values
    detail: str | None
    prev_hash: str = field(repr=False)
    hash: str = field(repr=False)


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditEntry]
    next_before: int | None  # pass back as `before_seq` for the next (older) page; None at the end


@dataclass(frozen=True)
class AuditFilter:
    """What to keep: every given condition must hold. `action` is a prefix ("user." or "user.reset"); `login`
    is the acting account's login (case-insensitive); dates are local calendar days, both ends included."""

    person_id: int | None = None
    login: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _local_midnight(day: date) -> datetime:
    """The start of `day` in the server's local time, as an aware datetime (records are stored in UTC)."""
    return datetime.combine(day, time.min).astimezone()


def _entry(row: AuditRecord) -> AuditEntry:
    fields = tuple(json.loads(row.fields)) if row.fields else ()
    return AuditEntry(row.seq, row.at, row.user_id, row.login, row.school_id, row.action, row.object_type,
                      row.object_id, row.person_id, row.outcome, fields, row.detail, row.prev_hash, row.hash)


class AuditLogService(Service):
    """Read-only access to the audit trail of the operator's school."""

    area = "audit"

    @staticmethod
    def _in_scope(uow: UnitOfWork) -> ColumnElement[bool]:
        # The school's records, and those written outside any school (sign-in attempts with an unknown login,
        # the bootstrap commands): in a district the other schools' records stay with their administrators.
        return or_(AuditRecord.school_id == uow.school_id, AuditRecord.school_id.is_(None))

    @service("audit.read", write=False)
    def list(self, uow: UnitOfWork, where: AuditFilter | None = None, *, before_seq: int | None = None,
             limit: int = 50) -> AuditPage:
        """Records newest first, `limit` at a time: pass the page's `next_before` as `before_seq` for the next
        one (keyset pagination on the chain position, so no page scans the ones before it)."""
        where = where or AuditFilter()
        query = select(AuditRecord).where(self._in_scope(uow))
        if where.person_id is not None:
            query = query.where(AuditRecord.person_id == where.person_id)
        login = (where.login or "").strip()
        if login:
            user = find_user(uow.session, login)
            # An account's records by its id (indexed); a login no account has now (a bootstrap actor such as
            # system:demo, a removed account) by the login the records carry.
            query = query.where(AuditRecord.user_id == user.id if user is not None
                                else AuditRecord.login == login)
        prefix = (where.action or "").strip().lower()
        if prefix:
            like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(AuditRecord.action.like(f"{like}%", escape="\\"))
        if where.date_from and where.date_to and where.date_from > where.date_to:
            raise invalid("date_to", "Период", "дата «по» раньше даты «с»", "out_of_range")
        if where.date_from is not None:
            query = query.where(AuditRecord.at >= _local_midnight(where.date_from))
        if where.date_to is not None:
            query = query.where(AuditRecord.at < _local_midnight(where.date_to + timedelta(days=1)))
        if before_seq is not None:
            query = query.where(AuditRecord.seq < before_seq)
        size = max(1, min(limit, MAX_PAGE))
        found = list(uow.session.scalars(query.order_by(AuditRecord.seq.desc()).limit(size + 1)))
        rows = [_entry(r) for r in found[:size]]
        return AuditPage(rows, rows[-1].seq if len(found) > size and rows else None)

    @service("audit.read", write=False)
    def get(self, uow: UnitOfWork, seq: int) -> AuditEntry:
        """One record by its position in the chain (NotFound outside the operator's school)."""
        row = uow.session.scalar(select(AuditRecord).where(AuditRecord.seq == seq, self._in_scope(uow)))
        if row is None:
            raise NotFound(f"Запись аудита № {seq} не найдена")
        return _entry(row)
