"""The core calls behind the journal, the diary and the lock-exception screens, run in thread workers.

Kept apart from workers.py (same rules: core services only, plain data back, no Textual) so the journal screens
stay one unit. Every call passes the Context's day as `today`, so the lock and "not yet held" rules follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zhurnal.core.errors import NotFound
from zhurnal.core.services.diary import DiaryChild, DiaryService, DiaryWeek
from zhurnal.core.services.journal import (
    JournalEntry,
    JournalService,
    JournalView,
    LessonImpact,
    LessonView,
    MarkHistoryEntry,
    MarkView,
)
from zhurnal.core.services.lock_exceptions import LockExceptionService, LockExceptionView
from zhurnal.core.services.schools import SchoolService
from zhurnal.core.services.subgroups import SubgroupService, SubgroupsView
from zhurnal.core.services.term_marks import TermMarkHistoryEntry, TermMarkRow, TermMarkService
from zhurnal.core.services.years import TermView, YearService
from zhurnal.tui.app.context import Context

YEAR = "year"
"""The period that is the whole academic year: the term column then holds the year marks."""


@dataclass(frozen=True)
class JournalData:
    """One journal for one period: the grid, its term-marks column and the periods to move between."""

    view: JournalView
    term_rows: list[TermMarkRow]
    terms: list[TermView]  # the terms of the journal's year and kind, in order

    @property
    def period(self) -> int | str | None:
        """The term's id, YEAR for the whole year, None for a range that is neither."""
        if self.view.term_id is not None:
            return self.view.term_id
        return YEAR if self.whole_year else None

    @property
    def whole_year(self) -> bool:
        return bool(self.terms) and self.view.start <= min(t.start for t in self.terms) and \
            self.view.end >= max(t.end for t in self.terms)


def list_journals(ctx: Context) -> list[JournalEntry]:
    return JournalService(ctx.store).list_journals(ctx.signed_in())


def _terms(ctx: Context, view: JournalView) -> list[TermView]:
    actor = ctx.signed_in()
    if not ctx.can("school.read"):
        return []
    terms = YearService(ctx.store).terms(actor, view.year_id)
    kind = next((t.kind for t in terms if t.id == view.term_id), None)
    if kind is None:
        kind = SchoolService(ctx.store).get(actor).term_kind
    return [t for t in terms if t.kind == kind]


def load_journal(ctx: Context, assignment_id: int, period: int | str | None = None) -> JournalData:
    """The grid for a term (its id), the whole year (YEAR) or, with None, the term holding the day."""
    actor, day = ctx.signed_in(), ctx.day()
    journal = JournalService(ctx.store)
    if period == YEAR:
        first = journal.open(actor, assignment_id, today=day)
        terms = _terms(ctx, first)
        start = min((t.start for t in terms), default=first.start)
        end = max((t.end for t in terms), default=first.end)
        view = journal.open(actor, assignment_id, start=start, end=end, today=day)
    else:
        view = journal.open(actor, assignment_id, term_id=period if isinstance(period, int) else None, today=day)
        terms = _terms(ctx, view)
    rows = TermMarkService(ctx.store).suggestions(actor, assignment_id, view.term_id)
    return JournalData(view, rows, terms)


def term_rows(ctx: Context, assignment_id: int, term_id: int | None) -> list[TermMarkRow]:
    return TermMarkService(ctx.store).suggestions(ctx.signed_in(), assignment_id, term_id)


def save_mark(ctx: Context, lesson_id: int, student_id: int, value: str | None,
              work_type_id: int | None) -> MarkView | None:
    return JournalService(ctx.store).set_mark(ctx.signed_in(), lesson_id, student_id, value, work_type_id,
                                              today=ctx.day())


def mark_history(ctx: Context, mark_id: int) -> list[MarkHistoryEntry]:
    return JournalService(ctx.store).mark_history(ctx.signed_in(), mark_id)


def term_mark_history(ctx: Context, assignment_id: int, term_id: int | None,
                      student_id: int) -> list[TermMarkHistoryEntry]:
    return TermMarkService(ctx.store).history(ctx.signed_in(), assignment_id, term_id, student_id)


