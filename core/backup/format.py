"""The backup payload: a tar whose first member is MANIFEST.json, then one JSON-lines member per table.

docs/backup.md specifies the format. This module knows nothing about encryption: it dumps a consistent
snapshot of a store into spooled files (`take_snapshot`), writes the tar to any binary writer
(`write_payload`), reads and checks a tar from any binary reader (`read_payload`: every hash, row count,
the member order and the audit chain), and loads checked members into an empty, migrated database
(`load_tables`). Memory stays flat: rows stream from the database in batches, members are spooled to disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any, BinaryIO, cast

import orjson
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    bindparam,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.types import TypeEngine

from zhurnal.core.audit import _HASHED_COLUMNS as HASHED_COLUMNS
from zhurnal.core.audit import GENESIS_HASH, record_hash
from zhurnal.core.errors import ZhurnalError
from zhurnal.core.models import Base
from zhurnal.core.models.base import UTCDateTime

FORMAT_NAME = "zhurnal-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "MANIFEST.json"
TABLE_DIR = "tables/"
AUDIT_TABLE = "audit_records"
MAX_MANIFEST_BYTES = 4 * 2**20
BATCH_ROWS = 2000
SPOOL_BYTES = 2 * 2**20  # a member larger than this goes to an unnamed temporary file on disk
BLOCK = 2**20
TAR_BUFSIZE = 2**20
# Test-only hook (documented in docs/backup.md): seconds to sleep after each table member is written and
# before each table is loaded, so a test can kill `backup create` or `restore` half-way. Harmless: it only
# slows them down.
SLOW_ENV = "ZHURNAL_TEST_SLOW_BACKUP"


Progress = Callable[[int, int], None]
"""A progress report: (done, total) in the operation's own units; it may raise to cancel the operation."""


class BackupFormatError(ZhurnalError):
    """The payload is not a valid zhurnal backup (the message names the member at fault)."""


# ---- values ----------------------------------------------------------------------------------------------

_PLAIN, _DATETIME, _DATE, _DECIMAL, _BOOL, _INT, _STR = range(7)


def _kind(column_type: TypeEngine[Any]) -> int:
    if isinstance(column_type, UTCDateTime):
        return _DATETIME
    if isinstance(column_type, Date):
        return _DATE
    if isinstance(column_type, Boolean):
        return _BOOL
    if isinstance(column_type, Integer):
        return _INT
    if isinstance(column_type, Numeric):
        return _DECIMAL
    if isinstance(column_type, (String, Text)):
        return _STR
    raise TypeError(f"backup format: no engine-neutral encoding for column type {column_type!r}")


def encode_datetime(value: datetime) -> str:
    """A moment as ISO 8601 UTC with microseconds and Z: 2026-11-28T09:30:15.123456Z."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def _encode_decimal(value: Any) -> str:
    return format(Decimal(value), "f")


def _decode_datetime(value: Any) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise ValueError("ожидалась дата и время UTC в ISO 8601 с Z")
    parsed = datetime.fromisoformat(value[:-1])
    if parsed.tzinfo is not None:
        raise ValueError("ожидалась дата и время UTC в ISO 8601 с Z")
    return parsed.replace(tzinfo=UTC)


def _decode_date(value: Any) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("ожидалась дата ГГГГ-ММ-ДД")
    return date.fromisoformat(value)


def _decode_decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("ожидалось десятичное число строкой")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValueError("ожидалось десятичное число строкой") from exc


def _decode_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("ожидалось true или false")
    return value


def _decode_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("ожидалось целое число")
    return value


def _decode_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("ожидалась строка")
    return value


_ENCODERS: dict[int, Callable[[Any], Any]] = {_DATETIME: encode_datetime, _DATE: date.isoformat,
                                              _DECIMAL: _encode_decimal, _BOOL: bool}
_DECODERS: dict[int, Callable[[Any], Any]] = {_DATETIME: _decode_datetime, _DATE: _decode_date,
                                              _DECIMAL: _decode_decimal, _BOOL: _decode_bool, _INT: _decode_int,
                                              _STR: _decode_str}


@dataclass(frozen=True)
class TableCodec:
    """How one table's rows become JSON objects and back (engine-neutral values)."""

    table: Table
    columns: tuple[str, ...]
    kinds: tuple[int, ...]
    converted: tuple[tuple[int, str, Callable[[Any], Any]], ...]  # (position, name, encoder) needing work

    @classmethod
    def of(cls, table: Table) -> TableCodec:
        columns = tuple(c.name for c in table.columns)
        kinds = tuple(_kind(c.type) for c in table.columns)
        converted = tuple((i, name, _ENCODERS[kind]) for i, (name, kind) in enumerate(zip(columns, kinds, strict=True))
                          if kind in _ENCODERS)
        return cls(table, columns, kinds, converted)

    def encode(self, row: Sequence[Any]) -> dict[str, Any]:
        obj = dict(zip(self.columns, row, strict=True))
        for position, name, encoder in self.converted:
            value = row[position]
            if value is not None:
                obj[name] = encoder(value)
        return obj

    def decode(self, obj: Any, *, naive_utc: bool = False) -> tuple[Any, ...]:
        """JSON object → column values in column order; ValueError naming the column when a value is wrong.
        Moments come back timezone-aware UTC, or naive UTC with `naive_utc` (for COPY)."""
        if type(obj) is not dict or len(obj) != len(self.columns):
            self._refuse(obj)
        values: list[Any] = []
        append = values.append
        for name, kind in zip(self.columns, self.kinds, strict=True):
            try:
                value = obj[name]
            except KeyError:
                self._refuse(obj)
            if value is not None:
                if kind == _STR:
                    if type(value) is not str:
                        raise ValueError(f"столбец {name}: ожидалась строка")
                elif kind == _INT:
                    if type(value) is not int:
                        raise ValueError(f"столбец {name}: ожидалось целое число")
                else:
                    try:
                        value = _DECODERS[kind](value)
                    except (ValueError, TypeError) as exc:
                        raise ValueError(f"столбец {name}: {exc}") from None
                    if naive_utc and kind == _DATETIME:
                        value = value.replace(tzinfo=None)
            append(value)
        return tuple(values)

    def _refuse(self, obj: Any) -> None:
        if not isinstance(obj, dict):
            raise ValueError("строка не является объектом JSON")
        missing = [n for n in self.columns if n not in obj]
        extra = [n for n in obj if n not in self.columns]
        raise ValueError(f"столбцы не совпадают со схемой (нет: {missing}, лишние: {extra})")

    def as_dict(self, values: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self.columns, values, strict=True))


