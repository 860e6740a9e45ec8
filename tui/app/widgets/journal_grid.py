"""The class journal as a grid: students down, lessons across, the term-marks column on the right.

A Line API widget: it renders only the visible lines from the GridModel (one dict lookup per visible cell), so
a class of 30 with 60 lessons draws as fast as an empty one. The student-name column and the term column stay
put while the lessons scroll sideways; the cursor scrolls the grid in whole columns and rows.

Typing the letters of a mark or of an attendance status fills a small buffer shown in the cell; text that can
only mean one thing ("5", "б") or nothing at all ("7": the core's refusal says why) is committed at once,
otherwise Enter or an arrow commits it and Escape drops it. The widget never calls the core: it posts Commit,
Clear, Open and Moved, and the screen saves.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from zhurnal.tui.app.journal_labels import month_short
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.widgets.journal_model import CELL_WIDTH, GridModel
from zhurnal.tui.i18n import t

NAME_WIDTH = 22
TERM_WIDTH = 6
COL_WIDTH = CELL_WIDTH + 1
HEADER_LINES = 2
HEADER_ROW = -1  # the cursor on the lesson headers (Enter there opens the lesson)

PLAIN = Style()
HEAD = Style(bold=True)
CURSOR = Style(reverse=True)
CURSOR_ROW = Style(bold=True, underline=True)
LOCKED = Style(dim=True)
OUTSIDE = Style(dim=True, italic=True)
SAVING = Style(color="yellow", italic=True)
ERROR = Style(color="white", bgcolor="red", bold=True)
SUGGESTED = Style(dim=True, italic=True)
CONFIRMED = Style(bold=True)
BUFFER = Style(color="black", bgcolor="yellow", bold=True)
ABSENCE = {"absent": Style(color="red"), "sick": Style(color="magenta"), "late": Style(color="yellow"),
           "excused": Style(color="cyan")}


def fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` cut (with an ellipsis) or padded to exactly `width` characters."""
    if len(text) > width:
        return text[:width - 1] + "…" if width > 1 else text[:width]
    return text.rjust(width) if right else text.ljust(width)


