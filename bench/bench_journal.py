"""Benchmarks of the class journal (issue 7's numbers).

(a) Opening the journal of a class of 30 students with 60 lessons (about 600 marks, 120 attendance records)
    under 300 ms: what the grid screen's worker does — JournalService.open, the term's suggestions and the
    terms to move between (journal_workers.load_journal) — then the grid's render model (GridModel) and the
    text of every one of its 30 × 61 cells (more than the 80×24 screen ever draws at once).
(b) Saving one mark under 50 ms: JournalService.set_mark through the worker function, as the grid does it
    (a new mark, then a change of it, alternating).
(c) For information, the same journal opened in a headless app at 80×24: from pushing the grid screen to the
    grid holding its model (worker thread, message, first layout).

Times are scaled to the reference machine by the fixed CPU loop of bench/common.py timed in this run (the
project's convention: the machine is shared and noisy); the absolute times are printed too. SQLite, and
PostgreSQL when ZHURNAL_BENCH_PG answers.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import PG_URL, Result, cpu_baseline, pg_answers, pg_store, skipped  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from zhurnal.core.models import (  # noqa: E402
    AcademicYear,
    Attendance,
    Enrolment,
    GradeLevel,
    Lesson,
    Mark,
    Order,
    Person,
    SchoolClass,
    StaffPosition,
    User,
    WorkType,
)
from zhurnal.core.permissions import Actor  # noqa: E402
from zhurnal.core.services.assignments import AssignmentService  # noqa: E402
from zhurnal.core.services.journal_rules import DEFAULT_WORK_TYPES  # noqa: E402
from zhurnal.core.services.schools import SchoolService  # noqa: E402
from zhurnal.core.services.subjects import SubjectService  # noqa: E402
from zhurnal.core.services.years import YearService  # noqa: E402
from zhurnal.core.store import Store  # noqa: E402
from zhurnal.core.validation import fold  # noqa: E402
from zhurnal.tui.app import journal_workers  # noqa: E402
from zhurnal.tui.app.context import Context  # noqa: E402
from zhurnal.tui.app.widgets.journal_model import GridModel  # noqa: E402

SEED_DAY = date(2026, 9, 1)
STUDENTS, LESSONS = 30, 60
OPEN_TARGET_S, SAVE_TARGET_S = 0.300, 0.050
# The fixed CPU loop on the reference machine (2 vCPU, 2026-11-28): the same figure as bench_demo.CPU_REF_S.
CPU_REF_S = 0.091
REPEAT = 7


@contextmanager
def _sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-") as folder:
        store = Store(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        try:
            yield store
        finally:
            store.dispose()


def _journal(store: Store) -> tuple[Context, int, int, list[int]]:
    """A school with one class of 30, its mathematics journal of 60 lessons in the term holding `today`, marks
    in a third of the cells and some absences. Returns the teacher's Context, the assignment, the newest
    lesson and the students."""
    store.upgrade()
    created = SchoolService(store).initialise(name="Школа", code="bench", admin_login="admin",
                                              admin_password="bench password 42", today=SEED_DAY)
    admin, sid = created.admin, created.school_id
    with store.session() as s:
        year = s.scalars(select(AcademicYear).where(AcademicYear.school_id == sid)).first()
        assert year is not None
        level = s.scalars(select(GradeLevel).where(GradeLevel.school_id == sid, GradeLevel.number == 7)).one()
        school_class = SchoolClass(school_id=sid, year_id=year.id, grade_level_id=level.id, parallel=7, letter="А",
                                   name="7А")
        teacher = Person(school_id=sid, last_name="Учитель", first_name="Анна", name_key=fold("Учитель Анна"))
        order = Order(school_id=sid, number="1-к", order_date=SEED_DAY, order_year=SEED_DAY.year, kind="hire",
                      title="Приказ")
        s.add_all([school_class, teacher, order])
        s.flush()
        s.add(StaffPosition(school_id=sid, person_id=teacher.id, position="Учитель", start_date=SEED_DAY,
                            start_order_id=order.id))
        students = []
        for i in range(STUDENTS):
            person = Person(school_id=sid, last_name=f"Ученик{i:02d}", first_name="Иван",
                            name_key=fold(f"Ученик{i:02d} Иван"), birth_date=date(2013, 1, 1))
            s.add(person)
            s.flush()
            s.add(Enrolment(school_id=sid, person_id=person.id, class_id=school_class.id, start_date=SEED_DAY,
                            start_reason="enrolment", start_order_id=order.id))
            students.append(person.id)
        user = User(login="teacher", person_id=teacher.id, school_id=sid)
        s.add(user)
        s.commit()
        class_id, teacher_id, user_id, year_id = school_class.id, teacher.id, user.id, year.id
    terms = sorted(YearService(store).terms(admin, year_id, kind="quarter"), key=lambda term: term.start)
    term = terms[1]
    subject = SubjectService(store).create(admin, "Математика")
    assignment = AssignmentService(store).assign(admin, class_id, subject.id, teacher_id, today=term.start)
    days = [d for d in (term.start + timedelta(days=i) for i in range((term.end - term.start).days + 1))
            if d.weekday() < 5]
    slots = [(d, n) for d in days for n in (1, 2)][:LESSONS]
    today = slots[-1][0]
    with store.session() as s:
        work_type = ensure_work_types_in(s, sid)
        lessons = [Lesson(school_id=sid, assignment_id=assignment.id, class_id=class_id, day=d, number=n,
                          topic=f"Тема {i}", homework=f"§ {i}") for i, (d, n) in enumerate(slots)]
        s.add_all(lessons)
        s.flush()
        for li, lesson in enumerate(lessons):
            for si, student in enumerate(students):
                if (li + si) % 3 == 0:
                    s.add(Mark(school_id=sid, lesson_id=lesson.id, student_id=student, work_type_id=work_type,
                               value=str(2 + (li * si) % 4), entered_by=user_id))
                elif (li * 7 + si) % 15 == 0:
                    s.add(Attendance(school_id=sid, lesson_id=lesson.id, student_id=student, status="absent",
                                     entered_by=user_id))
            lesson.attendance_taken = True
        s.commit()
        newest = lessons[-1].id
    actor = Actor(user_id, "teacher", sid, frozenset({"teacher"}), teacher_id)
    return Context(store, actor=actor, today=today), assignment.id, newest, students


def ensure_work_types_in(session: Session, school_id: int) -> int:
    """The school's default work type, created as the core does the first time a mark is set."""
    rows = list(session.scalars(select(WorkType).where(WorkType.school_id == school_id)))
    if not rows:
        session.add_all([WorkType(school_id=school_id, name=name, weight=weight, is_default=default)
                         for name, weight, default in DEFAULT_WORK_TYPES])
        session.flush()
    found = session.scalar(select(WorkType.id).where(WorkType.school_id == school_id, WorkType.is_default))
    assert found is not None
    return int(found)


