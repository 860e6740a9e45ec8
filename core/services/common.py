"""Small helpers every service shares: field labels on validation messages, refusing on errors, the
optimistic version check, flushing with a lost race turned into Conflict, reading plain rows in bulk, and pausing
the garbage collector for bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from zhurnal.core.errors import Conflict, ValidationFailed
from zhurnal.core.models.base import Versioned
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_text, errors


def invalid(field: str, label: str, message: str, code: str = "invalid") -> ValidationFailed:
    """A ValidationFailed naming one field; the message starts with the field's Russian label."""
    return ValidationFailed([Problem(field, code, f"{label}: {message}")])


def relabel(problems: Iterable[Problem], field: str, label: str) -> list[Problem]:
    """Problems from validation.clean_* with the bare field name in the message replaced by `label`."""
    prefix = f"{field}: "
    return [replace(p, message=label + ": " + p.message[len(prefix):]) if p.message.startswith(prefix) else p
            for p in problems]


def clean_label(value: str | None, field: str, label: str, *, required: bool = False,
                max_len: int = 200) -> tuple[str | None, list[Problem]]:
    """validation.clean_text with messages that start with the Russian `label` of the field."""
    text, problems = clean_text(value, field, required=required, max_len=max_len)
    return text, relabel(problems, field, label)


def refuse(problems: Sequence[Problem]) -> None:
    """Raise ValidationFailed when any problem is an error."""
    if errors(problems):
        raise ValidationFailed(errors(problems))


def check_version(row: Versioned, expected_version: int, what: str) -> None:
    """Conflict unless the row is still at `expected_version` (`what` names it: "Класс 5А")."""
    if row.version != expected_version:
        raise Conflict(f"{what}: запись уже изменил другой пользователь; откройте её заново и повторите правку")


def flush(uow: UnitOfWork, what: str) -> None:
    """Flush; a save that lost a race (stale version, unique key taken meanwhile) becomes a Conflict."""
    try:
        uow.session.flush()
    except StaleDataError as exc:
        raise Conflict(f"{what}: запись одновременно изменил другой пользователь; повторите правку") from exc
    except IntegrityError as exc:
        raise Conflict(f"{what}: такая запись уже есть (её только что сохранил другой пользователь)") from exc


def plain_result(uow: UnitOfWork, statement: Executable) -> Iterator[Any]:
    """The rows of a select of columns, run on the session's connection and fetched a few thousand at a time:
    the ORM's per-row processing is most of the time of reading tens of thousands of rows (a year's marks, a
    school's enrolments), and rows read a batch at a time do not pile up for the garbage collector to walk.
    Pending changes are flushed first, as the session's autoflush would."""
    uow.session.flush()
    for batch in uow.session.connection().execute(statement).partitions(2000):
        yield from batch


def plain_rows(uow: UnitOfWork, statement: Executable) -> Sequence[Any]:
    """`plain_result` as a list."""
    uow.session.flush()
    return uow.session.connection().execute(statement).all()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one bulk operation (closing or opening a school's year).

    Such an operation keeps tens of thousands of rows, dicts and document objects alive at once, and each of
    them counts towards the next collection of the oldest generation, which walks every object of the process:
    a closing spent a fifth of its time there. What is freed by reference counting (nearly everything) is
    freed as usual; cycles wait for the next collection after the operation. Nested or concurrent uses leave
    the collector as the outermost found it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
