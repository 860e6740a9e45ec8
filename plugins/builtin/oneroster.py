"""OneRoster CSV bundles (1.1, 1.2 and 1.2.1): import of a .zip bundle and export of a 1.2.1 bulk bundle.

Import (`OneRosterImporter.read`) checks the whole bundle against the CSV binding before anything else —
manifest.csv first, then every file's exact header for the manifest's version, then every row (sourcedId
present and unique, status / dateLastModified per bulk or delta, enumerations, dates, booleans, references
between files) — and refuses a non-conformant bundle with a FormatError listing every problem with its
file, row and column. A conformant bundle becomes two tables in the Russian layout that the engine maps,
validates and applies like any list (`prepare_all` / `execute_all`, one transaction):

- "staff" (users whose role is teacher, aide, administrator, ...), rows numbered as in users.csv;
- "students" (role student) with their zhurnal class from enrollments.csv → classes.csv and their
  parents / guardians (users.csv agentSourcedIds, either direction) as "Родитель 1/2" columns.

A folder is passed as a zip made in memory: `engine.run.read_path` / `import_bundle` do it (`zip_folder`
here is the same for callers holding a path). Options (ReadOptions.extra,
``--option key=value``): ``class.<classSourcedId>=5А`` maps a OneRoster class to a zhurnal class (a class
titled like "5А" maps itself); ``hire_order=5-к от 01.09.2026`` is the hiring order of new staff. See
docs/oneroster.md for the mapping tables and the decisions.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from zhurnal.plugins import hookimpl
from zhurnal.plugins.builtin.oneroster_headers import HEADERS_1_1, HEADERS_1_2_1, USERS_1_2
from zhurnal.plugins.engine.formats import (
    Cell,
    Exporter,
    ExportTable,
    FormatError,
    Importer,
    ParsedFile,
    ReadOptions,
    SourceRow,
    SourceTable,
    WriteOptions,
)

# sourcedIds of an export: uuid5(NAMESPACE, "<school code>/<kind>/<zhurnal id>") — the same on every export.
NAMESPACE = uuid.UUID("5b1f6a52-7d0e-5c7e-9a43-2f0e8d1c4b9a")
MAX_MEMBER = 50 * 2**20
MAX_PROBLEMS = 50

# ---- enumerations (1.2 also allows "ext:" extension values where the spec says so) --------------------
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
ROLES_1_1 = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher")
ROLES_1_2 = ("aide", "counselor", "districtAdministrator", "guardian", "parent", "principal", "proctor",
             "relative", "siteAdministrator", "student", "systemAdministrator", "teacher")
ROLE_TYPES = ("primary", "secondary")
ENROLMENT_ROLES = ("administrator", "proctor", "student", "teacher")
SEXES = ("male", "female", "unspecified", "other")
STATUSES = ("active", "tobedeleted")
MODES = ("bulk", "delta", "absent")
BOOLEANS = ("true", "false")
RACE = ("americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander",
        "white", "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity")

PARENT_ROLES = ("parent", "guardian", "relative")
STAFF_POSITIONS = {"teacher": "Учитель", "aide": "Помощник учителя", "proctor": "Учитель",
                   "counselor": "Педагог-психолог", "principal": "Директор", "administrator": "Администратор",
                   "siteAdministrator": "Администратор", "districtAdministrator": "Администратор",
                   "systemAdministrator": "Администратор"}
RELATIONS = {"parent": "", "guardian": "опекун", "relative": "иной представитель"}

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,3})?Z")
_YEAR = re.compile(r"[0-9]{4}")
_CLASS_TITLE = re.compile(r"\s*([0-9]{1,2})\s*-?\s*([А-ЯЁа-яё])\s*")


@dataclass(frozen=True)
class Rule:
    """What a file's rows must satisfy (besides sourcedId, status and dateLastModified)."""

    required: tuple[str, ...] = ()
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dates: tuple[str, ...] = ()
    booleans: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    refs: Mapping[str, tuple[str, bool]] = field(default_factory=dict)  # column -> (target file, is a list)


