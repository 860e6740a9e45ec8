"""A secret shown once (a temporary password): the administrator writes it down or hands it over; closing the
window forgets it, and nothing else in the console shows it again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from zhurnal.tui.app.keys import bind
from zhurnal.tui.i18n import t


class ShownOnceScreen(ModalScreen[None]):
    """`push_screen(ShownOnceScreen(title, secret, lines))`; Enter or Escape closes it."""

    CSS_PATH = "../admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [bind("shown.close", "escape,enter", "close")]

    def __init__(self, title: str, secret: str, lines: Sequence[str] = ()) -> None:
        super().__init__(classes="shown-once")
        self.heading = title
        self.secret = secret
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(id="shown-box") as box:
            box.border_title = self.heading
            box.border_subtitle = t("shown.hint")
            yield Static(Text(self.secret, style="bold"), id="shown-secret")
            yield Static(Text("\n".join(self.lines)), id="shown-lines")

    def on_mount(self) -> None:
        self.query_one("#shown-box").focus()

    def action_close(self) -> None:
        self.secret = ""
        self.dismiss(None)
