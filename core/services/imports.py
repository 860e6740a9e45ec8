"""Bulk import of validated rows in one transaction, the import log, and the export queries.

The plugin layer parses a file and turns each row into a record of this module (`StudentRecord`,
`StaffRecord`, `ParentRecord`) with the problems it already found (a date that is not a date). This service
is the authority for everything else: it cleans every field with the same functions the forms use, matches
rows to people by stable keys, plans the changes and writes them with batched Core statements.

One code path serves the dry run and the apply: `ImportService.apply` plans and writes inside a SAVEPOINT;
a dry run (and an apply that found any rejected row) rolls the savepoint back, so what a dry run reports is
exactly what the apply does. The import log row (`ImportRun`) is written in the outer transaction in every
case, so dry runs and refused imports are logged too, and the mapping used is remembered.

Matching (`_People.match`): a row's external id, SNILS, and folded full name plus birth date each give
candidates; a name-and-birth candidate whose SNILS or external id contradicts the row's is not the same
person. No candidate: a new person. One: that person. Two or more: an error the user resolves, never a
guess. An empty cell never clears a stored value. Parents named in a student's row ("Родитель 1 ФИО") have
no birth date; they match the student's guardian of the same name, else a guardian of the school with the
same name and the same phone or e-mail (so siblings share their parents), else they are new.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from zhurnal.core.audit import AuditEvent
from zhurnal.core.bulk import bulk_insert
from zhurnal.core.errors import Cancelled, Progress
from zhurnal.core.models import (
    AcademicYear,
    Enrolment,
    Guardianship,
    ImportRun,
    Order,
    Person,
    SchoolClass,
    StaffPosition,
    Subject,
    TeachingAssignment,
    utcnow,
)
from zhurnal.core.permissions import check
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import LATIN_LOOKALIKES, active_on
from zhurnal.core.services.common import clean_label
from zhurnal.core.services.guardianship import RELATIONS
from zhurnal.core.services.persons import PERSON_FIELDS, PersonInput, PersonView, clean_person, name_key
from zhurnal.core.services.persons import view as person_view
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_text, errors, fold, format_date

ENTITIES = ("students", "staff", "parents", "subjects", "classes", "assignments")
PEOPLE = ("students", "staff", "parents")  # the entities whose rows are persons (personal data)
MODES = ("add_update", "add_only", "update_only")
# Kinds a row can end up as; "skipped" is a row the mode leaves alone (add_only on a match, update_only on
# a new person).
KINDS = ("new", "changed", "unchanged", "skipped", "rejected")
_CLASS_NAME = re.compile(r"([0-9]{1,2})\s*-?\s*([^\W\d_])")
_MIN_RATE, _MAX_RATE = Decimal("0.1"), Decimal("2.0")
_ORDER_TITLES = {"enrolment": "О зачислении обучающихся (внесён при импорте)",
                 "hire": "О приёме на работу (внесён при импорте)",
                 "departure": "Об отчислении обучающихся (внесён при импорте)",
                 "dismissal": "Об увольнении работников (внесён при импорте)"}
END_REASON = "other"  # an import knows no departure or dismissal reason: "иное" (set another on the screen)
# Progress of an apply, per mille: where the bar stands once every row is planned and once everything is
# written, before the audit records (measured on a 20,000-row student list: planning 39 % of the time,
# writing 22 %, the audit records 39 %). A dry run writes no audit records: its two stages fill the bar.
PERMILLE = 1000
PLANNED, WRITTEN = 400, 650
TICK_ROWS = 1000  # rows planned between two progress calls: a bounded rate, nothing per row
AUDIT_CHUNK = 20_000  # audit records written between two progress calls
CANCELLED = "Импорт отменён: ничего не записано"


# ---------------------------------------------------------------------------------------------------------
# What the plugin layer hands in
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OrderRef:
    """A director's order named in a file or on the command line: number and date."""

    number: str
    order_date: date

    @property
    def label(self) -> str:
        return f"№ {self.number} от {format_date(self.order_date)}"


@dataclass(frozen=True, slots=True)
class GuardianInput:
    """A parent named in a student's row: `slot` 1 or 2 ("Родитель 1 ..."), fields `parent{slot}_*`."""

    slot: int
    last_name: str
    first_name: str
    middle_name: str | None = None
    phone: str | None = None
    email: str | None = None
    relation: str | None = None  # mother | father | guardian | other; None: guessed from the patronymic


@dataclass(frozen=True, slots=True)
class StudentRecord:
    """One row of a student list. Field names of problems: the PersonInput fields, class_name,
    order_number, order_date, start_date, parent{N}_name / _phone / _email / _relation."""

    row: int
    person: PersonInput
    class_name: str | None = None
    order: OrderRef | None = None
    start_date: date | None = None
    guardians: tuple[GuardianInput, ...] = ()
    problems: tuple[Problem, ...] = ()
    leave: bool = False  # the row ends the student's enrolment (OneRoster tobedeleted) by a departure order
    end_date: date | None = None  # the last day (default: the order's date)


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """One row of a staff list: the person and a position held from `start_date` by a hiring order."""

    row: int
    person: PersonInput
    position: str | None = None
    rate: str | None = None
    order: OrderRef | None = None
    start_date: date | None = None
    problems: tuple[Problem, ...] = ()
    leave: bool = False  # the row ends every position the person holds, by a dismissal order
    end_date: date | None = None  # the last working day (default: the order's date)


@dataclass(frozen=True, slots=True)
class ChildKey:
    """How a parents' list names the child: SNILS, or full name and birth date."""

    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    birth_date: date | None = None
    snils: str | None = None


@dataclass(frozen=True, slots=True)
class ParentRecord:
    """One row of a parents' list: the parent and the child they represent (problems: child_name,
    child_birth_date, child_snils, relation)."""

    row: int
    person: PersonInput
    child: ChildKey
    relation: str | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class SubjectRecord:
    """One row of a subject list: the name (matched case- and ё-folded) and the short name (problems: name,
    short_name)."""

    row: int
    name: str | None
    short_name: str | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class ClassRecord:
    """One row of a class list: the academic year's name (None: the year holding the import's day), the
    class ("5А") and the class teacher's full name (problems: year, class_name, class_teacher)."""

    row: int
    year: str | None
    class_name: str | None
    class_teacher: str | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class AssignmentRecord:
    """One row of a teaching-assignment list: year (None: the year holding the import's day), class, subject,
    the teacher (full name, with the birth date or the external id when names repeat) and the subgroup
    (problems: year, class_name, subject, teacher, teacher_birth_date, teacher_external_id, subgroup)."""

    row: int
    year: str | None
    class_name: str | None
    subject: str | None
    teacher: str | None
    teacher_birth_date: date | None = None
    teacher_external_id: str | None = None
    subgroup: str | None = None
    problems: tuple[Problem, ...] = ()


Record = StudentRecord | StaffRecord | ParentRecord | SubjectRecord | ClassRecord | AssignmentRecord


@dataclass(frozen=True)
class ImportBatch:
    """Everything one import applies: the records of one entity, the mode and the defaults."""

    entity: str
    records: Sequence[Record]
    mode: str = "add_update"
    default_order: OrderRef | None = None  # for rows that need an order and name none
    today: date | None = None


@dataclass(frozen=True)
class RunInfo:
    """What the import log keeps about the file (never its content)."""

    file_name: str
    sha256: str
    format: str
    mapping: dict[str, str] = field(default_factory=dict)  # column header -> field
    details: dict[str, str] = field(default_factory=dict)  # encoding, delimiter, ...
    started_at: datetime | None = None


# ---------------------------------------------------------------------------------------------------------
# What comes back
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RowProblem:
    """A problem of one row; `field` is None when it concerns the whole row (matching)."""

    row: int
    field: str | None
    code: str
    message: str
    severity: str = "error"


@dataclass(frozen=True, slots=True)
class Change:
    """What one row does: `kind` is new, changed, unchanged or skipped; `fields` names what changes."""

    row: int
    kind: str
    name: str
    person_id: int | None
    fields: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class ImportReport:
    run_id: int
    entity: str
    mode: str
    dry_run: bool
    applied: bool
    rows: int
    counts: dict[str, int]
    changes: list[Change]
    problems: list[RowProblem]

    @property
    def clean(self) -> bool:
        """No row was rejected."""
        return self.counts.get("rejected", 0) == 0


@dataclass(frozen=True)
class ImportRunView:
    id: int
    login: str
    file_name: str
    sha256: str
    format: str
    entity: str
    mode: str
    outcome: str
    counts: dict[str, int]
    started_at: datetime
    finished_at: datetime


# ---------------------------------------------------------------------------------------------------------
# Planning helpers
# ---------------------------------------------------------------------------------------------------------

def _full(last: str | None, first: str | None, middle: str | None) -> str:
    return " ".join(p for p in (last, first, middle) if p)


def guess_relation(middle_name: str | None) -> str:
    """mother or father from a Russian patronymic ("-овна" / "-ович"), else other."""
    ending = fold(middle_name or "")
    if ending.endswith(("вна", "чна", "кызы")):
        return "mother"
    if ending.endswith(("вич", "ич", "оглы")):
        return "father"
    return "other"


@functools.lru_cache(maxsize=4_096)
def _cleaned(data: PersonInput, today: date, grade: int | None) -> tuple[tuple[tuple[str, Any], ...],
                                                                         tuple[Problem, ...]]:
    """clean_person, remembered: the dry run and the apply that follows clean the same rows, and parents
    recur on their children's rows (the inputs are frozen dataclasses; the results are never mutated)."""
    values, problems = clean_person(data, today=today, grade=grade)
    return tuple(values.items()), tuple(problems)


def _clean(data: PersonInput, today: date, grade: int | None = None) -> tuple[dict[str, Any], list[Problem]]:
    values, problems = _cleaned(data, today, grade)
    return dict(values), list(problems)


