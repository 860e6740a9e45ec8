"""The classes of the current year beside the roster of the highlighted one."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import CallFailed, ClassesLoaded, RosterLoaded
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t


class ClassesScreen(AppScreen):
    """Up and down pick a class; its roster follows. Enter moves into the roster, Enter there opens a card."""

    TITLE_KEY = "classes.title"
    HELP_KEY = "help.classes"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("classes.open", "enter", "open", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.roster_class_id: int | None = None
        self._names: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="classes-body"):
            yield DataTable(id="classes", cursor_type="row", zebra_stripes=True)
            with Vertical(id="roster-pane"):
                yield Static("", id="roster-title")
                yield DataTable(id="roster", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        classes = self.query_one("#classes", DataTable)
        classes.add_column(t("classes.col.name"), key="name")
        classes.add_column(t("classes.col.teacher"), key="teacher")
        roster = self.query_one("#roster", DataTable)
        roster.add_column(t("people.col.name"), key="name")
        roster.add_column(t("people.col.birth"), key="birth", width=10)
        classes.loading = True
        classes.focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="classes")
    def load(self) -> None:
        try:
            data = workers.load_classes(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "classes"))
            return
        self.post_message(ClassesLoaded(data))

    @work(thread=True, exclusive=True, exit_on_error=False, group="roster")
    def load_roster(self, class_id: int) -> None:
        try:
            rows = workers.load_roster(self.ctx, class_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "roster"))
            return
        self.post_message(RosterLoaded(class_id, rows))

    def finish_loading(self) -> None:
        self.query_one("#classes", DataTable).loading = False
        self.query_one("#roster", DataTable).loading = False

    @on(ClassesLoaded)
    def classes_loaded(self, message: ClassesLoaded) -> None:
        data = message.data
        table = self.query_one("#classes", DataTable)
        table.loading = False
        # The footer was drawn while the table was covered; redraw it for the table that now has the focus
        # (else its keys could stay in the order of the loading state).
        self.refresh_bindings()
        table.clear()
        if data.year is None:
            self.query_one("#roster-title", Static).update(t("dashboard.no_year"))
            return
        self.sub_title = t("classes.title.year", year=data.year.name)
        for row in data.classes:
            self._names[row.id] = row.name
            teacher = short_name(row.class_teacher_name) if row.class_teacher_name else t("classes.no_teacher")
            table.add_row(row.name, teacher, key=str(row.id))
        if not data.classes:
            self.query_one("#roster-title", Static).update(t("classes.none"))

    @on(DataTable.RowHighlighted, "#classes")
    def class_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None:
            return
        class_id = int(event.row_key.value)
        if class_id == self.roster_class_id:
            return
        self.roster_class_id = class_id
        self.query_one("#roster-title", Static).update(t("classes.roster", name=self._names.get(class_id, "")))
        self.query_one("#roster", DataTable).loading = True
        self.load_roster(class_id)

    @on(RosterLoaded)
    def roster_loaded(self, message: RosterLoaded) -> None:
        if message.class_id != self.roster_class_id:
            return
        roster = self.query_one("#roster", DataTable)
        roster.loading = False
        roster.clear()
        for row in message.rows:
            roster.add_row(row.full_name, day(row.birth_date), key=str(row.person_id))
        name = self._names.get(message.class_id, "")
        self.query_one("#roster-title", Static).update(t("classes.roster.count", name=name, count=len(message.rows)))

    @on(DataTable.RowSelected)
    def row_selected(self) -> None:
        # A click on a row (Enter is the classes.open binding).
        self.action_open()

    def open_card(self, person_id: int) -> None:
        from zhurnal.tui.app.screens.card import PersonCardScreen

        self.app.push_screen(PersonCardScreen(person_id))

    def action_open(self) -> None:
        roster = self.query_one("#roster", DataTable)
        if self.focused is roster and roster.row_count:
            key = roster.coordinate_to_cell_key(roster.cursor_coordinate).row_key
            if key.value is not None:
                self.open_card(int(key.value))
        else:
            roster.focus()


def short_name(full_name: str) -> str:
    """"Иванова Мария Петровна" as "Иванова М. П." (the class list must fit 80 columns beside the roster)."""
    last, *rest = full_name.split()
    return " ".join([last, *(f"{part[0]}." for part in rest)])
