"""(j) The quarterly activity report over 10 million activity events (issue #9).

Target: under 3 s on SQLite and under 2 s on PostgreSQL on the reference machine, memory flat. The events
(logins, diary views, marks, topics, homework, attendance of about 3,000 accounts over one quarter) are
bulk-loaded and rolled up with `activity.rebuild_rollup` — the same roll-up `activity.record` keeps with
every event in normal work; loading is not measured. Measured: `ActivityReportService.for_term` (the term
and the previous one). The machine is shared, so seconds are scaled by the fixed CPU loop (common.py) to
the reference machine; the report's time is also shown as a ratio to a plain COUNT(*) over the events in
the same run. Memory: the Python heap's peak during the report (tracemalloc), which must not grow with the
number of events. BENCH_QUICK=1 loads 200,000 events.
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from common import Result, best_time, cpu_baseline, pg_answers, pg_store, skipped
from sqlalchemy import func, select, text

from zhurnal.core import activity
from zhurnal.core.models import ActivityEvent
from zhurnal.core.permissions import Actor
from zhurnal.core.services.activity_report import ActivityReportService
from zhurnal.core.services.schools import SchoolService
from zhurnal.core.store import Store

EVENTS = 200_000 if os.environ.get("BENCH_QUICK") else 10_000_000
ACCOUNTS = 3_000
CPU_REF_S = 0.091  # bench_demo.CPU_REF_S: the fixed CPU loop on the reference machine
TODAY = date(2026, 11, 28)
TERM = (date(2026, 11, 5), date(2026, 12, 28))
KINDS = ("login", "diary_view", "mark", "topic", "homework", "attendance")
WEIGHTS = (30, 25, 25, 7, 5, 8)
MEMORY_MB = 64


def _prepare(store: Store) -> tuple[Actor, int]:
    store.upgrade()
    created = SchoolService(store).initialise(name="Школа", code="bench", admin_login="admin",
                                              admin_password="correct horse battery staple 42", today=TODAY)
    with store.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (login, school_id, must_change_password, is_active, "
                                "failed_logins, created_at, version) VALUES (:login, :school, false, true, 0, "
                                ":now, 1)"),
                           [{"login": f"u{i}", "school": created.school_id, "now": "2026-09-01 00:00:00"}
                            for i in range(ACCOUNTS)])
        ids = [row[0] for row in connection.execute(text("SELECT id FROM users WHERE login LIKE 'u%' ORDER BY id"))]
        roles = ["teacher"] * 100 + ["student"] * 1_200 + ["parent"] * (ACCOUNTS - 1_300)
        connection.execute(text("INSERT INTO role_grants (user_id, role, school_id, granted_at) VALUES "
                                "(:user, :role, :school, :now)"),
                           [{"user": u, "role": r, "school": created.school_id, "now": "2026-09-01 00:00:00"}
                            for u, r in zip(ids, roles, strict=True)])
        levels = dict(connection.execute(text("SELECT number, id FROM grade_levels WHERE school_id = :s"),
                                         {"s": created.school_id}).all())
        connection.execute(text("INSERT INTO classes (school_id, year_id, grade_level_id, parallel, letter, name, "
                                "version) VALUES (:school, :year, :level, :parallel, :letter, :name, 1)"),
                           [{"school": created.school_id, "year": created.year_id, "level": levels[p],
                             "parallel": p, "letter": letter, "name": f"{p}{letter}"}
                            for p in range(1, 12) for letter in "АБВГ"])
    return created.admin, created.school_id


def _rows(school_id: int, first_user: int, classes: list[int], count: int,
          rollup: Counter[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    """Events as a school makes them: teachers keep the journal of a few classes, students and parents log in
    and read the diary of their own class. Counts each event's roll-up key in `rollup` on the way."""
    rng = random.Random(9)
    span = (TERM[1] - TERM[0]).days + 1
    days = [TERM[0] + timedelta(days=n) for n in range(span)]
    texts = [(d.isoformat(), f"{d.isoformat()} 12:00:00") for d in days]
    total = sum(WEIGHTS)
    bounds = list(itertools.accumulate(w / total for w in WEIGHTS))
    teachers, others = 100, ACCOUNTS - 100
    random_ = rng.random
    for _ in range(count):
        kind = KINDS[bisect.bisect(bounds, random_())]
        n = int(random_() * span)
        day_text, at_text = texts[n]
        if kind in activity.JOURNAL_KINDS:
            offset = int(random_() * teachers)
            class_id: int | None = classes[(offset + int(random_() * 5)) % len(classes)]
            back = min(int(random_() * 12), n)
            lesson_text: str | None = texts[n - back][0]
            lag = back
        else:
            offset = int(random_() * ACCOUNTS) if kind == "login" else teachers + int(random_() * others)
            class_id = None if kind == "login" else classes[offset % len(classes)]
            lesson_text, lag = None, 0
        user = first_user + offset
        rollup[(kind, n, user, class_id or 0, lag)] += 1
        yield school_id, user, at_text, day_text, kind, class_id, lesson_text