def tables_in_order() -> list[Table]:
    """Every table of the schema, parents before children (the dump and load order)."""
    return list(Base.metadata.sorted_tables)


def member_name(table: str) -> str:
    return f"{TABLE_DIR}{table}.jsonl"


# ---- snapshot (dump) -------------------------------------------------------------------------------------


@dataclass
class DumpedTable:
    """One table dumped to a spooled file: its member name, row count, size and SHA-256."""

    name: str
    member: str
    columns: list[str]
    rows: int
    size: int
    sha256: str
    file: IO[bytes]

    def manifest_entry(self) -> dict[str, Any]:
        return {"name": self.name, "member": self.member, "rows": self.rows, "size": self.size,
                "sha256": self.sha256, "columns": self.columns}


@dataclass
class Snapshot:
    """A consistent logical dump of a whole database, held in spooled files until written."""

    engine: str
    revision: str | None
    taken_at: datetime
    schools: list[dict[str, Any]]
    tables: list[DumpedTable]
    audit_count: int
    audit_head: str

    def close(self) -> None:
        for table in self.tables:
            table.file.close()

    @property
    def label(self) -> str:
        """The school code for a one-school database, "district" otherwise (used in file names)."""
        if len(self.schools) == 1:
            return safe_label(str(self.schools[0]["code"]))
        return "district"

    def manifest(self, *, app_version: str, created: datetime | None = None,
                 reason: str | None = None) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "app_version": app_version,
            "schema_revision": self.revision,
            "engine": self.engine,
            "created": encode_datetime(created or self.taken_at),
            "reason": reason,
            "schools": self.schools,
            "tables": [t.manifest_entry() for t in self.tables],
            "audit": {"count": self.audit_count, "hash": self.audit_head},
        }


def safe_label(code: str) -> str:
    """A school code made safe for a file name (letters, digits, dot, dash, underscore)."""
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in code).strip("._-")
    return cleaned or "school"


def _result_processor(column: Any, dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy itself would do to a raw driver value of `column` (None: nothing); `coltype` is the
    cursor description's type code (psycopg: the OID, which decides e.g. numeric's processing)."""
    return cast(Callable[[Any], Any] | None, column.type.dialect_impl(dialect).result_processor(dialect, coltype))


def _sqlite_moment(generic: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A moment as SQLite holds it → JSON text. SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" (naive UTC), which
    is our "YYYY-MM-DDTHH:MM:SS.ffffffZ" by slicing; the slow generic way (parse, then format) only for anything
    else. fromisoformat still validates the text, so an impossible value stops the backup as before."""
    parse = datetime.fromisoformat

    def convert(value: Any) -> Any:
        if type(value) is str and len(value) == 26 and value[7] == "-" and value[10] == " " and value[19] == ".":
            parse(value)
            return f"{value[:10]}T{value[11:]}Z"
        return generic(value)
    return convert


