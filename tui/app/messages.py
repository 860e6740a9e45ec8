"""Messages the thread workers post. A worker never touches a widget: it calls the core, then posts one of these,
and a handler on the screen or widget that started it updates the interface."""

from __future__ import annotations

from textual.message import Message

from zhurnal.core.services.accounts import SignedIn
from zhurnal.core.services.classes import RosterRow
from zhurnal.core.services.dashboard import AuditChainState
from zhurnal.core.services.persons import Page
from zhurnal.tui.app.workers import CardData, ClassesData, DashboardData


class LoginSucceeded(Message):
    def __init__(self, signed: SignedIn) -> None:
        super().__init__()
        self.signed = signed


class LoginFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class DashboardLoaded(Message):
    def __init__(self, data: DashboardData) -> None:
        super().__init__()
        self.data = data


class AuditChecked(Message):
    def __init__(self, state: AuditChainState) -> None:
        super().__init__()
        self.state = state


class PageLoaded(Message):
    """One page of a people list; `token` names the search it answers (older searches are ignored)."""

    def __init__(self, token: int, page: Page, append: bool) -> None:
        super().__init__()
        self.token = token
        self.page = page
        self.append = append


class ClassesLoaded(Message):
    def __init__(self, data: ClassesData) -> None:
        super().__init__()
        self.data = data


class RosterLoaded(Message):
    def __init__(self, class_id: int, rows: list[RosterRow]) -> None:
        super().__init__()
        self.class_id = class_id
        self.rows = rows


class CardLoaded(Message):
    def __init__(self, card: CardData) -> None:
        super().__init__()
        self.card = card


class CallFailed(Message):
    """A core call refused or failed; `text` is the core's message (it names what went wrong)."""

    def __init__(self, text: str, where: str = "") -> None:
        super().__init__()
        self.text = text
        self.where = where
