"""Closing an academic year: the promotion plan, its preview and protocol, applying it, and the archive.

`plan_close` proposes one outcome per active student (an enrolment of the year still open) from the grade
rules: a grade with no next grade graduates (11: secondary education), a terminal grade with a next grade (9:
basic education) continues into 10 or leaves with a certificate (`after_basic`, "continue" by default), every
other grade is promoted into its class's twin in the new year (5А -> 6А, the class whose previous_class_id is
5А). The caller edits outcomes per student (`ClosePlan.with_outcome`) and the orders (number and date) per
kind, then `apply_close` checks it, takes the automatic backup and, in one transaction, ends every
enrolment on the old year's last day and starts the new ones on the new year's first day, puts those promoted
into their class's twin into the subgroups they had (`subgroups.carry_split`), marks the year closed (journals
lock on it) and stores the archive (movement book XLSX and PDF, SHA-256 manifest).

Refusals (ValidationFailed, every problem listed): the new year is not opened; an active student has no
outcome; a non-terminal grade has no next grade; a target class is missing or of the wrong grade; an order
lacks its number or date or clashes with another order; a transfer out says nowhere; final marks are
missing (unless `ignore_missing_marks`). A closed year with nobody left active is a no-op: running twice
does no harm.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, distinct, exists, func, insert, select, update

from zhurnal.core.errors import Conflict, ValidationFailed
from zhurnal.core.models import AcademicYear, Enrolment, GradeLevel, Order, Person, SchoolClass
from zhurnal.core.services import yearlog
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import full_name, letter_order
from zhurnal.core.services.common import collector_paused, plain_result, plain_rows
from zhurnal.core.services.orders import KIND_TITLES, order_label
from zhurnal.core.services.subgroups import carry_split, split_to_carry
from zhurnal.core.services.years import get_year
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_text, fold, format_date

OUTCOMES: dict[str, str] = {
    "promote": "переведён в следующий класс",
    "conditional": "переведён условно (академическая задолженность)",
    "retain": "оставлен на повторное обучение",
    "graduate": "выпущен (окончил школу)",
    "continue": "продолжает обучение в 10 классе",
    "leave_basic": "выбыл после 9 класса с аттестатом",
    "transfer_out": "выбыл в другую школу",
}
# Which order backs each outcome.
ORDER_KIND = {"promote": "promotion", "conditional": "promotion", "retain": "promotion", "continue": "promotion",
              "graduate": "graduation", "leave_basic": "graduation", "transfer_out": "departure"}
# The old enrolment's end reason and the new one's start reason (the movement book reads them).
END_REASON = {"promote": "promotion", "conditional": "conditional", "retain": "retention",
              "continue": "promotion", "graduate": "graduated", "leave_basic": "graduated",
              "transfer_out": "transfer_out"}
START_REASON = {"promote": "promotion", "conditional": "conditional", "retain": "retention",
                "continue": "promotion"}
STAYING = frozenset(START_REASON)  # outcomes with a class in the new year
CARRY_SUBGROUPS = frozenset({"promote", "conditional"})  # into the twin class: the subgroups go on with them
AFTER_BASIC = ("continue", "leave_basic")
ORDER_TITLES = {"promotion": "О переводе обучающихся в следующий класс",
                "graduation": "О выпуске обучающихся", "departure": "Об отчислении обучающихся в связи с переводом"}


@dataclass(frozen=True)
class OrderRef:
    """An order by number and date; applying finds it or registers it."""

    number: str
    date: dt.date

    @property
    def label(self) -> str:
        return f"№ {self.number} от {format_date(self.date)}"


@dataclass(frozen=True)
class StudentOutcome:
    """One active student and what happens to them; `order` overrides the plan's order for the kind."""

    person_id: int
    full_name: str
    birth_date: dt.date | None
    enrolment_id: int
    class_id: int
    class_name: str
    parallel: int
    outcome: str | None
    target_class: str | None = None  # the new year's class ("6А") for promote, conditional, retain, continue
    order: OrderRef | None = None
    destination: str | None = None  # transfer_out: where to
    debt: str | None = None  # conditional: the subjects of the academic debt


