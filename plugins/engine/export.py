"""Export: the core's export queries (export.personal_data, audited with row counts) → one table in the
Russian layout → the exporter. Text cells are neutralised for spreadsheet formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from zhurnal.core.permissions import Actor
from zhurnal.core.services.imports import ExportService, ParentExport, StaffExport, StudentExport
from zhurnal.core.services.persons import PersonView
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


def _person(p: PersonView) -> dict[str, Cell]:
    values: dict[str, Cell] = {name: getattr(p, name) for name in _PERSON_FIELDS}
    values["sex"] = SEX_EXPORT.get(p.sex or "", p.sex)
    return values


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
            "child_name": row.child.full_name, "child_birth_date": row.child.birth_date, "child_snils": row.child.snils,
            "child_class": row.child_class}


_ROWS: dict[str, tuple[str, Callable[[Any], dict[str, Cell]]]] = {
    "students": ("students", _student), "staff": ("staff", _staff), "parents": ("parents", _parent)}


def build_table(entity: str, rows: Sequence[dict[str, Cell]], *, spreadsheet: bool,
                template: bool = False) -> ExportTable:
    """The entity's exported columns in layout order; text neutralised when a spreadsheet may open it.

    A list leaves out the order columns (an exported person is already enrolled or employed); a `template`
    keeps them, since every new student or employee in it must come with the order that admits them."""
    columns = [c for c in LAYOUTS[entity] if c.export and (template or not c.field.startswith("order_"))]
    body = []
    for values in rows:
        cells = [values.get(c.field) for c in columns]
        body.append([neutralise(v) if spreadsheet and isinstance(v, str) else v for v in cells])
    return ExportTable(entity, [c.header for c in columns], [c.field for c in columns], body, entity)


def class_names(store: Store, school_id: int | None, on: date | None = None) -> list[str]:
    """The school's classes of the academic year that holds `on` (today by default), in grade order."""
    from sqlalchemy import select

    from zhurnal.core.models import AcademicYear, SchoolClass

    if school_id is None:
        return []
    day = on or date.today()
    with store.session(write=False) as s:
        year_ids = list(s.scalars(select(AcademicYear.id).where(
            AcademicYear.school_id == school_id, AcademicYear.start_date <= day, AcademicYear.end_date >= day)))
        rows = s.execute(select(SchoolClass.name, SchoolClass.parallel, SchoolClass.letter).where(
            SchoolClass.school_id == school_id, SchoolClass.year_id.in_(year_ids))).all()
    return [r.name for r in sorted(rows, key=lambda r: (r.parallel, r.letter, r.name))]


def export(hub: Hub, store: Store, actor: Actor, entity: str, format: str, out: BinaryIO,
           options: WriteOptions | None = None, on: date | None = None, *, template: bool = False) -> ExportResult:
    """Write the entity's list as of `on` (today by default) in `format` to `out`.

    `template`: no rows, only the headers (and, for a template format such as XLSX, its drop-down lists and
    instructions) — the empty form a school fills in. The exporter receives the school's classes of the
    year in WriteOptions.extra["classes"] (one name per line) unless the caller set it.
    Entity "all" (BUNDLE) writes the whole school with a multi_table exporter (`export_bundle`)."""
    if entity == BUNDLE and not template:
        return export_bundle(hub, store, actor, format, out, options, on)
    if entity in STRUCTURE:
        return _export_structure(hub, store, actor, entity, format, out, options, template=template, on=on)
    if entity == MARKS:
        return _export_marks(hub, store, actor, format, out, options, on)
    exporter = hub.exporter(format)
    hub.require(store, actor, [EXPORT_ACTION, *exporter.actions], "export")
    if entity not in _ROWS:
        raise ExportFailed(f"Неизвестная сущность «{entity}»; допустимы: {', '.join(_ROWS)}")
    if exporter.entities is not None and entity not in exporter.entities:
        raise ExportFailed(f"Формат {exporter.name} не экспортирует «{entity}»")
    method, convert = _ROWS[entity]
    rows = [] if template else getattr(ExportService(store), method)(actor, on, purpose=exporter.name)
    table = build_table(entity, [convert(r) for r in rows], spreadsheet=exporter.spreadsheet, template=template)
    options = options or WriteOptions()
    if "classes" not in options.extra:
        classes = "\n".join(class_names(store, actor.school_id, on))
        options = WriteOptions(options.encoding, options.delimiter, {**options.extra, "classes": classes})
    try:
        exporter.write([table], out, options)
    except FormatError as exc:
        raise ExportFailed(f"Экспорт в {exporter.name} не записан: {exc}") from None
    return ExportResult(entity, exporter.name, len(rows))


