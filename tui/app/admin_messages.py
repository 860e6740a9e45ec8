"""Messages the account-administration workers post (users and roles, one's own password, the audit log)."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from zhurnal.core.services.accounts import SignedIn
from zhurnal.core.services.audit_log import AuditEntry, AuditPage
from zhurnal.core.services.dashboard import AuditChainState
from zhurnal.core.services.users import RoleChange, UserDetail, UserPage
from zhurnal.tui.app.admin_calls import CreatedAccount


class UsersLoaded(Message):
    """One page of the account list; `token` names the search it answers (older searches are ignored)."""

    def __init__(self, token: int, page: UserPage, append: bool) -> None:
        super().__init__()
        self.token = token
        self.page = page
        self.append = append


class AccountLoaded(Message):
    def __init__(self, detail: UserDetail) -> None:
        super().__init__()
        self.detail = detail


class AccountChanged(Message):
    """An action on the account went through; `text` says what happened, `secret` is shown once (a temporary
    password), `path` is a letter written."""

    def __init__(self, text: str, secret: str | None = None, path: Path | None = None) -> None:
        super().__init__()
        self.text = text
        self.secret = secret
        self.path = path


class PasswordChanged(Message):
    """One's own password was changed; `signed`: the sign-in that followed, when a letter's code was spent."""

    def __init__(self, signed: SignedIn | None = None) -> None:
        super().__init__()
        self.signed = signed


class AuditPageLoaded(Message):
    def __init__(self, token: int, page: AuditPage, append: bool) -> None:
        super().__init__()
        self.token = token
        self.page = page
        self.append = append


class AuditRecordLoaded(Message):
    def __init__(self, entry: AuditEntry) -> None:
        super().__init__()
        self.entry = entry


class ChainVerified(Message):
    def __init__(self, state: AuditChainState) -> None:
        super().__init__()
        self.state = state


class RolesChanged(Message):
    def __init__(self, change: RoleChange) -> None:
        super().__init__()
        self.change = change


class AccountCreated(Message):
    def __init__(self, created: CreatedAccount) -> None:
        super().__init__()
        self.created = created