@dataclass(frozen=True)
class ClosePlan:
    """The promotion plan of a year; change it with `with_outcome` / `with_orders` (it is immutable)."""

    year_id: int
    year_name: str
    year_end: dt.date
    next_year_id: int | None
    next_year_name: str | None
    next_start: dt.date | None
    after_basic: str
    orders: dict[str, OrderRef] = field(default_factory=dict)  # order kind -> order
    students: tuple[StudentOutcome, ...] = ()

    def with_orders(self, **orders: OrderRef | None) -> ClosePlan:
        """The plan with the orders of the given kinds (promotion=, graduation=, departure=) replaced."""
        merged = dict(self.orders)
        for kind, ref in orders.items():
            if ref is None:
                merged.pop(kind, None)
            else:
                merged[kind] = ref
        return dataclasses.replace(self, orders=merged)

    def with_outcome(self, person_id: int, outcome: str | None, **changes: Any) -> ClosePlan:
        """The plan with one student's outcome (and target_class, order, destination, debt) changed.
        A student leaving the school keeps no target class."""
        found = False
        students = []
        for s in self.students:
            if s.person_id == person_id:
                found = True
                if outcome not in STAYING and "target_class" not in changes:
                    changes["target_class"] = None
                s = dataclasses.replace(s, outcome=outcome, **changes)
            students.append(s)
        if not found:
            raise ValidationFailed([Problem("person_id", "not_found", f"Ученик № {person_id} не входит в план "
                                                                      f"перевода {self.year_name}")])
        return dataclasses.replace(self, students=tuple(students))

    def order_for(self, student: StudentOutcome) -> OrderRef | None:
        if student.order is not None:
            return student.order
        return self.orders.get(ORDER_KIND[student.outcome]) if student.outcome in ORDER_KIND else None

    def counts(self) -> dict[str, int]:
        """Students per outcome (every outcome listed, "none" for missing ones) and the total."""
        counts = {key: 0 for key in OUTCOMES}
        counts["none"] = 0
        for s in self.students:
            counts[s.outcome if s.outcome in OUTCOMES else "none"] += 1
        counts["total"] = len(self.students)
        return counts

    def by_class(self) -> list[tuple[str, list[StudentOutcome]]]:
        """Students grouped by their class of the closing year, classes in order."""
        groups: dict[tuple[int, int, str], list[StudentOutcome]] = {}
        for s in self.students:
            letter = s.class_name[len(str(s.parallel)):]
            groups.setdefault((s.parallel, letter_order(letter), s.class_name), []).append(s)
        return [(key[2], items) for key, items in sorted(groups.items())]


@dataclass(frozen=True)
class MissingMark:
    """Final marks not yet given: a class, a subject, its teacher and how many students lack the mark."""

    class_name: str
    subject_name: str
    teacher_name: str | None
    students: int


@dataclass(frozen=True)
class ClassPreview:
    class_name: str
    counts: dict[str, int]
    students: tuple[StudentOutcome, ...]


@dataclass(frozen=True)
class ClosePreview:
    """The dry run: counts per outcome in total and per class, the problems applying would refuse on, and
    the final marks still missing."""

    plan: ClosePlan
    counts: dict[str, int]
    classes: tuple[ClassPreview, ...]
    problems: tuple[Problem, ...]
    missing_marks: tuple[MissingMark, ...]
    subgroups_carried: int = 0  # subgroup places (student × subject) applying would carry into the new classes

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class CloseItem:
    """One student in the report of an applied closing."""

    person_id: int
    full_name: str
    from_class: str
    outcome: str
    to_class: str | None
    order: str
    ended_enrolment_id: int
    started_enrolment_id: int | None


@dataclass(frozen=True)
class ArchiveFileView:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class CloseReport:
    year_name: str
    next_year_name: str | None
    items: tuple[CloseItem, ...]
    counts: dict[str, int]
    orders_created: tuple[str, ...]
    orders_found: tuple[str, ...]
    archive: tuple[ArchiveFileView, ...]
    archive_folder: Path | None
    backup: Path | None
    run_id: int | None
    already_closed: bool = False
    subgroups_carried: int = 0  # students put into their old class's subgroups in the new class (per subject)


# ---------------------------------------------------------------------------------------------------------
# The seam for the journal (issue #7)
# ---------------------------------------------------------------------------------------------------------

