"""The history of the marks in one cell of the journal: every change with who made it and when."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from zhurnal.core.services.journal import MarkHistoryEntry
from zhurnal.tui.app.keys import bind
from zhurnal.tui.i18n import t


class MarkHistoryScreen(ModalScreen[None]):
    """A window over the grid (styled like the help window); Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [bind("help.close", "escape,f1", "dismiss")]

    def __init__(self, title: str, histories: list[tuple[str, list[MarkHistoryEntry]]]) -> None:
        super().__init__()
        self.heading = title
        self.histories = histories  # (kind of work, changes oldest first)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = self.heading
            box.border_subtitle = t("help.close_hint")
            if not self.histories:
                yield Static(Text(t("journal.history.none")))
            for work, changes in self.histories:
                yield Static(Text(work, style="bold underline"))
                table = Table.grid(padding=(0, 2))
                for _ in range(3):
                    table.add_column()
                for change in changes:
                    table.add_row(change.changed_at.replace("T", " "), change.changed_by or "—",
                                  f"{change.old_value or '—'} → {change.new_value or '—'}")
                yield Static(table)

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()