class _Ids:
    """Real ids for planned rows, reserved in one go per table when writing (temporary ids are negative)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def take(self, table: Table, count: int) -> list[int]:
        if count <= 0:
            return []
        if self.postgres:
            values = self.session.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": count}).scalars().all()
            return sorted(int(v) for v in values)
        # SQLite: the write transaction began IMMEDIATE, so nobody else inserts meanwhile.
        first = int(self.session.scalar(select(func.max(table.c.id))) or 0) + 1
        return list(range(first, first + count))


class _Index(dict[Any, Any]):
    """key -> the ids having it. Most keys (a SNILS, a name and birth date) have one id: it is stored as the
    bare int, a set only from the second id on (a set per key cost ~200 bytes × 3 per person at district
    scale). `ids` always answers a set, which callers must not change."""

    def put(self, key: Any, pid: int) -> None:
        old = self.get(key)
        if old is None:
            self[key] = pid
        elif isinstance(old, int):
            if old != pid:
                self[key] = {old, pid}
        else:
            old.add(pid)

    def ids(self, key: Any) -> set[int]:
        found = self.get(key)
        if found is None:
            return set()
        return {found} if isinstance(found, int) else found


class _People:
    """The school's people, loaded once in one query (not a query per row), with the indexes matching
    needs; people planned by this batch are added as they are planned (temporary negative ids)."""

    def __init__(self, session: Session, school_id: int) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.by_ext = _Index()
        self.by_snils = _Index()
        self.by_name_birth = _Index()
        self.by_name = _Index()
        columns = [getattr(Person, name) for name in (*PERSON_FIELDS, "name_key")]
        for row in session.execute(select(Person.id, *columns).where(Person.school_id == school_id)).mappings():
            self._index(dict(row))
        self._next_tmp = -1

    def _index(self, values: dict[str, Any]) -> None:
        pid = values["id"]
        self.rows[pid] = values
        if values.get("external_id"):
            self.by_ext.put(values["external_id"], pid)
        if values.get("snils"):
            self.by_snils.put(values["snils"], pid)
        if values.get("birth_date"):
            self.by_name_birth.put((values["name_key"], values["birth_date"]), pid)
        self.by_name.put(values["name_key"], pid)

    def match(self, values: dict[str, Any], key: str) -> list[int]:
        """Every person the row's stable keys point at (see the module docstring)."""
        ext, snils, birth = values.get("external_id"), values.get("snils"), values.get("birth_date")
        found: set[int] = set()
        if ext:
            found |= self.by_ext.ids(ext)
        if snils:
            found |= self.by_snils.ids(snils)
        if birth is not None:
            for pid in self.by_name_birth.ids((key, birth)):
                other = self.rows[pid]
                if (snils and other.get("snils") and other["snils"] != snils) or (
                        ext and other.get("external_id") and other["external_id"] != ext):
                    continue  # a namesake born the same day, told apart by a stronger key
                found.add(pid)
        return sorted(found)

    def add(self, values: dict[str, Any], key: str) -> dict[str, Any]:
        """Index a planned person (`values` is kept, not copied); returns the stored row (its "id" is the
        temporary id)."""
        pid = self._next_tmp
        self._next_tmp -= 1
        values["id"], values["name_key"] = pid, key
        self._index(values)
        return values

    def update(self, pid: int, changes: dict[str, Any], key: str) -> None:
        old = self.rows[pid]
        if changes.get("snils"):
            self.by_snils.put(changes["snils"], pid)
        if changes.get("external_id"):
            self.by_ext.put(changes["external_id"], pid)
        old.update(changes)
        if key != old["name_key"]:
            old["name_key"] = key
            self.by_name.put(key, pid)
        if old.get("birth_date"):
            self.by_name_birth.put((key, old["birth_date"]), pid)

    def name(self, pid: int) -> str:
        row = self.rows[pid]
        return _full(row["last_name"], row["first_name"], row["middle_name"])


