"""Subjects and classes through the import engine, on both engines: Russian and English headers, matching by the folded
name, row and column messages, modes, an idempotent re-import, the structure permission, and the export in
CSV, XLSX and JSON that imports back unchanged; classes by year + name with their class teacher; teaching
assignments by class + subject + teacher + subgroup."""

from __future__ import annotations

import io

import pytest

from tests.test_import_support import export_csv, run, teacher, write_csv
from tests.test_journal import world  # noqa: F401
from zhurnal.core.errors import PermissionDenied
from zhurnal.core.services.subjects import SubjectService
from zhurnal.plugins.engine.export import export
from zhurnal.plugins.engine.formats import WriteOptions
from zhurnal.plugins.engine.run import ImportOptions, execute, prepare
from zhurnal.plugins.manager import Hub


@pytest.fixture
def hub() -> Hub:
    return Hub(entry_points=False)


def names(store, actor) -> dict[str, str | None]:
    return {s.name: s.short_name for s in SubjectService(store).list(actor, include_archived=True)}


def test_subjects_are_added_then_matched_by_folded_name(hub, store, admin, tmp_path):
    SubjectService(store).create(admin, "Математика")
    path = write_csv(tmp_path / "subjects.csv", [["Предмет", "Сокращение"], ["математика", "мат."],
                                                 ["Русский язык", "рус."], ["Физическая культура", ""]])
    dry = run(hub, store, admin, path, entity="subjects", dry_run=True)
    assert dry.report.counts == {"new": 2, "changed": 1, "unchanged": 0, "skipped": 0, "rejected": 0}
    assert names(store, admin) == {"Математика": None}  # a dry run writes nothing
    applied = run(hub, store, admin, path, entity="subjects")
    assert applied.applied
    assert names(store, admin) == {"Математика": "мат.", "Русский язык": "рус.", "Физическая культура": None}
    again = run(hub, store, admin, path, entity="subjects")
    assert again.report.counts["unchanged"] == 3 and again.report.counts["new"] == 0
    assert len(names(store, admin)) == 3


def test_english_headers_modes_and_row_column_messages(hub, store, admin, tmp_path):
    path = write_csv(tmp_path / "subjects.csv", [["Subject", "Short name"], ["Biology", "bio"], ["BIOLOGY", ""],
                                                 ["", "x"]], delimiter=",")
    bad = run(hub, store, admin, path, entity="subjects")
    assert not bad.applied and names(store, admin) == {}
    texts = [str(m) for m in bad.messages]
    assert any(t.startswith("Строка 3, столбец «Subject»: ") and "уже есть в строке 2" in t for t in texts), texts
    assert any(t.startswith("Строка 4, столбец «Subject»") for t in texts), texts
    good = write_csv(tmp_path / "good.csv", [["Subject", "Short name"], ["Biology", "bio"]], delimiter=",")
    only_update = run(hub, store, admin, good, entity="subjects", mode="update_only")
    assert only_update.report.counts["skipped"] == 1 and names(store, admin) == {}
    assert run(hub, store, admin, good, entity="subjects", mode="add_only").applied
    assert names(store, admin) == {"Biology": "bio"}


def test_a_missing_name_column_is_refused_and_a_teacher_may_not_import(hub, store, admin, school, tmp_path):
    path = write_csv(tmp_path / "subjects.csv", [["Что-то"], ["Химия"]])
    from zhurnal.plugins.engine.run import ImportFailed

    with pytest.raises(ImportFailed, match="Нет столбца «Предмет»"):
        run(hub, store, admin, path, entity="subjects")
    fine = write_csv(tmp_path / "fine.csv", [["Предмет"], ["Химия"]])
    with pytest.raises(PermissionDenied):
        run(hub, store, teacher(school.school_id), fine, entity="subjects")


@pytest.mark.parametrize("format", ["csv", "xlsx", "json"])
def test_export_imports_back_unchanged(hub, store, admin, format):
    SubjectService(store).create(admin, "История", "ист.")
    SubjectService(store).create(admin, "=Опасный", None)
    out = io.BytesIO()
    result = export(hub, store, admin, "subjects", format, out, WriteOptions())
    assert result.rows == 2
    if format == "csv":
        text = export_csv(hub, store, admin, "subjects")
        assert text.splitlines()[0] == "Предмет;Краткое название" and "'=Опасный" in text
    prepared = prepare(hub, store, admin, out.getvalue(), f"subjects.{format}",
                       ImportOptions(format=format, entity="subjects"))
    again = execute(hub, store, admin, prepared, dry_run=True)
    assert again.report.counts["unchanged"] == 2 and again.clean


# ------------------------------------------------------------------------------------------------ classes


def class_list(store, actor) -> dict[str, str | None]:
    from zhurnal.core.services.classes import ClassService
    from zhurnal.core.services.years import YearService

    year = YearService(store).list(actor)[0]
    return {c.name: c.class_teacher_name for c in ClassService(store).list(actor, year.id)}


def test_classes_match_by_year_and_name_and_take_their_class_teacher(hub, store, admin, school, tmp_path):
    from tests.test_import_support import DATA, make_classes

    make_classes(store, school.school_id)  # 1А 5А 5Б 10А
    assert run(hub, store, admin, DATA / "staff_utf8_comma.csv").applied  # Соколова Татьяна Михайловна
    path = write_csv(tmp_path / "classes.csv", [["Класс", "Классный руководитель"],
                                                ["5а", "Соколова Татьяна Михайловна"], ["6В", ""], ["5 Б", ""]])
    dry = run(hub, store, admin, path, entity="classes", dry_run=True)
    assert dry.messages == [] and dry.report.counts == {"new": 1, "changed": 1, "unchanged": 1, "skipped": 0,
                                                        "rejected": 0}
    assert run(hub, store, admin, path, entity="classes").applied
    listed = class_list(store, admin)
    assert listed["6В"] is None and listed["5А"] == "Соколова Татьяна Михайловна" and "5Б" in listed
    again = run(hub, store, admin, path, entity="classes")
    assert again.report.counts["unchanged"] == 3
    out = io.BytesIO()
    assert export(hub, store, admin, "classes", "csv", out, WriteOptions(), on=dry.prepared.today).rows == 5
    assert out.getvalue().decode("utf-8-sig").splitlines()[0] == "Учебный год;Класс;Классный руководитель"


