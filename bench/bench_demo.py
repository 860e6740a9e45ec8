"""Benchmarks of the demo generator and of the bulk-insert path it uses.

(a) one demo school, SQLite (and PostgreSQL when ZHURNAL_BENCH_PG answers): the build time divided by the
    time the raw driver takes to executemany the very same rows into an identical empty schema. The 5 s
    budget becomes a ratio through the raw copy's speed on the reference machine (seconds per 1,000 rows).
(b) 100,000 Person rows through `insert_rows` (SQLAlchemy Core, batches of 1,000) into a migrated SQLite
    store vs plain `sqlite3.executemany` of the same rows into an identical table: ratio <= 3.
(c) a 50-school district (BENCH_QUICK=1: 5) on SQLite, built in a child process: seconds scaled to the
    reference machine by a fixed CPU loop timed in this run (<= 60 s per 50 schools), and the child's peak
    memory (ru_maxrss) under 500 MB.

`python bench/bench_demo.py --calibrate` prints this machine's baselines, to refresh the references below.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import PG_URL, Result, cpu_baseline, pg_answers, pg_store, skipped  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from zhurnal.core.demo import names  # noqa: E402
from zhurnal.core.demo.generator import build_demo, insert_rows  # noqa: E402
from zhurnal.core.models import Base, Person, School  # noqa: E402
from zhurnal.core.services.persons import name_key  # noqa: E402
from zhurnal.core.store import Store  # noqa: E402

TODAY = date(2026, 11, 28)
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")

# The school itself 5 s, plus 3 s for its first quarter's journal (issue 7: "under +3 s"; docs/demo.md).
ONE_SCHOOL_TARGET_S = 5.0 + 3.0
DISTRICT_SCHOOLS = 5 if QUICK else 50
DISTRICT_TARGET_S = 60.0 * DISTRICT_SCHOOLS / 50
MEMORY_TARGET_MB = 500.0
BULK_ROWS = 100_000
BULK_RATIO_TARGET = 3.0

# References measured on the development machine (2 vCPU, 2026-11-28) with --calibrate: a target in seconds
# on that machine becomes a ratio to a baseline timed in the same run here.
CPU_REF_S = 0.091
SQLITE_COPY_REF_S_PER_KROW = 0.0063
PG_COPY_REF_S_PER_KROW = 0.0356


# ---- raw copies: the same rows through the bare driver --------------------------------------------------


def _dump(store: Store) -> list[tuple[str, list[str], list[tuple[Any, ...]]]]:
    """Every row of every model table, read through the raw driver (values as the driver returns them)."""
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        data = []
        for table in Base.metadata.sorted_tables:
            columns = [c.name for c in table.columns]
            key = next(iter(table.primary_key.columns)).name
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table.name} ORDER BY {key}")
            data.append((table.name, columns, [tuple(r) for r in cursor.fetchall()]))
        connection.commit()
        return data
    finally:
        connection.close()


def _raw_copy(data: list[tuple[str, list[str], list[tuple[Any, ...]]]], target: Store) -> float:
    """Seconds the bare driver takes to executemany `data` (1,000 rows a batch) into `target`, one transaction."""
    sqlite = target.dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    connection = target.engine.raw_connection()
    try:
        cursor = connection.cursor()
        start = time.perf_counter()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        for table, columns, rows in data:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
            for first in range(0, len(rows), 1000):
                cursor.executemany(sql, rows[first:first + 1000])
        if sqlite:
            cursor.execute("COMMIT")
        else:
            connection.commit()
        return time.perf_counter() - start
    finally:
        connection.close()


def _one_school(make_store: Any) -> tuple[float, float, int]:
    """(build seconds, raw copy seconds, rows): best of two builds, each into a fresh database."""
    builds, copies, count = [], [], 0
    for _ in range(2):
        with make_store() as built, make_store() as empty:
            built.upgrade()
            start = time.perf_counter()
            build_demo(built, seed=1, today=TODAY)
            builds.append(time.perf_counter() - start)
            data = _dump(built)
            count = sum(len(rows) for _, _, rows in data)
            empty.upgrade()
            copies.append(_raw_copy(data, empty))
    return min(builds), min(copies), count


def _one_school_result(name: str, build_s: float, copy_s: float, rows: int, ref_per_krow: float) -> Result:
    reference_copy = ref_per_krow * rows / 1000
    ratio = build_s / copy_s
    return Result(name, ratio, ONE_SCHOOL_TARGET_S / reference_copy, "x",
                  f"build {build_s:.2f} s (target {ONE_SCHOOL_TARGET_S:.0f} s, scaled to the reference machine "
                  f"{ratio * reference_copy:.2f} s); raw executemany of the same {rows:,} rows {copy_s:.3f} s")


@contextmanager
def _sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-") as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        try:
            yield store
        finally:
            store.dispose()


def bench_one_school_sqlite() -> Result:
    build_s, copy_s, rows = _one_school(_sqlite_store)
    return _one_school_result("(a) demo: one school, SQLite (build ÷ raw copy)", build_s, copy_s, rows,
                              SQLITE_COPY_REF_S_PER_KROW)








def bench_one_school_pg() -> Result:
    name = "(a) demo: one school, PostgreSQL (build ÷ raw copy)"
    if not pg_answers():
        return skipped(name, f"no PostgreSQL answers at {make_url(PG_URL).render_as_string(hide_password=True)}")
    build_s, copy_s, rows = _one_school(pg_store)
    return _one_school_result(name, build_s, copy_s, rows, PG_COPY_REF_S_PER_KROW)


# ---- (b) bulk writes -------------------------------------------------------------------------------------


def _person_rows(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    now = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC)
    male = [n for n, _ in names.MALE_FIRST_NAMES]
    rows = []
    for i in range(count):
        last, first = rng.choice(names.SURNAMES), rng.choice(male)
        middle = names.patronymic(rng.choice(male), "M")
        rows.append({"school_id": 1, "last_name": last, "first_name": first, "middle_name": middle,
                     "name_key": name_key(last, first, middle),
                     "birth_date": date(2010, 1, 1) + timedelta(days=rng.randint(0, 4000)), "sex": "M",
                     "snils": f"{100_000_000 + i:09d}{i % 100:02d}", "phone": f"+7 9{i % 100:02d} 000-00-00",
                     "email": None, "address": f"{names.CITY}, {rng.choice(names.STREETS)}, д. {i % 90 + 1}",
                     "external_id": None, "created_at": now, "updated_at": now, "version": 1})
    return rows


def _stored(value: Any) -> Any:
    """A value as SQLAlchemy stores it in SQLite (dates and UTC datetimes as ISO text)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


