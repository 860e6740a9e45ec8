"""Benchmark of the school-wide term-mark suggestions (issue 7: "term-mark suggestions for a 1,100-student
school in under 2 s").

The demo school (about 1,100 students) with its full first quarter of marks (about 50,000, see docs/demo.md):
`TermMarkService.suggest_school` for the first quarter, as the deputy asks for it before the term closes.

(a) seconds scaled to the reference machine by the fixed CPU loop of bench/common.py timed in this run:
    target 2 s;
(b) the same call against a baseline from the same run: a plain SELECT of the very rows it reads (student,
    subject, class, value, weight of every live mark of the term), fetched and thrown away. The service does
    the averaging, rounding and sorting on top; target: at most 5× the bare read.

SQLite, and PostgreSQL when ZHURNAL_BENCH_PG answers. Mark saving (`JournalService.set_mark`, < 50 ms) is
measured by bench_journal.py.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import Result, best_time, cpu_baseline, pg_answers, pg_store, skipped  # noqa: E402
from sqlalchemy import select  # noqa: E402

from zhurnal.core.demo.generator import build_demo  # noqa: E402
from zhurnal.core.models import Lesson, Mark, TeachingAssignment, Term, WorkType  # noqa: E402
from zhurnal.core.permissions import Actor  # noqa: E402
from zhurnal.core.services.term_marks import TermMarkService  # noqa: E402
from zhurnal.core.store import Store  # noqa: E402

TODAY = date(2026, 11, 28)  # the first quarter of 2026/2027 is over: every mark of it is in
TARGET_S = 2.0
RATIO_TARGET = 5.0
CPU_REF_S = 0.091  # the fixed CPU loop on the reference machine (as bench_demo.CPU_REF_S)


@contextmanager
def _sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-") as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        try:
            yield store
        finally:
            store.dispose()


def _plain_select(store: Store, school_id: int, start: date, end: date) -> int:
    """The baseline: the rows suggest_school reads, fetched through the same engine and nothing else."""
    query = (select(Mark.student_id, TeachingAssignment.subject_id, Lesson.class_id, Mark.value, WorkType.weight)
             .join(Lesson, Lesson.id == Mark.lesson_id)
             .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
             .join(WorkType, WorkType.id == Mark.work_type_id)
             .where(Mark.school_id == school_id, Mark.deleted_at.is_(None), Lesson.deleted_at.is_(None),
                    Lesson.day >= start, Lesson.day <= end))
    with store.session(write=False) as session:
        return len(session.execute(query).all())


def bench_suggest_school(label: str, make_store: Callable[[], AbstractContextManager[Store]]) -> list[Result]:
    before = cpu_baseline()
    with make_store() as store:
        store.upgrade()
        summary = build_demo(store, seed=1, today=TODAY)
        school_id = summary.school_ids[0]
        with store.session(write=False) as session:
            term = session.scalars(select(Term).where(Term.school_id == school_id, Term.number == 1)).one()
            term_id, start, end = term.id, term.start_date, term.end_date
        actor = Actor.system("bench", school_id)
        service = TermMarkService(store)
        found = service.suggest_school(actor, term_id)  # warm: the first call pays for imports and caches
        seconds = best_time(lambda: service.suggest_school(actor, term_id))
        rows = _plain_select(store, school_id, start, end)
        baseline = best_time(lambda: _plain_select(store, school_id, start, end))
    cpu_now = min(before, cpu_baseline())
    scaled = seconds * CPU_REF_S / cpu_now
    info = (f"{seconds:.3f} s here for {len(found):,} suggestions from {rows:,} marks of "
            f"{summary.students:,} students; plain SELECT of the same rows {baseline:.3f} s; CPU loop "
            f"{cpu_now * 1000:.0f} ms vs {CPU_REF_S * 1000:.0f} ms on the reference machine")
    return [Result(f"(a) term-mark suggestions, whole school, {label} (s, scaled)", scaled, TARGET_S, "s", info),
            Result(f"(b) term-mark suggestions ÷ plain SELECT of the same rows, {label}", seconds / baseline,
                   RATIO_TARGET, "x", info)]


def run() -> list[Result]:
    results = bench_suggest_school("SQLite", _sqlite_store)
    if pg_answers():
        results += bench_suggest_school("PostgreSQL", pg_store)
    else:
        results.append(skipped("term-mark suggestions, PostgreSQL", "ZHURNAL_BENCH_PG does not answer"))
    return results


if __name__ == "__main__":
    from run import print_table

    print_table(run())
