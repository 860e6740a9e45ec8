"""The core calls behind each screen, as plain functions that run in thread workers.

Each takes the app's Context, calls core services only (a screen never builds SQL) and returns plain data
for a message. Nothing here imports Textual, so the calls can be tested and timed without the interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from zhurnal.core.backup import keys
from zhurnal.core.backup.service import (
    BackupInfo,
    BackupService,
    Created,
    Progress,
    Restored,
    RestorePlan,
    VerifyReport,
    backup_dir,
)
from zhurnal.core.errors import NotFound
from zhurnal.core.services.accounts import AuthService, SignedIn
from zhurnal.core.services.announcements import AnnouncementService, AnnouncementView, Audience, MyAnnouncement
from zhurnal.core.services.classes import ClassRow, ClassService, RosterRow
from zhurnal.core.services.dashboard import Attention, AuditChainState, BackupState, DashboardService
from zhurnal.core.services.enrolments import EnrolmentService, EnrolmentView
from zhurnal.core.services.guardianship import GuardianshipService, GuardianshipView
from zhurnal.core.services.orders import OrderService, OrderView
from zhurnal.core.services.persons import Page, PersonInput, PersonRow, PersonService, PersonView, SavedPerson
from zhurnal.core.services.schools import SchoolService, SchoolView
from zhurnal.core.services.staff import PositionView, StaffRow, StaffService
from zhurnal.core.services.stats import Stats, StatsService
from zhurnal.core.services.support import SupportService, TicketDetail, TicketRow
from zhurnal.core.services.years import TermView, YearService, YearView
from zhurnal.tui.app.context import Context


@dataclass(frozen=True)
class DashboardData:
    school: SchoolView | None
    year: YearView | None
    term: TermView | None  # the term containing the day, else None (holidays)
    next_term: TermView | None  # the next term to start after the day, when not inside one
    stats: Stats | None
    attention: Attention | None
    backup: BackupState | None = None  # None: the actor may not see backups (no backup.create)
    news: list[MyAnnouncement] = field(default_factory=list)  # unread announcements addressed to the actor
    unread_answers: int = 0  # answers to the actor's problem reports not opened yet


@dataclass(frozen=True)
class ClassesData:
    year: YearView | None
    classes: list[ClassRow]


@dataclass(frozen=True)
class CardData:
    person: PersonView
    enrolments: list[EnrolmentView] = field(default_factory=list)
    positions: list[PositionView] = field(default_factory=list)
    guardians: list[GuardianshipView] = field(default_factory=list)
    children: list[GuardianshipView] = field(default_factory=list)


def sign_in(ctx: Context, login: str, password: str) -> SignedIn:
    """Check the password (AuthService throttles and locks; a failure raises AuthenticationFailed)."""
    return AuthService(ctx.store).login(login, password, school_code=ctx.school_code)


def check_code(ctx: Context, login: str, code: str) -> None:
    """Whether the letter's code opens `login` (nothing used up; a failure counts towards the lock-out)."""
    from zhurnal.core.services.codes import CodeService

    CodeService(ctx.store).check(login, code)


def redeem_code(ctx: Context, login: str, code: str, password: str) -> SignedIn:
    """Spend the code on the person's own password, then sign in with that password."""
    from zhurnal.core.services.codes import CodeService

    CodeService(ctx.store).redeem(login, code, password)
    return AuthService(ctx.store).login(login, password, school_code=ctx.school_code)


def current_year(ctx: Context) -> YearView | None:
    try:
        return YearService(ctx.store).current(ctx.signed_in(), on=ctx.day())
    except NotFound:
        return None


