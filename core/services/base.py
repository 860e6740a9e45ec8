"""What every service shares: the store it works on and the decorator that opens the unit of work.

A public service method is called as `service.method(actor, ...)`. The decorator checks the named action
in the one central place (`permissions.check`), audits a refusal, opens a unit of work, runs the body with
it and commits at the boundary. Bodies never commit and return plain dataclasses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from zhurnal.core import permissions
from zhurnal.core.audit import AuditEvent
from zhurnal.core.errors import PermissionDenied
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store
from zhurnal.core.uow import UnitOfWork, record_outside


class Service:
    """Base of the service classes; one instance per store, safe to share between threads."""

    area = "service"

    def __init__(self, store: Store) -> None:
        self.store = store


S = TypeVar("S", bound=Service)
P = ParamSpec("P")
R = TypeVar("R")


def service(action: str, *alternatives: str, write: bool = True) -> Callable[
        [Callable[Concatenate[S, UnitOfWork, P], R]], Callable[Concatenate[S, Actor, P], R]]:
    """Turn `def f(self, uow, ...)` into the public `f(self, actor, ...)` guarded by `action`.

    `write=False` for pure reads: on SQLite they then do not take the write lock. `alternatives` are further
    actions any one of which also lets the call in; the body then narrows the scope (a teacher holds
    journal.write for their own classes, an administrator journal.read for all). A PermissionDenied the body
    raises for such a scope is audited like the central refusal.
    """
    actions = (action, *alternatives)

    def decorate(body: Callable[Concatenate[S, UnitOfWork, P], R]) -> Callable[Concatenate[S, Actor, P], R]:
        @functools.wraps(body)
        def run(self: S, actor: Actor, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                permissions.check_any(actor, actions)
                with UnitOfWork(self.store, actor, write=write) as uow:
                    result = body(self, uow, *args, **kwargs)
                    uow.commit()
                    return result
            except PermissionDenied as exc:
                if exc.audited:
                    raise
                record_outside(self.store, actor, AuditEvent(f"{self.area}.{body.__name__}", outcome="denied",
                                                             detail=exc.action))
                raise

        run.__zhurnal_actions__ = actions  # type: ignore[attr-defined]  # read by the permission-matrix test
        return run

    return decorate
