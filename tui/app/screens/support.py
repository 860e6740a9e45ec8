"""Support: for the administrator (support.manage) the queue of problem reports with a status filter (F7); for
everyone else their own reports, the ones with an unread answer marked. Enter opens a report with its answers;
F9 reports a new problem. On a report, Ctrl+S sends the answer (administrator) or a reply (its author), Ctrl+L
closes it (administrator, after a confirmation)."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Label, Static, TextArea

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.support import TicketDetail, TicketRow
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed, FormRefused, TicketLoaded, TicketsLoaded
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen, leave_form
from zhurnal.tui.app.screens.news import moment
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t

FILTERS: tuple[str | None, ...] = ("open", "answered", "closed", None)
"""The queue's status filter in the order F7 steps through it; it starts at the reports waiting for an answer."""


def status_labels() -> dict[str | None, str]:
    return {"open": t("support.status.open"), "answered": t("support.status.answered"),
            "closed": t("support.status.closed"), None: t("support.status.all")}


class SupportScreen(AppScreen):
    """The queue or one's own reports; the highlighted one is what Enter opens."""

    TITLE_KEY = "support.title"
    HELP_KEY = "help.support"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("support.open", "enter", "open_ticket", priority=True),
        bind("support.filter", "f7", "next_filter"),
        bind("support.new", "f9", "new_report"),
    ]

    def __init__(self) -> None:
        super().__init__(id="support-screen")
        self.rows: dict[int, TicketRow] = {}
        self.status: str | None = FILTERS[0]

    @property
    def manage(self) -> bool:
        return self.ctx.can("support.manage")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="support-filter")
        yield DataTable(id="tickets", cursor_type="row", zebra_stripes=True)
        yield Static("", id="support-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#tickets", DataTable)
        table.add_column(t("support.col.number"), key="number")
        table.add_column(t("support.col.sent"), key="sent", width=10)
        table.add_column(t("support.col.status"), key="status")
        if self.manage:
            table.add_column(t("support.col.author"), key="author")
        table.add_column(t("support.col.screen"), key="screen")
        table.add_column(t("support.col.text"), key="text")
        self.query_one("#support-filter", Static).display = self.manage
        table.focus()
        self.reload()

    def on_screen_resume(self) -> None:
        # Back from a report: it may have been answered, replied to or closed meanwhile.
        if self.is_mounted:
            self.reload()

    def reload(self) -> None:
        self.query_one("#tickets", DataTable).loading = True
        if self.manage:
            self.query_one("#support-filter", Static).update(
                t("support.filter", status=status_labels()[self.status]))
        self.load(self.status)

    @work(thread=True, exclusive=True, exit_on_error=False, group="support")
    def load(self, status: str | None) -> None:
        try:
            rows = workers.load_tickets(self.ctx, status)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "support"))
            return
        self.post_message(TicketsLoaded(rows))

    def finish_loading(self) -> None:
        self.query_one("#tickets", DataTable).loading = False

    @on(TicketsLoaded)
    def loaded(self, message: TicketsLoaded) -> None:
        self.finish_loading()
        table = self.query_one("#tickets", DataTable)
        table.clear()
        labels = status_labels()
        self.rows = {row.id: row for row in message.rows}
        for row in message.rows:
            unread = row.unread_by_author and not self.manage
            status = Text(("● " if unread else "") + labels.get(row.status, row.status),
                          style="bold yellow" if unread else "")
            cells: list[str | Text] = [str(row.id), moment(row.created_at)[:10], status]
            if self.manage:
                cells.append(row.author_login)  # the full name is on the report itself
            cells += [(row.screen or "—").removesuffix("Screen"), row.preview]
            table.add_row(*cells, key=str(row.id))
        unread_count = sum(1 for row in message.rows if row.unread_by_author)
        if not message.rows:
            status_line = t("support.none")
        elif self.manage:
            status_line = t("support.count", count=len(message.rows))
        else:
            status_line = t("support.mine", count=len(message.rows), unread=unread_count)
        self.query_one("#support-status", Static).update(status_line)
        self.refresh_bindings()

    def highlighted(self) -> TicketRow | None:
        table = self.query_one("#tickets", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(int(key)) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_ticket":
            return self.highlighted() is not None
        if action == "next_filter":
            return self.manage
        return True

    def action_next_filter(self) -> None:
        self.status = FILTERS[(FILTERS.index(self.status) + 1) % len(FILTERS)]
        self.reload()

    def action_new_report(self) -> None:
        from zhurnal.tui.app.screens.report import ReportScreen

        def closed(_: None) -> None:
            self.reload()

        self.app.push_screen(ReportScreen(type(self).__name__), closed)

    @on(DataTable.RowSelected, "#tickets")
    def row_selected(self) -> None:
        self.action_open_ticket()

    def action_open_ticket(self) -> None:
        row = self.highlighted()
        if row is not None:
            self.app.push_screen(TicketScreen(row.id, manage=self.manage))


class TicketScreen(AppScreen):
    """One report with every answer and reply, and a box to write the next one."""

    TITLE_KEY = "ticket.title"
    HELP_KEY = "help.ticket"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "back"),
        bind("ticket.send", "ctrl+s", "send"),
        bind("ticket.close", "ctrl+l", "close_ticket"),
    ]

    def __init__(self, ticket_id: int, *, manage: bool) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.manage = manage
        self.ticket: TicketDetail | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="ticket-thread"):
            yield Static("", id="ticket-body")
        yield Label(t("ticket.answer") if self.manage else t("ticket.reply"), id="ticket-label")
        yield TextArea(id="ticket-text", compact=True)
        yield Static("", id="ticket-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#ticket-thread").loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket")
    def load(self) -> None:
        try:
            ticket = workers.open_ticket(self.ctx, self.ticket_id, self.manage)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "ticket"))
            return
        self.post_message(TicketLoaded(ticket))

    def finish_loading(self) -> None:
        self.busy = False
        self.query_one("#ticket-thread").loading = False

    @on(TicketLoaded)
    def loaded(self, message: TicketLoaded) -> None:
        self.finish_loading()
        self.ticket = ticket = message.ticket
        row = ticket.row
        label = status_labels().get(row.status, row.status)
        author = f"{row.author_name} ({row.author_login})" if row.author_name else row.author_login
        parts = [Text(t("ticket.heading", number=row.id, status=label), style="bold"),
                 Text(t("ticket.meta", author=author, when=moment(row.created_at), screen=row.screen or "—"),
                      style="italic"),
                 Text(ticket.text)]
        for item in ticket.messages:
            who = t("ticket.from_support") if item.from_support else t("ticket.from_author")
            parts += [Text(""), Text(t("ticket.message", who=who, login=item.author_login,
                                       when=moment(item.created_at)), style="bold cyan" if item.from_support
                                     else "bold"), Text(item.text)]
        self.query_one("#ticket-body", Static).update(Group(*parts))
        closed = row.status == "closed"
        box = self.query_one("#ticket-text", TextArea)
        box.disabled = closed
        self.query_one("#ticket-label", Label).update(
            t("ticket.closed") if closed else t("ticket.answer") if self.manage else t("ticket.reply"))
        if not closed:
            box.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        open_ticket = self.ticket is not None and self.ticket.row.status != "closed"
        if action == "send":
            return open_ticket
        if action == "close_ticket":
            return self.manage and open_ticket
        return True

    def say(self, text: str) -> None:
        message = self.query_one("#ticket-message", Static)
        message.update(text)
        message.set_class(bool(text), "-error")

    def action_send(self) -> None:
        text = self.query_one("#ticket-text", TextArea).text
        if self.busy:
            return
        if not text.strip():
            self.say(t("report.empty"))
            return
        self.busy = True
        self.say("")
        self.query_one("#ticket-thread").loading = True
        self.write(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-write")
    def write(self, text: str) -> None:
        try:
            ticket = workers.write_to_ticket(self.ctx, self.ticket_id, text, self.manage)
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(TicketLoaded(ticket))
            self.app.call_from_thread(self.sent)

    def sent(self) -> None:
        self.query_one("#ticket-text", TextArea).clear()
        self.notify(t("ticket.sent"), timeout=4)

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say("\n".join([message.text] if message.text else [p.message for p in message.problems]))

    def action_close_ticket(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self.query_one("#ticket-thread").loading = True
                self.close_it()

        self.app.push_screen(ConfirmScreen(t("ticket.close.title"), t("ticket.close.question", number=self.ticket_id),
                                           yes=t("ticket.close.yes"), no=t("confirm.no"), default_yes=False),
                             answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-write")
    def close_it(self) -> None:
        try:
            ticket = workers.close_ticket(self.ctx, self.ticket_id)
        except ZhurnalError as exc:
            self.post_message(FormRefused([], str(exc)))
        else:
            self.post_message(TicketLoaded(ticket))

    def action_back(self) -> None:
        leave_form(self, bool(self.query_one("#ticket-text", TextArea).text.strip()), t("report.discard"))
