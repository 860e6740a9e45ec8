"""One audit record in full: every column it holds (and nothing joined to it), including its chain hashes."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from zhurnal.core.services.audit_log import AuditEntry
from zhurnal.tui.app.admin_labels import moment, outcome_label
from zhurnal.tui.app.keys import bind
from zhurnal.tui.i18n import t


class AuditRecordScreen(ModalScreen[None]):
    """A window over the audit list; Escape or Enter closes it."""

    CSS_PATH = "../admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [bind("record.close", "escape,enter", "dismiss")]

    def __init__(self, entry: AuditEntry) -> None:
        super().__init__(classes="audit-record")
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        rows = [
            (t("record.at"), moment(e.at)),
            (t("record.login"), e.login or ""),
            (t("record.user"), "" if e.user_id is None else str(e.user_id)),
            (t("record.action"), e.action),
            (t("record.outcome"), outcome_label(e.outcome)),
            (t("record.object"), " ".join(str(p) for p in (e.object_type, e.object_id) if p is not None)),
            (t("record.person"), "" if e.person_id is None else str(e.person_id)),
            (t("record.fields"), ", ".join(e.fields)),
            (t("record.detail"), e.detail or ""),
            (t("record.school"), "" if e.school_id is None else str(e.school_id)),
            (t("record.hash"), e.hash),
            (t("record.prev_hash"), e.prev_hash),
        ]
        for label, value in rows:
            grid.add_row(label, Text(value))
        with VerticalScroll(id="record-box") as box:
            box.border_title = t("record.title", seq=e.seq)
            box.border_subtitle = t("help.close_hint")
            yield Static(grid, id="record-fields")

    def on_mount(self) -> None:
        self.query_one("#record-box").focus()