_SCHOOL = {"code": "bench", "name": "Школа", "short_name": None, "address": None, "term_kind": "quarter",
           "created_at": datetime(2026, 11, 28, tzinfo=UTC), "version": 1}


def _core_insert(rows: list[dict[str, Any]]) -> float:
    with _sqlite_store() as store:
        store.upgrade()
        with store.session() as session:
            insert_rows(session, School, [{"id": 1, **_SCHOOL}])
            start = time.perf_counter()
            insert_rows(session, Person, rows)
            session.commit()
            return time.perf_counter() - start


def _schema_of(tables: tuple[str, ...]) -> list[str]:
    """CREATE statements (tables, then their indexes) of `tables` in a freshly migrated SQLite store."""
    with _sqlite_store() as store:
        store.upgrade()
        connection = store.engine.raw_connection()
        try:
            marks = ", ".join("?" * len(tables))
            found = connection.cursor().execute(
                f"SELECT type, sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL",
                tables).fetchall()
        finally:
            connection.close()
    return [sql for kind, sql in found if kind == "table"] + [sql for kind, sql in found if kind != "table"]


def _raw_insert(ddl: list[str], columns: list[str], rows: list[tuple[Any, ...]]) -> float:
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-") as folder:
        connection = sqlite3.connect(Path(folder) / "raw.sqlite3", isolation_level=None)
        try:
            for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=15000"):
                connection.execute(f"PRAGMA {pragma}")
            for statement in ddl:
                connection.execute(statement)
            school = {"id": 1, **_SCHOOL}
            connection.execute(f"INSERT INTO schools ({', '.join(school)}) VALUES ({', '.join('?' * len(school))})",
                               [_stored(v) for v in school.values()])
            sql = f"INSERT INTO persons ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            start = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            for first in range(0, len(rows), 1000):
                connection.executemany(sql, rows[first:first + 1000])
            connection.execute("COMMIT")
            return time.perf_counter() - start
        finally:
            connection.close()


