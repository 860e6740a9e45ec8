"""F1: what the current screen is for and every key it answers to (as remapped by the config file)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from zhurnal.tui.app.keys import bind
from zhurnal.tui.i18n import t


class HelpScreen(ModalScreen[None]):
    """A window over the screen it explains; Escape or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [bind("help.close", "escape,f1", "dismiss")]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.help_title = title
        self.text = text
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = t("help.title", screen=self.help_title)
            box.border_subtitle = t("help.close_hint")
            yield Static(Text(self.text), id="help-text")
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", no_wrap=True)
            table.add_column()
            for key, label in self.keys:
                table.add_row(key, label)
            yield Static(Text(t("help.keys"), style="bold underline"), id="help-keys-title")
            yield Static(table, id="help-keys")

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()
