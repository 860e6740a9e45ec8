"""Inserting many rows of one table at driver speed, inside the caller's transaction.

Why not `session.execute(insert(table), rows)`: SQLAlchemy builds and processes a parameter dict per row,
and on PostgreSQL every row is still one INSERT the server parses and plans (psycopg pipelines them, but a
1,100-row school file with its parents and audit records is ~10,000 statements). Here the column types'
own bind processors (UTCDateTime's naive-UTC conversion, ...) are applied once per value, then

- PostgreSQL: one ``COPY table (columns) FROM STDIN`` per call (psycopg's copy; one round trip per chunk);
- SQLite (and anything else): one driver ``executemany`` of a prepared ``INSERT`` per chunk.

Every row must carry the same keys (the first row's); no defaults are filled in, so callers pass every
column they need, ids included. Works inside a SAVEPOINT (the dry run rolls it back like any insert).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain, islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

CHUNK = 5000


def _processors(table: Table, names: Sequence[str], dialect: Any) -> list[Any]:
    return [table.c[name].type.bind_processor(dialect) for name in names]


def bulk_insert(session: Session, table: Table, rows: Iterable[dict[str, Any]], chunk: int = CHUNK) -> int:
    """Insert `rows` (dicts with the same keys) into `table`; returns how many were written. `rows` may be
    a generator: it is consumed `chunk` rows at a time, so a caller can stream without a list."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    names = list(first)
    connection = session.connection()
    dialect = connection.dialect
    processors = _processors(table, names, dialect)

    get = itemgetter(*names)
    converted = [(i, p) for i, p in enumerate(processors) if p is not None]
    last_in: list[Any] = [object()] * len(converted)  # the last value converted per column, and its result
    last_out: list[Any] = [None] * len(converted)

    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        found = get(row)
        if len(names) == 1:
            found = (found,)
        if not converted:
            return found
        out = list(found)
        for n, (i, process) in enumerate(converted):
            value = out[i]
            if value is None:
                continue
            if value is last_in[n]:  # created_at = updated_at = the import's moment, on every row
                out[i] = last_out[n]
            else:
                last_in[n], last_out[n] = value, process(value)
                out[i] = last_out[n]
        return tuple(out)

    quoted = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    target = dialect.identifier_preparer.format_table(table)
    count = 0
    source = chain([first], iterator)
    if dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy:
            for row in source:
                copy.write_row(values(row))
                count += 1
        return count
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in names)
    sql = f"INSERT INTO {target} ({quoted}) VALUES ({marks})"
    while True:
        batch = [values(row) for row in islice(source, chunk)]
        if not batch:
            return count
        connection.exec_driver_sql(sql, batch)
        count += len(batch)

