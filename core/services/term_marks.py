"""Term and year marks: a weighted-average suggestion the teacher confirms (or overrides) per student.

The suggestion is the weighted mean of the student's numeric marks in the subject during the term, in any
class (a student who moved mid-term keeps the marks of the old class), each mark weighted by its work
type. It is rounded half up to the nearest mark of the scale (4.5 → 5; documented in docs/journal.md).
A year mark's suggestion is the mean of the confirmed term marks, else of all the year's marks. Every
confirmation, change and withdrawal appends to term_mark_history, which outlives a withdrawn mark's row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from zhurnal.core.errors import NotFound
from zhurnal.core.models import (
    AcademicYear,
    Lesson,
    Mark,
    SchoolClass,
    Subject,
    TeachingAssignment,
    Term,
    TermMark,
    TermMarkHistory,
    User,
    WorkType,
    utcnow,
)
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.common import flush
from zhurnal.core.services.journal import _students, subgroup_students
from zhurnal.core.services.journal_rules import (
    clean_mark,
    get_assignment_any,
    numeric,
    require_own_subgroup,
    require_year_open,
    scope,
    year_of,
)
from zhurnal.core.services.settings import _settings
from zhurnal.core.uow import UnitOfWork

YEAR_KIND = "year"
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class TermMarkRow:
    """One student's line of the term-marks column."""

    student_id: int
    full_name: str
    marks: int  # numeric marks the suggestion is made from
    average: Decimal | None
    suggested: str | None
    confirmed: str | None


@dataclass(frozen=True)
class TermMarkHistoryEntry:
    """One change of a term or year mark: when, who (login), from what to what (None: no mark)."""

    changed_at: str
    changed_by: str | None
    old_value: str | None
    new_value: str | None
    subject_name: str
    class_name: str


@dataclass(frozen=True)
class SchoolSuggestion:
    class_id: int
    subject_id: int
    student_id: int
    average: Decimal
    suggested: str | None


