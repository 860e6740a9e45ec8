"""People: create with validation and duplicate checks, edit with an optimistic version check, read (audited),
and search with keyset pagination."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date

from sqlalchemy import ColumnElement, Date, and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from zhurnal.core.errors import Conflict, NotFound, PossibleDuplicate, ValidationFailed
from zhurnal.core.models import Enrolment, Guardianship, Person, SchoolClass, StaffPosition
from zhurnal.core.services.base import Service, service
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import (
    Problem,
    check_birth_date,
    clean_email,
    clean_multiline,
    clean_name,
    clean_phone,
    clean_text,
    errors,
    fold,
    format_snils,
    normalize_snils,
)

SEXES = ("M", "F")

@dataclass(frozen=True, slots=True)
class PersonInput:
    """What a form or an import row gives for one person; strings as typed."""

    last_name: str
    first_name: str
    middle_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    snils: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    external_id: str | None = None

@dataclass(frozen=True)
class PersonView:
    id: int
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: date | None
    sex: str | None
    snils: str | None  # formatted XXX-XXX-XXX YY
    phone: str | None
    email: str | None
    address: str | None
    external_id: str | None
    version: int

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

@dataclass(frozen=True)
class SavedPerson:
    """The saved person and the warnings that did not stop the save."""

    person: PersonView
    warnings: list[Problem]

@dataclass(frozen=True)
class PersonRow:
    """One line of a people list (no contact data)."""

    id: int
    full_name: str
    birth_date: date | None
    name_key: str

@dataclass(frozen=True)
class Page:
    rows: list[PersonRow]
    next_after: tuple[str, int] | None  # pass back as `after` for the next page; None at the end

PERSON_FIELDS = tuple(f.name for f in fields(PersonInput))

def name_key(last: str, first: str, middle: str | None) -> str:
    return fold(" ".join(p for p in (last, first, middle) if p))

def view(person: Person) -> PersonView:
    return PersonView(person.id, person.last_name, person.first_name, person.middle_name, person.birth_date,
                      person.sex, format_snils(person.snils) if person.snils else None, person.phone,
                      person.email, person.address, person.external_id, person.version)

def clean_person(data: PersonInput, *, today: date, grade: int | None = None) -> tuple[dict[str, object],
                                                                                        list[Problem]]:
    """Normalise every field; return the clean values and all problems found (errors and warnings)."""
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for field_name in ("last_name", "first_name"):
        values[field_name], found = clean_name(getattr(data, field_name), field_name, required=True)
        problems += found
    values["middle_name"], found = clean_name(data.middle_name, "middle_name", required=False)
    problems += found
    if data.birth_date is not None:
        problems += check_birth_date(data.birth_date, today=today, grade=grade)
    values["birth_date"] = data.birth_date
    sex = (data.sex or "").strip().upper() or None
    if sex is not None and sex not in SEXES:
        problems.append(Problem("sex", "bad_format", "Пол: укажите M (мужской) или F (женский)"))
    values["sex"] = sex
    values["snils"], found = normalize_snils(data.snils)
    problems += found
    values["phone"], found = clean_phone(data.phone)
    problems += found
    values["email"], found = clean_email(data.email)
    problems += found
    values["address"], found = clean_multiline(data.address, "address", max_len=500)
    problems += found
    values["external_id"], found = clean_text(data.external_id, "external_id", max_len=100)
    problems += found
    return values, problems

def find_duplicates(session: Session, school_id: int, key: str, birth: date | None, snils: str | None,
                    exclude_id: int | None = None) -> tuple[list[int], list[int]]:
    """(ids with the same SNILS anywhere in the school, ids with the same folded name and birth date)."""
    same_snils: list[int] = []
    if snils:
        query = select(Person.id).where(Person.school_id == school_id, Person.snils == snils)
        if exclude_id:
            query = query.where(Person.id != exclude_id)
        same_snils = list(session.scalars(query))
    same_name: list[int] = []
    if birth is not None:
        query = select(Person.id).where(Person.school_id == school_id, Person.name_key == key,
                                        Person.birth_date == birth)
        if exclude_id:
            query = query.where(Person.id != exclude_id)
        same_name = list(session.scalars(query))
    return same_snils, same_name

def _refuse_on_errors(problems: list[Problem]) -> list[Problem]:
    if errors(problems):
        raise ValidationFailed(errors(problems))
    return [p for p in problems if p.severity != "error"]

def get_person(uow: UnitOfWork, person_id: int) -> Person:
    """The person if it belongs to the acting user's school, else NotFound."""
    person = uow.session.get(Person, person_id)
    if person is None or person.school_id != uow.school_id:
        raise NotFound(f"Человек с номером {person_id} не найден")
    return person

