"""Rows of text cells to the records the core import service applies.

This step only turns text into typed values (dates, sex, relation, orders, names split from a ФИО) and
reports what cannot be turned; every field is then cleaned and checked by the core service with the same
rules as the forms. Every problem names its field, which the engine turns into the file's column header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from zhurnal.core.services.imports import (
    AssignmentRecord,
    ChildKey,
    ClassRecord,
    GuardianInput,
    OrderRef,
    ParentRecord,
    Record,
    StaffRecord,
    StudentRecord,
    SubjectRecord,
)
from zhurnal.core.services.persons import PersonInput
from zhurnal.core.validation import Problem, fold, parse_date
from zhurnal.plugins.builtin.russian_layout import LEAVE_VALUES, RELATION_VALUES, SEX_VALUES
from zhurnal.plugins.engine.formats import SourceRow, unneutralise
from zhurnal.plugins.engine.mapping import MappedColumn

_ORDER_TEXT = re.compile(r"(?:№\s*)?(?P<number>.+?)\s+от\s+(?P<date>[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}|"
                         r"[0-9]{4}-[0-9]{2}-[0-9]{2})(?:\s*г\.?)?", re.IGNORECASE)


_MIDNIGHT = re.compile(r"[ T]0?0:00(:00)?$")


def parse_order(text: str) -> OrderRef | None:
    """"12-у от 01.09.2026" (also "№ 12-у от 2026-09-01 г.") as an OrderRef; None when it is not one."""
    match = _ORDER_TEXT.fullmatch(text.strip())
    if match is None:
        return None
    day, problems = parse_date(match["date"], "order_date")
    return OrderRef(match["number"].strip(), day) if day is not None and not problems else None


def split_name(text: str) -> tuple[str, str, str | None] | None:
    """"Иванова Мария Петровна" → (last, first, middle); more than three words: the rest is the middle name
    ("Мамедов Рашид Ильхам оглы"); fewer than two words: None."""
    words = text.split()
    if len(words) < 2:
        return None
    return words[0], words[1], " ".join(words[2:]) or None


class _Row:
    def __init__(self, row: SourceRow, columns: Sequence[MappedColumn]) -> None:
        self.number = row.number
        self.values: dict[str, str] = {}
        self.problems: list[Problem] = []
        cells = row.cells
        count = len(cells)
        for c in columns:
            if c.field is not None and c.index < count:
                cell = cells[c.index]
                self.values[c.field] = (unneutralise(cell) if cell[:1] == "'" else cell).strip()
        extra = [cell for cell in cells[len(columns):] if cell.strip()]
        if extra:
            self.problems.append(Problem("row", "extra_cells", f"в строке {len(cells)} значений, а столбцов "
                                                               f"{len(columns)} — лишние значения: «{extra[0]}»"))

    def text(self, field: str) -> str | None:
        return self.values.get(field) or None

    def problem(self, field: str, label: str, message: str, code: str = "bad_format") -> None:
        self.problems.append(Problem(field, code, f"{label}: {message}"))

    def date(self, field: str, label: str) -> date | None:
        value = self.text(field)
        if value is None:
            return None
        # A spreadsheet may add a time to a date cell ("01.09.2010 0:00:00").
        if " " in value or "T" in value:
            value = _MIDNIGHT.sub("", value)
        day, problems = parse_date(value, field)
        for p in problems:
            self.problem(field, label, p.message.split(": ", 1)[-1], p.code)
        return day

    def person(self) -> PersonInput:
        last, first, middle = self.text("last_name"), self.text("first_name"), self.text("middle_name")
        full = self.text("full_name")
        if last is None and first is None and full is not None:
            parts = split_name(full)
            if parts is None:
                self.problem("full_name", "ФИО", f"«{full}» — нужны хотя бы фамилия и имя")
            else:
                last, first, middle = parts
        sex = self.text("sex")
        if sex is not None:
            found = SEX_VALUES.get(fold(sex).rstrip("."))
            if found is None:
                self.problem("sex", "Пол", f"«{sex}» — ожидается М или Ж (муж/жен, M/F)")
            sex = found
        return PersonInput(last or "", first or "", middle, self.date("birth_date", "Дата рождения"), sex,
                           self.text("snils"), self.text("phone"), self.text("email"), self.text("address"),
                           self.text("external_id"))

    def order(self) -> OrderRef | None:
        number, when = self.text("order_number"), self.date("order_date", "Дата приказа")
        if number is None:
            if when is not None:
                self.problem("order_number", "Номер приказа", "указана дата приказа, но не его номер", "required")
            return None
        if when is None and "order_date" not in self.values:
            combined = parse_order(number)  # "12-у от 01.09.2026" in one cell
            if combined is not None:
                return combined
        if when is None:
            if not any(p.field == "order_date" for p in self.problems):
                self.problem("order_date", "Дата приказа", "не указана (нужны номер и дата приказа)", "required")
            return None
        return OrderRef(number.removeprefix("№").strip(), when)

    def leave(self, label: str) -> bool:
        value = self.text("leave")
        if value is None:
            return False
        found = LEAVE_VALUES.get(fold(value))
        if found is None:
            self.problem("leave", label, f"«{value}» — ожидается «да» (строка завершает членство) или пусто")
            return False
        return found

    def relation(self, field: str, label: str) -> str | None:
        value = self.text(field)
        if value is None:
            return None
        found = RELATION_VALUES.get(" ".join(re.sub(r"[()/,]", " ", fold(value)).split()))
        if found is None:
            self.problem(field, label, f"«{value}» — ожидается мать, отец, опекун или иной представитель")
        return found


def _student(row: _Row) -> StudentRecord:
    person = row.person()
    guardians = []
    for n in (1, 2):
        name = row.text(f"parent{n}_name")
        contacts = row.text(f"parent{n}_phone") or row.text(f"parent{n}_email")
        relation = row.relation(f"parent{n}_relation", f"Родитель {n}, кем приходится")
        if name is None:
            if contacts:
                row.problem(f"parent{n}_name", f"Родитель {n}", "указаны контакты, но не ФИО", "required")
            continue
        parts = split_name(name)
        if parts is None:
            row.problem(f"parent{n}_name", f"Родитель {n}", f"«{name}» — нужны хотя бы фамилия и имя")
            continue
        guardians.append(GuardianInput(n, *parts, phone=row.text(f"parent{n}_phone"),
                                       email=row.text(f"parent{n}_email"), relation=relation))
    order, start = row.order(), row.date("start_date", "Дата зачисления")
    leave, end = row.leave("Выбытие"), row.date("end_date", "Дата выбытия")
    return StudentRecord(row.number, person, row.text("class_name"), order, start, tuple(guardians),
                         tuple(row.problems), leave, end)


def _staff(row: _Row) -> StaffRecord:
    person = row.person()
    order, start = row.order(), row.date("start_date", "Дата приёма")
    leave, end = row.leave("Увольнение"), row.date("end_date", "Дата увольнения")
    return StaffRecord(row.number, person, row.text("position"), row.text("rate"), order, start, tuple(row.problems),
                       leave, end)


def _parent(row: _Row) -> ParentRecord:
    person = row.person()
    name = row.text("child_name")
    parts = split_name(name) if name else None
    if name and parts is None:
        row.problem("child_name", "ФИО ребёнка", f"«{name}» — нужны хотя бы фамилия и имя")
    last, first, middle = parts or (None, None, None)
    child = ChildKey(last, first, middle, row.date("child_birth_date", "Дата рождения ребёнка"),
                     row.text("child_snils"))
    return ParentRecord(row.number, person, child, row.relation("relation", "Кем приходится"), tuple(row.problems))


def _subject(row: _Row) -> SubjectRecord:
    return SubjectRecord(row.number, row.text("name"), row.text("short_name"), tuple(row.problems))


def _class(row: _Row) -> ClassRecord:
    return ClassRecord(row.number, row.text("year"), row.text("class_name"), row.text("class_teacher"),
                       tuple(row.problems))


def _assignment(row: _Row) -> AssignmentRecord:
    return AssignmentRecord(row.number, row.text("year"), row.text("class_name"), row.text("subject"),
                            row.text("teacher"), row.date("teacher_birth_date", "Дата рождения учителя"),
                            row.text("teacher_external_id"), row.text("subgroup"), tuple(row.problems))


BUILDERS: dict[str, Callable[[_Row], Record]] = {"students": _student, "staff": _staff, "parents": _parent,
                                                 "subjects": _subject, "classes": _class,
                                                 "assignments": _assignment}


def build_records(entity: str, rows: Sequence[SourceRow], columns: Sequence[MappedColumn]) -> list[Record]:
    """One record per data row, with the problems found while reading its cells."""
    build = BUILDERS[entity]
    return [build(_Row(row, columns)) for row in rows]