def _rules(version: str) -> dict[str, Rule]:
    v11 = version == "1.1"
    users_required = ("enabledUser", "orgSourcedIds", "role", "givenName", "familyName") if v11 else (
        "enabledUser", "givenName", "familyName")
    users_refs: dict[str, tuple[str, bool]] = {"agentSourcedIds": ("users", True)}
    users_refs.update({"orgSourcedIds": ("orgs", True)} if v11 else {"primaryOrgSourcedId": ("orgs", False)})
    return {
        "orgs": Rule(("name", "type"), {"type": ORG_TYPES}, refs={"parentSourcedId": ("orgs", False)}),
        "academicSessions": Rule(("title", "type", "startDate", "endDate", "schoolYear"), {"type": SESSION_TYPES},
                                 ("startDate", "endDate"), years=("schoolYear",),
                                 refs={"parentSourcedId": ("academicSessions", False)}),
        "courses": Rule(("title", "orgSourcedId"), refs={"schoolYearSourcedId": ("academicSessions", False),
                                                         "orgSourcedId": ("orgs", False)}),
        "classes": Rule(("title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"),
                        {"classType": CLASS_TYPES}, refs={"courseSourcedId": ("courses", False),
                                                          "schoolSourcedId": ("orgs", False),
                                                          "termSourcedIds": ("academicSessions", True)}),
        "users": Rule(users_required, {"role": ROLES_1_1} if v11 else {}, booleans=("enabledUser",),
                      refs=users_refs),
        "roles": Rule(("userSourcedId", "roleType", "role", "orgSourcedId"),
                      {"roleType": ROLE_TYPES, "role": ROLES_1_2}, ("beginDate", "endDate"),
                      refs={"userSourcedId": ("users", False), "orgSourcedId": ("orgs", False)}),
        "enrollments": Rule(("classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
                            {"role": ENROLMENT_ROLES}, ("beginDate", "endDate"), ("primary",),
                            refs={"classSourcedId": ("classes", False), "schoolSourcedId": ("orgs", False),
                                  "userSourcedId": ("users", False)}),
        "demographics": Rule((), {"sex": SEXES}, ("birthDate",), RACE, refs={"sourcedId": ("users", False)}),
    }


# References zhurnal needs resolved inside the bundle even in a delta (it needs the row's data itself).
NEEDED = {("enrollments", "userSourcedId"), ("enrollments", "classSourcedId")}


@dataclass
class Table:
    """One CSV file of the bundle: its manifest mode, header and rows (cells by header; `number` is the
    line in the file, the header being line 1)."""

    name: str
    mode: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


class Problems:
    """Everything wrong with a bundle, each naming file, row and column; warnings are kept apart."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    @staticmethod
    def where(file: str, row: int | None = None, column: str | None = None) -> str:
        parts = [file]
        if row is not None:
            parts.append(f"строка {row}")
        if column is not None:
            parts.append(f"столбец «{column}»")
        return ", ".join(parts)

    def error(self, file: str, row: int | None, column: str | None, text: str) -> None:
        self.errors.append(f"{self.where(file, row, column)}: {text}")

    def warn(self, file: str, row: int | None, column: str | None, text: str) -> None:
        self.warnings.append(f"{self.where(file, row, column)}: {text}")

    def raise_if_any(self) -> None:
        if self.errors:
            shown = self.errors[:MAX_PROBLEMS]
            more = len(self.errors) - len(shown)
            tail = f"\n… и ещё {more}" if more else ""
            raise FormatError(f"пакет OneRoster не соответствует спецификации ({len(self.errors)}):\n"
                              + "\n".join(shown) + tail)


# ---------------------------------------------------------------------------------------------------------
# Reading the container
# ---------------------------------------------------------------------------------------------------------

def zip_folder(path: Path) -> bytes:
    """A folder of OneRoster CSV files as a zip made in memory (how a folder goes through the engine)."""
    if not path.is_dir():
        raise FormatError(f"{path} — не папка")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(path.iterdir()):
            if member.is_file() and member.suffix.lower() == ".csv":
                archive.writestr(member.name, member.read_bytes())
    return buffer.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    """The bundle's CSV files by base name ("users.csv"), read with the zip-bomb checks."""
    from zhurnal.plugins.builtin.safe_zip import check_zip, read_member

    check_zip(data)
    found: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir() or info.filename.startswith("__MACOSX/") or "/." in f"/{info.filename}":
                continue
            base = info.filename.rsplit("/", 1)[-1]
            if not base.lower().endswith(".csv"):
                continue
            if base in found:
                raise FormatError(f"в архиве два файла «{base}» (в разных папках); оставьте один")
            found[base] = read_member(archive, info.filename, MAX_MEMBER)
    return found


def _csv(file: str, data: bytes) -> list[tuple[int, list[str]]]:
    """RFC 4180 rows of a UTF-8 file (a BOM is accepted and ignored) with their line numbers."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise FormatError(f"{file}, строка {line}: не UTF-8 (байт 0x{data[exc.start]:02X}); OneRoster требует "
                          "UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            if record and any(cell.strip() for cell in record):
                rows.append((reader.line_num, record))
    except csv.Error as exc:
        raise FormatError(f"{file}, строка {reader.line_num}: {exc} (незакрытая кавычка?)") from None
    return rows


# ---------------------------------------------------------------------------------------------------------
# Checking the bundle
# ---------------------------------------------------------------------------------------------------------

@dataclass
class Bundle:
    version: str  # "1.1", "1.2" or "1.2.1" (1.2 manifests: by the users.csv layout)
    tables: dict[str, Table]
    problems: Problems

    def mode(self, name: str) -> str:
        table = self.tables.get(name)
        return table.mode if table is not None else "absent"

    @property
    def delta(self) -> bool:
        return any(t.mode == "delta" for t in self.tables.values())


def _manifest(members: dict[str, bytes], problems: Problems) -> tuple[str, dict[str, tuple[str, int]]]:
    """(oneroster.version, {file name: (mode, manifest row)}); a broken manifest stops the check at once."""
    if "manifest.csv" not in members:
        raise FormatError("manifest.csv: нет в пакете — OneRoster-пакет начинается с manifest.csv "
                          f"(в архиве: {', '.join(sorted(members)) or 'нет CSV-файлов'})")
    rows = _csv("manifest.csv", members["manifest.csv"])
    if not rows or rows[0][1] != ["propertyName", "value"]:
        got = ",".join(rows[0][1]) if rows else "пусто"
        raise FormatError(f"manifest.csv, строка 1: заголовок должен быть «propertyName,value», а в файле «{got}»")
    props: dict[str, tuple[str, int]] = {}
    for number, record in rows[1:]:
        if len(record) != 2:
            problems.error("manifest.csv", number, None, f"ожидается 2 значения, а их {len(record)}")
            continue
        name, value = record
        if name in props:
            problems.error("manifest.csv", number, "propertyName", f"«{name}» повторяет строку {props[name][1]}")
        props[name] = (value, number)
    for key, allowed in (("manifest.version", ("1.0",)), ("oneroster.version", ("1.1", "1.2"))):
        if key not in props:
            problems.error("manifest.csv", None, "propertyName", f"нет строки «{key}»")
        elif props[key][0] not in allowed:
            problems.error("manifest.csv", props[key][1], "value", f"{key} «{props[key][0]}» — поддерживается "
                                                                    f"{' и '.join(allowed)}")
    problems.raise_if_any()
    version = props["oneroster.version"][0]
    known = HEADERS_1_1 if version == "1.1" else HEADERS_1_2_1
    files: dict[str, tuple[str, int]] = {}
    for name, (value, number) in props.items():
        if not name.startswith("file."):
            continue
        base = name.removeprefix("file.")
        if base not in known:
            problems.error("manifest.csv", number, "propertyName", f"«{name}» — такого файла нет в OneRoster "
                                                                   f"{version}")
        elif value not in MODES:
            problems.error("manifest.csv", number, "value", f"{name} «{value}» — допустимо bulk, delta или absent")
        else:
            files[base] = (value, number)
    for member in sorted(members):
        base = member.removesuffix(".csv")
        if member == "manifest.csv":
            continue
        if base not in known:
            problems.error(member, None, None, f"такого файла нет в OneRoster {version}")
        elif files.get(base, ("absent", 0))[0] == "absent":
            listed = files.get(base)
            row = listed[1] if listed else None
            problems.error("manifest.csv", row, "value" if row else None,
                           f"файл {member} есть в пакете, а в манифесте он "
                           + ("отмечен absent" if row else f"не указан (нужна строка file.{base})"))
    for base, (mode, number) in files.items():
        if mode != "absent" and f"{base}.csv" not in members:
            problems.error("manifest.csv", number, "value", f"file.{base} = {mode}, а файла {base}.csv в пакете нет")
    return version, files


def _check_headers(file: str, headers: list[str], expected: Sequence[str], version: str,
                   problems: Problems) -> bool:
    """Exact names, exact order; `metadata.*` extension columns only at the right end."""
    ok = True
    own = list(headers)
    while own and own[-1].startswith("metadata."):
        own.pop()
    for index, name in enumerate(own, 1):
        if name.startswith("metadata."):
            problems.error(file, 1, name, f"столбец расширения (metadata.*) стоит {index}-м — по OneRoster "
                                          f"{version} такие столбцы только в конце, после стандартных")
            ok = False
    standard = [h for h in own if not h.startswith("metadata.")]
    for name in expected:
        if name not in standard:
            problems.error(file, 1, name, f"нет обязательного столбца «{name}» (OneRoster {version}: "
                                          f"{','.join(expected)})")
            ok = False
    for name in standard:
        if name not in expected:
            near = next((e for e in expected if e.lower() == name.lower()), None)
            hint = f" (заголовки чувствительны к регистру: «{near}»)" if near else ""
            problems.error(file, 1, name, f"неизвестный столбец для OneRoster {version}{hint}")
            ok = False
    if ok and standard != list(expected):
        for index, (got, want) in enumerate(zip(standard, expected, strict=True), 1):
            if got != want:
                problems.error(file, 1, got, f"столбец {index} — «{got}», а по OneRoster {version} на этом месте "
                                             f"«{want}»: порядок столбцов строго как в спецификации")
                break
        ok = False
    return ok


def _enum(problems: Problems, file: str, row: int, column: str, value: str, allowed: Sequence[str],
          version: str) -> str | None:
    """The value as the spec spells it; a value differing only in case is accepted with a warning
    (real bundles write TRUE, Scheduled); "ext:..." extensions are accepted in 1.2."""
    if value in allowed:
        return value
    if version != "1.1" and value.startswith("ext:"):
        return value
    near = next((a for a in allowed if a.lower() == value.lower()), None)
    if near is not None:
        problems.warn(file, row, column, f"«{value}» принято как «{near}» (по спецификации регистр строго такой)")
        return near
    problems.error(file, row, column, f"«{value}» — допустимо: {', '.join(allowed)}")
    return None


def _valid_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_bundle(data: bytes, max_rows: int) -> Bundle:
    """The bundle's tables after every conformance check; FormatError lists every problem found."""
    members = _members(data)
    problems = Problems()
    version, files = _manifest(members, problems)
    known = HEADERS_1_1 if version == "1.1" else HEADERS_1_2_1
    tables: dict[str, Table] = {}
    total = 0
    exact = version
    for base, (mode, _) in sorted(files.items()):
        member = f"{base}.csv"
        if mode == "absent" or member not in members:
            continue
        rows = _csv(member, members[member])
        if not rows:
            problems.error(member, 1, None, "файл пуст: нет строки заголовков")
            continue
        headers = rows[0][1]
        expected = known[base]
        if version == "1.2" and base == "users":
            if "resourceSourcedIds" in headers:
                expected = USERS_1_2
            else:
                exact = "1.2.1"
        if not _check_headers(member, headers, expected, exact if base == "users" else version, problems):
            continue
        total += len(rows) - 1
        if total > max_rows:
            raise FormatError(f"в пакете больше {max_rows} строк данных ([import] max_rows в config.toml)")
        body = []
        for number, record in rows[1:]:
            if len(record) != len(headers):
                problems.error(member, number, None, f"{len(record)} значений, а столбцов {len(headers)}")
                continue
            body.append((number, dict(zip(headers, record, strict=True))))
        tables[base] = Table(base, mode, headers, body)
    problems.raise_if_any()
    bundle = Bundle(exact, tables, problems)
    _check_rows(bundle, version)
    problems.raise_if_any()
    return bundle


def _check_rows(bundle: Bundle, version: str) -> None:
    problems = bundle.problems
    rules = _rules(version)
    ids: dict[str, dict[str, int]] = {}
    for table in bundle.tables.values():
        seen: dict[str, int] = {}
        for number, row in table.rows:
            sid = row["sourcedId"]
            if not sid.strip():
                problems.error(table.file, number, "sourcedId", "пусто — у каждой записи должен быть sourcedId")
            elif sid in seen:
                problems.error(table.file, number, "sourcedId", f"«{sid}» повторяет строку {seen[sid]}")
            else:
                seen[sid] = number
            status, stamp = row["status"], row["dateLastModified"]
            if table.mode == "bulk":
                for column, value in (("status", status), ("dateLastModified", stamp)):
                    if value:
                        problems.error(table.file, number, column, f"«{value}» — в файле bulk столбец {column} "
                                                                   "должен быть пуст (заполняется только в delta)")
            else:
                if not status:
                    problems.error(table.file, number, "status", "пусто — в файле delta обязателен: active или "
                                                                 "tobedeleted")
                elif status not in STATUSES:
                    _enum(problems, table.file, number, "status", status, STATUSES, version)
                if not stamp:
                    problems.error(table.file, number, "dateLastModified", "пусто — в файле delta обязательна "
                                                                           "метка ГГГГ-ММ-ДДTчч:мм:сс.мммZ")
                elif not _STAMP.fullmatch(stamp):
                    problems.error(table.file, number, "dateLastModified",
                                   f"«{stamp}» — ожидается ГГГГ-ММ-ДДTчч:мм:сс.мммZ")
        ids[table.name] = seen
    for table in bundle.tables.values():
        rule = rules.get(table.name)
        if rule is None:
            continue
        for number, row in table.rows:
            if row["status"].lower() == "tobedeleted":
                continue  # a deletion carries only its identity
            for column in rule.required:
                if not row.get(column, "").strip():
                    problems.error(table.file, number, column, "обязательное поле пусто")
            for column, allowed in rule.enums.items():
                if row.get(column):
                    fixed = _enum(problems, table.file, number, column, row[column], allowed, version)
                    if fixed is not None:
                        row[column] = fixed
            for column in rule.booleans:
                if row.get(column):
                    fixed = _enum(problems, table.file, number, column, row[column], BOOLEANS, version)
                    if fixed is not None:
                        row[column] = fixed
            for column in rule.dates:
                if row.get(column) and not _valid_date(row[column]):
                    problems.error(table.file, number, column, f"«{row[column]}» — ожидается дата ГГГГ-ММ-ДД")
            for column in rule.years:
                if row.get(column) and not _YEAR.fullmatch(row[column]):
                    problems.error(table.file, number, column, f"«{row[column]}» — ожидается год (ГГГГ)")
            for column, (target, many) in rule.refs.items():
                value = row.get(column, "")
                if not value:
                    continue
                if target not in bundle.tables:
                    continue  # the file is absent from the bundle: nothing to check against
                strict = bundle.mode(target) == "bulk" or (table.name, column) in NEEDED
                for ref in ([v.strip() for v in value.split(",")] if many else [value]):
                    if ref and ref not in ids[target]:
                        text = f"«{ref}» — нет такого sourcedId в {target}.csv"
                        if strict:
                            problems.error(table.file, number, column, text)
                        else:
                            problems.warn(table.file, number, column, text + " (delta: считается переданным раньше)")
    if version == "1.1" and "roles" in bundle.tables:
        problems.error("roles.csv", None, None, "файла roles.csv нет в OneRoster 1.1")


# ---------------------------------------------------------------------------------------------------------
# Bundle → the Russian layout
# ---------------------------------------------------------------------------------------------------------

STUDENT_HEADERS = ("Фамилия", "Имя", "Отчество", "Дата рождения", "Пол", "Класс", "Телефон", "E-mail",
                   "Внешний идентификатор", "Дата зачисления", "Родитель 1 ФИО", "Родитель 1 телефон",
                   "Родитель 1 e-mail", "Родитель 1 кем приходится", "Родитель 2 ФИО", "Родитель 2 телефон",
                   "Родитель 2 e-mail", "Родитель 2 кем приходится", "Номер приказа", "Выбытие", "Дата выбытия")
STAFF_HEADERS = ("Фамилия", "Имя", "Отчество", "Дата рождения", "Пол", "Телефон", "E-mail",
                 "Внешний идентификатор", "Должность", "Номер приказа", "Увольнение", "Дата увольнения")
LEAVING = "tobedeleted"  # the cell of «Выбытие» / «Увольнение» in a leaving row
SEX_CELLS = {"male": "М", "female": "Ж"}


def _zhurnal_classes(bundle: Bundle, extra: Mapping[str, str]) -> dict[str, str]:
    """classSourcedId -> zhurnal class name: `class.<id>=5А` options, else a title like "5А"."""
    mapped: dict[str, str] = {}
    classes = bundle.tables.get("classes")
    explicit = {k.removeprefix("class."): v.strip() for k, v in extra.items() if k.startswith("class.")}
    known = {sid for _, row in (classes.rows if classes else []) for sid in [row["sourcedId"]]}
    for sid in explicit:
        if classes is not None and sid not in known:
            bundle.problems.warn("--option", None, f"class.{sid}", "такого класса нет в classes.csv")
    for number, row in classes.rows if classes else []:
        sid = row["sourcedId"]
        if sid in explicit:
            mapped[sid] = explicit[sid]
            continue
        match = _CLASS_TITLE.fullmatch(row["title"])
        if match:
            mapped[sid] = f"{int(match[1])}{match[2].upper()}"
        elif row["status"] != "tobedeleted":
            bundle.problems.warn("classes.csv", number, "title",
                                 f"класс «{row['title']}» ({row['classType']}) не сопоставлен классу журнала — "
                                 f"зачисления в него не импортируются (--option class.{sid}=5А)")
    for sid, name in explicit.items():
        mapped.setdefault(sid, name)
    return mapped


def _role_of(bundle: Bundle) -> dict[str, str]:
    """userSourcedId -> role: users.role (1.1), else the primary role of roles.csv (1.2)."""
    users = bundle.tables.get("users")
    if users is None:
        return {}
    if bundle.version == "1.1":
        return {row["sourcedId"]: row["role"] for _, row in users.rows if row.get("role")}
    found: dict[str, str] = {}
    roles = bundle.tables.get("roles")
    for _, row in sorted(roles.rows if roles else [], key=lambda r: r[1]["roleType"] != "primary"):
        if row["status"] != "tobedeleted":
            found.setdefault(row["userSourcedId"], row["role"])
    return found


def _former_role_of(bundle: Bundle, user: str, enrolled_as: Mapping[str, str]) -> str | None:
    """The role of a tobedeleted user, whose roles rows may be tobedeleted too (1.2), else the role of its
    enrollments rows; None when the bundle does not say."""
    roles = bundle.tables.get("roles")
    for _, row in sorted(roles.rows if roles else [], key=lambda r: r[1]["roleType"] != "primary"):
        if row["userSourcedId"] == user and row.get("role"):
            return row["role"]
    return enrolled_as.get(user)


def _fmt(day: str) -> str:
    return ".".join(reversed(day.split("-")))


def check_sessions(bundle: Bundle, calendar: str) -> None:
    """academicSessions against the school's calendar (ReadOptions.extra["calendar"], see engine.run):
    a schoolYear maps to the zhurnal year with the same dates, a term / semester / gradingPeriod to the
    term with the same dates; anything else is reported (a warning: sessions are not written)."""
    sessions = bundle.tables.get("academicSessions")
    if sessions is None:
        return
    years: list[tuple[str, str, str]] = []
    terms: list[tuple[str, str, str, str]] = []
    for line in calendar.splitlines():
        parts = line.split("|")
        if parts[0] == "year" and len(parts) == 4:
            years.append((parts[1], parts[2], parts[3]))
        elif parts[0] == "term" and len(parts) >= 7:
            terms.append((parts[1], "|".join(parts[4:-2]), parts[-2], parts[-1]))
    problems = bundle.problems
    for number, row in sessions.rows:
        if row["status"] == "tobedeleted":
            continue
        start, end, title = row["startDate"], row["endDate"], row["title"]
        if row["type"] == "schoolYear":
            same = [y for y in years if (y[1], y[2]) == (start, end)]
            if same:
                problems.warn("academicSessions.csv", number, None, f"«{title}» — учебный год {same[0][0]}")
                continue
            near = [y for y in years if y[2][:4] == row["schoolYear"]]
            text = (f"«{title}» ({_fmt(start)}–{_fmt(end)}) не совпадает с учебным годом {near[0][0]} журнала "
                    f"({_fmt(near[0][1])}–{_fmt(near[0][2])})") if near else (
                    f"«{title}» ({_fmt(start)}–{_fmt(end)}, schoolYear {row['schoolYear']}): такого учебного года "
                    "в журнале нет")
            problems.warn("academicSessions.csv", number, "startDate", text)
        else:
            same_term = [t for t in terms if (t[2], t[3]) == (start, end)]
            if same_term:
                problems.warn("academicSessions.csv", number, None, f"«{title}» — {same_term[0][1]} "
                                                                    f"({same_term[0][0]})")
            else:
                problems.warn("academicSessions.csv", number, "startDate",
                              f"«{title}» ({row['type']}, {_fmt(start)}–{_fmt(end)}) не совпадает ни с одним "
                              "периодом журнала (четверть, триместр, полугодие)")


def to_tables(bundle: Bundle, extra: Mapping[str, str]) -> list[SourceTable]:
    problems = bundle.problems
    check_sessions(bundle, extra.get("calendar", ""))
    users = bundle.tables.get("users")
    if users is None:
        if "enrollments" not in bundle.tables:
            problems.warn("manifest.csv", None, None, "в пакете нет users.csv — людей для импорта нет")
            return []
        users = Table("users", "absent", [], [])  # a delta of enrollments alone (a tobedeleted one ends a class)
    classes = _zhurnal_classes(bundle, extra)
    roles = _role_of(bundle)
    demo = {row["sourcedId"]: row for _, row in bundle.tables["demographics"].rows} \
        if "demographics" in bundle.tables else {}
    by_id = {row["sourcedId"]: (number, row) for number, row in users.rows}
    # student -> zhurnal classes (with the enrolment rows), begin dates
    placed: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    begins: dict[str, str] = {}
    enrollments = bundle.tables.get("enrollments")
    ended: list[tuple[int, dict[str, str]]] = []  # tobedeleted student enrollments
    enrolled_as: dict[str, str] = {}
    for number, row in enrollments.rows if enrollments else []:
        enrolled_as.setdefault(row["userSourcedId"], row["role"])
        if row["status"] == "tobedeleted":
            if row["role"] == "student" and row["userSourcedId"]:
                ended.append((number, row))
            continue
        user = row["userSourcedId"]
        if row["role"] != "student":
            continue  # teaching assignments are not imported (yet): counted below
        if roles.get(user, "student") != "student":
            problems.warn("enrollments.csv", number, "role", f"«student», а пользователь {user} в users/roles — "
                                                             f"«{roles.get(user)}»: зачисление пропущено")
            continue
        name = classes.get(row["classSourcedId"])
        if name is not None:
            placed[user][name].append(number)
            if row.get("beginDate"):
                begins.setdefault(user, row["beginDate"])
    teaching = sum(1 for _, r in (enrollments.rows if enrollments else []) if r["role"] != "student")
    if teaching:
        problems.warn("enrollments.csv", None, "role", f"записи учителей и администраторов ({teaching}) не "
                                                       "импортируются: учебная нагрузка пока вводится в журнале")
    # guardianship both ways: a student's agents, and a parent's agents (the children)
    agents: dict[str, list[str]] = defaultdict(list)
    for _, row in users.rows:
        for agent in filter(None, (a.strip() for a in row.get("agentSourcedIds", "").split(","))):
            me, other = row["sourcedId"], agent
            if roles.get(me) in PARENT_ROLES:
                me, other = other, me
            if (roles.get(me) == "student" and roles.get(other) in PARENT_ROLES and other in by_id
                    and other not in agents[me]):
                agents[me].append(other)
    linked = {p for ps in agents.values() for p in ps}
    hire = extra.get("hire_order", "").strip()
    departure, dismissal = extra.get("departure_order", "").strip(), extra.get("dismissal_order", "").strip()
    staff_rows: list[SourceRow] = []
    student_rows: list[SourceRow] = []
    leaving_users: set[str] = set()
    for number, row in users.rows:
        sid = row["sourcedId"]
        if row["status"] == "tobedeleted":
            leaving_users.add(sid)
            role = roles.get(sid) or _former_role_of(bundle, sid, enrolled_as)
            person = [row["familyName"].strip(), row["givenName"].strip(), row["middleName"].strip(), "", ""]
            if role == "student":
                student_rows.append(SourceRow(number, [*person, "", "", "", sid, "", *[""] * 8, departure, LEAVING,
                                                       ""]))
            elif role in PARENT_ROLES or role is None:
                problems.warn("users.csv", number, "status",
                              "tobedeleted: " + ("роль неизвестна (нет в users/roles/enrollments) — ничего не "
                                                 "завершено" if role is None else
                                                 "связь представителя с ребёнком завершается на экране ученика "
                                                 "(идентификаторы родителей в журнале не хранятся)"))
            else:
                staff_rows.append(SourceRow(number, [*person, "", "", sid, "", dismissal, LEAVING, ""]))
            continue
        role = roles.get(sid)
        if role is None:
            problems.warn("users.csv", number, "sourcedId", "роль не указана (roles.csv) — пропущен")
            continue
        d = demo.get(sid, {})
        person = [row["familyName"].strip(), row["givenName"].strip(), row["middleName"].strip(),
                  d.get("birthDate", ""), SEX_CELLS.get(d.get("sex", ""), "")]
        if d.get("sex") in ("other", "unspecified"):
            problems.warn("demographics.csv", None, "sex", f"{sid}: «{d['sex']}» — в журнале пол не указывается")
        contacts = [row["phone"].strip() or row["sms"].strip(), row["email"].strip(), sid]
        if role == "student":
            names = placed.get(sid, {})
            if len(names) > 1:
                rows = ", ".join(str(n) for ns in names.values() for n in ns)
                problems.error("enrollments.csv", None, "classSourcedId",
                               f"строки {rows}: обучающийся {sid} зачислен в разные классы журнала "
                               f"({', '.join(names)}) — в журнале ученик состоит в одном классе")
                continue
            if not names and not bundle.delta:
                problems.warn("users.csv", number, "sourcedId", f"обучающийся {sid} не зачислен ни в один класс "
                                                                "журнала — пропущен")
                continue
            guardians: list[str] = []
            for parent in agents.get(sid, [])[:2]:
                _, p = by_id[parent]
                full = " ".join(x for x in (p["familyName"].strip(), p["givenName"].strip(),
                                            p["middleName"].strip()) if x)
                guardians += [full, p["phone"].strip() or p["sms"].strip(), p["email"].strip(),
                              RELATIONS.get(roles.get(parent, ""), "")]
            if len(agents.get(sid, [])) > 2:
                problems.warn("users.csv", number, "agentSourcedIds", "больше двух представителей — "
                                                                      "импортируются первые два")
            guardians += [""] * (8 - len(guardians))
            student_rows.append(SourceRow(number, [*person, next(iter(names), ""), *contacts,
                                                   begins.get(sid, ""), *guardians, "", "", ""]))
        elif role in PARENT_ROLES:
            if sid not in linked:
                problems.warn("users.csv", number, "agentSourcedIds", f"представитель {sid} не связан ни с одним "
                                                                      "обучающимся пакета — пропущен")
        else:
            staff_rows.append(SourceRow(number, [*person, *contacts, STAFF_POSITIONS.get(role, "Сотрудник"), hire,
                                                 "", ""]))
    # A tobedeleted student enrollment of a user who stays (not tobedeleted) and is placed in no other class
    # of the bundle: the student leaves the school's class, by the departure order (rows of enrollments.csv).
    ending_rows: list[SourceRow] = []
    for number, row in ended:
        user = row["userSourcedId"]
        if user in leaving_users:
            continue  # the users.csv row ends the enrolment already
        if placed.get(user):
            problems.warn("enrollments.csv", number, "status", f"tobedeleted: обучающийся {user} остаётся в "
                                                              f"{', '.join(placed[user])} — перевод оформляется "
                                                              "приказом о переводе, зачисление не завершено")
            continue
        ending_rows.append(SourceRow(number, ["", "", "", "", "", "", "", "", user, "", *[""] * 8, departure, LEAVING,
                                              row.get("endDate", "")]))
    problems.raise_if_any()
    tables = []
    if staff_rows:
        tables.append(SourceTable(STAFF_HEADERS, staff_rows, "users.csv", "staff"))
    if student_rows:
        tables.append(SourceTable(STUDENT_HEADERS, student_rows, "users.csv", "students"))
    if ending_rows:
        tables.append(SourceTable(STUDENT_HEADERS, ending_rows, "enrollments.csv", "students"))
    return tables


class OneRosterImporter(Importer):
    name = "oneroster"
    title = "OneRoster CSV (пакет .zip, версии 1.1, 1.2, 1.2.1)"
    extensions = (".zip",)
    entities = ("students", "staff", "parents")

    def detect(self, data: bytes, file_name: str) -> int:
        if not data.startswith(b"PK\x03\x04"):
            return 0
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = {n.rsplit("/", 1)[-1] for n in archive.namelist()}
        except (zipfile.BadZipFile, OSError, ValueError):
            return 0
        return 90 if "manifest.csv" in names else (5 if file_name.lower().endswith(".zip") else 0)

    def read(self, data: bytes, options: ReadOptions) -> ParsedFile:
        bundle = check_bundle(data, options.max_rows)
        tables = to_tables(bundle, options.extra)
        modes = sorted({t.mode for t in bundle.tables.values()})
        details = {"oneroster": bundle.version, "mode": "+".join(modes) or "absent",
                   "files": ",".join(sorted(bundle.tables))}
        notes = [f"OneRoster {bundle.version}, {details['mode']}: {', '.join(t.file for t in bundle.tables.values())}",
                 "Строки таблиц — строки users.csv", *bundle.problems.warnings]
        return ParsedFile(tables, details, notes)


# ---------------------------------------------------------------------------------------------------------
# Export: a 1.2.1 bulk bundle
# ---------------------------------------------------------------------------------------------------------

EXPORTED = ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments", "demographics")


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def staff_role(position: str) -> str:
    text = position.lower()
    if "директор" in text and "заместитель" not in text:
        return "principal"
    if "психолог" in text:
        return "counselor"
    if "помощник" in text or "ассистент" in text:
        return "aide"
    if any(w in text for w in ("учител", "педагог", "преподават", "воспитател")):
        return "teacher"
    return "siteAdministrator"


PARENT_ROLE = {"mother": "parent", "father": "parent", "guardian": "guardian", "other": "relative"}


class _Rows:
    def __init__(self, table: ExportTable) -> None:
        self.table = table

    def __iter__(self) -> Iterator[dict[str, Cell]]:
        for row in self.table.rows:
            yield dict(zip(self.table.fields, row, strict=True))


def bundle_files(tables: Sequence[ExportTable]) -> dict[str, list[list[str]]]:
    """file name -> rows (header first) of the 1.2.1 bulk bundle for the engine's bundle tables."""
    by = {t.entity: t for t in tables}
    missing = {"school", "years", "terms", "classes", "students", "staff", "parents"} - set(by)
    if missing:
        raise FormatError("OneRoster выгружает всю школу: --entity all (нет таблиц: " + ", ".join(sorted(missing))
                          + ")")
    school = next(iter(_Rows(by["school"])))
    code = str(school["code"])

    def sid(kind: str, key: object) -> str:
        return str(uuid.uuid5(NAMESPACE, f"{code}/{kind}/{key}"))

    org = sid("school", school["id"])
    files: dict[str, list[list[str]]] = {name: [list(HEADERS_1_2_1[name])] for name in EXPORTED}
    files["orgs"].append([org, "", "", str(school["name"]), "school", code, ""])
    terms_of: dict[object, list[str]] = defaultdict(list)
    years = list(_Rows(by["years"]))
    for y in years:
        end = y["end_date"]
        assert isinstance(end, date)
        files["academicSessions"].append([sid("year", y["id"]), "", "", str(y["name"]), "schoolYear",
                                          _text(y["start_date"]), _text(end), "", str(end.year)])
    year_end = {y["id"]: y["end_date"] for y in years}
    for t in _Rows(by["terms"]):
        end = year_end[t["year_id"]]
        assert isinstance(end, date)
        kind = "semester" if str(t["kind"]).startswith(("half", "semester")) else "term"
        files["academicSessions"].append([sid("term", t["id"]), "", "", str(t["name"]), kind, _text(t["start_date"]),
                                          _text(t["end_date"]), sid("year", t["year_id"]), str(end.year)])
        terms_of[t["year_id"]].append(sid("term", t["id"]))
    classes = list(_Rows(by["classes"]))
    courses: set[tuple[object, object]] = set()
    grade_of: dict[object, str] = {}
    for c in classes:
        grade = f"{int(str(c['parallel'])):02d}"
        grade_of[c["id"]] = grade
        course = (c["year_id"], c["parallel"])
        if course not in courses:
            courses.add(course)
            files["courses"].append([sid("course", f"{c['year_id']}-{c['parallel']}"), "", "",
                                     sid("year", c["year_id"]), f"{c['parallel']} класс", str(c["parallel"]),
                                     grade, org, "", ""])
        files["classes"].append([sid("class", c["id"]), "", "", str(c["name"]), grade,
                                 sid("course", f"{c['year_id']}-{c['parallel']}"), str(c["name"]), "homeroom", "", org,
                                 ",".join(terms_of.get(c["year_id"]) or [sid("year", c["year_id"])]), "", "", ""])
    people: dict[object, dict[str, Cell]] = {}
    roles: dict[object, list[str]] = defaultdict(list)
    agents: dict[object, list[str]] = defaultdict(list)
    grades: dict[object, str] = {}
    for s in _Rows(by["students"]):
        people.setdefault(s["id"], s)
        roles[s["id"]].append("student")
        if s["class_id"] is not None:
            grades[s["id"]] = grade_of.get(s["class_id"], "")
            files["enrollments"].append([sid("enrolment", f"{s['id']}-{s['class_id']}"), "", "",
                                         sid("class", s["class_id"]), org, sid("person", s["id"]), "student",
                                         "", "", ""])
    for s in _Rows(by["staff"]):
        people.setdefault(s["id"], s)
        role = staff_role(str(s["position"] or ""))
        if role not in roles[s["id"]]:
            roles[s["id"]].append(role)
    for p in _Rows(by["parents"]):
        people.setdefault(p["id"], p)
        role = PARENT_ROLE.get(str(p["relation_code"]), "relative")
        if role not in roles[p["id"]]:
            roles[p["id"]].append(role)
        if p["child_id"] in people or p["child_id"] in roles:
            agents[p["child_id"]].append(sid("person", p["id"]))
            agents[p["id"]].append(sid("person", p["child_id"]))
    for pid, person in people.items():
        user = sid("person", pid)
        files["users"].append([user, "", "", "true", f"zhurnal-{pid}", "", str(person["first_name"] or ""),
                               str(person["last_name"] or ""), _text(person["middle_name"]), "", _text(person["email"]),
                               "", _text(person["phone"]), ",".join(agents.get(pid, [])), grades.get(pid, ""), "",
                               "", "", "", "", org, ""])
        for n, role in enumerate(roles[pid]):
            files["roles"].append([sid("role", f"{pid}-{role}"), "", "", user, "primary" if n == 0 else "secondary",
                                   role, "", "", org, ""])
        sex = {"М": "male", "Ж": "female", "M": "male", "F": "female"}.get(_text(person.get("sex")), "")
        if person.get("birth_date") or sex:
            files["demographics"].append([user, "", "", _text(person.get("birth_date")), sex,
                                          *[""] * (len(HEADERS_1_2_1["demographics"]) - 5)])
    return files


def write_bundle(files: Mapping[str, list[list[str]]], out: BinaryIO) -> None:
    """The zip: manifest.csv then every file, UTF-8 without BOM, CRLF, fixed timestamps (same input, same
    bytes)."""
    manifest = [["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
    manifest += [[f"file.{name}", "bulk" if name in files else "absent"] for name in HEADERS_1_2_1]
    manifest += [["source.systemName", "zhurnal"], ["source.systemCode", "zhurnal"]]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in [("manifest", manifest), *files.items()]:
            buffer = io.StringIO(newline="")
            csv.writer(buffer, lineterminator="\r\n").writerows(rows)
            info = zipfile.ZipInfo(f"{name}.csv", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue().encode("utf-8"))


class OneRosterExporter(Exporter):
    name = "oneroster"
    title = "OneRoster 1.2.1 CSV (пакет .zip, bulk; вся школа: --entity all)"
    extension = ".zip"
    spreadsheet = False  # data interchange: values are kept exactly ("+7 ..." stays a phone number)
    multi_table = True

    def write(self, tables: Sequence[ExportTable], out: BinaryIO, options: WriteOptions) -> None:
        write_bundle(bundle_files(tables), out)


@hookimpl
def register_importers(register: Callable[[Importer], None]) -> None:
    register(OneRosterImporter())


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    register(OneRosterExporter())
