"""Import end to end: read (format plugin) → map → validate → dry run → apply → log.

`prepare` reads and maps the file and builds the records; it writes nothing. `execute` runs the core import
service on them: with `dry_run=True` inside a transaction that is rolled back (the real code path), else
for real after the automatic backup. Both log the attempt. A TUI wizard calls `prepare`, shows
`Prepared.columns` for editing (calling `prepare` again with `ImportOptions.mapping`), then `execute` twice.
Both take an optional `progress(done, total)` that may raise core.errors.Cancelled: the import then writes
nothing (the attempt is logged as cancelled) and Cancelled propagates.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from zhurnal.core.errors import Progress, ZhurnalError
from zhurnal.core.models import utcnow
from zhurnal.core.permissions import Actor
from zhurnal.core.services.imports import MODES, ImportBatch, ImportReport, ImportService, OrderRef, Record, RunInfo
from zhurnal.core.store import Store
from zhurnal.plugins.builtin.russian_layout import TITLES
from zhurnal.plugins.engine.formats import FormatError, Importer, ParsedFile, ReadOptions, SourceTable
from zhurnal.plugins.engine.limits import Limits, limits_from
from zhurnal.plugins.engine.mapping import MappedColumn, guess_entity, header_for, map_columns
from zhurnal.plugins.engine.validate import build_records, parse_order
from zhurnal.plugins.manager import IMPORT_ACTION, Hub

BACKUP_MODULE = "zhurnal.core.backup.service"
P = ParamSpec("P")
R = TypeVar("R")


class ImportFailed(ZhurnalError):
    """The file cannot be imported at all (unreadable, too big, unmappable); nothing was written."""


@dataclass(frozen=True)
class ImportOptions:
    """What the user chose; None lets the engine detect or remember."""

    format: str | None = None
    entity: str | None = None
    mode: str = "add_update"
    encoding: str | None = None
    delimiter: str | None = None
    mapping: dict[str, str] | None = None  # column header -> field (or "" to leave the column unused)
    order: str | None = None  # "12-у от 01.09.2026": the order for rows that name none
    today: date | None = None  # the date the import acts on (tests); today by default
    extra: dict[str, str] | None = None  # format-specific options (ReadOptions.extra, "--option key=value")


@dataclass(frozen=True)
class Message:
    """A problem as the user sees it: row, column header and text."""

    row: int | None
    column: str | None
    text: str
    severity: str = "error"

    def __str__(self) -> str:
        where = [f"строка {self.row}"] if self.row is not None else []
        if self.column:
            where.append(f"столбец «{self.column}»")
        prefix = ", ".join(where)
        kind = "" if self.severity == "error" else "предупреждение: "
        return f"{prefix[:1].upper()}{prefix[1:]}: {kind}{self.text}" if prefix else f"{kind}{self.text}"


@dataclass
class Prepared:
    """A read and mapped file, ready for a dry run or an apply."""

    file_name: str
    sha256: str
    size: int
    format: str
    format_title: str
    entity: str
    mode: str
    details: dict[str, str]
    notes: list[str]
    columns: list[MappedColumn]
    records: list[Record]
    default_order: OrderRef | None
    today: date | None
    table_name: str = ""

    @property
    def mapping(self) -> dict[str, str]:
        """column header -> field of the columns in use (what is logged and remembered)."""
        return {c.header: c.field for c in self.columns if c.field is not None}


@dataclass
class ImportResult:
    prepared: Prepared
    report: ImportReport
    messages: list[Message]
    backup: str | None = None
    warnings: list[Message] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return self.report.applied

    @property
    def clean(self) -> bool:
        return self.report.clean


def read_bounded(path: Path, limits: Limits) -> bytes:
    """The file's bytes, refused before reading when bigger than the limit."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ImportFailed(f"Файл {path.name}: {size:,} байт — больше предела {limits.max_bytes:,} "
                               "([import] max_bytes в config.toml)".replace(",", " "))
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise ImportFailed(f"Файл {path}: не читается ({exc.strerror or exc})") from exc
    if len(data) > limits.max_bytes:
        raise ImportFailed(f"Файл {path.name} больше предела {limits.max_bytes} байт")
    return data


