"""Academic years and their terms (quarters, trimesters, halves): list, find by date, create, edit a term.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import TERM_KINDS, TERMS_PER_KIND, AcademicYear, GradeLevel, School, Term
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.common import check_version, clean_label, flush, refuse
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_text, format_date

# Russian names of the term kinds: (plural, genitive plural) for messages.
KIND_NAMES = {"quarter": ("четверти", "четвертей"), "trimester": ("триместры", "триместров"),
              "half": ("полугодия", "полугодий")}
_YEAR_NAME = re.compile(r"([0-9]{4})/([0-9]{4})")


def get_year(uow: UnitOfWork, year_id: int) -> AcademicYear:
    """The year if it belongs to the acting user's school, else NotFound."""
    year = uow.session.get(AcademicYear, year_id)
    if year is None or year.school_id != uow.school_id:
        raise NotFound(f"Учебный год № {year_id} не найден")
    return year


def require_open(year: AcademicYear, field: str = "year_id") -> None:
    """ValidationFailed when the year is closed: its structure is history by then."""
    if year.status == "closed":
        raise ValidationFailed([Problem(field, "closed", f"Учебный год: {year.name} закрыт, изменения "
                                                         "в нём не допускаются")])


def term_kinds_in_use(uow: UnitOfWork) -> set[str]:
    """The school's default term kind and every grade level's override."""
    school = uow.session.get(School, uow.school_id)
    kinds = {school.term_kind} if school is not None else set()
    kinds |= {k for k in uow.session.scalars(select(GradeLevel.term_kind).where(
        GradeLevel.school_id == uow.school_id, GradeLevel.term_kind.is_not(None))) if k}
    return kinds


# ---------------------------------------------------------------------------------------------------------
# Years and terms
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TermInput:
    """One term as the user gives it."""

    kind: str
    number: int
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class TermView:
    id: int
    year_id: int
    kind: str
    number: int
    name: str
    start: date
    end: date
    version: int


@dataclass(frozen=True)
class YearView:
    id: int
    name: str
    start: date
    end: date
    status: str  # planned | open | closed
    previous_year_id: int | None
    version: int


def year_view(year: AcademicYear) -> YearView:
    """The plain view of a year row."""
    return YearView(year.id, year.name, year.start_date, year.end_date, year.status, year.previous_year_id,
                    year.version)


def term_view(term: Term) -> TermView:
    """The plain view of a term row."""
    return TermView(term.id, term.year_id, term.kind, term.number, term.name, term.start_date, term.end_date,
                    term.version)


def _period(start: date, end: date) -> str:
    return f"{format_date(start)}–{format_date(end)}"


def check_year(name: str, start: date, end: date) -> list[Problem]:
    """The name reads "2027/2028" (consecutive years), the dates lie in those years and start < end."""
    match = _YEAR_NAME.fullmatch(name)
    if match is None or int(match[2]) != int(match[1]) + 1:
        return [Problem("name", "bad_format", f"Название года: «{name}» — ожидается вида 2027/2028 "
                                              "(два года подряд через косую черту)")]
    problems = []
    if start >= end:
        problems.append(Problem("end", "out_of_range", f"Конец года: {format_date(end)} не позже начала "
                                                       f"{format_date(start)}"))
    if start.year != int(match[1]):
        problems.append(Problem("start", "out_of_range", f"Начало года: {format_date(start)} не в "
                                                         f"{match[1]} году, как в названии «{name}»"))
    if end.year != int(match[2]):
        problems.append(Problem("end", "out_of_range", f"Конец года: {format_date(end)} не в "
                                                       f"{match[2]} году, как в названии «{name}»"))
    return problems


def check_terms(terms: Sequence[TermInput], year_start: date, year_end: date) -> list[Problem]:
    """Each kind numbered 1..n (n = TERMS_PER_KIND), named, inside the year, in order and not overlapping."""
    problems: list[Problem] = []
    by_kind: dict[str, list[TermInput]] = {}
    for term in terms:
        if term.kind not in TERM_KINDS:
            problems.append(Problem("terms", "bad_format", f"Периоды: неизвестный вид «{term.kind}» — "
                                                           "допускаются quarter, trimester, half"))
        else:
            by_kind.setdefault(term.kind, []).append(term)
    for kind, items in by_kind.items():
        plural, genitive = KIND_NAMES[kind]
        numbers = sorted(t.number for t in items)
        expected = list(range(1, TERMS_PER_KIND[kind] + 1))
        if numbers != expected:
            problems.append(Problem("terms", "bad_format", f"Периоды: {plural} должны быть пронумерованы "
                                                           f"1–{len(expected)} (по {len(expected)} "
                                                           f"{genitive} в году), а заданы номера "
                                                           f"{', '.join(map(str, numbers)) or 'нет'}"))
            continue
        problems += check_term_set(sorted(items, key=lambda t: t.number), year_start, year_end)
    return problems


