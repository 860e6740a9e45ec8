"""The core calls behind the account-administration screens (users and roles, one's own password, the audit
log), as plain functions that run in thread workers. Like workers.py: core services only, no Textual."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from zhurnal.core.codes import readable_secret
from zhurnal.core.errors import PermissionDenied
from zhurnal.core.permissions import ROLES, Actor, assignable_by
from zhurnal.core.services.audit_log import AuditEntry, AuditFilter, AuditLogService, AuditPage
from zhurnal.core.services.codes import CodeService
from zhurnal.core.services.dashboard import AuditChainState, DashboardService
from zhurnal.core.services.users import AccountState, RoleChange, TemporaryPassword, UserDetail, UserPage, UserService
from zhurnal.tui.app.context import Context


def export_dir() -> Path:
    """Where the console writes files with personal data (invitation letters): the data folder's exports
    folder (created mode 0700 on first use), the same the activity report and the export dialog use."""
    from zhurnal.core.locations import exports_dir

    return exports_dir()


def assignable(actor: Actor) -> tuple[str, ...]:
    """The roles the actor may grant and revoke, in the order of permissions.ROLES (none without roles.assign)."""
    if "roles.assign" not in actor.actions:
        return ()
    allowed = assignable_by(actor.roles)
    return tuple(role for role in ROLES if role in allowed)


# ------------------------------------------------------------------------------------------------- users


def list_users(ctx: Context, text: str, after: str | None) -> UserPage:
    """One page of the school's accounts ordered by login (keyset: `after` is the previous page's last login)."""
    return UserService(ctx.store).list(ctx.signed_in(), text=text, after_login=after, limit=ctx.page_size)


def show_user(ctx: Context, user_id: int) -> UserDetail:
    return UserService(ctx.store).show(ctx.signed_in(), user_id)


@dataclass(frozen=True)
class CreatedAccount:
    detail: UserDetail
    password: str | None = dataclasses.field(repr=False)  # the temporary password, shown once


def create_account(ctx: Context, login: str, person_id: int | None, roles: tuple[str, ...],
                   with_password: bool, confirmed_password: str | None) -> CreatedAccount:
    """A new account of the school: with a temporary password (made here, changed at first login) or without
    one (a login code opens it). Roles need the operator's password again."""
    password = readable_secret(groups=4) if with_password else None
    detail = UserService(ctx.store).add(ctx.signed_in(), login, person_id=person_id, roles=roles,
                                        password=password, temporary=with_password,
                                        confirmed_password=confirmed_password if roles else None)
    return CreatedAccount(detail, password)


def disable_user(ctx: Context, user_id: int) -> AccountState:
    return UserService(ctx.store).lock(ctx.signed_in(), user_id)


def enable_user(ctx: Context, user_id: int) -> AccountState:
    return UserService(ctx.store).unlock(ctx.signed_in(), user_id)


def reset_password(ctx: Context, user_id: int) -> TemporaryPassword:
    return UserService(ctx.store).reset(ctx.signed_in(), user_id)


def change_roles(ctx: Context, user_id: int, grant: tuple[str, ...], revoke: tuple[str, ...],
                 confirmed_password: str) -> RoleChange:
    return UserService(ctx.store).change_roles(ctx.signed_in(), user_id, grant=grant, revoke=revoke,
                                               confirmed_password=confirmed_password)


def issue_letter(ctx: Context, user_id: int, confirmed_password: str, *, now: datetime | None = None) -> Path:
    """A new login code for one account and its letter as a PDF in the export folder.

    The operator's password is checked first (letters carry personal data), then the folder and the export
    permission, and only then is the code issued: an old code is never revoked for a letter that cannot be
    written. A never-used account gets an invitation, any other a reset letter.
    """
    actor = ctx.signed_in()
    users = UserService(ctx.store)
    users.reauthenticate(actor, confirmed_password)
    if not ctx.can("export.personal_data"):
        raise PermissionDenied("export.personal_data")
    detail = users.show(actor, user_id)
    folder = export_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    moment = now or datetime.now().astimezone()
    path = folder / f"letter-{detail.login}-{moment:%Y%m%d-%H%M%S}.pdf"
    codes = CodeService(ctx.store)
    issued = codes.reset_code(actor, user_id)
    if detail.last_login_at is None:
        issued = dataclasses.replace(issued, purpose="invite")
    return codes.letters(actor, [issued], path, "pdf")  # written mode 0600


def change_own_password(ctx: Context, actor: Actor, old: str, new: str) -> None:
    """Change the actor's own password (`actor`: at login the console has no signed-in user yet)."""
    UserService(ctx.store).change_password(actor, old, new)


# ------------------------------------------------------------------------------------------------- audit


def audit_page(ctx: Context, where: AuditFilter, before: int | None) -> AuditPage:
    return AuditLogService(ctx.store).list(ctx.signed_in(), where, before_seq=before, limit=ctx.page_size)


def audit_record(ctx: Context, seq: int) -> AuditEntry:
    return AuditLogService(ctx.store).get(ctx.signed_in(), seq)


def audit_chain(ctx: Context) -> AuditChainState:
    return DashboardService(ctx.store).audit_chain(ctx.signed_in())