# ---------------------------------------------------------------------------------------------------------
# The school's structure (subjects): no personal data, so school.read is enough and no password is asked.
# ---------------------------------------------------------------------------------------------------------

STRUCTURE = ("subjects", "classes", "assignments")


def _subject_rows(store: Store, actor: Actor) -> list[dict[str, Cell]]:
    from zhurnal.core.services.subjects import SubjectService

    return [{"name": s.name, "short_name": s.short_name} for s in SubjectService(store).list(actor)]


def _class_rows(store: Store, actor: Actor, on: date | None) -> list[dict[str, Cell]]:
    """The classes of the academic year holding `on` (today by default), with the class teacher's name."""
    from zhurnal.core.services.classes import ClassService
    from zhurnal.core.services.years import YearService

    day = on or date.today()
    years = [y for y in YearService(store).list(actor) if y.start <= day <= y.end]
    if not years:
        return []
    return [{"year": years[0].name, "class_name": c.name, "class_teacher": c.class_teacher_name}
            for c in ClassService(store).list(actor, years[0].id, day)]


def _assignment_rows(store: Store, actor: Actor, on: date | None) -> list[dict[str, Cell]]:
    """The live assignments of the year holding `on`: the teacher by name (and external id when stored by the
    matching import; birth dates are personal data and stay out of a school.read export)."""
    from zhurnal.core.services.assignments import AssignmentService
    from zhurnal.core.services.years import YearService

    day = on or date.today()
    years = [y for y in YearService(store).list(actor) if y.start <= day <= y.end]
    if not years:
        return []
    return [{"year": years[0].name, "class_name": a.class_name, "subject": a.subject_name, "teacher": a.teacher_name,
             "subgroup": a.subgroup} for a in AssignmentService(store).list(actor, year_id=years[0].id)]


def _export_structure(hub: Hub, store: Store, actor: Actor, entity: str, format: str, out: BinaryIO,
                      options: WriteOptions | None, *, template: bool, on: date | None = None) -> ExportResult:
    exporter = hub.exporter(format)
    hub.require(store, actor, ["school.read", *exporter.actions], "export")
    if exporter.entities is not None and entity not in exporter.entities:
        raise ExportFailed(f"Формат {exporter.name} не экспортирует «{entity}»")
    rows = [] if template else (_subject_rows(store, actor) if entity == "subjects" else
                                _class_rows(store, actor, on) if entity == "classes" else
                                _assignment_rows(store, actor, on))
    table = build_table(entity, rows, spreadsheet=exporter.spreadsheet)
    try:
        exporter.write([table], out, options or WriteOptions())
    except FormatError as exc:
        raise ExportFailed(f"Экспорт в {exporter.name} не записан: {exc}") from None
    return ExportResult(entity, exporter.name, len(rows))


# ---------------------------------------------------------------------------------------------------------
# Journal marks (read-only): every journal the actor may read in the year holding the day. The rows name
# students, so the export is personal data (export.personal_data, the password, an audit record with the
# row count), and it needs journal.read besides.
# ---------------------------------------------------------------------------------------------------------

MARKS = "marks"


def _mark_rows(store: Store, actor: Actor, on: date | None) -> list[dict[str, Cell]]:
    from zhurnal.core.services.journal import JournalService
    from zhurnal.core.services.years import YearService

    day = on or date.today()
    years = [y for y in YearService(store).list(actor) if y.start <= day <= y.end]
    if not years:
        return []
    year = years[0]
    journals = JournalService(store)
    rows: list[dict[str, Cell]] = []
    for entry in journals.list_journals(actor, year.id):
        view = journals.open(actor, entry.assignment_id, start=year.start, end=year.end, today=day)
        students = {s.id: s.full_name for s in view.students}
        lessons = {lesson.id: lesson for lesson in view.lessons}
        kinds = {w.id: w.name for w in view.work_types}
        for mark in view.marks:
            lesson = lessons[mark.lesson_id]
            rows.append({"class_name": view.class_name, "subject": view.subject_name, "subgroup": view.subgroup,
                         "student": students.get(mark.student_id, str(mark.student_id)), "day": lesson.day,
                         "lesson": lesson.number, "mark": mark.value, "work_type": kinds.get(mark.work_type_id)})
    return rows


