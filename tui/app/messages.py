"""Messages the thread workers post. A worker never touches a widget: it calls the core, then posts one of these,
and a handler on the screen or widget that started it updates the interface."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    # Annotations only: every screen imports this module, the login screen too, which is drawn before the
    # services (and SQLAlchemy's ORM) are imported.
    from zhurnal.core.backup.service import Restored
    from zhurnal.core.errors import ZhurnalError
    from zhurnal.core.services.accounts import SignedIn
    from zhurnal.core.services.announcements import AnnouncementView
    from zhurnal.core.services.classes import RosterRow
    from zhurnal.core.services.dashboard import AuditChainState
    from zhurnal.core.services.orders import OrderView
    from zhurnal.core.services.persons import Page, PersonInput, PersonRow, PersonView, SavedPerson
    from zhurnal.core.services.staff import StaffRow
    from zhurnal.core.services.support import TicketDetail, TicketRow
    from zhurnal.core.validation import Problem
    from zhurnal.tui.app.workers import BackupsData, CardData, ClassesData, DashboardData


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


class CodeAccepted(Message):
    """The login code from a letter opens the account: the password form asks for the person's own password."""

    def __init__(self, login: str, code: str) -> None:
        super().__init__()
        self.login = login
        self.code = code


class CallFailed(Message):
    """A core call refused or failed; `text` is the core's message (it names what went wrong)."""

    def __init__(self, text: str, where: str = "") -> None:
        super().__init__()
        self.text = text
        self.where = where


class PersonLoaded(Message):
    def __init__(self, person: PersonView) -> None:
        super().__init__()
        self.person = person


class PersonSaved(Message):
    def __init__(self, saved: SavedPerson) -> None:
        super().__init__()
        self.saved = saved


class FormRefused(Message):
    """The core refused a form: `problems` name their fields (ValidationFailed), `text` is any other refusal."""

    def __init__(self, problems: list[Problem], text: str = "") -> None:
        super().__init__()
        self.problems = problems
        self.text = text

    @classmethod
    def of(cls, exc: ZhurnalError, conflict_field: str | None = None) -> FormRefused:
        """The refusal a form shows for a core error: a ValidationFailed's problems under their fields; a Conflict
        under `conflict_field` when the form names one (a number or name already taken), else under the form;
        any other error under the form."""
        from zhurnal.core.errors import Conflict, ValidationFailed
        from zhurnal.core.validation import Problem

        if isinstance(exc, ValidationFailed):
            return cls(exc.problems)
        if isinstance(exc, Conflict) and conflict_field is not None:
            return cls([Problem(conflict_field, "conflict", str(exc))])
        return cls([], str(exc))


class DuplicateSuspected(Message):
    def __init__(self, text: str, data: PersonInput, rows: list[PersonRow], ids: list[int]) -> None:
        super().__init__()
        self.text = text
        self.data = data
        self.rows = rows
        self.ids = ids


class SaveConflict(Message):
    """Someone else saved the record since the form read it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class OrdersLoaded(Message):
    def __init__(self, orders: list[OrderView]) -> None:
        super().__init__()
        self.orders = orders


class OrderSaved(Message):
    def __init__(self, order: OrderView) -> None:
        super().__init__()
        self.order = order


class CandidatesLoaded(Message):
    """A page of people (or staff positions) for a picker; `token` names the search it answers."""

    def __init__(self, token: int, rows: list[PersonRow] | list[StaffRow]) -> None:
        super().__init__()
        self.token = token
        self.rows = rows


class MovementApplied(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class BackupsLoaded(Message):
    def __init__(self, data: BackupsData) -> None:
        super().__init__()
        self.data = data


class BackupStage(Message):
    """The step the running restore has started (the core's words)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class BackupFinished(Message):
    """A create or verify ended (`ok` False: a verify found a problem, or the operation was cancelled);
    `path` is the backup to highlight."""

    def __init__(self, text: str, ok: bool = True, path: Path | None = None) -> None:
        super().__init__()
        self.text = text
        self.ok = ok
        self.path = path


class RestoreFinished(Message):
    def __init__(self, result: Restored) -> None:
        super().__init__()
        self.result = result


class AnnouncementsLoaded(Message):
    def __init__(self, announcements: list[AnnouncementView]) -> None:
        super().__init__()
        self.announcements = announcements


class AnnouncementChanged(Message):
    """An announcement was posted or withdrawn."""

    def __init__(self, announcement: AnnouncementView) -> None:
        super().__init__()
        self.announcement = announcement


class NewsRead(Message):
    """Announcements were marked read: the dashboard loads again."""


class TicketsLoaded(Message):
    def __init__(self, rows: list[TicketRow]) -> None:
        super().__init__()
        self.rows = rows


class TicketLoaded(Message):
    """A ticket as now saved (opened, answered, replied to, closed or just sent)."""

    def __init__(self, ticket: TicketDetail) -> None:
        super().__init__()
        self.ticket = ticket