def missing_final_marks(uow: UnitOfWork, year: AcademicYear) -> list[MissingMark]:
    """Year marks still missing, per class and subject (with its teachers): every subject taught to a class
    by a live teaching assignment needs a confirmed year mark (journal TermMark, term 0) for each student
    still enrolled in the class."""
    from zhurnal.core.models import Subject, TeachingAssignment, TermMark
    from zhurnal.core.services.classes import full_name

    # Counted in the database, per class and subject taught: the open enrolments of the year's classes with no
    # year mark in the subject (the unique key of term_marks starts with student and subject), instead of every
    # mark of the year read into sets.
    lacking: dict[tuple[int, int], int] = {}
    has_mark = exists().where(TermMark.student_id == Enrolment.person_id,
                              TermMark.subject_id == TeachingAssignment.subject_id,
                              TermMark.year_id == year.id, TermMark.term_number == 0)
    for class_id, subject_id, count in plain_result(
            uow, select(Enrolment.class_id, TeachingAssignment.subject_id, func.count(distinct(Enrolment.person_id)))
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .join(TeachingAssignment, and_(TeachingAssignment.class_id == Enrolment.class_id,
                                           TeachingAssignment.deleted_at.is_(None)))
            .where(SchoolClass.year_id == year.id, Enrolment.school_id == uow.school_id,
                   Enrolment.end_date.is_(None), ~has_mark)
            .group_by(Enrolment.class_id, TeachingAssignment.subject_id)):
        lacking[(class_id, subject_id)] = count
    taught: dict[tuple[int, int], tuple[Any, set[str]]] = {}
    for row in plain_result(uow, select(SchoolClass.id.label("class_id"), SchoolClass.name.label("class_name"),
                                        SchoolClass.parallel, SchoolClass.letter, Subject.name.label("subject_name"),
                                        Subject.id.label("subject_id"), Person.last_name, Person.first_name,
                                        Person.middle_name)
                            .join(TeachingAssignment, TeachingAssignment.class_id == SchoolClass.id)
                            .join(Subject, Subject.id == TeachingAssignment.subject_id)
                            .join(Person, Person.id == TeachingAssignment.teacher_id)
                            .where(SchoolClass.year_id == year.id, TeachingAssignment.deleted_at.is_(None))):
        entry = taught.setdefault((row.class_id, row.subject_id), (row, set()))
        entry[1].add(full_name(row.last_name, row.first_name, row.middle_name))
    missing = []
    for key, (row, teachers) in taught.items():
        count = lacking.get(key, 0)
        if count:
            missing.append((row.parallel, row.letter, row.subject_name,
                            MissingMark(row.class_name, row.subject_name, ", ".join(sorted(teachers)), count)))
    return [item for *_, item in sorted(missing, key=lambda m: (m[0], m[1], m[2]))]


# ---------------------------------------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------------------------------------

def active_enrolments(uow: UnitOfWork, year: AcademicYear) -> list[tuple[Any, SchoolClass]]:
    """The year's enrolments still open (the active students): rows of enrolment_id, person_id, last_name,
    first_name, middle_name, birth_date, each with its class. Plain rows, not ORM objects: a district closes
    tens of thousands, and the classes are a few dozen objects loaded once."""
    classes = {c.id: c for c in uow.session.scalars(select(SchoolClass).where(SchoolClass.year_id == year.id))}
    rows = plain_rows(uow, select(Enrolment.id.label("enrolment_id"), Enrolment.person_id, Enrolment.class_id,
                                  Person.last_name, Person.first_name, Person.middle_name, Person.birth_date)
                      .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
                      .join(Person, Person.id == Enrolment.person_id)
                      .where(SchoolClass.year_id == year.id, Enrolment.school_id == uow.school_id,
                             Enrolment.end_date.is_(None))
                      .order_by(SchoolClass.parallel, SchoolClass.letter, Person.name_key, Person.id))
    return [(r, classes[r.class_id]) for r in rows]


def next_year_of(uow: UnitOfWork, year: AcademicYear) -> AcademicYear | None:
    return uow.session.scalars(select(AcademicYear).where(AcademicYear.school_id == uow.school_id,
                                                          AcademicYear.previous_year_id == year.id)
                               .order_by(AcademicYear.start_date)).first()


def _targets(uow: UnitOfWork, year: AcademicYear, nxt: AcademicYear | None) -> dict[str, Any]:
    """What the default targets need: levels, and the new year's classes by twin and by name."""
    levels = {lv.id: lv for lv in uow.session.scalars(select(GradeLevel).where(
        GradeLevel.school_id == uow.school_id))}
    new_classes = [] if nxt is None else sorted(
        uow.session.scalars(select(SchoolClass).where(SchoolClass.year_id == nxt.id)),
        key=lambda c: (c.parallel, letter_order(c.letter)))
    return {"levels": levels, "twin": {c.previous_class_id: c for c in new_classes if c.previous_class_id},
            "by_name": {c.name: c for c in new_classes}, "classes": new_classes}


def _default(level: GradeLevel | None, levels: dict[int, GradeLevel], old: SchoolClass, t: dict[str, Any],
             after_basic: str) -> tuple[str, str | None]:
    """The outcome and target class the grade rules give a student of `old`."""
    if level is None or level.next_level_id is None:
        return "graduate", None
    nxt = levels[level.next_level_id]
    if level.is_terminal:
        if after_basic == "leave_basic":
            return "leave_basic", None
        return "continue", _class_in(t, nxt.number, old.letter)
    twin = t["twin"].get(old.id)
    return "promote", twin.name if twin is not None else _class_in(t, nxt.number, old.letter)


def _class_in(t: dict[str, Any], parallel: int, letter: str) -> str | None:
    """The new year's class of `parallel` with `letter`, else the first class of that parallel."""
    same = t["by_name"].get(f"{parallel}{letter}")
    if same is not None:
        return str(same.name)
    first = next((c for c in t["classes"] if c.parallel == parallel), None)
    return str(first.name) if first is not None else None


