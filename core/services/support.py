"""Problem reports (support tickets): any signed-in user reports a problem from any screen (the screen's name
goes with it), the administrator works through the queue, answers and closes, and the author reads the answers
in the app.

A ticket is open (waiting for support), answered (waiting for the author) or closed. An answer marks it
answered and unread by its author until the author opens it; the author's reply opens it again. Sending,
answering, replying and closing are audited with the ticket's number and status, never the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import TICKET_STATUSES, Person, SupportMessage, SupportTicket, User, utcnow
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import full_name
from zhurnal.core.services.common import clean_label, refuse, relabel
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_multiline

TEXT_MAX = 5_000
SCREEN_MAX = 80
MAX_LIST = 500
STATUS_TITLES = {"open": "ждёт ответа", "answered": "есть ответ", "closed": "закрыто"}


@dataclass(frozen=True)
class TicketRow:
    """One line of the queue or of a user's own list."""

    id: int
    author_login: str
    author_name: str | None  # the author's person, if the account has one
    screen: str | None
    status: str
    unread_by_author: bool  # an answer the author has not opened yet
    messages: int  # answers and replies after the report
    created_at: datetime
    updated_at: datetime
    preview: str  # the report's first line, shortened


@dataclass(frozen=True)
class TicketMessage:
    author_login: str
    from_support: bool  # False: the ticket's author wrote it
    text: str
    created_at: datetime


@dataclass(frozen=True)
class TicketDetail:
    """A ticket with its report and every message after it, oldest first."""

    row: TicketRow
    text: str
    messages: list[TicketMessage]
    closed_at: datetime | None
    version: int


