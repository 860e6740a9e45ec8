"""The quarterly activity report: how staff, students and parents use the journal, for a term or any dates.

Figures come from the daily activity roll-up (core/activity.py) and the journal tables, aggregated in SQL;
nothing loops over events in Python, so the report takes the same time and memory whatever the number of
events. Definitions (docs/report.md):
- an account counts under a role group when it holds one of the group's roles in the school; totals count
  each account once however many roles it holds;
- activated: logged in at least once by the end of the period; active: at least one login in the period;
- a journal entry is late when made more than `late_days` days after its lesson;
- fill rate: lessons held with a topic, in per cent of lessons held (held: dated in the period, up to today).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select

from zhurnal.core import activity
from zhurnal.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import (
    TERMS_PER_KIND,
    AcademicYear,
    ActivityDaily,
    Enrolment,
    Guardianship,
    Lesson,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    TeachingAssignment,
    Term,
    User,
)
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import full_name, letter_order
from zhurnal.core.services.settings import _settings
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, format_date

# role group -> the roles that put an account in it, in the order the report shows them
ROLE_GROUPS: dict[str, frozenset[str]] = {
    "staff": frozenset({"admin", "deputy", "teacher", "class_teacher", "auditor", "backup_operator"}),
    "teachers": frozenset({"teacher", "class_teacher"}),
    "students": frozenset({"student"}),
    "parents": frozenset({"parent"}),
}
DEFAULT_LATE_DAYS = 1


@dataclass(frozen=True)
class RoleRow:
    group: str  # staff | teachers | students | parents | total
    accounts: int
    activated: int
    active: int
    logins: int

    @property
    def share_active(self) -> float | None:
        """Active accounts in per cent of accounts (None without accounts)."""
        return round(100 * self.active / self.accounts, 1) if self.accounts else None


@dataclass(frozen=True)
class TeacherRow:
    person_id: int
    name: str
    lessons: int
    with_topic: int
    with_homework: int
    marks: int  # mark entries (putting, changing or removing a mark) during the period
    marks_on_time: int
    marks_late: int

    @property
    def fill_rate(self) -> float | None:
        return round(100 * self.with_topic / self.lessons, 1) if self.lessons else None


@dataclass(frozen=True)
class ClassRow:
    class_id: int
    name: str
    students: int
    students_active: int
    parents: int
    parents_viewed: int
    lessons: int
    attendance_taken: int

    @property
    def attendance_rate(self) -> float | None:
        return round(100 * self.attendance_taken / self.lessons, 1) if self.lessons else None


@dataclass(frozen=True)
class SchoolReport:
    school_id: int
    school_name: str
    roles: list[RoleRow]
    teachers: list[TeacherRow]
    classes: list[ClassRow]


@dataclass(frozen=True)
class ActivityReport:
    """One period's report; `previous` is the same report for the previous term of the same kind."""

    title: str  # "2 четверть 2026/2027" or the dates
    start: date
    end: date
    late_days: int
    schools: list[SchoolReport]
    previous: ActivityReport | None = None
    district_roles: list[RoleRow] = field(default_factory=list)  # totals over the schools (district report)

    @property
    def school(self) -> SchoolReport:
        return self.schools[0]


def _count_map(rows: Iterable[tuple[int, int]]) -> dict[int, int]:
    return {key: int(value) for key, value in rows}


def _roles(uow: UnitOfWork, school_id: int, start: date, end: date) -> list[RoleRow]:
    session = uow.session
    grants: dict[int, set[str]] = defaultdict(set)
    for user_id, role in session.execute(
            select(RoleGrant.user_id, RoleGrant.role).join(User, User.id == RoleGrant.user_id)
            .where(or_(RoleGrant.school_id == school_id, RoleGrant.school_id.is_(None)),
                   User.is_active.is_(True),
                   or_(User.school_id == school_id, User.school_id.is_(None)))):
        grants[user_id].add(role)
    logins = _count_map(session.execute(
        select(ActivityDaily.user_id, func.sum(ActivityDaily.events))
        .where(ActivityDaily.school_id == school_id, ActivityDaily.kind == "login",
               ActivityDaily.day >= start, ActivityDaily.day <= end)
        .group_by(ActivityDaily.user_id)))
    ever = set(session.scalars(
        select(ActivityDaily.user_id).distinct().where(ActivityDaily.school_id == school_id,
                                                      ActivityDaily.kind == "login", ActivityDaily.day <= end)))
    # Logins from before activity was recorded: the account's last login says it was activated.
    ever |= set(session.scalars(select(User.id).where(User.last_login_at.is_not(None),
                                                      User.id.in_(list(grants)))))
    rows = []
    groups = [*ROLE_GROUPS.items(), ("total", frozenset().union(*ROLE_GROUPS.values()))]
    for group, roles in groups:
        users = [u for u, held in grants.items() if held & roles]
        rows.append(RoleRow(group, len(users), sum(1 for u in users if u in ever or u in logins),
                            sum(1 for u in users if u in logins), sum(logins.get(u, 0) for u in users)))
    return rows


