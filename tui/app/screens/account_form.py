"""A new account for a person: the person (chosen with a search), the login (suggested from the name), a
temporary password or none (a login code opens the account later), and roles the signed-in user may assign,
which need their password typed again. The temporary password is shown once after the save."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Checkbox, DataTable, Header, Input, SelectionList, Static

from zhurnal.core.errors import AuthenticationFailed, ZhurnalError
from zhurnal.core.services.codes import login_base
from zhurnal.core.services.users import UserDetail
from zhurnal.core.validation import Problem
from zhurnal.tui.app import admin_calls
from zhurnal.tui.app.admin_labels import role_titles
from zhurnal.tui.app.admin_messages import AccountCreated
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import FormRefused
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.app.widgets.person_picker import PersonPicker
from zhurnal.tui.i18n import t


class AccountFormScreen(AppScreen):
    """After a save `created` holds the account (the list opens it)."""

    CSS_PATH = "../admin.tcss"
    TITLE_KEY = "account_form.title"
    HELP_KEY = "help.account_form"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "app.pop_screen"),
    ]

    def __init__(self) -> None:
        super().__init__(id="account-form-screen")
        self.created: UserDetail | None = None
        self.saving = False
        self._suggested = ""

    def compose(self) -> ComposeResult:
        titles = role_titles()
        offered = admin_calls.assignable(self.ctx.signed_in())
        yield Header()
        with VerticalScroll(id="account-form"):
            yield Field(t("account_form.person"), PersonPicker(None, id="account-person"), "person_id")
            yield Field(t("account_form.login"), Input(id="account-login", compact=True), "login")
            yield Checkbox(t("account_form.temporary"), True, id="account-temporary", compact=True)
            if offered:
                yield Field(t("account_form.roles"),
                            SelectionList[str](*[(f"{titles.get(r, r)} ({r})", r) for r in offered],
                                               id="account-roles", compact=True), "roles")
                yield Field(t("account_form.confirm"),
                            Input(id="account-confirm", password=True, compact=True), "confirmed_password")
            yield Static("", id="account-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#account-person Input").focus()

    # ------------------------------------------------------------------------------------ login suggestion

    @on(DataTable.RowHighlighted, "#account-person DataTable")
    def person_highlighted(self) -> None:
        self.suggest_login()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.query_one("#account-login", Input):
            self.suggest_login()

    def suggest_login(self) -> None:
        """Put the login made from the chosen person's name into the login field, unless one was typed."""
        chosen = self.query_one("#account-person", PersonPicker).chosen
        login = self.query_one("#account-login", Input)
        if chosen is None or login.value not in ("", self._suggested):
            return  # the administrator typed a login of their own: keep it
        words = chosen[1].split()
        self._suggested = login_base(words[0], words[1] if len(words) > 1 else "") if words else ""
        login.value = self._suggested

    @on(Input.Submitted, "#account-login")
    def login_submitted(self) -> None:
        self.focus_next()

    # ------------------------------------------------------------------------------------------------ save

    def roles(self) -> tuple[str, ...]:
        found = self.query("#account-roles")
        return tuple(found.first(SelectionList).selected) if found else ()

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#account-message", Static), problems, text)

    @on(Input.Submitted, "#account-confirm")
    def confirm_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        chosen = self.query_one("#account-person", PersonPicker).chosen
        if chosen is None:
            self.say([Problem("person_id", "required", t("account_form.person.required"))])
            return
        roles = self.roles()
        confirm = ""
        if roles:
            box = self.query_one("#account-confirm", Input)
            confirm, box.value = box.value, ""
            if not confirm:
                self.say([Problem("confirmed_password", "required", t("roles.password.required"))])
                box.focus()
                return
        self.say([])
        self.saving = True
        self.query_one("#account-form").loading = True
        self.save(self.query_one("#account-login", Input).value, chosen[0], roles,
                  self.query_one("#account-temporary", Checkbox).value, confirm or None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="account-save")
    def save(self, login: str, person_id: int, roles: tuple[str, ...], with_password: bool,
             confirm: str | None) -> None:
        try:
            created = admin_calls.create_account(self.ctx, login, person_id, roles, with_password, confirm)
        except AuthenticationFailed as exc:
            self.post_message(FormRefused([Problem("confirmed_password", "wrong", str(exc))]))
        except ZhurnalError as exc:  # the login is taken, or the person has an account already
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(AccountCreated(created))

    def finish_loading(self) -> None:
        self.saving = False
        self.query_one("#account-form").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say(message.problems, message.text)

    @on(AccountCreated)
    def done(self, message: AccountCreated) -> None:
        from zhurnal.tui.app.screens.shown_once import ShownOnceScreen

        self.finish_loading()
        created = message.created
        self.created = created.detail
        self.app.notify(t("account_form.saved", login=created.detail.login), timeout=6)
        if created.password is None:
            self.dismiss(None)
            return

        def shown(_: None) -> None:
            self.dismiss(None)  # not awaited: the callback runs in this screen's message handling

        self.app.push_screen(ShownOnceScreen(t("account_form.secret_title", login=created.detail.login),
                                             created.password, [t("account.reset.secret_hint")]), shown)
