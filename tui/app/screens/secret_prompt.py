"""A secret asked in a window: the user's own password again, or the passphrase of a backup key. The value goes
to the caller's callback only; it is never shown, kept or logged."""

from __future__ import annotations

from collections.abc import Sequence
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


class SecretPrompt(ModalScreen[str | None]):
    """`push_screen(SecretPrompt(title, prompt, lines), callback)`: the callback gets the text typed when
    Enter is pressed, None on Escape. An empty answer is not accepted."""

    BINDINGS: ClassVar[list[BindingType]] = [bind("password.cancel", "escape", "cancel")]

    def __init__(self, title: str, prompt: str, lines: Sequence[str] = ()) -> None:
        super().__init__(classes="password-screen")
        self.heading = title
        self.prompt = prompt
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(id="password-box") as box:
            box.border_title = self.heading
            if self.lines:
                yield Static(Text("\n".join(self.lines)), id="password-lines")
            yield Label(self.prompt)
            yield Input(id="password-secret", password=True)
            yield Static(t("password.hint"), id="password-hint")

    def on_mount(self) -> None:
        self.query_one("#password-secret", Input).focus()

    @on(Input.Submitted, "#password-secret")
    def submitted(self, event: Input.Submitted) -> None:
        value = event.value
        event.input.value = ""
        if value:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.query_one("#password-secret", Input).value = ""
        self.dismiss(None)
