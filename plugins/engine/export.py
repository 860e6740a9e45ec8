"""Export: the core's export queries (export.personal_data, audited with row counts) → one table in the
Russian layout → the exporter. Text cells are neutralised for spreadsheet formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from zhurnal.core.permissions import Actor
from zhurnal.core.services.imports import ExportService, ParentExport, PersonExport, StaffExport, StudentExport
from zhurnal.core.store import Store
from zhurnal.plugins.builtin.russian_layout import LAYOUTS, RELATION_EXPORT, SEX_EXPORT
from zhurnal.plugins.engine.formats import Cell, ExportTable, FormatError, WriteOptions, neutralise
from zhurnal.plugins.engine.run import ImportFailed
from zhurnal.plugins.manager import EXPORT_ACTION, Hub

_PERSON_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "sex", "snils", "phone", "email",
                  "address", "external_id")


class ExportFailed(ImportFailed):
    """The export could not be written; the message says why."""


@dataclass(frozen=True)
class ExportResult:
    entity: str
    format: str
    rows: int


def _person(p: PersonExport) -> dict[str, Cell]:
    values: dict[str, Cell] = {name: getattr(p, name) for name in _PERSON_FIELDS}
    values["sex"] = SEX_EXPORT.get(p.sex or "", p.sex)
    return values


def _full(p: PersonExport) -> str:
    return " ".join(x for x in (p.last_name, p.first_name, p.middle_name) if x)


def _student(row: StudentExport) -> dict[str, Cell]:
    values = {**_person(row.person), "class_name": row.class_name}
    for n, guardian in enumerate(row.guardians[:2], 1):
        values[f"parent{n}_name"] = guardian.full_name
        values[f"parent{n}_phone"] = guardian.phone
        values[f"parent{n}_email"] = guardian.email
        values[f"parent{n}_relation"] = RELATION_EXPORT.get(guardian.relation, guardian.relation)
    return values


def _staff(row: StaffExport) -> dict[str, Cell]:
    return {**_person(row.person), "position": row.position, "rate": row.rate, "start_date": row.start_date}


def _parent(row: ParentExport) -> dict[str, Cell]:
    return {**_person(row.person), "relation": RELATION_EXPORT.get(row.relation, row.relation),
            "child_name": _full(row.child), "child_birth_date": row.child.birth_date, "child_snils": row.child.snils,
            "child_class": row.child_class}


_ROWS: dict[str, tuple[str, Callable[[Any], dict[str, Cell]]]] = {
    "students": ("students", _student), "staff": ("staff", _staff), "parents": ("parents", _parent)}


def build_table(entity: str, rows: Sequence[dict[str, Cell]], *, spreadsheet: bool) -> ExportTable:
    """The entity's exported columns in layout order; text neutralised when a spreadsheet may open it."""
    columns = [c for c in LAYOUTS[entity] if c.export and not c.field.startswith("order_")]
    body = []
    for values in rows:
        cells = [values.get(c.field) for c in columns]
        body.append([neutralise(v) if spreadsheet and isinstance(v, str) else v for v in cells])
    return ExportTable(entity, [c.header for c in columns], [c.field for c in columns], body, entity)


def export(hub: Hub, store: Store, actor: Actor, entity: str, format: str, out: BinaryIO,
           options: WriteOptions | None = None, on: date | None = None) -> ExportResult:
    """Write the entity's list as of `on` (today by default) in `format` to `out`."""
    exporter = hub.exporter(format)
    hub.require(store, actor, [EXPORT_ACTION, *exporter.actions], "export")
    if entity not in _ROWS:
        raise ExportFailed(f"Неизвестная сущность «{entity}»; допустимы: {', '.join(_ROWS)}")
    if exporter.entities is not None and entity not in exporter.entities:
        raise ExportFailed(f"Формат {exporter.name} не экспортирует «{entity}»")
    method, convert = _ROWS[entity]
    rows = getattr(ExportService(store), method)(actor, on, purpose=exporter.name)
    table = build_table(entity, [convert(r) for r in rows], spreadsheet=exporter.spreadsheet)
    try:
        exporter.write([table], out, options or WriteOptions())
    except FormatError as exc:
        raise ExportFailed(f"Экспорт в {exporter.name} не записан: {exc}") from None
    return ExportResult(entity, exporter.name, len(rows))
