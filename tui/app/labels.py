"""Catalogue keys built from codes (kinds of people, reasons, relations) and the formatting of dates and names.

Keys formed at run time cannot be found by reading the code for `t("...")`, so every family is listed here
and `dynamic_keys()` names them all for the catalogue test.
"""

from __future__ import annotations

from datetime import date

from zhurnal.core.services.enrolments import DEPART_REASONS, ENROL_REASONS, TRANSFER
from zhurnal.core.services.guardianship import RELATIONS
from zhurnal.core.services.persons import SEXES
from zhurnal.core.services.staff import DISMISS_REASONS
from zhurnal.tui.i18n import has, t

KINDS = ("student", "staff", "parent")
"""The people lists: who `PersonService.search(kind=...)` returns."""

_REASONS = (*ENROL_REASONS, *DEPART_REASONS, TRANSFER)


def kind_title(kind: str) -> str:
    return t(f"people.title.{kind}")


def kind_help(kind: str) -> str:
    return t(f"help.people.{kind}")


def enrolment_reason(code: str | None) -> str:
    return "" if code is None else t(f"reason.{code}") if has(f"reason.{code}") else code


def dismiss_reason(code: str | None) -> str:
    return "" if code is None else t(f"dismiss.{code}") if has(f"dismiss.{code}") else code


def relation(code: str) -> str:
    return t(f"relation.{code}") if has(f"relation.{code}") else code


def sex(code: str | None) -> str:
    return "" if code is None else t(f"sex.{code}") if has(f"sex.{code}") else code


def day(value: date | None) -> str:
    """A date in the interface's format (дд.мм.гггг in Russian)."""
    return "" if value is None else t("format.date", d=value)


def period(start: date, end: date | None) -> str:
    return t("format.period", start=day(start), end=day(end)) if end else t("format.since", start=day(start))


def dynamic_keys() -> set[str]:
    """Every catalogue key the app forms at run time."""
    keys = {f"people.title.{k}" for k in KINDS} | {f"help.people.{k}" for k in KINDS}
    keys |= {f"reason.{c}" for c in _REASONS} | {f"dismiss.{c}" for c in DISMISS_REASONS}
    keys |= {f"relation.{c}" for c in RELATIONS} | {f"sex.{c}" for c in SEXES}
    return keys