def _held(start: date, end: date, today: date) -> ColumnElement[bool]:
    """SQL condition: a live lesson dated inside the period and not after today."""
    return and_(Lesson.deleted_at.is_(None), Lesson.day >= start, Lesson.day <= min(end, today))


def _teachers(uow: UnitOfWork, school_id: int, start: date, end: date, today: date,
              late_days: int) -> list[TeacherRow]:
    session = uow.session
    lessons = {pid: (int(n), int(t or 0), int(h or 0)) for pid, n, t, h in session.execute(
        select(TeachingAssignment.teacher_id, func.count(Lesson.id),
               func.sum(case((func.coalesce(Lesson.topic, "") != "", 1), else_=0)),
               func.sum(case((func.coalesce(Lesson.homework, "") != "", 1), else_=0)))
        .join(Lesson, Lesson.assignment_id == TeachingAssignment.id)
        .where(TeachingAssignment.school_id == school_id, _held(start, end, today))
        .group_by(TeachingAssignment.teacher_id))}
    marks = {pid: (int(total), int(on_time or 0)) for pid, total, on_time in session.execute(
        select(User.person_id, func.sum(ActivityDaily.events),
               func.sum(case((ActivityDaily.lag <= late_days, ActivityDaily.events), else_=0)))
        .join(User, User.id == ActivityDaily.user_id)
        .where(ActivityDaily.school_id == school_id, ActivityDaily.kind == "mark", ActivityDaily.day >= start,
               ActivityDaily.day <= end, User.person_id.is_not(None))
        .group_by(User.person_id))}
    # Everyone who teaches in the years the period touches, with or without activity.
    teachers = session.execute(
        select(Person.id, Person.last_name, Person.first_name, Person.middle_name, Person.name_key).distinct()
        .join(TeachingAssignment, TeachingAssignment.teacher_id == Person.id)
        .join(AcademicYear, AcademicYear.id == TeachingAssignment.year_id)
        .where(TeachingAssignment.school_id == school_id, AcademicYear.start_date <= end,
               AcademicYear.end_date >= start)
        .order_by(Person.name_key, Person.id)).all()
    rows = []
    for pid, last, first, middle, _key in teachers:
        n, topic, homework = lessons.get(pid, (0, 0, 0))
        total, on_time = marks.get(pid, (0, 0))
        rows.append(TeacherRow(pid, full_name(last, first, middle), n, topic, homework, total, on_time,
                               total - on_time))
    return rows


