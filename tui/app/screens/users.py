"""Users and roles: the school's accounts, searched as you type (login or the person's name), a page at a time
from SQL (keyset on the login). Enter opens the account with its actions; F9 creates an account."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import get_current_worker

from zhurnal.core.errors import ZhurnalError
from zhurnal.tui.app import admin_calls
from zhurnal.tui.app.admin_labels import account_state, roles_text
from zhurnal.tui.app.admin_messages import UsersLoaded
from zhurnal.tui.app.context import Debounce
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t

LOADING_DELAY = 0.3
"""A search answered faster than this shows no loading indicator."""


class UsersScreen(AppScreen):
    """The account list; the highlighted account is the one Enter opens."""

    CSS_PATH = "../admin.tcss"
    TITLE_KEY = "users.title"
    HELP_KEY = "help.users"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("users.open", "enter", "open", priority=True),
        bind("users.new", "f9", "new"),
        bind("users.search", "ctrl+f", "focus_search"),
        bind("users.to_list", "down", "focus_list", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__(id="users-screen")
        self._token = 0
        self._next_after: str | None = None
        self._fetching = False
        self._loading_timer: Timer | None = None
        self._reload_on_resume = False
        self._debounce = Debounce()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(id="users-search", placeholder=t("users.search.placeholder"), compact=True)
        yield DataTable(id="users-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="users-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#users-table", DataTable)
        table.add_column(t("users.col.login"), key="login", width=14)
        table.add_column(t("users.col.name"), key="name", width=18)
        table.add_column(t("users.col.roles"), key="roles", width=12)
        table.add_column(t("users.col.state"), key="state", width=11)
        table.add_column(t("users.col.last_login"), key="last", width=10)
        self.query_one("#users-search", Input).focus()
        self.search(delay=0.0)

    def on_screen_resume(self) -> None:
        # Back from an account: its state or roles may have changed.
        if self._reload_on_resume:
            self._reload_on_resume = False
            self.search(delay=0.0)

    # ---------------------------------------------------------------------------------------------- search

    @property
    def text(self) -> str:
        return self.query_one("#users-search", Input).value

    def search(self, *, delay: float | None = None) -> None:
        self._token += 1
        self._fetching = True
        self._next_after = None
        self._start_loading_timer()
        self.fetch(self._token, self.text, None, self._debounce.wait(self.ctx.search_delay) if delay is None else delay)

    @on(Input.Changed, "#users-search")
    def search_changed(self) -> None:
        self.search()

    @on(Input.Submitted, "#users-search")
    def search_submitted(self) -> None:
        self.action_focus_list()

    @work(thread=True, exclusive=True, exit_on_error=False, group="users-page")
    def fetch(self, token: int, text: str, after: str | None, delay: float) -> None:
        worker = get_current_worker()
        if delay and worker.cancelled_event.wait(delay):
            return
        try:
            page = admin_calls.list_users(self.ctx, text, after)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "users"))
            return
        if not worker.is_cancelled:
            self.post_message(UsersLoaded(token, page, append=after is not None))

    @on(UsersLoaded)
    def loaded(self, message: UsersLoaded) -> None:
        if message.token != self._token:
            return
        self.finish_loading()
        table = self.query_one("#users-table", DataTable)
        if not message.append:
            table.clear()
        for row in message.page.rows:
            table.add_row(row.login, row.full_name or "", roles_text(row.roles),
                          account_state(row.active, row.locked, row.last_login_at),
                          day(row.last_login_at.astimezone().date()) if row.last_login_at else "", key=str(row.id))
        self._next_after = message.page.next_after
        shown = table.row_count
        status = (t("users.status.none") if not shown else t("users.status.more", shown=shown)
                  if self._next_after is not None else t("users.status.all", shown=shown))
        self.query_one("#users-status", Static).update(status)
        if message.append:
            self._prefetch(table.cursor_row)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#users-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._prefetch(event.cursor_row)

    def _prefetch(self, cursor_row: int) -> None:
        """Fetch the next page when the cursor reaches the last loaded row."""
        table = self.query_one("#users-table", DataTable)
        if self._next_after is None or self._fetching or cursor_row < table.row_count - 1:
            return
        self._fetching = True
        self.query_one("#users-status", Static).update(t("users.status.loading"))
        self.fetch(self._token, self.text, self._next_after, 0.0)

    def _start_loading_timer(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self._loading_timer = self.set_timer(LOADING_DELAY, self._show_loading)

    def _show_loading(self) -> None:
        if self._fetching:
            self.query_one("#users-table", DataTable).loading = True

    def finish_loading(self) -> None:
        self._fetching = False
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.query_one("#users-table", DataTable).loading = False

    # ---------------------------------------------------------------------------------------------- actions

    def selected_id(self) -> int | None:
        table = self.query_one("#users-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_list":  # only from the search box; in the list Down moves the cursor
            return self.focused is self.query_one("#users-search", Input)
        if action == "open":
            return self.query_one("#users-table", DataTable).row_count > 0
        if action == "new":
            return self.ctx.can("accounts.manage")
        return True

    def on_key(self, event: events.Key) -> None:
        # Typing in the list goes on with the search.
        search = self.query_one("#users-search", Input)
        if event.is_printable and event.character and self.focused is self.query_one("#users-table", DataTable):
            event.stop()
            event.prevent_default()
            self.set_focus(search)
            search.insert_text_at_cursor(event.character)

    def action_focus_search(self) -> None:
        self.set_focus(self.query_one("#users-search", Input))

    def action_focus_list(self) -> None:
        self.set_focus(self.query_one("#users-table", DataTable))

    def action_open(self) -> None:
        user_id = self.selected_id()
        if user_id is None:
            return
        from zhurnal.tui.app.screens.account import AccountScreen

        self._reload_on_resume = True
        self.app.push_screen(AccountScreen(user_id))

    @on(DataTable.RowSelected, "#users-table")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_new(self) -> None:
        from zhurnal.tui.app.screens.account import AccountScreen
        from zhurnal.tui.app.screens.account_form import AccountFormScreen

        form = AccountFormScreen()

        def closed(_: None) -> None:
            if form.created is not None:
                self.search(delay=0.0)
                self._reload_on_resume = True
                self.app.push_screen(AccountScreen(form.created.id))

        self.app.push_screen(form, closed)