def _sqlite_date(generic: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A date as SQLite holds it ("YYYY-MM-DD", validated) is already its JSON text."""
    parse = date.fromisoformat

    def convert(value: Any) -> Any:
        if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
            parse(value)
            return value
        return generic(value)
    return convert


def raw_converters(table: Table, dialect: Any,
                   coltypes: Sequence[Any] | None = None) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position, converter) for the columns whose raw DB-API value is not already its JSON value: raw value →
    SQLAlchemy's own result processing → our encoder, with shortcuts for SQLite's moment and date texts. Integers
    and strings come from both drivers as they are and need nothing (the common case, kept off the hot loop)."""
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for position, column in enumerate(table.columns):
        kind = _kind(column.type)
        processor = _result_processor(column, dialect, coltypes[position] if coltypes else None)
        encoder = _ENCODERS.get(kind)
        if encoder is None and processor is None:
            continue
        if encoder is None:
            generic: Callable[[Any], Any] = cast(Callable[[Any], Any], processor)
        elif processor is None:
            generic = encoder
        else:
            generic = _compose(processor, encoder)
        if dialect.name == "sqlite" and kind == _DATETIME:
            generic = _sqlite_moment(generic)
        elif dialect.name == "sqlite" and kind == _DATE:
            generic = _sqlite_date(generic)
        converters.append((position, generic))
    return tuple(converters)


def _compose(processor: Callable[[Any], Any], encoder: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        processed = processor(value)
        return None if processed is None else encoder(processed)
    return convert


def _raw_cursor(connection: Connection, table: Table) -> Any:
    """A DB-API cursor over the table's rows in primary-key order, on the connection's open transaction (so
    inside the snapshot). Raw DB-API: SQLAlchemy's Row objects and result processing cost more per row than the
    whole JSON encoding (docs/backup.md, figures)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
    sql = f'SELECT {names} FROM "{table.name}" ORDER BY {order}'
    if connection.dialect.name == "postgresql":
        # A server-side (named) cursor: the server keeps the result, memory stays flat whatever the table.
        cursor = driver.cursor(name=f"zhurnal_backup_{table.name}")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
    except BaseException:
        cursor.close()
        raise
    return cursor


def _ticking(batches: Iterator[Sequence[Sequence[Any]]], tick: Callable[[], None]
             ) -> Iterator[Sequence[Sequence[Any]]]:
    """The batches, calling `tick()` before each (a progress report that may raise to cancel)."""
    for batch in batches:
        tick()
        yield batch


def _dump_table(connection: Connection, table: Table, spool_dir: str | None,
                tick: Callable[[], None] | None = None) -> tuple[DumpedTable, int, str]:
    """Stream one table in primary-key order into a spooled file; returns it with the last audit seq/hash.
    `tick()` is called before each batch of rows (progress; it may raise to cancel the dump).

    The hot loop of `backup create`: per row only dict(zip(...)) and orjson (C), plus a converter for the few
    columns whose driver value is not already JSON (moments, dates, decimals, booleans). orjson writes the
    same bytes as json.dumps(ensure_ascii=False, separators=(",", ":")) for these values (tested), 2× faster."""
    codec = TableCodec.of(table)
    columns = codec.columns
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=spool_dir)  # noqa: SIM115
    digest = hashlib.sha256()
    audit_at = (columns.index("seq"), columns.index("hash")) if table.name == AUDIT_TABLE else None
    cursor = _raw_cursor(connection, table)
    try:
        converters = raw_converters(table, connection.dialect, [d[1] for d in cursor.description])
        batches: Iterator[Sequence[Sequence[Any]]] = iter(lambda: cursor.fetchmany(BATCH_ROWS), [])
        if tick is not None:
            batches = _ticking(batches, tick)
        rows, size, last_seq, last_hash = _encode_batches(batches, columns, converters, spool, digest, audit_at)
    finally:
        cursor.close()
    spool.seek(0)
    dumped = DumpedTable(table.name, member_name(table.name), list(columns), rows, size, digest.hexdigest(),
                         cast(IO[bytes], spool))
    return dumped, last_seq, last_hash


def _row_encoder(columns: tuple[str, ...], converters: tuple[tuple[int, Callable[[Any], Any]], ...]
                 ) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """raw row → its JSON object, as ONE generated dict display, e.g. `lambda r: {"id": r[0], "at": None if
    r[1] is None else c1(r[1])}`: no per-row list, zip or loop over the converters, which in CPython cost more
    than the encoding itself. Names are repr()'d schema column names; nothing else goes into the source."""
    convert = dict(converters)
    fields = []
    for position, name in enumerate(columns):
        value = f"r[{position}]"
        if position in convert:
            value = f"(None if r[{position}] is None else c{position}(r[{position}]))"
        fields.append(f"{name!r}: {value}")
    namespace = {f"c{position}": function for position, function in converters}
    return cast(Callable[[Sequence[Any]], dict[str, Any]],
                eval(f"lambda r: {{{', '.join(fields)}}}", namespace))


def _encode_batches(batches: Iterator[Sequence[Sequence[Any]]], columns: tuple[str, ...],
                    converters: tuple[tuple[int, Callable[[Any], Any]], ...], spool: IO[bytes], digest: Any,
                    audit_at: tuple[int, int] | None) -> tuple[int, int, int, str]:
    """Encode raw rows to JSON lines into `spool` and `digest`: (rows, bytes, last audit seq, last audit hash)."""
    rows = size = 0
    last_seq, last_hash = 0, GENESIS_HASH
    dumps = orjson.dumps
    encode = _row_encoder(columns, converters)
    width = len(columns)
    for batch in batches:
        if len(batch[0]) != width:
            raise BackupFormatError(f"запрос вернул {len(batch[0])} столбцов вместо {width}")
        lines = [dumps(encode(raw)) for raw in batch]
        lines.append(b"")
        chunk = b"\n".join(lines)
        digest.update(chunk)
        spool.write(chunk)
        rows += len(batch)
        size += len(chunk)
        if audit_at is not None:
            tail = batch[-1]
            last_seq, last_hash = int(tail[audit_at[0]]), str(tail[audit_at[1]])
    return rows, size, last_seq, last_hash


def _table_tick(progress: Progress, done: int, total: int) -> Callable[[], None]:
    return lambda: progress(done, total)


def take_snapshot(connection: Connection, *, spool_dir: str | None = None,
                  progress: Progress | None = None) -> Snapshot:
    """Dump every table through `connection`, which the caller has put inside ONE read transaction
    (SQLite: BEGIN DEFERRED, so WAL gives a snapshot; PostgreSQL: REPEATABLE READ READ ONLY).
    `progress(tables done, tables)` is called before every batch of rows; it may raise to stop the dump."""
    taken_at = datetime.now(UTC)
    engine = connection.dialect.name
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    tables: list[DumpedTable] = []
    audit_count, audit_head = 0, GENESIS_HASH
    ordered = tables_in_order()
    try:
        for done, table in enumerate(ordered):
            tick = None if progress is None else _table_tick(progress, done, len(ordered))
            dumped, _last_seq, last_hash = _dump_table(connection, table, spool_dir, tick)
            tables.append(dumped)
            if table.name == AUDIT_TABLE:
                audit_count, audit_head = dumped.rows, last_hash
        if progress is not None:
            progress(len(ordered), len(ordered))
        schools_table = Base.metadata.tables["schools"]
        schools = [{"id": r.id, "code": r.code, "name": r.name} for r in connection.execute(
            select(schools_table.c.id, schools_table.c.code, schools_table.c.name).order_by(schools_table.c.id))]
    except BaseException:
        for dumped in tables:
            dumped.file.close()
        raise
    return Snapshot(engine, revision, taken_at, schools, tables, audit_count, audit_head)


# ---- writing the tar -------------------------------------------------------------------------------------


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    info.type = tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


class _Counting:
    """A member's spooled file as tarfile reads it, reporting the bytes read so far of all members."""

    def __init__(self, raw: IO[bytes], done: int, total: int, progress: Progress) -> None:
        self.raw, self.done, self.total, self.progress = raw, done, total, progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.done += len(data)
        self.progress(self.done, self.total)
        return data


def write_payload(dst: BinaryIO | IO[bytes], manifest: dict[str, Any], members: Sequence[DumpedTable], *,
                  progress: Progress | None = None) -> None:
    """Write the tar: MANIFEST.json first, then each member from its spooled file (streaming, "w|").
    `progress(member bytes written, all member bytes)` is called for every piece copied; it may raise to stop."""
    mtime = _decode_datetime(manifest["created"]).timestamp()
    slow = float(os.environ.get(SLOW_ENV) or 0)
    blob = manifest_bytes(manifest)
    import io

    # copybufsize: members are copied in 1 MiB pieces. With tarfile's default 16 KiB, each piece is appended to
    # its 1 MiB stream buffer (an immutable bytes, copied whole every time): gigabytes of memcpy per backup.
    with tarfile.open(None, "w|", fileobj=cast(Any, dst), bufsize=TAR_BUFSIZE, format=tarfile.PAX_FORMAT) as tar:
        tar.copybufsize = TAR_BUFSIZE  # type: ignore[attr-defined]  # (a TarFile attribute since 3.8)
        tar.addfile(_tarinfo(MANIFEST_NAME, len(blob), mtime), io.BytesIO(blob))
        total = sum(m.size for m in members)
        done = 0
        for member in members:
            member.file.seek(0)
            source: Any = member.file if progress is None else _Counting(member.file, done, total, progress)
            tar.addfile(_tarinfo(member.member, member.size, mtime), source)
            done += member.size
            if slow:
                time.sleep(slow)


# ---- reading and checking the tar ------------------------------------------------------------------------


@dataclass(frozen=True)
class TableEntry:
    name: str
    member: str
    rows: int
    size: int
    sha256: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    """A checked MANIFEST.json (the raw dict is kept in `raw`)."""

    format_version: int
    app_version: str
    schema_revision: str | None
    engine: str
    created: datetime
    reason: str | None
    schools: tuple[dict[str, Any], ...]
    tables: tuple[TableEntry, ...]
    audit_count: int
    audit_hash: str
    raw: dict[str, Any] = field(compare=False, repr=False)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def table(self, name: str) -> TableEntry | None:
        return next((t for t in self.tables if t.name == name), None)


def _need(condition: bool, what: str) -> None:
    if not condition:
        raise BackupFormatError(f"{MANIFEST_NAME}: {what}")


def parse_manifest(blob: bytes) -> Manifest:
    """Parse and check MANIFEST.json; BackupFormatError saying what is wrong."""
    try:
        raw = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BackupFormatError(f"{MANIFEST_NAME}: не JSON ({exc})") from None
    _need(isinstance(raw, dict), "ожидался объект JSON")
    _need(raw.get("format") == FORMAT_NAME, f"это не резервная копия zhurnal (format ≠ {FORMAT_NAME})")
    version = raw.get("format_version")
    _need(isinstance(version, int), "нет format_version")
    if version != FORMAT_VERSION:
        raise BackupFormatError(f"Версия формата резервной копии {version} не поддерживается этой версией "
                                f"zhurnal (поддерживается {FORMAT_VERSION}); восстановите её версией "
                                f"{raw.get('app_version', '?')} или новее")
    try:
        created = _decode_datetime(raw.get("created"))
    except (ValueError, TypeError):
        raise BackupFormatError(f"{MANIFEST_NAME}: неверное поле created") from None
    tables: list[TableEntry] = []
    seen: set[str] = set()
    _need(isinstance(raw.get("tables"), list), "нет списка tables")
    for entry in raw["tables"]:
        _need(isinstance(entry, dict), "tables: ожидались объекты")
        name, member = entry.get("name"), entry.get("member")
        _need(isinstance(name, str) and name not in seen and member == member_name(str(name)),
              f"tables: неверная запись {name!r}")
        seen.add(str(name))
        rows, size, sha = entry.get("rows"), entry.get("size"), entry.get("sha256")
        columns = entry.get("columns")
        _need(isinstance(rows, int) and rows >= 0 and isinstance(size, int) and size >= 0, f"{name}: rows/size")
        _need(isinstance(sha, str) and len(sha) == 64, f"{name}: sha256")
        _need(isinstance(columns, list) and all(isinstance(c, str) for c in columns), f"{name}: columns")
        tables.append(TableEntry(str(name), str(member), int(rows), int(size), str(sha), tuple(columns)))
    audit = raw.get("audit")
    _need(isinstance(audit, dict) and isinstance(audit.get("count"), int) and isinstance(audit.get("hash"), str),
          "нет головы цепочки аудита (audit)")
    schools = raw.get("schools")
    _need(isinstance(schools, list) and all(isinstance(s, dict) for s in schools), "нет списка schools")
    revision = raw.get("schema_revision")
    _need(revision is None or isinstance(revision, str), "schema_revision")
    return Manifest(version, str(raw.get("app_version", "")), revision, str(raw.get("engine", "")), created,
                    raw.get("reason") if isinstance(raw.get("reason"), str) else None, tuple(schools),
                    tuple(tables), int(audit["count"]), str(audit["hash"]), raw)


_HASHED = frozenset(HASHED_COLUMNS)


def _hash_or_none(values: dict[str, Any]) -> str | None:
    try:
        return record_hash(values)
    except (KeyError, TypeError):
        return None


def _canonical_hash(values: dict[str, Any]) -> str | None:
    """audit.record_hash of a dumped record whose `at` is already the "+00:00" text, without its per-record
    dict rebuilding and pure-Python JSON encoder: orjson with sorted keys writes the very bytes json.dumps(...,
    ensure_ascii=False, sort_keys=True, separators=(",", ":")) writes for strings, integers, booleans and null
    (every escape is tested against it). Only exactly the hashed columns and no floats (where the two differ
    in notation) take this path; anything else gets audit.record_hash itself, which stays the definition."""
    if values.keys() == _HASHED and float not in set(map(type, values.values())):
        try:
            return hashlib.sha256(orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest()
        except TypeError:  # an integer beyond 64 bits: orjson refuses it, json does not
            pass
    return _hash_or_none(values)


class ChainCheck:
    """Recomputes the audit chain over dumped rows in seq order (the same rule as audit.verify_chain)."""

    def __init__(self) -> None:
        self.count = 0
        self.head = GENESIS_HASH
        self.problem: str | None = None

    def feed(self, values: dict[str, Any]) -> None:
        """One dumped record (consumed: its "hash" is taken out, its `at` must be in record_hash's form)."""
        if self.problem:
            return
        seq = values.get("seq")
        expected = self.count + 1
        stored = values.pop("hash", None)
        if seq != expected:
            self.problem = f"запись аудита {expected} отсутствует (следующая найденная — {seq})"
        elif values.get("prev_hash") != self.head:
            self.problem = f"запись аудита {seq} не связана с записью {expected - 1}"
        elif stored is None or _canonical_hash(values) != stored:
            self.problem = f"запись аудита {seq} изменена (хэш не совпадает)"
        else:
            self.head = str(stored)
            self.count += 1


@dataclass
class CheckedMember:
    """A member read and checked; with `keep`, its bytes are in `file` (an unnamed temporary file)."""

    entry: TableEntry
    file: IO[bytes] | None


@dataclass
class Payload:
    """The outcome of reading a whole payload: the manifest and, when kept, every member's file."""

    manifest: Manifest
    members: dict[str, CheckedMember]

    def close(self) -> None:
        for member in self.members.values():
            if member.file is not None:
                member.file.close()


def _lines(stream: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(block, complete lines of the block joined) pairs: splits a stream into whole lines, block by block."""
    rest = b""
    while True:
        block = stream.read(BLOCK)
        if not block:
            if rest:
                yield b"", rest
            return
        data = rest + block
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        yield block, data[:cut]


def _parse_block(whole: bytes) -> list[Any] | None:
    """Every line of `whole` (complete lines; the last one may lack its newline only at the end of the member)
    in ONE orjson call, as a JSON array: a raw newline cannot occur inside a JSON value, so each one is a line
    break. None when a line does not hold exactly one value (the caller then parses line by line)."""
    body = whole[:-1] if whole.endswith(b"\n") else whole
    parsed = orjson.loads(b"[" + body.replace(b"\n", b",") + b"]")
    if type(parsed) is not list or len(parsed) != body.count(b"\n") + 1:
        return None
    return parsed


def _check_member(stream: IO[bytes], entry: TableEntry, codec: TableCodec | None, keep: IO[bytes] | None,
                  chain: ChainCheck | None) -> None:
    """Hash, measure and count the lines of one member; audit rows are also decoded and chained. (Other
    rows are decoded when loaded: their hash already ties them to the authenticated manifest.)"""
    digest = hashlib.sha256()
    rows = size = 0
    last = b"\n"
    if chain is None:
        while True:
            block = stream.read(BLOCK)
            if not block:
                break
            digest.update(block)
            size += len(block)
            rows += block.count(b"\n")
            last = block[-1:]
            if keep is not None:
                keep.write(block)
    else:
        for block, whole in _lines(stream):
            if block:
                digest.update(block)
                size += len(block)
                last = block[-1:]
                if keep is not None:
                    keep.write(block)
            if not whole:
                continue
            try:
                records = _parse_block(whole)
            except (ValueError, TypeError, RecursionError):
                records = None  # to the line-by-line parse below, which names the bad line
            if records is None:
                records = []
                for number, line in enumerate(whole.rstrip(b"\n").split(b"\n"), rows + 1):
                    try:
                        records.append(orjson.loads(line))
                    except (ValueError, TypeError, RecursionError) as exc:
                        raise BackupFormatError(f"{entry.member}, строка {number}: {exc}") from None
            for values in records:
                rows += 1
                try:
                    if type(values) is not dict:
                        raise ValueError("строка не является объектом JSON")
                    at = values["at"]
                    # record_hash hashes the moment as isoformat(timespec="microseconds") of an aware UTC
                    # datetime: our "…ffffffZ" is that text with Z for +00:00.
                    if type(at) is not str or len(at) != 27 or at[-1] != "Z":
                        raise ValueError("столбец at: ожидалась дата и время UTC с микросекундами и Z")
                    values["at"] = at[:-1] + "+00:00"
                except (ValueError, TypeError, KeyError) as exc:
                    raise BackupFormatError(f"{entry.member}, строка {rows}: {exc}") from None
                chain.feed(values)
    if size and last != b"\n":
        raise BackupFormatError(f"{entry.member}: последняя строка не завершена")
    if size != entry.size:
        raise BackupFormatError(f"{entry.member}: размер {size} байт, в манифесте {entry.size}")
    if digest.hexdigest() != entry.sha256:
        raise BackupFormatError(f"{entry.member}: SHA-256 не совпадает с манифестом (содержимое изменено)")
    if rows != entry.rows:
        raise BackupFormatError(f"{entry.member}: строк {rows}, в манифесте {entry.rows}")


def read_payload(src: BinaryIO | IO[bytes], *, keep: bool = False, spool_dir: str | None = None,
                 schema_check: bool | Callable[[Manifest], bool] = True) -> Payload:
    """Read the whole tar from `src`, checking its structure, every member's size, SHA-256 and line count,
    and the audit chain (every audit row decoded and re-hashed) against the manifest's head. Reads `src` to its end
    (so an encrypted source authenticates its last chunk). With `keep`, members are kept in unnamed
    temporary files for loading. `schema_check` (or a function of the manifest deciding it) also checks
    tables and columns against this version's schema. BackupFormatError on the first problem."""
    members: dict[str, CheckedMember] = {}
    payload: Payload | None = None
    try:
        try:
            tar = tarfile.open(None, "r|", fileobj=cast(Any, src), bufsize=TAR_BUFSIZE)  # noqa: SIM115
        except tarfile.TarError as exc:
            raise BackupFormatError(f"Содержимое не является архивом tar ({exc})") from None
        try:
            first = tar.next()
            if first is None or first.name != MANIFEST_NAME or not first.isfile():
                raise BackupFormatError(f"Первым в архиве должен быть {MANIFEST_NAME}")
            if first.size > MAX_MANIFEST_BYTES:
                raise BackupFormatError(f"{MANIFEST_NAME} слишком велик ({first.size} байт)")
            extracted = tar.extractfile(first)
            assert extracted is not None
            manifest = parse_manifest(extracted.read())
            payload = Payload(manifest, members)
            check_schema = schema_check(manifest) if callable(schema_check) else schema_check
            known = Base.metadata.tables
            for entry in manifest.tables:
                member = tar.next()
                if member is None:
                    raise BackupFormatError(f"Нет члена архива {entry.member} (архив обрезан)")
                if member.name != entry.member:
                    raise BackupFormatError(f"Член архива {member.name}: ожидался {entry.member} (порядок "
                                            "или состав не совпадает с манифестом)")
                if not member.isfile():
                    raise BackupFormatError(f"{member.name}: не обычный файл")
                codec = None
                if check_schema:
                    table = known.get(entry.name)
                    if table is None:
                        raise BackupFormatError(f"{entry.member}: таблицы {entry.name} нет в схеме этой версии")
                    codec = TableCodec.of(table)
                    if codec.columns != entry.columns:
                        raise BackupFormatError(f"{entry.member}: столбцы не совпадают со схемой этой версии")
                stream = tar.extractfile(member)
                assert stream is not None
                kept = tempfile.TemporaryFile(dir=spool_dir) if keep else None  # noqa: SIM115
                members[entry.name] = CheckedMember(entry, kept)
                chain = ChainCheck() if entry.name == AUDIT_TABLE else None
                _check_member(stream, entry, codec, kept, chain)
                if chain is not None:
                    if chain.problem:
                        raise BackupFormatError(f"{entry.member}: цепочка аудита нарушена: {chain.problem}")
                    if (chain.count, chain.head) != (manifest.audit_count, manifest.audit_hash):
                        raise BackupFormatError(
                            f"{entry.member}: голова цепочки аудита ({chain.count} записей) не совпадает с "
                            f"манифестом ({manifest.audit_count} записей)")
                if kept is not None:
                    kept.seek(0)
            extra = tar.next()
            if extra is not None:
                raise BackupFormatError(f"Лишний член архива {extra.name}, которого нет в манифесте")
            if manifest.table(AUDIT_TABLE) is None and manifest.audit_count:
                raise BackupFormatError(f"В архиве нет {member_name(AUDIT_TABLE)}")
        except tarfile.TarError as exc:
            raise BackupFormatError(f"Архив tar повреждён ({exc})") from None
        # The rest of the stream (tar padding): read to the very end, so the source authenticates it all.
        while src.read(BLOCK):
            pass
        return payload
    except BaseException:
        for checked in members.values():
            if checked.file is not None:
                checked.file.close()
        raise


# ---- loading ---------------------------------------------------------------------------------------------


def _self_references(table: Table) -> list[str]:
    return [c.name for c in table.columns for fk in c.foreign_keys if fk.column.table is table]


def _parse_lines(lines: list[bytes]) -> list[Any]:
    """Many JSON lines in one parser call; exactly one value per line or ValueError."""
    parsed = json.loads(b"[" + b",".join(lines) + b"]")
    if len(parsed) != len(lines):
        raise ValueError("в строке больше одного значения JSON")
    return list(parsed)


def _rows_of(file: IO[bytes], codec: TableCodec, *, naive_utc: bool = False) -> Iterator[list[tuple[Any, ...]]]:
    """The member's rows, decoded, a block of lines at a time; BackupFormatError naming a bad row."""
    file.seek(0)
    decode = codec.decode
    done = 0
    for _block, whole in _lines(file):
        if not whole:
            continue
        lines = whole.split(b"\n")[:-1]
        try:
            batch = [decode(obj, naive_utc=naive_utc) for obj in _parse_lines(lines)]
        except (ValueError, TypeError, RecursionError) as exc:
            for number, line in enumerate(lines, done + 1):  # find the row to name it
                try:
                    decode(json.loads(line))
                except (ValueError, TypeError, RecursionError) as row_exc:
                    raise BackupFormatError(f"{member_name(codec.table.name)}, строка {number}: "
                                            f"{row_exc}") from None
            raise BackupFormatError(f"{member_name(codec.table.name)}: {exc}") from None
        yield batch
        done += len(lines)


def _copy_rows(connection: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL COPY of `rows` into `table`, on the connection's own transaction."""
    driver = connection.connection.driver_connection
    assert driver is not None
    names = ", ".join(f'"{c}"' for c in columns)
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def load_tables(connection: Connection, payload: Payload, *,
                progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Insert every kept member into the empty, migrated database behind `connection` (inside the caller's
    transaction), parents first: SQLite by Core executemany in batches, PostgreSQL by COPY (the same decoded
    values). Self-references (a year's previous year, a grade level's next level, ...) are set in a second
    pass, so immediate foreign keys hold on every statement. Returns the rows inserted per table.

    The database may be at the older schema revision a backup was made with: a table of this version that
    the database does not have yet (a later migration adds it) is not expected in the backup either."""
    counts: dict[str, int] = {}
    slow = float(os.environ.get(SLOW_ENV) or 0)
    copy = connection.dialect.name == "postgresql"
    present = set(inspect(connection).get_table_names())
    for table in tables_in_order():
        if slow:
            time.sleep(slow)
        member = payload.members.get(table.name)
        if (member is None or member.file is None) and table.name not in present:
            continue
        if member is None or member.file is None:
            raise BackupFormatError(f"В резервной копии нет таблицы {table.name}")
        codec = TableCodec.of(table)
        deferred = _self_references(table)
        blank = [codec.columns.index(c) for c in deferred]
        statement = insert(table)
        inserted = 0
        for rows in _rows_of(member.file, codec, naive_utc=copy):
            if blank:
                rows = [tuple(None if i in blank else v for i, v in enumerate(row)) for row in rows]
            for start in range(0, len(rows), BATCH_ROWS):
                batch = rows[start:start + BATCH_ROWS]
                if copy:
                    _copy_rows(connection, table, codec.columns, batch)
                else:
                    connection.execute(statement, [codec.as_dict(row) for row in batch])
                inserted += len(batch)
                if progress:
                    progress(table.name, inserted)
        if deferred:
            key = next(iter(table.primary_key.columns))
            at_key = codec.columns.index(key.name)
            for rows in _rows_of(member.file, codec):
                for column in deferred:
                    at = codec.columns.index(column)
                    changes = [{"_key": row[at_key], "_value": row[at]} for row in rows if row[at] is not None]
                    if changes:
                        connection.execute(update(table).where(key == bindparam("_key"))
                                           .values({column: bindparam("_value")}), changes)
        counts[table.name] = inserted
    return counts


def reset_sequences(connection: Connection) -> None:
    """PostgreSQL: move every serial sequence past the highest id loaded (of the tables the database has)."""
    if connection.dialect.name != "postgresql":
        return
    present = set(inspect(connection).get_table_names())
    for table in tables_in_order():
        if table.name not in present:
            continue
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer):
            continue
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": key[0].name}).scalar()
        if sequence:
            connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{key[0].name}") FROM '
                                    f'"{table.name}"), 0) + 1, false)'), {"s": sequence})


def dump_rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """Every row of `table` as its engine-neutral JSON object, in key order (for comparisons in tests)."""
    codec = TableCodec.of(table)
    result = connection.execute(select(table).order_by(*table.primary_key.columns))
    for row in result:
        yield codec.encode(row)