def _classes(uow: UnitOfWork, school_id: int, start: date, end: date, today: date) -> list[ClassRow]:
    session = uow.session
    in_period = and_(Enrolment.start_date <= end, or_(Enrolment.end_date.is_(None), Enrolment.end_date >= start))
    classes = session.execute(
        select(SchoolClass.id, SchoolClass.name, SchoolClass.parallel, SchoolClass.letter)
        .join(AcademicYear, AcademicYear.id == SchoolClass.year_id)
        .where(SchoolClass.school_id == school_id, AcademicYear.start_date <= end,
               AcademicYear.end_date >= start)).all()
    students = _count_map(session.execute(
        select(Enrolment.class_id, func.count(distinct(Enrolment.person_id)))
        .where(Enrolment.school_id == school_id, in_period).group_by(Enrolment.class_id)))
    logged_in = (select(User.person_id).join(ActivityDaily, ActivityDaily.user_id == User.id)
                 .where(ActivityDaily.school_id == school_id, ActivityDaily.kind == "login",
                        ActivityDaily.day >= start, ActivityDaily.day <= end))
    active = _count_map(session.execute(
        select(Enrolment.class_id, func.count(distinct(Enrolment.person_id)))
        .where(Enrolment.school_id == school_id, in_period, Enrolment.person_id.in_(logged_in))
        .group_by(Enrolment.class_id)))
    guardian_in_period = and_(Guardianship.start_date <= end,
                              or_(Guardianship.end_date.is_(None), Guardianship.end_date >= start))
    parents = _count_map(session.execute(
        select(Enrolment.class_id, func.count(distinct(Guardianship.parent_id)))
        .join(Guardianship, Guardianship.student_id == Enrolment.person_id)
        .join(User, User.person_id == Guardianship.parent_id)
        .where(Enrolment.school_id == school_id, in_period, guardian_in_period, User.is_active.is_(True))
        .group_by(Enrolment.class_id)))
    viewed = _count_map(session.execute(
        select(ActivityDaily.class_id, func.count(distinct(User.person_id)))
        .join(User, User.id == ActivityDaily.user_id)
        .join(Guardianship, Guardianship.parent_id == User.person_id)
        .join(Enrolment, and_(Enrolment.person_id == Guardianship.student_id,
                              Enrolment.class_id == ActivityDaily.class_id))
        .where(ActivityDaily.school_id == school_id, ActivityDaily.kind == "diary_view",
               ActivityDaily.day >= start, ActivityDaily.day <= end, guardian_in_period, in_period)
        .group_by(ActivityDaily.class_id)))
    lessons = {cid: (int(n), int(taken or 0)) for cid, n, taken in session.execute(
        select(Lesson.class_id, func.count(Lesson.id), func.sum(case((Lesson.attendance_taken.is_(True), 1),
                                                                      else_=0)))
        .where(Lesson.school_id == school_id, _held(start, end, today)).group_by(Lesson.class_id))}
    rows = [ClassRow(cid, name, students.get(cid, 0), active.get(cid, 0), parents.get(cid, 0),
                     viewed.get(cid, 0), *lessons.get(cid, (0, 0)))
            for cid, name, parallel, letter in sorted(classes, key=lambda c: (c[2], letter_order(c[3]), c[0]))]
    return rows


def _school_report(uow: UnitOfWork, school: School, start: date, end: date, today: date, late_days: int,
                   *, details: bool) -> SchoolReport:
    return SchoolReport(school.id, school.name, _roles(uow, school.id, start, end),
                        _teachers(uow, school.id, start, end, today, late_days) if details else [],
                        _classes(uow, school.id, start, end, today) if details else [])


def previous_term(uow: UnitOfWork, term: Term) -> Term | None:
    """The term of the same kind just before `term` (the last one of the previous year for the first)."""
    return uow.session.scalar(select(Term).where(
        Term.school_id == term.school_id, Term.kind == term.kind, Term.end_date < term.start_date)
        .order_by(Term.end_date.desc()).limit(1))


# The kinds of term as an administrator says them (the message names the numbers that exist).
TERM_KIND_NAMES = {"quarter": "четверти", "trimester": "триместры", "half": "полугодия"}


def find_term(uow: UnitOfWork, number: int, year_name: str | None, today: date) -> Term:
    """The school's term `number` of the named year (default: the year holding today), of the school's kind."""
    query = select(AcademicYear).where(AcademicYear.school_id == uow.school_id)
    year = uow.session.scalar(query.where(AcademicYear.name == year_name) if year_name else
                              query.where(AcademicYear.start_date <= today).order_by(
                                  AcademicYear.start_date.desc()).limit(1))
    if year is None:
        raise NotFound(f"Учебный год {year_name or 'на ' + format_date(today)} не найден")
    kind = _settings(uow).term_kind
    term = uow.session.scalar(select(Term).where(Term.year_id == year.id, Term.kind == kind,
                                                 Term.number == number))
    if term is None:
        count = TERMS_PER_KIND.get(kind, 0)
        raise NotFound(f"В учебном году {year.name} нет периода № {number}: {TERM_KIND_NAMES.get(kind, kind)}"
                       f" — с 1 по {count}")
    return term