def _read(hub: Hub, store: Store, actor: Actor, data: bytes, file_name: str, options: ImportOptions,
          limits: Limits | None) -> tuple[Importer, ParsedFile, Limits]:
    hub.require(store, actor, [IMPORT_ACTION], "import")
    if options.mode not in MODES:
        raise ImportFailed(f"Режим «{options.mode}» неизвестен; допустимы: {', '.join(MODES)}")
    limits = limits or limits_from()
    if len(data) > limits.max_bytes:
        raise ImportFailed(f"Файл {file_name} больше предела {limits.max_bytes} байт ([import] max_bytes)")
    importer: Importer = hub.importer(options.format) if options.format else hub.detect_importer(data, file_name)
    hub.require(store, actor, [IMPORT_ACTION, *importer.actions], "import")
    try:
        extra = dict(options.extra or {})
        extra.setdefault("calendar", _calendar(store, actor))
        parsed = importer.read(data, ReadOptions(limits.max_rows, options.encoding, options.delimiter,
                                                 extra=extra))
    except FormatError as exc:
        raise ImportFailed(f"Файл {file_name} не прочитан ({importer.name}): {exc}. Ничего не записано") from None
    except Exception as exc:  # a plugin's bug must not look like a crash of zhurnal
        raise ImportFailed(f"Файл {file_name} не прочитан: ошибка формата {importer.name}: "
                           f"{type(exc).__name__}: {exc}. Ничего не записано") from exc
    if sum(len(t.rows) for t in parsed.tables) > limits.max_rows:
        raise ImportFailed(f"В файле больше {limits.max_rows} строк данных ([import] max_rows)")
    return importer, parsed, limits


def read_path(path: Path, limits: Limits) -> bytes:
    """A file's bytes (`read_bounded`), or a folder as a zip made in memory: its regular files, no subfolders,
    at most `limits.max_bytes` in total — how a bundle kept as a folder (OneRoster) goes through the
    bytes-based `Importer.read`."""
    if not path.is_dir():
        return read_bounded(path, limits)
    import io
    import zipfile

    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
            data = read_bounded(member, limits)
            total += len(data)
            if total > limits.max_bytes:
                raise ImportFailed(f"Папка {path.name} больше предела {limits.max_bytes} байт ([import] max_bytes)")
            archive.writestr(member.name, data)
    return buffer.getvalue()


def _calendar(store: Store, actor: Actor) -> str:
    """The school's years and terms for importers that map periods (OneRoster academicSessions), passed as
    ReadOptions.extra["calendar"]: one line per year "year|NAME|START|END" and per term
    "term|YEAR NAME|KIND|NUMBER|NAME|START|END" (ISO dates). Empty when the user may not see the structure."""
    from zhurnal.core.errors import PermissionDenied
    from zhurnal.core.permissions import check
    from zhurnal.core.services.years import YearService

    try:
        check(actor, "school.read")  # asked first: a refused service call would be audited as denied
    except PermissionDenied:
        return ""
    service = YearService(store)
    lines = []
    try:
        for year in service.list(actor):
            lines.append(f"year|{year.name}|{year.start.isoformat()}|{year.end.isoformat()}")
            lines += [f"term|{year.name}|{t.kind}|{t.number}|{t.name}|{t.start.isoformat()}|{t.end.isoformat()}"
                      for t in service.terms(actor, year.id)]
    except PermissionDenied:
        return ""
    return "\n".join(lines)


