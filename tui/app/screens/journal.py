"""The journals the signed-in user may open: a teacher's own assignments (and, for a class teacher, every
subject of their class, read-only), or every class for the administration. Typing filters the list by class,
subject or teacher (the administration sees hundreds); Enter opens the grid."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Header, Input, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.journal import JournalEntry
from zhurnal.tui.app import journal_workers
from zhurnal.tui.app.journal_messages import JournalsLoaded
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t


class JournalListScreen(AppScreen):
    """One row per journal: class, subject (and subgroup), teacher, and whether the user keeps it."""

    TITLE_KEY = "journal.list.title"
    HELP_KEY = "help.journal_list"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("journal.open", "enter", "open_journal", priority=True),
        bind("journal.to_list", "down", "focus_list", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    #journals-filter { margin: 0 1; width: 1fr; }
    #journals-status { height: 1; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="journal-list-screen")
        self.entries: dict[int, JournalEntry] = {}
        self.all_entries: list[JournalEntry] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(id="journals-filter", placeholder=t("journal.list.filter"), compact=True)
        yield DataTable(id="journals", cursor_type="row", zebra_stripes=True)
        yield Static("", id="journals-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#journals", DataTable)
        table.add_column(t("journal.list.col.class"), key="class", width=6)
        table.add_column(t("journal.list.col.subject"), key="subject")
        table.add_column(t("journal.list.col.teacher"), key="teacher")
        table.add_column(t("journal.list.col.access"), key="access")
        table.loading = True
        self.query_one("#journals-filter", Input).focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="journals")
    def load(self) -> None:
        try:
            entries = journal_workers.list_journals(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "journals"))
            return
        self.post_message(JournalsLoaded(entries))

    def finish_loading(self) -> None:
        self.query_one("#journals", DataTable).loading = False

    @on(JournalsLoaded)
    def loaded(self, message: JournalsLoaded) -> None:
        self.finish_loading()
        self.all_entries = message.entries
        self.fill()

    @on(Input.Changed, "#journals-filter")
    def fill(self) -> None:
        """The rows matching the filter (every word of it, in the class, subject, subgroup or teacher)."""
        words = self.query_one("#journals-filter", Input).value.casefold().split()
        table = self.query_one("#journals", DataTable)
        table.clear()
        shown = [e for e in self.all_entries
                 if all(w in f"{e.class_name} {e.subject_name} {e.subgroup or ''} {e.teacher_name}".casefold()
                        for w in words)]
        self.entries = {e.assignment_id: e for e in shown}
        for entry in shown:
            subject = f"{entry.subject_name} ({entry.subgroup})" if entry.subgroup else entry.subject_name
            access = t("journal.list.writable") if entry.writable else t("journal.list.read_only")
            table.add_row(entry.class_name, subject, entry.teacher_name, access, key=str(entry.assignment_id))
        status = t("journal.list.status", count=len(shown)) if shown else t("journal.list.none")
        self.query_one("#journals-status", Static).update(status)
        self.refresh_bindings()

    def highlighted(self) -> JournalEntry | None:
        table = self.query_one("#journals", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.entries.get(int(key)) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_journal":
            return self.highlighted() is not None
        if action == "focus_list":
            return self.focused is self.query_one("#journals-filter", Input)
        return True

    def action_focus_list(self) -> None:
        self.query_one("#journals", DataTable).focus()

    @on(DataTable.RowSelected, "#journals")
    def row_selected(self) -> None:
        self.action_open_journal()

    def action_open_journal(self) -> None:
        from zhurnal.tui.app.screens.journal_grid import JournalGridScreen

        entry = self.highlighted()
        if entry is not None:
            self.app.push_screen(JournalGridScreen(entry.assignment_id))