class ActivityReportService(Service):
    """Produce the activity report and purge old activity events."""

    area = "activity_report"

    @service("reports.activity", write=False)
    def for_term(self, uow: UnitOfWork, term_id: int, *, late_days: int = DEFAULT_LATE_DAYS,
                 district: bool = False, today: date | None = None) -> ActivityReport:
        """The report for a term, with the previous term of the same kind beside it."""
        term = uow.session.get(Term, term_id)
        if term is None or term.school_id != uow.school_id:
            raise NotFound(f"Период № {term_id} не найден")
        year = uow.session.get(AcademicYear, term.year_id)
        assert year is not None
        day = today or date.today()
        before = previous_term(uow, term)
        previous = None
        if before is not None:
            previous = self._report(uow, _term_title(uow, before), before.start_date, before.end_date, day,
                                    late_days, district)
        report = self._report(uow, f"{term.name} {year.name}", term.start_date, term.end_date, day, late_days,
                              district)
        return ActivityReport(report.title, report.start, report.end, late_days, report.schools, previous,
                              report.district_roles)

    @service("reports.activity", write=False)
    def for_dates(self, uow: UnitOfWork, start: date, end: date, *, late_days: int = DEFAULT_LATE_DAYS,
                  district: bool = False, today: date | None = None) -> ActivityReport:
        """The report for any date range (no previous-term comparison)."""
        if start > end:
            raise ValidationFailed([Problem("end", "dates_order", f"Период: {format_date(start)} позже "
                                                                  f"{format_date(end)}")])
        return self._report(uow, f"{format_date(start)} – {format_date(end)}", start, end, today or date.today(),
                            late_days, district)

    @service("reports.activity", write=False)
    def find_term(self, uow: UnitOfWork, number: int, year_name: str | None = None, *,
                  today: date | None = None) -> int:
        """The id of term `number` of a year (default: the current one), for `zhurnal report activity --term`."""
        return find_term(uow, number, year_name, today or date.today()).id

    @staticmethod
    def _report(uow: UnitOfWork, title: str, start: date, end: date, today: date, late_days: int,
                district: bool) -> ActivityReport:
        if late_days < 0:
            raise ValidationFailed([Problem("late_days", "out_of_range", "Опоздание: число дней не может быть "
                                                                         "отрицательным")])
        if district:
            user = uow.session.get(User, uow.actor.user_id) if uow.actor.user_id is not None else None
            if uow.actor.user_id is not None and (user is None or user.school_id is not None):
                # Other schools' figures: a refusal of scope, audited like any other (by the service decorator).
                raise PermissionDenied("reports.activity", "Недостаточно прав: отчёт по району строит районная "
                                                           "учётная запись")
            schools = list(uow.session.scalars(select(School).order_by(School.name, School.id)))
            reports = [_school_report(uow, s, start, end, today, late_days, details=False) for s in schools]
            totals = [RoleRow(rows[0].group, *(sum(getattr(r, f) for r in rows) for f in
                                               ("accounts", "activated", "active", "logins")))
                      for rows in zip(*(r.roles for r in reports), strict=True)]
            return ActivityReport(title, start, end, late_days, reports, None, totals)
        school = uow.session.get(School, uow.school_id)
        assert school is not None
        return ActivityReport(title, start, end, late_days,
                              [_school_report(uow, school, start, end, today, late_days, details=True)])

    # Not reports.activity: the auditor holds that to read the report, and the auditor changes nothing. The
    # retention period is a school setting, so whoever may change it may apply it.
    @service("settings.write")
    def purge(self, uow: UnitOfWork, *, today: date | None = None) -> int:
        """Delete activity events older than the school's retention period; the daily roll-up the report
        reads stays, so every figure already reported can be produced again. Audited."""
        keep_days = _settings(uow).activity_retention_days
        before = (today or date.today()).toordinal() - keep_days
        removed = activity.purge_before(uow.session, uow.school_id, date.fromordinal(before))
        uow.audit("activity.purge", object_type="school", object_id=uow.school_id,
                  detail=f"before {date.fromordinal(before).isoformat()}: {removed} events")
        return removed


def _term_title(uow: UnitOfWork, term: Term) -> str:
    year = uow.session.get(AcademicYear, term.year_id)
    return f"{term.name} {year.name if year else ''}".strip()