def load_dashboard(ctx: Context) -> DashboardData:
    """The school, its year and term on the day, the counts and what needs attention (what the actor may see)."""
    actor, day = ctx.signed_in(), ctx.day()
    school = year = term = next_term = None
    if ctx.can("school.read"):
        school = SchoolService(ctx.store).get(actor)
        year = current_year(ctx)
        if year is not None:
            terms = YearService(ctx.store).terms(actor, year.id, kind=school.term_kind)
            term = next((x for x in terms if x.start <= day <= x.end), None)
            if term is None:
                next_term = next((x for x in sorted(terms, key=lambda x: x.start) if x.start > day), None)
    stats = StatsService(ctx.store).counts(actor, on=day) if ctx.can("stats.read") else None
    attention = DashboardService(ctx.store).attention(actor, on=day) if ctx.can("stats.read") else None
    backup = DashboardService(ctx.store).last_verified_backup(actor) if ctx.can("backup.create") else None
    news, unread = unread_messages(ctx)
    return DashboardData(school, year, term, next_term, stats, attention, backup, news, unread)


def check_audit_chain(ctx: Context) -> AuditChainState | None:
    """Walk the audit chain (slow on a big database: the dashboard runs it in its own worker)."""
    if not ctx.can("audit.read"):
        return None
    return DashboardService(ctx.store).audit_chain(ctx.signed_in())


def search_people(ctx: Context, kind: str, text: str, class_id: int | None,
                  after: tuple[str, int] | None, *, status: str = "current", year_id: int | None = None,
                  sort: str = "name") -> Page:
    """One page of the people list of `kind` (keyset pagination: `after` is the previous page's end)."""
    return PersonService(ctx.store).search(ctx.signed_in(), text, kind=kind, class_id=class_id, on=ctx.day(),
                                           after=after, limit=ctx.page_size, status=status, year_id=year_id,
                                           sort=sort)


def load_classes(ctx: Context) -> ClassesData:
    """The classes of the year containing the day, with their class teachers and student counts."""
    year = current_year(ctx)
    if year is None:
        return ClassesData(None, [])
    return ClassesData(year, ClassService(ctx.store).list(ctx.signed_in(), year.id, on=ctx.day()))


def load_roster(ctx: Context, class_id: int) -> list[RosterRow]:
    return ClassService(ctx.store).roster(ctx.signed_in(), class_id, ctx.day())


def load_card(ctx: Context, person_id: int) -> CardData:
    """The person (an audited read of personal data) and every membership the card shows."""
    actor, day = ctx.signed_in(), ctx.day()
    person = PersonService(ctx.store).get(actor, person_id)
    return CardData(
        person,
        enrolments=EnrolmentService(ctx.store).history(actor, person_id),
        positions=StaffService(ctx.store).positions(actor, person_id),
        guardians=GuardianshipService(ctx.store).guardians(actor, person_id, on=day),
        children=GuardianshipService(ctx.store).children(actor, person_id, on=day),
    )


# ------------------------------------------------------------------------------------------- person form


def load_person(ctx: Context, person_id: int) -> PersonView:
    """The person as saved now (an audited read): the form's values and version after a conflict."""
    return PersonService(ctx.store).get(ctx.signed_in(), person_id)


def save_person(ctx: Context, person_id: int | None, version: int | None, data: PersonInput,
                allow_duplicate: bool = False) -> SavedPerson:
    """Create (`person_id` None) or update the person; the core's errors are raised to the form."""
    service = PersonService(ctx.store)
    if person_id is None:
        return service.create(ctx.signed_in(), data, allow_duplicate=allow_duplicate, today=ctx.day())
    assert version is not None
    return service.update(ctx.signed_in(), person_id, version, data, today=ctx.day())


def duplicate_rows(ctx: Context, data: PersonInput, ids: list[int]) -> list[PersonRow]:
    """The people a PossibleDuplicate names, as list rows (name and birth date, no audited read)."""
    text = " ".join(p for p in (data.last_name, data.first_name, data.middle_name) if p)
    page = PersonService(ctx.store).search(ctx.signed_in(), text, limit=max(len(ids), 1) * 10)
    return [row for row in page.rows if row.id in ids]


# ------------------------------------------------------------------------------------------------ orders

ORDERS_DAYS = 366
"""The orders register shows the orders of the last year (the core's list has no pages yet)."""


