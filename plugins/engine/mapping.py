"""Columns to fields: automatic by header synonyms, then the remembered mapping, then the user's own.

The user's mapping (`explicit`) names a column by its header and a field by its name or its Russian header
("Фам." = "last_name" or "Фам." = "Фамилия"); an empty field, "-" or "—" leaves the column unused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from zhurnal.plugins.builtin.russian_layout import DISTINCTIVE, LAYOUTS, PEOPLE, column, header_key, synonyms

IGNORE = ("", "-", "—")


@dataclass(frozen=True)
class MappedColumn:
    """One column of the file: its position, header, the field it feeds (None: unused) and why."""

    index: int
    header: str
    field: str | None
    source: str  # auto | remembered | explicit | none
    note: str = ""

    @property
    def label(self) -> str:
        """The Russian name of the field (the canonical header), or "не используется"."""
        return "не используется" if self.field is None else _label(self.field)


def _label(field_name: str) -> str:
    for layout in LAYOUTS.values():
        for col in layout:
            if col.field == field_name:
                return col.header
    return field_name


def field_of(entity: str, name: str) -> str | None:
    """A field named by its machine name or any of its headers; None when the entity has no such field."""
    fields = {c.field for c in LAYOUTS[entity]}
    if name in fields:
        return name
    return synonyms(entity).get(header_key(name))


def guess_entity(headers: Sequence[str]) -> str | None:
    """The entity whose distinctive columns the headers have (staff: Должность; parents: the child's
    columns; students: Класс); None when no entity or more than one fits."""
    found = []
    for entity, fields in DISTINCTIVE.items():
        known = synonyms(entity)
        if any(known.get(header_key(h)) in fields for h in headers):
            found.append(entity)
    if "parents" in found and "students" in found:
        found.remove("students")  # a parents' list often names the child's class
    return found[0] if len(found) == 1 else None


def map_columns(entity: str, headers: Sequence[str], explicit: Mapping[str, str] | None = None,
                remembered: Mapping[str, str] | None = None) -> tuple[list[MappedColumn], list[str]]:
    """The mapping of every column and the problems that stop the import (unknown names, a field fed by two
    columns, a missing name column)."""
    known = synonyms(entity)
    problems: list[str] = []
    explicit_by_key: dict[str, str] = {}
    for header, target in (explicit or {}).items():
        if not any(header_key(h) == header_key(header) for h in headers):
            problems.append(f"Сопоставление: в файле нет столбца «{header}»; есть: "
                            + ", ".join(f"«{h}»" for h in headers))
            continue
        if target.strip() not in IGNORE and field_of(entity, target.strip()) is None:
            problems.append(f"Сопоставление: «{target}» — нет такого поля; допустимы: "
                            + ", ".join(c.field for c in LAYOUTS[entity]))
            continue
        explicit_by_key[header_key(header)] = target.strip()
    # The same header twice: which column holds the data is a guess, and the engine never guesses.
    first_seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        if not header.strip():
            continue
        if key in first_seen:
            problems.append(f"Заголовок «{header}» повторяется (столбцы {first_seen[key] + 1} и {index + 1}); "
                            "переименуйте или удалите лишний столбец")
        else:
            first_seen[key] = index
    remembered_by_key = {header_key(h): f for h, f in (remembered or {}).items()}
    columns: list[MappedColumn] = []
    taken: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        if key in explicit_by_key:
            target = explicit_by_key[key]
            field, source = (None if target in IGNORE else field_of(entity, target)), "explicit"
        elif key in remembered_by_key and (remembered_by_key[key] in IGNORE
                                           or field_of(entity, remembered_by_key[key]) is not None):
            target = remembered_by_key[key]
            field, source = (None if target in IGNORE else field_of(entity, target)), "remembered"
        else:
            field, source = known.get(key), "auto"
        if not header.strip():
            field, source = None, "none"
        note = ""
        if field is not None and field in taken:
            if source == "explicit":
                problems.append(f"Сопоставление: поле «{_label(field)}» указано и для «{taken[field]}», и для "
                                f"«{header}»")
            note = f"поле «{_label(field)}» уже берётся из «{taken[field]}»"
            field = None
        if field is None and source == "auto":
            source = "none"
        if field is not None:
            taken[field] = header
        columns.append(MappedColumn(index, header, field, source, note))
    if entity not in PEOPLE:
        needed = {"subjects": (("name", "Предмет"),), "classes": (("class_name", "Класс"),),
                  "assignments": (("class_name", "Класс"), ("subject", "Предмет"), ("teacher", "Учитель"))}
        for field_name, header in needed.get(entity, ()):
            if field_name not in taken and not (field_name == "teacher" and "teacher_external_id" in taken):
                problems.append(f"Нет столбца «{header}»; заголовки файла: " + ", ".join(f"«{h}»" for h in headers))
        return columns, problems
    has_names = {"last_name", "first_name"} <= set(taken)
    if "full_name" in taken and ("last_name" in taken or "first_name" in taken):
        columns = [MappedColumn(c.index, c.header, None, c.source, "ФИО не нужно: есть отдельные столбцы фамилии "
                                "и имени") if c.field == "full_name" else c for c in columns]
    elif not has_names and "full_name" not in taken:
        problems.append("Нет столбцов «Фамилия» и «Имя» (или одного «ФИО»); заголовки файла: "
                        + ", ".join(f"«{h}»" for h in headers) + ". Сопоставьте их явно (--map \"Заголовок=поле\")")
    if entity == "parents" and not {"child_name", "child_snils"} & set(taken):
        problems.append("Нет столбца «ФИО ребёнка» или «СНИЛС ребёнка»: родитель связывается с обучающимся по ним")
    return columns, problems


def header_for(entity: str, field_name: str, columns: Sequence[MappedColumn]) -> str:
    """The file's header of the column feeding `field_name`, else the canonical header of the field."""
    for c in columns:
        if c.field == field_name:
            return c.header
    col = column(entity, field_name)
    base = col.header if col is not None else field_name
    return base
