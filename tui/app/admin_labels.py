"""Role names and account states in the interface language (the account-administration screens)."""

from __future__ import annotations

from datetime import datetime

from zhurnal.tui.app.labels import day
from zhurnal.tui.i18n import t


def role_titles() -> dict[str, str]:
    """Role code (core permissions.ROLES) -> its full title."""
    return {
        "admin": t("role.admin"), "deputy": t("role.deputy"), "teacher": t("role.teacher"),
        "class_teacher": t("role.class_teacher"), "student": t("role.student"), "parent": t("role.parent"),
        "auditor": t("role.auditor"), "backup_operator": t("role.backup_operator"),
    }


def roles_text(roles: tuple[str, ...]) -> str:
    """The roles as the list shows them: their codes (short, and what the command line takes)."""
    return ", ".join(roles) if roles else t("users.no_roles")


def account_state(active: bool, locked: bool, last_login_at: datetime | None) -> str:
    """Disabled, locked out, never signed in, or active: the first that holds."""
    if not active:
        return t("users.state.disabled")
    if locked:
        return t("users.state.locked")
    if last_login_at is None:
        return t("users.state.never")
    return t("users.state.active")


def moment(value: datetime | None) -> str:
    """A stored UTC moment as a local date and time ("" for none)."""
    if value is None:
        return ""
    local = value.astimezone()
    return t("format.moment", date=day(local.date()), time=f"{local:%H:%M}")


def outcome_label(outcome: str) -> str:
    """An audit record's outcome (ok, denied, failed) in the interface language."""
    labels = {"ok": t("audit.outcome.ok"), "denied": t("audit.outcome.denied"), "failed": t("audit.outcome.failed")}
    return labels.get(outcome, outcome)