@dataclass(slots=True)
class _Row:
    """The outcome of planning one record."""

    row: int
    problems: list[RowProblem] = field(default_factory=list)
    kind: str = "unchanged"
    name: str = ""
    person_id: int | None = None
    fields: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)

    def error(self, field_name: str | None, code: str, message: str) -> None:
        self.problems.append(RowProblem(self.row, field_name, code, message))

    @property
    def rejected(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


class _Plan:
    """The changes one batch makes, gathered row by row and then written with batched Core statements."""

    def __init__(self, uow: UnitOfWork, batch: ImportBatch) -> None:
        self.uow = uow
        self.session = uow.session
        self.school_id = uow.school_id
        self.batch = batch
        self.today = batch.today or date.today()
        self.now = utcnow()
        self.people = _People(self.session, self.school_id)
        self.new_people: dict[int, dict[str, Any]] = {}  # tmp id -> row (the very dict people.rows holds)
        self.updates: dict[int, dict[str, Any]] = {}  # person id -> changed columns (incl. name_key)
        self.new_orders: dict[tuple[str, int], dict[str, Any]] = {}
        # (person, class, start, order) of each planned enrolment: a tuple, not a dict, at 100,000 rows
        self.enrolments: list[tuple[int, int, date, int]] = []
        self.positions: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self._orders: dict[tuple[str, int], tuple[int, date, str]] | None = None
        self._enrolled: dict[int, list[tuple[int, date, date | None, int | None]]] | None = None
        self._guardians: dict[int, list[tuple[int, date | None]]] | None = None
        self._parent_ids: set[int] | None = None
        self._positions: dict[int, list[tuple[str, date | None, int | None]]] | None = None
        self.ends: list[tuple[str, int, int, date, int, str]] = []  # table, row id, person, last day, order, text
        self._year: AcademicYear | bool | None = False
        self._position_starts: dict[int, date] = {}
        self._resolved: dict[tuple[OrderRef | None, str], tuple[int, date]] = {}
        self._class_names: dict[str, tuple[int, str, int]] = {}
        self._texts: dict[str, str] = {}
        self._classes: dict[tuple[int, str], tuple[int, str]] = {}
        self.touched: dict[tuple[Any, ...], dict[int, int]] = {}  # identity -> person -> first row number

    # ---- lazily loaded state of the school -----------------------------------------------------------

    @property
    def orders(self) -> dict[tuple[str, int], tuple[int, date, str]]:
        if self._orders is None:
            self._orders = {(fold(o.number), o.order_year): (o.id, o.order_date, o.kind) for o in
                            self.session.execute(select(Order.id, Order.number, Order.order_year, Order.order_date,
                                                        Order.kind).where(Order.school_id == self.school_id))}
        return self._orders

    @property
    def enrolled(self) -> dict[int, list[tuple[int, date, date | None, int | None]]]:
        """person id -> (class id, start, end, enrolment id or None when planned) of every enrolment."""
        if self._enrolled is None:
            found: dict[int, list[tuple[int, date, date | None, int | None]]] = defaultdict(list)
            for e in self.session.execute(select(Enrolment.person_id, Enrolment.class_id, Enrolment.start_date,
                                                 Enrolment.end_date, Enrolment.id)
                                          .where(Enrolment.school_id == self.school_id)):
                found[e.person_id].append((e.class_id, e.start_date, e.end_date, e.id))
            self._enrolled = found
        return self._enrolled

    @property
    def guardians(self) -> dict[int, list[tuple[int, date | None]]]:
        """student id -> (parent id, end date) of every link."""
        if self._guardians is None:
            found: dict[int, list[tuple[int, date | None]]] = defaultdict(list)
            for g in self.session.execute(select(Guardianship.student_id, Guardianship.parent_id,
                                                 Guardianship.end_date)
                                          .where(Guardianship.school_id == self.school_id)):
                found[g.student_id].append((g.parent_id, g.end_date))
            self._guardians = found
        return self._guardians

    @property
    def held_positions(self) -> dict[int, list[tuple[str, date | None, int | None]]]:
        """person id -> (folded position, end, position id or None when planned) of every position."""
        if self._positions is None:
            found: dict[int, list[tuple[str, date | None, int | None]]] = defaultdict(list)
            for p in self.session.execute(select(StaffPosition.person_id, StaffPosition.position,
                                                 StaffPosition.end_date, StaffPosition.start_date, StaffPosition.id)
                                          .where(StaffPosition.school_id == self.school_id)):
                found[p.person_id].append((fold(p.position), p.end_date, p.id))
                self._position_starts[p.id] = p.start_date
            self._positions = found
        return self._positions

    @property
    def year(self) -> AcademicYear | None:
        """The academic year containing `today` (else the latest one): class names are looked up in it."""
        if self._year is False:
            years = list(self.session.scalars(select(AcademicYear).where(AcademicYear.school_id == self.school_id)
                                              .order_by(AcademicYear.start_date)))
            current = [y for y in years if y.start_date <= self.today <= y.end_date]
            self._year = current[0] if current else (years[-1] if years else None)
            if isinstance(self._year, AcademicYear):
                for c in self.session.execute(select(SchoolClass.id, SchoolClass.parallel, SchoolClass.letter,
                                                     SchoolClass.name)
                                              .where(SchoolClass.year_id == self._year.id)):
                    self._classes[(c.parallel, c.letter)] = (c.id, c.name)
        return self._year if isinstance(self._year, AcademicYear) else None

    # ---- people ----------------------------------------------------------------------------------------

    def person(self, out: _Row, data: PersonInput, identity: tuple[Any, ...] | None, *,
               grade: int | None = None, prefix: str = "", guardian_of: int | None = None) -> tuple[int | None, bool]:
        """Clean and match the row's person; plan the insert or the update the mode allows.

        Returns (person id or None when rejected or skipped, whether the person is new).
        """
        values, problems = _clean(data, self.today, grade)
        for p in problems:
            out.problems.append(RowProblem(out.row, prefix + p.field, p.code, p.message, p.severity))
        if errors(problems):
            return None, False
        key = name_key(str(values["last_name"]), str(values["first_name"]), values["middle_name"])
        out.name = _full(values["last_name"], values["first_name"], values["middle_name"])
        found = self.people.match(values, key)
        if not found and guardian_of is not None and not any(values.get(k) for k in ("external_id", "snils",
                                                                                    "birth_date")):
            found = self.weak_parent(key, values, guardian_of)
        if len(found) > 1:
            numbers = ", ".join(f"№ {pid}" for pid in found if pid > 0) or "строки этого файла"
            out.error(None, "ambiguous", f"подходят несколько человек ({numbers}): одна строка — один человек; "
                                         "уточните СНИЛС или внешний идентификатор")
            return None, False
        mode = self.batch.mode
        if not found:
            if mode == "update_only":
                out.kind = "skipped"
                out.detail.append("нет в базе (режим «только обновить»)")
                return None, False
            row = self.people.add({k: values[k] for k in PERSON_FIELDS}, key)
            pid = row["id"]
            self.new_people[pid] = row
            out.kind, out.person_id = "new", pid
            out.fields = [k for k in PERSON_FIELDS if row[k] is not None]
            self._remember(out, identity, pid)
            return pid, True
        pid = found[0]
        out.person_id = pid
        if not self._remember(out, identity, pid):
            return None, False
        if mode == "add_only":
            out.kind = "skipped"
            out.detail.append("уже есть (режим «только добавить»)")
            return None, False
        current = self.people.rows[pid]
        changes = {k: v for k, v in values.items() if v is not None and current.get(k) != v}
        if changes:
            new_key = name_key(str(changes.get("last_name", current["last_name"])),
                               str(changes.get("first_name", current["first_name"])),
                               changes.get("middle_name", current["middle_name"]))
            self.people.update(pid, changes, new_key)  # a person new in this file: its planned row itself
            if pid > 0:
                self.updates.setdefault(pid, {}).update({**changes, "name_key": new_key})
            out.fields += [f"{prefix}{k}" for k in changes]
            out.kind = "changed" if out.kind == "unchanged" else out.kind
        return pid, False

    def _remember(self, out: _Row, identity: tuple[Any, ...] | None, pid: int) -> bool:
        """False (and an error) when an earlier row of the file already stands for the same thing."""
        if identity is None:
            return True
        seen = self.touched.setdefault(identity, {})
        first = seen.get(pid)
        if first is not None:
            out.error(None, "repeated", f"повторяет строку {first} (тот же человек)")
            return False
        seen[pid] = out.row
        return True

    # ---- orders, classes ------------------------------------------------------------------------------

    def order(self, out: _Row, ref: OrderRef | None, kind: str, what: str) -> tuple[int, date] | None:
        """The order (id, date) backing a row's movement; an order named by many rows is resolved once."""
        known = self._resolved.get((ref, kind))
        if known is not None:
            return known
        found = self._order(out, ref, kind, what)
        if found is not None:
            self._resolved[(ref, kind)] = found
        return found

    def _order(self, out: _Row, ref: OrderRef | None, kind: str, what: str) -> tuple[int, date] | None:
        if ref is None:
            out.error("order_number", "order_required",
                      f"Приказ: не указан — {what} оформляется приказом; добавьте столбцы «Номер приказа» и "
                      "«Дата приказа» или укажите приказ для всего файла (--order \"12-у от 01.09.2026\")")
            return None
        number, problems = clean_text(ref.number, "order_number", required=True, max_len=40)
        if errors(problems) or number is None:
            out.error("order_number", "bad_format", f"Номер приказа: «{ref.number}» — недопустимый номер")
            return None
        key = (fold(number), ref.order_date.year)
        existing = self.orders.get(key)
        if existing is not None:
            oid, day, found_kind = existing
            if day != ref.order_date:
                out.error("order_date", "order_mismatch",
                          f"Дата приказа: приказ № {number} этого года уже записан от {format_date(day)}, "
                          f"а в файле {format_date(ref.order_date)}")
                return None
            if found_kind != kind:
                out.error("order_number", "wrong_kind", f"Номер приказа: № {number} от {format_date(day)} — приказ "
                                                        f"другого вида ({found_kind}), а нужен {kind}")
                return None
            return oid, day
        tmp = -1 - len(self.new_orders)
        self.new_orders[key] = {"id": tmp, "number": number, "order_date": ref.order_date,
                                "order_year": ref.order_date.year, "kind": kind, "title": _ORDER_TITLES[kind]}
        self.orders[key] = (tmp, ref.order_date, kind)
        return tmp, ref.order_date

    def school_class(self, out: _Row, name: str) -> tuple[int, str, int] | None:
        """(class id, class name, parallel) of the current year's class named like "5А" (each spelling that
        names a class is looked up once; one that does not is reported on every row that has it)."""
        known = self._class_names.get(name)
        if known is None:
            known = self._school_class(out, name)
            if known is not None:
                self._class_names[name] = known
        return known

    def _school_class(self, out: _Row, name: str) -> tuple[int, str, int] | None:
        year = self.year
        if year is None:
            out.error("class_name", "no_year", "Класс: в школе нет учебного года")
            return None
        match = _CLASS_NAME.fullmatch(unicodedata.normalize("NFC", name).strip())
        if match is None:
            out.error("class_name", "bad_format", f"Класс: «{name}» — ожидается номер и буква, например 5А")
            return None
        letter = match[2].upper()
        letter = LATIN_LOOKALIKES.get(letter, letter)
        found = self._classes.get((int(match[1]), letter))
        if found is None:
            out.error("class_name", "not_found", f"Класс: {int(match[1])}{letter} не найден в учебном году "
                                                 f"{year.name}")
            return None
        return found[0], found[1], int(match[1])

    def in_year(self, out: _Row, day: date, field_name: str, label: str) -> bool:
        year = self.year
        assert year is not None
        if year.start_date <= day <= year.end_date:
            return True
        out.error(field_name, "out_of_range", f"{label}: {format_date(day)} вне учебного года {year.name} "
                                              f"({format_date(year.start_date)}–{format_date(year.end_date)})")
        return False

    # ---- entities -------------------------------------------------------------------------------------

    def student(self, record: StudentRecord, out: _Row) -> None:
        if record.leave:
            self.leave(record, out, "students")
            return
        target = None
        if record.class_name:
            target = self.school_class(out, record.class_name)
        pid, is_new = self.person(out, record.person, ("student",), grade=target[2] if target else None)
        if pid is None or out.rejected:
            return
        if is_new and not record.class_name:
            out.error("class_name", "required", "Класс: обязательное поле для нового обучающегося")
            return
        if target is not None:
            class_id, class_name, _ = target
            reference = record.start_date or self.today
            current = [e for e in self.enrolled.get(pid, []) if e[2] is None or e[2] >= reference]
            if current:
                if current[0][0] != class_id:
                    here = self._class_label(current[0][0])
                    out.error("class_name", "other_class",
                              f"Класс: обучающийся уже зачислен в {here} с {format_date(current[0][1])}; в файле "
                              f"{class_name} — перевод оформляется приказом о переводе, не импортом")
                    return
            else:
                found = self.order(out, record.order or self.batch.default_order, "enrolment", "зачисление")
                if found is None:
                    return
                order_id, order_date = found
                start = record.start_date or max(order_date, self.year.start_date if self.year else order_date)
                if not self.in_year(out, start, "start_date" if record.start_date else "order_date",
                                    "Дата зачисления"):
                    return
                self.enrolments.append((pid, class_id, start, order_id))
                self.enrolled[pid].append((class_id, start, None, None))
                out.fields.append("class_name")
                text = f"зачисление в {class_name} с {format_date(start)}"
                out.detail.append(self._texts.setdefault(text, text))  # one string per class and day
                if out.kind == "unchanged":
                    out.kind = "changed"
        for guardian in record.guardians:
            self.guardian_of(record, guardian, pid, out)

    # ---- leaving (soft end: an end date and an order, never a deletion) ----------------------------------

    def _leaver(self, out: _Row, data: PersonInput) -> int | None:
        """The one person a leaving row names by its stable keys; the row may carry nothing but its identity
        (a OneRoster tobedeleted row: the sourcedId as external id), so names are not required here."""
        from zhurnal.core.validation import normalize_snils

        values: dict[str, Any] = {"birth_date": data.birth_date}
        values["external_id"], problems = clean_text(data.external_id, "external_id", max_len=100)
        values["snils"], found = normalize_snils(data.snils)
        problems += found
        key = ""
        if data.last_name.strip() and data.first_name.strip():
            cleaned, more = _clean(data, self.today)
            problems += [p for p in more if p.field in ("last_name", "first_name", "middle_name")]
            key = name_key(str(cleaned["last_name"]), str(cleaned["first_name"]), cleaned["middle_name"])
            out.name = _full(cleaned["last_name"], cleaned["first_name"], cleaned["middle_name"])
        for p in errors(problems):
            out.problems.append(RowProblem(out.row, p.field, p.code, p.message))
        if out.rejected:
            return None
        if not (values["external_id"] or values["snils"] or (key and data.birth_date)):
            out.error("external_id", "required", "Внешний идентификатор: выбывающий указывается внешним "
                                                 "идентификатором, СНИЛС или ФИО с датой рождения")
            return None
        found_ids = self.people.match(values, key)
        if not found_ids:
            out.kind = "skipped"
            out.detail.append("нет в базе — завершать нечего")
            return None
        if len(found_ids) > 1:
            out.error(None, "ambiguous", f"подходят несколько человек ({', '.join(f'№ {p}' for p in found_ids)}); "
                                         "уточните СНИЛС или внешний идентификатор")
            return None
        pid = found_ids[0]
        out.person_id = pid
        out.name = out.name or self.people.name(pid)
        if not self._remember(out, ("leave",), pid):
            return None
        if self.batch.mode == "add_only":
            out.kind = "skipped"
            out.detail.append("выбытие не оформляется (режим «только добавить»)")
            return None
        return pid

    def leave(self, record: StudentRecord | StaffRecord, out: _Row, entity: str) -> None:
        """Plan the end of the student's running enrolment (a departure order) or of every position the
        employee holds (a dismissal order): the end date, the reason "other" and the order, nothing deleted."""
        pid = self._leaver(out, record.person)
        if pid is None:
            return
        student = entity == "students"
        running: list[tuple[int, date, str]] = []  # (row id, start, label)
        if student:
            for class_id, start, end, eid in self.enrolled.get(pid, []):
                if eid is not None and end is None:  # one already ending keeps its order and day
                    running.append((eid, start, self._class_label(class_id)))
        else:
            for title, end, position_id in self.held_positions.get(pid, []):
                if position_id is not None and end is None:
                    running.append((position_id, self._position_starts[position_id], f"«{title}»"))
        if not running:
            out.detail.append("уже выбыл" if student else "должностей в школе нет")
            return
        what = ("выбытие", "departure") if student else ("увольнение", "dismissal")
        if record.order is None:
            out.error("order_number", "order_required",
                      f"Приказ: не указан — {what[0]} оформляется приказом; добавьте столбцы «Номер приказа» и "
                      "«Дата приказа» (OneRoster: --option " + ("departure_order" if student else "dismissal_order")
                      + "=\"N от дд.мм.гггг\")")
            return
        found = self.order(out, record.order, what[1], what[0])
        if found is None:
            return
        order_id, order_date = found
        last_day = record.end_date or order_date
        for _, start, label in running:
            if last_day < start:
                out.error("end_date" if record.end_date else "order_date", "out_of_range",
                          f"{'Дата выбытия' if student else 'Дата увольнения'}: {format_date(last_day)} раньше "
                          f"начала ({label} с {format_date(start)})")
                return
        for row_id, _, label in running:
            self.ends.append(("enrolment" if student else "position", row_id, pid, last_day, order_id,
                              f"приказ № {record.order.number} от {format_date(order_date)}"))
            out.detail.append(f"{what[0]}: {label}, последний день {format_date(last_day)}")
        if student:
            self.enrolled[pid] = [e if e[3] not in {r[0] for r in running} else (e[0], e[1], last_day, e[3])
                                  for e in self.enrolled[pid]]
        else:
            ids = {r[0] for r in running}
            self.held_positions[pid] = [p if p[2] not in ids else (p[0], last_day, p[2])
                                        for p in self.held_positions[pid]]
        out.fields.append("end_date")
        out.kind = "changed"

    def _class_label(self, class_id: int) -> str:
        for cid, name in self._classes.values():
            if cid == class_id:
                return name
        return str(self.session.scalar(select(SchoolClass.name).where(SchoolClass.id == class_id)))

    def guardian_of(self, record: StudentRecord, guardian: GuardianInput, student_id: int, out: _Row) -> None:
        prefix = f"parent{guardian.slot}_"
        data = PersonInput(guardian.last_name, guardian.first_name, guardian.middle_name, phone=guardian.phone,
                           email=guardian.email)
        values, problems = _clean(data, self.today)
        for p in problems:
            target = p.field if p.field in ("phone", "email") else "name"
            out.problems.append(RowProblem(out.row, prefix + target, p.code, p.message, p.severity))
        relation = guardian.relation or guess_relation(values.get("middle_name"))
        if relation not in RELATIONS:
            out.error(prefix + "relation", "bad_format", f"Кем приходится: «{relation}» — допустимы мать, отец, "
                                                         "опекун, иной представитель")
        if out.rejected:
            return
        key = name_key(str(values["last_name"]), str(values["first_name"]), values["middle_name"])
        linked = {p for p, end in self.guardians.get(student_id, []) if end is None or end >= self.today}
        candidates = self.weak_parent(key, values, student_id)
        if len(candidates) > 1:
            out.error(prefix + "name", "ambiguous", f"Родитель {guardian.slot}: подходят несколько человек "
                                                    f"({', '.join(f'№ {c}' for c in candidates if c > 0)})")
            return
        label = f"родитель {guardian.slot}"
        if candidates:
            pid = candidates[0]
            current = self.people.rows[pid]
            changes = {k: v for k, v in values.items() if v is not None and current.get(k) != v}
            if changes and self.batch.mode != "add_only":
                self.people.update(pid, changes, key)
                if pid > 0:
                    self.updates.setdefault(pid, {}).update({**changes, "name_key": key})
                out.fields += [f"{prefix}{k if k in ('phone', 'email') else 'name'}" for k in changes]
                if out.kind == "unchanged":
                    out.kind = "changed"
        else:
            row = self.people.add({k: values.get(k) for k in PERSON_FIELDS}, key)
            pid = row["id"]
            self.new_people[pid] = row
            out.fields.append(prefix + "name")
            out.detail.append(f"{label}: новый человек")
            if out.kind == "unchanged":
                out.kind = "changed"
        if pid not in linked:
            self._link(pid, student_id, relation)
            out.detail.append(f"{label}: связь «{RELATIONS[relation]}»")
            if out.kind == "unchanged":
                out.kind = "changed"

    def weak_parent(self, key: str, values: dict[str, Any], student_id: int) -> list[int]:
        """A parent known only by name: the student's guardian of that name, else a guardian of the school
        with that name and the same phone or e-mail."""
        linked = {p for p, end in self.guardians.get(student_id, []) if end is None or end >= self.today}
        same_name = self.people.by_name.ids(key)
        candidates = sorted(linked & same_name)
        if not candidates:
            contacts = {values.get("phone"), values.get("email")} - {None}
            candidates = sorted(pid for pid in same_name if pid in self.parent_ids and contacts and contacts & {
                self.people.rows[pid].get("phone"), self.people.rows[pid].get("email")})
        return candidates

    @property
    def parent_ids(self) -> set[int]:
        """Everyone who is (or was, or is about to be) a guardian in the school."""
        if self._parent_ids is None:
            self._parent_ids = {p for links in self.guardians.values() for p, _ in links}
        return self._parent_ids

    def _link(self, parent_id: int, student_id: int, relation: str) -> None:
        self.links.append({"parent_id": parent_id, "student_id": student_id, "relation": relation,
                           "start_date": self.today})
        self.guardians[student_id].append((parent_id, None))
        self.parent_ids.add(parent_id)

    def staff(self, record: StaffRecord, out: _Row) -> None:
        if record.leave:
            self.leave(record, out, "staff")
            return
        title, problems = clean_text(record.position, "position", max_len=200)
        if errors(problems):
            out.error("position", "bad_format", "Должность: " + problems[0].message.removeprefix("position: "))
        rate = self._rate(out, record.rate)
        identity = ("staff", fold(title or ""))
        pid, is_new = self.person(out, record.person, identity)
        if pid is None or out.rejected:
            return
        if title is None:
            if is_new:
                out.error("position", "required", "Должность: обязательное поле для нового сотрудника")
            return
        held = [p for p, end, _ in self.held_positions.get(pid, []) if end is None or end >= self.today]
        if fold(title) in held:
            return
        found = self.order(out, record.order or self.batch.default_order, "hire", "приём на работу")
        if found is None:
            return
        order_id, order_date = found
        start = record.start_date or order_date
        self.positions.append({"person_id": pid, "position": title, "rate": rate, "start_date": start,
                               "start_order_id": order_id})
        self.held_positions[pid].append((fold(title), None, None))
        out.fields.append("position")
        out.detail.append(f"должность «{title}» с {format_date(start)}")
        if out.kind == "unchanged":
            out.kind = "changed"

    def _rate(self, out: _Row, rate: str | None) -> Decimal:
        if rate is None or not rate.strip():
            return Decimal("1.00")
        try:
            value = Decimal(rate.strip().replace(",", "."))
        except InvalidOperation:
            out.error("rate", "bad_format", f"Ставка: «{rate}» — не число")
            return Decimal("1.00")
        if not value.is_finite() or not _MIN_RATE <= value <= _MAX_RATE or value != value.quantize(Decimal("0.01")):
            out.error("rate", "out_of_range", "Ставка: допускается от 0,1 до 2,0, не более двух знаков после запятой")
            return Decimal("1.00")
        return value.quantize(Decimal("0.01"))

    def parent(self, record: ParentRecord, out: _Row) -> None:
        child = self._child(out, record.child)
        relation = record.relation or guess_relation(record.person.middle_name)
        if relation not in RELATIONS:
            out.error("relation", "bad_format", f"Кем приходится: «{relation}» — допустимы мать, отец, опекун, "
                                                "иной представитель")
        if child is None or out.rejected:
            self.person(out, record.person, None)  # still report the person's own problems
            return
        pid, _ = self.person(out, record.person, ("parent", child), guardian_of=child)
        if pid is None or out.rejected:
            return
        if pid == child:
            out.error("child_name", "self", "Ребёнок: человек не может быть представителем самого себя")
            return
        linked = {p for p, end in self.guardians.get(child, []) if end is None or end >= self.today}
        if pid in linked:
            return
        self._link(pid, child, relation)
        out.fields.append("relation")
        out.detail.append(f"{RELATIONS[relation]}: {self.people.name(child)}")
        if out.kind == "unchanged":
            out.kind = "changed"

    def _child(self, out: _Row, child: ChildKey) -> int | None:
        from zhurnal.core.validation import normalize_snils

        students = {pid for pid, rows in self.enrolled.items() if rows}
        found: set[int] = set()
        if child.snils:
            snils, problems = normalize_snils(child.snils)
            if errors(problems):
                out.error("child_snils", "bad_format", "СНИЛС ребёнка: " + problems[0].message.removeprefix("СНИЛС: "))
                return None
            found = self.people.by_snils.ids(snils or "") & students
        elif child.last_name and child.first_name and child.birth_date:
            key = name_key(child.last_name.strip(), child.first_name.strip(), (child.middle_name or "").strip() or None)
            found = self.people.by_name_birth.ids((key, child.birth_date)) & students
        else:
            out.error("child_name", "required", "Ребёнок: укажите СНИЛС ребёнка или его ФИО и дату рождения")
            return None
        if not found:
            named = child.snils or f"{_full(child.last_name, child.first_name, child.middle_name)}, " \
                                   f"{format_date(child.birth_date) if child.birth_date else ''}"
            out.error("child_snils" if child.snils else "child_name", "not_found",
                      f"Ребёнок: обучающийся «{named}» не найден в школе")
            return None
        if len(found) > 1:
            out.error("child_name", "ambiguous", f"Ребёнок: подходят несколько обучающихся "
                                                 f"({', '.join(f'№ {c}' for c in sorted(found))}); укажите СНИЛС")
            return None
        return next(iter(found))

    # ---- writing ----------------------------------------------------------------------------------------

    def write(self, step: Callable[[float], None] | None = None) -> list[AuditEvent]:
        """Write everything planned; return the audit events (queued by the caller only when applying).
        `step(share written)` after each bulk statement (it may raise Cancelled: the caller rolls back)."""
        session, ids = self.session, _Ids(self.session)
        step = step or (lambda share: None)
        events: list[AuditEvent] = []
        persons = cast(Table, Person.__table__)
        real = dict(zip(sorted(self.new_people, reverse=True), ids.take(persons, len(self.new_people)),
                        strict=True))

        def rid(pid: int) -> int:
            return real.get(pid, pid)

        now, school_id = self.now, self.school_id
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per distinct field list, not per event

        def person_rows() -> Iterator[dict[str, Any]]:
            for tmp, values in sorted(self.new_people.items(), reverse=True):
                pid = real[tmp]
                row = {k: values[k] for k in PERSON_FIELDS}
                fields = tuple(k for k in PERSON_FIELDS if row[k] is not None)
                events.append(AuditEvent("person.create", "person", pid, pid, fields=shared.setdefault(fields, fields),
                                         detail="import"))
                row.update(id=pid, school_id=school_id, name_key=values["name_key"], created_at=now, updated_at=now,
                           version=1)
                yield row

        bulk_insert(session, persons, person_rows())
        step(0.5)  # the people are most of what is written
        by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for pid, changes in self.updates.items():
            names = tuple(sorted(changes))
            by_fields[names].append({"_id": pid, **{f"_{k}": v for k, v in changes.items()}})
            events.append(AuditEvent("person.update", "person", pid, pid,
                                     fields=[k for k in names if k != "name_key"], detail="import"))
        for names, params in by_fields.items():
            statement = (update(persons).where(persons.c.id == bindparam("_id"))
                         .values({**{k: bindparam(f"_{k}") for k in names}, "version": persons.c.version + 1,
                                  "updated_at": self.now}))
            session.connection().execute(statement, params)
        orders = cast(Table, Order.__table__)
        order_ids = dict(zip([o["id"] for o in self.new_orders.values()], ids.take(orders, len(self.new_orders)),
                             strict=True))
        order_rows = []
        for order in self.new_orders.values():
            row = {**order, "id": order_ids[order["id"]], "school_id": self.school_id, "text": None,
                   "created_by": self.uow.actor.user_id, "created_at": self.now, "version": 1}
            order_rows.append(row)
            events.append(AuditEvent("order.create", "order", row["id"], fields=["number", "order_date", "kind",
                                                                                 "title"],
                                     detail=f"№ {row['number']} от {format_date(row['order_date'])}; {row['kind']}; "
                                            "import"))
        bulk_insert(session, orders, order_rows)
        step(0.6)
        enrolment_fields = ("class_id", "start_date", "start_reason", "start_order_id")

        def enrolment_rows() -> Iterator[dict[str, Any]]:
            table = cast(Table, Enrolment.__table__)
            for (pid, class_id, start, order), new_id in zip(self.enrolments, ids.take(table, len(self.enrolments)),
                                                               strict=True):
                row = {"person_id": rid(pid), "class_id": class_id, "start_date": start, "start_reason": "admission",
                       "start_order_id": order_ids.get(order, order), "id": new_id, "school_id": school_id,
                       "end_date": None, "end_reason": None, "end_order_id": None, "came_from": None, "went_to": None,
                       "version": 1}
                events.append(AuditEvent("enrolment.create", "enrolment", new_id, row["person_id"],
                                         fields=enrolment_fields, detail="import"))
                yield row

        bulk_insert(session, cast(Table, Enrolment.__table__), enrolment_rows())
        step(0.8)
        position_fields = ("position", "rate", "start_date", "start_order_id")

        def position_rows() -> Iterator[dict[str, Any]]:
            table = cast(Table, StaffPosition.__table__)
            for p, new_id in zip(self.positions, ids.take(table, len(self.positions)), strict=True):
                row = {**p, "id": new_id, "school_id": school_id, "person_id": rid(p["person_id"]),
                       "start_order_id": order_ids.get(p["start_order_id"], p["start_order_id"]), "end_date": None,
                       "end_order_id": None, "end_reason": None, "version": 1}
                events.append(AuditEvent("staff.hire", "staff_position", new_id, row["person_id"],
                                         fields=position_fields, detail="import"))
                yield row

        bulk_insert(session, cast(Table, StaffPosition.__table__), position_rows())
        step(0.85)
        link_fields = ("parent_id", "student_id", "relation", "start_date")

        def link_rows() -> Iterator[dict[str, Any]]:
            table = cast(Table, Guardianship.__table__)
            for g, new_id in zip(self.links, ids.take(table, len(self.links)), strict=True):
                row = {**g, "id": new_id, "school_id": school_id, "parent_id": rid(g["parent_id"]),
                       "student_id": rid(g["student_id"]), "end_date": None, "version": 1}
                for person_id in (row["student_id"], row["parent_id"]):
                    events.append(AuditEvent("guardianship.create", "guardianship", new_id, person_id,
                                             fields=link_fields, detail="import"))
                yield row

        bulk_insert(session, cast(Table, Guardianship.__table__), link_rows())
        step(0.95)
        self._write_ends(order_ids, events)
        self.real_ids = real
        return events
        self.real_ids = real
        return events


    def _write_ends(self, order_ids: dict[int, int], events: list[AuditEvent]) -> None:
        """The planned ends as UPDATEs of the running rows (by id), audited like the services' depart and
        dismiss."""
        if not self.ends:
            return
        tables = {"enrolment": cast(Table, Enrolment.__table__), "position": cast(Table, StaffPosition.__table__)}
        for kind, table in tables.items():
            params = [{"_id": row_id, "_end": day, "_order": order_ids.get(order, order)}
                      for k, row_id, _, day, order, _ in self.ends if k == kind]
            if not params:
                continue
            statement = (update(table).where(table.c.id == bindparam("_id"))
                         .values(end_date=bindparam("_end"), end_reason=END_REASON, end_order_id=bindparam("_order"),
                                 version=table.c.version + 1))
            self.session.connection().execute(statement, params)
        for kind, row_id, person_id, _, _, label in self.ends:
            action, object_type = ("enrolment.end", "enrolment") if kind == "enrolment" else \
                ("staff.dismiss", "staff_position")
            events.append(AuditEvent(action, object_type, row_id, person_id,
                                     fields=("end_date", "end_reason", "end_order_id"),
                                     detail=f"{label}; import"))

    def disable_due_accounts(self) -> None:
        """After an apply: the accounts of a leaver whose last day has come are disabled, as EnrolmentService
        .depart and StaffService.dismiss do (never in a dry run: that writes its own audit records)."""
        from zhurnal.core.services.staff import disable_accounts_if_due

        for person_id in dict.fromkeys(end[2] for end in self.ends):
            last_day = max(end[3] for end in self.ends if end[2] == person_id)
            disable_accounts_if_due(self.uow, person_id, last_day, self.today,
                                    "departure" if any(e[0] == "enrolment" and e[2] == person_id for e in self.ends)
                                    else "dismissal")


class _SubjectPlan:
    """The subjects a batch adds or renames (short name), matched by the folded name; written through the
    ORM like SubjectService does (a school has tens of subjects, not thousands)."""

    def __init__(self, uow: UnitOfWork, batch: ImportBatch) -> None:
        self.session = uow.session
        self.school_id = uow.school_id
        self.batch = batch
        self.existing = {fold(row.name): row for row in self.session.scalars(
            select(Subject).where(Subject.school_id == self.school_id))}
        self.seen: dict[str, int] = {}  # folded name -> first row
        self.new: list[tuple[str, str | None]] = []
        self.updates: dict[int, str | None] = {}  # subject id -> new short name
        self.real_ids: dict[int, int] = {}

    def subject(self, record: SubjectRecord, out: _Row) -> None:
        name, problems = clean_label(record.name, "name", "Название предмета", required=True, max_len=200)
        short, found = clean_label(record.short_name, "short_name", "Краткое название", max_len=40)
        for p in problems + found:
            out.error(p.field, p.code, p.message)
        if name is None or out.rejected:
            return
        key = fold(name)
        out.name = name
        if key in self.seen:
            out.error("name", "duplicate", f"предмет «{name}» уже есть в строке {self.seen[key]} файла")
            return
        self.seen[key] = record.row
        row = self.existing.get(key)
        mode = self.batch.mode
        if row is None:
            if mode == "update_only":
                out.kind = "skipped"
                return
            out.kind = "new"
            self.new.append((name, short))
            return
        if mode == "add_only":
            out.kind = "skipped"
            return
        if row.archived:
            out.detail.append("в архиве")
        if short is not None and short != row.short_name:  # an empty cell never clears a stored value
            out.kind = "changed"
            out.fields.append("short_name")
            self.updates[row.id] = short

    def write(self) -> list[AuditEvent]:
        events: list[AuditEvent] = []
        for name, short in self.new:
            row = Subject(school_id=self.school_id, name=name, short_name=short, archived=False)
            self.session.add(row)
            self.session.flush()
            events.append(AuditEvent("subject.create", "subject", row.id, None,
                                     fields=["name"] + (["short_name"] if short else []), detail="import"))
        for subject_id, short in self.updates.items():
            stored = self.session.get(Subject, subject_id)
            assert stored is not None
            stored.short_name = short
            self.session.flush()
            events.append(AuditEvent("subject.update", "subject", stored.id, None, fields=["short_name"],
                                     detail="import"))
        return events


class _ClassPlan:
    """The classes a batch adds, or whose class teacher it sets, matched by year + parallel + letter; checked
    with ClassService's own helpers (grade level, letter, open year, staff member) in the import's transaction."""

    def __init__(self, uow: UnitOfWork, batch: ImportBatch) -> None:
        self.uow = uow
        self.session = uow.session
        self.school_id = uow.school_id
        self.batch = batch
        self.today = batch.today or date.today()
        self.years = list(self.session.scalars(select(AcademicYear).where(AcademicYear.school_id == self.school_id)
                                               .order_by(AcademicYear.start_date)))
        self.existing = {(c.year_id, c.parallel, c.letter): c for c in self.session.scalars(
            select(SchoolClass).where(SchoolClass.school_id == self.school_id))}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for pid, key in self.session.execute(select(Person.id, Person.name_key)
                                             .where(Person.school_id == self.school_id)):
            self.by_name[key].append(pid)
        self.seen: dict[tuple[int, int, str], int] = {}
        self.new: list[tuple[AcademicYear, int, int, str, int | None]] = []  # year, level id, parallel, letter, t.
        self.updates: dict[int, int] = {}  # class id -> class teacher id
        self.real_ids: dict[int, int] = {}

    def year(self, out: _Row, name: str | None) -> AcademicYear | None:
        if name is None:
            found = [y for y in self.years if y.start_date <= self.today <= y.end_date]
            if not found:
                out.error("year", "required", f"Учебный год: не указан, а на {format_date(self.today)} учебного "
                                              "года нет")
                return None
            return found[0]
        key = fold(name).replace("-", "/").replace(" ", "")
        found = [y for y in self.years if fold(y.name).replace("-", "/").replace(" ", "") == key]
        if not found:
            known = ", ".join(y.name for y in self.years) or "нет ни одного"
            out.error("year", "not_found", f"Учебный год: «{name}» не найден; есть: {known}")
            return None
        return found[0]

    def teacher(self, out: _Row, name: str, field_name: str = "class_teacher", label: str = "Классный руководитель",
                birth: date | None = None, external_id: str | None = None) -> int | None:
        from zhurnal.core.errors import ValidationFailed
        from zhurnal.core.services.classes import require_staff

        staff = []
        if external_id:
            candidates = list(self.session.scalars(select(Person.id).where(Person.school_id == self.school_id,
                                                                          Person.external_id == external_id)))
        else:
            candidates = self.by_name.get(fold(" ".join(name.split())), [])
            if birth is not None:
                candidates = list(self.session.scalars(select(Person.id).where(
                    Person.id.in_(candidates), Person.birth_date == birth))) if candidates else []
        for pid in candidates:
            try:
                require_staff(self.uow, pid, "class_teacher", "Классный руководитель", self.today)
            except ValidationFailed:
                continue
            staff.append(pid)
        if not staff:
            out.error(field_name, "not_found", f"{label}: «{name}» не найден среди сотрудников")
            return None
        if len(staff) > 1:
            out.error(field_name, "ambiguous", f"{label}: «{name}» — {len(staff)} сотрудника с таким ФИО; укажите "
                                               "дату рождения или внешний идентификатор")
            return None
        return staff[0]

    def school_class(self, record: ClassRecord, out: _Row) -> None:
        from zhurnal.core.errors import ValidationFailed
        from zhurnal.core.services.classes import clean_letter, grade_level
        from zhurnal.core.services.years import require_open

        year = self.year(out, record.year)
        if record.class_name is None:
            out.error("class_name", "required", "Класс: обязательное поле не заполнено")
            return
        match = _CLASS_NAME.fullmatch(unicodedata.normalize("NFC", record.class_name).strip())
        if match is None:
            out.error("class_name", "bad_format", f"Класс: «{record.class_name}» — ожидается номер и буква, "
                                                  "например 5А")
            return
        letter, problems = clean_letter(match[2])
        for p in problems:
            out.error("class_name", p.code, p.message)
        teacher = self.teacher(out, record.class_teacher) if record.class_teacher else None
        if year is None or letter is None or out.rejected:
            return
        parallel = int(match[1])
        out.name = f"{parallel}{letter} ({year.name})"
        key = (year.id, parallel, letter)
        if key in self.seen:
            out.error("class_name", "duplicate", f"класс {parallel}{letter} уже есть в строке {self.seen[key]} файла")
            return
        self.seen[key] = record.row
        row = self.existing.get(key)
        mode = self.batch.mode
        if (row is None and mode == "update_only") or (row is not None and mode == "add_only"):
            out.kind = "skipped"
            return
        try:
            if row is None or (teacher is not None and teacher != row.class_teacher_id):
                require_open(year, "year")
            level = grade_level(self.uow, parallel, "class_name") if row is None else None
        except ValidationFailed as exc:
            for p in exc.problems:
                out.error(p.field, p.code, p.message)
            return
        if row is None:
            assert level is not None
            out.kind = "new"
            self.new.append((year, level.id, parallel, letter, teacher))
        elif teacher is not None and teacher != row.class_teacher_id:
            out.kind = "changed"
            out.fields.append("class_teacher")
            self.updates[row.id] = teacher

    def write(self) -> list[AuditEvent]:
        events: list[AuditEvent] = []
        for year, level_id, parallel, letter, teacher in self.new:
            row = SchoolClass(school_id=self.school_id, year_id=year.id, grade_level_id=level_id, parallel=parallel,
                              letter=letter, name=f"{parallel}{letter}", class_teacher_id=teacher)
            self.session.add(row)
            self.session.flush()
            events.append(AuditEvent("class.create", "class", row.id, None, detail="import",
                                     fields=["year_id", "parallel", "letter", "name"]
                                     + (["class_teacher_id"] if teacher is not None else [])))
        for class_id, teacher in self.updates.items():
            stored = self.session.get(SchoolClass, class_id)
            assert stored is not None
            stored.class_teacher_id = teacher
            self.session.flush()
            events.append(AuditEvent("class.update", "class", class_id, None, fields=["class_teacher_id"],
                                     detail="import"))
        return events


class _AssignmentPlan(_ClassPlan):
    """Teaching assignments a batch adds, matched by class + subject + teacher + subgroup (folded), the key
    AssignmentService refuses twins by; an assignment has nothing else, so a row is new or unchanged."""

    def __init__(self, uow: UnitOfWork, batch: ImportBatch) -> None:
        super().__init__(uow, batch)
        self.subjects = {fold(row.name): row for row in self.session.scalars(
            select(Subject).where(Subject.school_id == self.school_id))}
        self.live = {(a.class_id, a.subject_id, a.teacher_id, fold(a.subgroup or "")) for a in self.session.execute(
            select(TeachingAssignment.class_id, TeachingAssignment.subject_id, TeachingAssignment.teacher_id,
                   TeachingAssignment.subgroup).where(TeachingAssignment.school_id == self.school_id,
                                                      TeachingAssignment.deleted_at.is_(None)))}
        self.planned: dict[tuple[int, int, int, str], int] = {}
        self.assignments: list[tuple[SchoolClass, Subject, int, str | None]] = []

    def assignment(self, record: AssignmentRecord, out: _Row) -> None:
        from zhurnal.core.errors import ValidationFailed
        from zhurnal.core.services.years import require_open

        year = self.year(out, record.year)
        school_class = None
        if record.class_name is None:
            out.error("class_name", "required", "Класс: обязательное поле не заполнено")
        else:
            match = _CLASS_NAME.fullmatch(unicodedata.normalize("NFC", record.class_name).strip())
            letter = LATIN_LOOKALIKES.get(match[2].upper(), match[2].upper()) if match else ""
            school_class = self.existing.get((year.id, int(match[1]), letter)) if year and match else None
            if year is not None and school_class is None:
                out.error("class_name", "not_found", f"Класс: «{record.class_name}» не найден в учебном году "
                                                     f"{year.name}")
        subject = self.subjects.get(fold(record.subject)) if record.subject else None
        if record.subject is None:
            out.error("subject", "required", "Предмет: обязательное поле не заполнено")
        elif subject is None:
            out.error("subject", "not_found", f"Предмет: «{record.subject}» не найден (сначала загрузите предметы)")
        elif subject.archived:
            out.error("subject", "archived", f"Предмет: «{subject.name}» в архиве — сначала верните его из архива")
        teacher = None
        if record.teacher is None and record.teacher_external_id is None:
            out.error("teacher", "required", "Учитель: обязательное поле не заполнено")
        else:
            teacher = self.teacher(out, record.teacher or record.teacher_external_id or "", "teacher", "Учитель",
                                   record.teacher_birth_date, record.teacher_external_id)
        group, problems = clean_label(record.subgroup, "subgroup", "Подгруппа", max_len=40)
        for p in problems:
            out.error(p.field, p.code, p.message)
        if out.rejected or school_class is None or subject is None or teacher is None or year is None:
            return
        group_text = f", группа «{group}»" if group else ""
        out.name = f"{subject.name} в {school_class.name}{group_text}"
        key = (school_class.id, subject.id, teacher, fold(group or ""))
        if key in self.planned:
            out.error(None, "duplicate", f"такое назначение уже есть в строке {self.planned[key]} файла")
            return
        self.planned[key] = record.row
        if key in self.live:
            if self.batch.mode == "add_only":
                out.kind = "skipped"
            return
        if self.batch.mode == "update_only":
            out.kind = "skipped"
            return
        try:
            require_open(year, "class_name")
        except ValidationFailed as exc:
            for p in exc.problems:
                out.error(p.field, p.code, p.message)
            return
        out.kind = "new"
        self.assignments.append((school_class, subject, teacher, group))

    def write(self) -> list[AuditEvent]:
        events: list[AuditEvent] = []
        for school_class, subject, teacher, group in self.assignments:
            row = TeachingAssignment(school_id=self.school_id, year_id=school_class.year_id, class_id=school_class.id,
                                     subject_id=subject.id, teacher_id=teacher, subgroup=group)
            self.session.add(row)
            self.session.flush()
            events.append(AuditEvent("assignment.create", "teaching_assignment", row.id, None, detail="import",
                                     fields=["class_id", "subject_id", "teacher_id"] + (["subgroup"] if group else [])))
        return events


def _plan(uow: UnitOfWork, batch: ImportBatch,
          tick: Callable[[int], None]) -> tuple[_Plan | _SubjectPlan | _ClassPlan, list[_Row]]:
    """Plan every row of `batch`; `tick(rows planned)` every TICK_ROWS rows (it may raise Cancelled)."""
    if batch.entity in ("subjects", "classes", "assignments"):
        structure: _SubjectPlan | _ClassPlan
        if batch.entity == "subjects":
            structure = _SubjectPlan(uow, batch)
            expected: type = SubjectRecord
        elif batch.entity == "classes":
            structure = _ClassPlan(uow, batch)
            expected = ClassRecord
        else:
            structure = _AssignmentPlan(uow, batch)
            expected = AssignmentRecord
        outcomes = []
        for record in batch.records:
            if not isinstance(record, expected):
                raise TypeError(f"{batch.entity}: expected {expected.__name__}, got {type(record).__name__}")
            out = _Row(record.row)
            out.problems += [RowProblem(record.row, p.field, p.code, p.message, p.severity)
                             for p in record.problems]
            if isinstance(structure, _SubjectPlan):
                structure.subject(record, out)  # type: ignore[arg-type]
            elif isinstance(structure, _AssignmentPlan):
                structure.assignment(record, out)  # type: ignore[arg-type]
            else:
                structure.school_class(record, out)  # type: ignore[arg-type]
            outcomes.append(out)
            if len(outcomes) % TICK_ROWS == 0:
                tick(len(outcomes))
        return structure, outcomes
    plan = _Plan(uow, batch)
    handlers = {"students": (StudentRecord, plan.student), "staff": (StaffRecord, plan.staff),
                "parents": (ParentRecord, plan.parent)}
    kind, handler = handlers[batch.entity]
    outcomes = []
    for record in batch.records:
        if not isinstance(record, kind):
            raise TypeError(f"{batch.entity}: expected {kind.__name__}, got {type(record).__name__}")
        out = _Row(record.row)
        out.problems += [RowProblem(record.row, p.field, p.code, p.message, p.severity) for p in record.problems]
        # Planned even when already rejected, so every problem of the row is reported at once; a rejected
        # row refuses the whole batch, so nothing it plans is ever written.
        handler(record, out)  # type: ignore[operator]
        outcomes.append(out)
        if len(outcomes) % TICK_ROWS == 0:
            tick(len(outcomes))
    return plan, outcomes


def _report_changes(plan: _Plan | _SubjectPlan | _ClassPlan,
                    outcomes: Iterable[_Row]) -> tuple[list[Change], list[RowProblem], dict[str, int]]:
    counts = dict.fromkeys(KINDS, 0)
    changes, problems = [], []
    real = getattr(plan, "real_ids", {})
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # most rows change the same fields: one tuple each
    for out in outcomes:
        problems += out.problems
        kind = "rejected" if out.rejected else out.kind
        counts[kind] += 1
        if kind != "rejected":
            pid = real.get(out.person_id, out.person_id) if out.person_id is not None else None
            fields = tuple(dict.fromkeys(out.fields))
            changes.append(Change(out.row, kind, out.name, pid if pid is None or pid > 0 else None,
                                  shared.setdefault(fields, fields), "; ".join(out.detail)))
    return changes, problems, counts


# ---------------------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------------------

class _Bar:
    """An apply's `progress(done, PERMILLE)`: planning rows up to PLANNED, writing them up to WRITTEN (a batch
    each its share by rows), the audit records up to PERMILLE; a dry run's two stages fill the bar."""

    def __init__(self, progress: Progress | None, batches: Sequence[ImportBatch], dry_run: bool) -> None:
        self.progress = progress
        self.sizes = [len(b.records) for b in batches]
        self.rows = max(sum(self.sizes), 1)
        self.end = PERMILLE if dry_run else WRITTEN  # where planning and writing end
        self.plan_share = PLANNED / WRITTEN  # of a row's way to `end`: the planning, the rest its writing
        self.index = 0  # the batch being planned or written
        self.before = 0  # rows of the batches done

    def _report(self, permille: float) -> None:
        if self.progress is not None:
            self.progress(min(int(permille), PERMILLE), PERMILLE)

    def planned(self, rows: int) -> None:
        self._report(self.end * (self.before + rows * self.plan_share) / self.rows)

    def written(self, share: float) -> None:
        size = self.sizes[self.index]
        self._report(self.end * (self.before + size * (self.plan_share + (1 - self.plan_share) * share)) / self.rows)
        if share >= 1.0:
            self.before += size
            self.index += 1

    def audited(self, done: int, total: int) -> None:
        self._report(WRITTEN + (PERMILLE - WRITTEN) * done / max(total, 1))


def _check_batch(batch: ImportBatch) -> None:
    if batch.entity not in ENTITIES:
        raise ValueError(f"unknown entity {batch.entity!r}; known: {', '.join(ENTITIES)}")
    if batch.mode not in MODES:
        raise ValueError(f"unknown mode {batch.mode!r}; known: {', '.join(MODES)}")


class ImportService(Service):
    """Applying validated rows of a file in one transaction; the import log and the remembered mapping."""

    area = "import"

    @service("import.run")
    def apply(self, uow: UnitOfWork, batch: ImportBatch, run: RunInfo, *, dry_run: bool,
              progress: Progress | None = None) -> ImportReport:
        """Plan and write `batch` inside a savepoint; keep it only when not `dry_run` and no row is rejected.

        Either way an `ImportRun` log row is written (outcome applied, dry_run or refused) with the counts
        and the mapping, and the attempt is audited as import.apply / import.dry_run / import.refused with
        the counts (never personal data). The report lists every row's change and every problem.

        `progress(done, 1000)` per mille: every TICK_ROWS rows planned, after each bulk statement and each
        AUDIT_CHUNK audit records. When it raises Cancelled, everything the import wrote is rolled back; the
        attempt is logged (outcome cancelled) and audited as import.cancelled, and Cancelled propagates.
        """
        return self._apply(uow, [batch], [run], dry_run, progress)[0]

    @service("import.run")
    def apply_all(self, uow: UnitOfWork, batches: Sequence[ImportBatch], runs: Sequence[RunInfo], *,
                  dry_run: bool, progress: Progress | None = None) -> list[ImportReport]:
        """Several batches of one file (a bundle feeding several entities, e.g. OneRoster staff and students)
        in ONE savepoint: planned and written in order, so a later batch sees what an earlier one wrote; a
        rejected row in any batch refuses them all. `runs[i]` describes `batches[i]` (one log row each).
        `progress` as in `apply`, over all the batches."""
        if len(batches) != len(runs):
            raise ValueError("apply_all: one RunInfo per batch")
        return self._apply(uow, batches, runs, dry_run, progress)

    def _apply(self, uow: UnitOfWork, batches: Sequence[ImportBatch], runs: Sequence[RunInfo],
               dry_run: bool, progress: Progress | None = None) -> list[ImportReport]:
        for batch in batches:
            _check_batch(batch)
            if batch.entity not in PEOPLE:
                check(uow.actor, "school.write")  # the school's structure: who may edit it by hand
        savepoint = uow.session.begin_nested()
        try:
            planned, applied = self._plan_and_write(uow, batches, dry_run, _Bar(progress, batches, dry_run))
        except Cancelled as exc:
            _cleaned.cache_clear()
            savepoint.rollback()  # the rows and their audit records (nothing else is queued before a cancel)
            # Logged and audited like a refused import, and kept: this body commits its own log before the
            # exception tells the caller (the service boundary would otherwise roll the log back too).
            self._log(uow, batches, runs, dry_run, "cancelled", [None] * len(batches))
            uow.commit()
            raise Cancelled(CANCELLED) from exc
        results = [_report_changes(plan, outcomes) for plan, outcomes in planned]
        if applied:
            savepoint.commit()
        else:
            savepoint.rollback()
        outcome = "applied" if applied else ("dry_run" if dry_run else "refused")
        return self._log(uow, batches, runs, dry_run, outcome, results)

    @staticmethod
    def _plan_and_write(uow: UnitOfWork, batches: Sequence[ImportBatch], dry_run: bool, bar: _Bar) -> tuple[
            list[tuple[_Plan | _SubjectPlan | _ClassPlan, list[_Row]]], bool]:
        """Plan every batch and write them while no row is rejected; when applying, disable the accounts
        due and queue (with `bar`: write) the audit records. The caller keeps or rolls back the savepoint.
        Returns (plans, applied)."""
        planned: list[tuple[_Plan | _SubjectPlan | _ClassPlan, list[_Row]]] = []
        events: list[AuditEvent] = []
        refused = False
        for batch in batches:
            plan, outcomes = _plan(uow, batch, bar.planned)
            refused = refused or any(out.rejected for out in outcomes)
            if not refused:
                events += plan.write(bar.written) if isinstance(plan, _Plan) else plan.write()
            bar.written(1.0)
            planned.append((plan, outcomes))
        applied = not dry_run and not refused
        if applied:
            _cleaned.cache_clear()  # the cleaned rows are personal data: not kept past the import
            for plan, _ in planned:
                if isinstance(plan, _Plan):
                    plan.disable_due_accounts()
            uow.audit_events(events)
            if bar.progress is not None:  # written now (in the savepoint), a chunk at a time: the bar moves
                uow.write_audit(AUDIT_CHUNK, bar.audited)  # and a cancel still rolls everything back
        return planned, applied

    def _log(self, uow: UnitOfWork, batches: Sequence[ImportBatch], runs: Sequence[RunInfo], dry_run: bool,
             outcome: str, results: Sequence[tuple[list[Change], list[RowProblem], dict[str, int]] | None],
             ) -> list[ImportReport]:
        """One ImportRun log row and one audit record per batch (`results[i]` None: nothing counted)."""
        reports = []
        for batch, run, result in zip(batches, runs, results, strict=True):
            changes, problems, counts = result or ([], [], dict.fromkeys(KINDS, 0))
            started = run.started_at or utcnow()
            log = ImportRun(school_id=uow.school_id, user_id=uow.actor.user_id, login=uow.actor.login,
                            file_name=run.file_name[:255], sha256=run.sha256, format=run.format,
                            entity=batch.entity, mode=batch.mode, dry_run=dry_run, outcome=outcome,
                            rows_total=len(batch.records), count_new=counts["new"],
                            count_changed=counts["changed"], count_unchanged=counts["unchanged"],
                            count_skipped=counts["skipped"], count_rejected=counts["rejected"],
                            mapping=json.dumps(run.mapping, ensure_ascii=False, sort_keys=True),
                            details=json.dumps(run.details, ensure_ascii=False, sort_keys=True),
                            started_at=started, finished_at=utcnow())
            uow.session.add(log)
            uow.session.flush()
            summary = ", ".join(f"{k} {v}" for k, v in counts.items())
            uow.audit(f"import.{outcome if outcome != 'applied' else 'apply'}", object_type="import_run",
                      object_id=log.id, detail=f"{batch.entity}; {run.format}; {batch.mode}; {summary}",
                      outcome="failed" if outcome == "cancelled" else "ok")
            reports.append(ImportReport(log.id, batch.entity, batch.mode, dry_run, outcome == "applied",
                                        len(batch.records), counts, changes, problems))
        return reports

    @service("import.run", write=False)
    def remembered_mapping(self, uow: UnitOfWork, format: str, entity: str) -> dict[str, str] | None:
        """The column mapping of the school's latest import of this format and entity, if any."""
        text_value = uow.session.scalar(
            select(ImportRun.mapping).where(ImportRun.school_id == uow.school_id, ImportRun.format == format,
                                            ImportRun.entity == entity, ImportRun.mapping.is_not(None))
            .order_by(ImportRun.id.desc()).limit(1))
        if not text_value:
            return None
        value = json.loads(text_value)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None

    @service("import.run", write=False)
    def runs(self, uow: UnitOfWork, limit: int = 20) -> list[ImportRunView]:
        """The school's latest import attempts, newest first."""
        rows = uow.session.scalars(select(ImportRun).where(ImportRun.school_id == uow.school_id)
                                   .order_by(ImportRun.id.desc()).limit(limit))
        return [ImportRunView(r.id, r.login, r.file_name, r.sha256, r.format, r.entity, r.mode, r.outcome,
                              {"new": r.count_new, "changed": r.count_changed, "unchanged": r.count_unchanged,
                               "skipped": r.count_skipped, "rejected": r.count_rejected},
                              r.started_at, r.finished_at) for r in rows]


# ---------------------------------------------------------------------------------------------------------
# Export queries
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GuardianExport:
    full_name: str
    phone: str | None
    email: str | None
    relation: str


@dataclass(frozen=True)
class StudentExport:
    person: PersonView
    class_name: str
    guardians: tuple[GuardianExport, ...]


@dataclass(frozen=True)
class StaffExport:
    person: PersonView
    position: str
    rate: Decimal
    start_date: date


@dataclass(frozen=True)
class ParentExport:
    person: PersonView
    relation: str
    child: PersonView
    child_class: str | None


@dataclass(frozen=True)
class TermExport:
    id: int
    kind: str
    number: int
    name: str
    start_date: date
    end_date: date


@dataclass(frozen=True)
class YearExport:
    id: int
    name: str
    start_date: date
    end_date: date
    terms: tuple[TermExport, ...]


@dataclass(frozen=True)
class ClassExport:
    id: int
    name: str
    parallel: int
    letter: str
    year_id: int


@dataclass(frozen=True)
class StructureExport:
    """The school, its academic year in force on a day (with terms) and that year's classes: what a bundle
    format (OneRoster orgs, academicSessions, classes) writes besides the people. No personal data."""

    school_id: int
    school_code: str
    school_name: str
    years: tuple[YearExport, ...]
    classes: tuple[ClassExport, ...]


_RELATION_ORDER = {"mother": 0, "father": 1, "guardian": 2, "other": 3}


def _guardianship_on(day: date) -> Any:
    return (Guardianship.start_date <= day) & or_(Guardianship.end_date.is_(None), Guardianship.end_date >= day)


class ExportService(Service):
    """Lists with personal data for export files; every call is audited with its row count."""

    area = "export"

    @service("export.personal_data")
    def students(self, uow: UnitOfWork, on: date | None = None, purpose: str = "") -> list[StudentExport]:
        """Students enrolled on `on` (today by default) with their class and current guardians, by class
        and name. Audited as export.students with the row count and `purpose` (the format)."""
        day = on or date.today()
        rows = uow.session.execute(
            select(Person, SchoolClass.name, SchoolClass.parallel, SchoolClass.letter)
            .join(Enrolment, Enrolment.person_id == Person.id).join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .where(Enrolment.school_id == uow.school_id, active_on(Enrolment, day))
            .order_by(SchoolClass.parallel, SchoolClass.letter, Person.name_key, Person.id)).all()
        parent = aliased(Person)
        links: dict[int, list[tuple[int, int, GuardianExport]]] = defaultdict(list)
        for g, p in uow.session.execute(select(Guardianship, parent).join(parent, parent.id == Guardianship.parent_id)
                                        .where(Guardianship.school_id == uow.school_id, _guardianship_on(day))):
            links[g.student_id].append((_RELATION_ORDER.get(g.relation, 9), g.id, GuardianExport(
                _full(p.last_name, p.first_name, p.middle_name), p.phone, p.email, g.relation)))
        result = [StudentExport(person_view(p), name, tuple(x[2] for x in sorted(links.get(p.id, []),
                                                                                    key=lambda x: x[:2])))
                  for p, name, _, _ in rows]
        uow.audit("export.students", detail=f"{purpose}; rows={len(result)}".lstrip("; "))
        return result

    @service("export.personal_data")
    def staff(self, uow: UnitOfWork, on: date | None = None, purpose: str = "") -> list[StaffExport]:
        """Positions held on `on` (today by default), one row per position, by name. Audited with the count."""
        day = on or date.today()
        rows = uow.session.execute(
            select(Person, StaffPosition).join(StaffPosition, StaffPosition.person_id == Person.id)
            .where(StaffPosition.school_id == uow.school_id, active_on(StaffPosition, day))
            .order_by(Person.name_key, Person.id, StaffPosition.id)).all()
        result = [StaffExport(person_view(p), s.position, Decimal(s.rate), s.start_date) for p, s in rows]
        uow.audit("export.staff", detail=f"{purpose}; rows={len(result)}".lstrip("; "))
        return result

    @service("export.personal_data")
    def parents(self, uow: UnitOfWork, on: date | None = None, purpose: str = "") -> list[ParentExport]:
        """Guardianship links in force on `on`, one row per parent and child. Audited with the count."""
        day = on or date.today()
        parent, child = aliased(Person), aliased(Person)
        rows = uow.session.execute(
            select(Guardianship.relation, parent, child).join(parent, parent.id == Guardianship.parent_id)
            .join(child, child.id == Guardianship.student_id)
            .where(Guardianship.school_id == uow.school_id, _guardianship_on(day))
            .order_by(parent.name_key, parent.id, child.name_key)).all()
        classes = dict(uow.session.execute(
            select(Enrolment.person_id, SchoolClass.name).join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .where(Enrolment.school_id == uow.school_id, active_on(Enrolment, day))).all())
        result = [ParentExport(person_view(p), relation, person_view(c), classes.get(c.id))
                  for relation, p, c in rows]
        uow.audit("export.parents", detail=f"{purpose}; rows={len(result)}".lstrip("; "))
        return result

    @service("export.personal_data", write=False)
    def structure(self, uow: UnitOfWork, on: date | None = None) -> StructureExport:
        """The school, the academic year containing `on` (today by default; else the latest year) with its
        terms, and that year's classes by parallel and letter (for bundle exports such as OneRoster)."""
        from zhurnal.core.models import School, Term

        day = on or date.today()
        school = uow.session.get(School, uow.school_id)
        assert school is not None
        years = list(uow.session.scalars(select(AcademicYear).where(AcademicYear.school_id == uow.school_id)
                                         .order_by(AcademicYear.start_date)))
        current = [y for y in years if y.start_date <= day <= y.end_date] or years[-1:]
        found: list[YearExport] = []
        classes: list[ClassExport] = []
        for y in current:
            terms = tuple(TermExport(t.id, t.kind, t.number, t.name, t.start_date, t.end_date) for t in
                          uow.session.scalars(select(Term).where(Term.year_id == y.id)
                                              .order_by(Term.start_date, Term.number)))
            found.append(YearExport(y.id, y.name, y.start_date, y.end_date, terms))
            classes += [ClassExport(c.id, c.name, c.parallel, c.letter, c.year_id) for c in uow.session.scalars(
                select(SchoolClass).where(SchoolClass.year_id == y.id)
                .order_by(SchoolClass.parallel, SchoolClass.letter))]
        return StructureExport(school.id, school.code, school.name, tuple(found), tuple(classes))

