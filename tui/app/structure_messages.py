"""Messages the workers of the school-structure screens post (see tui/app/messages.py for the others)."""

from __future__ import annotations

from decimal import Decimal

from textual.message import Message

from zhurnal.core.services.assignments import AssignmentView, RemovalReport
from zhurnal.core.services.classes import ClassRow
from zhurnal.core.services.curriculum import CurriculumRow
from zhurnal.core.services.subjects import SubjectView
from zhurnal.core.services.years import YearView
from zhurnal.tui.app.structure_workers import AssignmentsData, SettingsData, SubjectsData


class FormDone(Message):
    """A form's core call went through; `result` is what the service returned."""

    def __init__(self, result: object) -> None:
        super().__init__()
        self.result = result


class ChangeDone(Message):
    """A change made from a list (archive, removal) went through; `text` says what was done, `target` names
    the list to reload."""

    def __init__(self, text: str, target: str = "") -> None:
        super().__init__()
        self.text = text
        self.target = target


class SubjectsLoaded(Message):
    def __init__(self, data: SubjectsData) -> None:
        super().__init__()
        self.data = data


class CurriculumLoaded(Message):
    def __init__(self, grade: int, rows: list[CurriculumRow], total: Decimal) -> None:
        super().__init__()
        self.grade = grade
        self.rows = rows
        self.total = total


class SubjectChoices(Message):
    """The subjects a form may offer (not archived)."""

    def __init__(self, subjects: list[SubjectView]) -> None:
        super().__init__()
        self.subjects = subjects


class AssignmentsLoaded(Message):
    def __init__(self, data: AssignmentsData) -> None:
        super().__init__()
        self.data = data


class ImpactLoaded(Message):
    """What removing or re-assigning `assignment` touches; `purpose` is "remove" or "teacher"."""

    def __init__(self, assignment: AssignmentView, report: RemovalReport, purpose: str) -> None:
        super().__init__()
        self.assignment = assignment
        self.report = report
        self.purpose = purpose


class SettingsLoaded(Message):
    def __init__(self, data: SettingsData) -> None:
        super().__init__()
        self.data = data


class YearsLoaded(Message):
    """The school's years (newest first) and the current one, for the students' year filter."""

    def __init__(self, years: list[YearView], current: YearView | None) -> None:
        super().__init__()
        self.years = years
        self.current = current


class YearClassesLoaded(Message):
    """The classes of the year the year filter chose (the class filter's options)."""

    def __init__(self, year_id: int, classes: list[ClassRow]) -> None:
        super().__init__()
        self.year_id = year_id
        self.classes = classes
