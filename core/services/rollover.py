"""Opening the next academic year: a proposal built from last year, edited by the caller, applied at once.

`propose_open` returns an `OpenProposal`: the new year with the terms the user gave (dates are always asked
for, never "last year + 365 days"), and the classes, curriculum, teaching assignments and class teachers it
would carry over from last year, each linked to its twin there:

- a class of a grade with a next grade is carried: 5А becomes 6А of the new year (previous_class_id = 5А);
- classes of the final grade (no next grade) are not carried: they graduate;
- classes of a terminal grade that has a next grade (9) are not carried either: after basic education the
  10th classes are formed anew from the 9th-graders who continue (the letters of last year's 10th classes);
- first classes are created with the letters of last year's first classes;
- curriculum items are copied per grade, assignments follow their class (6А keeps 5А's teachers), and new
  first and 10th classes take the assignments of last year's class of the same name. A teacher no longer
  employed on the new year's first day is left out; the class teacher stays with a carried class.

Every element has `include`; the caller edits the proposal with `dataclasses.replace` and passes it back to
`apply_open`, which runs in one transaction after the automatic backup. Applying twice does no harm: rows
already there (the year by name, classes by name, curriculum by grade and subject, assignments by class,
subject and subgroup) are matched and reported, not duplicated. `undo_last` reverses the newest opening or
closing exactly (core/services/yearlog.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from zhurnal.core.errors import Conflict, ValidationFailed
from zhurnal.core.models import (
    AcademicYear,
    CurriculumItem,
    GradeLevel,
    Person,
    SchoolClass,
    StaffPosition,
    Subject,
    TeachingAssignment,
    Term,
)
from zhurnal.core.services import yearlog
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import active_on, clean_letter, full_name, letter_order
from zhurnal.core.services.common import collector_paused, flush, refuse
from zhurnal.core.services.curriculum import clean_hours
from zhurnal.core.services.years import (
    KIND_NAMES,
    TermInput,
    YearView,
    check_terms,
    check_year,
    get_year,
    term_kinds_in_use,
    year_view,
)
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_text, format_date

CLASS_SOURCES = ("carried", "first", "formed")  # from last year's twin | new first class | new after grade 9


@dataclass(frozen=True)
class ClassPlan:
    """A class of the new year; `name` ("6А") is how assignments refer to it."""

    name: str
    parallel: int
    letter: str
    source: str  # carried | first | formed
    previous_class_id: int | None
    previous_name: str | None
    class_teacher_id: int | None
    class_teacher_name: str | None
    include: bool = True


@dataclass(frozen=True)
class CurriculumPlan:
    grade: int
    subject_id: int
    subject_name: str
    hours: Decimal
    previous_id: int | None
    include: bool = True


@dataclass(frozen=True)
class AssignmentPlan:
    class_name: str
    subject_id: int
    subject_name: str
    teacher_id: int
    teacher_name: str
    subgroup: str | None
    previous_id: int | None
    include: bool = True


@dataclass(frozen=True)
class OpenProposal:
    """What opening the year would do; edit with dataclasses.replace and pass to `apply_open`."""

    from_year_id: int
    from_year_name: str
    name: str
    start: date
    end: date
    terms: tuple[TermInput, ...]
    classes: tuple[ClassPlan, ...]
    curriculum: tuple[CurriculumPlan, ...]
    assignments: tuple[AssignmentPlan, ...]
    existing_year_id: int | None = None  # the year is already there: applying matches instead of creating


@dataclass(frozen=True)
class OpenItem:
    """One line of the report: what (year, term, class, curriculum, assignment), which, and what happened."""

    kind: str
    label: str
    status: str  # created | matched | skipped (excluded or impossible; `note` says why)
    note: str | None = None


@dataclass(frozen=True)
class OpenReport:
    year: YearView | None  # None on a dry run that would create the year
    items: tuple[OpenItem, ...]
    dry_run: bool
    run_id: int | None = None
    backup: Path | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> number


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------

def _employed(uow: UnitOfWork, day: date) -> set[int]:
    """Person ids holding a staff position on `day`."""
    return set(uow.session.scalars(select(StaffPosition.person_id).where(
        StaffPosition.school_id == uow.school_id, active_on(StaffPosition, day))))


def _names(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = uow.session.execute(select(Person.id, Person.last_name, Person.first_name, Person.middle_name)
                               .where(Person.id.in_(ids)))
    return {r.id: full_name(r.last_name, r.first_name, r.middle_name) for r in rows}


def levels_by_number(uow: UnitOfWork) -> dict[int, GradeLevel]:
    return {lv.number: lv for lv in uow.session.scalars(select(GradeLevel).where(
        GradeLevel.school_id == uow.school_id))}


def previous_year(uow: UnitOfWork, from_year_id: int | None) -> AcademicYear:
    """The given year, or the school's latest one."""
    if from_year_id is not None:
        return get_year(uow, from_year_id)
    year = uow.session.scalars(select(AcademicYear).where(AcademicYear.school_id == uow.school_id)
                               .order_by(AcademicYear.start_date.desc())).first()
    if year is None:
        raise ValidationFailed([Problem("from_year_id", "not_found", "Предыдущий год: в школе нет ни одного "
                                                                     "учебного года")])
    return year


