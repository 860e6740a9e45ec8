"""Classes of a year ("5А"): create, list with student counts, class teacher, roster on a date, find by name.

A class is a parallel (1..11, the school's grade level of that number) plus a Cyrillic capital letter.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import AcademicYear, Enrolment, GradeLevel, Guardianship, Person, SchoolClass, StaffPosition
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.common import check_version, flush, refuse
from zhurnal.core.services.years import get_year, require_open
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, format_date

CLASS_LETTERS = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
# Latin capitals typed for the Cyrillic letters they look like.
LATIN_LOOKALIKES = dict(zip("ABCEHKMOPTXY", "АВСЕНКМОРТХУ", strict=True))
MIN_PARALLEL, MAX_PARALLEL = 1, 11
_CLASS_NAME = re.compile(r"([0-9]{1,2})\s*-?\s*([^\W\d_])")


@dataclass(frozen=True)
class ClassView:
    id: int
    year_id: int
    name: str
    parallel: int
    letter: str
    grade_level_id: int
    class_teacher_id: int | None
    class_teacher_name: str | None
    previous_class_id: int | None
    version: int


@dataclass(frozen=True)
class ClassRow:
    """One line of the classes list of a year."""

    id: int
    name: str
    parallel: int
    letter: str
    class_teacher_id: int | None
    class_teacher_name: str | None
    student_count: int
    version: int


@dataclass(frozen=True)
class RosterRow:
    person_id: int
    full_name: str
    birth_date: date | None


def full_name(last: str, first: str, middle: str | None) -> str:
    """"Last First Middle" without the missing parts."""
    return " ".join(p for p in (last, first, middle) if p)


def _person_name(uow: UnitOfWork, person_id: int | None) -> str | None:
    person = uow.session.get(Person, person_id) if person_id is not None else None
    return full_name(person.last_name, person.first_name, person.middle_name) if person else None


def letter_order(letter: str) -> int:
    """Alphabetical position of a class letter (the same on every engine, Ё after Е)."""
    return CLASS_LETTERS.find(letter) if letter in CLASS_LETTERS else len(CLASS_LETTERS)


def clean_letter(value: str | None) -> tuple[str | None, list[Problem]]:
    """One Cyrillic capital letter; lowercase is upper-cased, a Latin look-alike is refused with a hint."""
    text = unicodedata.normalize("NFC", value or "").strip().upper()
    label = "Буква класса"
    if not text:
        return None, [Problem("letter", "required", f"{label}: обязательное поле не заполнено")]
    if len(text) != 1:
        return None, [Problem("letter", "bad_format", f"{label}: «{text}» — нужна одна буква (А, Б, В…)")]
    if text in LATIN_LOOKALIKES:
        return None, [Problem("letter", "mixed_scripts", f"{label}: «{value}» — латинская буква; наберите "
                                                         f"русскую «{LATIN_LOOKALIKES[text]}»")]
    if text not in CLASS_LETTERS:
        return None, [Problem("letter", "bad_format", f"{label}: «{value}» — нужна русская заглавная буква "
                                                      "(А–Я)")]
    return text, []


def grade_level(uow: UnitOfWork, number: int, field: str = "parallel") -> GradeLevel:
    """The school's grade level of `number` (1..11), else ValidationFailed naming `field`."""
    if isinstance(number, bool) or not isinstance(number, int) or not MIN_PARALLEL <= number <= MAX_PARALLEL:
        raise ValidationFailed([Problem(field, "out_of_range", f"Параллель: «{number}» — ожидается число "
                                                               f"от {MIN_PARALLEL} до {MAX_PARALLEL}")])
    level = uow.session.scalar(select(GradeLevel).where(GradeLevel.school_id == uow.school_id,
                                                        GradeLevel.number == number))
    if level is None:
        raise ValidationFailed([Problem(field, "not_found", f"Параллель: в школе нет {number} класса")])
    return level


