"""The quarterly activity report on both engines: exact figures per role, teacher and class, the previous
term beside the current one, the roll-up the report reads, and the audited purge that keeps the figures."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.helpers import records
from tests.test_journal import World, world  # noqa: F401  (the fixture)
from zhurnal.core import activity
from zhurnal.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import ActivityDaily, ActivityEvent, ActivityPurge, RoleGrant
from zhurnal.core.permissions import Actor
from zhurnal.core.services.activity_report import ActivityReport, ActivityReportService
from zhurnal.core.services.diary import DiaryService
from zhurnal.core.services.journal import JournalService
from zhurnal.core.services.settings import SettingsService

Q1 = (date(2026, 9, 1), date(2026, 10, 26))
Q2_DAY = date(2026, 11, 16)  # a Monday in the second quarter
TODAY = date(2026, 11, 27)


def grant(store, actor: Actor, *roles: str) -> None:
    with store.session() as s:
        for role in roles:
            s.add(RoleGrant(user_id=actor.user_id, role=role, school_id=actor.school_id))
        s.commit()


def login(store, actor: Actor, day: date, times: int = 1) -> None:
    with store.session() as s:
        for _ in range(times):
            activity.record(s, school_id=actor.school_id or 0, user_id=actor.user_id or 0, kind="login", day=day)
        s.commit()


@pytest.fixture
def graded(store, world: World) -> World:  # noqa: F811  (the imported fixture)
    """The world's accounts hold their roles; the teacher is also a parent (two roles, one account)."""
    grant(store, world.teacher, "teacher", "parent")
    grant(store, world.other_teacher, "teacher")
    grant(store, world.parent, "parent")
    grant(store, world.student, "student")
    return world


def term_id(store, admin, number: int) -> int:
    return ActivityReportService(store).find_term(admin, number, "2026/2027", today=TODAY)


def report(store, admin, number: int = 2, **kwargs) -> ActivityReport:
    return ActivityReportService(store).for_term(admin, term_id(store, admin, number), today=TODAY, **kwargs)


def test_roles_count_accounts_activation_and_logins_once_per_person(store, admin, graded):
    login(store, graded.teacher, Q2_DAY, times=3)
    login(store, graded.student, Q2_DAY)
    login(store, graded.parent, Q1[0])  # activated in the first quarter, idle in the second
    roles = {r.group: r for r in report(store, admin).school.roles}
    assert (roles["teachers"].accounts, roles["teachers"].active, roles["teachers"].logins) == (2, 1, 3)
    assert (roles["parents"].accounts, roles["parents"].activated, roles["parents"].active) == (2, 2, 1)
    assert roles["parents"].share_active == 50.0
    assert (roles["students"].accounts, roles["students"].active) == (1, 1)
    # Staff includes the seeded administrator (who never logged in through the service here).
    assert roles["staff"].accounts == 3
    total = roles["total"]  # the teacher-parent is one account in the totals
    assert (total.accounts, total.active, total.logins) == (5, 2, 4)


def test_teachers_lessons_fill_rate_and_late_marks(store, admin, graded):
    journal = JournalService(store)
    on_day = journal.add_lesson(graded.teacher, graded.assignment_id, Q2_DAY, 1, "Дроби", "№ 1", today=Q2_DAY)
    journal.add_lesson(graded.teacher, graded.assignment_id, date(2026, 11, 17), 1, "Тема", today=Q2_DAY)
    journal.add_lesson(graded.teacher, graded.assignment_id, date(2026, 11, 18), 1, today=Q2_DAY)
    journal.add_lesson(graded.teacher, graded.assignment_id, date(2026, 12, 20), 1, "Потом", today=Q2_DAY)  # ahead
    a, b, c = graded.students
    journal.set_mark(graded.teacher, on_day.id, a, "5", today=Q2_DAY)  # on the lesson day
    journal.set_mark(graded.teacher, on_day.id, b, "4", today=date(2026, 11, 17))  # the next day: still on time
    journal.set_mark(graded.teacher, on_day.id, c, "3", today=date(2026, 11, 20))  # four days later: late
    rows = {t.name: t for t in report(store, admin).school.teachers}
    mine = rows["Иванова Мария"]
    assert (mine.lessons, mine.with_topic, mine.with_homework) == (3, 2, 1)  # the December lesson is not held
    assert (mine.marks, mine.marks_on_time, mine.marks_late, mine.fill_rate) == (3, 2, 1, 66.7)
    assert "Кузнецов Олег" not in rows  # no assignment this year: not a teacher of the report
    strict = report(store, admin, late_days=0).school.teachers[0]
    assert (strict.marks_on_time, strict.marks_late) == (1, 2)