def build_plan(uow: UnitOfWork, year: AcademicYear, after_basic: str = "continue",
               orders: dict[str, OrderRef] | None = None) -> ClosePlan:
    if after_basic not in AFTER_BASIC:
        raise ValidationFailed([Problem("after_basic", "bad_format", f"После 9 класса: «{after_basic}» — "
                                                                     "допустимо continue или leave_basic")])
    nxt = next_year_of(uow, year)
    t = _targets(uow, year, nxt)
    levels = t["levels"]
    students = []
    for r, c in active_enrolments(uow, year):
        outcome, target = _default(levels.get(c.grade_level_id), levels, c, t, after_basic)
        students.append(StudentOutcome(r.person_id, full_name(r.last_name, r.first_name, r.middle_name),
                                       r.birth_date, r.enrolment_id, c.id, c.name, c.parallel, outcome, target))
    return ClosePlan(year.id, year.name, year.end_date, nxt.id if nxt else None, nxt.name if nxt else None,
                     nxt.start_date if nxt else None, after_basic, dict(orders or {}), tuple(students))


# ---------------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------------

def _existing_order(uow: UnitOfWork, ref: OrderRef) -> Order | None:
    key = fold(ref.number.strip())
    candidates = uow.session.scalars(select(Order).where(Order.school_id == uow.school_id,
                                                         Order.order_year == ref.date.year))
    return next((o for o in candidates if fold(o.number) == key), None)


def check_plan(uow: UnitOfWork, plan: ClosePlan) -> list[Problem]:
    """Everything that stops `plan` from being applied, each with a clear Russian message."""
    year = get_year(uow, plan.year_id)
    problems: list[Problem] = []
    nxt = next_year_of(uow, year)
    if nxt is None or nxt.id != plan.next_year_id:
        problems.append(Problem("next_year", "not_found", f"Новый учебный год после {year.name} не открыт: "
                                                          "сначала откройте его (zhurnal year open)"))
    levels = list(uow.session.scalars(select(GradeLevel).where(GradeLevel.school_id == uow.school_id)))
    by_id = {lv.id: lv for lv in levels}
    for lv in sorted(levels, key=lambda lv: lv.number):
        if not lv.is_terminal and lv.next_level_id is None:
            problems.append(Problem("grade_levels", "no_next", f"Параллель {lv.number}: не указан следующий "
                                                               "класс, а параллель не выпускная"))
    active = {r.person_id: (r, c) for r, c in active_enrolments(uow, year)}
    planned = {s.person_id: s for s in plan.students}
    missing = [s for s in plan.students if s.outcome is None] + [
        None for pid in active if pid not in planned]
    if missing:
        named = [f"{s.class_name} {s.full_name}" for s in missing if s is not None][:5]
        problems.append(Problem("students", "required", f"Решение не принято по {len(missing)} обучающимся "
                                                        f"({', '.join(named) or 'не вошли в план'}…)"
                                if len(missing) > 5 or not named else
                                f"Решение не принято по {len(missing)} обучающимся: {', '.join(named)}"))
    t = _targets(uow, year, nxt)
    # Per-student problems are grouped by class and kind: a missing order is one line, not a thousand.
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for s in plan.students:
        if s.person_id not in active:
            grouped.setdefault(("students", "not_active", f"{s.class_name}: не обучаются в {year.name} (выбыли "
                                                          "или уже переведены); обновите план"), []).append(s.full_name)
            continue
        if s.outcome is None:
            continue
        if s.outcome not in OUTCOMES:
            grouped.setdefault(("outcome", "bad_format", f"{s.class_name}: неизвестное решение «{s.outcome}»"),
                               []).append(s.full_name)
            continue
        _, old_class = active[s.person_id]
        level = by_id.get(old_class.grade_level_id)
        nxt_level = by_id.get(level.next_level_id) if level and level.next_level_id else None
        for field_name, code, message in _check_outcome(s, level, nxt_level, t):
            grouped.setdefault((field_name, code, f"{s.class_name}: {message}"), []).append(s.full_name)
        ref = plan.order_for(s)
        if ref is None or not (ref.number or "").strip():
            kind = ORDER_KIND[s.outcome]
            grouped.setdefault(("orders", "required", f"Не указан приказ «{KIND_TITLES[kind]}» (номер и дата)"),
                               []).append(f"{s.class_name} {s.full_name}")
    for (field_name, code, message), names in grouped.items():
        shown = ", ".join(names[:3]) + ("…" if len(names) > 3 else "")
        problems.append(Problem(field_name, code, f"{message} — обучающихся: {len(names)} ({shown})"))
    problems += _already_enrolled(uow, plan, nxt)
    problems += _check_orders(uow, plan)
    return _unique(problems)


