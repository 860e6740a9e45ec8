"""One class journal: the grid of students × lessons of a term with the term-marks column (docs/journal.md).

The screen loads the journal with one JournalService.open (plus the term column's suggestions) and saves
each typed cell through the core in a thread worker, one save after another in the order typed; the cell
shows the typed value while it saves, and on a refusal goes back to what is stored and turns red while the
core's message is shown. Lessons are added, edited and removed from here; each change reloads the grid.
"""

from __future__ import annotations

from collections import deque
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from zhurnal.core.errors import ValidationFailed, ZhurnalError
from zhurnal.core.services.journal import LessonView, MarkView
from zhurnal.core.services.term_marks import TermMarkRow
from zhurnal.tui.app import journal_workers
from zhurnal.tui.app.journal_labels import attendance_name
from zhurnal.tui.app.journal_messages import (
    CellOp,
    CellRefused,
    CellSaved,
    HistoryEntry,
    HistoryLoaded,
    ImpactLoaded,
    JournalLoaded,
    LessonChanged,
    SuggestionsLoaded,
)
from zhurnal.tui.app.journal_workers import YEAR, JournalData
from zhurnal.tui.app.keys import bind, key_display
from zhurnal.tui.app.labels import day, period
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.subgroup_form import SubgroupScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.journal_grid import HEADER_ROW, JournalGrid
from zhurnal.tui.app.widgets.journal_model import CellState, GridModel
from zhurnal.tui.i18n import t

LOADING_DELAY = 0.3
"""Seconds a load may take before the grid shows the loading spinner."""


