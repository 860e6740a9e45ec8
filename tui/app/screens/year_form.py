"""A small form window for the year section: labelled text fields, prefilled, returned as a dict on Ctrl+S
(None on Escape). The caller parses and checks the values (the core checks them again)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from zhurnal.tui.app.keys import bind
from zhurnal.tui.i18n import t


class YearForm(ModalScreen[dict[str, str] | None]):
    """`push_screen(YearForm(title, note, [(name, label, value), ...]), callback)`."""

    DEFAULT_CSS = """
    YearForm { align: center middle; }
    YearForm #year-form-box { width: 72; max-height: 22; height: auto; border: round $accent;
                              background: $surface; padding: 0 1; }
    YearForm #year-form-fields { height: auto; max-height: 16; }
    YearForm .year-form-line { height: 1; }
    YearForm .year-form-label { width: 30; }
    YearForm Input { width: 1fr; }
    YearForm #year-form-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("year.form.save", "ctrl+s", "save"),
        bind("year.form.cancel", "escape", "cancel"),
    ]

    def __init__(self, title: str, note: str, fields: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.heading = title
        self.note = note
        self.fields = list(fields)

    def compose(self) -> ComposeResult:
        with Vertical(id="year-form-box") as box:
            box.border_title = self.heading
            if self.note:
                yield Static(Text(self.note), id="year-form-note")
            with VerticalScroll(id="year-form-fields"):
                for name, label, value in self.fields:
                    with Horizontal(classes="year-form-line"):
                        yield Label(label, classes="year-form-label")
                        yield Input(value, id=f"year-field-{name}", compact=True)
            yield Static(t("year.form.hint"), id="year-form-hint")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#year-field-{name}", Input).value.strip() for name, _l, _v in self.fields}

    def action_save(self) -> None:
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)