def _already_enrolled(uow: UnitOfWork, plan: ClosePlan, nxt: AcademicYear | None) -> list[Problem]:
    """Students who stay but already have an enrolment from the new year's start (enrolled by hand)."""
    staying = [s for s in plan.students if s.outcome in STAYING]
    if nxt is None or not staying:
        return []
    ids = [s.person_id for s in staying]
    found: set[int] = set()
    for start in range(0, len(ids), 1000):
        found |= set(uow.session.scalars(select(Enrolment.person_id).where(
            Enrolment.school_id == uow.school_id, Enrolment.person_id.in_(ids[start:start + 1000]),
            Enrolment.start_date >= nxt.start_date)))
    names = [f"{s.class_name} {s.full_name}" for s in staying if s.person_id in found]
    if not names:
        return []
    shown = ", ".join(names[:3]) + ("…" if len(names) > 3 else "")
    return [Problem("students", "already_enrolled", f"Уже зачислены в {nxt.name}, а в плане остаются в школе — "
                                                    f"обучающихся: {len(names)} ({shown}); выберите для них "
                                                    "выбытие или отмените то зачисление")]


def _check_outcome(s: StudentOutcome, level: GradeLevel | None, nxt_level: GradeLevel | None,
                   t: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, code, message) of what is wrong with one student's outcome; the caller groups them."""
    found = []
    final = level is None or level.next_level_id is None
    basic = level is not None and level.is_terminal and not final
    if s.outcome == "graduate" and not final:
        hint = " (после 9 класса: continue или leave_basic)" if basic else ""
        found.append(("outcome", "not_allowed", f"выпуск возможен только из выпускного класса{hint}"))
    if s.outcome in ("continue", "leave_basic") and not basic:
        found.append(("outcome", "not_allowed", f"решение «{OUTCOMES[s.outcome]}» — только для выпускников "
                                                "основной школы (9 класс)"))
    if s.outcome == "promote" and (final or basic):
        found.append(("outcome", "not_allowed", f"из {s.class_name} нет перевода; выберите "
                                                + ("continue или leave_basic" if basic else "graduate")))
    if s.outcome == "conditional" and final:
        found.append(("outcome", "not_allowed", "условный перевод из выпускного класса невозможен"))
    if s.outcome == "transfer_out" and not (s.destination or "").strip():
        found.append(("destination", "required", "не указано, куда выбывают"))
    if s.outcome in STAYING and level is not None:
        wanted = level.number if s.outcome == "retain" else (nxt_level.number if nxt_level else None)
        target = t["by_name"].get(s.target_class or "")
        if target is None:
            found.append(("target_class", "not_found", f"в новом году нет класса «{s.target_class or '—'}»"
                                                       + (f" (нужен {wanted} класс)" if wanted else "")))
        elif wanted is not None and target.parallel != wanted:
            found.append(("target_class", "out_of_range", f"{target.name} — не {wanted} класс"))
    return found


def _check_orders(uow: UnitOfWork, plan: ClosePlan) -> list[Problem]:
    """Each order given (default or per student) must not clash with another order of that number."""
    problems = []
    refs: dict[tuple[str, int], tuple[OrderRef, str]] = {}
    for s in plan.students:
        if s.outcome not in ORDER_KIND:
            continue
        ref = plan.order_for(s)
        if ref is None or not (ref.number or "").strip():
            continue
        kind = ORDER_KIND[s.outcome]
        key = _order_key(ref)
        if key in refs and (refs[key][0].date != ref.date or refs[key][1] != kind):
            problems.append(Problem("orders", "conflict", f"Приказ № {ref.number}: указан с разными датами или "
                                                          "для разных видов решений"))
        refs.setdefault(key, (ref, kind))
    for ref, kind in refs.values():
        _, found = clean_text(ref.number, "number", required=True, max_len=40)
        if found:
            problems.append(Problem("orders", "bad_format", f"Приказ № {ref.number}: недопустимый номер"))
            continue
        existing = _existing_order(uow, ref)
        if existing is not None and (existing.order_date != ref.date or existing.kind not in (kind, "other")):
            problems.append(Problem("orders", "conflict", f"Приказ {order_label(existing)} уже есть "
                                                          f"(«{KIND_TITLES.get(existing.kind, existing.kind)}»); "
                                                          f"для решения нужен приказ «{KIND_TITLES[kind]}» — "
                                                          "укажите другой номер"))
    return problems


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen, result = set(), []
    for p in problems:
        if p.message not in seen:
            seen.add(p.message)
            result.append(p)
    return result