class PersonService(Service):
    """Students, staff and parents as people (their memberships live in other services)."""

    area = "person"

    @service("people.write")
    def create(self, uow: UnitOfWork, data: PersonInput, *, allow_duplicate: bool = False,
               today: date | None = None) -> SavedPerson:
        """Register a person. Refuses bad fields; refuses a SNILS already registered; refuses a possible
        duplicate (same full name and birth date, case and ё folded) unless `allow_duplicate`."""
        values, problems = clean_person(data, today=today or date.today())
        warnings = _refuse_on_errors(problems)
        key = name_key(str(values["last_name"]), str(values["first_name"]), values["middle_name"])  # type: ignore[arg-type]
        same_snils, same_name = find_duplicates(uow.session, uow.school_id, key, data.birth_date,
                                                values["snils"])  # type: ignore[arg-type]
        if same_snils:
            raise ValidationFailed([Problem("snils", "duplicate",
                                            f"СНИЛС: уже записан у другого человека (№ {same_snils[0]})")])
        if same_name and not allow_duplicate:
            raise PossibleDuplicate("Возможно, этот человек уже есть: совпадают ФИО и дата рождения "
                                    f"(№ {', '.join(map(str, same_name))})", same_name)
        person = Person(school_id=uow.school_id, name_key=key, **values)
        uow.session.add(person)
        uow.session.flush()
        uow.audit("person.create", object_type="person", object_id=person.id, person_id=person.id,
                  fields=[k for k, v in values.items() if v is not None])
        return SavedPerson(view(person), warnings)

    @service("people.write")
    def update(self, uow: UnitOfWork, person_id: int, expected_version: int, data: PersonInput,
               *, today: date | None = None) -> SavedPerson:
        """Save an edited person. Refused with Conflict when someone saved it after `expected_version`."""
        person = get_person(uow, person_id)
        if person.version != expected_version:
            raise Conflict("Карточку уже изменил другой пользователь; откройте её заново и повторите правку")
        values, problems = clean_person(data, today=today or date.today())
        warnings = _refuse_on_errors(problems)
        key = name_key(str(values["last_name"]), str(values["first_name"]), values["middle_name"])  # type: ignore[arg-type]
        same_snils, _ = find_duplicates(uow.session, uow.school_id, key, None, values["snils"],  # type: ignore[arg-type]
                                        exclude_id=person.id)
        if same_snils:
            raise ValidationFailed([Problem("snils", "duplicate",
                                            f"СНИЛС: уже записан у другого человека (№ {same_snils[0]})")])
        changed = [name for name, value in values.items() if getattr(person, name) != value]
        if changed:
            for name in changed:
                setattr(person, name, values[name])
            person.name_key = key
            uow.session.flush()  # the mapper's version check refuses a concurrent save here
            uow.audit("person.update", object_type="person", object_id=person.id, person_id=person.id,
                      fields=changed)
        return SavedPerson(view(person), warnings)

    @service("people.read")
    def get(self, uow: UnitOfWork, person_id: int) -> PersonView:
        """One person's personal data; the read is audited."""
        person = get_person(uow, person_id)
        uow.audit("person.read", object_type="person", object_id=person.id, person_id=person.id)
        return view(person)

    @service("people.read", write=False)
    def search(self, uow: UnitOfWork, text: str = "", *, kind: str | None = None, class_id: int | None = None,
               on: date | None = None, after: tuple[str, int] | None = None, limit: int = 50,
               status: str = "current", year_id: int | None = None, sort: str = "name") -> Page:
        """A page of people. `text` matches the start of any name word or SNILS digits; `kind` is "student",
        "staff" or "parent"; `class_id` keeps students enrolled in the class on `on` (with a status other than
        "current": at any time).

        `status` (students and staff): "current" — enrolled or employed on `on`; "former" — once, but not on
        `on`; "all" — either. `year_id` (students) keeps those enrolled in a class of that year at some time
        (with "current", on `on` too). `sort` is "name" or "birth" (birth date, unknown dates last), each with
        the id as the tie-break. Pass the returned `next_after` to get the next page (keyset pagination: no
        OFFSET scans)."""
        if status not in PEOPLE_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if sort not in PEOPLE_SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        day = on or date.today()
        query = select(Person.id, Person.last_name, Person.first_name, Person.middle_name, Person.birth_date,
                       Person.name_key).where(Person.school_id == uow.school_id)
        needle = fold(text)
        if needle:
            digits = "".join(ch for ch in needle if ch.isdigit())
            like = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions = [Person.name_key.like(f"{like}%", escape="\\"),
                          Person.name_key.like(f"% {like}%", escape="\\")]
            if digits and len(digits) >= 3:
                conditions.append(Person.snils.like(f"{digits}%"))
            query = query.where(or_(*conditions))
        current = and_(Enrolment.start_date <= day, or_(Enrolment.end_date.is_(None), Enrolment.end_date >= day))
        if kind == "student":
            ever = [Enrolment.person_id == Person.id]
            if year_id is not None:
                ever.append(Enrolment.class_id.in_(select(SchoolClass.id).where(SchoolClass.year_id == year_id)))
            now = exists().where(Enrolment.person_id == Person.id, current, *ever[1:])
            query = query.where(_by_status(status, exists().where(*ever), now,
                                           exists().where(Enrolment.person_id == Person.id, current)))
        elif kind == "staff":
            employed = and_(StaffPosition.start_date <= day,
                            or_(StaffPosition.end_date.is_(None), StaffPosition.end_date >= day))
            now = exists().where(StaffPosition.person_id == Person.id, employed)
            query = query.where(_by_status(status, exists().where(StaffPosition.person_id == Person.id), now, now))
        elif kind == "parent":
            query = query.where(exists().where(Guardianship.parent_id == Person.id))
        elif kind is not None:
            raise ValueError(f"unknown kind {kind!r}")
        if class_id is not None:
            # With "current" the class on `on`; otherwise anyone enrolled in it at some time (a past year's class).
            in_class = [Enrolment.person_id == Person.id, Enrolment.class_id == class_id]
            query = query.where(exists().where(*in_class, current) if status == "current" else
                                exists().where(*in_class))
        if sort == "birth":
            # Unknown birth dates sort last on every engine (PostgreSQL and SQLite order NULLs differently).
            key = func.coalesce(Person.birth_date, literal(NO_BIRTH_DATE, Date))
            if after is not None:
                mark = date.fromisoformat(after[0])
                query = query.where(or_(key > mark, and_(key == mark, Person.id > after[1])))
            query = query.order_by(key, Person.id)
        else:
            if after is not None:
                query = query.where(or_(Person.name_key > after[0],
                                        and_(Person.name_key == after[0], Person.id > after[1])))
            query = query.order_by(Person.name_key, Person.id)
        rows = uow.session.execute(query.limit(limit + 1)).all()
        page = [PersonRow(r.id, " ".join(p for p in (r.last_name, r.first_name, r.middle_name) if p),
                          r.birth_date, r.name_key) for r in rows[:limit]]
        more = len(rows) > limit
        if not (more and page):
            return Page(page, None)
        last = page[-1]
        mark_text = (last.birth_date or NO_BIRTH_DATE).isoformat() if sort == "birth" else last.name_key
        return Page(page, (mark_text, last.id))

PEOPLE_STATUSES = ("current", "former", "all")
PEOPLE_SORTS = ("name", "birth")
NO_BIRTH_DATE = date(9999, 12, 31)

def _by_status(status: str, ever: ColumnElement[bool], now: ColumnElement[bool],
               now_anywhere: ColumnElement[bool]) -> ColumnElement[bool]:
    """The condition of `status`: `ever` a member (in the chosen year), `now` a member on the day (there),
    `now_anywhere` a member on the day at all (a former student is one not enrolled anywhere today)."""
    if status == "current":
        return now
    if status == "former":
        return and_(ever, ~now_anywhere)
    return ever

def with_changes(data: PersonInput, **changes: object) -> PersonInput:
    """A copy of `data` with some fields replaced (forms edit one field at a time)."""
    return replace(data, **changes)  # type: ignore[arg-type]

def input_from(person: PersonView) -> PersonInput:
    """The form values of a saved person, as a starting point for editing."""
    return PersonInput(person.last_name, person.first_name, person.middle_name, person.birth_date, person.sex,
                       person.snils, person.phone, person.email, person.address, person.external_id)

