"""Benchmark of the academic year's life cycle on the 1,100-student demo school (issue #8).

(a) closing the year: `plan_close` + `preview` + `apply_close` (orders, ~2,100 enrolment changes, the archive
    with the movement book as XLSX and PDF, the undo record) on SQLite, and on PostgreSQL when
    ZHURNAL_BENCH_PG answers: seconds scaled to the reference machine by the fixed CPU loop (≤ 2 s).
(b) opening the next year (propose + apply: 22 classes, curriculum, assignments) and undoing the closing
    are reported for information.

`python bench/bench_year.py` prints the table for this module alone.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import Result, cpu_baseline, pg_answers, pg_store, skipped  # noqa: E402

from zhurnal.core.store import Store  # noqa: E402

TODAY = date(2026, 11, 28)
TARGET_S = 2.0
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
    return results


if __name__ == "__main__":
    from run import print_table

    print_table(run())
