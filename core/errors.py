"""Exceptions that services raise; every one carries a message fit to show the user."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

from zhurnal.core.validation import Problem


class ZhurnalError(Exception):
    """Base class: the message is meant for the person at the keyboard."""


class NotFound(ZhurnalError):
    """The object asked for does not exist (or is not visible to the acting user)."""


class PermissionDenied(ZhurnalError):
    """The acting user lacks the named action."""

    def __init__(self, action: str, message: str | None = None) -> None:
        self.action = action
        self.audited = False  # set once the refusal is on the audit trail, so it is recorded only once
        super().__init__(message or f"Недостаточно прав: требуется действие «{action}»")


class AuthenticationFailed(ZhurnalError):
    """Login or password wrong, account locked or disabled."""


class ValidationFailed(ZhurnalError):
    """Input refused; `problems` names every field at fault."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems) or "Неверные данные")


class Conflict(ZhurnalError):
    """Someone else saved the record after it was read: the later save is refused."""


class PossibleDuplicate(ZhurnalError):
    """The new person may already be registered; pass allow_duplicate=True after checking."""

    def __init__(self, message: str, candidates: Sequence[int]) -> None:
        self.candidates = list(candidates)
        super().__init__(message)


class Cancelled(ZhurnalError):
    """The operator stopped a long operation: its progress callback raised this. The operation leaves
    nothing written (a backup its file, an import its rows), and callers say so."""

    def __init__(self, message: str = "Операция отменена; ничего не изменено") -> None:
        super().__init__(message)


Progress: TypeAlias = Callable[[int, int], None]
"""`progress(done, total)`: how far a long operation is; called at a bounded rate (per batch, never per row),
it may raise Cancelled to stop the operation cleanly."""