def get_class(uow: UnitOfWork, class_id: int) -> SchoolClass:
    """The class if it belongs to the acting user's school, else NotFound."""
    row = uow.session.get(SchoolClass, class_id)
    if row is None or row.school_id != uow.school_id:
        raise NotFound(f"Класс № {class_id} не найден")
    return row


def active_on(model: type[Enrolment] | type[StaffPosition] | type[Guardianship], day: date) -> ColumnElement[bool]:
    """SQL condition: the dated membership is in force on `day` (both ends included, open end while NULL)."""
    return and_(model.start_date <= day, or_(model.end_date.is_(None), model.end_date >= day))


def require_staff(uow: UnitOfWork, person_id: int, field: str, label: str, today: date | None = None) -> Person:
    """The person, if registered in this school and holding a staff position on `today`; else ValidationFailed."""
    day = today or date.today()
    person = uow.session.get(Person, person_id)
    if person is None or person.school_id != uow.school_id:
        raise ValidationFailed([Problem(field, "not_found", f"{label}: человек № {person_id} не найден в школе")])
    employed = uow.session.scalar(select(exists().where(
        StaffPosition.person_id == person.id, StaffPosition.school_id == uow.school_id,
        active_on(StaffPosition, day))))
    if not employed:
        name = full_name(person.last_name, person.first_name, person.middle_name)
        raise ValidationFailed([Problem(field, "not_staff", f"{label}: {name} не работает в школе на "
                                                            f"{format_date(day)} (нет действующей должности)")])
    return person


def _view(uow: UnitOfWork, row: SchoolClass) -> ClassView:
    return ClassView(row.id, row.year_id, row.name, row.parallel, row.letter, row.grade_level_id,
                     row.class_teacher_id, _person_name(uow, row.class_teacher_id), row.previous_class_id,
                     row.version)


def _check_previous(uow: UnitOfWork, year: AcademicYear, previous_class_id: int) -> None:
    previous = uow.session.get(SchoolClass, previous_class_id)
    if previous is None or previous.school_id != uow.school_id:
        raise ValidationFailed([Problem("previous_class_id", "not_found",
                                        f"Класс прошлого года: класс № {previous_class_id} не найден")])
    previous_year = uow.session.get(AcademicYear, previous.year_id)
    assert previous_year is not None
    wanted = year.previous_year_id
    if (wanted is not None and previous.year_id != wanted) or previous_year.start_date >= year.start_date:
        raise ValidationFailed([Problem("previous_class_id", "out_of_range",
                                        f"Класс прошлого года: {previous.name} ({previous_year.name}) — не из "
                                        f"года, предшествующего {year.name}")])


