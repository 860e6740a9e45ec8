"""Deterministic generator of a realistic Russian demo school (or a district of them).

`build_demo` writes everything in ONE transaction through SQLAlchemy Core batched inserts: a school with
its grade levels, year and terms (`create_school_rows`), subjects and curriculum, 22 classes 1А..11Б with
about 1,100 students, their parents (siblings share parents), 80 staff hired by orders, teaching
assignments and class teachers, the orders history, a few transfers and departures this year, the
administrator account, and the audit records. Schools 1..`journal_schools` (by default the first) also get
accounts for staff, students and parents and the first quarter's journal (`core.demo.journal`); the others a
few never-activated staff accounts.

Determinism: every random draw comes from `random.Random` seeded with the seed and the school's index, so
the same seed gives the same people, dates and SNILS, and school N is the same whether 1 or 50 schools
are built. Only the academic year (and the dates inside it) follows `today`; `created_at` columns and the
audit timestamps carry the real moment of the build.

Ids: rows that other rows point at (persons, orders, classes, subjects, users) get ids reserved before the
insert: on PostgreSQL from the table's own sequence (`nextval` over `generate_series`, safe next to other
writers), on SQLite from `max(id)` (the write transaction is BEGIN IMMEDIATE, so no one else inserts).
Plain executemany without RETURNING is the fastest path on both engines and the ids are known up front.
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from zhurnal.core import audit
from zhurnal.core.activity import rebuild_rollup
from zhurnal.core.audit import AuditEvent
from zhurnal.core.demo import names
from zhurnal.core.demo.journal import (
    Assignment,
    QuarterInput,
    QuarterRows,
    make_quarter,
    split_classes,
    subgroup_rows,
)
from zhurnal.core.models import (
    ActivityEvent,
    Attendance,
    Base,
    CurriculumItem,
    Enrolment,
    GradeLevel,
    Guardianship,
    Lesson,
    Mark,
    MarkHistory,
    Order,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    StaffPosition,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    Term,
    TermMark,
    TermMarkHistory,
    User,
    WorkType,
    utcnow,
)
from zhurnal.core.passwords import hash_password
from zhurnal.core.permissions import Actor
from zhurnal.core.services.calendar import school_year_start, year_name
from zhurnal.core.services.persons import name_key
from zhurnal.core.services.schools import create_school_rows
from zhurnal.core.store import Store
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import format_date, snils_checksum

__all__ = [
    "CHUNK",
    "END_REASON_ORDER_KIND",
    "LETTERS",
    "START_REASON_ORDER_KIND",
    "DemoSummary",
    "build_demo",
    "default_journal_schools",
    "insert_rows",
]

CHUNK = 1000
"""Rows per executemany batch."""

LETTERS: tuple[str, ...] = ("А", "Б")
"""Class letters of every parallel: 22 classes 1А..11Б."""

CLASS_SIZE = (48, 52)
"""Students per class at the start of the year (inclusive range): about 1,100 students in 22 classes."""

SIBLING_FAMILY_SHARE = 0.20
"""Share of families with two children in the school."""

BOTH_PARENTS, MOTHER_ONLY = 0.75, 0.21  # the rest: father only
NO_PATRONYMIC_SHARE = 0.08  # of children in mother-only families: the father is not named
NEWCOMER_SHARE = 0.05
PARENT_SNILS_SHARE = 0.90
PARENT_EMAIL_SHARE = 0.40
STAFF_EMAIL_SHARE = 0.70
STAFF_ACCOUNT_SHARE = 0.10  # staff with a never-activated account (no password yet)
TRANSFERS = (3, 6)  # between parallel classes this year
DEPARTURES = (3, 6)  # to another school this year
DEPARTURE_COUNTERPART = "МБОУ «СОШ № 7» г. Светлогорск"
ARRIVAL_COUNTERPARTS: tuple[str, ...] = (
    "МБОУ «СОШ № 12» г. Светлогорск",
    "МАОУ «Гимназия № 1» г. Приморск",
    "МБОУ «СОШ № 5» г. Озёрск",
    "МБОУ «Лицей № 2» г. Новоборск",
    "МКОУ «СОШ с. Берёзовка»",
    "МБОУ «СОШ № 3» г. Каменск",
)

START_REASON_ORDER_KIND: dict[str, str] = {
    "admission": "enrolment",  # intake into grade 1 or grade 10
    "transfer_in": "enrolment",  # arrival from another school (`came_from` names it)
    "promotion": "promotion",  # continuing student, moved up on the order of 31 May
    "transfer": "transfer",  # moved to the parallel class
}
"""Start reasons of the demo's enrolments and the kind of order each needs."""

END_REASON_ORDER_KIND: dict[str, str] = {
    "transfer": "transfer",
    "transfer_out": "departure",  # left for another school (`went_to` names it)
}
"""End reasons of the demo's enrolments and the kind of order each needs (the reason codes are those of
`zhurnal.core.services.enrolments`)."""

# Subjects the class teacher of a primary class (grades 1-4) teaches; specialists teach the rest.
_PRIMARY_BY_CLASS_TEACHER = frozenset({
    "Русский язык", "Литературное чтение", "Математика", "Окружающий мир",
    "Основы религиозных культур и светской этики", "Изобразительное искусство", "Труд (технология)",
})
_BY_CLASS_TEACHER = "class teacher"
# Subjects taught in two subgroups (half a class each), as schools do with classes this size.
_SPLIT_SUBJECTS = frozenset({"Иностранный язык (английский)", "Информатика", "Труд (технология)"})
SUBGROUPS: tuple[str, ...] = ("1 группа", "2 группа")
# Subject -> the specialty of the teachers who teach it (grades 5-11, and primary subjects not above).
_SPECIALTY: dict[str, str] = {
    "Русский язык": "Русский язык и литература",
    "Литература": "Русский язык и литература",
    "Иностранный язык (английский)": "Иностранный язык",
    "Математика": "Математика",
    "Алгебра": "Математика",
    "Геометрия": "Математика",
    "Вероятность и статистика": "Математика",
    "Информатика": "Информатика",
    "История": "История и обществознание",
    "Обществознание": "История и обществознание",
    "Основы духовно-нравственной культуры народов России": "История и обществознание",
    "География": "География",
    "Биология": "Биология",
    "Физика": "Физика",
    "Химия": "Химия",
    "Изобразительное искусство": "Изобразительное искусство",
    "Музыка": "Музыка",
    "Труд (технология)": "Труд (технология)",
    "Физическая культура": "Физическая культура",
    "Основы безопасности и защиты Родины": "ОБЗР",
    "Индивидуальный проект": _BY_CLASS_TEACHER,
}
_FEMALE_SHARE_BY_SPECIALTY = {"Физическая культура": 0.45, "ОБЗР": 0.25, "Информатика": 0.5,
                              "Труд (технология)": 0.5, "Физика": 0.6, "primary": 0.97}
