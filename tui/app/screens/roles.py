"""Grant and revoke roles of one account: only the roles the signed-in user may assign are offered
(permissions.assignable_by), and the change needs their password typed again (the core checks it; a wrong
one changes nothing and counts towards the lock-out)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, SelectionList, Static

from zhurnal.core.errors import AuthenticationFailed, ZhurnalError
from zhurnal.core.services.users import RoleChange, UserDetail
from zhurnal.core.validation import Problem
from zhurnal.tui.app import admin_calls
from zhurnal.tui.app.admin_labels import role_titles
from zhurnal.tui.app.admin_messages import RolesChanged
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import FormRefused
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.i18n import t

PASSWORD_FIELD = "confirmed_password"


class RolesScreen(AppScreen):
    """The roles of `detail` the actor may change, ticked when held; Ctrl+S saves the difference."""

    CSS_PATH = "../admin.tcss"
    TITLE_KEY = "roles.title"
    HELP_KEY = "help.roles"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "app.pop_screen"),
    ]

    def __init__(self, detail: UserDetail) -> None:
        super().__init__(id="roles-screen")
        self.detail = detail
        self.changed: RoleChange | None = None
        self.saving = False

    def compose(self) -> ComposeResult:
        titles = role_titles()
        allowed = admin_calls.assignable(self.ctx.signed_in())
        others = [r for r in self.detail.roles if r not in allowed]
        yield Header()
        with VerticalScroll(id="roles-form"):
            yield Static(Text(t("roles.heading", login=self.detail.login), style="bold"), id="roles-heading")
            yield SelectionList[str](*[(f"{titles.get(r, r)} ({r})", r, r in self.detail.roles) for r in allowed],
                                     id="roles-list", compact=True)
            if others:
                yield Static(t("roles.others", roles=", ".join(others)), id="roles-others")
            yield Field(t("roles.password"),
                        Input(id="roles-password", password=True, compact=True), PASSWORD_FIELD)
            yield Static("", id="roles-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#roles-list", SelectionList).focus()

    def wanted(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(roles to grant, roles to revoke): the ticks compared with what the account holds."""
        ticked = set(self.query_one("#roles-list", SelectionList).selected)
        offered = admin_calls.assignable(self.ctx.signed_in())
        held = set(self.detail.roles)
        grant = tuple(r for r in offered if r in ticked and r not in held)
        revoke = tuple(r for r in offered if r not in ticked and r in held)
        return grant, revoke

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#roles-message", Static), problems, text)

    @on(Input.Submitted, "#roles-password")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        grant, revoke = self.wanted()
        if not grant and not revoke:
            self.say([], t("roles.unchanged"))
            return
        box = self.query_one("#roles-password", Input)
        password = box.value
        if not password:
            self.say([Problem(PASSWORD_FIELD, "required", t("roles.password.required"))])
            box.focus()
            return
        box.value = ""
        self.say([])
        self.saving = True
        self.query_one("#roles-form").loading = True
        self.save(grant, revoke, password)

    @work(thread=True, exclusive=True, exit_on_error=False, group="roles-save")
    def save(self, grant: tuple[str, ...], revoke: tuple[str, ...], password: str) -> None:
        try:
            change = admin_calls.change_roles(self.ctx, self.detail.id, grant, revoke, password)
        except AuthenticationFailed as exc:
            self.post_message(FormRefused([Problem(PASSWORD_FIELD, "wrong", str(exc))]))
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(RolesChanged(change))

    def finish_loading(self) -> None:
        self.saving = False
        self.query_one("#roles-form").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say(message.problems, message.text)
        self.query_one("#roles-password", Input).focus()

    @on(RolesChanged)
    def done(self, message: RolesChanged) -> None:
        self.finish_loading()
        self.changed = message.change
        self.dismiss(None)