def check_term_set(items: Sequence[TermInput], year_start: date, year_end: date) -> list[Problem]:
    """Terms of one kind sorted by number: names, dates inside the year, each after the one before."""
    problems: list[Problem] = []
    previous: TermInput | None = None
    for term in items:
        label = f"Период «{term.name or term.number}»"
        _, found = clean_label(term.name, "terms", f"{label}: название", required=True, max_len=60)
        problems += found
        if term.start >= term.end:
            problems.append(Problem("terms", "out_of_range", f"{label}: начало {format_date(term.start)} не "
                                                             f"раньше конца {format_date(term.end)}"))
        elif term.start < year_start or term.end > year_end:
            problems.append(Problem("terms", "out_of_range", f"{label}: {_period(term.start, term.end)} "
                                                             "выходит за границы учебного года "
                                                             f"{_period(year_start, year_end)}"))
        if previous is not None and term.start <= previous.end:
            what = "пересекается с" if term.end >= previous.start else "стоит раньше, чем"
            problems.append(Problem("terms", "overlap", f"{label}: {_period(term.start, term.end)} {what} "
                                                        f"«{previous.name}» "
                                                        f"{_period(previous.start, previous.end)}"))
        previous = term
    return problems


def _missing_kinds(uow: UnitOfWork, terms: Sequence[TermInput]) -> list[Problem]:
    given = {t.kind for t in terms}
    return [Problem("terms", "required", f"Периоды: не заданы {KIND_NAMES[kind][0]}, а они используются "
                                         "в школе (настройка деления года)")
            for kind in sorted(term_kinds_in_use(uow) - given)]


def _add_terms(uow: UnitOfWork, year: AcademicYear, terms: Sequence[TermInput]) -> list[Term]:
    rows = [Term(school_id=uow.school_id, year_id=year.id, kind=t.kind, number=t.number,
                 name=clean_text(t.name, "name")[0], start_date=t.start, end_date=t.end) for t in terms]
    uow.session.add_all(rows)
    flush(uow, f"Периоды года {year.name}")
    for row in rows:
        uow.audit("term.create", object_type="term", object_id=row.id,
                  fields=["kind", "number", "name", "start_date", "end_date"])
    return rows