def test_class_rows_name_row_and_column(hub, store, admin, school, tmp_path):
    path = write_csv(tmp_path / "classes.csv", [["Учебный год", "Класс", "Кл. руководитель"],
                                                ["1999/2000", "5А", ""], ["", "5Q", ""], ["", "7Г", "Никто Никтоевич"]])
    bad = run(hub, store, admin, path, entity="classes")
    texts = [str(m) for m in bad.messages]
    assert not bad.applied
    assert any(t.startswith("Строка 2, столбец «Учебный год»: «1999/2000» не найден") for t in texts), texts
    assert any(t.startswith("Строка 3, столбец «Класс»") for t in texts), texts
    assert any(t.startswith("Строка 4, столбец «Кл. руководитель»") and "не найден среди сотрудников" in t
               for t in texts), texts


# ------------------------------------------------------------------------------------ teaching assignments


def test_assignments_match_class_subject_teacher_and_subgroup(hub, store, admin, school, tmp_path):
    from tests.test_import_support import DATA, make_classes
    from zhurnal.core.services.assignments import AssignmentService

    make_classes(store, school.school_id)
    assert run(hub, store, admin, DATA / "staff_utf8_comma.csv").applied  # Соколова, Волков
    SubjectService(store).create(admin, "Математика")
    SubjectService(store).create(admin, "Физика")
    path = write_csv(tmp_path / "load.csv", [
        ["Класс", "Предмет", "Учитель", "Дата рождения учителя", "Подгруппа"],
        ["5А", "математика", "Соколова Татьяна Михайловна", "14.02.1980", ""],
        ["5Б", "Физика", "Волков Андрей Павлович", "", "1 группа"],
        ["5Б", "Физика", "Волков Андрей Павлович", "", "2 группа"]])
    dry = run(hub, store, admin, path, entity="assignments", dry_run=True)
    assert dry.messages == [] and dry.report.counts["new"] == 3
    assert run(hub, store, admin, path, entity="assignments").applied
    live = AssignmentService(store).list(admin)
    assert {(a.class_name, a.subject_name, a.subgroup) for a in live} == {
        ("5Б", "Физика", "1 группа"), ("5Б", "Физика", "2 группа"), ("5А", "Математика", None)}
    again = run(hub, store, admin, path, entity="assignments")
    assert again.report.counts["unchanged"] == 3 and len(AssignmentService(store).list(admin)) == 3
    out = io.BytesIO()
    assert export(hub, store, admin, "assignments", "csv", out, WriteOptions(), on=dry.prepared.today).rows == 3
    back = prepare(hub, store, admin, out.getvalue(), "load.csv", ImportOptions(format="csv", entity="assignments",
                                                                                 today=dry.prepared.today))
    assert execute(hub, store, admin, back, dry_run=True).report.counts["unchanged"] == 3


def test_assignment_rows_name_row_and_column(hub, store, admin, school, tmp_path):
    from tests.test_import_support import make_classes

    make_classes(store, school.school_id)
    path = write_csv(tmp_path / "load.csv", [["Класс", "Предмет", "Учитель"], ["9Я", "Химия", "Никто Никтоевич"]])
    bad = run(hub, store, admin, path, entity="assignments")
    texts = [str(m) for m in bad.messages]
    assert not bad.applied
    assert any(t.startswith("Строка 2, столбец «Класс»: «9Я» не найден") for t in texts), texts
    assert any(t.startswith("Строка 2, столбец «Предмет»: «Химия» не найден") for t in texts), texts
    assert any(t.startswith("Строка 2, столбец «Учитель»: «Никто Никтоевич» не найден") for t in texts), texts


# -------------------------------------------------------------------------------------------- journal marks


def test_marks_export_lists_every_mark_of_the_year_and_is_audited(hub, store, admin, world, school):  # noqa: F811
    from datetime import date

    from sqlalchemy import select

    from zhurnal.core.models import AuditRecord
    from zhurnal.core.services.journal import JournalService

    today = date(2026, 11, 27)
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 24), 2, "Дроби", today=today)
    journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=today)
    journal.set_mark(world.teacher, lesson.id, world.students[1], "4", today=today)
    out = io.BytesIO()
    result = export(hub, store, admin, "marks", "csv", out, WriteOptions(), on=today)
    assert result.rows == 2
    lines = out.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0] == "Класс;Предмет;Подгруппа;Обучающийся;Дата;Урок;Отметка;Вид работы"
    assert any(line.startswith("5А;Математика;;Андреев Пётр;24.11.2026;2;5;") for line in lines), lines
    with store.session() as s:
        assert s.scalars(select(AuditRecord.detail).where(AuditRecord.action == "export.marks")).all() == [
            "csv; rows 2"]
    with pytest.raises(PermissionDenied):
        export(hub, store, world.teacher, "marks", "csv", io.BytesIO(), WriteOptions(), on=today)
    from zhurnal.plugins.engine.run import ImportFailed

    with pytest.raises(ImportFailed, match="Неизвестная сущность «marks»"):
        prepare(hub, store, admin, out.getvalue(), "marks.csv", ImportOptions(format="csv", entity="marks"))