class ClassService(Service):
    """Classes of an academic year."""

    area = "class"

    @service("school.write")
    def create(self, uow: UnitOfWork, year_id: int, parallel: int, letter: str,
               class_teacher_id: int | None = None, previous_class_id: int | None = None,
               *, today: date | None = None) -> ClassView:
        """Create class `parallel`+`letter` in the year; a class of that name already there is a Conflict."""
        year = get_year(uow, year_id)
        require_open(year)
        level = grade_level(uow, parallel)
        clean, problems = clean_letter(letter)
        refuse(problems)
        assert clean is not None
        name = f"{parallel}{clean}"
        if uow.session.scalar(select(SchoolClass.id).where(SchoolClass.year_id == year.id,
                                                           SchoolClass.parallel == parallel,
                                                           SchoolClass.letter == clean)) is not None:
            raise Conflict(f"Класс {name} уже есть в учебном году {year.name}")
        if class_teacher_id is not None:
            require_staff(uow, class_teacher_id, "class_teacher_id", "Классный руководитель", today)
        if previous_class_id is not None:
            _check_previous(uow, year, previous_class_id)
        row = SchoolClass(school_id=uow.school_id, year_id=year.id, grade_level_id=level.id, parallel=parallel,
                          letter=clean, name=name, class_teacher_id=class_teacher_id,
                          previous_class_id=previous_class_id)
        uow.session.add(row)
        flush(uow, f"Класс {name}")
        fields = ["year_id", "parallel", "letter", "name"]
        fields += [f for f in ("class_teacher_id", "previous_class_id") if getattr(row, f) is not None]
        uow.audit("class.create", object_type="class", object_id=row.id, fields=fields)
        return _view(uow, row)

    @service("school.read")
    def get(self, uow: UnitOfWork, class_id: int) -> ClassView:
        """One class of the school."""
        return _view(uow, get_class(uow, class_id))

    @service("school.write")
    def set_class_teacher(self, uow: UnitOfWork, class_id: int, expected_version: int, person_id: int | None,
                          *, today: date | None = None) -> ClassView:
        """Appoint (or with None, clear) the class teacher: a staff member of the school on `today`."""
        row = get_class(uow, class_id)
        check_version(row, expected_version, f"Класс {row.name}")
        require_open(get_year(uow, row.year_id))
        if person_id is not None:
            require_staff(uow, person_id, "class_teacher_id", "Классный руководитель", today)
        if row.class_teacher_id != person_id:
            row.class_teacher_id = person_id
            flush(uow, f"Класс {row.name}")
            uow.audit("class.update", object_type="class", object_id=row.id, fields=["class_teacher_id"])
        return _view(uow, row)

    @service("people.read", write=False)
    def roster(self, uow: UnitOfWork, class_id: int, on: date) -> list[RosterRow]:
        """Students enrolled in the class on `on`, ordered by name (case and ё folded)."""
        row = get_class(uow, class_id)
        query = (select(Person.id, Person.last_name, Person.first_name, Person.middle_name, Person.birth_date)
                 .where(Person.school_id == uow.school_id,
                        exists().where(Enrolment.person_id == Person.id, Enrolment.class_id == row.id,
                                       active_on(Enrolment, on)))
                 .order_by(Person.name_key, Person.id))
        return [RosterRow(r.id, full_name(r.last_name, r.first_name, r.middle_name), r.birth_date)
                for r in uow.session.execute(query)]

    @service("school.read")
    def find_by_name(self, uow: UnitOfWork, year_id: int, name: str) -> ClassView:
        """The year's class named like "5А", "5а", "5 А" or "5-А" (a Latin look-alike letter is accepted)."""
        year = get_year(uow, year_id)
        match = _CLASS_NAME.fullmatch(unicodedata.normalize("NFC", name or "").strip())
        if match is None:
            raise ValidationFailed([Problem("name", "bad_format", f"Класс: «{name}» — ожидается номер и буква, "
                                                                  "например 5А")])
        letter = match[2].upper()
        letter = LATIN_LOOKALIKES.get(letter, letter)
        row = uow.session.scalar(select(SchoolClass).where(SchoolClass.year_id == year.id,
                                                           SchoolClass.parallel == int(match[1]),
                                                           SchoolClass.letter == letter))
        if row is None:
            raise NotFound(f"Класс {int(match[1])}{letter} не найден в учебном году {year.name}")
        return _view(uow, row)

    @service("school.read")
    def list(self, uow: UnitOfWork, year_id: int, on: date | None = None) -> list[ClassRow]:
        """The year's classes by parallel and letter, with the number of students enrolled on `on`.

        `on` defaults to today, moved into the year when today lies outside it.
        """
        year = get_year(uow, year_id)
        day = on if on is not None else min(max(date.today(), year.start_date), year.end_date)
        students = (select(func.count(func.distinct(Enrolment.person_id)))
                    .where(Enrolment.class_id == SchoolClass.id, active_on(Enrolment, day))
                    .correlate(SchoolClass).scalar_subquery())
        query = (select(SchoolClass, Person.last_name, Person.first_name, Person.middle_name,
                        students.label("students"))
                 .outerjoin(Person, Person.id == SchoolClass.class_teacher_id)
                 .where(SchoolClass.year_id == year.id))
        rows = [ClassRow(c.id, c.name, c.parallel, c.letter, c.class_teacher_id,
                         full_name(last, first, middle) if last else None, count or 0, c.version)
                for c, last, first, middle, count in uow.session.execute(query)]
        return sorted(rows, key=lambda r: (r.parallel, letter_order(r.letter), r.letter))