class YearService(Service):
    """Academic years and their terms."""

    area = "year"

    @service("school.read")
    def current(self, uow: UnitOfWork, on: date | None = None) -> YearView:
        """The year containing `on` (today by default); NotFound when no year covers the date."""
        day = on or date.today()
        year = uow.session.scalars(select(AcademicYear).where(
            AcademicYear.school_id == uow.school_id, AcademicYear.start_date <= day,
            AcademicYear.end_date >= day).order_by(AcademicYear.start_date)).first()
        if year is None:
            raise NotFound(f"Нет учебного года, в который входит дата {format_date(day)}")
        return year_view(year)

    @service("school.write")
    def create(self, uow: UnitOfWork, name: str, start: date, end: date, terms: Sequence[TermInput],
               previous_year_id: int | None = None, *, today: date | None = None) -> YearView:
        """Create a year with its terms. Every term kind the school uses must be given, numbered 1..n.

        A year starting after `today` is "planned", otherwise "open".
        """
        name = (name or "").strip()
        problems = check_year(name, start, end)
        if not problems:
            problems += check_terms(terms, start, end) + _missing_kinds(uow, terms)
            problems += self._check_neighbours(uow, start, end, previous_year_id)
        refuse(problems)
        if uow.session.scalar(select(AcademicYear.id).where(AcademicYear.school_id == uow.school_id,
                                                            AcademicYear.name == name)) is not None:
            raise Conflict(f"Учебный год {name} уже есть")
        status = "planned" if start > (today or date.today()) else "open"
        year = AcademicYear(school_id=uow.school_id, name=name, start_date=start, end_date=end, status=status,
                            previous_year_id=previous_year_id)
        uow.session.add(year)
        flush(uow, f"Учебный год {name}")
        uow.audit("year.create", object_type="academic_year", object_id=year.id,
                  fields=["name", "start_date", "end_date", "status"]
                  + (["previous_year_id"] if previous_year_id else []))
        _add_terms(uow, year, terms)
        return year_view(year)

    @staticmethod
    def _check_neighbours(uow: UnitOfWork, start: date, end: date, previous_year_id: int | None
                          ) -> list[Problem]:
        problems = []
        overlapping = uow.session.scalars(select(AcademicYear.name).where(
            AcademicYear.school_id == uow.school_id, AcademicYear.start_date <= end,
            AcademicYear.end_date >= start)).first()
        if overlapping is not None:
            problems.append(Problem("start", "overlap", f"Даты года: {_period(start, end)} пересекаются с "
                                                        f"учебным годом {overlapping}"))
        if previous_year_id is not None:
            previous = uow.session.get(AcademicYear, previous_year_id)
            if previous is None or previous.school_id != uow.school_id:
                problems.append(Problem("previous_year_id", "not_found",
                                        f"Предыдущий год: учебный год № {previous_year_id} не найден"))
            elif previous.end_date >= start:
                problems.append(Problem("previous_year_id", "out_of_range",
                                        f"Предыдущий год: {previous.name} не заканчивается до начала "
                                        "нового года"))
        return problems

    @service("school.read")
    def terms(self, uow: UnitOfWork, year_id: int, kind: str | None = None) -> list[TermView]:
        """The year's terms (of one kind when given), ordered by kind and number."""
        year = get_year(uow, year_id)
        query = select(Term).where(Term.year_id == year.id)
        if kind is not None:
            query = query.where(Term.kind == kind)
        return [term_view(t) for t in uow.session.scalars(query.order_by(Term.kind, Term.number))]

    @service("school.write")
    def add_terms(self, uow: UnitOfWork, year_id: int, terms: Sequence[TermInput]) -> list[TermView]:
        """Add the full set of terms of a kind the year does not have yet (before switching a grade to it)."""
        year = get_year(uow, year_id)
        require_open(year)
        problems = check_terms(terms, year.start_date, year.end_date)
        present = set(uow.session.scalars(select(Term.kind).where(Term.year_id == year.id)))
        problems += [Problem("terms", "duplicate", f"Периоды: {KIND_NAMES[k][0]} в году {year.name} уже "
                                                   "заданы — меняйте их даты по одному")
                     for k in sorted({t.kind for t in terms} & present)]
        if not terms:
            problems.append(Problem("terms", "required", "Периоды: не заданы"))
        refuse(problems)
        return [term_view(t) for t in _add_terms(uow, year, terms)]

    @service("school.write")
    def update_term(self, uow: UnitOfWork, term_id: int, expected_version: int, start: date, end: date,
                    name: str) -> TermView:
        """Change a term's dates and name; it must stay inside the year and between its neighbours."""
        term = uow.session.get(Term, term_id)
        if term is None or term.school_id != uow.school_id:
            raise NotFound(f"Период № {term_id} не найден")
        year = get_year(uow, term.year_id)
        check_version(term, expected_version, f"Период «{term.name}»")
        require_open(year)
        siblings = uow.session.scalars(select(Term).where(Term.year_id == year.id, Term.kind == term.kind)
                                       .order_by(Term.number)).all()
        edited = [TermInput(t.kind, t.number, name if t.id == term.id else t.name,
                            start if t.id == term.id else t.start_date, end if t.id == term.id else t.end_date)
                  for t in siblings]
        refuse(check_term_set(edited, year.start_date, year.end_date))
        values = {"name": clean_text(name, "name")[0], "start_date": start, "end_date": end}
        changed = [field for field, value in values.items() if getattr(term, field) != value]
        if changed:
            for field in changed:
                setattr(term, field, values[field])
            flush(uow, f"Период «{term.name}»")
            uow.audit("term.update", object_type="term", object_id=term.id, fields=changed)
        return term_view(term)

    @service("school.read")
    def list(self, uow: UnitOfWork) -> list[YearView]:
        """Every year of the school, oldest first."""
        query = select(AcademicYear).where(AcademicYear.school_id == uow.school_id)
        return [year_view(y) for y in uow.session.scalars(query.order_by(AcademicYear.start_date))]