def _open_once(ctx: Context, assignment_id: int) -> tuple[int, int]:
    data = journal_workers.load_journal(ctx, assignment_id)
    model = GridModel(data.view, data.term_rows)
    cells = sum(len(model.cell_text(row, col)) for row in range(model.rows) for col in range(model.term_col + 1))
    return len(data.view.marks), cells


def _headless_open(ctx: Context, assignment_id: int) -> float:
    """Seconds from pushing the grid screen in a headless 80×24 app to the grid holding its model."""
    from zhurnal.core.config import Config
    from zhurnal.tui.app import create_app
    from zhurnal.tui.app.screens.journal_grid import JournalGridScreen
    from zhurnal.tui.app.widgets.journal_grid import JournalGrid

    app = create_app(ctx.store, config=Config(), actor=ctx.actor, today=ctx.today)
    elapsed: list[float] = []

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            for _ in range(3):
                start = time.perf_counter()
                screen = JournalGridScreen(assignment_id)
                await app.push_screen(screen)
                grid = screen.query_one(JournalGrid)
                while grid.model is None:
                    await asyncio.sleep(0.001)
                await pilot.pause()
                elapsed.append(time.perf_counter() - start)
                app.pop_screen()
                await pilot.pause()

    asyncio.run(main())
    return min(elapsed)


def bench_journal(label: str, make_store: Callable[[], AbstractContextManager[Store]]) -> list[Result]:
    before = cpu_baseline()
    with make_store() as store:
        ctx, assignment_id, lesson_id, students = _journal(store)
        opens = []
        marks = cells = 0
        for _ in range(REPEAT):
            start = time.perf_counter()
            marks, cells = _open_once(ctx, assignment_id)
            opens.append(time.perf_counter() - start)
        saves = []
        for i in range(REPEAT * 3):
            student = students[i % len(students)]
            value = "5" if (i // len(students)) % 2 == 0 else "4"
            start = time.perf_counter()
            journal_workers.save_mark(ctx, lesson_id, student, value, None)
            saves.append(time.perf_counter() - start)
        headless = _headless_open(ctx, assignment_id)
    cpu_now = min(before, cpu_baseline())
    scale = CPU_REF_S / cpu_now
    best_open, median_save = min(opens), statistics.median(saves)
    cpu = f"CPU loop {cpu_now * 1000:.0f} ms vs {CPU_REF_S * 1000:.0f} ms on the reference machine"
    return [
        Result(f"(a) open a journal of {STUDENTS}×{LESSONS}, {label} (s, scaled)", best_open * scale, OPEN_TARGET_S,
               "s", f"{best_open * 1000:.0f} ms here (best of {REPEAT}; {best_open / OPEN_TARGET_S:.2f}× of the "
                    f"target), {marks} marks, {cells} cell characters; {cpu}"),
        Result(f"(b) save a mark, {label} (s, scaled)", median_save * scale, SAVE_TARGET_S, "s",
               f"{median_save * 1000:.1f} ms here (median of {len(saves)}; {median_save / SAVE_TARGET_S:.2f}× of "
               f"the target)"),
        Result(f"(c) the grid screen opens at 80×24, {label} (s, scaled, information)", headless * scale, 1.0, "s",
               f"{headless * 1000:.0f} ms here from push to the model shown (best of 3)"),
    ]


def run() -> list[Result]:
    results = bench_journal("SQLite", _sqlite_store)
    if pg_answers():
        results += bench_journal("PostgreSQL", pg_store)
    else:
        results.append(skipped("journal, PostgreSQL",
                               f"no PostgreSQL answers at {make_url(PG_URL).render_as_string(hide_password=True)}"))
    return results


if __name__ == "__main__":
    from run import print_table

    print_table(run())
