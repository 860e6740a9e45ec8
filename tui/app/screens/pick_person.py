"""Find a person by name for a filter (the audit log's person): a search box over one page of people; Enter
on a row chooses, Escape gives up. The list shows names only (no audited read of a card)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable

from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.widgets.person_picker import PersonPicker
from zhurnal.tui.i18n import t


class PickPersonScreen(ModalScreen[tuple[int, str] | None]):
    """The callback gets (person id, name) or None."""

    CSS_PATH = "../admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [bind("pick.cancel", "escape", "cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box") as box:
            box.border_title = t("pick.title")
            box.border_subtitle = t("pick.hint")
            yield PersonPicker(None, id="pick-person")

    def on_mount(self) -> None:
        self.query_one("#pick-person Input").focus()

    @on(DataTable.RowSelected)
    def chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(self.query_one("#pick-person", PersonPicker).chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
