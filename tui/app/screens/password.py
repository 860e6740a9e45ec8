"""Change one's own password: the current one, the new one twice; the core's policy messages under the fields.

Also the way in with a temporary password (an administrator's reset): the login screen hands the signed-in
result here instead of opening the dashboard, and the user is signed in only once the password is changed.
And the way in with a login code from a letter: the login screen has checked the code; there is no current
password to ask, and the code is spent (CodeService.redeem) only when the new password is accepted.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Static

from zhurnal.core.errors import AuthenticationFailed, ZhurnalError
from zhurnal.core.permissions import Actor
from zhurnal.core.services.accounts import SignedIn
from zhurnal.core.validation import Problem
from zhurnal.tui.app import admin_calls
from zhurnal.tui.app.admin_messages import PasswordChanged
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import FormRefused
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.i18n import t


class PasswordScreen(AppScreen):
    """`pending`: the sign-in of an account whose password is temporary (no one is signed in yet); `code`: the
    login and the letter's code, already checked (no one is signed in yet either)."""

    CSS_PATH = "../admin.tcss"
    TITLE_KEY = "password.title"
    HELP_KEY = "help.password"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "back"),
    ]

    def __init__(self, pending: SignedIn | None = None, code: tuple[str, str] | None = None) -> None:
        super().__init__(id="password-screen")
        self.pending = pending
        self.code = code
        self.saving = False

    @property
    def actor(self) -> Actor:
        return self.pending.actor if self.pending is not None else self.ctx.signed_in()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="password-form"):
            if self.code is not None:
                heading = t("password.by_code", login=self.code[0])
            elif self.pending is not None:
                heading = t("password.must_change", login=self.actor.login)
            else:
                heading = t("password.heading", login=self.actor.login)
            yield Static(heading, id="password-heading")
            if self.code is None:  # the code stands for the current password
                yield Field(t("password.old"), Input(id="password-old", password=True, compact=True), "old")
            yield Field(t("password.new"), Input(id="password-new", password=True, compact=True), "password")
            yield Field(t("password.repeat"), Input(id="password-repeat", password=True, compact=True), "repeat")
            yield Static(t("password.rules"), id="password-rules")
            yield Static("", id="password-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#password-new" if self.code is not None else "#password-old", Input).focus()

    def value(self, name: str) -> str:
        return self.query_one(f"#password-{name}", Input).value

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "password-repeat":
            self.action_save()
        else:
            self.focus_next()

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#password-message", Static), problems, text)

    def action_save(self) -> None:
        if self.saving:
            return
        old = self.value("old") if self.code is None else ""
        new, repeat = self.value("new"), self.value("repeat")
        problems = []
        if not old and self.code is None:
            problems.append(Problem("old", "required", t("password.old.required")))
        if not new:
            problems.append(Problem("password", "required", t("password.new.required")))
        elif new != repeat:
            problems.append(Problem("repeat", "mismatch", t("password.mismatch")))
        if problems:
            self.say(problems)
            return
        self.say([])
        self.saving = True
        self.query_one("#password-form").loading = True
        self.save(old, new)

    @work(thread=True, exclusive=True, exit_on_error=False, group="password-save")
    def save(self, old: str, new: str) -> None:
        if self.code is not None:
            self.spend_code(*self.code, new)
            return
        try:
            admin_calls.change_own_password(self.ctx, self.actor, old, new)
        except AuthenticationFailed as exc:  # the current password is wrong (counts towards the lock-out)
            self.post_message(FormRefused([Problem("old", "wrong", str(exc))]))
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(PasswordChanged())

    def spend_code(self, login: str, code: str, new: str) -> None:
        from zhurnal.tui.app import workers

        try:
            signed = workers.redeem_code(self.ctx, login, code, new)
        # A weak password (the code stays unused), or the code used or revoked meanwhile, or the account locked.
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(PasswordChanged(signed))

    def finish_loading(self) -> None:
        self.saving = False
        self.query_one("#password-form").loading = False

    def clear(self) -> None:
        for field in self.query(Input):
            field.value = ""

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say(message.problems, message.text)
        wrong_old = any(p.field == "old" for p in message.problems)
        self.query_one("#password-old" if wrong_old else "#password-new", Input).focus()

    @on(PasswordChanged)
    def changed(self, message: PasswordChanged) -> None:
        self.finish_loading()
        self.clear()
        self.app.notify(t("password.changed"), timeout=6)
        if message.signed is not None:
            self.zapp.signed_in(message.signed)
        elif self.pending is not None:
            self.zapp.signed_in(SignedIn(self.pending.actor, must_change_password=False))
        else:
            self.app.pop_screen()

    def action_back(self) -> None:
        if self.pending is not None or self.code is not None:
            from zhurnal.tui.app.screens.login import LoginScreen

            self.app.switch_screen(LoginScreen())
        else:
            self.app.pop_screen()