def _check_dates(uow: UnitOfWork, name: str, start: date, end: date, terms: Sequence[TermInput],
                 old: AcademicYear) -> list[Problem]:
    problems = check_year(name, start, end)
    if problems:
        return problems
    problems += check_terms(terms, start, end)
    given = {t.kind for t in terms}
    problems += [Problem("terms", "required", f"Периоды: не заданы {KIND_NAMES[kind][0]}, а они используются "
                                              "в школе (настройка деления года)")
                 for kind in sorted(term_kinds_in_use(uow) - given)]
    if old.end_date >= start:
        problems.append(Problem("start", "out_of_range", f"Начало года: {format_date(start)} — не позже конца "
                                                         f"предыдущего года {old.name} "
                                                         f"({format_date(old.end_date)})"))
    return problems


def _tally(items: Sequence[OpenItem]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        per = counts.setdefault(item.kind, {})
        per[item.status] = per.get(item.status, 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------------------
# Proposal
# ---------------------------------------------------------------------------------------------------------

def build_proposal(uow: UnitOfWork, old: AcademicYear, name: str, start: date, end: date,
                   terms: Sequence[TermInput]) -> OpenProposal:
    """The proposal for opening `name` after `old` (see the module docstring for the rules)."""
    levels = levels_by_number(uow)
    by_id = {lv.id: lv for lv in levels.values()}
    employed = _employed(uow, start)
    old_classes = sorted(uow.session.scalars(select(SchoolClass).where(SchoolClass.year_id == old.id)),
                         key=lambda c: (c.parallel, letter_order(c.letter)))
    # Grades entered from a terminal grade (10 after 9) are formed anew, like first classes.
    formed_levels = {lv.next_level_id for lv in levels.values() if lv.is_terminal and lv.next_level_id}
    first_number = min(levels) if levels else 1
    teachers = _names(uow, {c.class_teacher_id for c in old_classes if c.class_teacher_id in employed})
    plans: list[ClassPlan] = []
    source_of: dict[str, SchoolClass] = {}  # new class name -> the old class whose assignments it takes
    for c in old_classes:
        level = by_id.get(c.grade_level_id)
        if level is None or level.is_terminal or level.next_level_id is None:
            continue
        nxt = by_id[level.next_level_id]
        if nxt.id in formed_levels:
            continue
        teacher = c.class_teacher_id if c.class_teacher_id in teachers else None
        plan = ClassPlan(f"{nxt.number}{c.letter}", nxt.number, c.letter, "carried", c.id, c.name, teacher,
                         teachers.get(teacher) if teacher is not None else None)
        plans.append(plan)
        source_of[plan.name] = c
    for level in sorted((lv for lv in levels.values() if lv.id in formed_levels or lv.number == first_number),
                        key=lambda lv: lv.number):
        same_level = [c for c in old_classes if c.grade_level_id == level.id]
        source = "first" if level.number == first_number else "formed"
        for c in same_level:
            plans.append(ClassPlan(c.name, level.number, c.letter, source, None, None, None, None))
            source_of[c.name] = c
        if not same_level:
            plans.append(ClassPlan(f"{level.number}А", level.number, "А", source, None, None, None, None))
    plans.sort(key=lambda p: (p.parallel, letter_order(p.letter)))

    subjects = {s.id: s for s in uow.session.scalars(select(Subject).where(Subject.school_id == uow.school_id))}
    curriculum = []
    grades_with_plan: dict[int, set[int]] = {}
    for item in uow.session.scalars(select(CurriculumItem).where(CurriculumItem.year_id == old.id)
                                    .order_by(CurriculumItem.id)):
        level = by_id[item.grade_level_id]
        subject = subjects[item.subject_id]
        curriculum.append(CurriculumPlan(level.number, subject.id, subject.name, item.hours_per_week, item.id,
                                         not subject.archived))
        grades_with_plan.setdefault(level.number, set()).add(subject.id)
    curriculum.sort(key=lambda c: (c.grade, c.subject_name))

    live = uow.session.scalars(select(TeachingAssignment).where(TeachingAssignment.year_id == old.id,
                                                                TeachingAssignment.deleted_at.is_(None))
                               .order_by(TeachingAssignment.id)).all()
    by_class: dict[int, list[TeachingAssignment]] = {}
    for a in live:
        by_class.setdefault(a.class_id, []).append(a)
    teacher_names = _names(uow, {a.teacher_id for a in live})
    assignments = []
    for plan in plans:
        old_class = source_of.get(plan.name)
        if old_class is None:
            continue
        taught = grades_with_plan.get(plan.parallel)
        for a in by_class.get(old_class.id, []):
            if a.teacher_id not in employed or (taught is not None and a.subject_id not in taught):
                continue
            subject = subjects[a.subject_id]
            assignments.append(AssignmentPlan(plan.name, subject.id, subject.name, a.teacher_id,
                                              teacher_names.get(a.teacher_id, ""), a.subgroup, a.id,
                                              not subject.archived))
    existing = uow.session.scalar(select(AcademicYear.id).where(AcademicYear.school_id == uow.school_id,
                                                               AcademicYear.name == name))
    return OpenProposal(old.id, old.name, name, start, end, tuple(terms), tuple(plans), tuple(curriculum),
                        tuple(assignments), existing)


# ---------------------------------------------------------------------------------------------------------
# Apply
# ---------------------------------------------------------------------------------------------------------

class _Opening:
    """One application of a proposal (see RolloverService.apply_open)."""

    def __init__(self, uow: UnitOfWork, proposal: OpenProposal, dry_run: bool, today: date | None) -> None:
        self.uow = uow
        self.p = proposal
        self.dry_run = dry_run
        self.today = today or date.today()
        self.items: list[OpenItem] = []
        self.recorder = yearlog.Recorder(uow, "open", proposal.from_year_id)
        self.year: AcademicYear | None = None

    def add(self, row: object) -> None:
        self.uow.session.add(row)

    def run(self) -> OpenReport:
        old = get_year(self.uow, self.p.from_year_id)
        self.open_year(old)
        classes = self.classes()
        self.curriculum()
        self.assignments(classes)
        run_id = None
        if not self.dry_run:
            flush(self.uow, f"Учебный год {self.p.name}")
            if self.recorder.items:
                assert self.year is not None
                run = self.recorder.save(self.year.id, _tally(self.items))
                run_id = run.id
                self.uow.audit("year.open", object_type="academic_year", object_id=self.year.id,
                               detail=f"{self.p.name}: создано {len(self.recorder.items)} записей")
        return OpenReport(year_view(self.year) if self.year is not None and self.year.id else None,
                          tuple(self.items), self.dry_run, run_id, counts=_tally(self.items))

    def open_year(self, old: AcademicYear) -> None:
        uow, p = self.uow, self.p
        year = uow.session.scalar(select(AcademicYear).where(AcademicYear.school_id == uow.school_id,
                                                             AcademicYear.name == p.name))
        if year is not None:
            if year.previous_year_id != old.id:
                raise Conflict(f"Учебный год {p.name} уже есть, но он не следует за {old.name}; "
                               "выберите другой год или название")
            self.year = year
            self.items.append(OpenItem("year", p.name, "matched"))
            return
        refuse(_check_dates(uow, p.name, p.start, p.end, p.terms, old))
        overlapping = uow.session.scalars(select(AcademicYear.name).where(
            AcademicYear.school_id == uow.school_id, AcademicYear.start_date <= p.end,
            AcademicYear.end_date >= p.start)).first()
        if overlapping is not None:
            raise ValidationFailed([Problem("start", "overlap", f"Даты года: {format_date(p.start)}–"
                                                                f"{format_date(p.end)} пересекаются с "
                                                                f"учебным годом {overlapping}")])
        self.items.append(OpenItem("year", p.name, "created"))
        self.items += [OpenItem("term", t.name, "created") for t in p.terms]
        if self.dry_run:
            return
        status = "planned" if p.start > self.today else "open"
        year = AcademicYear(school_id=uow.school_id, name=p.name, start_date=p.start, end_date=p.end,
                            status=status, previous_year_id=old.id)
        self.add(year)
        flush(uow, f"Учебный год {p.name}")
        self.recorder.created(year)
        uow.audit("year.create", object_type="academic_year", object_id=year.id,
                  fields=["name", "start_date", "end_date", "status", "previous_year_id"])
        for t in p.terms:
            term = Term(school_id=uow.school_id, year_id=year.id, kind=t.kind, number=t.number,
                        name=clean_text(t.name, "name")[0], start_date=t.start, end_date=t.end)
            self.add(term)
            flush(uow, f"Периоды года {p.name}")
            self.recorder.created(term)
        self.year = year

    def classes(self) -> dict[str, int]:
        """Class name -> id in the new year (0 for classes a dry run would create)."""
        uow = self.uow
        levels = levels_by_number(uow)
        existing: dict[str, SchoolClass] = {}
        if self.year is not None and self.year.id:
            existing = {c.name: c for c in uow.session.scalars(select(SchoolClass).where(
                SchoolClass.year_id == self.year.id))}
        employed = _employed(uow, self.p.start)
        result = {name: c.id for name, c in existing.items()}
        problems: list[Problem] = []
        for plan in self.p.classes:
            if not plan.include:
                self.items.append(OpenItem("class", plan.name, "skipped", "исключён из предложения"))
                continue
            letter, found = clean_letter(plan.letter)
            level = levels.get(plan.parallel)
            if found or letter is None or level is None:
                problems += found or [Problem("classes", "not_found", f"Класс {plan.name}: в школе нет "
                                                                      f"{plan.parallel} класса")]
                continue
            name = f"{plan.parallel}{letter}"
            if name in existing:
                self.items.append(OpenItem("class", name, "matched"))
                continue
            if plan.class_teacher_id is not None and plan.class_teacher_id not in employed:
                problems.append(Problem("classes", "not_staff", f"Класс {name}: классный руководитель "
                                                                f"№ {plan.class_teacher_id} не работает в школе "
                                                                f"на {format_date(self.p.start)}"))
                continue
            self.items.append(OpenItem("class", name, "created"))
            if self.dry_run:
                result[name] = 0
                continue
            assert self.year is not None
            row = SchoolClass(school_id=uow.school_id, year_id=self.year.id, grade_level_id=level.id,
                              parallel=plan.parallel, letter=letter, name=name,
                              class_teacher_id=plan.class_teacher_id, previous_class_id=plan.previous_class_id)
            self.add(row)
            flush(uow, f"Класс {name}")
            self.recorder.created(row)
            existing[name] = row
            result[name] = row.id
            uow.audit("class.create", object_type="class", object_id=row.id,
                      fields=["year_id", "parallel", "letter", "name"]
                      + [f for f in ("class_teacher_id", "previous_class_id") if getattr(row, f) is not None])
        refuse(problems)
        return result

    def curriculum(self) -> None:
        uow = self.uow
        levels = levels_by_number(uow)
        existing: set[tuple[int, int]] = set()
        if self.year is not None and self.year.id:
            existing = {(r.grade_level_id, r.subject_id) for r in uow.session.scalars(
                select(CurriculumItem).where(CurriculumItem.year_id == self.year.id))}
        rows = []
        for plan in self.p.curriculum:
            label = f"{plan.grade} класс: {plan.subject_name}"
            level = levels.get(plan.grade)
            if not plan.include or level is None:
                self.items.append(OpenItem("curriculum", label, "skipped", "исключён из предложения"))
                continue
            hours = clean_hours(plan.hours)
            if (level.id, plan.subject_id) in existing or hours == 0:
                self.items.append(OpenItem("curriculum", label, "matched" if hours else "skipped"))
                continue
            existing.add((level.id, plan.subject_id))
            self.items.append(OpenItem("curriculum", label, "created"))
            if not self.dry_run:
                assert self.year is not None
                rows.append(CurriculumItem(school_id=uow.school_id, year_id=self.year.id, grade_level_id=level.id,
                                           subject_id=plan.subject_id, hours_per_week=hours,
                                           previous_id=plan.previous_id))
        if rows:
            uow.session.add_all(rows)
            flush(uow, "Учебный план")
            for row in rows:
                self.recorder.created(row)
            uow.audit("curriculum.copy", object_type="academic_year", object_id=rows[0].year_id,
                      detail=f"строк учебного плана: {len(rows)}")

    def assignments(self, classes: dict[str, int]) -> None:
        uow = self.uow
        existing: set[tuple[int, int, str | None]] = set()
        if self.year is not None and self.year.id:
            existing = {(a.class_id, a.subject_id, a.subgroup) for a in uow.session.scalars(
                select(TeachingAssignment).where(TeachingAssignment.year_id == self.year.id,
                                                 TeachingAssignment.deleted_at.is_(None)))}
        employed = _employed(uow, self.p.start)
        rows = []
        for plan in self.p.assignments:
            label = f"{plan.class_name}: {plan.subject_name}" + (f" ({plan.subgroup})" if plan.subgroup else "")
            class_id = classes.get(plan.class_name)
            if not plan.include:
                self.items.append(OpenItem("assignment", label, "skipped", "исключено из предложения"))
                continue
            if class_id is None:
                self.items.append(OpenItem("assignment", label, "skipped", f"класса {plan.class_name} нет "
                                                                           "в новом году"))
                continue
            if plan.teacher_id not in employed:
                self.items.append(OpenItem("assignment", label, "skipped", "учитель не работает в школе на "
                                                                           "начало года"))
                continue
            key = (class_id, plan.subject_id, plan.subgroup)
            if class_id and key in existing:
                self.items.append(OpenItem("assignment", label, "matched"))
                continue
            existing.add(key)
            self.items.append(OpenItem("assignment", label, "created"))
            if not self.dry_run:
                assert self.year is not None
                rows.append(TeachingAssignment(school_id=uow.school_id, year_id=self.year.id, class_id=class_id,
                                               subject_id=plan.subject_id, teacher_id=plan.teacher_id,
                                               subgroup=plan.subgroup, previous_id=plan.previous_id))
        if rows:
            uow.session.add_all(rows)
            flush(uow, "Назначения учителей")
            for row in rows:
                self.recorder.created(row)
            uow.audit("assignment.copy", object_type="academic_year", object_id=rows[0].year_id,
                      detail=f"назначений: {len(rows)}")


class RolloverService(Service):
    """Opening the next academic year from the last one, and undoing the last opening or closing."""

    area = "year"

    @service("year.manage", write=False)
    def propose_open(self, uow: UnitOfWork, name: str, start: date, end: date, terms: Sequence[TermInput],
                     from_year_id: int | None = None) -> OpenProposal:
        """What opening year `name` (dates and terms as given) after `from_year_id` (default: the latest
        year) would create. ValidationFailed for bad dates or terms, unless the year already exists."""
        name = (name or "").strip()
        existing = uow.session.scalar(select(AcademicYear).where(AcademicYear.school_id == uow.school_id,
                                                                 AcademicYear.name == name))
        if from_year_id is None and existing is not None and existing.previous_year_id is not None:
            from_year_id = existing.previous_year_id  # a second run: the year it was opened from
        old = previous_year(uow, from_year_id)
        if existing is None:
            refuse(_check_dates(uow, name, start, end, terms, old))
        return build_proposal(uow, old, name, start, end, terms)

    @service("year.manage")
    def apply_open(self, uow: UnitOfWork, proposal: OpenProposal, *, dry_run: bool = False,
                   today: date | None = None) -> OpenReport:
        """Create what the (edited) proposal holds and is not there yet, in one transaction, after the
        automatic backup (when a backup recipient is configured). With `dry_run` nothing is written and the
        report says what would be created and what is already there."""
        backup = None
        if not dry_run:
            # Before the unit of work touches the database (its session connects lazily): the backup reads
            # the database in its own transaction and must not wait for ours.
            from zhurnal.core.backup.service import auto_backup

            backup = auto_backup(self.store, "year-open")
        with collector_paused():
            report = _Opening(uow, proposal, dry_run, today).run()
        return OpenReport(report.year, report.items, report.dry_run, report.run_id, backup, report.counts)

    @service("year.manage", write=False)
    def last_run(self, uow: UnitOfWork) -> yearlog.RunView | None:
        """The newest opening or closing that undo would reverse, or None."""
        run = yearlog.last_run(uow)
        return yearlog.run_view(uow, run) if run is not None else None

    @service("year.manage")
    def undo_last(self, uow: UnitOfWork, *, dry_run: bool = False) -> yearlog.UndoReport:
        """Reverse the newest opening or closing exactly (rows it created removed, rows it changed given
        their old values); refused with Conflict when any of them changed since."""
        report = yearlog.undo(uow, dry_run=dry_run)
        if report.run.kind == "close" and not dry_run and report.run.from_year_id is not None:
            from zhurnal.core.services.yeararchive import remove_copies

            remove_copies(uow, get_year(uow, report.run.from_year_id))
        return report
