"""The core calls behind the school-structure screens (subjects and curriculum, teaching assignments, settings),
as plain functions that run in thread workers; nothing here imports Textual (see tui/app/workers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from zhurnal.core.services.assignments import AssignmentService, AssignmentView, RemovalReport, TeacherChange
from zhurnal.core.services.calendar import default_terms
from zhurnal.core.services.classes import ClassRow, ClassService
from zhurnal.core.services.curriculum import CurriculumRow, CurriculumService
from zhurnal.core.services.schools import SchoolService, SchoolView
from zhurnal.core.services.settings import SchoolSettings, SettingsService
from zhurnal.core.services.subjects import SubjectService, SubjectView
from zhurnal.core.services.years import TermInput, TermView, YearService, YearView
from zhurnal.tui.app.context import Context
from zhurnal.tui.app.workers import current_year

# ------------------------------------------------------------------------------------- subjects, curriculum


@dataclass(frozen=True)
class SubjectsData:
    year: YearView | None
    subjects: list[SubjectView]  # archived ones included (the screen marks them)


def load_subjects(ctx: Context) -> SubjectsData:
    """Every subject of the school and the year whose curriculum the screen shows."""
    subjects = SubjectService(ctx.store).list(ctx.signed_in(), include_archived=True)
    return SubjectsData(current_year(ctx), subjects)


def load_curriculum(ctx: Context, year_id: int, grade: int) -> tuple[list[CurriculumRow], Decimal]:
    """One grade's plan and its weekly total."""
    rows = CurriculumService(ctx.store).list(ctx.signed_in(), year_id, grade)
    return rows, sum((r.hours for r in rows), Decimal(0))


def save_subject(ctx: Context, subject: SubjectView | None, name: str, short_name: str | None) -> SubjectView:
    """Create a subject (`subject` None) or rename it."""
    service = SubjectService(ctx.store)
    if subject is None:
        return service.create(ctx.signed_in(), name, short_name)
    return service.rename(ctx.signed_in(), subject.id, subject.version, name, short_name)


def set_archived(ctx: Context, subject: SubjectView, archived: bool) -> SubjectView:
    service = SubjectService(ctx.store)
    if archived:
        return service.archive(ctx.signed_in(), subject.id, subject.version)
    return service.unarchive(ctx.signed_in(), subject.id, subject.version)


def set_hours(ctx: Context, year_id: int, grade: int, subject_id: int, hours: str) -> CurriculumRow | None:
    """Add, change or (hours "0") remove one curriculum item."""
    return CurriculumService(ctx.store).set_hours(ctx.signed_in(), year_id, grade, subject_id, hours)


# -------------------------------------------------------------------------------------------- assignments


@dataclass(frozen=True)
class AssignmentsData:
    year: YearView | None
    classes: list[ClassRow]
    assignments: list[AssignmentView]


def load_assignments(ctx: Context) -> AssignmentsData:
    """The live assignments of the current year with the year's classes (for the class filter and the form).

    A year of one school holds a few hundred assignments, so the list comes whole and the screen narrows it.
    """
    actor = ctx.signed_in()
    year = current_year(ctx)
    if year is None:
        return AssignmentsData(None, [], [])
    classes = ClassService(ctx.store).list(actor, year.id, on=ctx.day())
    return AssignmentsData(year, classes, AssignmentService(ctx.store).list(actor, year_id=year.id))


def active_subjects(ctx: Context) -> list[SubjectView]:
    """Subjects not in the archive (what a new assignment or curriculum item may name)."""
    return SubjectService(ctx.store).list(ctx.signed_in())


def assignment_impact(ctx: Context, assignment_id: int) -> RemovalReport:
    return AssignmentService(ctx.store).impact(ctx.signed_in(), assignment_id)


def assign(ctx: Context, class_id: int, subject_id: int, teacher_id: int, subgroup: str | None) -> AssignmentView:
    return AssignmentService(ctx.store).assign(ctx.signed_in(), class_id, subject_id, teacher_id, subgroup,
                                               today=ctx.day())


def remove_assignment(ctx: Context, assignment: AssignmentView) -> RemovalReport:
    return AssignmentService(ctx.store).remove(ctx.signed_in(), assignment.id, assignment.version)


def change_teacher(ctx: Context, assignment: AssignmentView, teacher_id: int) -> TeacherChange:
    return AssignmentService(ctx.store).change_teacher(ctx.signed_in(), assignment.id, assignment.version,
                                                       teacher_id, today=ctx.day())


# ------------------------------------------------------------------------------------- people list filters


def load_years(ctx: Context) -> tuple[list[YearView], YearView | None]:
    """Every year of the school (newest first) and the current one, for the students' year filter."""
    return list(reversed(YearService(ctx.store).list(ctx.signed_in()))), current_year(ctx)


def classes_of_year(ctx: Context, year_id: int) -> list[ClassRow]:
    return ClassService(ctx.store).list(ctx.signed_in(), year_id, on=ctx.day())


# ----------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SettingsData:
    school: SchoolView
    settings: SchoolSettings
    year: YearView | None
    terms: list[TermView]  # the current year's, every kind it has


def load_settings(ctx: Context) -> SettingsData:
    actor = ctx.signed_in()
    year = current_year(ctx)
    terms = YearService(ctx.store).terms(actor, year.id) if year is not None else []
    return SettingsData(SchoolService(ctx.store).get(actor), SettingsService(ctx.store).get_all(actor), year, terms)


def save_profile(ctx: Context, version: int, name: str, short_name: str | None, address: str | None) -> SchoolView:
    return SettingsService(ctx.store).update_profile(ctx.signed_in(), version, name, short_name, address)


def set_setting(ctx: Context, key: str, value: object, grade: int | None = None) -> SchoolSettings:
    return SettingsService(ctx.store).set(ctx.signed_in(), key, value, grade=grade, today=ctx.day())


def add_default_terms(ctx: Context, year: YearView, kind: str) -> list[TermView]:
    """Give the year the usual terms of `kind` (calendar.default_terms); their dates are edited one by one."""
    terms = [TermInput(kind, number, name, start, end)
             for number, (name, start, end) in enumerate(default_terms(year.start.year, kind), 1)]
    return YearService(ctx.store).add_terms(ctx.signed_in(), year.id, terms)


def update_term(ctx: Context, term: TermView, start: date, end: date, name: str) -> TermView:
    return YearService(ctx.store).update_term(ctx.signed_in(), term.id, term.version, start, end, name)
