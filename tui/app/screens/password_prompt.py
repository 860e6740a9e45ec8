"""The signed-in user's password typed again before a sensitive operation (exporting letters with login
codes). The window only collects it: the core checks it (a wrong one counts towards the lock-out)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from zhurnal.tui.app.keys import bind
from zhurnal.tui.i18n import t


class PasswordPromptScreen(ModalScreen[str | None]):
    """The callback gets the typed password (Enter), or None (Escape)."""

    CSS_PATH = "../admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [bind("prompt.cancel", "escape", "cancel")]

    def __init__(self, title: str, question: str, login: str) -> None:
        super().__init__(classes="password-prompt")
        self.heading = title
        self.question = question
        self.login = login

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box") as box:
            box.border_title = self.heading
            yield Static(Text(self.question), id="prompt-question")
            yield Label(t("prompt.password", login=self.login))
            yield Input(id="prompt-password", password=True, compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt-password", Input).focus()

    @on(Input.Submitted, "#prompt-password")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value:
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