def subgroup_moves(plan: ClosePlan, new_classes: Mapping[str, SchoolClass]) -> list[tuple[int, int, int]]:
    """(student, old class, new class) of those whose subgroups go on with them: promoted (conditionally too)
    into their class's twin. A target the new year lacks moves nobody (check_plan names it)."""
    moves = []
    for s in plan.students:
        target = new_classes.get(s.target_class or "")
        if s.outcome in CARRY_SUBGROUPS and target is not None and target.previous_class_id == s.class_id:
            moves.append((s.person_id, s.class_id, target.id))
    return moves


def _new_classes(uow: UnitOfWork, nxt: AcademicYear) -> dict[str, SchoolClass]:
    return {c.name: c for c in uow.session.scalars(select(SchoolClass).where(SchoolClass.year_id == nxt.id))}


def preview(uow: UnitOfWork, plan: ClosePlan) -> ClosePreview:
    year = get_year(uow, plan.year_id)
    nxt = next_year_of(uow, year)
    # The same selection the closing writes by (subgroups.split_to_carry), so the count is what it will report.
    carried = len(split_to_carry(uow, subgroup_moves(plan, _new_classes(uow, nxt)))) if nxt is not None else 0
    classes = []
    for name, students in plan.by_class():
        counts = {key: 0 for key in OUTCOMES}
        for s in students:
            if s.outcome in counts:
                counts[s.outcome] += 1
        classes.append(ClassPreview(name, counts, tuple(students)))
    return ClosePreview(plan, plan.counts(), tuple(classes), tuple(check_plan(uow, plan)),
                        tuple(missing_final_marks(uow, year)), carried)


# ---------------------------------------------------------------------------------------------------------
# Apply
# ---------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _order_key(ref: OrderRef) -> tuple[str, int]:
    """The key an order is found by (number folded, calendar year); a plan names a few orders for a thousand
    students, so each is folded once."""
    return fold(ref.number.strip()), ref.date.year


def _ensure_orders(uow: UnitOfWork, plan: ClosePlan, recorder: yearlog.Recorder
                   ) -> tuple[dict[tuple[str, int], Order], list[str], list[str]]:
    """The orders the plan names, found or registered (in this transaction, recorded for undo)."""
    orders: dict[tuple[str, int], Order] = {}
    created, found = [], []
    for s in plan.students:
        ref = plan.order_for(s)
        assert ref is not None and s.outcome is not None
        key = _order_key(ref)
        if key in orders:
            continue
        existing = _existing_order(uow, ref)
        if existing is None:
            kind = ORDER_KIND[s.outcome]
            existing = Order(school_id=uow.school_id, number=ref.number.strip(), order_date=ref.date,
                             order_year=ref.date.year, kind=kind, title=ORDER_TITLES[kind],
                             created_by=uow.actor.user_id)
            uow.session.add(existing)
            uow.session.flush()
            recorder.created(existing)
            uow.audit("order.create", object_type="order", object_id=existing.id,
                      fields=["number", "order_date", "kind", "title"], detail=f"{order_label(existing)}; {kind}")
            created.append(order_label(existing))
        else:
            found.append(order_label(existing))
        orders[key] = existing
    return orders, created, found


def _end_enrolments(uow: UnitOfWork, params: list[dict[str, Any]]) -> None:
    """End the enrolments in `params` in one executemany; a row changed meanwhile (version moved) is a
    Conflict, like the mapper's own check."""
    if not params:
        return
    table = cast(Table, Enrolment.__table__)
    statement = (update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
                 .values(end_date=bindparam("_end_date"), end_reason=bindparam("_end_reason"),
                         end_order_id=bindparam("_end_order_id"), went_to=bindparam("_went_to"),
                         version=bindparam("_new_version")))
    result = uow.session.execute(statement, params)
    dialect = uow.session.get_bind().dialect
    if dialect.supports_sane_multi_rowcount and result.rowcount != len(params):  # type: ignore[attr-defined]
        raise Conflict("Закрытие года: зачисления одновременно изменил другой пользователь; повторите")


