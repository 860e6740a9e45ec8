"""The audit log: records newest first, a page at a time from SQL (keyset on the chain position), narrowed as
you type by user (login), action (its beginning), person (number, or F7 to find them by name) and dates.
Enter shows one record in full; the line at the bottom says whether the chain verifies."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import get_current_worker

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.audit_log import AuditEntry, AuditFilter
from zhurnal.core.services.common import relabel
from zhurnal.core.validation import Problem, parse_date
from zhurnal.tui.app import admin_calls
from zhurnal.tui.app.admin_labels import outcome_label
from zhurnal.tui.app.admin_messages import AuditPageLoaded, ChainVerified
from zhurnal.tui.app.context import Debounce
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t

LOADING_DELAY = 0.3
FILTERS = ("user", "action", "person", "from", "to")


class AuditScreen(AppScreen):
    """The audit trail of the school; filters above, the records below, the chain state at the bottom."""

    CSS_PATH = "../admin.tcss"
    TITLE_KEY = "audit.title"
    HELP_KEY = "help.audit"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("audit.open", "enter", "open"),
        bind("audit.person", "f7", "pick_person"),
        bind("audit.refresh", "ctrl+r", "refresh"),
        bind("audit.to_list", "down", "focus_list", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__(id="audit-screen")
        self._token = 0
        self._next_before: int | None = None
        self._fetching = False
        self._loading_timer: Timer | None = None
        self._where = AuditFilter()
        self.entries: dict[int, AuditEntry] = {}
        self._debounce = Debounce()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="audit-filters"):
            yield Input(id="audit-user", placeholder=t("audit.filter.user"), compact=True)
            yield Input(id="audit-action", placeholder=t("audit.filter.action"), compact=True)
            yield Input(id="audit-person", placeholder=t("audit.filter.person"), compact=True)
            yield Input(id="audit-from", placeholder=t("audit.filter.from"), compact=True)
            yield Input(id="audit-to", placeholder=t("audit.filter.to"), compact=True)
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-status")
        yield Static(t("audit.chain") + ": " + t("audit.chain.checking"), id="audit-chain")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#audit-table", DataTable)
        table.add_column(t("audit.col.seq"), key="seq", width=7)
        table.add_column(t("audit.col.at"), key="at", width=14)
        table.add_column(t("audit.col.user"), key="user", width=10)
        table.add_column(t("audit.col.action"), key="action", width=16)
        table.add_column(t("audit.col.object"), key="object", width=11)
        table.add_column(t("audit.col.outcome"), key="outcome", width=6)
        self.query_one("#audit-user", Input).focus()
        self.search(delay=0.0)
        self.verify()

    # --------------------------------------------------------------------------------------------- filters

    def read_filters(self) -> tuple[AuditFilter | None, list[Problem]]:
        """The filter the boxes describe, or the problems of the boxes that do not parse."""
        value = {name: self.query_one(f"#audit-{name}", Input).value.strip() for name in FILTERS}
        date_from, problems = parse_date(value["from"], "from")
        date_to, more = parse_date(value["to"], "to")
        problems = relabel(problems, "from", t("audit.label.from")) + relabel(more, "to", t("audit.label.to"))
        person_id = None
        if value["person"]:
            if value["person"].isdigit():
                person_id = int(value["person"])
            else:
                problems.append(Problem("person", "bad_format", t("audit.filter.person.bad")))
        if problems:
            return None, problems
        return AuditFilter(person_id=person_id, login=value["user"] or None, action=value["action"] or None,
                           date_from=date_from, date_to=date_to), []

    @on(Input.Changed)
    def filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search()

    @on(Input.Submitted)
    def filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_focus_list()

    def search(self, *, delay: float | None = None) -> None:
        where, problems = self.read_filters()
        self._token += 1
        if where is None:
            self.say(t("audit.filter.bad", problems="; ".join(p.message for p in problems)), error=True)
            return
        self._where = where
        self._fetching = True
        self._next_before = None
        self._start_loading_timer()
        self.fetch(self._token, where, None, self._debounce.wait(self.ctx.search_delay) if delay is None else delay)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-page")
    def fetch(self, token: int, where: AuditFilter, before: int | None, delay: float) -> None:
        worker = get_current_worker()
        if delay and worker.cancelled_event.wait(delay):
            return
        try:
            page = admin_calls.audit_page(self.ctx, where, before)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "audit"))
            return
        if not worker.is_cancelled:
            self.post_message(AuditPageLoaded(token, page, append=before is not None))

    @on(AuditPageLoaded)
    def loaded(self, message: AuditPageLoaded) -> None:
        if message.token != self._token:
            return
        self.finish_loading()
        table = self.query_one("#audit-table", DataTable)
        if not message.append:
            table.clear()
            self.entries.clear()
        for e in message.page.rows:
            self.entries[e.seq] = e
            at = e.at.astimezone()
            obj = " ".join(str(p) for p in (e.object_type, e.object_id) if p is not None)
            table.add_row(str(e.seq), t("audit.at", d=at), e.login or "", e.action, obj, outcome_label(e.outcome),
                          key=str(e.seq))
        self._next_before = message.page.next_before
        shown = table.row_count
        self.say(t("audit.status.none") if not shown else t("audit.status.more", shown=shown)
                 if self._next_before is not None else t("audit.status.all", shown=shown))
        if message.append:
            self._prefetch(table.cursor_row)
        self.refresh_bindings()

    def say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#audit-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    # ---------------------------------------------------------------------------------------------- paging

    @on(DataTable.RowHighlighted, "#audit-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._prefetch(event.cursor_row)

    def _prefetch(self, cursor_row: int) -> None:
        table = self.query_one("#audit-table", DataTable)
        if self._next_before is None or self._fetching or cursor_row < table.row_count - 1:
            return
        self._fetching = True
        self.say(t("audit.status.loading"))
        self.fetch(self._token, self._where, self._next_before, 0.0)

    def _start_loading_timer(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self._loading_timer = self.set_timer(LOADING_DELAY, self._show_loading)

    def _show_loading(self) -> None:
        if self._fetching:
            self.query_one("#audit-table", DataTable).loading = True

    def finish_loading(self) -> None:
        self._fetching = False
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.query_one("#audit-table", DataTable).loading = False

    # ----------------------------------------------------------------------------------------------- chain

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit-chain")
    def verify(self) -> None:
        try:
            state = admin_calls.audit_chain(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "audit"))
            return
        self.post_message(ChainVerified(state))

    @on(ChainVerified)
    def verified(self, message: ChainVerified) -> None:
        state = message.state
        label = t("audit.chain") + ": "
        if state.ok:
            text = Text.assemble(label, (t("audit.chain.ok", count=state.records), "green"))
        else:
            text = Text.assemble(label, (t("audit.chain.broken", problem=state.problem or ""), "bold red"))
        self.query_one("#audit-chain", Static).update(text)

    # ---------------------------------------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_list":  # only from a filter box; in the list Down moves the cursor
            return isinstance(self.focused, Input)
        if action == "open":
            return self.query_one("#audit-table", DataTable).row_count > 0
        if action == "pick_person":
            return self.ctx.can("people.read")
        return True

    def action_focus_list(self) -> None:
        self.set_focus(self.query_one("#audit-table", DataTable))

    def action_refresh(self) -> None:
        self.query_one("#audit-chain", Static).update(t("audit.chain") + ": " + t("audit.chain.checking"))
        self.search(delay=0.0)
        self.verify()

    def action_open(self) -> None:
        from zhurnal.tui.app.screens.audit_record import AuditRecordScreen

        table = self.query_one("#audit-table", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        entry = self.entries.get(int(key)) if key is not None else None
        if entry is not None:
            self.app.push_screen(AuditRecordScreen(entry))

    @on(DataTable.RowSelected, "#audit-table")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_pick_person(self) -> None:
        from zhurnal.tui.app.screens.pick_person import PickPersonScreen

        def chosen(person: tuple[int, str] | None) -> None:
            if person is not None:
                self.query_one("#audit-person", Input).value = str(person[0])
                self.notify(t("audit.person.chosen", name=person[1], id=person[0]), timeout=4)

        self.app.push_screen(PickPersonScreen(), chosen)