def _load(store: Store, school_id: int) -> None:
    """Bulk-load the events (COPY on PostgreSQL; executemany without foreign-key checks on SQLite) and their
    roll-up rows, counted while generating (what activity.record would have kept; tests check the two
    agree with activity.rebuild_rollup)."""
    with store.engine.connect() as connection:
        first_user = connection.scalar(text("SELECT min(id) FROM users WHERE login LIKE 'u%'"))
        classes = [row[0] for row in connection.execute(text("SELECT id FROM classes ORDER BY id"))]
    rollup: Counter[tuple[object, ...]] = Counter()
    columns = "school_id, user_id, at, day, kind, class_id, lesson_day"
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY activity_events ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in _rows(school_id, first_user, classes, EVENTS, rollup):
                    copy.write_row(row)
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            rows = _rows(school_id, first_user, classes, EVENTS, rollup)
            while batch := list(itertools.islice(rows, 100_000)):
                cursor.executemany(f"INSERT INTO activity_events ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            cursor.execute("PRAGMA foreign_keys = ON")
        raw.commit()
    finally:
        raw.close()
    with store.engine.begin() as connection:
        keys = list(rollup.items())
        for start in range(0, len(keys), 50_000):
            connection.execute(text("INSERT INTO activity_daily (school_id, kind, day, user_id, class_id, lag, "
                                    "events) VALUES (:school, :kind, :day, :user, :class_id, :lag, :events)"),
                               [{"school": school_id, "kind": kind, "day": TERM[0] + timedelta(days=n),
                                 "user": user, "class_id": class_id, "lag": lag, "events": events}
                                for (kind, n, user, class_id, lag), events in keys[start:start + 50_000]])
    with store.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if store.engine.dialect.name == "postgresql" else "ANALYZE"))


def _measure(label: str, store: Store, target_s: float) -> Result:
    admin, school_id = _prepare(store)
    started = time.perf_counter()
    _load(store, school_id)
    load_s = time.perf_counter() - started
    service = ActivityReportService(store)
    term_id = service.find_term(admin, 2, "2026/2027", today=TODAY)

    def count() -> None:
        with store.session(write=False) as session:
            session.scalar(select(func.count()).select_from(ActivityEvent))

    def produce() -> None:
        service.for_term(admin, term_id, today=TODAY)

    baseline = best_time(count)
    produce()  # warm the caches like a second run would
    report_s = best_time(produce)
    tracemalloc.start()
    produce()
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    cpu_now = cpu_baseline()
    scaled = report_s * CPU_REF_S / cpu_now
    with store.session(write=False) as session:
        rollup = session.scalar(text("SELECT count(*) FROM activity_daily"))
    info = (f"{report_s:.2f} s here for {EVENTS:,} events ({rollup:,} roll-up rows), {report_s / baseline:.2f}× "
            f"a COUNT(*) of the events ({baseline:.2f} s); scaled {scaled:.2f} s; Python heap peak "
            f"{peak_mb:.1f} MB (≤ {MEMORY_MB}); loading took {load_s:.0f} s")
    ok_memory = peak_mb <= MEMORY_MB
    return Result(f"(j) activity report, {EVENTS:,} events, {label} (scaled ÷ {target_s:.0f} s)",
                  scaled / target_s if ok_memory else max(1.01, scaled / target_s), 1.0, "x", info)


@contextmanager
def _sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        try:
            yield store
        finally:
            store.dispose()


def bench_sqlite() -> Result:
    with _sqlite_store() as store:
        return _measure("SQLite", store, 3.0)


def bench_pg() -> Result:
    if not pg_answers():
        return skipped("(j) activity report, PostgreSQL", "PostgreSQL server not answering")
    with pg_store() as store:
        return _measure("PostgreSQL", store, 2.0)


def run() -> list[Result]:
    return [bench_sqlite(), bench_pg()]