def apply_plan(uow: UnitOfWork, plan: ClosePlan, *, archive_dir: Path | None) -> CloseReport:
    """Apply a checked plan (see the module docstring)."""
    from zhurnal.core.services import yeararchive

    year = get_year(uow, plan.year_id)
    if year.status == "closed" and not plan.students:
        return CloseReport(year.name, plan.next_year_name, (), plan.counts(), (), (), (), None, None, None,
                           already_closed=True)
    nxt = next_year_of(uow, year)
    assert nxt is not None
    recorder = yearlog.Recorder(uow, "close", year.id)
    orders, created, found = _ensure_orders(uow, plan, recorder)
    new_classes = _new_classes(uow, nxt)
    ids = [s.person_id for s in plan.students]
    # The old enrolments are read and ended with plain statements in bulk (one UPDATE for all, guarded by the
    # version like the mapper would): a thousand ORM updates cost a round trip each.
    enrolments: dict[int, Any] = {}
    for start in range(0, len(ids), 1000):
        for row in plain_rows(uow, select(Enrolment.id, Enrolment.person_id, Enrolment.version, Enrolment.went_to)
                              .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
                              .where(SchoolClass.year_id == year.id, Enrolment.end_date.is_(None),
                                     Enrolment.person_id.in_(ids[start:start + 1000]))):
            enrolments[row.person_id] = row
    ending: list[dict[str, Any]] = []
    started: list[dict[str, Any]] = []
    for s in plan.students:
        assert s.outcome is not None
        ref = plan.order_for(s)
        assert ref is not None
        order = orders[_order_key(ref)]
        old = enrolments[s.person_id]
        went_to = (s.destination or "").strip()[:300] if s.outcome == "transfer_out" else old.went_to
        recorder.changed("enrolments", old.id, {"end_date": None, "end_reason": None, "end_order_id": None,
                                                "went_to": old.went_to, "version": old.version}, old.version + 1)
        ending.append({"_id": old.id, "_version": old.version, "_end_date": year.end_date,
                       "_end_reason": END_REASON[s.outcome], "_end_order_id": order.id, "_went_to": went_to,
                       "_new_version": old.version + 1})
        if s.outcome in STAYING:
            target = new_classes[s.target_class or ""]
            started.append({"school_id": uow.school_id, "person_id": s.person_id, "class_id": target.id,
                            "start_date": nxt.start_date, "start_reason": START_REASON[s.outcome],
                            "start_order_id": order.id, "version": 1})
    _end_enrolments(uow, ending)
    # The new enrolments are one batched INSERT returning the ids in the order given (ORM objects cost a
    # thousand constructions and a flush per school); the rows are as the mapper would write them (version 1).
    # Into the table, not the mapped class: the ORM's bulk path builds a state per row first.
    table = cast(Table, Enrolment.__table__)
    new_by_person: dict[int, int] = {}
    for start in range(0, len(started), 1000):
        for person_id, enrolment_id in uow.session.execute(
                insert(table).returning(table.c.person_id, table.c.id, sort_by_parameter_order=True),
                started[start:start + 1000]):
            new_by_person[person_id] = enrolment_id
    for new in started:
        recorder.created_row(Enrolment.__tablename__, new_by_person[new["person_id"]], 1)
    # The subgroups go on with the class: 6А keeps the English groups of 5А for those promoted into it (the
    # opening cannot know who will be: the outcomes are decided here).
    carried = carry_split(uow, subgroup_moves(plan, new_classes), recorder)
    if carried:
        uow.audit("subgroup.carry", object_type="academic_year", object_id=nxt.id,
                  detail=f"{year.name} -> {nxt.name}: учеников в подгруппах {carried}")
    recorder.changing(year, ["status"])
    year.status = "closed"
    uow.session.flush()
    files = yeararchive.store_archive(uow, year, recorder)
    folder = yeararchive.write_copies(uow, year, files, archive_dir)
    labels = {key: order_label(order) for key, order in orders.items()}
    items = []
    for s in plan.students:
        assert s.outcome is not None
        started_id = new_by_person.get(s.person_id)
        ref = plan.order_for(s)
        assert ref is not None
        items.append(CloseItem(s.person_id, s.full_name, s.class_name, s.outcome,
                               s.target_class if started_id is not None else (s.destination or None),
                               labels[_order_key(ref)], int(enrolments[s.person_id].id), started_id))
    counts = plan.counts()
    run = recorder.save(nxt.id, counts)
    uow.audit("year.close", object_type="academic_year", object_id=year.id,
              detail=f"{year.name}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return CloseReport(year.name, nxt.name, tuple(items), counts, tuple(created), tuple(found),
                       tuple(ArchiveFileView(f.name, f.size, f.sha256) for f in files), folder, None, run.id,
                       subgroups_carried=carried)


# ---------------------------------------------------------------------------------------------------------
# Protocol (XLSX)
# ---------------------------------------------------------------------------------------------------------

PROTOCOL_HEADERS = ("Класс", "ФИО", "Дата рождения", "Решение", "Куда", "Приказ", "Задолженность")