_FEMALE_SHARE_BY_POSITION = {
    "Директор": 0.6, "Учитель": 0.85, "Учитель-логопед": 1.0, "Системный администратор": 0.1,
    "Медицинская сестра": 1.0, "Заведующий хозяйством": 0.4, "Сторож": 0.15, "Бухгалтер": 0.95,
    "Секретарь": 0.95, "Гардеробщик": 0.9, "Уборщик служебных помещений": 0.9,
}
_AGE_BY_POSITION = {"Директор": (40, 62), "Заместитель директора по учебной работе": (35, 60),
                    "Заместитель директора по воспитательной работе": (32, 58), "Сторож": (45, 68),
                    "Гардеробщик": (45, 68), "Уборщик служебных помещений": (30, 65),
                    "Советник директора по воспитанию": (23, 35)}
_EMAIL_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru", "rambler.ru")
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ("a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
                      "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"),
                     strict=True))

# SNILS: nine digits above 001-001-998 (the checksum starts there), drawn without repetition.
_SNILS_FIRST = 1_001_999
_SNILS_SPACE = 999_999_999 - _SNILS_FIRST + 1
_SNILS_BLOCK = 100_000  # counters reserved per school, so school N gets the same numbers in any district
_TRIPLE_DIGIT = re.compile(r"(\d)\1\1")  # a real SNILS never repeats a digit three times in a row


@dataclass(frozen=True)
class DemoSummary:
    """What `build_demo` created (totals over all schools)."""

    schools: int
    students: int
    staff: int
    parents: int
    classes: int
    subjects: int
    orders: int
    school_ids: list[int]
    year_name: str
    # The first quarter's journal (zero for schools built without it).
    accounts: int = 0
    lessons: int = 0
    marks: int = 0
    attendance: int = 0
    term_marks: int = 0
    activity_events: int = 0
    journal_schools: int = 0


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]],
                chunk: int = CHUNK) -> None:
    """Insert `rows` (dicts with the same keys) into the model's table, `chunk` rows at a time.

    The values go through each column type's own bind processor (so they are stored exactly as a Core insert
    stores them), computed once per distinct value and column: the demo's rows repeat the same dates and
    moments thousands of times, and SQLAlchemy's per-row parameter processing was most of the build time.
    Then the driver's executemany (SQLite) or COPY (PostgreSQL with psycopg) takes them as they are. Rows
    that leave out a column with a Python-side default take the plain Core executemany instead.
    """
    if not rows:
        return
    table = cast(Table, model.__table__)
    names = list(rows[0])
    defaulted = [c for c in table.columns if c.name not in names and c.default is not None and not c.primary_key]
    if defaulted:
        statement = insert(table)
        for start in range(0, len(rows), chunk):
            session.execute(statement, rows[start:start + chunk])
        return
    connection = session.connection()
    dialect = connection.dialect
    columns: list[list[Any]] = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type._cached_bind_processor(dialect)
        if process is not None:
            processed = {value: process(value) for value in set(values)}
            values = [processed[value] for value in values]
        columns.append(values)
    data = list(zip(*columns, strict=True))
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
        return
    marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(names))
    sql = f"INSERT INTO {target} ({quoted}) VALUES ({marks})"
    for start in range(0, len(data), chunk):
        connection.exec_driver_sql(sql, data[start:start + chunk])


class _Ids:
    """Ids reserved before inserting, so that rows can point at each other without RETURNING."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._next: dict[str, int] = {}

    def take(self, model: type[Base], count: int) -> list[int]:
        if count <= 0:
            return []
        table = cast(Table, model.__table__)
        if self.postgres:
            values = self.session.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": count}).scalars().all()
            return sorted(int(v) for v in values)
        if table.name not in self._next:
            self._next[table.name] = int(self.session.scalar(select(func.max(table.c.id))) or 0) + 1
        first = self._next[table.name]
        self._next[table.name] = first + count
        return list(range(first, first + count))


class _Snils:
    """Unique valid SNILS: a counter through a seeded permutation of the nine-digit space.

    The permutation is a 4-round Feistel network on 30 bits with cycle walking into the valid range (and
    past numbers with a digit repeated three times), so distinct counters give distinct numbers.
    """

    _HALF = 15
    _MASK = (1 << 15) - 1

    def __init__(self, seed: int) -> None:
        keys = random.Random(f"zhurnal-demo-snils:{seed}")
        self._keys = [keys.getrandbits(32) for _ in range(4)]

    def _permute(self, value: int) -> int:
        left, right = value >> self._HALF, value & self._MASK
        for key in self._keys:
            mixed = ((right * 0x9E3779B1) ^ key) & 0xFFFFFFFF
            mixed = ((mixed ^ (mixed >> 13)) * 0x85EBCA6B) & 0xFFFFFFFF
            left, right = right, left ^ ((mixed >> 11) & self._MASK)
        return (left << self._HALF) | right

    @staticmethod
    def _acceptable(value: int) -> bool:
        return value < _SNILS_SPACE and not _TRIPLE_DIGIT.search(f"{_SNILS_FIRST + value:09d}")

    def numbers(self, school_index: int) -> Iterable[str]:
        """Eleven-digit SNILS strings for one school, from that school's own block of counters."""
        counter = school_index * _SNILS_BLOCK
        end = counter + _SNILS_BLOCK
        while counter < end:
            if self._acceptable(counter):  # walk only from acceptable counters: keeps the map injective
                value = self._permute(counter)
                while not self._acceptable(value):
                    value = self._permute(value)
                nine = f"{_SNILS_FIRST + value:09d}"
                yield f"{nine}{snils_checksum(nine):02d}"
            counter += 1
        raise RuntimeError("SNILS block of a demo school exhausted")


