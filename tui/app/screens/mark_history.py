"""The history of the marks in one cell of the journal: every change with who made it and when. On a term-mark
cell, the term (or year) mark's confirmations, changes and withdrawals, each with the subject and class names
the mark carried then."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from zhurnal.core.services.term_marks import TermMarkHistoryEntry
from zhurnal.tui.app.journal_messages import HistoryEntry
from zhurnal.tui.app.keys import bind
from zhurnal.tui.i18n import t


class MarkHistoryScreen(ModalScreen[None]):
    """A window over the grid (styled like the help window); Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [bind("help.close", "escape,f1", "dismiss")]

    def __init__(self, title: str, histories: list[tuple[str, list[HistoryEntry]]], empty: str | None = None) -> None:
        super().__init__()
        self.heading = title
        self.histories = histories  # (kind of work, changes oldest first); "" for a group without a heading
        self.empty = empty if empty is not None else t("journal.history.none")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = self.heading
            box.border_subtitle = t("help.close_hint")
            if not self.histories:
                yield Static(Text(self.empty))
            for work, changes in self.histories:
                if work:
                    yield Static(Text(work, style="bold underline"))
                table = Table.grid(padding=(0, 2))
                for _ in range(4):
                    table.add_column()
                for change in changes:
                    # A term mark keeps the subject's and class's names of its time: a renamed subject or a
                    # class moved on shows as it was when the mark was given.
                    where = f"{change.subject_name}, {change.class_name}" \
                        if isinstance(change, TermMarkHistoryEntry) else ""
                    table.add_row(change.changed_at.replace("T", " "), change.changed_by or "—",
                                  f"{change.old_value or '—'} → {change.new_value or '—'}", where)
                yield Static(table)

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()
