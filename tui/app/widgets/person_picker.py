"""Choose a person (or a staff position) for a movement: a search box over a short table; the row under the
cursor is the choice. One page from SQL per search (type more to narrow it), never a whole table."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input
from textual.worker import get_current_worker

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.persons import PersonRow
from zhurnal.core.services.staff import StaffRow
from zhurnal.core.validation import fold
from zhurnal.tui.app import workers
from zhurnal.tui.app.context import Context, Debounce
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import CallFailed, CandidatesLoaded
from zhurnal.tui.i18n import t

if TYPE_CHECKING:
    from zhurnal.tui.app.app import ZhurnalApp


class PersonPicker(Vertical):
    """`kind` "student" for students enrolled on the day, None for anyone; `positions` picks a staff position
    held on the day instead (a dismissal concerns a position, not a person)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("picker.to_list", "down", "focus_list", show=False),
    ]

    def __init__(self, kind: str | None = None, *, positions: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="picker")
        self.kind = kind
        self.positions = positions
        self._token = 0
        self._staff: list[StaffRow] | None = None
        self._labels: dict[int, str] = {}
        self._debounce = Debounce()

    @property
    def ctx(self) -> Context:
        return cast("ZhurnalApp", self.app).ctx

    def compose(self) -> ComposeResult:
        yield Input(classes="picker-search", placeholder=t("picker.placeholder"), compact=True)
        yield DataTable(classes="picker-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(t("people.col.name"), key="name")
        table.add_column(t("picker.col.position") if self.positions else t("people.col.birth"), key="more")
        self.search(0.0)

    @property
    def chosen(self) -> tuple[int, str] | None:
        """(person id, or position id when picking positions; the name as shown) under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return (int(key), self._labels[int(key)]) if key is not None else None

    def reload(self) -> None:
        """Search again (after a movement, who is enrolled or employed has changed)."""
        self._staff = None
        self.search(0.0)

    @on(Input.Changed)
    def changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search(self._debounce.wait(self.ctx.search_delay))

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_focus_list()

    def search(self, delay: float) -> None:
        self._token += 1
        self.fetch(self._token, self.query_one(Input).value, delay)

    @work(thread=True, exclusive=True, exit_on_error=False, group="picker")
    def fetch(self, token: int, text: str, delay: float) -> None:
        worker = get_current_worker()
        if delay and worker.cancelled_event.wait(delay):
            return
        try:
            rows: list[PersonRow] | list[StaffRow]
            if self.positions:
                if self._staff is None:
                    self._staff = workers.active_positions(self.ctx)
                needle = fold(text)
                rows = [r for r in self._staff
                        if not needle or any(w.startswith(needle) for w in fold(r.full_name).split())
                        or fold(r.full_name).startswith(needle)][:self.ctx.page_size]
            else:
                rows = workers.pick_people(self.ctx, self.kind, text)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "picker"))
            return
        if not worker.is_cancelled:
            self.post_message(CandidatesLoaded(token, rows))

    @on(CandidatesLoaded)
    def loaded(self, message: CandidatesLoaded) -> None:
        message.stop()
        if message.token != self._token:
            return
        table = self.query_one(DataTable)
        table.clear()
        self._labels.clear()
        for row in message.rows:
            if isinstance(row, StaffRow):
                self._labels[row.position_id] = f"{row.full_name} ({row.position})"
                table.add_row(row.full_name, row.position, key=str(row.position_id))
            else:
                self._labels[row.id] = row.full_name
                table.add_row(row.full_name, day(row.birth_date), key=str(row.id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_list":
            return self.screen.focused is self.query_one(Input)
        return True

    def action_focus_list(self) -> None:
        self.screen.set_focus(self.query_one(DataTable))