def weighted_average(pairs: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ value·weight / Σ weight to two places, or None without marks."""
    total = weights = Decimal(0)
    for value, weight in pairs:
        total += value * weight
        weights += weight
    if not weights:
        return None
    return (total / weights).quantize(_CENT, rounding=ROUND_HALF_UP)


def nearest_mark(average: Decimal | None, scale: Iterable[str]) -> str | None:
    """The scale's numeric mark the average rounds (half up) to; None when the scale has no numbers."""
    if average is None:
        return None
    numbers = sorted((n, m) for m in scale if (n := numeric(m)) is not None)
    if not numbers:
        return None
    rounded = average.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(numbers, key=lambda pair: (abs(pair[0] - rounded), -pair[0]))[1]


def _term(uow: UnitOfWork, year: AcademicYear, term_id: int | None) -> Term | None:
    if term_id is None:
        return None
    term = uow.session.get(Term, term_id)
    if term is None or term.year_id != year.id:
        raise NotFound(f"Четверть (период) № {term_id} не найдена в учебном году {year.name}")
    return term


def _marks(uow: UnitOfWork, subject_id: int | None, start: date, end: date,
           students: list[int] | None) -> Iterable[tuple[int, int, int, str, Decimal]]:
    """(student, subject, class, value, weight) of live marks of lessons in [start, end]."""
    query = (select(Mark.student_id, TeachingAssignment.subject_id, Lesson.class_id, Mark.value, WorkType.weight)
             .join(Lesson, Lesson.id == Mark.lesson_id)
             .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
             .join(WorkType, WorkType.id == Mark.work_type_id)
             .where(Mark.school_id == uow.school_id, Mark.deleted_at.is_(None), Lesson.deleted_at.is_(None),
                    Lesson.day >= start, Lesson.day <= end)
             .order_by(Lesson.day, Mark.id))
    if subject_id is not None:
        query = query.where(TeachingAssignment.subject_id == subject_id)
    if students is not None:
        query = query.where(Mark.student_id.in_(students))
    return uow.session.execute(query)


def _rows(uow: UnitOfWork, assignment: TeachingAssignment, year: AcademicYear,
          term: Term | None) -> list[TermMarkRow]:
    """The term-marks column of one assignment (term None: the year marks)."""
    start, end = (term.start_date, term.end_date) if term else (year.start_date, year.end_date)
    # A subgroup journal's column covers its members only (the whole class while it is not split yet).
    students, _unset, _unplaced = subgroup_students(uow, assignment, _students(uow, assignment.class_id, start, end))
    ids = [s.id for s in students]
    by_student: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for student_id, _subject, _class, value, weight in _marks(uow, assignment.subject_id, start, end, ids):
        number = numeric(value)
        if number is not None:
            by_student[student_id].append((number, Decimal(weight)))
    kind, term_number = (term.kind, term.number) if term else (YEAR_KIND, 0)
    confirmed = dict(uow.session.execute(select(TermMark.student_id, TermMark.value).where(
        TermMark.year_id == year.id, TermMark.subject_id == assignment.subject_id, TermMark.term_kind == kind,
        TermMark.term_number == term_number, TermMark.student_id.in_(ids))).all()) if ids else {}
    if term is None:  # the year mark follows the confirmed term marks when there are any
        terms: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
        for student_id, value in uow.session.execute(select(TermMark.student_id, TermMark.value).where(
                TermMark.year_id == year.id, TermMark.subject_id == assignment.subject_id,
                TermMark.term_number > 0, TermMark.student_id.in_(ids))):
            if (n := numeric(value)) is not None:
                terms[student_id].append((n, Decimal(1)))
        by_student = defaultdict(list, {**by_student, **terms})
    scale = _settings(uow).grading_scale.marks
    rows = []
    for student in students:
        average = weighted_average(by_student.get(student.id, []))
        rows.append(TermMarkRow(student.id, student.full_name, len(by_student.get(student.id, [])), average,
                                nearest_mark(average, scale), confirmed.get(student.id)))
    return rows


def _history(uow: UnitOfWork, row: TermMark, old: str | None, new: str | None) -> None:
    """Append one change of a term mark to its history (the row's snapshot of subject and class)."""
    uow.session.add(TermMarkHistory(
        school_id=row.school_id, year_id=row.year_id, term_kind=row.term_kind, term_number=row.term_number,
        student_id=row.student_id, subject_id=row.subject_id, class_id=row.class_id, subject_name=row.subject_name,
        class_name=row.class_name, changed_by=uow.actor.user_id, changed_at=utcnow(), old_value=old,
        new_value=new))


class TermMarkService(Service):
    """Suggest and confirm term and year marks."""

    area = "term_mark"

    @service("journal.read", "journal.write", write=False)
    def suggestions(self, uow: UnitOfWork, assignment_id: int, term_id: int | None = None) -> list[TermMarkRow]:
        """The term-marks column of one journal: per student the average, the suggestion and the confirmed
        mark; `term_id` None gives the year marks."""
        assignment = get_assignment_any(uow, assignment_id)
        scope(uow, assignment, write=False)
        year = year_of(uow, assignment)
        term = _term(uow, year, term_id)
        return _rows(uow, assignment, year, term)

    @service("journal.write")
    def confirm(self, uow: UnitOfWork, assignment_id: int, term_id: int | None, student_id: int,
                value: str | None) -> TermMarkRow:
        """Confirm (or change, or with an empty value withdraw) a student's term mark (`term_id` None: the
        year mark). The subject title and class name are stored as they are now."""
        assignment = get_assignment_any(uow, assignment_id)
        scope(uow, assignment, write=True)
        year = year_of(uow, assignment)
        require_year_open(year, "assignment_id")
        term = _term(uow, year, term_id)
        kind, number = (term.kind, term.number) if term else (YEAR_KIND, 0)
        start, end = (term.start_date, term.end_date) if term else (year.start_date, year.end_date)
        student = next((s for s in _students(uow, assignment.class_id, start, end) if s.id == student_id), None)
        if student is None:
            raise NotFound(f"Ученик № {student_id} не учился в этом классе в этот период")
        require_own_subgroup(uow, assignment, student_id)
        settings = _settings(uow)
        clean = clean_mark(value, settings) if value and value.strip() else None
        row = uow.session.scalar(select(TermMark).where(
            TermMark.student_id == student_id, TermMark.subject_id == assignment.subject_id,
            TermMark.year_id == year.id, TermMark.term_kind == kind, TermMark.term_number == number))
        suggested = next((r for r in _rows(uow, assignment, year, term) if r.student_id == student_id), None)
        average = suggested.average if suggested else None
        # The row holds only the current value; every change appends to term_mark_history, which outlives a
        # withdrawn mark's row (a final mark is a document: who withdrew which one, and what it was).
        old = row.value if row is not None else None
        # The audit record names the term and the field, never the marks: they are the child's personal data
        # and term_mark_history (with its own access check) is where the old and new values are kept.
        period = f"{kind} {number}"
        if clean is None:
            if row is not None:
                _history(uow, row, old, None)
                uow.session.delete(row)  # frees the key for a later confirmation; the history keeps the value
                uow.audit("term_mark.withdraw", object_type="term_mark", object_id=row.id, person_id=student_id,
                          fields=["value"], detail=period)
        else:
            school_class = uow.session.get(SchoolClass, assignment.class_id)
            subject = uow.session.get(Subject, assignment.subject_id)
            assert school_class is not None and subject is not None
            if row is None:
                row = TermMark(school_id=uow.school_id, year_id=year.id, term_kind=kind, term_number=number,
                               student_id=student_id, subject_id=subject.id, class_id=school_class.id,
                               subject_name=subject.name, class_name=school_class.name, value=clean,
                               suggested=average, confirmed_by=uow.actor.user_id, confirmed_at=utcnow())
                uow.session.add(row)
                _history(uow, row, None, clean)
            elif row.value != clean:
                row.value, row.suggested = clean, average
                row.confirmed_by, row.confirmed_at = uow.actor.user_id, utcnow()
                _history(uow, row, old, clean)
            flush(uow, "Итоговая отметка")
            uow.audit("term_mark.set", object_type="term_mark", object_id=row.id, person_id=student_id,
                      fields=["value"], detail=period)
        return TermMarkRow(student.id, student.full_name, suggested.marks if suggested else 0, average,
                           suggested.suggested if suggested else None, clean)

    @service("journal.read", "journal.write", write=False)
    def history(self, uow: UnitOfWork, assignment_id: int, term_id: int | None,
                student_id: int) -> list[TermMarkHistoryEntry]:
        """Every confirmation, change and withdrawal of a student's term mark in the journal's subject
        (`term_id` None: the year mark), oldest first: when, who, the old and the new value — a withdrawn
        mark included."""
        assignment = get_assignment_any(uow, assignment_id)
        scope(uow, assignment, write=False)
        year = year_of(uow, assignment)
        term = _term(uow, year, term_id)
        kind, number = (term.kind, term.number) if term else (YEAR_KIND, 0)
        rows = uow.session.execute(
            select(TermMarkHistory, User.login).outerjoin(User, User.id == TermMarkHistory.changed_by)
            .where(TermMarkHistory.school_id == uow.school_id, TermMarkHistory.student_id == student_id,
                   TermMarkHistory.subject_id == assignment.subject_id, TermMarkHistory.year_id == year.id,
                   TermMarkHistory.term_kind == kind, TermMarkHistory.term_number == number)
            .order_by(TermMarkHistory.id))
        return [TermMarkHistoryEntry(h.changed_at.isoformat(timespec="seconds"), login, h.old_value, h.new_value,
                                     h.subject_name, h.class_name) for h, login in rows]

    @service("journal.read", write=False)
    def suggest_school(self, uow: UnitOfWork, term_id: int) -> list[SchoolSuggestion]:
        """Every student's suggested term mark in every subject of the school for a term (the deputy's
        overview before the term closes); one pass over the term's marks."""
        term = uow.session.get(Term, term_id)
        if term is None or term.school_id != uow.school_id:
            raise NotFound(f"Четверть (период) № {term_id} не найдена")
        groups: dict[tuple[int, int], list[tuple[Decimal, Decimal]]] = defaultdict(list)
        class_of: dict[tuple[int, int], int] = {}
        for student_id, subject_id, class_id, value, weight in _marks(uow, None, term.start_date, term.end_date,
                                                                       None):
            number = numeric(value)
            if number is None:
                continue
            key = (student_id, subject_id)
            groups[key].append((number, Decimal(weight)))
            class_of[key] = class_id  # marks come in date order: the latest class wins
        scale = _settings(uow).grading_scale.marks
        found = []
        for (student_id, subject_id), pairs in groups.items():
            average = weighted_average(pairs)
            assert average is not None
            found.append(SchoolSuggestion(class_of[(student_id, subject_id)], subject_id, student_id, average,
                                          nearest_mark(average, scale)))
        found.sort(key=lambda s: (s.class_id, s.subject_id, s.student_id))
        return found