def _without_gc_pauses(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with the cyclic garbage collector paused. Reading and applying a district file makes
    millions of small objects (cells, records, rows) and no reference cycles; the collector's full passes
    over an ever bigger heap were half of the read's time. Memory is still freed by reference counting;
    the collector resumes (and runs as usual) when the outermost paused call returns."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


@_without_gc_pauses
def prepare(hub: Hub, store: Store, actor: Actor, data: bytes, file_name: str, options: ImportOptions,
            limits: Limits | None = None) -> Prepared:
    """Read, map and validate; nothing is written. ImportFailed says why a file cannot be imported."""
    importer, parsed, limits = _read(hub, store, actor, data, file_name, options, limits)
    tables = [t for t in parsed.tables if options.entity is None or t.entity in (None, options.entity)]
    if not tables:
        raise ImportFailed(f"В файле {file_name} нет таблицы для импорта")
    return _prepare_table(store, actor, importer, parsed, tables[0], data, file_name, options)


@_without_gc_pauses
def prepare_all(hub: Hub, store: Store, actor: Actor, data: bytes, file_name: str, options: ImportOptions,
                limits: Limits | None = None) -> list[Prepared]:
    """A bundle: every table of the file that names its entity (SourceTable.entity), in the file's order;
    with `options.entity` only that entity's tables. For importers (OneRoster) whose one file feeds
    several entities; run them with `execute_all`, which applies them in one transaction. A table list
    that is empty after filtering is not an error: the list is then empty (nothing to import)."""
    importer, parsed, limits = _read(hub, store, actor, data, file_name, options, limits)
    tables = [t for t in parsed.tables if t.entity is not None and options.entity in (None, t.entity)]
    return [_prepare_table(store, actor, importer, parsed, t, data, file_name, options) for t in tables]


def draft_mapping(hub: Hub, store: Store, actor: Actor, data: bytes, file_name: str, options: ImportOptions,
                  limits: Limits | None = None) -> tuple[str | None, list[MappedColumn], list[str]]:
    """For a wizard whose `prepare` was refused: the entity, the mapping of every column and the problems
    that stop the import (a missing name column, an unknown field), so the user can fix the mapping and
    prepare again. (None, [], []) when the entity is unknown; ImportFailed when the file cannot be read."""
    importer, parsed, limits = _read(hub, store, actor, data, file_name, options, limits)
    tables = [t for t in parsed.tables if options.entity is None or t.entity in (None, options.entity)]
    if not tables:
        raise ImportFailed(f"В файле {file_name} нет таблицы для импорта")
    table = tables[0]
    entity = options.entity or table.entity or guess_entity(table.headers)
    if entity is None or entity not in TITLES:
        return None, [], []
    remembered = ImportService(store).remembered_mapping(actor, importer.name, entity)
    columns, problems = map_columns(entity, table.headers, options.mapping, remembered)
    return entity, columns, problems


def _prepare_table(store: Store, actor: Actor, importer: Importer, parsed: ParsedFile, table: SourceTable,
                   data: bytes, file_name: str, options: ImportOptions) -> Prepared:
    entity = options.entity or table.entity or guess_entity(table.headers)
    if entity is None:
        raise ImportFailed("Не удалось понять, кто в списке: укажите --entity students, staff или parents")
    if entity not in TITLES:
        raise ImportFailed(f"Неизвестная сущность «{entity}»; допустимы: {', '.join(TITLES)}")
    if importer.entities is not None and entity not in importer.entities:
        raise ImportFailed(f"Формат {importer.name} не импортирует «{entity}»")
    remembered = ImportService(store).remembered_mapping(actor, importer.name, entity)
    columns, problems = map_columns(entity, table.headers, options.mapping, remembered)
    default_order = None
    if options.order:
        default_order = parse_order(options.order)
        if default_order is None:
            problems.append(f"--order: «{options.order}» — ожидается «НОМЕР от дд.мм.гггг», например «12-у от "
                            "01.09.2026»")
    if problems:
        raise ImportFailed("; ".join(problems) + ". Ничего не записано")
    records = build_records(entity, table.rows, columns)
    return Prepared(file_name, hashlib.sha256(data).hexdigest(), len(data), importer.name, importer.title, entity,
                    options.mode, dict(parsed.details), list(parsed.notes), columns, records, default_order,
                    options.today, table.name)


def auto_backup(store: Store, actor: Actor, reason: str = "import", progress: Progress | None = None) -> str | None:
    """The automatic backup before an apply: `zhurnal.core.backup.service.auto_backup(store, reason)`, which
    decides itself whether backups are configured (None when not). Looked up lazily: without the backup
    module the import goes on without a backup. A failing (or cancelled) backup stops the import before
    anything is written. The acting user is passed when the function accepts `actor`, so the backup is theirs;
    `progress` when it accepts that (the bar runs through the backup, then again through the import)."""
    try:
        module: Any = importlib.import_module(BACKUP_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is not None and BACKUP_MODULE.startswith(exc.name):
            return None
        raise
    function = getattr(module, "auto_backup", None)
    if function is None:
        return None
    parameters = inspect.signature(function).parameters
    extra: dict[str, Any] = {"actor": actor} if "actor" in parameters else {}
    if progress is not None and "progress" in parameters:
        extra["progress"] = progress
    done = function(store, reason, **extra)
    return None if done is None else str(done)


def _message(prepared: Prepared, row: int, field_name: str | None, text: str, severity: str) -> Message:
    if field_name in (None, "row"):
        return Message(row, None, text, severity)
    assert field_name is not None
    base = field_name.split("_", 1)[0] if field_name.startswith("parent") and field_name[6:7].isdigit() else ""
    header = header_for(prepared.entity, field_name, prepared.columns)
    if base and not any(c.field == field_name for c in prepared.columns):
        header = header_for(prepared.entity, f"{base}_name", prepared.columns)
    if field_name in ("last_name", "first_name", "middle_name") and not any(c.field == field_name
                                                                          for c in prepared.columns):
        header = header_for(prepared.entity, "full_name", prepared.columns)
    if field_name.startswith("order_") and prepared.default_order is not None and not any(
            c.field == field_name for c in prepared.columns):
        header = "--order"
    label, sep, rest = text.partition(": ")
    if sep and len(label) <= 40:
        text = rest
    return Message(row, header, text, severity)


def _result(prepared: Prepared, report: ImportReport, backup: str | None) -> ImportResult:
    messages: list[Message] = []
    warnings: list[Message] = []
    for p in sorted(report.problems, key=lambda p: p.row):
        message = _message(prepared, p.row, p.field, p.message, p.severity)
        (messages if p.severity == "error" else warnings).append(message)
    return ImportResult(prepared, report, messages, backup, warnings)


def _run_info(prepared: Prepared, started: datetime) -> RunInfo:
    return RunInfo(prepared.file_name, prepared.sha256, prepared.format, prepared.mapping, prepared.details, started)


@_without_gc_pauses
def execute(hub: Hub, store: Store, actor: Actor, prepared: Prepared, *, dry_run: bool,
            progress: Progress | None = None) -> ImportResult:
    """Dry run (rolled back) or apply (one transaction, after the automatic backup); both are logged.
    `progress(done, total)` runs through the backup, then through the import (ImportService.apply); when it
    raises Cancelled nothing is written and Cancelled propagates."""
    started = utcnow()
    backup = None if dry_run else auto_backup(store, actor, progress=progress)
    batch = ImportBatch(prepared.entity, prepared.records, prepared.mode, prepared.default_order, prepared.today)
    report = ImportService(store).apply(actor, batch, _run_info(prepared, started), dry_run=dry_run,
                                        progress=progress)
    return _result(prepared, report, backup)


@_without_gc_pauses
def execute_all(hub: Hub, store: Store, actor: Actor, prepared: Sequence[Prepared], *,
                dry_run: bool, progress: Progress | None = None) -> list[ImportResult]:
    """`execute` for the tables of one bundle (`prepare_all`): one backup, one transaction for all of them
    (ImportService.apply_all); a rejected row in any table refuses every table. One result per table."""
    if not prepared:
        return []
    started = utcnow()
    backup = None if dry_run else auto_backup(store, actor, progress=progress)
    batches = [ImportBatch(p.entity, p.records, p.mode, p.default_order, p.today) for p in prepared]
    reports = ImportService(store).apply_all(actor, batches, [_run_info(p, started) for p in prepared],
                                             dry_run=dry_run, progress=progress)
    return [_result(p, r, backup) for p, r in zip(prepared, reports, strict=True)]


def import_file(hub: Hub, store: Store, actor: Actor, path: Path, options: ImportOptions, *, dry_run: bool,
                limits: Limits | None = None) -> ImportResult:
    """prepare + execute for a file on disk (no confirmation step: callers that ask the user use the two)."""
    limits = limits or limits_from()
    hub.require(store, actor, [IMPORT_ACTION], "import")
    data = read_bounded(path, limits)
    prepared = prepare(hub, store, actor, data, path.name, options, limits)
    return execute(hub, store, actor, prepared, dry_run=dry_run)


def import_bundle(hub: Hub, store: Store, actor: Actor, path: Path, options: ImportOptions, *, dry_run: bool,
                  limits: Limits | None = None) -> list[ImportResult]:
    """prepare_all + execute_all for a bundle on disk: a .zip or a folder (`read_path`)."""
    limits = limits or limits_from()
    hub.require(store, actor, [IMPORT_ACTION], "import")
    data = read_path(path, limits)
    name = path.name + (".zip" if path.is_dir() else "")
    return execute_all(hub, store, actor, prepare_all(hub, store, actor, data, name, options, limits),
                       dry_run=dry_run)
