"""What the journal grid shows, built once from one JournalView (no query per cell) and changed in place as the
teacher's saves come back. Nothing here imports Textual: the bench times it without a terminal.

Columns are the lessons of the period in date order, then the term-marks column (index `term_col`). A cell
shows the attendance letter (absent, sick, late, excused; "present" shows nothing) followed by the marks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from zhurnal.core.models import ATTENDANCE_STATUSES
from zhurnal.core.services.journal import JournalView, LessonView, MarkView, StudentRow
from zhurnal.core.services.journal_rules import NOT_AVAILABLE
from zhurnal.core.services.term_marks import TermMarkRow
from zhurnal.tui.app.journal_labels import attendance_letters

CELL_WIDTH = 3  # characters of a lesson cell (one more separates the columns)
# Spellings the core's clean_mark also takes for "н/а" (typed without the slash on a Russian keyboard).
MARK_ALIASES = (NOT_AVAILABLE.replace("/", ""), "n/a")


def attendance_keys() -> dict[str, str]:
    """The letters typed on the grid for attendance (catalogue `journal.letter.<status>`; in Russian н, б, о,
    у, п) -> the statuses they stand for."""
    return {letter: status for status, letter in attendance_letters().items() if status in ATTENDANCE_STATUSES}


@dataclass
class CellState:
    """A cell being saved (`pending` is what was typed) or whose last save was refused (`error`)."""

    pending: str | None = None
    error: bool = False


class GridModel:
    """Students × lessons of one journal and the term column, indexed for rendering one visible cell at a time."""

    def __init__(self, view: JournalView, term_rows: list[TermMarkRow] | None = None) -> None:
        self.view = view
        self.students: list[StudentRow] = list(view.students)
        self.lessons: list[LessonView] = list(view.lessons)
        self.marks: dict[tuple[int, int], list[MarkView]] = {}
        for mark in view.marks:
            self.marks.setdefault((mark.lesson_id, mark.student_id), []).append(mark)
        self.attendance: dict[tuple[int, int], str] = dict(view.attendance)
        self.confirmed: dict[int, str] = dict(view.term_marks)
        self.suggested: dict[int, str | None] = {}
        for row in term_rows or []:
            self.suggested[row.student_id] = row.suggested
            if row.confirmed is not None:
                self.confirmed[row.student_id] = row.confirmed
        self.work_types = {w.id: w for w in view.work_types}
        default = next((w for w in view.work_types if w.is_default), view.work_types[0] if view.work_types else None)
        self.default_work_type: int | None = default.id if default else None
        self.states: dict[tuple[int, int], CellState] = {}  # (row, col) -> saving or refused
        self.values = view.values
        self.letters = attendance_keys()
        self.letter_of = {status: letter for letter, status in self.letters.items()}
        self._row_of = {s.id: i for i, s in enumerate(self.students)}
        self._col_of = {le.id: i for i, le in enumerate(self.lessons)}

    # ------------------------------------------------------------------------------------------ shape

    @property
    def term_col(self) -> int:
        return len(self.lessons)

    @property
    def rows(self) -> int:
        return len(self.students)

    def row_of(self, student_id: int) -> int | None:
        return self._row_of.get(student_id)

    def col_of(self, lesson_id: int) -> int | None:
        return self._col_of.get(lesson_id)

    def locked(self, col: int) -> bool:
        """A lesson before the grade-entry lock date (shown dim; the core decides, exceptions included)."""
        before = self.view.locked_before
        return col < self.term_col and before is not None and self.lessons[col].day < before

    def enrolled(self, row: int, col: int) -> bool:
        """Whether the student belonged to the class on the lesson's day (outside it the cell is not theirs)."""
        student, day = self.students[row], self.lessons[col].day
        return student.start <= day and (student.end is None or day <= student.end)

    # ------------------------------------------------------------------------------------------ cells

    def cell_text(self, row: int, col: int) -> str:
        """What a cell shows: the attendance letter then the marks ("5", "н", "о4", "5/4")."""
        if col == self.term_col:
            return self.term_text(row)
        student_id, lesson = self.students[row].id, self.lessons[col]
        status = self.attendance.get((lesson.id, student_id))
        letter = self.letter_of.get(status, "?") if status is not None and status != "present" else ""
        marks = self.marks.get((lesson.id, student_id))
        return letter + "/".join(m.value for m in marks) if marks else letter

    def term_text(self, row: int) -> str:
        student_id = self.students[row].id
        return self.confirmed.get(student_id) or self.suggested.get(student_id) or ""

    def term_is_suggestion(self, row: int) -> bool:
        student_id = self.students[row].id
        return student_id not in self.confirmed and bool(self.suggested.get(student_id))

    def state(self, row: int, col: int) -> CellState | None:
        return self.states.get((row, col))

    def mark_of(self, row: int, col: int, work_type_id: int | None) -> MarkView | None:
        found = self.marks.get((self.lessons[col].id, self.students[row].id), [])
        return next((m for m in found if m.work_type_id == work_type_id), None)

    # --------------------------------------------------------------------------------- saved changes

    def put_mark(self, lesson_id: int, student_id: int, work_type_id: int, mark: MarkView | None) -> None:
        """A saved mark (None: removed) of one kind of work replaces what the cell held for that kind."""
        key = (lesson_id, student_id)
        kept = [m for m in self.marks.get(key, []) if m.work_type_id != work_type_id]
        if mark is not None:
            kept.append(mark)
            kept.sort(key=lambda m: m.id)
        if kept:
            self.marks[key] = kept
        else:
            self.marks.pop(key, None)

    def put_attendance(self, lesson_id: int, student_id: int, status: str) -> None:
        self.attendance[(lesson_id, student_id)] = status
        col = self.col_of(lesson_id)
        if col is not None and not self.lessons[col].attendance_taken:
            # The core set attendance_taken, which bumped the lesson's version (the lesson form needs it).
            lesson = self.lessons[col]
            self.lessons[col] = replace(lesson, attendance_taken=True, version=lesson.version + 1)

    def put_term_mark(self, student_id: int, confirmed: str | None, suggested: str | None) -> None:
        if confirmed is None:
            self.confirmed.pop(student_id, None)
        else:
            self.confirmed[student_id] = confirmed
        self.suggested[student_id] = suggested

    def next_number(self, day: date) -> int:
        """The next free lesson number on `day` (1 when the journal has none that day)."""
        taken = [le.number for le in self.lessons if le.day == day]
        return max(taken, default=0) + 1

    # ------------------------------------------------------------------------------------ typed values

    def words(self) -> list[str]:
        """Everything that can be typed into a cell: the scale's marks, their other spellings, the letters."""
        aliases = MARK_ALIASES if NOT_AVAILABLE in self.values else ()
        return [*self.values, *aliases, *self.letters]

    def completions(self, typed: str) -> list[str]:
        """The words that start with what was typed (case folded)."""
        folded = typed.casefold()
        words = self.words()
        return [w for w in words if w.casefold().startswith(folded)]

    def attendance_of(self, typed: str) -> str | None:
        """The attendance status a typed letter stands for; a value of the scale spelled the same is a mark."""
        text = typed.strip().casefold()
        if text in (v.casefold() for v in self.values):
            return None
        return next((status for letter, status in self.letters.items() if letter.casefold() == text), None)