def protocol_xlsx(plan: ClosePlan, school_name: str = "") -> bytes:
    """The plan as a spreadsheet: sheet «Протокол» (per class: who goes where under which order) and sheet
    «Итоги» (counts per class and in total)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from zhurnal.core.letters.xlsx import neutralise

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Протокол"
    sheet.append([f"Протокол перевода обучающихся, {plan.year_name} → {plan.next_year_name or '—'}"
                  + (f", {school_name}" if school_name else "")])
    sheet.cell(1, 1).font = Font(bold=True)
    sheet.append(list(PROTOCOL_HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for class_name, students in plan.by_class():
        for s in students:
            ref = plan.order_for(s)
            where = s.target_class if s.outcome in STAYING else (s.destination or "")
            sheet.append([neutralise(class_name), neutralise(s.full_name), s.birth_date,
                          OUTCOMES.get(s.outcome or "", "решение не принято"), neutralise(where or ""),
                          ref.label if ref else "", neutralise(s.debt or "")])
            row = sheet.max_row
            sheet.cell(row, 3).number_format = "DD.MM.YYYY"
            for column in (1, 2, 4, 5, 6, 7):
                sheet.cell(row, column).data_type = "s"
    for letter, width in zip("ABCDEFG", (8, 36, 14, 44, 30, 22, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    totals = book.create_sheet("Итоги")
    totals.append(["Класс", *OUTCOMES.values(), "Всего"])
    for cell in totals[1]:
        cell.font = Font(bold=True)
    for class_name, students in plan.by_class():
        row = [sum(1 for s in students if s.outcome == key) for key in OUTCOMES]
        totals.append([class_name, *row, len(students)])
    counts = plan.counts()
    totals.append(["Итого", *(counts[key] for key in OUTCOMES), counts["total"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------------------

class PromotionService(Service):
    """Closing an academic year: plan, preview, protocol, apply (undo: RolloverService.undo_last)."""

    area = "year"

    @service("year.manage", write=False)
    def plan_close(self, uow: UnitOfWork, year_id: int, *, after_basic: str = "continue",
                   orders: dict[str, OrderRef] | None = None) -> ClosePlan:
        """The proposed outcome of every active student of the year (grade rules; `after_basic` decides
        grade 9: "continue" into 10 or "leave_basic"), with `orders` by kind (promotion, graduation,
        departure)."""
        with collector_paused():
            return build_plan(uow, get_year(uow, year_id), after_basic, orders)

    @service("year.manage", write=False)
    def preview(self, uow: UnitOfWork, plan: ClosePlan) -> ClosePreview:
        """Counts per outcome in total and per class, every problem applying would refuse on, the final
        marks still missing and how many subgroup places the closing would carry. Writes nothing."""
        return preview(uow, plan)

    # export.personal_data, not year.manage: the protocol lists every student's name and birth date, like the
    # movement book's XLSX (MovementService.export_xlsx); the deputy who closes the year sees it on screen.
    @service("export.personal_data")
    def protocol(self, uow: UnitOfWork, plan: ClosePlan) -> bytes:
        """The plan as an XLSX protocol (per class: who goes where under which order). Audited."""
        from zhurnal.core.models import School

        year = get_year(uow, plan.year_id)
        school = uow.session.get(School, uow.school_id)
        uow.audit("year.protocol", object_type="academic_year", object_id=year.id,
                  detail=f"{year.name}: обучающихся {len(plan.students)}")
        return protocol_xlsx(plan, school.name if school else "")

    @service("year.manage")
    def apply_close(self, uow: UnitOfWork, plan: ClosePlan, *, ignore_missing_marks: bool = False,
                    archive_dir: Path | None = None) -> CloseReport:
        """Close the year by the plan in one transaction, after the automatic backup: ValidationFailed
        listing every problem when the plan cannot be applied; a year already closed with nobody left is
        reported as such. The archive goes into the database and, as files, into `archive_dir` (default:
        archive/ in the data folder)."""
        year = get_year(uow, plan.year_id)
        with collector_paused():
            if year.status == "closed" and not active_enrolments(uow, year) and not plan.students:
                return CloseReport(year.name, plan.next_year_name, (), plan.counts(), (), (), (), None, None, None,
                                   already_closed=True)
            problems = check_plan(uow, plan)
            if not ignore_missing_marks:
                missing = missing_final_marks(uow, year)
                if missing:
                    problems.append(Problem("final_marks", "missing", f"Не выставлены итоговые отметки: {len(missing)}"
                                                                      " (класс, предмет); см. предпросмотр"))
        if problems:
            raise ValidationFailed(problems)
        from zhurnal.core.backup import keys
        from zhurnal.core.backup.service import auto_backup

        backup = None
        if keys.list_recipients():
            # The backup reads in its own transaction and audits: end ours first (nothing written yet), then
            # check again in a fresh one, since someone may have changed something meanwhile.
            uow.session.rollback()
            backup = auto_backup(self.store, "year-close")
            refuse_again = check_plan(uow, plan)
            if refuse_again:
                raise ValidationFailed(refuse_again)
        with collector_paused():
            report = apply_plan(uow, plan, archive_dir=archive_dir)
        return dataclasses.replace(report, backup=backup)


def outcome_rows(items: Sequence[CloseItem]) -> list[dict[str, Any]]:
    """The report as plain dicts (for JSON output)."""
    return [dataclasses.asdict(i) for i in items]