def load_orders(ctx: Context) -> list[OrderView]:
    """The school's orders of the last year, newest first."""
    day = ctx.day()
    orders = OrderService(ctx.store).list(ctx.signed_in(), date_from=date.fromordinal(day.toordinal() - ORDERS_DAYS))
    return list(reversed(orders))


def create_order(ctx: Context, number: str, order_date: date, kind: str, title: str, text: str | None) -> OrderView:
    return OrderService(ctx.store).create(ctx.signed_in(), number, order_date, kind, title, text)


def pick_people(ctx: Context, kind: str | None, text: str) -> list[PersonRow]:
    """The first page of people matching `text` (students on the day with kind "student", anyone with None)."""
    return PersonService(ctx.store).search(ctx.signed_in(), text, kind=kind, on=ctx.day(),
                                           limit=ctx.page_size).rows


def active_positions(ctx: Context) -> list[StaffRow]:
    """Positions held on the day (whom a dismissal order can concern)."""
    return StaffService(ctx.store).active_staff(ctx.signed_in(), on=ctx.day())


@dataclass(frozen=True)
class Movement:
    """What the movement form asks the core to do; `action` is enrol, transfer, depart, hire or dismiss."""

    action: str
    order_id: int
    day: date
    person_id: int | None = None
    class_id: int | None = None
    reason: str | None = None
    counterpart: str | None = None
    position: str | None = None
    rate: Decimal | str = Decimal("1")
    position_id: int | None = None


def apply_movement(ctx: Context, movement: Movement) -> None:
    """Apply one movement of an order through EnrolmentService or StaffService (errors go to the form)."""
    actor, m = ctx.signed_in(), movement
    enrolments, staff = EnrolmentService(ctx.store), StaffService(ctx.store)
    if m.action == "enrol":
        assert m.person_id is not None and m.class_id is not None
        enrolments.enrol(actor, m.person_id, m.class_id, m.day, m.order_id, reason=m.reason or "admission",
                         counterpart=m.counterpart)
    elif m.action == "transfer":
        assert m.person_id is not None and m.class_id is not None
        enrolments.transfer(actor, m.person_id, m.class_id, m.day, m.order_id)
    elif m.action == "depart":
        assert m.person_id is not None and m.reason is not None
        enrolments.depart(actor, m.person_id, m.day, m.order_id, m.reason, m.counterpart, today=ctx.day())
    elif m.action == "hire":
        assert m.person_id is not None
        staff.hire(actor, m.person_id, m.position or "", m.day, m.order_id, rate=m.rate)
    elif m.action == "dismiss":
        assert m.position_id is not None
        staff.dismiss(actor, m.position_id, m.day, m.order_id, reason=m.reason or "own_wish", today=ctx.day())
    else:
        raise ValueError(f"unknown movement {m.action!r}")


# ----------------------------------------------------------------------------------------------- backups


@dataclass(frozen=True)
class BackupsData:
    """The backup folder (the default one, as `zhurnal backup list` reads it), newest first."""

    folder: Path
    backups: list[BackupInfo]
    passphrase_only: frozenset[Path]  # backups made with `create --passphrase`: their own passphrase opens them
    has_identity: bool  # zhurnal's stored key is on this machine (its passphrase opens the others)

    def last_verified(self) -> BackupInfo | None:
        return next((b for b in self.backups if b.state == "verified"), None)


def load_backups(ctx: Context) -> BackupsData:
    """The backups with their verified state, and which key each needs (reads file headers, decrypts nothing)."""
    backups = BackupService(ctx.store).list(ctx.signed_in())
    passphrase_only = frozenset(b.path for b in backups if keys.needs_passphrase(b.path))
    return BackupsData(backup_dir(), backups, passphrase_only, keys.identity_path().exists())


