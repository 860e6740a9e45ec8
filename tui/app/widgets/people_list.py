"""A list of people of one kind (students, staff, parents): search as you type, keyset pages from SQL, for
students a class and a year filter, for students and staff a status filter (current, former, all), and the
order (by name or by birth date). The list never holds more than the pages the user has scrolled through."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from zhurnal.core.errors import ZhurnalError
from zhurnal.tui.app import structure_workers, workers
from zhurnal.tui.app.context import Context, Debounce
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import CallFailed, ClassesLoaded, PageLoaded
from zhurnal.tui.app.structure_messages import YearClassesLoaded, YearsLoaded
from zhurnal.tui.i18n import t

if TYPE_CHECKING:
    from zhurnal.tui.app.app import ZhurnalApp

LOADING_DELAY = 0.3
"""A search answered faster than this shows no loading indicator (no flicker on every keystroke)."""

PREFETCH_ROWS = 1
"""Load the next page when the cursor comes this close to the last loaded row."""


class PeopleList(Vertical):
    """Search box (and class filter) above a table of names; posts `Opened` when a person is chosen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # A priority binding, so Enter opens the highlighted person from the search box as well as the list
        # (check_action passes Enter on to the class filter while it has the focus).
        bind("people.open", "enter", "open", priority=True),
        bind("people.search", "ctrl+f", "focus_search"),
        bind("people.class", "f7", "focus_class"),
        bind("people.to_list", "down", "focus_list", show=False, priority=True),
        bind("people.filters", "ctrl+o", "focus_filters", show=False),
    ]
    DEFAULT_CSS = """
    #people-options { height: 1; margin: 0 1; }
    #people-options Select { width: 1fr; margin-right: 1; }
    """

    class Opened(Message):
        """The user chose a person (Enter or a click)."""

        def __init__(self, person_id: int) -> None:
            super().__init__()
            self.person_id = person_id

    def __init__(self, kind: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = kind
        self._token = 0  # the search the table shows; answers to older searches are dropped
        self._next_after: tuple[str, int] | None = None
        self._fetching = False
        self._loading_timer: Timer | None = None
        self._current_year_id: int | None = None
        self._debounce = Debounce()

    @property
    def ctx(self) -> Context:
        return cast("ZhurnalApp", self.app).ctx

    def compose(self) -> ComposeResult:
        with Horizontal(id="people-filters"):
            yield Input(id="people-search", placeholder=t("people.search.placeholder"), compact=True)
            if self.kind == "student":
                yield Select[int]([], id="class-filter", prompt=t("people.class.all"), compact=True)
        with Horizontal(id="people-options"):
            if self.kind in ("student", "staff"):
                yield Select[str](status_options(), id="status-filter", value="current", allow_blank=False,
                                  compact=True)
            if self.kind == "student":
                yield Select[int]([], id="year-filter", prompt=t("people.year.current"), compact=True)
            yield Select[str]([(t("people.sort.name"), "name"), (t("people.sort.birth"), "birth")],
                              id="sort-order", value="name", allow_blank=False, compact=True)
        yield DataTable(id="people-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="people-status")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(t("people.col.name"), key="name")
        table.add_column(t("people.col.birth"), key="birth", width=10)
        self.query_one("#people-search", Input).focus()
        self.search(delay=0.0)
        if self.kind == "student":
            self.load_classes()
            self.load_years()

    # ---------------------------------------------------------------------------------------------- search

    @property
    def text(self) -> str:
        return self.query_one("#people-search", Input).value

    @property
    def class_id(self) -> int | None:
        if self.kind != "student":
            return None
        value = self.query_one("#class-filter", Select).value
        return value if isinstance(value, int) else None

    @property
    def options(self) -> dict[str, object]:
        """The status, year and order the list asks PersonService.search for."""
        found: dict[str, object] = {"sort": self._chosen("#sort-order") or "name"}
        if self.kind in ("student", "staff"):
            found["status"] = self._chosen("#status-filter") or "current"
        if self.kind == "student":
            found["year_id"] = self._chosen("#year-filter")
        return found

    def _chosen(self, selector: str) -> object | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str | int) else None

    def search(self, *, delay: float | None = None) -> None:
        """Start a new search for what the filters say; the table is replaced when the first page arrives."""
        self._token += 1
        self._fetching = True
        self._next_after = None
        self._start_loading_timer()
        self.fetch(self._token, self.text, self.class_id, None,
                   self._debounce.wait(self.ctx.search_delay) if delay is None else delay, self.options)

    @on(Input.Changed, "#people-search")
    def search_changed(self) -> None:
        self.search()

    @on(Select.Changed, "#class-filter, #status-filter, #sort-order")
    def class_changed(self) -> None:
        self.search(delay=0.0)

    @on(Select.Changed, "#year-filter")
    def year_changed(self) -> None:
        # The class filter offers the chosen year's classes; a past year's students are no one's "current".
        year_id = self._chosen("#year-filter")
        chosen = year_id if isinstance(year_id, int) else self._current_year_id
        if chosen is not None:
            self.load_year_classes(chosen)
        status = self.query_one("#status-filter", Select)
        if isinstance(year_id, int) and year_id != self._current_year_id and status.value == "current":
            status.value = "all"  # Select.Changed of the status starts the search
        else:
            self.search(delay=0.0)

    @on(Input.Submitted, "#people-search")
    def search_submitted(self) -> None:
        self.action_focus_list()

    @work(thread=True, exclusive=True, exit_on_error=False, group="people-page")
    def fetch(self, token: int, text: str, class_id: int | None, after: tuple[str, int] | None,
              delay: float, options: dict[str, object]) -> None:
        # The debounce (when typing fast): a later keystroke starts a new worker, which cancels this one while
        # it waits.
        worker = get_current_worker()
        if delay and worker.cancelled_event.wait(delay):
            return
        try:
            page = workers.search_people(self.ctx, self.kind, text, class_id, after, **options)  # type: ignore[arg-type]
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "people"))
            return
        if not worker.is_cancelled:
            self.post_message(PageLoaded(token, page, append=after is not None))

    @on(PageLoaded)
    def page_loaded(self, message: PageLoaded) -> None:
        message.stop()
        if message.token != self._token:
            return
        self._stop_loading()
        table = self.query_one(DataTable)
        if not message.append:
            table.clear()
        for row in message.page.rows:
            table.add_row(row.full_name, day(row.birth_date), key=str(row.id))
        self._next_after = message.page.next_after
        self._show_status()
        if message.append:
            self._prefetch(table.cursor_row)

    def _show_status(self) -> None:
        shown = self.query_one(DataTable).row_count
        if not shown:
            text = t("people.status.none")
        elif self._next_after is not None:
            text = t("people.status.more", shown=shown)
        else:
            text = t("people.status.all", shown=shown)
        # One line whatever it says (app.tcss), so no layout of the whole screen for it.
        self.query_one("#people-status", Static).update(text, layout=False)

    # ---------------------------------------------------------------------------------------------- paging

    @on(DataTable.RowHighlighted, "#people-table")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._prefetch(event.cursor_row)

    def _prefetch(self, cursor_row: int) -> None:
        """Fetch the next page when the cursor reaches the end of what is loaded."""
        table = self.query_one(DataTable)
        if (self._next_after is None or self._fetching
                or cursor_row < table.row_count - PREFETCH_ROWS):
            return
        self._fetching = True
        self.query_one("#people-status", Static).update(t("people.status.loading"), layout=False)
        self.fetch(self._token, self.text, self.class_id, self._next_after, 0.0, self.options)

    # ----------------------------------------------------------------------------------------- loading state

    def _start_loading_timer(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self._loading_timer = self.set_timer(LOADING_DELAY, self._show_loading)

    def _show_loading(self) -> None:
        if self._fetching:
            self.query_one(DataTable).loading = True

    def _stop_loading(self) -> None:
        self._fetching = False
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        self.query_one(DataTable).loading = False

    @on(CallFailed)
    def failed(self, message: CallFailed) -> None:
        # Let the screen show it; the list only takes its loading state down.
        self._stop_loading()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self._stop_loading()
            self.post_message(CallFailed(t("error.unexpected", detail=str(event.worker.error)), "people"))

    # ----------------------------------------------------------------------------------------- class filter

    @work(thread=True, exclusive=True, exit_on_error=False, group="classes")
    def load_classes(self) -> None:
        try:
            data = workers.load_classes(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "classes"))
            return
        self.post_message(ClassesLoaded(data))

    @on(ClassesLoaded)
    def classes_loaded(self, message: ClassesLoaded) -> None:
        message.stop()
        self.query_one("#class-filter", Select).set_options((c.name, c.id) for c in message.data.classes)

    # ------------------------------------------------------------------------------------------ year filter

    @work(thread=True, exclusive=True, exit_on_error=False, group="years")
    def load_years(self) -> None:
        try:
            years, current = structure_workers.load_years(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "years"))
            return
        self.post_message(YearsLoaded(years, current))

    @on(YearsLoaded)
    def years_loaded(self, message: YearsLoaded) -> None:
        message.stop()
        self._current_year_id = message.current.id if message.current else None
        self.query_one("#year-filter", Select).set_options((y.name, y.id) for y in message.years)

    @work(thread=True, exclusive=True, exit_on_error=False, group="classes")
    def load_year_classes(self, year_id: int) -> None:
        try:
            classes = structure_workers.classes_of_year(self.ctx, year_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "classes"))
            return
        self.post_message(YearClassesLoaded(year_id, classes))

    @on(YearClassesLoaded)
    def year_classes_loaded(self, message: YearClassesLoaded) -> None:
        message.stop()
        chosen = self._chosen("#year-filter")
        if message.year_id != (chosen if isinstance(chosen, int) else self._current_year_id):
            return
        # set_options clears the class chosen (it belonged to the other year); Select.Changed searches again.
        self.query_one("#class-filter", Select).set_options((c.name, c.id) for c in message.classes)

    # ---------------------------------------------------------------------------------------------- actions

    def action_focus_search(self) -> None:
        self.screen.set_focus(self.query_one("#people-search", Input))

    def action_focus_class(self) -> None:
        self.screen.set_focus(self.query_one("#class-filter", Select))

    def action_focus_filters(self) -> None:
        self.screen.set_focus(self.query_one("#people-options").query(Select).first())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_class":
            return self.kind == "student"
        if action == "focus_list":  # only from the search box; in the list Down moves the cursor
            return self.screen.focused is self.query_one("#people-search", Input)
        if action == "open":
            focused = self.screen.focused
            in_filter = focused is not None and any(isinstance(n, Select) for n in focused.ancestors_with_self)
            return not in_filter and self.query_one(DataTable).row_count > 0
        return True

    def on_key(self, event: events.Key) -> None:
        # Typing while in the list goes on with the search, so the hands never leave the letters.
        search = self.query_one("#people-search", Input)
        if event.is_printable and event.character and self.screen.focused is self.query_one(DataTable):
            event.stop()
            event.prevent_default()
            self.screen.set_focus(search)
            search.insert_text_at_cursor(event.character)

    def action_focus_list(self) -> None:
        self.screen.set_focus(self.query_one(DataTable))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        if key.value is not None:
            self.post_message(self.Opened(int(key.value)))

    @on(DataTable.RowSelected, "#people-table")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Opened(int(event.row_key.value)))


def status_options() -> list[tuple[str, str]]:
    """The status filter's choices (core PEOPLE_STATUSES) in the interface language."""
    return [(t("people.filter.current"), "current"), (t("people.filter.former"), "former"),
            (t("people.filter.all"), "all")]