def save_attendance(ctx: Context, lesson_id: int, student_id: int, status: str) -> str:
    return JournalService(ctx.store).set_attendance(ctx.signed_in(), lesson_id, student_id, status, today=ctx.day())


def take_attendance(ctx: Context, lesson_id: int) -> LessonView:
    return JournalService(ctx.store).take_attendance(ctx.signed_in(), lesson_id, today=ctx.day())


def confirm_term_mark(ctx: Context, assignment_id: int, term_id: int | None, student_id: int,
                      value: str | None) -> TermMarkRow:
    return TermMarkService(ctx.store).confirm(ctx.signed_in(), assignment_id, term_id, student_id, value)


def add_lesson(ctx: Context, assignment_id: int, day: date, number: int, topic: str | None = None,
               homework: str | None = None) -> LessonView:
    return JournalService(ctx.store).add_lesson(ctx.signed_in(), assignment_id, day, number, topic, homework,
                                                today=ctx.day())


def update_lesson(ctx: Context, lesson: LessonView, day: date, number: int, topic: str | None,
                  homework: str | None) -> tuple[LessonView, LessonImpact]:
    return JournalService(ctx.store).update_lesson(ctx.signed_in(), lesson.id, lesson.version, topic=topic,
                                                   homework=homework, day=day, number=number, today=ctx.day())


def lesson_impact(ctx: Context, lesson_id: int) -> LessonImpact:
    return JournalService(ctx.store).lesson_impact(ctx.signed_in(), lesson_id)


def remove_lesson(ctx: Context, lesson: LessonView) -> LessonImpact:
    return JournalService(ctx.store).remove_lesson(ctx.signed_in(), lesson.id, lesson.version, today=ctx.day())


def subgroups(ctx: Context, class_id: int, subject_id: int) -> SubgroupsView:
    return SubgroupService(ctx.store).members(ctx.signed_in(), class_id, subject_id)


def save_subgroup(ctx: Context, view: SubgroupsView, subgroup: str, ticked: set[int]) -> SubgroupsView:
    """The ticked students go into `subgroup`; those of it not ticked any more go into none; the others keep
    theirs (a student ticked from the other subgroup moves)."""
    changes: dict[int, str | None] = {}
    for student in view.students:
        if student.student_id in ticked and student.subgroup != subgroup:
            changes[student.student_id] = subgroup
        elif student.student_id not in ticked and student.subgroup == subgroup:
            changes[student.student_id] = None
    return SubgroupService(ctx.store).set_members(ctx.signed_in(), view.class_id, view.subject_id, changes)


def request_unlock(ctx: Context, assignment_id: int, from_day: date, to_day: date, reason: str) -> LockExceptionView:
    return LockExceptionService(ctx.store).request(ctx.signed_in(), assignment_id, from_day, to_day, reason)


def unlock_requests(ctx: Context) -> list[LockExceptionView]:
    return LockExceptionService(ctx.store).list(ctx.signed_in())


def decide_unlock(ctx: Context, request: LockExceptionView, approve: bool) -> LockExceptionView:
    return LockExceptionService(ctx.store).decide(ctx.signed_in(), request.id, request.version, approve,
                                                  today=ctx.day())


# ------------------------------------------------------------------------------------------------- diary


def diary_children(ctx: Context) -> list[DiaryChild]:
    return DiaryService(ctx.store).children(ctx.signed_in(), today=ctx.day())


@dataclass(frozen=True)
class DiaryData:
    week: DiaryWeek
    terms: list[tuple[str, date, date]]


def diary_week(ctx: Context, student_id: int, day: date) -> DiaryData:
    """The week holding `day` (an activity event: a diary view) and the terms to jump between."""
    service = DiaryService(ctx.store)
    week = service.week(ctx.signed_in(), student_id, day, today=ctx.day())
    try:
        terms = service.terms(ctx.signed_in(), student_id, today=ctx.day())
    except NotFound:  # a child between classes: the week shows, without term jumps
        terms = []
    return DiaryData(week, terms)