def _preview(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[:width - 1] + "…"


def _rows(uow: UnitOfWork, *conditions: ColumnElement[bool], oldest_first: bool = False) -> list[TicketRow]:
    author, person = aliased(User), aliased(Person)
    counts = (select(SupportMessage.ticket_id, func.count().label("n")).group_by(SupportMessage.ticket_id)
              .subquery())
    order = SupportTicket.id.asc() if oldest_first else SupportTicket.id.desc()
    rows = uow.session.execute(
        select(SupportTicket, author.login, person.last_name, person.first_name, person.middle_name,
               func.coalesce(counts.c.n, 0))
        .join(author, author.id == SupportTicket.author_id)
        .outerjoin(person, person.id == author.person_id)
        .outerjoin(counts, counts.c.ticket_id == SupportTicket.id)
        .where(SupportTicket.school_id == uow.school_id, *conditions)
        .order_by(order).limit(MAX_LIST)).all()
    return [TicketRow(t.id, login, full_name(last, first, middle) if last else None, t.screen, t.status,
                      t.unread_by_author, int(n), t.created_at, t.updated_at, _preview(t.text))
            for t, login, last, first, middle, n in rows]


def _detail(uow: UnitOfWork, ticket: SupportTicket) -> TicketDetail:
    messages = uow.session.scalars(select(SupportMessage).where(SupportMessage.ticket_id == ticket.id)
                                   .order_by(SupportMessage.id)).all()
    row = _rows(uow, SupportTicket.id == ticket.id)[0]
    return TicketDetail(row, ticket.text, [TicketMessage(m.author_login, m.from_support, m.text, m.created_at)
                                           for m in messages], ticket.closed_at, ticket.version)


def _ticket(uow: UnitOfWork, ticket_id: int, *, own: bool = False, lock: bool = False) -> SupportTicket:
    """The school's ticket (with `own`, only one the acting user sent); NotFound otherwise, the same message
    either way so a user cannot probe other people's tickets."""
    ticket = uow.session.get(SupportTicket, ticket_id, with_for_update=lock)
    if ticket is None or ticket.school_id != uow.school_id or (own and ticket.author_id != uow.actor.user_id):
        raise NotFound(f"Обращение № {ticket_id} не найдено")
    return ticket


def _clean_text(text: str, label: str) -> str:
    clean, problems = clean_multiline(text, "text", required=True, max_len=TEXT_MAX)
    refuse(relabel(problems, "text", label))
    assert clean is not None
    return clean


def _signed_in(uow: UnitOfWork) -> int:
    if uow.actor.user_id is None:
        raise ValidationFailed([Problem("user", "no_account", "Обращения пишут только вошедшие пользователи")])
    return uow.actor.user_id


def _add_message(uow: UnitOfWork, ticket: SupportTicket, text: str, *, from_support: bool) -> None:
    now = utcnow()
    uow.session.add(SupportMessage(ticket_id=ticket.id, author_id=uow.actor.user_id, author_login=uow.actor.login,
                                   from_support=from_support, text=text, created_at=now))
    ticket.updated_at = now


class SupportService(Service):
    """The support queue and a user's own problem reports."""

    area = "support"

    # ------------------------------------------------------------------------------------ any signed-in user

    @service("self.messages")
    def report(self, uow: UnitOfWork, text: str, screen: str | None = None) -> TicketDetail:
        """Send a problem report from `screen` (the name of the screen the user was on)."""
        author = _signed_in(uow)
        clean = _clean_text(text, "Описание проблемы")
        clean_screen, problems = clean_label(screen, "screen", "Экран", max_len=SCREEN_MAX)
        refuse(problems)
        now = utcnow()
        ticket = SupportTicket(school_id=uow.school_id, author_id=author, screen=clean_screen, text=clean,
                               status="open", created_at=now, updated_at=now)
        uow.session.add(ticket)
        uow.session.flush()
        uow.audit("support.report", object_type="support_ticket", object_id=ticket.id, fields=["text", "screen"],
                  detail=clean_screen)
        return _detail(uow, ticket)

    @service("self.messages", write=False)
    def mine(self, uow: UnitOfWork) -> list[TicketRow]:
        """The acting user's own reports in this school, newest first."""
        if uow.actor.user_id is None or uow.actor.school_id is None:
            return []
        return _rows(uow, SupportTicket.author_id == uow.actor.user_id)

    @service("self.messages", write=False)
    def unread_answers(self, uow: UnitOfWork) -> int:
        """How many of the acting user's reports have an answer they have not opened yet."""
        if uow.actor.user_id is None or uow.actor.school_id is None:
            return 0
        return int(uow.session.scalar(select(func.count()).select_from(SupportTicket).where(
            SupportTicket.school_id == uow.school_id, SupportTicket.author_id == uow.actor.user_id,
            SupportTicket.unread_by_author.is_(True))) or 0)

    @service("self.messages")
    def open_mine(self, uow: UnitOfWork, ticket_id: int) -> TicketDetail:
        """One of the acting user's own reports with its answers; opening it marks the answers read."""
        ticket = _ticket(uow, ticket_id, own=True)
        if ticket.unread_by_author:
            ticket.unread_by_author = False
            uow.session.flush()
        return _detail(uow, ticket)

    @service("self.messages")
    def reply(self, uow: UnitOfWork, ticket_id: int, text: str) -> TicketDetail:
        """The author adds to their own report (more detail, "it happened again"); the ticket is open again.
        A closed ticket takes no reply: the user sends a new report."""
        ticket = _ticket(uow, ticket_id, own=True, lock=True)
        if ticket.status == "closed":
            raise Conflict(f"Обращение № {ticket.id} закрыто: опишите проблему в новом обращении")
        _add_message(uow, ticket, _clean_text(text, "Ответ"), from_support=False)
        ticket.status = "open"
        ticket.unread_by_author = False
        uow.session.flush()
        uow.audit("support.reply", object_type="support_ticket", object_id=ticket.id, fields=["text", "status"],
                  detail=ticket.status)
        return _detail(uow, ticket)

    # ------------------------------------------------------------------------------------- the support staff

    @service("support.manage", write=False)
    def queue(self, uow: UnitOfWork, status: str | None = None) -> list[TicketRow]:
        """The school's reports with `status` (open, answered, closed; None: all), oldest first for open ones
        (the longest waiting on top), newest first otherwise."""
        if status is not None and status not in TICKET_STATUSES:
            raise ValidationFailed([Problem("status", "bad_format", f"Состояние: «{status}» — неизвестное; "
                                                                    f"допустимы: {', '.join(TICKET_STATUSES)}")])
        if status is None:
            return _rows(uow)
        return _rows(uow, SupportTicket.status == status, oldest_first=status == "open")

    @service("support.manage", write=False)
    def get(self, uow: UnitOfWork, ticket_id: int) -> TicketDetail:
        """One report of the school with every answer and reply."""
        return _detail(uow, _ticket(uow, ticket_id))

    @service("support.manage")
    def answer(self, uow: UnitOfWork, ticket_id: int, text: str) -> TicketDetail:
        """Answer a report: the author sees the answer (unread) in the app; the ticket becomes answered.
        A closed ticket is a Conflict."""
        ticket = _ticket(uow, ticket_id, lock=True)
        if ticket.status == "closed":
            raise Conflict(f"Обращение № {ticket.id} закрыто; ответить на него нельзя")
        _add_message(uow, ticket, _clean_text(text, "Ответ"), from_support=True)
        ticket.status = "answered"
        ticket.unread_by_author = True
        uow.session.flush()
        uow.audit("support.answer", object_type="support_ticket", object_id=ticket.id, fields=["text", "status"],
                  detail=ticket.status)
        return _detail(uow, ticket)

    @service("support.manage")
    def close(self, uow: UnitOfWork, ticket_id: int) -> TicketDetail:
        """Close a report (solved, or nothing more to do). Closing a closed ticket is a Conflict."""
        ticket = _ticket(uow, ticket_id, lock=True)
        if ticket.status == "closed":
            raise Conflict(f"Обращение № {ticket.id} уже закрыто")
        now = utcnow()
        ticket.status, ticket.closed_at, ticket.updated_at = "closed", now, now
        uow.session.flush()
        uow.audit("support.close", object_type="support_ticket", object_id=ticket.id, fields=["status"],
                  detail=ticket.status)
        return _detail(uow, ticket)
