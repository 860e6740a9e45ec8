"""Messages the journal, diary and lock-exception workers post (see messages.py for the rules)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from zhurnal.core.services.diary import DiaryChild
from zhurnal.core.services.journal import JournalEntry, LessonImpact, LessonView, MarkHistoryEntry
from zhurnal.core.services.lock_exceptions import LockExceptionView
from zhurnal.core.services.subgroups import SubgroupsView
from zhurnal.core.services.term_marks import TermMarkHistoryEntry, TermMarkRow
from zhurnal.tui.app.journal_workers import DiaryData, JournalData

HistoryEntry = MarkHistoryEntry | TermMarkHistoryEntry
"""One line of the history window: a lesson mark's change, or a term mark's (with the names it recorded)."""


@dataclass(frozen=True)
class CellOp:
    """One save the grid queued: `kind` is mark, attendance or term; `lesson_id` None in the term column."""

    kind: str
    student_id: int
    lesson_id: int | None
    value: str | None
    work_type_id: int | None = None


class JournalsLoaded(Message):
    def __init__(self, entries: list[JournalEntry]) -> None:
        super().__init__()
        self.entries = entries


class JournalLoaded(Message):
    def __init__(self, data: JournalData) -> None:
        super().__init__()
        self.data = data


class CellSaved(Message):
    """A queued save went through; `result` is what the core returned (MarkView | None, status, TermMarkRow)."""

    def __init__(self, op: CellOp, result: object) -> None:
        super().__init__()
        self.op = op
        self.result = result


class CellRefused(Message):
    def __init__(self, op: CellOp, text: str) -> None:
        super().__init__()
        self.op = op
        self.text = text


class SuggestionsLoaded(Message):
    def __init__(self, rows: list[TermMarkRow]) -> None:
        super().__init__()
        self.rows = rows


class LessonChanged(Message):
    """A lesson was added, changed or removed: the grid reloads with the cursor on `lesson_id`."""

    def __init__(self, lesson_id: int | None, text: str = "") -> None:
        super().__init__()
        self.lesson_id = lesson_id
        self.text = text


class ImpactLoaded(Message):
    """What a lesson holds, before it is moved (`purpose` "move") or removed ("remove")."""

    def __init__(self, lesson: LessonView, impact: LessonImpact, purpose: str) -> None:
        super().__init__()
        self.lesson = lesson
        self.impact = impact
        self.purpose = purpose


class HistoryLoaded(Message):
    """The history of a cell's marks: (kind of work, changes oldest first) per mark; a term-mark cell has one
    group without a heading. `empty` is what the window says when there is no change at all."""

    def __init__(self, title: str, histories: list[tuple[str, list[HistoryEntry]]], empty: str) -> None:
        super().__init__()
        self.title = title
        self.histories = histories
        self.empty = empty


class UnlockRequested(Message):
    def __init__(self, request: LockExceptionView) -> None:
        super().__init__()
        self.request = request


class UnlockRequestsLoaded(Message):
    def __init__(self, requests: list[LockExceptionView]) -> None:
        super().__init__()
        self.requests = requests


class DiaryChildrenLoaded(Message):
    def __init__(self, children: list[DiaryChild]) -> None:
        super().__init__()
        self.children = children


class DiaryLoaded(Message):
    def __init__(self, data: DiaryData) -> None:
        super().__init__()
        self.data = data


class SubgroupsLoaded(Message):
    """The class's split in the subject was read (`saved`: after a save went through)."""

    def __init__(self, view: SubgroupsView, saved: bool = False) -> None:
        super().__init__()
        self.view = view
        self.saved = saved
