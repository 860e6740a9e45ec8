"""The login screen: login and password, checked by the core's AuthService in a thread worker.

F2 (or the second button) switches to the way in that invitation letters describe: the login and the code
printed in the letter. The code is checked first (CodeService.check, nothing used up); the password form then
asks for the person's own password, and the code is spent only when that password is accepted.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Header, Input, Label, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.messages import DISABLED, LOCKED, WRONG_CREDENTIALS
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CodeAccepted, LoginFailed, LoginSucceeded
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t


def answer(core_message: str) -> str:
    """The core's usual answers in the interface language; any other message as the core wrote it."""
    if core_message == WRONG_CREDENTIALS:
        return t("login.error.wrong")
    if core_message == LOCKED:
        return t("login.error.locked")
    if core_message == DISABLED:
        return t("login.error.disabled")
    return core_message


class LoginScreen(AppScreen):
    """Sign in. Enter in the login field moves to the password; Enter in the password signs in."""

    TITLE_KEY = "login.title"
    HELP_KEY = "help.login"
    # A priority binding runs while the key is dispatched, so the focus has moved before the next key is
    # handled: a login and password typed (or pasted) in one burst never lands in the wrong field.
    BINDINGS: ClassVar[list[BindingType]] = [bind("login.next", "enter", "next", priority=True),
                                             bind("login.by_code", "f2", "by_code")]

    def __init__(self) -> None:
        super().__init__()
        self.checking = False
        self.by_code = False  # the second field holds a login code from a letter, not a password

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="login-box"):
            yield Static(t("login.heading"), id="login-heading")
            yield Label(t("login.login"))
            yield Input(id="login", placeholder=t("login.login.placeholder"))
            yield Label(t("login.password"), id="password-label")
            yield Input(id="password", password=True, placeholder=t("login.password.placeholder"))
            yield Static("", id="login-message")
            with Horizontal(id="login-buttons"):
                yield Button(t("login.submit"), id="login-submit", variant="primary")
                yield Button(t("login.by_code"), id="login-by-code")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#login", Input).focus()
        self.call_after_refresh(self.zapp.warm_up)  # after the first paint, never before it

    def action_next(self) -> None:
        login, password = self.query_one("#login", Input), self.query_one("#password", Input)
        if self.focused is login:
            self.set_focus(password)
        else:
            # Keys typed before this Enter may still wait in the fields' queues: submit behind them.
            login.call_later(password.call_later, self.submit)

    @on(Button.Pressed, "#login-by-code")
    def action_by_code(self) -> None:
        """Switch between the password and the code from an invitation letter."""
        if self.checking:
            return
        self.by_code = not self.by_code
        field = self.query_one("#password", Input)
        field.value = ""
        field.password = not self.by_code  # a code is typed from paper: seeing it avoids typos
        if self.by_code:
            label, placeholder, other = t("login.code"), t("login.code.placeholder"), t("login.by_password")
        else:
            label, placeholder, other = t("login.password"), t("login.password.placeholder"), t("login.by_code")
        field.placeholder = placeholder
        self.query_one("#password-label", Label).update(label)
        self.query_one("#login-by-code", Button).label = other
        self.say(t("login.code.hint") if self.by_code else "", error=False)
        login = self.query_one("#login", Input)
        self.set_focus(field if login.value.strip() else login)

    @on(Button.Pressed, "#login-submit")
    def submit(self) -> None:
        if self.checking:
            return
        login = self.query_one("#login", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not login:
            self.say(t("login.error.no_login"))
            self.set_focus(self.query_one("#login", Input))
            return
        self.say(t("login.checking"), error=False)
        self.checking = True
        self.query_one("#login-box").loading = True
        if self.by_code:
            self.check_code(login, password)
        else:
            self.sign_in(login, password)

    def say(self, text: str, *, error: bool = True) -> None:
        message = self.query_one("#login-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    @work(thread=True, exclusive=True, exit_on_error=False, group="login")
    def sign_in(self, login: str, password: str) -> None:
        from zhurnal.tui.app import workers  # the services: imported at the first sign-in, not to draw this screen

        try:
            signed = workers.sign_in(self.ctx, login, password)
        except ZhurnalError as exc:
            self.post_message(LoginFailed(str(exc)))
            return
        self.post_message(LoginSucceeded(signed))

    @work(thread=True, exclusive=True, exit_on_error=False, group="login")
    def check_code(self, login: str, code: str) -> None:
        from zhurnal.tui.app import workers

        try:
            workers.check_code(self.ctx, login, code)
        except ZhurnalError as exc:
            self.post_message(LoginFailed(str(exc)))
            return
        self.post_message(CodeAccepted(login, code))

    @on(CodeAccepted)
    def code_accepted(self, message: CodeAccepted) -> None:
        from zhurnal.tui.app.screens.password import PasswordScreen

        self.finish_loading()
        self.query_one("#password", Input).value = ""
        self.app.switch_screen(PasswordScreen(code=(message.login, message.code)))

    def finish_loading(self) -> None:
        self.checking = False
        self.query_one("#login-box").loading = False

    @on(LoginFailed)
    def failed(self, message: LoginFailed) -> None:
        self.finish_loading()
        self.say(answer(message.text))
        password = self.query_one("#password", Input)
        password.value = ""
        self.set_focus(password)

    @on(LoginSucceeded)
    def succeeded(self, message: LoginSucceeded) -> None:
        self.finish_loading()
        password = self.query_one("#password", Input)
        password.value = ""
        self.zapp.signed_in(message.signed)  # a temporary password goes to the password form first
