"""Unit of work: one session, one transaction, rolled back unless the service commits at its boundary.

Audit events gathered during the work are appended to the chain in the same transaction, so a change and
its audit record land together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from types import TracebackType

from sqlalchemy.orm import Session

from zhurnal.core import audit
from zhurnal.core.audit import AuditEvent
from zhurnal.core.errors import NotFound
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store


class UnitOfWork:
    """Holds the session and the acting user for one service call."""

    def __init__(self, store: Store, actor: Actor, *, write: bool = True) -> None:
        self.store = store
        self.actor = actor
        self.session: Session = store.session(write=write)
        self._events: list[AuditEvent] = []
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._committed:
            self.session.rollback()
        self.session.close()

    @property
    def school_id(self) -> int:
        """The acting user's current school; services that work on one school need it."""
        if self.actor.school_id is None:
            raise NotFound("Не выбрана школа: укажите --school")
        return self.actor.school_id

    def audit(self, action: str, *, object_type: str | None = None, object_id: int | None = None,
              person_id: int | None = None, fields: Sequence[str] | None = None,
              detail: str | None = None, outcome: str = "ok") -> None:
        """Queue an audit record; it is written at commit, in the same transaction."""
        self._events.append(AuditEvent(action, object_type, object_id, person_id, outcome, fields, detail))

    def audit_events(self, events: Iterable[AuditEvent]) -> None:
        """Queue ready-made audit events (a bulk writer's, thousands at a time) without copying each."""
        self._events.extend(events)

    def write_audit(self, chunk: int, between: Callable[[int, int], None]) -> None:
        """Write the queued audit records now, `chunk` at a time, calling `between(written, total)` after
        each: a bulk writer's hundred thousand records take seconds, and its progress callback (which may
        raise to cancel: the transaction then rolls back) keeps running meanwhile. Same chain, same order."""
        events, self._events = self._events, []
        for start in range(0, len(events), chunk):
            audit.append(self.session, user_id=self.actor.user_id, login=self.actor.login,
                         school_id=self.actor.school_id, events=events[start:start + chunk])
            between(min(start + chunk, len(events)), len(events))

    def commit(self) -> None:
        self.session.flush()
        if self._events:
            audit.append(self.session, user_id=self.actor.user_id, login=self.actor.login,
                         school_id=self.actor.school_id, events=self._events)
            self._events = []
        self.session.commit()
        self._committed = True


def record_outside(store: Store, actor: Actor, event: AuditEvent) -> None:
    """Write one audit record in its own transaction: for refusals and failures whose work was rolled back."""
    with UnitOfWork(store, actor) as uow:
        uow._events.append(event)
        uow.commit()
