"""JSON: the "zhurnal-json" document — lists through the engine, and a full-fidelity dump of a whole store.

One envelope, two kinds (docs/import.md, «JSON»):

    {"format": "zhurnal-json", "version": 1, "kind": "lists" | "store", "exported_at": "2026-11-28T12:00:00Z",
     "schools": [{"id": 1, "code": "...", "name": "..."}], "tables": {"name": [{column: value}, ...]}}

kind "lists" — what `zhurnal export --format json --entity E` writes and `zhurnal import x.json` reads: the
    tables are entities (students, staff, parents), each row an object of the engine's field names with
    text, numbers and ISO dates. Imported through the engine like any other format (mapping, validation,
    dry run, matching, log).
kind "store" — `dump_store` / `load_store`: every table of the schema as the backup's logical dump writes it
    (core/backup/format.TableCodec: ISO dates, UTC moments, decimals as text), except secrets: the table
    login_codes is left out and users.password_hash is null (every account must get a new password or
    code). `load_store` loads such a document into an EMPTY migrated database in one transaction.

Untrusted input: the document is parsed with limits (size checked by the engine, nesting depth, number of
digits of integers, NaN/Infinity refused) and every value's type is checked; a wrong document is a
FormatError naming the table, row and column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import bindparam, func, insert, select, update

from zhurnal.core.backup.format import TableCodec, encode_datetime, reset_sequences, tables_in_order
from zhurnal.core.permissions import Actor, check
from zhurnal.core.store import Store
from zhurnal.plugins import hookimpl
from zhurnal.plugins.builtin.russian_layout import LAYOUTS
from zhurnal.plugins.engine.formats import (
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

FORMAT = "zhurnal-json"
VERSION = 1
MAX_DEPTH = 8  # envelope → tables → table → row → value: deeper is not a zhurnal-json document
MAX_INT_DIGITS = 30
SECRET_TABLES = frozenset({"login_codes"})
SECRET_COLUMNS = {"users": frozenset({"password_hash"})}
_BATCH = 2000


def _depth(value: Any, limit: int) -> int:
    """The nesting depth of a parsed JSON value, stopping (and refusing) past `limit`, without recursion."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise FormatError(f"вложенность JSON больше {limit} уровней — это не документ {FORMAT}")
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _refuse_constant(name: str) -> Any:
    raise FormatError(f"в JSON значение {name}: такие числа не допускаются")


def _parse_int(text_value: str) -> int:
    if len(text_value.lstrip("-")) > MAX_INT_DIGITS:
        raise FormatError(f"в JSON число из {len(text_value)} цифр — слишком большое")
    return int(text_value)


