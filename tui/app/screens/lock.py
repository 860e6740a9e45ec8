"""The idle lock: after 15 minutes without a key or mouse event the console covers itself and asks for the
signed-in user's password again (AuthService.confirm: a wrong password counts towards the lock-out)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.accounts import AuthService
from zhurnal.tui.app.messages import LoginFailed
from zhurnal.tui.app.screens.login import answer
from zhurnal.tui.i18n import t


class Unlocked(LoginFailed):
    """The password was right (reuses LoginFailed's text slot, empty)."""


class LockScreen(ModalScreen[None]):
    """Covers everything; only the right password (or quitting) gets past it."""

    def __init__(self, login: str, minutes: int) -> None:
        super().__init__(id="lock-screen")
        self.login = login
        self.minutes = minutes

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static(t("lock.heading", minutes=self.minutes), id="lock-heading")
            yield Label(t("lock.password", login=self.login))
            yield Input(id="lock-password", password=True)
            yield Static("", id="lock-message")

    def on_mount(self) -> None:
        self.query_one("#lock-password", Input).focus()

    @on(Input.Submitted, "#lock-password")
    def submit(self, event: Input.Submitted) -> None:
        password = event.value
        event.input.value = ""
        self.query_one("#lock-message", Static).update(t("login.checking"))
        self.check(password)

    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock")
    def check(self, password: str) -> None:
        app = self.app
        ctx = app.ctx  # type: ignore[attr-defined]
        try:
            AuthService(ctx.store).confirm(ctx.actor.user_id, password)
        except ZhurnalError as exc:
            self.post_message(LoginFailed(str(exc)))
            return
        self.post_message(Unlocked(""))

    @on(LoginFailed)
    def failed(self, message: LoginFailed) -> None:
        if isinstance(message, Unlocked):
            self.app.unlock()  # type: ignore[attr-defined]
            return
        self.query_one("#lock-message", Static).update(answer(message.text))
