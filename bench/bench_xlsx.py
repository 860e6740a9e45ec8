"""Benchmark of the XLSX import: a 100,000-row student list (district scale) imported end to end.

The file is written with openpyxl (write_only) into a temporary folder: plausible Russian rows (names from
core/demo/names.py, 22 classes 1А..11Б, valid SNILS, the enrolment order). The import is the whole path a
user runs — safe_zip checks, calamine parse, mapping, validation, apply in one transaction, the import log —
into a fresh SQLite school, in a CHILD process that reports its own peak memory (ru_maxrss).

Targets: (engine seconds) ÷ (calamine parse of the same file + plain sqlite3 executemany of the same rows
into an equivalent persons table, measured in this run) ≤ 3; peak memory of the child < 400 MB.
BENCH_QUICK=1: 10,000 rows.
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
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import Result, best_time, note  # noqa: E402

from zhurnal.core.demo import names  # noqa: E402
from zhurnal.core.validation import snils_checksum  # noqa: E402

TODAY = date(2026, 11, 28)
TARGET_RATIO = 3.0
TARGET_MB = 400.0
HEADERS = ["Фамилия", "Имя", "Отчество", "Дата рождения", "Пол", "Класс", "СНИЛС", "Номер приказа", "Дата приказа"]


def rows_count() -> int:
    return 10_000 if os.environ.get("BENCH_QUICK") else 100_000


def student_rows(rows: int, seed: int = 7) -> list[list[object]]:
    rng = random.Random(seed)
    male = [n for n, _ in names.MALE_FIRST_NAMES]
    female = [n for n, _ in names.FEMALE_FIRST_NAMES]
    fathers = [n for n, _ in names.ADULT_MALE_FIRST_NAMES]
    out: list[list[object]] = []
    for i in range(rows):
        grade, letter = i % 11 + 1, "АБ"[(i // 11) % 2]
        sex = rng.choice("MF")
        surname = rng.choice(names.SURNAMES)
        last = surname if sex == "M" else names.feminine_surname(surname)
        first = rng.choice(male if sex == "M" else female)
        birth = date(2026 - grade - 7, 1, 1) + timedelta(days=rng.randint(0, 360))
        nine = f"{100_000_000 + i * 7:09d}"
        snils = f"{nine[:3]}-{nine[3:6]}-{nine[6:]} {snils_checksum(nine):02d}"
        out.append([last, first, names.patronymic(rng.choice(fathers), sex), birth, "М" if sex == "M" else "Ж",
                    f"{grade}{letter}", snils, "12-у", date(2026, 8, 28)])
    return out


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Обучающиеся")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)


def baseline(path: Path, folder: Path) -> float:
    """calamine parse + plain sqlite3 executemany of the same rows into an equivalent persons table."""
    from python_calamine import CalamineWorkbook

    counter = [0]

    def once() -> None:
        counter[0] += 1
        book = CalamineWorkbook.from_path(str(path))
        data = book.get_sheet_by_index(0).to_python()
        db = folder / f"baseline{counter[0]}.sqlite3"
        connection = sqlite3.connect(db)
        connection.execute("CREATE TABLE persons (id INTEGER PRIMARY KEY, last_name TEXT, first_name TEXT, "
                           "middle_name TEXT, birth_date DATE, sex TEXT, snils TEXT, class_name TEXT)")
        connection.executemany("INSERT INTO persons (last_name, first_name, middle_name, birth_date, sex, snils, "
                               "class_name) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [(r[0], r[1], r[2], str(r[3]), r[4], r[6], r[5]) for r in data[1:]])
        connection.commit()
        connection.close()

    return best_time(once, repeat=3)


def store_floor(engine_db: Path, folder: Path) -> tuple[float, int]:
    """What the rows the import wrote cost to write with no Python at all: the same persons, enrolments and
    audit records (read back from the engine's database) put with plain sqlite3 executemany into an empty copy
    of the real schema (its indexes, its foreign keys, the audit table's triggers). Returns (best seconds,
    audit records). No import that keeps the schema and an audit record per change can be faster than this."""
    source = sqlite3.connect(engine_db)
    schema = [sql for (sql,) in source.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                                                "AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    persons = source.execute("SELECT * FROM persons WHERE id IN (SELECT person_id FROM enrolments)").fetchall()
    enrolments = source.execute("SELECT * FROM enrolments").fetchall()
    audit = source.execute("SELECT * FROM audit_records WHERE action IN ('person.create', 'enrolment.create')"
                           ).fetchall()
    # The rows the imported ones point to (school, year, classes, the order, the account), as they were.
    parents = {table: source.execute(f"SELECT * FROM {table}").fetchall()
               for table in ("schools", "academic_years", "grade_levels", "classes", "orders", "users")}
    source.close()
    counter = [0]

    def once() -> None:
        counter[0] += 1
        connection = sqlite3.connect(folder / f"floor{counter[0]}.sqlite3")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=NORMAL")  # as core/store.py sets it
        for sql in schema:
            connection.execute(sql)
        for table, rows in parents.items():
            if rows:
                connection.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        connection.commit()
        start = time.perf_counter()
        for table, rows in (("persons", persons), ("enrolments", enrolments), ("audit_records", audit)):
            connection.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        connection.commit()
        spent[0] = min(spent[0], time.perf_counter() - start)
        connection.close()

    spent = [float("inf")]
    for _ in range(3):
        once()
    return spent[0], len(audit)


def child(path: str, db: str) -> None:
    """Import `path` into a fresh SQLite school at `db`; print JSON {seconds, peak_mb, counts}."""
    from bench_import import _prepare_school

    from zhurnal.core.store import Store
    from zhurnal.plugins.engine.limits import Limits
    from zhurnal.plugins.engine.run import ImportOptions, execute, prepare
    from zhurnal.plugins.manager import Hub

    store = Store(f"sqlite:///{db}")
    actor = _prepare_school(store)
    hub = Hub(entry_points=False)
    data = Path(path).read_bytes()
    start = time.perf_counter()
    prepared = prepare(hub, store, actor, data, Path(path).name, ImportOptions(entity="students", today=TODAY),
                       Limits())
    parsed = time.perf_counter() - start
    result = execute(hub, store, actor, prepared, dry_run=False)
    seconds = time.perf_counter() - start
    assert result.applied, [str(m) for m in result.messages[:5]]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "prepare": parsed, "peak_mb": peak_mb, "counts": result.report.counts}))
    store.dispose()


def run() -> list[Result]:
    rows = rows_count()
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-xlsx-") as name:
        folder = Path(name)
        path = folder / "students.xlsx"
        started = time.perf_counter()
        write_xlsx(path, student_rows(rows))
        written = time.perf_counter() - started
        base = baseline(path, folder)
        out = subprocess.run([sys.executable, __file__, "--child", str(path), str(folder / "engine.sqlite3")],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"bench_xlsx child failed: {out.stderr[-2000:]}")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        floor, audited = store_floor(folder / "engine.sqlite3", folder)
        size_kib = path.stat().st_size // 1024
    assert figures["counts"]["new"] == rows, figures
    ratio = figures["seconds"] / base
    info = (f"engine {figures['seconds']:.2f} s (read+map+validate {figures['prepare']:.2f} s) vs calamine + "
            f"sqlite3 {base:.2f} s; {rows:,} rows, {size_kib} KiB (written by openpyxl in {written:.1f} s)")
    return [Result(f"(x) XLSX import: {rows:,} students end to end ÷ (calamine + sqlite3 executemany)", ratio,
                   TARGET_RATIO, "x", info),
            note("(x) XLSX import floor: the rows it writes, by plain sqlite3 into the real schema ÷ baseline",
                 floor / base, "x", f"{floor:.2f} s for {rows:,} persons, {rows:,} enrolments and {audited:,} audit "
                 "records with the schema's indexes, no Python work; the engine can never go below this"),
            Result(f"(x) XLSX import: {rows:,} students, peak memory of the importing process", figures["peak_mb"],
                   TARGET_MB, "MB", f"ru_maxrss of the child process; {figures['seconds']:.1f} s")]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        from run import print_table

        print_table(run())