def parse_document(data: bytes) -> dict[str, Any]:
    """The envelope, checked: format, version, kind, tables as lists of objects."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise FormatError("файл пуст")
    if data.lstrip()[:1] not in (b"{", b"["):
        raise FormatError("это не JSON: документ должен начинаться с «{»")
    # json's parser recurses per nesting level: count the brackets first, so a "[[[[…" bomb is refused
    # before the parser could run out of stack.
    depth = deepest = 0
    in_string = escaped = False
    for byte in data[:1_000_000] if len(data) > 1_000_000 else data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_DEPTH:
                raise FormatError(f"вложенность JSON больше {MAX_DEPTH} уровней — это не документ {FORMAT}")
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant, parse_int=_parse_int)
    except UnicodeDecodeError as exc:
        raise FormatError(f"JSON должен быть в UTF-8: недопустимый байт в позиции {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"JSON повреждён: {exc.msg}, строка {exc.lineno}, позиция {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"JSON не читается: {str(exc)[:200]}") from None
    _depth(document, MAX_DEPTH)
    if not isinstance(document, dict):
        raise FormatError(f"документ JSON должен быть объектом {{\"format\": \"{FORMAT}\", ...}}")
    if document.get("format") != FORMAT:
        raise FormatError(f"это не документ {FORMAT}: поле format = {str(document.get('format'))[:40]!r}")
    if document.get("version") != VERSION:
        raise FormatError(f"версия документа {str(document.get('version'))[:20]!r} не поддерживается; "
                          f"поддерживается {VERSION}")
    if document.get("kind", "lists") not in ("lists", "store"):
        raise FormatError("поле kind должно быть «lists» или «store»")
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise FormatError("поле tables должно быть объектом {имя: [строки]}")
    for name, rows in tables.items():
        if not isinstance(rows, list):
            raise FormatError(f"таблица «{name}»: ожидается список строк")
        for i, row in enumerate(rows, 1):
            if not isinstance(row, dict):
                raise FormatError(f"таблица «{name}», строка {i}: ожидается объект")
    return document


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return encode_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize() if value == value.to_integral() else value, "f")
    return value


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise FormatError(f"{where}: логическое значение вместо текста")
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",") if not value.is_integer() else str(int(value))
    raise FormatError(f"{where}: ожидается текст, число или null, а не {type(value).__name__}")


# --- lists through the engine -----------------------------------------------------------------------------


class JsonImporter(Importer):
    name = "json"
    title = f"JSON ({FORMAT}, списки обучающихся, сотрудников, родителей)"
    extensions = (".json",)

    def detect(self, data: bytes, file_name: str) -> int:
        head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"{") and FORMAT.encode() in data[:4096]:
            return 30
        return 10 if file_name.lower().endswith(self.extensions) else 0

    def read(self, data: bytes, options: ReadOptions) -> ParsedFile:
        document = parse_document(data)
        if document.get("kind") == "store":
            raise FormatError("это полная выгрузка базы (kind «store»); она загружается в пустую базу "
                              "(zhurnal.plugins.builtin.json_format.load_store), а не импортом списков")
        tables: list[SourceTable] = []
        for entity, rows in document["tables"].items():
            if entity not in LAYOUTS:
                raise FormatError(f"таблица «{entity}» неизвестна; допустимы: {', '.join(LAYOUTS)}")
            if len(rows) > options.max_rows:
                raise FormatError(f"в таблице «{entity}» больше {options.max_rows} строк — это предел")
            fields: list[str] = []
            for row in rows:
                for key in row:
                    if key not in fields:
                        fields.append(key)
            source = [SourceRow(i, [_text(row.get(f), f"таблица «{entity}», строка {i - 1}, поле «{f}»")
                                    for f in fields]) for i, row in enumerate(rows, 2)]
            tables.append(SourceTable(fields, source, entity, entity))
        if not tables:
            raise FormatError("в документе нет таблиц")
        return ParsedFile(tables, {"kind": "lists"}, [f"Таблицы: {', '.join(t.name for t in tables)}"])


class JsonExporter(Exporter):
    name = "json"
    title = f"JSON ({FORMAT}: поля под машинными именами, даты ISO)"
    extension = ".json"
    spreadsheet = False

    def write(self, tables: Sequence[ExportTable], out: BinaryIO, options: WriteOptions) -> None:
        document = {"format": FORMAT, "version": VERSION, "kind": "lists",
                    "exported_at": encode_datetime(datetime.now(UTC)), "schools": [],
                    "tables": {t.entity: [{f: _json_value(v) for f, v in zip(t.fields, row, strict=True)
                                           if v not in (None, "")}
                                          for row in t.rows] for t in tables}}
        out.write(json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))


# --- the whole store --------------------------------------------------------------------------------------


def dump_store(store: Store, actor: Actor) -> dict[str, Any]:
    """Every table of the store (secrets left out) as a "store" document. Needs export.personal_data and
    backup.create: it holds everything a backup holds but the secrets."""
    check(actor, "export.personal_data")
    check(actor, "backup.create")
    tables: dict[str, list[dict[str, Any]]] = {}
    with store.engine.connect() as connection:
        for table in tables_in_order():
            if table.name in SECRET_TABLES:
                continue
            codec = TableCodec.of(table)
            secret = SECRET_COLUMNS.get(table.name, frozenset())
            rows = []
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                obj = codec.encode(row)
                for column in secret:
                    obj[column] = None
                rows.append(obj)
            tables[table.name] = rows
        schools = tables.get("schools", [])
    return {"format": FORMAT, "version": VERSION, "kind": "store",
            "exported_at": encode_datetime(datetime.now(UTC)),
            "schools": [{"id": s["id"], "code": s["code"], "name": s["name"]} for s in schools], "tables": tables}


def write_store(store: Store, actor: Actor, out: BinaryIO) -> int:
    """`dump_store` written as UTF-8 JSON; returns the number of rows written."""
    document = dump_store(store, actor)
    out.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return sum(len(rows) for rows in document["tables"].values())


def load_store(store: Store, actor: Actor, data: bytes) -> dict[str, int]:
    """Load a "store" document into an EMPTY migrated database in one transaction; rows per table.

    Refused (FormatError, nothing written) when the database already holds a school or a person, when the
    document is not a store dump, or when any row does not fit the schema (the message names table, row
    and column)."""
    check(actor, "backup.restore")
    document = parse_document(data)
    if document.get("kind") != "store":
        raise FormatError("это не полная выгрузка базы (kind «store»)")
    given: dict[str, list[dict[str, Any]]] = document["tables"]
    known = {t.name for t in tables_in_order()}
    unknown = sorted(set(given) - known)
    if unknown:
        raise FormatError(f"таблицы {', '.join(unknown)} нет в схеме этой версии журнала")
    counts: dict[str, int] = {}
    with store.engine.begin() as connection:
        for name in ("schools", "persons", "users"):
            table = next(t for t in tables_in_order() if t.name == name)
            if connection.execute(select(func.count()).select_from(table)).scalar():
                raise FormatError(f"база не пуста (в таблице {name} есть строки); полная выгрузка "
                                  "загружается только в пустую базу")
        for table in tables_in_order():
            rows = given.get(table.name, [])
            codec = TableCodec.of(table)
            deferred = [c.name for c in table.columns for fk in c.foreign_keys if fk.column.table is table]
            decoded = []
            for i, obj in enumerate(rows, 1):
                obj = {**{c: None for c in SECRET_COLUMNS.get(table.name, ())}, **obj}
                try:
                    values = codec.decode(obj)
                except ValueError as exc:
                    raise FormatError(f"таблица {table.name}, строка {i}: {exc}") from None
                decoded.append({c: (None if c in deferred else v) for c, v in zip(codec.columns, values, strict=True)})
            try:
                for start in range(0, len(decoded), _BATCH):
                    connection.execute(insert(table), decoded[start:start + _BATCH])
                if deferred:
                    key = next(iter(table.primary_key.columns))
                    for column in deferred:
                        changes = [{"_key": obj[key.name], "_value": obj[column]} for obj in rows
                                   if obj.get(column) is not None]
                        if changes:
                            connection.execute(update(table).where(key == bindparam("_key"))
                                               .values({column: bindparam("_value")}), changes)
            except Exception as exc:
                if isinstance(exc, FormatError):
                    raise
                raise FormatError(f"таблица {table.name}: строки не загружены ({type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0][:200]})") from None
            counts[table.name] = len(decoded)
        reset_sequences(connection)
    return counts


@hookimpl
def register_importers(register: Callable[[Importer], None]) -> None:
    register(JsonImporter())


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    register(JsonExporter())