def _weights(table: Sequence[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [name for name, _ in table], list(accumulate(weight for _, weight in table))


_BOYS = _weights(names.MALE_FIRST_NAMES)
_GIRLS = _weights(names.FEMALE_FIRST_NAMES)
_MEN = _weights(names.ADULT_MALE_FIRST_NAMES)
_WOMEN = _weights(names.ADULT_FEMALE_FIRST_NAMES)


def _translit(value: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in value.lower() if ch.isalnum())


@dataclass(frozen=True)
class _Build:
    """What stays the same for every school of one call."""

    session: Session
    uow: UnitOfWork
    ids: _Ids
    snils: _Snils
    seed: int
    today: date
    start_year: int
    now: datetime
    journal_schools: int = 0  # schools 1..N get the first quarter's journal
    password_hash: str = ""  # of a random secret: the demo's accounts that logged in have a password
    logins: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)


@dataclass
class _Student:
    row: dict[str, Any]
    grade: int
    letter: str
    family: int
    newcomer_on: date | None = None


@dataclass
class _Staff:
    row: dict[str, Any]
    position: str
    specialty: str | None  # teachers: "primary" or a subject area

    @property
    def id(self) -> int:
        return int(self.row["id"])


@dataclass
class _SchoolCounts:
    school_id: int
    students: int
    staff: int
    parents: int
    classes: int
    subjects: int
    orders: int
    journal: dict[str, int] = field(default_factory=dict)


class _School:
    """Generates and writes one school. Rows are plain dicts; nothing is kept after `build` returns."""

    def __init__(self, build: _Build, index: int) -> None:
        self.b = build
        self.index = index
        self.rng = random.Random(f"zhurnal-demo:{build.seed}:school:{index}")
        self.snils = iter(build.snils.numbers(index))
        self.y = build.start_year
        self.sept1 = date(self.y, 9, 1)
        self.persons: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.order_index: dict[tuple[Any, ...], dict[str, Any]] = {}

    # ---- small helpers -------------------------------------------------------------------------------

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def workday_between(self, first: date, last: date) -> date:
        """A random Monday..Friday in [first, last] (or `first` itself if the span has no workday)."""
        day = self.day_between(first, last)
        while day.weekday() >= 5 and day > first:
            day -= timedelta(days=1)
        while day.weekday() >= 5 and day < last:
            day += timedelta(days=1)
        return day

    def first_name(self, pool: tuple[list[str], list[int]]) -> str:
        return self.rng.choices(pool[0], cum_weights=pool[1])[0]

    def phone(self) -> str:
        r = self.rng
        return f"+7 {r.randint(900, 999)} {r.randint(0, 999):03d}-{r.randint(0, 99):02d}-{r.randint(0, 99):02d}"

    def email(self, first: str, last: str, birth: date) -> str:
        r = self.rng
        local = r.choice((f"{_translit(first)}.{_translit(last)}", f"{_translit(last)}.{_translit(first)}",
                          f"{_translit(first)[0]}{_translit(last)}", f"{_translit(last)}{birth.year % 100:02d}"))
        domain = r.choice(_EMAIL_DOMAINS)
        address, n = f"{local}@{domain}", 1
        while address in self.b.emails:
            n += 1
            address = f"{local}{n}@{domain}"
        self.b.emails.add(address)
        return address

    def address(self) -> str:
        r = self.rng
        street = r.choice(names.STREETS)
        house = f"{names.CITY}, {street}, д. {r.randint(1, 120)}"
        return house if r.random() < 0.12 else f"{house}, кв. {r.randint(1, 180)}"

    def person(self, last: str, first: str, middle: str | None, birth: date, sex: str, *, snils: bool,
               phone: str | None = None, email: str | None = None, address: str | None = None) -> dict[str, Any]:
        row = {"id": None, "school_id": None, "last_name": last, "first_name": first, "middle_name": middle,
               "name_key": name_key(last, first, middle), "birth_date": birth, "sex": sex,
               "snils": next(self.snils) if snils else None, "phone": phone, "email": email,
               "address": address, "external_id": None, "created_at": self.b.now, "updated_at": self.b.now,
               "version": 1}
        self.persons.append(row)
        return row

    def order(self, key: tuple[Any, ...], on: date, kind: str, title: str, text_: str | None = None) -> None:
        if key not in self.order_index:
            row = {"id": None, "school_id": None, "number": "", "order_date": on, "order_year": on.year,
                   "kind": kind, "title": title, "text": text_, "created_by": None, "created_at": self.b.now,
                   "version": 1, "_suffix": "к" if kind in ("hire", "dismissal") else "у"}
            self.order_index[key] = row
            self.orders.append(row)

    def order_id(self, key: tuple[Any, ...]) -> int:
        return int(self.order_index[key]["id"])

    # ---- the school ----------------------------------------------------------------------------------

    def build(self) -> _SchoolCounts:
        b, rng = self.b, self.rng
        number = self.index + 1
        name = (names.SCHOOL_NAMES[self.index] if self.index < len(names.SCHOOL_NAMES)
                else f"МБОУ «Средняя общеобразовательная школа № {number}»")
        school, year = create_school_rows(b.uow, name=name, code=f"school-{number}", today=b.today)
        school.short_name = (name.split("«", 1)[-1].rstrip("»").replace("Средняя общеобразовательная школа", "СОШ")
                             .split(" имени")[0].split(" с ")[0])
        school.address = f"{names.CITY}, {rng.choice(names.STREETS)}, д. {rng.randint(1, 60)}"
        b.session.flush()
        school_id, year_id = school.id, year.id
        levels = {grade: level_id for grade, level_id in b.session.execute(
            select(GradeLevel.number, GradeLevel.id).where(GradeLevel.school_id == school_id))}

        staff = self.make_staff()
        students, families = self.make_students()
        parents = [p for fam in families for p in fam]

        for row, pid in zip(self.persons, b.ids.take(Person, len(self.persons)), strict=True):
            row["id"], row["school_id"] = pid, school_id

        # Subjects and curriculum.
        subject_ids = dict(zip((s.name for s in names.SUBJECTS), b.ids.take(Subject, len(names.SUBJECTS)),
                               strict=True))
        subjects = [{"id": subject_ids[s.name], "school_id": school_id, "name": s.name,
                     "short_name": s.short_name, "archived": False, "version": 1} for s in names.SUBJECTS]
        curriculum = [{"school_id": school_id, "year_id": year_id, "grade_level_id": levels[grade],
                       "subject_id": subject_ids[s.name], "hours_per_week": Decimal(str(s.hours[grade])),
                       "previous_id": None, "version": 1}
                      for grade in names.GRADES for s in names.subjects_for_grade(grade)]

        # Classes, teachers and what each teaches.
        class_keys = [(grade, letter) for grade in names.GRADES for letter in LETTERS]
        class_ids = dict(zip(class_keys, b.ids.take(SchoolClass, len(class_keys)), strict=True))
        plan, class_teachers, hours = self.plan_teaching(staff, class_keys)
        classes = [{"id": class_ids[key], "school_id": school_id, "year_id": year_id,
                    "grade_level_id": levels[key[0]], "parallel": key[0], "letter": key[1],
                    "name": f"{key[0]}{key[1]}", "class_teacher_id": class_teachers[key].id,
                    "previous_class_id": None, "version": 1} for key in class_keys]
        assignment_ids = b.ids.take(TeachingAssignment, len(plan))
        assignments = [{"id": aid, "school_id": school_id, "year_id": year_id, "class_id": class_ids[key],
                        "subject_id": subject_ids[subject], "teacher_id": teacher.id, "subgroup": group,
                        "previous_id": None, "deleted_at": None, "version": 1}
                       for aid, (key, subject, teacher, group) in zip(assignment_ids, plan, strict=True)]

        # Orders and the movements they back.
        enrolments = self.make_enrolments(students, class_ids)
        positions = self.make_positions(staff, hours)
        self.number_orders()
        for row, oid in zip(self.orders, b.ids.take(Order, len(self.orders)), strict=True):
            row["id"], row["school_id"] = oid, school_id
        for rows in (enrolments, positions):
            for row in rows:
                row["school_id"] = school_id
                row["start_order_id"] = self.order_id(row["start_order_id"])
                if row["end_order_id"] is not None:
                    row["end_order_id"] = self.order_id(row["end_order_id"])
        guardianships = [{"school_id": school_id, "parent_id": parent["id"], "student_id": st.row["id"],
                          "relation": "mother" if parent["sex"] == "F" else "father",
                          "start_date": st.row["birth_date"], "end_date": None, "version": 1}
                         for st in students for parent in families[st.family]]

        # Subjects taught in subgroups: the class split as the first quarter's journal splits it.
        first_quarter = b.session.execute(select(Term.start_date, Term.end_date).where(
            Term.year_id == year_id, Term.number == 1).order_by(Term.id).limit(1)).first()
        split = [] if first_quarter is None else subgroup_rows(
            school_id, split_classes((first_quarter[0], first_quarter[1]), enrolments, [st.row for st in students]),
            [(class_ids[key], subject_ids[subject], group) for key, subject, _teacher, group in plan])

        quarter: QuarterRows | None = None
        if self.index < b.journal_schools:
            quarter = self.make_quarter(school_id, year_id, staff, students, families, class_teachers, class_ids,
                                        subject_ids, plan, assignment_ids, enrolments)
            users, grants, audited = quarter.users, quarter.grants, quarter.audited_users
        else:
            users, grants = self.make_accounts(staff, school_id)
            audited = users

        session = b.session
        insert_rows(session, Person, self.persons)
        insert_rows(session, Order, [{k: v for k, v in o.items() if k != "_suffix"} for o in self.orders])
        insert_rows(session, Subject, subjects)
        insert_rows(session, CurriculumItem, curriculum)
        insert_rows(session, SchoolClass, classes)
        insert_rows(session, TeachingAssignment, assignments)
        insert_rows(session, Enrolment, enrolments)
        insert_rows(session, SubgroupMember, split)
        insert_rows(session, Guardianship, guardianships)
        insert_rows(session, StaffPosition, positions)
        insert_rows(session, User, users)
        insert_rows(session, RoleGrant, grants)
        journal: dict[str, int] = {}
        if quarter is not None:
            for model, key, rows in ((WorkType, "work_types", quarter.work_types), (Lesson, "lessons", quarter.lessons),
                                     (Mark, "marks", quarter.marks), (MarkHistory, "mark_history", quarter.history),
                                     (Attendance, "attendance", quarter.attendance),
                                     (TermMark, "term_marks", quarter.term_marks),
                                     (TermMarkHistory, "term_mark_history", quarter.term_mark_history),
                                     (ActivityEvent, "activity_events", quarter.activity)):
                insert_rows(session, model, rows)
                journal[key] = len(rows)
            # The activity report reads the daily roll-up: a bulk load rebuilds it from the events it wrote.
            rebuild_rollup(session, school_id)

        counts = {"students": len(students), "parents": len(parents), "staff": len(staff),
                  "classes": len(classes), "subjects": len(subjects), "curriculum_items": len(curriculum),
                  "teaching_assignments": len(assignments), "enrolments": len(enrolments),
                  "subgroup_members": len(split),
                  "guardianships": len(guardianships), "staff_positions": len(positions),
                  "orders": len(self.orders), "users": len(users), **journal}
        if quarter is not None:
            counts["family_accounts"] = len(users) - len(audited)  # students' and parents': one summary
        roles: dict[int, list[str]] = {}
        for grant in grants:
            roles.setdefault(grant["user_id"], []).append(grant["role"])
        self.write_audit(school_id, counts, audited, roles)
        return _SchoolCounts(school_id, len(students), len(staff), len(parents), len(classes), len(subjects),
                             len(self.orders), {"accounts": len(users), **journal})

    def make_quarter(self, school_id: int, year_id: int, staff: list[_Staff], students: list[_Student],
                     families: list[list[dict[str, Any]]], class_teachers: dict[tuple[int, str], _Staff],
                     class_ids: dict[tuple[int, str], int], subject_ids: dict[str, int],
                     plan: list[tuple[tuple[int, str], str, _Staff, str | None]], assignment_ids: list[int],
                     enrolments: list[dict[str, Any]]) -> QuarterRows:
        """Accounts and the first quarter's journal (core.demo.journal) of this school."""
        b = self.b
        first, last = b.session.execute(select(Term.start_date, Term.end_date).where(
            Term.year_id == year_id, Term.number == 1).order_by(Term.id).limit(1)).one()
        models: dict[str, type[Base]] = {"users": User, "work_types": WorkType, "lessons": Lesson, "marks": Mark}
        q = QuarterInput(
            school_id=school_id, year_id=year_id, quarter=(first, last), today=b.today, now=b.now,
            password_hash=b.password_hash,
            classes={cid: (key[0], f"{key[0]}{key[1]}", class_teachers[key].id) for key, cid in class_ids.items()},
            assignments=[Assignment(aid, class_ids[key], key[0], subject, subject_ids[subject], teacher.id, group)
                         for aid, (key, subject, teacher, group) in zip(assignment_ids, plan, strict=True)],
            enrolments=enrolments, students=[st.row for st in students],
            parents_of={st.row["id"]: families[st.family] for st in students},
            staff=[(p.row, p.position) for p in staff], logins=b.logins)
        return make_quarter(q, b.seed, self.index, lambda table, count: b.ids.take(models[table], count))

    # ---- staff ---------------------------------------------------------------------------------------

    def make_staff(self) -> list[_Staff]:
        """80 employees after names.STAFF_POSITIONS; teachers get a specialty (primary or a subject area)."""
        rng = self.rng
        teacher_total = sum(n for pos, n in names.STAFF_POSITIONS if pos == "Учитель")
        specialties = self.teacher_specialties(teacher_total)
        staff: list[_Staff] = []
        for position, count in names.STAFF_POSITIONS:
            for _ in range(count):
                specialty = specialties.pop(0) if position == "Учитель" else None
                female_share = _FEMALE_SHARE_BY_SPECIALTY.get(specialty or "",
                                                              _FEMALE_SHARE_BY_POSITION.get(position, 0.8))
                sex = "F" if rng.random() < female_share else "M"
                low, high = _AGE_BY_POSITION.get(position, (23, 63))
                birth = self.day_between(date(self.y - high, 1, 1), date(self.y - low, 12, 31))
                last = rng.choice(names.SURNAMES)
                first = self.first_name(_WOMEN if sex == "F" else _MEN)
                middle = names.patronymic(self.first_name(_MEN), sex)
                if sex == "F":
                    last = names.feminine_surname(last)
                email = self.email(first, last, birth) if rng.random() < STAFF_EMAIL_SHARE else None
                row = self.person(last, first, middle, birth, sex, snils=True, phone=self.phone(), email=email,
                                  address=self.address())
                staff.append(_Staff(row, position, specialty))
        return staff

    def teacher_specialties(self, total: int) -> list[str]:
        """`total` specialties: one primary teacher per primary class, the rest in proportion to the hours."""
        primary = len(names.GRADE_BANDS["primary"]) * len(LETTERS)
        demand: dict[str, float] = {}
        for grade in names.GRADES:
            for subject in names.subjects_for_grade(grade):
                if grade in names.GRADE_BANDS["primary"] and subject.name in _PRIMARY_BY_CLASS_TEACHER:
                    continue
                specialty = _SPECIALTY[subject.name]
                if specialty != _BY_CLASS_TEACHER:
                    groups = len(SUBGROUPS) if subject.name in _SPLIT_SUBJECTS else 1
                    demand[specialty] = demand.get(specialty, 0.0) + subject.hours[grade] * len(LETTERS) * groups
        spare = total - primary - len(demand)
        whole = sum(demand.values())
        shares = {s: spare * h / whole for s, h in demand.items()}
        count = {s: 1 + int(share) for s, share in shares.items()}
        by_remainder = sorted(demand, key=lambda s: (-(shares[s] - int(shares[s])), s))
        for specialty in by_remainder[:total - primary - sum(count.values())]:
            count[specialty] += 1
        result = ["primary"] * primary + [s for s in demand for _ in range(count[s])]
        self.rng.shuffle(result)
        return result

    def plan_teaching(self, staff: list[_Staff], class_keys: list[tuple[int, str]]) -> tuple[
            list[tuple[tuple[int, str], str, _Staff, str | None]], dict[tuple[int, str], _Staff],
            dict[int, float]]:
        """(class, subject, teacher, subgroup) for every subject of every class; class teachers; weekly hours
        by teacher id. Primary classes get most subjects from their class teacher; otherwise the least loaded
        teacher of the specialty takes all of the specialty's subjects in a class (per subgroup, with two
        different teachers where the specialty has them)."""
        teachers = [p for p in staff if p.position == "Учитель"]
        primary = [t for t in teachers if t.specialty == "primary"]
        specialists = [t for t in teachers if t.specialty != "primary"]
        by_specialty: dict[str, list[_Staff]] = {}
        for t in specialists:
            by_specialty.setdefault(str(t.specialty), []).append(t)
        hours: dict[int, float] = {t.id: 0.0 for t in teachers}
        class_teachers: dict[tuple[int, str], _Staff] = {}
        plan: list[tuple[tuple[int, str], str, _Staff, str | None]] = []
        later: list[tuple[tuple[int, str], str, float]] = []
        in_class: dict[tuple[int, str], dict[int, float]] = {}
        for key in class_keys:
            grade = key[0]
            chosen: dict[tuple[str, str | None], _Staff] = {}
            if grade in names.GRADE_BANDS["primary"]:
                class_teachers[key] = primary.pop(0)
            for subject in names.subjects_for_grade(grade):
                h = subject.hours[grade]
                taught: list[tuple[_Staff, str | None]] = []
                if grade in names.GRADE_BANDS["primary"] and subject.name in _PRIMARY_BY_CLASS_TEACHER:
                    taught.append((class_teachers[key], None))
                else:
                    specialty = _SPECIALTY[subject.name]
                    if specialty == _BY_CLASS_TEACHER:
                        later.append((key, subject.name, h))
                        continue
                    groups: tuple[str | None, ...] = SUBGROUPS if subject.name in _SPLIT_SUBJECTS else (None,)
                    for group in groups:
                        if (specialty, group) not in chosen:
                            busy = {t.id for (sp, _), t in chosen.items() if sp == specialty}
                            pool = [t for t in by_specialty[specialty] if t.id not in busy]
                            pool = pool or by_specialty[specialty]
                            chosen[(specialty, group)] = min(pool, key=lambda t: (hours[t.id], t.id))
                        taught.append((chosen[(specialty, group)], group))
                for teacher, group in taught:
                    hours[teacher.id] += h
                    in_class.setdefault(key, {}).setdefault(teacher.id, 0.0)
                    in_class[key][teacher.id] += h
                    plan.append((key, subject.name, teacher, group))
        taken = {t.id for t in class_teachers.values()}
        by_id = {t.id: t for t in teachers}
        for key in class_keys:
            if key in class_teachers:
                continue
            mine = sorted(in_class.get(key, {}).items(), key=lambda item: (-item[1], item[0]))
            candidates = [by_id[tid] for tid, _ in mine] + specialists
            teacher = next(t for t in candidates if t.id not in taken)
            taken.add(teacher.id)
            class_teachers[key] = teacher
        for key, subject_name, h in later:
            teacher = class_teachers[key]
            hours[teacher.id] += h
            plan.append((key, subject_name, teacher, None))
        return plan, class_teachers, hours

    def make_positions(self, staff: list[_Staff], hours: dict[int, float]) -> list[dict[str, Any]]:
        """A position per employee, started by a hire order (one order per hire)."""
        rng, today = self.rng, self.b.today
        rows = []
        in_place_by = date(self.y, 8, 31)  # everybody works from the first school day
        for person in staff:
            first_year = max(person.row["birth_date"].year + 22, 1992)
            hire_year = rng.randint(min(first_year, self.y), self.y)
            if rng.random() < 0.65:
                hired = self.workday_between(date(hire_year, 8, 25), date(hire_year, 8, 31))
            else:
                hired = self.workday_between(date(hire_year, 1, 12), min(date(hire_year, 12, 25), in_place_by))
            hired = min(hired, today)
            self.order(("hire", person.id), hired, "hire", "О приёме на работу",
                       f"Принять на должность «{person.position}» с {format_date(hired)}")
            if person.position == "Учитель":
                rate = Decimal(max(2, min(6, round(hours[person.id] / 18 * 4)))) / 4
            else:
                rate = Decimal("1.00")
            rows.append({"school_id": None, "person_id": person.id, "position": person.position,
                         "rate": rate.quantize(Decimal("0.01")), "start_date": hired, "end_date": None,
                         "start_order_id": ("hire", person.id), "end_order_id": None, "end_reason": None,
                         "version": 1})
        return rows

    # ---- students and parents ------------------------------------------------------------------------

    def make_students(self) -> tuple[list[_Student], list[list[dict[str, Any]]]]:
        """Students in family groups (20% of families have two children here), and each family's parents."""
        rng = self.rng
        free: dict[int, list[str]] = {}
        for grade in names.GRADES:
            free[grade] = [letter for letter in LETTERS for _ in range(rng.randint(*CLASS_SIZE))]
            rng.shuffle(free[grade])
        order = [grade for grade in names.GRADES for _ in free[grade]]
        rng.shuffle(order)
        students: list[_Student] = []
        families: list[list[dict[str, Any]]] = []
        for grade in order:
            if not free[grade]:
                continue  # already taken as somebody's sibling
            children = [(grade, free[grade].pop())]
            if rng.random() < SIBLING_FAMILY_SHARE:
                near = [g for g in names.GRADES if g != grade and abs(g - grade) <= 6 and free[g]]
                if near:
                    other = rng.choice(near)
                    children.append((other, free[other].pop()))
            children.sort(reverse=True)  # oldest (highest grade) first
            families.append(self.make_family(len(families), children, students))
        return students, families

    def birth_for(self, grade: int, not_before: date | None = None) -> date:
        """Aged 6.5-7.5 on 1 September of the year the child entered grade 1."""
        entered = self.y - (grade - 1)
        first, last = date(entered - 7, 3, 1), date(entered - 6, 2, 28)
        if not_before is not None and not_before > first:
            first = min(not_before, last)
        return self.day_between(first, last)

    def make_family(self, family: int, children: list[tuple[int, str]],
                    students: list[_Student]) -> list[dict[str, Any]]:
        rng = self.rng
        surname = rng.choice(names.SURNAMES)
        father_first = self.first_name(_MEN)
        kind = rng.random()
        has_mother = kind < BOTH_PARENTS + MOTHER_ONLY
        has_father = kind < BOTH_PARENTS or not has_mother
        unnamed_father = not has_father and rng.random() < NO_PATRONYMIC_SHARE
        address = self.address()
        births: list[date] = []
        for grade, letter in children:
            birth = self.birth_for(grade, births[-1] + timedelta(days=300) if births else None)
            births.append(birth)
            sex = "M" if rng.random() < 0.51 else "F"
            first = self.first_name(_BOYS if sex == "M" else _GIRLS)
            last = surname if sex == "M" else names.feminine_surname(surname)
            middle = None if unnamed_father else names.patronymic(father_first, sex)
            row = self.person(last, first, middle, birth, sex, snils=True, address=address)
            students.append(_Student(row, grade, letter, family))
        oldest = births[0]
        parents: list[dict[str, Any]] = []
        if has_mother:
            birth = oldest - timedelta(days=rng.randint(21 * 365, 38 * 365))
            first = self.first_name(_WOMEN)
            last = names.feminine_surname(surname)
            email = self.email(first, last, birth) if rng.random() < PARENT_EMAIL_SHARE else None
            parents.append(self.person(last, first, names.patronymic(self.first_name(_MEN), "F"), birth, "F",
                                       snils=rng.random() < PARENT_SNILS_SHARE, phone=self.phone(), email=email,
                                       address=address))
        if has_father:
            birth = oldest - timedelta(days=rng.randint(23 * 365, 42 * 365))
            email = self.email(father_first, surname, birth) if rng.random() < PARENT_EMAIL_SHARE else None
            parents.append(self.person(surname, father_first, names.patronymic(self.first_name(_MEN), "M"),
                                       birth, "M", snils=rng.random() < PARENT_SNILS_SHARE,
                                       phone=self.phone(), email=email, address=address))
        return parents

    # ---- enrolments and their orders -----------------------------------------------------------------

    def make_enrolments(self, students: list[_Student],
                        class_ids: dict[tuple[int, str], int]) -> list[dict[str, Any]]:
        rng, today, sept1 = self.rng, self.b.today, self.sept1
        # The intake history: grade 1 every year, grade 10 for the two senior parallels.
        for grade in names.GRADES:
            entered = self.y - (grade - 1)
            self.order(("intake", 1, entered), date(entered, 9, 1), "enrolment", "О зачислении в 1 класс",
                       "Зачислить в 1 классы обучающихся по списку (приложение)")
        for grade in (10, 11):
            entered = self.y - (grade - 10)
            self.order(("intake", 10, entered), date(entered, 9, 1), "enrolment", "О зачислении в 10 класс",
                       "Зачислить в 10 классы выпускников 9 классов по списку (приложение)")
        promotion_day = date(self.y, 5, 31)
        self.order(("promotion",), promotion_day, "promotion", "О переводе обучающихся в следующий класс",
                   f"Перевести обучающихся 1-8 и 10 классов в следующий класс с {format_date(sept1)}")

        rows: list[dict[str, Any]] = []
        for st in students:
            grade = st.grade
            first_day_here = date(self.y - (grade - 1), 9, 1)
            if rng.random() < NEWCOMER_SHARE and today > first_day_here:
                st.newcomer_on = self.workday_between(first_day_here + timedelta(days=1), today)
                self.order(("arrival", st.newcomer_on), st.newcomer_on, "enrolment",
                           "О зачислении обучающихся в порядке перевода",
                           "Зачислить в порядке перевода из других образовательных организаций")
            came_from = None
            key: tuple[Any, ...]
            if st.newcomer_on is not None and st.newcomer_on >= sept1:
                start, reason, key = st.newcomer_on, "transfer_in", ("arrival", st.newcomer_on)
                came_from = rng.choice(ARRIVAL_COUNTERPARTS)
            elif grade == 1:
                start, reason, key = sept1, "admission", ("intake", 1, self.y)
            elif grade == 10:
                start, reason, key = sept1, "admission", ("intake", 10, self.y)
            else:
                start, reason, key = sept1, "promotion", ("promotion",)
            rows.append(self.enrolment(st, class_ids[(grade, st.letter)], start, reason, key, came_from))

        # This year's movements: a few moves to the parallel class and a few departures.
        first_day = sept1 + timedelta(days=7)
        if today > first_day:
            settled = [i for i, st in enumerate(students) if rows[i]["start_date"] == sept1]
            moves = rng.randint(*TRANSFERS) if len(LETTERS) > 1 else 0
            picked = rng.sample(settled, min(len(settled), moves + rng.randint(*DEPARTURES)))
            for n, i in enumerate(picked):
                st, row = students[i], rows[i]
                day = self.workday_between(first_day, today)
                if n < moves:
                    self.order(("transfer", day), day, "transfer",
                               "О переводе обучающихся в параллельный класс",
                               "Перевести обучающихся в параллельный класс по заявлению родителей")
                    row.update(end_date=day - timedelta(days=1), end_reason="transfer",
                               end_order_id=("transfer", day))
                    letter = next(x for x in LETTERS if x != st.letter)
                    st.letter = letter
                    rows.append(self.enrolment(st, class_ids[(st.grade, letter)], day, "transfer",
                                               ("transfer", day), None))
                else:
                    self.order(("departure", day), day, "departure",
                               "Об отчислении в связи с переводом в другую образовательную организацию",
                               "Отчислить в порядке перевода по заявлению родителей")
                    row.update(end_date=day, end_reason="transfer_out", end_order_id=("departure", day),
                               went_to=DEPARTURE_COUNTERPART)
        return rows

    @staticmethod
    def enrolment(st: _Student, class_id: int, start: date, reason: str, order_key: tuple[Any, ...],
                  came_from: str | None) -> dict[str, Any]:
        return {"school_id": None, "person_id": st.row["id"], "class_id": class_id, "start_date": start,
                "end_date": None, "start_reason": reason, "end_reason": None, "start_order_id": order_key,
                "end_order_id": None, "came_from": came_from, "went_to": None, "version": 1}

    def number_orders(self) -> None:
        """Numbers restart each calendar year, per register ("-у" students, "-к" staff), rising with the date;
        the gaps stand for the school's other orders."""
        rng = self.rng
        counters: dict[tuple[int, str], int] = {}
        for row in sorted(self.orders, key=lambda o: o["order_date"]):
            key = (row["order_year"], row["_suffix"])
            counters[key] = counters.get(key, 0) + rng.randint(1, 4)
            row["number"] = f"{counters[key]}-{row['_suffix']}"

    # ---- accounts and audit --------------------------------------------------------------------------

    def make_accounts(self, staff: list[_Staff],
                      school_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """About 10% of the staff got an account that was never activated (no password yet)."""
        teachers = [p.row for p in staff if p.position == "Учитель"]
        chosen = self.rng.sample(teachers, max(1, round(len(staff) * STAFF_ACCOUNT_SHARE)))
        chosen.sort(key=lambda p: p["id"])
        ids = self.b.ids.take(User, len(chosen))
        users, grants = [], []
        for person, uid in zip(chosen, ids, strict=True):
            base = f"{_translit(person['last_name'])}.{_translit(person['first_name'])[0]}"
            base += _translit(person["middle_name"])[0] if person["middle_name"] else ""
            login, n = base, 1
            while login in self.b.logins:
                n += 1
                login = f"{base}{n}"
            self.b.logins.add(login)
            users.append({"id": uid, "login": login, "person_id": person["id"], "school_id": school_id,
                          "password_hash": None, "must_change_password": True, "is_active": True,
                          "failed_logins": 0, "locked_until": None, "last_login_at": None,
                          "created_at": self.b.now, "version": 1})
            grants.append({"user_id": uid, "role": "teacher", "school_id": school_id, "granted_by": None,
                           "granted_at": self.b.now})
        return users, grants

    def write_audit(self, school_id: int, counts: dict[str, int], users: list[dict[str, Any]],
                    roles: dict[int, list[str]]) -> None:
        """One record per created person, order and staff account (as the services write them); one summary
        record per entity type for the structural and membership rows, the students' and parents' accounts
        and the journal; one record with all the school's counts."""
        events: list[AuditEvent] = [
            AuditEvent("person.create", "person", row["id"], row["id"],
                       fields=[k for k in _PERSON_FIELDS if row[k] is not None])
            for row in self.persons]
        events += [AuditEvent("order.create", "order", row["id"], fields=_ORDER_FIELDS,
                              detail=f"№ {row['number']} от {format_date(row['order_date'])}; {row['kind']}")
                   for row in self.orders]
        for user in users:
            events.append(AuditEvent("user.create", "user", user["id"], user["person_id"]))
            events += [AuditEvent("role.grant", "user", user["id"], user["person_id"], detail=role)
                       for role in roles.get(user["id"], [])]
        for entity, count in counts.items():
            if entity in _SUMMARISED:
                events.append(AuditEvent("demo.create", _SUMMARISED[entity], detail=f"{entity}={count}"))
        events.append(AuditEvent("demo.create", "school", school_id,
                                 detail=" ".join(f"{k}={v}" for k, v in counts.items())))
        audit.append(self.b.session, user_id=None, login=self.b.uow.actor.login, school_id=school_id,
                     events=events)


_PERSON_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "sex", "snils", "phone", "email",
                  "address", "external_id")
# Rows audited by one summary record per school and entity type (count in `detail`), not one per row.
_SUMMARISED = {"classes": "class", "subjects": "subject", "curriculum_items": "curriculum_item",
               "teaching_assignments": "teaching_assignment", "enrolments": "enrolment",
               "subgroup_members": "subgroup_member",
               "guardianships": "guardianship", "staff_positions": "staff_position", "work_types": "work_type",
               "lessons": "lesson", "marks": "mark", "mark_history": "mark_history", "attendance": "attendance",
               "term_marks": "term_mark", "term_mark_history": "term_mark_history",
               "activity_events": "activity_event", "family_accounts": "user"}
_ORDER_FIELDS = ("number", "order_date", "kind", "title", "text")


def build_demo(store: Store, *, seed: int = 1, schools: int = 1, today: date | None = None,
               admin_login: str = "admin", admin_password_hash: str | None = None,
               progress: Callable[[str], None] | None = None, journal_schools: int | None = None) -> DemoSummary:
    """Build `schools` demo schools ("school-1".."school-N") into an empty, migrated database.

    All or nothing: one transaction. Refuses (ValueError) a database without the schema, one that already
    holds a school, or one where `admin_login` is taken. The administrator gets `admin_password_hash` (the
    caller hashes the password); with one school the account and its admin role belong to that school,
    with several they are district-wide (school_id NULL).

    Schools 1..`journal_schools` (default `default_journal_schools`: the first) also get accounts for their
    teachers, administration, students and parents and the first quarter's journal (core.demo.journal).
    """
    if schools < 1:
        raise ValueError("Число школ должно быть не меньше 1")
    if journal_schools is not None and journal_schools < 0:
        raise ValueError("Число школ с журналом не может быть отрицательным")
    if not admin_login or not admin_login.isascii() or " " in admin_login:
        raise ValueError("Имя входа администратора: латинские буквы, цифры, точка, дефис")
    if not store.is_initialised():
        raise ValueError("База не подготовлена: сначала создайте схему (zhurnal db upgrade)")
    today = today or date.today()
    start_year = school_year_start(today)
    say = progress or (lambda _message: None)
    actor = Actor.system("demo")
    journal_schools = min(schools, default_journal_schools(schools) if journal_schools is None else journal_schools)
    # Accounts that signed in need a password; nobody knows this one (reset an account to try it).
    password_hash = hash_password(secrets.token_urlsafe(24)) if journal_schools > 0 else ""
    with UnitOfWork(store, actor) as uow:
        session = uow.session
        if session.scalar(select(School.id).limit(1)) is not None:
            raise ValueError("В базе уже есть школы: демонстрационные данные создаются только в пустой базе")
        if session.scalar(select(User.id).where(User.login == admin_login)) is not None:
            raise ValueError(f"Имя входа «{admin_login}» уже занято")
        build = _Build(session, uow, _Ids(session), _Snils(seed), seed, today, start_year, utcnow(),
                       journal_schools, password_hash, logins={admin_login})
        made: list[_SchoolCounts] = []
        for index in range(schools):
            say(f"Школа {index + 1} из {schools}")
            made.append(_School(build, index).build())
        school_ids = [m.school_id for m in made]
        home = school_ids[0] if schools == 1 else None
        [admin_id] = build.ids.take(User, 1)
        insert_rows(session, User, [{
            "id": admin_id, "login": admin_login, "person_id": None, "school_id": home,
            "password_hash": admin_password_hash, "must_change_password": False, "is_active": True,
            "failed_logins": 0, "locked_until": None, "last_login_at": None, "created_at": build.now,
            "version": 1}])
        insert_rows(session, RoleGrant, [{"user_id": admin_id, "role": "admin", "school_id": home,
                                          "granted_by": None, "granted_at": build.now}])
        audit.append(session, user_id=None, login=actor.login, school_id=home, events=[
            AuditEvent("user.create", "user", admin_id), AuditEvent("role.grant", "user", admin_id, detail="admin")])
        say("Сохранение")
        uow.commit()
    say("Готово")
    return DemoSummary(
        schools=schools, students=sum(m.students for m in made), staff=sum(m.staff for m in made),
        parents=sum(m.parents for m in made), classes=sum(m.classes for m in made),
        subjects=sum(m.subjects for m in made), orders=sum(m.orders for m in made), school_ids=school_ids,
        year_name=year_name(start_year), journal_schools=journal_schools,
        **{key: sum(m.journal.get(key, 0) for m in made)
           for key in ("accounts", "lessons", "marks", "attendance", "term_marks", "activity_events")})


def default_journal_schools(schools: int) -> int:
    """How many schools get the first quarter's journal by default: the first one. The journal costs about
    2.2 s per school on SQLite (docs/demo.md), which would take a 50-school district from ≈18 s to ≈130 s;
    a district's school-1 with a journal is enough to show every screen."""
    return min(schools, 1)