def test_classes_parents_viewing_the_diary_students_active_and_attendance(store, admin, graded):
    journal = JournalService(store)
    lesson = journal.add_lesson(graded.teacher, graded.assignment_id, Q2_DAY, 1, today=Q2_DAY)
    journal.add_lesson(graded.teacher, graded.assignment_id, date(2026, 11, 17), 1, today=Q2_DAY)
    journal.take_attendance(graded.teacher, lesson.id, today=Q2_DAY)
    DiaryService(store).week(graded.parent, graded.students[0], Q2_DAY, today=Q2_DAY)
    DiaryService(store).week(graded.student, graded.students[0], Q2_DAY, today=Q2_DAY)  # not a parent's view
    login(store, graded.student, Q2_DAY)
    [row] = report(store, admin).school.classes
    assert (row.name, row.students, row.students_active) == ("5А", 3, 1)
    assert (row.parents, row.parents_viewed) == (1, 1)
    assert (row.lessons, row.attendance_taken, row.attendance_rate) == (2, 1, 50.0)


def test_the_previous_term_of_the_same_kind_is_beside_the_report(store, admin, graded):
    login(store, graded.student, Q1[0], times=2)
    login(store, graded.student, Q2_DAY)
    current = report(store, admin)
    assert current.title == "2 четверть 2026/2027" and current.previous is not None
    assert current.previous.title == "1 четверть 2026/2027"
    students = {r.group: r for r in current.previous.school.roles}["students"]
    assert students.logins == 2
    assert report(store, admin, number=1).previous is None  # the seeded school has no earlier year


def test_the_rollup_agrees_with_the_events_and_purging_keeps_the_figures(store, admin, graded):
    journal = JournalService(store)
    lesson = journal.add_lesson(graded.teacher, graded.assignment_id, Q2_DAY, 1, "Тема", today=Q2_DAY)
    journal.set_mark(graded.teacher, lesson.id, graded.students[0], "5", today=date(2026, 11, 19))
    login(store, graded.teacher, Q1[0])
    login(store, graded.teacher, Q2_DAY, times=2)
    with store.session() as s:
        incremental = sorted(tuple(r) for r in s.execute(select(
            ActivityDaily.kind, ActivityDaily.day, ActivityDaily.user_id, ActivityDaily.class_id,
            ActivityDaily.lag, ActivityDaily.events)))
        written = activity.rebuild_rollup(s, graded.teacher.school_id)
        rebuilt = sorted(tuple(r) for r in s.execute(select(
            ActivityDaily.kind, ActivityDaily.day, ActivityDaily.user_id, ActivityDaily.class_id,
            ActivityDaily.lag, ActivityDaily.events)))
        everywhere = activity.rebuild_rollup(s)  # every school: the same rows (one school has events)
        s.commit()
    # The count of roll-up rows written, on both engines (PostgreSQL's rowcount of INSERT ... SELECT is -1).
    assert written == everywhere == len(rebuilt) == 4
    assert incremental == rebuilt and ("mark", date(2026, 11, 19), graded.teacher.user_id, graded.class_id, 3,
                                       1) in rebuilt
    first = report(store, admin, number=1)
    SettingsService(store).set(admin, "activity_retention_days", 90)
    removed = ActivityReportService(store).purge(admin, today=date(2027, 1, 20))  # keeps from 22.10.2026
    assert removed == 1
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(ActivityEvent).where(
            ActivityEvent.day < date(2026, 10, 22))) == 0
    assert report(store, admin, number=1) == first  # the figures outlive the events
    assert records(store, "activity.purge")[-1].detail == "before 2026-10-22: 1 events"


def test_refusals_and_bad_periods(store, admin, graded):
    service = ActivityReportService(store)
    with pytest.raises(PermissionDenied):
        service.for_dates(graded.teacher, Q1[0], Q1[1])
    with pytest.raises(ValidationFailed, match="позже"):
        service.for_dates(admin, Q1[1], Q1[0])
    with pytest.raises(NotFound, match="нет периода № 5: четверти — с 1 по 4"):
        service.find_term(admin, 5, "2026/2027")
    with pytest.raises(PermissionDenied, match="районная"):  # other schools' figures: an audited refusal
        service.for_dates(admin, Q1[0], Q1[1], district=True)
    assert [r.outcome for r in records(store, "activity_report.for_dates")] == ["denied", "denied"]
    dates = service.for_dates(admin, *Q1, today=TODAY)
    assert dates.title == "01.09.2026 – 26.10.2026" and dates.previous is None


# ------------------------------------------------------------------------------------------ files and CLI


def test_the_report_as_xlsx_with_charts_pdf_and_csv_agree(store, admin, graded, tmp_path):
    import csv
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from zhurnal.core.reports.activity import render, tables

    login(store, graded.student, Q2_DAY)
    journal = JournalService(store)
    lesson = journal.add_lesson(graded.teacher, graded.assignment_id, Q2_DAY, 1, "=HYPERLINK(1)", today=Q2_DAY)
    journal.set_mark(graded.teacher, lesson.id, graded.students[0], "5", today=Q2_DAY)
    result = report(store, admin)
    shown = tables(result)
    assert [t.title for t in shown] == ["По ролям", "По учителям", "По классам"]
    book = load_workbook(io.BytesIO(render(result, "xlsx")))
    assert book.sheetnames == ["По ролям", "По учителям", "По классам"]
    teachers = book["По учителям"]
    assert [c.value for c in teachers[2]][:5] == ["Учитель", "Уроков", "С темой", "С д/з", "Отметок"]
    assert [c.value for c in teachers[3]][:5] == ["Иванова Мария", 1, 1, 0, 1]
    assert all(len(book[name]._charts) == 1 for name in book.sheetnames)  # a native chart on every sheet
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render(result, "pdf"))).pages)
    assert "По учителям" in text and "Иванова Мария" in text
    raw = render(result, "csv")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    students = next(r for r in rows if r and r[0] == "Обучающиеся")
    assert students[1:4] == ["1", "1", "1"]