def backup_identities(path: Path, secret: str) -> list[Any]:
    """The key for `path`: its passphrase for a passphrase-only backup, else zhurnal's stored identity
    unwrapped with `secret` (scrypt: about a second; a wrong passphrase raises BackupKeyError)."""
    if keys.needs_passphrase(path):
        from zhurnal.core.backup.age import ScryptIdentity

        return [ScryptIdentity(secret)]
    return [keys.load_identity(secret)]


def create_backup(ctx: Context, progress: Progress) -> Created:
    """A backup to the configured recipients in the default folder (BackupError when none is configured)."""
    return BackupService(ctx.store).create(ctx.signed_in(), progress=progress)


def verify_backup(ctx: Context, path: Path, secret: str, progress: Progress) -> VerifyReport:
    return BackupService(ctx.store).verify(ctx.signed_in(), path, backup_identities(path, secret), progress=progress)


def restore_backup(ctx: Context, path: Path, secret: str, confirm: Callable[[RestorePlan], str | None],
                   stage: Callable[[str], None], progress: Progress) -> Restored:
    """Restore `path` over the live database (built aside, checked, confirmed, backed up, swapped)."""
    identities = backup_identities(path, secret)
    return BackupService(ctx.store).restore(ctx.signed_in(), path, identities, confirm=confirm, stage=stage,
                                            progress=progress)


# ------------------------------------------------------------------------------- announcements, support


def unread_messages(ctx: Context) -> tuple[list[MyAnnouncement], int]:
    """The unread announcements addressed to the actor on the day, and how many answers to their reports wait."""
    if not ctx.can("self.messages"):
        return [], 0
    actor = ctx.signed_in()
    news = AnnouncementService(ctx.store).mine(actor, on=ctx.day(), unread_only=True)
    return news, SupportService(ctx.store).unread_answers(actor)


def mark_read(ctx: Context, ids: list[int]) -> int:
    return AnnouncementService(ctx.store).mark_read(ctx.signed_in(), ids, on=ctx.day())


def load_announcements(ctx: Context) -> list[AnnouncementView]:
    return AnnouncementService(ctx.store).list(ctx.signed_in())


def load_class_choices(ctx: Context) -> list[ClassRow]:
    """The classes of the year containing the day (an announcement's audience chooser)."""
    return load_classes(ctx).classes


def post_announcement(ctx: Context, title: str, body: str, audience: Audience,
                      expires_on: date | None) -> AnnouncementView:
    return AnnouncementService(ctx.store).post(ctx.signed_in(), title, body, audience, expires_on=expires_on,
                                               today=ctx.day())


def withdraw_announcement(ctx: Context, announcement_id: int) -> AnnouncementView:
    return AnnouncementService(ctx.store).withdraw(ctx.signed_in(), announcement_id)


def send_report(ctx: Context, text: str, screen: str | None) -> TicketDetail:
    return SupportService(ctx.store).report(ctx.signed_in(), text, screen=screen)


def load_tickets(ctx: Context, status: str | None) -> list[TicketRow]:
    """The support queue (with support.manage) or the actor's own reports."""
    service = SupportService(ctx.store)
    if ctx.can("support.manage"):
        return service.queue(ctx.signed_in(), status)
    return service.mine(ctx.signed_in())


def open_ticket(ctx: Context, ticket_id: int, manage: bool) -> TicketDetail:
    """A ticket of the queue, or one's own (opening one's own marks its answers read)."""
    service = SupportService(ctx.store)
    if manage:
        return service.get(ctx.signed_in(), ticket_id)
    return service.open_mine(ctx.signed_in(), ticket_id)


def write_to_ticket(ctx: Context, ticket_id: int, text: str, manage: bool) -> TicketDetail:
    """An answer of the support staff, or the author's reply."""
    service = SupportService(ctx.store)
    if manage:
        return service.answer(ctx.signed_in(), ticket_id, text)
    return service.reply(ctx.signed_in(), ticket_id, text)


def close_ticket(ctx: Context, ticket_id: int) -> TicketDetail:
    return SupportService(ctx.store).close(ctx.signed_in(), ticket_id)