class JournalGridScreen(AppScreen):
    """The grid of one teaching assignment; `period` is a term id, YEAR, or None for the term holding today."""

    TITLE_KEY = "journal.title"
    HELP_KEY = "help.journal"
    # Fixed heights: the grid's size (and so its scrolling) must not change with the length of the cell line.
    DEFAULT_CSS = """
    #journal-info { height: 1; padding: 0 1; }
    #journal-hint { height: 1; padding: 0 1; display: none; }
    #journal-cell { height: 2; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("journal.lesson", "f7", "lesson"),
        bind("journal.new_lesson", "f9", "new_lesson"),
        bind("journal.work_type", "ctrl+k", "work_type"),
        bind("journal.prev_term", "ctrl+left", "period(-1)", show=False),
        bind("journal.next_term", "ctrl+right", "period(1)", show=False),
        bind("journal.remove_lesson", "ctrl+delete", "remove_lesson", show=False),
        bind("journal.unlock", "ctrl+u", "unlock", show=False),
        bind("journal.all_present", "ctrl+e", "all_present", show=False),
        bind("journal.history", "ctrl+g", "history", show=False),
        bind("journal.reload", "ctrl+r", "reload", show=False),
        bind("journal.subgroup", "ctrl+l", "subgroup"),
    ]
    EXTRA_OWNERS: ClassVar[tuple[type, ...]] = (SubgroupScreen,)

    def __init__(self, assignment_id: int, period: int | str | None = None) -> None:
        super().__init__(id="journal-grid-screen")
        self.assignment_id = assignment_id
        self.period = period
        self.data: JournalData | None = None
        self.model: GridModel | None = None
        self.work_type_id: int | None = None
        self.queue: deque[CellOp] = deque()
        self.saving = False
        self.problem = ""  # the last refusal, shown under the grid until the cursor moves
        self.keep: tuple[int | None, int | None] = (None, None)  # (student, lesson) the cursor returns to
        self.waiting = False  # a load is under way

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="journal-info")
        yield Static("", id="journal-hint")
        yield JournalGrid(id="journal-grid")
        yield Static("", id="journal-cell")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.grid.focus()
        self.reload()

    @property
    def grid(self) -> JournalGrid:
        return self.query_one("#journal-grid", JournalGrid)

    @property
    def writable(self) -> bool:
        return self.data is not None and self.data.view.writable

    def screen_title(self) -> str:
        if self.data is None:
            return t(self.TITLE_KEY)
        view = self.data.view
        return t("journal.heading", class_name=view.class_name, subject=view.subject_name)

    # ----------------------------------------------------------------------------------------- loading

    def reload(self, period: int | str | None = None, *, lesson_id: int | None = None) -> None:
        if period is not None:
            self.period = period
        student_id, kept_lesson = self.current_ids()
        self.keep = (student_id, lesson_id if lesson_id is not None else kept_lesson)
        self.waiting = True
        # The spinner only for a slow load: its animation would compete with the worker for the interpreter.
        self.set_timer(LOADING_DELAY, self.show_loading)
        self.load(self.period)

    def show_loading(self) -> None:
        if self.waiting:
            self.grid.loading = True

    def action_reload(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-load")
    def load(self, period: int | str | None) -> None:
        try:
            data = journal_workers.load_journal(self.ctx, self.assignment_id, period)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "journal"))
            return
        if not get_current_worker().is_cancelled:  # a later load (another term asked meanwhile) replaced it
            self.post_message(JournalLoaded(data))

    def finish_loading(self) -> None:
        self.waiting = False
        self.grid.loading = False

    @on(JournalLoaded)
    def loaded(self, message: JournalLoaded) -> None:
        self.finish_loading()
        self.data = data = message.data
        self.period = data.period
        self.model = GridModel(data.view, data.term_rows)
        if self.work_type_id not in self.model.work_types:
            self.work_type_id = self.model.default_work_type
        # Saves still queued go on: they name students and lessons by id, and land in the new model.
        self.sub_title = self.screen_title()
        self.show_info()
        student_id, lesson_id = self.keep
        self.grid.show(self.model, data.view.writable, student_id=student_id, lesson_id=lesson_id,
                       today=self.ctx.day())
        self.refresh_bindings()

    def show_info(self) -> None:
        data, model = self.data, self.model
        if data is None or model is None:
            return
        view = data.view
        when = view.term_name or (t("journal.period.year") if data.whole_year else period(view.start, view.end))
        line = Text()
        if not view.writable:
            line.append(t("journal.read_only") + " · ", style="bold yellow")
        line.append(t("journal.info", teacher=view.teacher_name, period=when))
        if view.subgroup:
            line.append(" · " + view.subgroup)
        if view.writable and self.work_type_id is not None:
            line.append(" · " + t("journal.work_type", name=model.work_types[self.work_type_id].name))
        self.query_one("#journal-info", Static).update(line)
        # A subgroup journal says when it cannot list its own students only (one line above the grid).
        key = key_display(self, "journal.subgroup")  # as the footer shows it: the keymap may move it
        hint = t("journal.subgroups_unset", shortcut=key) if view.subgroups_unset else \
            t("journal.subgroups_unplaced", count=view.unplaced, shortcut=key) if view.unplaced else ""
        widget = self.query_one("#journal-hint", Static)
        widget.update(Text(hint, style="yellow"))
        widget.display = bool(hint)

    def current_ids(self) -> tuple[int | None, int | None]:
        """(student, lesson) under the cursor."""
        model, grid = self.model, self.grid
        if model is None:
            return None, None
        student = model.students[grid.cursor_row].id if 0 <= grid.cursor_row < model.rows else None
        lesson = model.lessons[grid.cursor_col].id if grid.cursor_col < model.term_col else None
        return student, lesson

    def current_lesson(self) -> LessonView | None:
        model = self.model
        if model is None or self.grid.cursor_col >= model.term_col:
            return None
        return model.lessons[self.grid.cursor_col]

    # ------------------------------------------------------------------------------------- the cell line

    @on(JournalGrid.Moved)
    def moved(self, message: JournalGrid.Moved) -> None:
        self.problem = ""
        self.describe(message.row, message.col)

    def describe(self, row: int, col: int) -> None:
        """Under the grid: the student and lesson under the cursor, in full (what the cells abbreviate)."""
        model = self.model
        widget = self.query_one("#journal-cell", Static)
        if model is None:
            return
        lines: list[Text] = []
        if self.problem:
            lines.append(Text(self.problem, style="bold red"))
        if not model.lessons:
            lines.append(Text(t("journal.no_lessons")))
        name = model.students[row].full_name if 0 <= row < model.rows else ""
        if col == model.term_col:
            if row >= 0:
                lines.append(Text(name + " · " + self.term_line(row)))
                earlier = self.earlier_line(row)
                if earlier:  # in place of the "no lessons yet" line: two lines fit under the grid
                    lines = [line for line in lines if line.plain != t("journal.no_lessons")]
                    lines.append(Text(earlier, style="dim"))
        elif col < model.term_col:
            lesson = model.lessons[col]
            head = t("journal.cell.lesson", day=day(lesson.day), number=lesson.number)
            if model.locked(col):
                head += " · " + t("journal.cell.locked")
            lines.append(Text(" · ".join(x for x in (name, head, lesson.topic or t("journal.cell.no_topic")) if x)))
            detail = []
            if lesson.homework:
                detail.append(t("journal.cell.homework", text=lesson.homework.replace("\n", " ")))
            if row >= 0:
                marks = model.marks.get((lesson.id, model.students[row].id), [])
                detail += [t("journal.cell.mark", value=m.value, work=model.work_types[m.work_type_id].name)
                           if m.work_type_id in model.work_types else m.value for m in marks]
                status = model.attendance.get((lesson.id, model.students[row].id))
                if status is None and lesson.attendance_taken:
                    status = "present"
                if status is not None:
                    detail.append(attendance_name(status))
            if detail:
                lines.append(Text(" · ".join(detail)))
        widget.update(Text("\n").join(lines[:2]))

    def earlier_line(self, row: int) -> str:
        """The marks the student got in this subject in another class during the period (a mid-year move):
        they stay with the student and count in the term-mark suggestion, so the new class's journal shows
        them, read-only, beside the term column."""
        model, data = self.model, self.data
        if model is None or data is None:
            return ""
        marks = data.view.earlier_marks.get(model.students[row].id, [])
        if not marks:
            return ""
        shown = ", ".join(f"{day(m.day)} {m.class_name}: {m.value}" for m in marks)
        return t("journal.term.earlier", marks=shown)

    def term_line(self, row: int) -> str:
        model = self.model
        assert model is not None
        student_id = model.students[row].id
        confirmed = model.confirmed.get(student_id)
        suggested = model.suggested.get(student_id)
        parts = [t("journal.term.confirmed", value=confirmed) if confirmed else t("journal.term.not_confirmed")]
        if suggested:
            parts.append(t("journal.term.suggested", value=suggested))
        return " · ".join(parts)

    # ------------------------------------------------------------------------------------------ saving

    @on(JournalGrid.ReadOnly)
    def read_only(self) -> None:
        self.notify(t("journal.read_only.typed"), severity="warning", timeout=4)

    @on(JournalGrid.Commit)
    def commit(self, message: JournalGrid.Commit) -> None:
        model = self.model
        if model is None or not self.writable or message.row < 0:
            return
        student_id = model.students[message.row].id
        if message.col == model.term_col:
            op = CellOp("term", student_id, None, message.text)
            shown = message.text
        else:
            lesson_id = model.lessons[message.col].id
            status = model.attendance_of(message.text)
            if status is not None:
                op = CellOp("attendance", student_id, lesson_id, status)
                shown = model.letter_of.get(status, message.text) if status != "present" else ""
            else:
                op = CellOp("mark", student_id, lesson_id, message.text, self.work_type_id)
                shown = message.text
        self.enqueue(op, message.row, message.col, shown)

    @on(JournalGrid.Clear)
    def clear(self, message: JournalGrid.Clear) -> None:
        model = self.model
        if model is None or not self.writable:
            return
        student_id = model.students[message.row].id
        if message.col == model.term_col:
            if student_id in model.confirmed:
                self.enqueue(CellOp("term", student_id, None, None), message.row, message.col, "")
            return
        lesson = model.lessons[message.col]
        marks = model.marks.get((lesson.id, student_id), [])
        mark = next((m for m in marks if m.work_type_id == self.work_type_id), None)
        if mark is None and len(marks) == 1:
            mark = marks[0]  # the only mark of the cell, whatever kind of work it is for
        if mark is None:
            if marks:
                self.notify(t("journal.clear.which"), severity="warning", timeout=5)
            return
        self.enqueue(CellOp("mark", student_id, lesson.id, None, mark.work_type_id), message.row, message.col, "")

    def enqueue(self, op: CellOp, row: int, col: int, shown: str) -> None:
        assert self.model is not None
        self.model.states[(row, col)] = CellState(pending=shown or "…")
        self.grid.refresh()
        self.queue.append(op)
        if not self.saving:
            self.next_save()

    def next_save(self) -> None:
        if self.queue:
            self.saving = True
            self.save(self.queue.popleft())
        else:
            self.saving = False

    @work(thread=True, exit_on_error=False, group="journal-save")
    def save(self, op: CellOp) -> None:
        try:
            result: object
            if op.kind == "term":
                assert self.data is not None
                result = journal_workers.confirm_term_mark(self.ctx, self.assignment_id, self.data.view.term_id,
                                                           op.student_id, op.value)
            elif op.kind == "attendance":
                assert op.lesson_id is not None and op.value is not None
                result = journal_workers.save_attendance(self.ctx, op.lesson_id, op.student_id, op.value)
            else:
                assert op.lesson_id is not None
                result = journal_workers.save_mark(self.ctx, op.lesson_id, op.student_id, op.value, op.work_type_id)
        except ValidationFailed as exc:
            locked = any(p.code == "locked" for p in exc.problems)
            self.post_message(CellRefused(op, str(exc) + (" " + t("journal.locked.hint") if locked else "")))
        except ZhurnalError as exc:
            self.post_message(CellRefused(op, str(exc)))
        else:
            self.post_message(CellSaved(op, result))

    def cell_of(self, op: CellOp) -> tuple[int, int] | None:
        model = self.model
        if model is None:
            return None
        row = model.row_of(op.student_id)
        col = model.term_col if op.lesson_id is None else model.col_of(op.lesson_id)
        return None if row is None or col is None else (row, col)

    @on(CellSaved)
    def saved(self, message: CellSaved) -> None:
        op, model = message.op, self.model
        where = self.cell_of(op)
        if model is not None and where is not None:
            model.states.pop(where, None)
            if op.kind == "mark" and op.lesson_id is not None:
                mark = message.result if isinstance(message.result, MarkView) else None
                work_type = mark.work_type_id if mark else op.work_type_id or model.default_work_type
                if work_type is not None:
                    model.put_mark(op.lesson_id, op.student_id, work_type, mark)
            elif op.kind == "attendance" and op.lesson_id is not None and isinstance(message.result, str):
                model.put_attendance(op.lesson_id, op.student_id, message.result)
            elif op.kind == "term" and isinstance(message.result, TermMarkRow):
                model.put_term_mark(op.student_id, message.result.confirmed, message.result.suggested)
            self.grid.refresh()
            self.describe(self.grid.cursor_row, self.grid.cursor_col)
        self.next_save()
        if not self.saving and op.kind == "mark":
            self.refresh_suggestions()

    @on(CellRefused)
    def refused(self, message: CellRefused) -> None:
        model = self.model
        where = self.cell_of(message.op)
        if model is not None and where is not None:
            model.states[where] = CellState(error=True)
            self.grid.refresh()
        self.problem = message.text
        self.notify(message.text, title=t("error.title"), severity="error", timeout=8)
        self.describe(self.grid.cursor_row, self.grid.cursor_col)
        self.next_save()

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-terms")
    def refresh_suggestions(self) -> None:
        """The marks changed: the term column's suggestions follow (one query for the whole class)."""
        data = self.data
        if data is None:
            return
        try:
            rows = journal_workers.term_rows(self.ctx, self.assignment_id, data.view.term_id)
        except ZhurnalError:
            return  # the column keeps its previous suggestions; the next reload shows them
        self.post_message(SuggestionsLoaded(rows))

    @on(SuggestionsLoaded)
    def suggestions_loaded(self, message: SuggestionsLoaded) -> None:
        if self.model is None:
            return
        for row in message.rows:
            self.model.suggested[row.student_id] = row.suggested
        self.grid.refresh()

    # ----------------------------------------------------------------------------------------- lessons

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_lesson", "remove_lesson", "unlock", "work_type", "all_present"):
            return self.writable
        if action == "period":
            return self.data is not None and bool(self.data.terms)
        if action == "subgroup":
            return self.data is not None and self.data.view.subgroup is not None
        return True

    @on(JournalGrid.Open)
    def open_cell(self, message: JournalGrid.Open) -> None:
        model = self.model
        if model is None:
            return
        if message.col == model.term_col:
            if message.row < 0 or not self.writable:
                return
            suggested = model.suggested.get(model.students[message.row].id)
            if suggested:
                self.commit(JournalGrid.Commit(message.row, message.col, suggested))
            else:
                self.notify(t("journal.term.no_suggestion"), timeout=4)
            return
        self.action_lesson()

    def action_lesson(self) -> None:
        lesson = self.current_lesson()
        if lesson is None or self.data is None:
            return
        from zhurnal.tui.app.screens.lesson_form import LessonFormScreen

        form = LessonFormScreen(self.assignment_id, lesson, writable=self.writable)

        def closed(_: None) -> None:
            if form.saved is not None:
                self.reload(lesson_id=form.saved.id)

        self.app.push_screen(form, closed)

    def action_new_lesson(self) -> None:
        model = self.model
        if model is None:
            return
        today = self.ctx.day()
        self.add_lesson(today, model.next_number(today))

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-lesson")
    def add_lesson(self, when: date, number: int) -> None:
        try:
            lesson = journal_workers.add_lesson(self.ctx, self.assignment_id, when, number)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "lesson"))
            return
        self.post_message(LessonChanged(lesson.id, t("journal.lesson.added", day=day(lesson.day),
                                                     number=lesson.number)))

    @on(LessonChanged)
    def lesson_changed(self, message: LessonChanged) -> None:
        if message.text:
            self.notify(message.text, timeout=4)
        self.reload(lesson_id=message.lesson_id)

    def action_remove_lesson(self) -> None:
        lesson = self.current_lesson()
        if lesson is not None:
            self.load_impact(lesson)

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-lesson")
    def load_impact(self, lesson: LessonView) -> None:
        try:
            impact = journal_workers.lesson_impact(self.ctx, lesson.id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "lesson"))
            return
        self.post_message(ImpactLoaded(lesson, impact, "remove"))

    @on(ImpactLoaded)
    def ask_remove(self, message: ImpactLoaded) -> None:
        if message.purpose != "remove":
            return
        lesson, impact = message.lesson, message.impact

        def answered(yes: bool | None) -> None:
            if yes:
                self.remove_lesson(lesson)

        self.app.push_screen(ConfirmScreen(
            t("journal.remove.title"), t("journal.remove.question", day=day(lesson.day), number=lesson.number),
            [t("journal.impact", marks=impact.marks, attendance=impact.attendance)],
            yes=t("journal.remove.yes"), default_yes=False), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-lesson")
    def remove_lesson(self, lesson: LessonView) -> None:
        try:
            impact = journal_workers.remove_lesson(self.ctx, lesson)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "lesson"))
            return
        self.post_message(LessonChanged(None, t("journal.lesson.removed", day=day(lesson.day),
                                                  marks=impact.marks, attendance=impact.attendance)))

    def action_all_present(self) -> None:
        lesson = self.current_lesson()
        if lesson is not None:
            self.take_attendance(lesson)

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-lesson")
    def take_attendance(self, lesson: LessonView) -> None:
        """Attendance taken for the lesson: everyone without a status was present."""
        try:
            journal_workers.take_attendance(self.ctx, lesson.id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "lesson"))
            return
        self.post_message(LessonChanged(lesson.id, t("journal.attendance.taken", day=day(lesson.day))))

    def action_history(self) -> None:
        """The history of the cell under the cursor: its lesson marks, or in the term column the term mark's
        (the year mark's while the column holds the year)."""
        model, grid, data = self.model, self.grid, self.data
        if model is None or data is None or not 0 <= grid.cursor_row < model.rows or grid.cursor_col > model.term_col:
            return
        student = model.students[grid.cursor_row]
        if grid.cursor_col == model.term_col:
            # The column holds what confirm_term_mark writes: the term's marks, or the year's without a term.
            term_id = data.view.term_id
            when = data.view.term_name if term_id is not None and data.view.term_name else t("journal.period.year")
            self.load_term_history(t("journal.term_history.title", name=student.full_name, period=when),
                                   t("journal.term_history.none"), term_id, student.id)
            return
        lesson = model.lessons[grid.cursor_col]
        marks = model.marks.get((lesson.id, student.id), [])
        names = [model.work_types[m.work_type_id].name if m.work_type_id in model.work_types else "" for m in marks]
        self.load_history(t("journal.history.title", name=student.full_name, day=day(lesson.day)),
                          t("journal.history.none"), [(m.id, name) for m, name in zip(marks, names, strict=True)])

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-history")
    def load_history(self, title: str, empty: str, marks: list[tuple[int, str]]) -> None:
        try:
            histories: list[tuple[str, list[HistoryEntry]]] = [
                (name, list(journal_workers.mark_history(self.ctx, mark_id))) for mark_id, name in marks]
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "history"))
            return
        self.post_message(HistoryLoaded(title, histories, empty))

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal-history")
    def load_term_history(self, title: str, empty: str, term_id: int | None, student_id: int) -> None:
        try:
            changes = journal_workers.term_mark_history(self.ctx, self.assignment_id, term_id, student_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "history"))
            return
        histories: list[tuple[str, list[HistoryEntry]]] = [("", list(changes))] if changes else []
        self.post_message(HistoryLoaded(title, histories, empty))

    @on(HistoryLoaded)
    def show_history(self, message: HistoryLoaded) -> None:
        from zhurnal.tui.app.screens.mark_history import MarkHistoryScreen

        self.app.push_screen(MarkHistoryScreen(message.title, message.histories, message.empty))

    # ------------------------------------------------------------------------------ periods, work, lock

    def action_period(self, step: int) -> None:
        data = self.data
        if data is None or not data.terms:
            return
        periods: list[int | str] = [term.id for term in data.terms] + [YEAR]
        current = self.period if self.period is not None else data.period  # the last asked, even if not loaded yet
        # A range that is no term starts from the first or the last period.
        index = periods.index(current) + step if current in periods else (0 if step > 0 else len(periods) - 1)
        if 0 <= index < len(periods):
            self.reload(periods[index])

    def action_work_type(self) -> None:
        model = self.model
        if model is None or not model.work_types:
            return
        ids = list(model.work_types)
        current = ids.index(self.work_type_id) if self.work_type_id in ids else -1
        self.work_type_id = ids[(current + 1) % len(ids)]
        self.show_info()
        self.notify(t("journal.work_type", name=model.work_types[self.work_type_id].name), timeout=3)

    def action_subgroup(self) -> None:
        """The students of this journal's subgroup, ticked in the class list; the grid reloads after a save."""
        view = self.data.view if self.data is not None else None
        if view is None or view.subgroup is None:
            return
        form = SubgroupScreen(view.class_id, view.subject_id, view.subgroup)

        def closed(_: None) -> None:
            if form.saved:
                self.reload()

        self.app.push_screen(form, closed)

    def action_unlock(self) -> None:
        from zhurnal.tui.app.screens.unlock_request import UnlockRequestScreen

        lesson = self.current_lesson()
        first = lesson.day if lesson is not None else self.ctx.day()
        self.app.push_screen(UnlockRequestScreen(self.assignment_id, first, first))

    @property
    def cursor_on_header(self) -> bool:
        return self.grid.cursor_row == HEADER_ROW