def bench_bulk_persons() -> Result:
    rows = _person_rows(BULK_ROWS)
    columns = list(rows[0])
    tuples = [tuple(_stored(row[c]) for c in columns) for row in rows]
    ddl = _schema_of(("schools", "persons"))
    core, raw = [], []
    for _ in range(3):  # interleaved, so a burst of load hits both sides alike
        core.append(_core_insert(rows))
        raw.append(_raw_insert(ddl, columns, tuples))
    ratio = min(core) / min(raw)
    return Result(f"(b) bulk: {BULK_ROWS:,} persons, Core ÷ sqlite3.executemany", ratio, BULK_RATIO_TARGET, "x",
                  f"Core {min(core):.2f} s, sqlite3 {min(raw):.2f} s "
                  f"({BULK_ROWS / min(core):,.0f} vs {BULK_ROWS / min(raw):,.0f} rows/s); same table and indexes")


# ---- (c) district ----------------------------------------------------------------------------------------


def _district_child(schools: int, database: str) -> None:
    """Child process: build the district and print the time of the build and the peak memory as JSON."""
    store = Store(f"sqlite:///{database}")
    store.upgrade()
    start = time.perf_counter()
    summary = build_demo(store, seed=1, schools=schools, today=TODAY)
    seconds = time.perf_counter() - start
    store.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "hwm_mb": _vm_hwm_mb(), "students": summary.students,
                      "persons": summary.students + summary.parents + summary.staff}))


def _vm_hwm_mb() -> float | None:
    """The peak RSS of this address space (Linux /proc), a cross-check of ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# Linux carries a process's ru_maxrss across exec: a child started straight from this (large) process would
# report at least this process's own peak. A tiny launcher in between starts the build from a small process.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def bench_district() -> list[Result]:
    before = cpu_baseline()
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-") as folder:
        database = Path(folder) / "district.sqlite3"
        child = [sys.executable, str(Path(__file__).resolve()), "--district", str(DISTRICT_SCHOOLS), str(database)]
        done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *child], capture_output=True, text=True,
                              check=False)
        size_mb = database.stat().st_size / 2**20 if database.exists() else 0.0
    if done.returncode != 0:
        raise RuntimeError(f"district build failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    cpu_now = min(before, cpu_baseline())
    seconds = float(figures["seconds"])
    scaled = seconds * CPU_REF_S / cpu_now
    label = f"(c) district: {DISTRICT_SCHOOLS} schools, SQLite"
    return [
        Result(f"{label}, time scaled by CPU loop", scaled, DISTRICT_TARGET_S, "s",
               f"{seconds:.1f} s here; CPU loop {cpu_now * 1000:.0f} ms vs {CPU_REF_S * 1000:.0f} ms on the "
               f"reference machine; {figures['students']:,} students, {figures['persons']:,} persons, "
               f"file {size_mb:.0f} MB"),
        Result(f"{label}, peak memory (child ru_maxrss)", float(figures["peak_mb"]), MEMORY_TARGET_MB, "MB",
               "the whole build process: interpreter, imports and the build"
               + (f"; VmHWM {figures['hwm_mb']:.0f} MB" if figures.get("hwm_mb") else "")),
    ]


def run() -> list[Result]:
    return [bench_one_school_sqlite(), bench_one_school_pg(), bench_bulk_persons(), *bench_district()]


def _calibrate() -> None:
    """Print this machine's baselines (the references at the top of this file)."""
    print(f"CPU_REF_S = {cpu_baseline():.3f}")
    for label, factory, answers in (("SQLITE", _sqlite_store, True), ("PG", pg_store, pg_answers())):
        if not answers:
            continue
        build_s, copy_s, rows = _one_school(factory)
        print(f"{label}_COPY_REF_S_PER_KROW = {copy_s / rows * 1000:.4f}  (build {build_s:.2f} s, copy {copy_s:.3f} s, "
              f"{rows} rows)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--district"]:
        _district_child(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1:2] == ["--calibrate"]:
        _calibrate()
    else:
        from run import print_table

        print_table(run())