def test_report_activity_on_the_command_line(store, admin, graded, tmp_path, monkeypatch):
    import io

    from openpyxl import load_workbook

    from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
    from zhurnal.tui.cli import main

    login(store, graded.student, Q2_DAY)
    url = store.engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main(["--db", url, "--user", ADMIN_LOGIN, "--password-stdin", "report", *args],
                     stdin=io.StringIO(ADMIN_PASSWORD + "\n"), stdout=out)
        return code, out.getvalue()

    target = tmp_path / "q2.xlsx"
    code, printed = run("activity", "--term", "2", "--year", "2026/2027", "--out", str(target))
    assert code == 0 and "2 четверть 2026/2027" in printed and target.exists()
    roles = load_workbook(target)["По ролям"]
    assert [c.value for c in roles[3]][:2] == ["Сотрудники", 3]  # the administrator and the two teachers
    code, _ = run("activity", "--from", "01.09.2026", "--to", "2026-10-26", "--out", str(tmp_path / "q1.csv"))
    assert code == 0 and (tmp_path / "q1.csv").read_bytes().startswith("\ufeff".encode())
    assert run("activity", "--term", "2", "--out", str(tmp_path / "q.txt"))[0] == 2  # unknown extension
    assert run("activity", "--out", str(tmp_path / "q.csv"))[0] == 2  # no period
    assert run("activity", "--term", "9", "--out", str(tmp_path / "q.csv"))[0] == 1  # no such term
    assert not (tmp_path / "q.csv").exists()
    code, printed = run("purge-activity")
    assert code == 0 and "Удалено событий" in printed


def test_report_activity_names_an_output_it_cannot_write(store, admin, graded, tmp_path, capsys):
    import io

    from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
    from zhurnal.tui.cli import main

    url = store.engine.url.render_as_string(hide_password=False)
    code = main(["--db", url, "--user", ADMIN_LOGIN, "--password-stdin", "report", "activity", "--term", "2",
                 "--year", "2026/2027", "--format", "csv", "--out", str(tmp_path)],
                stdin=io.StringIO(ADMIN_PASSWORD + "\n"), stdout=io.StringIO())
    assert code == 2 and "--out" in capsys.readouterr().err


def test_the_auditor_reads_the_report_but_cannot_purge_the_events(store, admin, graded):
    # The auditor's role is read-only ("changes nothing"); purging deletes events, so it needs more than the
    # action that lets one read the report.
    login(store, graded.teacher, Q1[0])
    auditor = Actor(admin.user_id, "auditor", admin.school_id, frozenset({"auditor"}))
    SettingsService(store).set(admin, "activity_retention_days", 90)
    service = ActivityReportService(store)
    assert service.for_dates(auditor, *Q1, today=TODAY).title
    with pytest.raises(PermissionDenied):
        service.purge(auditor, today=date(2027, 1, 20))
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(ActivityEvent).where(ActivityEvent.day == Q1[0])) == 1
    assert [r.outcome for r in records(store, "activity_report.purge")] == ["denied"]
    assert service.purge(admin, today=date(2027, 1, 20)) >= 1


def test_the_rollup_of_a_school_whose_events_were_purged_is_not_rebuilt(store, admin, graded):
    login(store, graded.teacher, Q1[0])
    login(store, graded.teacher, Q2_DAY)
    SettingsService(store).set(admin, "activity_retention_days", 90)
    service = ActivityReportService(store)
    assert service.purge(admin, today=date(2026, 11, 29)) == 0  # removed nothing: the events still add up
    with store.session() as s:
        activity.rebuild_rollup(s, graded.teacher.school_id)  # allowed
        s.commit()
    figures = report(store, admin, number=1)
    assert service.purge(admin, today=date(2027, 1, 20)) == 1
    with store.session() as s:
        assert [(p.purged_before, p.events) for p in s.scalars(select(ActivityPurge))] == [(date(2026, 10, 22), 1)]
        for school_id in (graded.teacher.school_id, None):  # one school, or every school
            with pytest.raises(activity.EventsPurged, match=r"школы № \d+ \(до 22\.10\.2026\) старые события "
                                                            "удалены"):
                activity.rebuild_rollup(s, school_id)
    assert report(store, admin, number=1) == figures  # the roll-up still counts the purged login
