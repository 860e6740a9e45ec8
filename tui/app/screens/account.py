"""One account: its person, roles, state and sign-in activity, and what the administrator does with it: reset
the password (the temporary one is shown once), issue a login code with its letter, change roles, disable and
re-enable. Irreversible actions ask first; the letter and role changes ask for one's own password again."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.users import UserDetail
from zhurnal.tui.app import admin_calls
from zhurnal.tui.app.admin_labels import account_state, moment, roles_text
from zhurnal.tui.app.admin_messages import AccountChanged, AccountLoaded
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t


class AccountScreen(AppScreen):
    """The account `user_id`; it reloads after every action."""

    CSS_PATH = "../admin.tcss"
    TITLE_KEY = "account.title"
    HELP_KEY = "help.account"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("account.roles", "ctrl+g", "roles"),
        bind("account.reset", "ctrl+r", "reset"),
        bind("account.letter", "ctrl+l", "letter"),
        bind("account.disable", "ctrl+d", "disable"),
        bind("account.enable", "ctrl+e", "enable"),
    ]

    def __init__(self, user_id: int) -> None:
        super().__init__(id="account-screen")
        self.user_id = user_id
        self.detail: UserDetail | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="account"):
            yield Static("", id="account-name")
            yield Static("", id="account-fields")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#account").focus()
        self.reload()

    def reload(self) -> None:
        self.query_one("#account").loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="account")
    def load(self) -> None:
        try:
            detail = admin_calls.show_user(self.ctx, self.user_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "account"))
            return
        self.post_message(AccountLoaded(detail))

    def finish_loading(self) -> None:
        self.busy = False
        self.query_one("#account").loading = False

    @on(AccountLoaded)
    def loaded(self, message: AccountLoaded) -> None:
        self.finish_loading()
        self.detail = d = message.detail
        self.query_one("#account-name", Static).update(Text(d.login, style="bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        grid.add_row(t("account.person"), d.full_name or t("account.no_person"))
        grid.add_row(t("account.roles"), roles_text(d.roles))
        grid.add_row(t("account.state"), account_state(d.active, d.locked, d.last_login_at))
        if d.locked_until is not None:
            grid.add_row(t("account.locked_until"), moment(d.locked_until))
        grid.add_row(t("account.password"), t("account.password.temporary") if d.must_change_password and
                     d.has_password else t("account.password.set") if d.has_password
                     else t("account.password.none"))
        grid.add_row(t("account.last_login"), moment(d.last_login_at) or t("account.never"))
        grid.add_row(t("account.created"), moment(d.created_at))
        grid.add_row(t("account.failures"), str(d.recent_failures))
        grid.add_row(t("account.events"), str(d.recent_auth_events))
        self.query_one("#account-fields", Static).update(grid)
        self.refresh_bindings()

    # ---------------------------------------------------------------------------------------------- actions

    def own(self) -> bool:
        return self.detail is not None and self.detail.id == self.ctx.signed_in().user_id

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        d = self.detail
        if action in ("roles", "reset", "letter", "disable", "enable"):
            if d is None or self.own():
                return False
            if action == "roles":
                return bool(admin_calls.assignable(self.ctx.signed_in()))
            if action == "letter":
                return d.active and self.ctx.can("accounts.manage") and self.ctx.can("export.personal_data")
            if action == "enable":
                return (not d.active or d.locked) and self.ctx.can("accounts.manage")
            return d.active and self.ctx.can("accounts.manage")
        return True

    def ask(self, title: str, question: str, yes: str, then: Callable[[], None]) -> None:
        """A confirmation with No first (the action cannot be undone from here)."""
        def answered(ok: bool | None) -> None:
            if ok:
                then()

        self.app.push_screen(ConfirmScreen(title, question, yes=yes, default_yes=False), answered)

    def action_reset(self) -> None:
        if self.detail is None:
            return
        self.ask(t("account.reset.title"), t("account.reset.question", login=self.detail.login),
                 t("account.reset.yes"), lambda: self.perform("reset"))

    def action_disable(self) -> None:
        if self.detail is None:
            return
        self.ask(t("account.disable.title"), t("account.disable.question", login=self.detail.login),
                 t("account.disable.yes"), lambda: self.perform("disable"))

    def action_enable(self) -> None:
        self.perform("enable")

    def action_letter(self) -> None:
        from zhurnal.tui.app.screens.password_prompt import PasswordPromptScreen

        if self.detail is None:
            return
        login = self.detail.login

        def typed(password: str | None) -> None:
            if password:
                self.perform("letter", password)

        def confirmed() -> None:
            self.app.push_screen(PasswordPromptScreen(t("account.letter.title"), t("account.letter.why"),
                                                      self.ctx.signed_in().login), typed)

        self.ask(t("account.letter.title"), t("account.letter.question", login=login), t("account.letter.yes"),
                 confirmed)

    def action_roles(self) -> None:
        from zhurnal.tui.app.screens.roles import RolesScreen

        if self.detail is None:
            return
        form = RolesScreen(self.detail)

        def closed(_: None) -> None:
            if form.changed is not None:
                self.notify(t("account.roles.changed", login=form.changed.login,
                              roles=roles_text(form.changed.roles)), timeout=6)
                self.reload()

        self.app.push_screen(form, closed)

    def perform(self, name: str, password: str = "") -> None:
        if self.busy:
            return
        self.busy = True
        self.query_one("#account").loading = True
        self.act(name, password)

    @work(thread=True, exclusive=True, exit_on_error=False, group="account-action")
    def act(self, name: str, password: str) -> None:
        try:
            if name == "reset":
                reset = admin_calls.reset_password(self.ctx, self.user_id)
                done = AccountChanged(t("account.reset.done", login=reset.login), secret=reset.password)
            elif name == "disable":
                state = admin_calls.disable_user(self.ctx, self.user_id)
                done = AccountChanged(t("account.disable.done", login=state.login))
            elif name == "enable":
                state = admin_calls.enable_user(self.ctx, self.user_id)
                done = AccountChanged(t("account.enable.done", login=state.login))
            else:
                path = admin_calls.issue_letter(self.ctx, self.user_id, password)
                done = AccountChanged(t("account.letter.done", path=str(path)), path=path)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "account"))
            return
        self.post_message(done)

    @on(AccountChanged)
    def changed(self, message: AccountChanged) -> None:
        self.finish_loading()
        if message.secret:
            from zhurnal.tui.app.screens.shown_once import ShownOnceScreen

            login = self.detail.login if self.detail else ""
            self.app.push_screen(ShownOnceScreen(t("account.reset.secret_title", login=login), message.secret,
                                                 [t("account.reset.secret_hint")]))
        else:
            self.notify(message.text, timeout=8)
        self.reload()