class JournalGrid(Widget, can_focus=True):
    """Keys move the cursor; what the user types is posted to the screen, which saves it."""

    DEFAULT_CSS = """
    JournalGrid {
        height: 1fr;
        width: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("grid.up", "up", "move(-1, 0)", show=False),
        bind("grid.down", "down", "move(1, 0)", show=False),
        bind("grid.left", "left", "move(0, -1)", show=False),
        bind("grid.right", "right", "move(0, 1)", show=False),
        bind("grid.page_up", "pageup", "page(-1)", show=False),
        bind("grid.page_down", "pagedown", "page(1)", show=False),
        bind("grid.first", "home", "edge(-1)", show=False),
        bind("grid.last", "end", "edge(1)", show=False),
        bind("grid.enter", "enter", "enter", show=False),
        bind("grid.clear", "delete,backspace", "clear", show=False),
    ]

    class Commit(Message):
        """Typed text to save into a cell (a mark, an attendance letter, or a term mark in the term column)."""

        def __init__(self, row: int, col: int, text: str) -> None:
            super().__init__()
            self.row, self.col, self.text = row, col, text

    class Clear(Message):
        """Delete in a cell: remove its mark (or withdraw the term mark)."""

        def __init__(self, row: int, col: int) -> None:
            super().__init__()
            self.row, self.col = row, col

    class Open(Message):
        """Enter without typed text: on a lesson, its form; in the term column, accept the suggestion."""

        def __init__(self, row: int, col: int) -> None:
            super().__init__()
            self.row, self.col = row, col

    class Moved(Message):
        def __init__(self, row: int, col: int) -> None:
            super().__init__()
            self.row, self.col = row, col

    class ReadOnly(Message):
        """Something was typed into a journal the actor only reads."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model: GridModel | None = None
        self.editable = False
        self.cursor_row = 0
        self.cursor_col = 0
        self.top = 0
        self.left = 0
        self.buffer = ""

    # --------------------------------------------------------------------------------------- the data

    def show(self, model: GridModel, editable: bool, *, student_id: int | None = None,
             lesson_id: int | None = None, today: date | None = None) -> None:
        """Show a (re)loaded journal; the cursor goes back to the student and lesson given, else to the first
        student's last lesson held by `today` (the last lesson when none is given)."""
        self.model, self.editable, self.buffer = model, editable, ""
        row = model.row_of(student_id) if student_id is not None else None
        col = model.col_of(lesson_id) if lesson_id is not None else None
        if col is None:
            held = [i for i, lesson in enumerate(model.lessons) if today is None or lesson.day <= today]
            col = held[-1] if held else 0
        self.cursor_row = row if row is not None else (0 if model.rows else HEADER_ROW)
        self.cursor_col = col
        self.top = self.left = 0
        self.follow()
        self.refresh()
        self.post_message(self.Moved(self.cursor_row, self.cursor_col))

    @property
    def visible_cols(self) -> int:
        return max(1, (self.size.width - NAME_WIDTH - TERM_WIDTH) // COL_WIDTH)

    @property
    def visible_rows(self) -> int:
        return max(1, self.size.height - HEADER_LINES)

    def follow(self) -> None:
        """Scroll so the cursor's cell is on screen."""
        model = self.model
        if model is None:
            return
        if self.cursor_col < model.term_col:
            if self.cursor_col < self.left:
                self.left = self.cursor_col
            elif self.cursor_col >= self.left + self.visible_cols:
                self.left = self.cursor_col - self.visible_cols + 1
        self.left = max(0, min(self.left, max(model.term_col - self.visible_cols, 0)))
        if self.cursor_row >= 0:
            if self.cursor_row < self.top:
                self.top = self.cursor_row
            elif self.cursor_row >= self.top + self.visible_rows:
                self.top = self.cursor_row - self.visible_rows + 1
        self.top = max(0, min(self.top, max(model.rows - self.visible_rows, 0)))

    def on_resize(self) -> None:
        self.follow()
        self.refresh()

    def go(self, row: int, col: int) -> None:
        model = self.model
        if model is None:
            return
        row = max(HEADER_ROW, min(row, model.rows - 1))
        col = max(0, min(col, model.term_col))
        if row == HEADER_ROW and col == model.term_col and model.term_col > 0:
            col = model.term_col - 1  # the term column has no lesson header to stand on
        if (row, col) != (self.cursor_row, self.cursor_col):
            self.cursor_row, self.cursor_col = row, col
            self.follow()
            self.refresh()
            self.post_message(self.Moved(row, col))

    # -------------------------------------------------------------------------------------------- keys

    def action_move(self, rows: int, cols: int) -> None:
        self.commit()
        self.go(self.cursor_row + rows, self.cursor_col + cols)

    def action_page(self, direction: int) -> None:
        self.commit()
        self.go(self.cursor_row + direction * self.visible_rows, self.cursor_col)

    def action_edge(self, direction: int) -> None:
        self.commit()
        if self.model is not None:
            self.go(self.cursor_row, 0 if direction < 0 else self.model.term_col)

    def action_enter(self) -> None:
        if self.buffer:
            self.commit()
        elif self.model is not None and (self.model.term_col > 0 or self.cursor_col == self.model.term_col):
            self.post_message(self.Open(self.cursor_row, self.cursor_col))

    def action_clear(self) -> None:
        if self.model is None or self.cursor_row < 0:
            return
        if not self.editable:
            self.post_message(self.ReadOnly())
            return
        self.post_message(self.Clear(self.cursor_row, self.cursor_col))

    def on_key(self, event: events.Key) -> None:
        model = self.model
        if model is None:
            return
        if self.buffer and event.key in ("escape", "backspace"):
            self.buffer = "" if event.key == "escape" else self.buffer[:-1]
            event.stop()
            event.prevent_default()
            self.refresh()
            return
        char = event.character
        if not event.is_printable or not char or char.isspace():
            return
        event.stop()
        event.prevent_default()
        if self.cursor_row < 0:
            return
        if not self.editable:
            self.post_message(self.ReadOnly())
            return
        self.buffer += char
        typed = self.buffer.casefold()
        if self.cursor_col == model.term_col:
            found = [v for v in model.values if v.casefold().startswith(typed)]
        else:
            found = model.completions(self.buffer)
        # One meaning: saved at once; no meaning at all: sent too, so the core says what the scale allows.
        if not found or (len(found) == 1 and found[0].casefold() == typed):
            self.commit()
        else:
            self.refresh()

    def commit(self) -> None:
        """Hand the typed text to the screen (nothing typed: nothing to do)."""
        if self.buffer and self.cursor_row >= 0:
            self.post_message(self.Commit(self.cursor_row, self.cursor_col, self.buffer))
        self.buffer = ""
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        model = self.model
        if model is None:
            return
        self.focus()
        col: int | None = None
        if event.x >= self.size.width - TERM_WIDTH:
            col = model.term_col
        elif event.x >= NAME_WIDTH:
            col = self.left + (event.x - NAME_WIDTH) // COL_WIDTH
            if col >= min(model.term_col, self.left + self.visible_cols):
                return
        row = HEADER_ROW if event.y < HEADER_LINES else self.top + event.y - HEADER_LINES
        if row >= model.rows:
            return
        self.commit()
        self.go(row, self.cursor_col if col is None else col)

    # ------------------------------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        model = self.model
        if model is None:
            return Strip.blank(width)
        if y < HEADER_LINES:
            segments = self.header_line(model, y)
        else:
            row = self.top + y - HEADER_LINES
            if row >= model.rows:
                return Strip.blank(width)
            segments = self.student_line(model, row)
        return Strip(segments).adjust_cell_length(width)

    def lesson_span(self, model: GridModel) -> range:
        return range(self.left, min(model.term_col, self.left + self.visible_cols))

    def term_left(self) -> int:
        """Where the term column starts: at the right edge, whatever the lessons leave over."""
        return self.size.width - TERM_WIDTH

    def header_line(self, model: GridModel, y: int) -> list[Segment]:
        segments = [Segment(fit("" if y == 0 else t("journal.col.student"), NAME_WIDTH), HEAD)]
        previous_month = None
        for col in self.lesson_span(model):
            day = model.lessons[col].day
            if y == 0:
                shown = month_short(day.month) if day.month != previous_month or col == self.left else ""
                previous_month = day.month
                segments.append(Segment(fit(shown, COL_WIDTH), HEAD))
                continue
            style = LOCKED if model.locked(col) else HEAD
            if self.cursor_row == HEADER_ROW and col == self.cursor_col:
                style = style + CURSOR
            segments += [Segment(fit(str(day.day), CELL_WIDTH, right=True), style), Segment(" ")]
        used = sum(s.cell_length for s in segments)
        segments.append(Segment(" " * max(self.term_left() - used, 0)))
        label = t("journal.col.term") if y == 0 else ""
        segments.append(Segment(fit(" " + label, TERM_WIDTH), HEAD))
        return segments

    def student_line(self, model: GridModel, row: int) -> list[Segment]:
        student = model.students[row]
        on_row = row == self.cursor_row
        name = fit(f"{row + 1:>2} {student.full_name}", NAME_WIDTH - 1) + " "
        segments = [Segment(name, CURSOR_ROW if on_row else PLAIN)]
        for col in self.lesson_span(model):
            segments += [self.cell(model, row, col, on_row and col == self.cursor_col), Segment(" ")]
        used = sum(s.cell_length for s in segments)
        segments.append(Segment(" " * max(self.term_left() - used, 0)))
        segments += [Segment("│"), self.cell(model, row, model.term_col, on_row and self.cursor_col == model.term_col,
                                             width=TERM_WIDTH - 1)]
        return segments

    def cell(self, model: GridModel, row: int, col: int, cursor: bool, width: int = CELL_WIDTH) -> Segment:
        state = model.state(row, col)
        if cursor and self.buffer:
            return Segment(fit(self.buffer, width, right=True), BUFFER)
        if state is not None and state.pending is not None:
            text, style = state.pending, SAVING
        else:
            text = model.cell_text(row, col)
            if col == model.term_col:
                style = SUGGESTED if model.term_is_suggestion(row) else CONFIRMED
            elif not model.enrolled(row, col):
                text, style = "·", OUTSIDE
            else:
                status = model.attendance.get((model.lessons[col].id, model.students[row].id))
                style = ABSENCE.get(status or "", PLAIN)
                if model.locked(col):
                    style = style + LOCKED
            if state is not None and state.error:
                style = ERROR
        if cursor:
            style = style + CURSOR
        return Segment(fit(text, width, right=True), style)
