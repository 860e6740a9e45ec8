"""Benchmark of the academic year's life cycle on the 1,100-student demo school (issue #8).

(a) closing the year: `plan_close` + `preview` + `apply_close` (orders, ~2,100 enrolment changes, the archive
    with the summary of final marks and the movement book as XLSX and PDF, the undo record) on SQLite, and on
    PostgreSQL when ZHURNAL_BENCH_PG answers: seconds scaled to the reference machine by the fixed CPU loop (≤ 2 s).
(b) opening the next year (propose + apply: 22 classes, curriculum, assignments) and undoing the closing
    are reported for information.
(c) the demo district (50 schools, about 55,000 students; BENCH_QUICK=1: 5) on SQLite, in a child process:
    every school's year opened, then planned and closed; plan + apply seconds scaled to the reference
    machine (≤ 30 s per 50 schools) and the child's peak memory (ru_maxrss, < 500 MB).

`python bench/bench_year.py` prints the table for this module alone.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import Result, cpu_baseline, pg_answers, pg_store, skipped  # noqa: E402

from zhurnal.core.demo.year_marks import give_year_marks  # noqa: E402
from zhurnal.core.store import Store  # noqa: E402

TODAY = date(2026, 11, 28)
TARGET_S = 2.0
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
DISTRICT_SCHOOLS = 5 if QUICK else 50
DISTRICT_TARGET_S = 30.0 * DISTRICT_SCHOOLS / 50
MEMORY_TARGET_MB = 500.0
# Linux carries ru_maxrss across exec: a tiny launcher starts the child from a small process (as bench_demo).
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
CPU_REF_S = 0.091  # bench_demo.py's fixed CPU loop on the reference machine (2 vCPU, 2026-11-28)
PASSWORD = "correct horse battery staple 42"


def _measure(store: Store, folder: Path) -> dict[str, float | int]:
    import fpdf  # noqa: F401 - imported before timing: module loading is not the operation
    import openpyxl  # noqa: F401

    from zhurnal.core.demo.generator import build_demo
    from zhurnal.core.passwords import hash_password
    from zhurnal.core.services.accounts import AuthService
    from zhurnal.core.services.calendar import default_terms
    from zhurnal.core.services.promotion import OrderRef, PromotionService
    from zhurnal.core.services.rollover import RolloverService
    from zhurnal.core.services.years import TermInput, YearService

    store.upgrade()
    build_demo(store, seed=1, today=TODAY, admin_login="admin", admin_password_hash=hash_password(PASSWORD))
    give_year_marks(store)
    actor = AuthService(store).login("admin", PASSWORD).actor
    old = YearService(store).list(actor)[0]
    rollover, promotion = RolloverService(store), PromotionService(store)
    terms = [TermInput("quarter", n, name, s, e) for n, (name, s, e) in enumerate(default_terms(2027, "quarter"), 1)]
    started = time.perf_counter()
    rollover.apply_open(actor, rollover.propose_open(actor, "2027/2028", date(2027, 9, 1), date(2028, 8, 31),
                                                     terms))
    opened = time.perf_counter() - started
    orders = {"promotion": OrderRef("101-у", date(2027, 5, 30)), "graduation": OrderRef("102-у", date(2027, 6, 25))}
    started = time.perf_counter()
    plan = promotion.plan_close(actor, old.id, orders=orders)
    preview = promotion.preview(actor, plan)
    planned = time.perf_counter() - started
    assert preview.ok, preview.problems[:3]
    started = time.perf_counter()
    report = promotion.apply_close(actor, plan, archive_dir=folder)
    applied = time.perf_counter() - started
    started = time.perf_counter()
    rollover.undo_last(actor)
    undone = time.perf_counter() - started
    return {"open": opened, "plan": planned, "apply": applied, "undo": undone, "students": len(report.items)}


def _result(engine: str, figures: dict[str, float | int], cpu: float) -> Result:
    seconds = float(figures["plan"]) + float(figures["apply"])
    scaled = seconds * CPU_REF_S / cpu
    info = (f"plan {figures['plan']:.2f} s + apply {figures['apply']:.2f} s for {figures['students']:,} students "
            f"(open {figures['open']:.2f} s, undo {figures['undo']:.2f} s); CPU loop {cpu:.3f} s")
    return Result(f"(a) close the year, {engine}: plan + apply, demo school", scaled, TARGET_S, "s", info)


def _district_child(schools: int, database: str) -> None:
    """Child process: build the district, open and close every school's year; print the figures as JSON."""
    import fpdf  # noqa: F401 - imported before timing
    import openpyxl  # noqa: F401
    from sqlalchemy import select

    from zhurnal.core.demo.generator import build_demo
    from zhurnal.core.models import AcademicYear, School
    from zhurnal.core.permissions import Actor
    from zhurnal.core.services.calendar import default_terms
    from zhurnal.core.services.promotion import OrderRef, PromotionService
    from zhurnal.core.services.rollover import RolloverService
    from zhurnal.core.services.years import TermInput

    store = Store(f"sqlite:///{database}")
    store.upgrade()
    build_demo(store, seed=1, schools=schools, today=TODAY)
    give_year_marks(store)
    with store.session(write=False) as session:
        years = {sid: yid for sid, yid in session.execute(select(School.id, AcademicYear.id).join(
            AcademicYear, AcademicYear.school_id == School.id))}
    terms = [TermInput("quarter", n, name, s, e) for n, (name, s, e) in enumerate(default_terms(2027, "quarter"), 1)]
    orders = {"promotion": OrderRef("101-у", date(2027, 5, 30)), "graduation": OrderRef("102-у", date(2027, 6, 25))}
    rollover, promotion = RolloverService(store), PromotionService(store)
    opened = closed = 0.0
    students = 0
    for school_id, year_id in sorted(years.items()):
        actor = Actor(None, "bench:year", school_id, frozenset({"admin"}))
        started = time.perf_counter()
        rollover.apply_open(actor, rollover.propose_open(actor, "2027/2028", date(2027, 9, 1), date(2028, 8, 31),
                                                         terms))
        opened += time.perf_counter() - started
        started = time.perf_counter()
        plan = promotion.plan_close(actor, year_id, orders=orders)
        students += len(promotion.apply_close(actor, plan, archive_dir=Path(database).parent / "archive").items)
        closed += time.perf_counter() - started
    store.dispose()
    print(json.dumps({"open": opened, "close": closed, "students": students,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def bench_district() -> list[Result]:
    before = cpu_baseline()
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-year-") as folder:
        database = Path(folder) / "district.sqlite3"
        child = [sys.executable, str(Path(__file__).resolve()), "--district", str(DISTRICT_SCHOOLS), str(database)]
        env = {**os.environ, "ZHURNAL_DATA_DIR": str(Path(folder) / "data")}
        done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *child], capture_output=True, text=True,
                              check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"district year bench failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = min(before, cpu_baseline())
    label = f"(c) district: {DISTRICT_SCHOOLS} schools, SQLite"
    return [
        Result(f"{label}, close every year (plan + apply), scaled", float(figures["close"]) * CPU_REF_S / cpu,
               DISTRICT_TARGET_S, "s", f"{figures['close']:.1f} s here for {figures['students']:,} students "
               f"(opening: {figures['open']:.1f} s); CPU loop {cpu:.3f} s"),
        Result(f"{label}, peak memory (child ru_maxrss)", float(figures["peak_mb"]), MEMORY_TARGET_MB, "MB",
               "the whole child: interpreter, imports, the district build, every opening and closing"),
    ]


def run() -> list[Result]:
    cpu = cpu_baseline()
    results = []
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-year-") as name:
        folder = Path(name)
        os.environ.setdefault("ZHURNAL_DATA_DIR", str(folder / "data"))
        store = Store(f"sqlite:///{folder / 'demo.sqlite3'}")
        try:
            results.append(_result("SQLite", _measure(store, folder / "archive"), cpu))
        finally:
            store.dispose()
        if pg_answers():
            with pg_store() as pg:
                results.append(_result("PostgreSQL", _measure(pg, folder / "archive-pg"), cpu))
        else:
            results.append(skipped("(a) close the year, PostgreSQL", "no PostgreSQL server answers"))
    return results + bench_district()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--district":
        _district_child(int(sys.argv[2]), sys.argv[3])
    else:
        from run import print_table

        print_table(run())
