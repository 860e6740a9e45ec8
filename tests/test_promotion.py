"""Closing a year on the demo school: the plan, refusals, applying (twice), the protocol, the movement book,
the archive and the exact undo."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import date

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from tests import year_support
from tests.year_support import NEXT, ORDERS, next_terms, snapshot
from zhurnal.core.backup.format import tables_in_order
from zhurnal.core.errors import Conflict, PermissionDenied, ValidationFailed
from zhurnal.core.models import (
    AcademicYear,
    Enrolment,
    GradeLevel,
    Order,
    SchoolClass,
    TeachingAssignment,
    YearArchiveFile,
)
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.movements import MovementService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.promotion import OUTCOMES, PromotionService
from zhurnal.core.services.rollover import RolloverService
from zhurnal.core.services.years import YearService


@pytest.fixture
def demo(engine_name, request, tmp_path_factory, tmp_path):
    yield from year_support.demo_store(engine_name, request, tmp_path_factory, tmp_path)


@pytest.fixture
def actor(demo):
    return year_support.admin_actor(demo)


def open_next(store, actor):
    name, start, end = NEXT
    service = RolloverService(store)
    return service.apply_open(actor, service.propose_open(actor, name, start, end, next_terms()))


def old_year(store, actor):
    return YearService(store).list(actor)[0]


def plan(store, actor, **kwargs):
    return PromotionService(store).plan_close(actor, old_year(store, actor).id, orders=ORDERS, **kwargs)


def active_count(store, year_id: int) -> int:
    with store.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Enrolment)
                                  .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
                                  .where(SchoolClass.year_id == year_id, Enrolment.end_date.is_(None))))


def test_the_plan_gives_every_active_student_one_outcome_from_the_grade_rules(demo, actor):
    open_next(demo, actor)
    proposed = plan(demo, actor)
    counts = proposed.counts()
    assert counts["total"] == active_count(demo, proposed.year_id) > 1000
    assert sum(counts[k] for k in OUTCOMES) == counts["total"] and counts["none"] == 0
    by_parallel = {}
    for s in proposed.students:
        by_parallel.setdefault(s.parallel, set()).add((s.outcome, s.target_class and s.target_class[:-1]))
    assert by_parallel[11] == {("graduate", None)}
    assert by_parallel[9] == {("continue", "10")}
    assert by_parallel[5] == {("promote", "6")}
    five_a = next(s for s in proposed.students if s.class_name == "5А")
    assert five_a.target_class == "6А"
    leaving = plan(demo, actor, after_basic="leave_basic")
    assert {s.outcome for s in leaving.students if s.parallel == 9} == {"leave_basic"}
    assert PromotionService(demo).preview(actor, proposed).ok


def test_closing_is_refused_before_the_new_year_is_opened(demo, actor):
    proposed = plan(demo, actor)
    with pytest.raises(ValidationFailed) as caught:
        PromotionService(demo).apply_close(actor, proposed)
    assert "Новый учебный год после 2026/2027 не открыт" in str(caught.value)


def test_closing_is_refused_while_a_student_has_no_outcome_or_a_grade_no_next_grade(demo, actor):
    open_next(demo, actor)
    proposed = plan(demo, actor)
    student = proposed.students[0]
    undecided = proposed.with_outcome(student.person_id, None)
    with demo.session() as session:
        five = session.scalar(select(GradeLevel).where(GradeLevel.number == 5))
        five.next_level_id = None
        session.commit()
    with pytest.raises(ValidationFailed) as caught:
        PromotionService(demo).apply_close(actor, undecided)
    message = str(caught.value)
    assert f"Решение не принято по 1 обучающимся: {student.class_name} {student.full_name}" in message
    assert "Параллель 5: не указан следующий класс, а параллель не выпускная" in message
    assert active_count(demo, proposed.year_id) == proposed.counts()["total"]


def test_missing_orders_and_wrong_outcomes_are_named_per_class(demo, actor):
    open_next(demo, actor)
    proposed = PromotionService(demo).plan_close(actor, old_year(demo, actor).id)
    eleventh = next(s for s in proposed.students if s.parallel == 11)
    fifth = next(s for s in proposed.students if s.parallel == 5)
    edited = (proposed.with_outcome(eleventh.person_id, "promote", target_class="6А")
              .with_outcome(fifth.person_id, "transfer_out"))
    problems = [p.message for p in PromotionService(demo).preview(actor, edited).problems]
    assert any(m.startswith("Не указан приказ «о переводе в следующий класс»") for m in problems)
    assert any(m.startswith(f"{eleventh.class_name}: из {eleventh.class_name} нет перевода") for m in problems)
    assert any(m.startswith(f"{fifth.class_name}: не указано, куда выбывают") for m in problems)


def test_applying_moves_everyone_by_order_and_a_second_run_does_nothing(demo, actor):
    opened = open_next(demo, actor)
    proposed = plan(demo, actor)
    service = PromotionService(demo)
    report = service.apply_close(actor, proposed)
    assert len(report.items) == proposed.counts()["total"]
    assert set(report.orders_created) == {"№ 101-у от 30.05.2027", "№ 102-у от 25.06.2027"}
    started = [i for i in report.items if i.started_enrolment_id]
    assert len(started) == proposed.counts()["promote"] + proposed.counts()["continue"]
    with demo.session(write=False) as session:
        year = session.get(AcademicYear, proposed.year_id)
        assert year.status == "closed"
        new = session.scalars(select(Enrolment).where(Enrolment.id.in_([i.started_enrolment_id
                                                                         for i in started]))).all()
        # the new year's first day, not the day the operation ran
        assert {e.start_date for e in new} == {opened.year.start}
        assert {e.start_reason for e in new} == {"promotion"}
        ended = session.scalars(select(Enrolment).where(Enrolment.id.in_([i.ended_enrolment_id
                                                                          for i in report.items]))).all()
        assert {e.end_date for e in ended} == {date(2027, 8, 31)}
        graduates = [e for e in ended if e.end_reason == "graduated"]
        assert len(graduates) == proposed.counts()["graduate"]
        order = session.scalar(select(Order).where(Order.number == "102-у"))
        assert order.kind == "graduation" and {e.end_order_id for e in graduates} == {order.id}
        five_a = next(i for i in report.items if i.from_class == "5А")
        moved = session.get(Enrolment, five_a.started_enrolment_id)
        assert session.get(SchoolClass, moved.class_id).name == "6А"
    assert active_count(demo, proposed.year_id) == 0

    again = service.apply_close(actor, plan(demo, actor))
    assert again.already_closed and again.items == ()
    with demo.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Enrolment).where(
            Enrolment.start_date == opened.year.start)) == len(started)


def test_edited_outcomes_reach_the_movement_book(demo, actor):
    open_next(demo, actor)
    proposed = plan(demo, actor)
    fives = [s for s in proposed.students if s.class_name == "5А"]
    retained, conditional, leaving = fives[0], fives[1], fives[2]
    edited = (proposed.with_outcome(retained.person_id, "retain", target_class="5Б")
              .with_outcome(conditional.person_id, "conditional", target_class="6А", debt="математика")
              .with_outcome(leaving.person_id, "transfer_out", destination="МБОУ СОШ № 7"))
    report = PromotionService(demo).apply_close(actor, edited)
    assert "№ 103-у от 30.06.2027" in report.orders_created
    book = MovementService(demo).book(actor, date(2026, 9, 1), date(2027, 8, 31))
    assert [r.person_id for r in book.lists["retained"]] == [retained.person_id]
    assert book.lists["retained"][0].counterpart == "5Б"
    assert [r.person_id for r in book.lists["conditional"]] == [conditional.person_id]
    departure = next(r for r in book.departures if r.person_id == leaving.person_id)
    assert departure.counterpart == "МБОУ СОШ № 7" and departure.order_number == "103-у"
    assert departure.birth_date == leaving.birth_date and departure.class_name == "5А"
    assert len(book.lists["graduated"]) == proposed.counts()["graduate"]
    assert len(book.lists["promoted"]) == proposed.counts()["promote"] + proposed.counts()["continue"] - 3
    assert book.arrivals and all(r.order_number for r in book.arrivals)
    sheets = CalamineWorkbook.from_filelike(io.BytesIO(MovementService(demo).export_xlsx(
        actor, date(2026, 9, 1), date(2027, 8, 31)))).sheet_names
    assert sheets == ["Прибыли", "Выбыли", "Переведены", "Переведены условно", "Оставлены на повторное обучение",
                      "Выпущены"]


def test_the_protocol_lists_every_student_with_the_order(demo, actor):
    open_next(demo, actor)
    proposed = plan(demo, actor)
    book = CalamineWorkbook.from_filelike(io.BytesIO(PromotionService(demo).protocol(actor, proposed)))
    rows = book.get_sheet_by_name("Протокол").to_python()
    assert rows[1][:6] == ["Класс", "ФИО", "Дата рождения", "Решение", "Куда", "Приказ"]
    body = rows[2:]
    assert len(body) == proposed.counts()["total"]
    five_a = next(r for r in body if r[0] == "5А")
    assert five_a[3] == OUTCOMES["promote"] and five_a[4] == "6А" and five_a[5] == "№ 101-у от 30.05.2027"
    totals = book.get_sheet_by_name("Итоги").to_python()
    assert totals[-1][0] == "Итого" and totals[-1][-1] == proposed.counts()["total"]


def test_the_archive_is_stored_with_its_manifest(demo, actor, tmp_path):
    open_next(demo, actor)
    report = PromotionService(demo).apply_close(actor, plan(demo, actor), archive_dir=tmp_path)
    assert [f.name for f in report.archive] == ["final-marks.xlsx", "final-marks.pdf", "movement-book.xlsx",
                                                "movement-book.pdf", "manifest.json"]
    with demo.session(write=False) as session:
        rows = {r.name: base64.b64decode(r.content) for r in session.scalars(select(YearArchiveFile))}
    manifest = json.loads(rows["manifest.json"])
    assert manifest["year"] == "2026/2027"
    for entry in manifest["files"]:
        assert hashlib.sha256(rows[entry["name"]]).hexdigest() == entry["sha256"]
        assert (report.archive_folder / entry["name"]).read_bytes() == rows[entry["name"]]
    assert rows["movement-book.pdf"].startswith(b"%PDF") and rows["final-marks.pdf"].startswith(b"%PDF")
    assert {e["name"] for e in manifest["files"]} == {f.name for f in report.archive} - {"manifest.json"}
    assert report.archive_folder.parent.parent == tmp_path
    # stored as rows, so every backup carries the archive (the backup dumps every table of the schema)
    assert "year_archive_files" in {t.name for t in tables_in_order()}


def test_the_archive_has_the_summary_of_final_marks_with_the_titles_of_that_year(demo, actor, tmp_path):
    from zhurnal.core.models import Person, Subject, TermMark

    with demo.session() as session:
        mark = session.scalars(select(TermMark).where(TermMark.class_name == "5А", TermMark.term_number == 0)
                               .order_by(TermMark.student_id, TermMark.subject_id)).first()
        assert mark is not None
        student = session.get(Person, mark.student_id)
        assert student is not None
        name = " ".join(p for p in (student.last_name, student.first_name, student.middle_name) if p)
        old_title, value = mark.subject_name, mark.value
        session.execute(TermMark.__table__.insert(), [{
            "school_id": mark.school_id, "year_id": mark.year_id, "term_kind": "quarter", "term_number": 4,
            "student_id": mark.student_id, "subject_id": mark.subject_id, "class_id": mark.class_id,
            "subject_name": old_title, "class_name": "5А", "value": "3", "confirmed_at": mark.confirmed_at,
            "version": 1}])
        subject = session.get(Subject, mark.subject_id)
        assert subject is not None
        subject.name = "Переименованный предмет"  # renamed after the marks were given
        session.commit()
    students = active_in(demo, "5А")
    open_next(demo, actor)
    PromotionService(demo).apply_close(actor, plan(demo, actor), archive_dir=tmp_path)
    with demo.session(write=False) as session:
        rows = {r.name: base64.b64decode(r.content) for r in session.scalars(select(YearArchiveFile))}
    manifest = json.loads(rows["manifest.json"])
    assert hashlib.sha256(rows["final-marks.xlsx"]).hexdigest() == next(
        e["sha256"] for e in manifest["files"] if e["name"] == "final-marks.xlsx")
    book = CalamineWorkbook.from_filelike(io.BytesIO(rows["final-marks.xlsx"]))
    sheet = book.get_sheet_by_name("5А").to_python()
    assert "5А" in sheet[0][0] and "2026/2027" in sheet[0][0]
    top, sub = sheet[1], sheet[2]
    assert "Переименованный предмет" not in top
    first = top.index(old_title)
    span = next((i for i in range(first + 1, len(top)) if top[i] != ""), len(top))
    columns = {label: first + i for i, label in enumerate(sub[first:span])}
    assert list(columns)[-1] == "год" and "4 ч" in columns  # the terms with marks, then the year
    row = next(r for r in sheet[3:] if r[1] == name)
    assert row[columns["4 ч"]] == 3 and row[columns["год"]] == int(value)
    # every active student of 5А has a row (year_support gives them all year marks)
    assert len(sheet) - 3 == students


def active_in(store, class_name: str) -> int:
    with store.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(Enrolment).join(SchoolClass)
                              .join(AcademicYear, AcademicYear.id == SchoolClass.year_id)
                              .where(SchoolClass.name == class_name, AcademicYear.name == "2026/2027",
                                     Enrolment.end_date.is_(None))) or 0


def test_undo_of_a_closing_restores_exactly_then_the_opening(demo, actor, tmp_path):
    before_open = snapshot(demo)
    open_next(demo, actor)
    before_close = snapshot(demo)
    PromotionService(demo).apply_close(actor, plan(demo, actor), archive_dir=tmp_path)
    rollover = RolloverService(demo)
    assert rollover.last_run(actor).kind == "close"
    rollover.undo_last(actor)
    assert snapshot(demo) == before_close
    rollover.undo_last(actor)
    assert snapshot(demo) == before_open


def test_undo_is_refused_when_a_moved_enrolment_changed_since(demo, actor):
    opened = open_next(demo, actor)
    report = PromotionService(demo).apply_close(actor, plan(demo, actor))
    moved = next(i for i in report.items if i.from_class == "5А" and i.started_enrolment_id)
    order = OrderService(demo).create(actor, "7-у", date(2027, 9, 10), "transfer", "О переводе")
    target = next(c for c in YearService(demo).list(actor) if c.id == opened.year.id)
    with demo.session(write=False) as session:
        six_b = session.scalar(select(SchoolClass.id).where(SchoolClass.year_id == target.id,
                                                            SchoolClass.name == "6Б"))
    EnrolmentService(demo).transfer(actor, moved.person_id, six_b, date(2027, 9, 10), order.id)
    before = snapshot(demo)
    with pytest.raises(Conflict) as caught:
        RolloverService(demo).undo_last(actor)
    assert "изменена после операции" in str(caught.value) and "резервную копию" in str(caught.value)
    assert snapshot(demo) == before


def test_with_a_backup_recipient_the_closing_backs_up_first(demo, actor, tmp_path, monkeypatch):
    from zhurnal.core.backup import keys
    from zhurnal.core.backup.age import X25519Identity

    monkeypatch.setenv("ZHURNAL_DATA_DIR", str(tmp_path / "data"))
    keys.add_recipient(X25519Identity.generate().recipient().to_string())
    open_next(demo, actor)
    report = PromotionService(demo).apply_close(actor, plan(demo, actor))
    assert report.backup is not None and report.backup.name.endswith("-before-year-close.age")
    assert report.backup.exists() and report.archive_folder.is_relative_to(tmp_path / "data" / "archive")


def test_a_student_already_enrolled_in_the_new_year_is_named_and_undo_of_the_opening_refused(demo, actor):
    opened = open_next(demo, actor)
    proposed = plan(demo, actor)
    ninth = next(s for s in proposed.students if s.parallel == 9)
    with demo.session(write=False) as session:
        ten_a = session.scalar(select(SchoolClass.id).where(SchoolClass.year_id == opened.year.id,
                                                            SchoolClass.name == "10А"))
    order = OrderService(demo).create(actor, "8-у", date(2027, 8, 20), "enrolment", "О зачислении")
    # a 9th-grader enrolled into the new 10А by hand (only possible after her old enrolment ends)
    departed = OrderService(demo).create(actor, "9-у", date(2027, 8, 20), "departure", "Об отчислении")
    EnrolmentService(demo).depart(actor, ninth.person_id, date(2027, 8, 20), departed.id, "other")
    EnrolmentService(demo).enrol(actor, ninth.person_id, ten_a, opened.year.start, order.id)
    fresh = plan(demo, actor)
    assert ninth.person_id not in {s.person_id for s in fresh.students}  # no longer active in 2026/2027
    stale = PromotionService(demo).preview(actor, proposed)
    assert any("не обучаются в 2026/2027" in p.message for p in stale.problems)
    before = snapshot(demo)
    with pytest.raises(Conflict) as caught:
        RolloverService(demo).undo_last(actor)
    assert "ссылаются другие данные" in str(caught.value)
    assert snapshot(demo) == before


def test_the_report_sheets_keep_text_as_text_and_dates_as_dates():
    from zhurnal.core.services.sheets import Sheet, write_xlsx

    data = write_xlsx([Sheet("Прибыли", [["Книга & <движение>"], ["ФИО", "Дата"],
                                         ["=HYPERLINK(\"x\")", date(2027, 5, 30), 7, None, "a\x01b"]], (30, 12), 2)])
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Прибыли").to_python()
    assert rows[0][0] == "Книга & <движение>"
    assert rows[2][:3] == ["=HYPERLINK(\"x\")", date(2027, 5, 30), 7] and rows[2][4] == "ab"


def test_missing_year_marks_are_listed_per_class_and_subject_and_stop_the_closing(demo, actor):
    from zhurnal.core.models import TermMark

    open_next(demo, actor)
    with demo.session() as session:  # two students of one class lose their mathematics year mark
        marks = session.scalars(select(TermMark).where(TermMark.class_name == "5А", TermMark.term_number == 0)
                                .order_by(TermMark.subject_name, TermMark.student_id)).all()
        subject = marks[0].subject_name
        for mark in marks[:2]:
            session.delete(mark)
        session.commit()
    proposed = plan(demo, actor)
    preview = PromotionService(demo).preview(actor, proposed)
    assert [(m.class_name, m.subject_name, m.students) for m in preview.missing_marks] == [("5А", subject, 2)]
    assert preview.missing_marks[0].teacher_name
    with pytest.raises(ValidationFailed, match="Не выставлены итоговые отметки: 1"):
        PromotionService(demo).apply_close(actor, proposed)
    report = PromotionService(demo).apply_close(actor, proposed, ignore_missing_marks=True)
    assert not report.already_closed


def test_undo_of_a_closing_is_refused_once_the_new_year_journal_has_marks_of_moved_students(demo, actor):
    # Undoing the closing removes the enrolments it started; a mark or an absence recorded for a student in the
    # new class since would stay behind, hidden from every journal (it belongs to no enrolment any more).
    from zhurnal.core.permissions import Actor
    from zhurnal.core.services.journal import JournalService

    opened = open_next(demo, actor)
    report = PromotionService(demo).apply_close(actor, plan(demo, actor))
    moved = next(i for i in report.items if i.from_class == "5А" and i.started_enrolment_id)
    with demo.session(write=False) as session:
        assignment = session.scalars(select(TeachingAssignment).join(
            SchoolClass, SchoolClass.id == TeachingAssignment.class_id).where(
            SchoolClass.year_id == opened.year.id, SchoolClass.name == moved.to_class,
            TeachingAssignment.deleted_at.is_(None)).order_by(TeachingAssignment.id)).first()
    assert assignment is not None
    teacher = Actor(None, "teacher", actor.school_id, frozenset({"teacher"}), assignment.teacher_id)
    first_day = opened.year.start
    journal = JournalService(demo)
    lesson = journal.add_lesson(teacher, assignment.id, first_day, 1, today=first_day)
    journal.set_attendance(teacher, lesson.id, moved.person_id, "absent", today=first_day)
    before = snapshot(demo)
    with pytest.raises(Conflict) as caught:
        RolloverService(demo).undo_last(actor)
    assert "резервную копию" in str(caught.value) and "отметки" in str(caught.value)
    assert snapshot(demo) == before


def test_the_protocol_is_a_personal_data_export(demo, actor):
    # Names and birth dates of every student: like the movement book's XLSX, it needs export.personal_data
    # (the deputy plans and closes the year, but exports no lists of people) and leaves an audit record.
    from zhurnal.core.models import AuditRecord
    from zhurnal.core.permissions import Actor

    proposed = plan(demo, actor)
    deputy = Actor(actor.user_id, "deputy", actor.school_id, frozenset({"deputy"}))
    assert PromotionService(demo).preview(deputy, proposed).counts["total"] == proposed.counts()["total"]
    with pytest.raises(PermissionDenied):
        PromotionService(demo).protocol(deputy, proposed)
    PromotionService(demo).protocol(actor, proposed)
    with demo.session(write=False) as session:
        trail = [(r.action, r.outcome) for r in session.scalars(select(AuditRecord).where(
            AuditRecord.action.like("year.protocol%")).order_by(AuditRecord.seq))]
    assert trail == [("year.protocol", "denied"), ("year.protocol", "ok")]


def test_the_archive_of_final_marks_is_read_with_the_journals_not_with_people_read(demo, actor, tmp_path):
    # The archive holds every student's year marks: a class teacher (people.read, and the journals of their own
    # class only) must not read the whole school's marks through it; journal readers do.
    from zhurnal.core.permissions import Actor
    from zhurnal.core.services.yeararchive import YearArchiveService

    open_next(demo, actor)
    year_id = old_year(demo, actor).id
    PromotionService(demo).apply_close(actor, plan(demo, actor), archive_dir=tmp_path)
    archive = YearArchiveService(demo)
    class_teacher = Actor(actor.user_id, "class-teacher", actor.school_id, frozenset({"class_teacher"}), None)
    with pytest.raises(PermissionDenied):
        archive.files(class_teacher, year_id)
    auditor = Actor(actor.user_id, "auditor", actor.school_id, frozenset({"auditor"}))
    assert "final-marks.xlsx" in [f.name for f in archive.files(auditor, year_id)]