def _export_marks(hub: Hub, store: Store, actor: Actor, format: str, out: BinaryIO, options: WriteOptions | None,
                  on: date | None) -> ExportResult:
    from zhurnal.core.audit import AuditEvent
    from zhurnal.core.uow import record_outside

    exporter = hub.exporter(format)
    hub.require(store, actor, [EXPORT_ACTION, "journal.read", *exporter.actions], "export")
    if exporter.entities is not None and MARKS not in exporter.entities:
        raise ExportFailed(f"Формат {exporter.name} не экспортирует «{MARKS}»")
    rows = _mark_rows(store, actor, on)
    table = build_table(MARKS, rows, spreadsheet=exporter.spreadsheet)
    try:
        exporter.write([table], out, options or WriteOptions())
    except FormatError as exc:
        raise ExportFailed(f"Экспорт в {exporter.name} не записан: {exc}") from None
    record_outside(store, actor, AuditEvent("export.marks", detail=f"{exporter.name}; rows {len(rows)}"))
    return ExportResult(MARKS, exporter.name, len(rows))


# ---------------------------------------------------------------------------------------------------------
# Bundles: a multi_table exporter (OneRoster) gets every entity at once, with the zhurnal ids.
# ---------------------------------------------------------------------------------------------------------

BUNDLE = "all"  # the entity name of a bundle export (`zhurnal export --format oneroster --entity all`)


def _with(table: ExportTable, fields: Sequence[str], values: Sequence[Sequence[Cell]]) -> ExportTable:
    """`table` with extra columns (their header is the field name) appended to every row."""
    rows = [[*row, *extra] for row, extra in zip(table.rows, values, strict=True)]
    return ExportTable(table.entity, [*table.headers, *fields], [*table.fields, *fields], rows, table.name)


def _plain(entity: str, fields: Sequence[str], rows: Sequence[Sequence[Cell]]) -> ExportTable:
    return ExportTable(entity, list(fields), list(fields), [list(r) for r in rows], entity)


def bundle_tables(store: Store, actor: Actor, on: date | None, *, purpose: str,
                  spreadsheet: bool) -> list[ExportTable]:
    """Every table a bundle exporter needs, fields named as in the Russian layout plus ids:

    school (id, code, name); years (id, name, start_date, end_date); terms (id, year_id, kind, number, name,
    start_date, end_date); classes (id, year_id, name, parallel, letter); students (layout + id, class_id);
    staff (layout + id); parents (layout + id, child_id, relation_code). Each people query is the audited
    export query (export.personal_data, row counts)."""
    service = ExportService(store)
    structure = service.structure(actor, on)
    class_ids = {c.name: c.id for c in structure.classes}
    students = service.students(actor, on, purpose=purpose)
    staff = service.staff(actor, on, purpose=purpose)
    parents = service.parents(actor, on, purpose=purpose)
    tables = [
        _plain("school", ("id", "code", "name"), [(structure.school_id, structure.school_code,
                                                   structure.school_name)]),
        _plain("years", ("id", "name", "start_date", "end_date"),
               [(y.id, y.name, y.start_date, y.end_date) for y in structure.years]),
        _plain("terms", ("id", "year_id", "kind", "number", "name", "start_date", "end_date"),
               [(t.id, y.id, t.kind, t.number, t.name, t.start_date, t.end_date) for y in structure.years
                for t in y.terms]),
        _plain("classes", ("id", "year_id", "name", "parallel", "letter"),
               [(c.id, c.year_id, c.name, c.parallel, c.letter) for c in structure.classes]),
        _with(build_table("students", [_student(r) for r in students], spreadsheet=spreadsheet), ("id", "class_id"),
              [(r.person.id, class_ids.get(r.class_name)) for r in students]),
        _with(build_table("staff", [_staff(r) for r in staff], spreadsheet=spreadsheet), ("id",),
              [(r.person.id,) for r in staff]),
        _with(build_table("parents", [_parent(r) for r in parents], spreadsheet=spreadsheet),
              ("id", "child_id", "relation_code"), [(r.person.id, r.child.id, r.relation) for r in parents]),
    ]
    return tables


def export_bundle(hub: Hub, store: Store, actor: Actor, format: str, out: BinaryIO,
                  options: WriteOptions | None = None, on: date | None = None) -> ExportResult:
    """Write the whole school (structure and people, see `bundle_tables`) with a multi_table exporter."""
    exporter = hub.exporter(format)
    hub.require(store, actor, [EXPORT_ACTION, *exporter.actions], "export")
    if not exporter.multi_table:
        raise ExportFailed(f"Формат {exporter.name} пишет одну таблицу; выберите --entity students, staff или "
                           "parents")
    tables = bundle_tables(store, actor, on, purpose=exporter.name, spreadsheet=exporter.spreadsheet)
    try:
        exporter.write(tables, out, options or WriteOptions())
    except FormatError as exc:
        raise ExportFailed(f"Экспорт в {exporter.name} не записан: {exc}") from None
    people = sum(len(t.rows) for t in tables if t.entity in _ROWS)
    return ExportResult(BUNDLE, exporter.name, people)
