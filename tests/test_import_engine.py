"""The import engine on real CSV files, on both engines: detection, mapping, validation messages, dry run,
apply, re-import, matching, modes, all-or-nothing, the log and the remembered mapping."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.helpers import records
from tests.test_import_support import DATA, LIMITS, TODAY, counts, make_classes, run, runs, teacher, write_csv
from zhurnal.core.audit import verify_chain
from zhurnal.core.errors import Cancelled, PermissionDenied
from zhurnal.core.models import AuditRecord, Enrolment, Guardianship, Order, Person
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.plugins.engine.run import ImportFailed, ImportOptions, execute, prepare, read_bounded
from zhurnal.plugins.manager import Hub

HEADER = ["Фамилия", "Имя", "Отчество", "Дата рождения", "Пол", "Класс", "СНИЛС", "Номер приказа", "Дата приказа"]


@pytest.fixture
def hub() -> Hub:
    return Hub(entry_points=False)


@pytest.fixture
def classes(store, school) -> dict[str, int]:
    return make_classes(store, school.school_id)


def test_cp1251_semicolon_russian_dates(hub, store, admin, classes):
    result = run(hub, store, admin, DATA / "students_cp1251_semicolon.csv")
    assert result.prepared.details == {"encoding": "cp1251", "delimiter": ";"}
    assert "Кодировка: cp1251 (определена автоматически)" in result.prepared.notes
    assert result.prepared.entity == "students" and result.applied and result.messages == []
    assert result.report.counts == {"new": 5, "changed": 0, "unchanged": 0, "skipped": 0, "rejected": 0}
    with store.session() as s:
        elkin = s.scalars(select(Person).where(Person.last_name == "Ёлкин")).one()
        assert (elkin.birth_date.isoformat(), elkin.sex, elkin.snils) == ("2015-02-03", "M", "23456789099")
        # the siblings share their mother (same name and phone), so 5 students bring 4 parents
        assert s.scalar(select(Person.id).where(Person.last_name == "Иванова", Person.first_name == "Мария"))
        assert len(s.scalars(select(Guardianship)).all()) == 5
        order = s.scalars(select(Order)).one()
        assert (order.number, order.kind, order.order_date.isoformat()) == ("12-у", "enrolment", "2026-08-30")
        # enrolled from the start of the year, the order having been signed before it
        assert {e.start_date.isoformat() for e in s.scalars(select(Enrolment))} == {"2026-09-01"}


def test_utf8_bom_tab_iso_dates_english_headers(hub, store, admin, classes):
    result = run(hub, store, admin, DATA / "students_utf8bom_tab.csv")
    assert result.prepared.details == {"encoding": "utf-8-sig", "delimiter": "tab"}
    assert {c.header: c.field for c in result.prepared.columns}["middle name"] == "middle_name"
    assert result.applied and result.report.counts["new"] == 3
    with store.session() as s:
        assert s.scalars(select(Person.birth_date).where(Person.last_name == "Сидоров")).one().isoformat() == \
            "2014-11-30"


def test_overrides_of_encoding_and_delimiter_are_used_and_shown(hub, store, admin, classes):
    result = run(hub, store, admin, DATA / "students_cp1251_semicolon.csv", dry_run=True, encoding="cp1251",
                 delimiter=";")
    assert "Кодировка: cp1251 (указана)" in result.prepared.notes
    assert "Разделитель: «;» (точка с запятой) (указан)" in result.prepared.notes
    with pytest.raises(ImportFailed, match="не читается в кодировке utf-8"):
        run(hub, store, admin, DATA / "students_cp1251_semicolon.csv", encoding="utf-8")


def test_staff_and_parents_files(hub, store, admin, classes):
    assert run(hub, store, admin, DATA / "staff_utf8_comma.csv").report.counts["new"] == 2
    assert run(hub, store, admin, DATA / "students_utf8bom_tab.csv").applied
    parents = run(hub, store, admin, DATA / "parents_utf8_semicolon.csv")
    assert parents.prepared.entity == "parents" and parents.applied, [str(m) for m in parents.messages]
    assert [c.detail for c in parents.report.changes] == [
        "отец: Петрова Дарья Андреевна", "мать: Сидоров Глеб", "мать: Орлова Юлия Романовна"]


def test_dry_run_reports_exactly_what_apply_does_and_writes_nothing(hub, store, admin, classes):
    before = counts(store)
    dry = run(hub, store, admin, DATA / "students_cp1251_semicolon.csv", dry_run=True)
    assert counts(store) == before and not dry.applied and dry.clean
    applied = run(hub, store, admin, DATA / "students_cp1251_semicolon.csv")
    assert dry.report.counts == applied.report.counts
    strip = [(c.row, c.kind, c.name, c.fields, c.detail) for c in dry.report.changes]
    assert strip == [(c.row, c.kind, c.name, c.fields, c.detail) for c in applied.report.changes]
    assert [r.outcome for r in runs(store)] == ["dry_run", "applied"]


def test_reimport_changes_nothing(hub, store, admin, classes):
    for name in ("students_cp1251_semicolon.csv", "staff_utf8_comma.csv"):
        run(hub, store, admin, DATA / name)
    before = counts(store)
    for name in ("students_cp1251_semicolon.csv", "staff_utf8_comma.csv"):
        again = run(hub, store, admin, DATA / name)
        assert again.applied and again.report.counts["new"] == again.report.counts["changed"] == 0
    assert counts(store) == before


def test_changed_field_is_updated_and_audited(hub, store, admin, classes, tmp_path):
    run(hub, store, admin, DATA / "students_utf8bom_tab.csv")
    path = write_csv(tmp_path / "fix.csv", [["ФИО", "", "Дата рождения", "E-mail"],
                                            ["Сидоров Глеб", "", "30.11.2014", "new@example.ru"],
                                            ["Орлова Юлия Романовна", "", "14.02.2019", ""]])
    result = run(hub, store, admin, path, entity="students")
    assert result.report.counts["changed"] == 1 and result.report.counts["unchanged"] == 1
    assert (result.report.changes[0].kind, result.report.changes[0].fields) == ("changed", ("email",))
    with store.session() as s:
        glb = s.scalars(select(Person).where(Person.last_name == "Сидоров")).one()
        assert glb.email == "new@example.ru" and glb.version == 2
    assert any(json.loads(r.fields) == ["email"] for r in records(store, "person.update"))


def test_empty_cell_never_clears_and_case_and_yo_are_folded(hub, store, admin, classes, tmp_path):
    run(hub, store, admin, DATA / "students_cp1251_semicolon.csv")
    path = write_csv(tmp_path / "upper.csv", [["Фамилия", "Имя", "Отчество", "Дата рождения", "СНИЛС"],
                                              ["елкин", "федор", "ильич", "03.02.2015", ""]])
    result = run(hub, store, admin, path, entity="students", dry_run=True)
    assert result.report.changes[0].kind == "changed"  # matched (ё and case folded); the spelling changes
    assert set(result.report.changes[0].fields) == {"last_name", "first_name", "middle_name"}


def test_every_error_names_row_and_column(hub, store, admin, classes, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [
        ["Фам.", "Имя", "ДР", "Пол", "Класс", "СНИЛС", "Номер приказа", "Дата приказа"],
        ["Иванов", "Иван", "31.02.2015", "М", "5А", "", "1", "01.09.2026"],
        ["Петров", "Пётр", "01.01.2015", "X", "5Я", "112-233-445 96", "1", "01.09.2026"],
        ["Сидоров", "Сидор", "01.01.2015", "М", "5А", "", "", ""],
    ])
    result = run(hub, store, admin, path, entity="students", mapping={"Фам.": "last_name"})
    assert not result.applied and result.report.counts["rejected"] == 3
    texts = [str(m) for m in result.messages]
    assert texts[0].startswith("Строка 2, столбец «ДР»: такой даты нет в календаре")
    assert any(t.startswith("Строка 3, столбец «Пол»: «X» — ожидается М или Ж") for t in texts)
    assert any(t.startswith("Строка 3, столбец «Класс»: 5Я не найден") for t in texts)
    assert any(t.startswith("Строка 3, столбец «СНИЛС»: неверное контрольное число") for t in texts)
    assert any(t.startswith("Строка 4, столбец «Номер приказа»: не указан — зачисление оформляется приказом")
               for t in texts)
    assert all(m.row is not None and m.column for m in result.messages)


def test_order_for_the_whole_file(hub, store, admin, classes, tmp_path):
    path = write_csv(tmp_path / "no_order.csv", [["Фамилия", "Имя", "Дата рождения", "Класс"],
                                                 ["Зайцев", "Лев", "01.01.2015", "5А"]])
    refused = run(hub, store, admin, path)
    assert not refused.applied and "«Номер приказа»: не указан" in str(refused.messages[0])
    applied = run(hub, store, admin, path, order="3-у от 02.09.2026")
    assert applied.applied and applied.report.changes[0].detail == "зачисление в 5А с 02.09.2026"
    with pytest.raises(ImportFailed, match="--order"):
        run(hub, store, admin, path, order="третий")


def test_an_error_in_the_last_row_writes_nothing(hub, store, admin, classes, tmp_path):
    rows = [HEADER] + [[f"Ученик{chr(0x430 + i)}", "Имя", "", "01.01.2015", "М", "5А", "", "1", "01.09.2026"]
                       for i in range(20)]
    rows.append(["Последний", "Имя", "", "не дата", "М", "5А", "", "1", "01.09.2026"])
    before = counts(store)
    result = run(hub, store, admin, write_csv(tmp_path / "last.csv", rows))
    assert not result.applied and result.report.counts["rejected"] == 1 and result.report.counts["new"] == 20
    assert counts(store) == before
    assert [m.row for m in result.messages] == [22]
    assert runs(store)[-1].outcome == "refused"


def test_two_candidates_is_an_error_for_the_user(hub, store, admin, classes, tmp_path):
    people = PersonService(store)
    people.create(admin, PersonInput("Ким", "Ли", None, None, snils="345-678-901 23"))
    people.create(admin, PersonInput("Ким", "Ли", None, __import__("datetime").date(2015, 1, 1)))
    path = write_csv(tmp_path / "two.csv", [HEADER, ["Ким", "Ли", "", "01.01.2015", "М", "5А", "345-678-901 23", "1",
                                                      "01.09.2026"]])
    result = run(hub, store, admin, path)
    assert not result.applied
    assert "подходят несколько человек" in str(result.messages[0]) and result.messages[0].row == 2


def test_a_row_repeated_in_the_file_is_an_error(hub, store, admin, classes, tmp_path):
    row = ["Ким", "Ли", "", "01.01.2015", "М", "5А", "", "1", "01.09.2026"]
    result = run(hub, store, admin, write_csv(tmp_path / "dup.csv", [HEADER, row, row]))
    assert not result.applied and "повторяет строку 2" in str(result.messages[0])


def test_transfer_is_not_done_by_import(hub, store, admin, classes, tmp_path):
    run(hub, store, admin, DATA / "students_utf8bom_tab.csv")
    path = write_csv(tmp_path / "moved.csv", [["Фамилия", "Имя", "Дата рождения", "Класс"],
                                              ["Сидоров", "Глеб", "30.11.2014", "5А"]])
    result = run(hub, store, admin, path)
    assert "перевод оформляется приказом о переводе" in str(result.messages[0])


@pytest.mark.parametrize(("mode", "expected"), [
    ("add_update", {"new": 1, "changed": 1}),
    ("add_only", {"new": 1, "skipped": 1}),
    ("update_only", {"changed": 1, "skipped": 1}),
])
def test_modes(hub, store, admin, classes, tmp_path, mode, expected):
    run(hub, store, admin, DATA / "students_utf8bom_tab.csv")
    path = write_csv(tmp_path / "mode.csv", [[*HEADER, "E-mail"],
                                             ["Сидоров", "Глеб", "", "30.11.2014", "", "5Б", "", "", "",
                                              "g@example.ru"],
                                             ["Новиков", "Иван", "", "01.01.2015", "М", "5А", "", "1", "01.09.2026",
                                              ""]])
    result = run(hub, store, admin, path, mode=mode)
    assert result.applied
    assert {k: v for k, v in result.report.counts.items() if v} == expected


def test_remembered_mapping_and_log(hub, store, admin, classes, tmp_path):
    rows = [["Фам", "Имячко", "Дата рождения", "Класс", "Номер приказа", "Дата приказа"],
            ["Зайцев", "Лев", "01.01.2015", "5А", "1", "01.09.2026"]]
    path = write_csv(tmp_path / "odd.csv", rows)
    with pytest.raises(ImportFailed, match="Нет столбцов «Фамилия» и «Имя»"):
        run(hub, store, admin, path, entity="students")
    first = run(hub, store, admin, path, entity="students", mapping={"Фам": "Фамилия", "Имячко": "first_name"})
    assert first.applied
    again = run(hub, store, admin, write_csv(tmp_path / "odd2.csv", rows), entity="students")
    assert {c.header: c.source for c in again.prepared.columns}["Имячко"] == "remembered"
    log = runs(store)[-1]
    assert (log.file_name, log.format, log.entity, log.outcome, log.login) == ("odd2.csv", "csv", "students",
                                                                              "applied", "admin")
    assert len(log.sha256) == 64 and log.count_unchanged == 1
    assert json.loads(log.mapping)["Фам"] == "last_name" and json.loads(log.details)["delimiter"] == ";"
    assert [r.detail for r in records(store, "import.apply")][-1].startswith("students; csv; add_update")


def test_a_teacher_cannot_import_and_the_refusal_is_audited(hub, store, school, classes):
    with pytest.raises(PermissionDenied):
        run(hub, store, teacher(school.school_id), DATA / "students_cp1251_semicolon.csv", dry_run=True)
    assert [r.outcome for r in records(store, "import.denied")] == ["denied"]
    assert runs(store) == []


class Stop:
    """A progress callback that records every call and raises Cancelled at the first call (`last=False`) or
    once the bar is full (`last=True`: after the last chunk of audit records, before the savepoint is kept)."""

    def __init__(self, *, last: bool = False, never: bool = False) -> None:
        self.last, self.never = last, never
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        if not self.never and (not self.last or done == total):
            raise Cancelled()


def audit_count(store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def cancelled_run(hub, store, admin, path, stop: Stop, *, dry_run: bool = False) -> None:
    prepared = prepare(hub, store, admin, read_bounded(path, LIMITS), path.name, ImportOptions(today=TODAY), LIMITS)
    with pytest.raises(Cancelled, match="Импорт отменён: ничего не записано"):
        execute(hub, store, admin, prepared, dry_run=dry_run, progress=stop)


@pytest.mark.parametrize("last", [False, True], ids=["first-call", "last-call"])
def test_a_cancelled_apply_writes_nothing(hub, store, admin, classes, last):
    path = DATA / "students_cp1251_semicolon.csv"
    before, before_runs, audited = counts(store), len(runs(store)), audit_count(store)
    stop = Stop(last=last)
    cancelled_run(hub, store, admin, path, stop)
    assert len(stop.calls) == 1 if not last else stop.calls[-1] == (1000, 1000)
    assert counts(store) == before  # no people, enrolments, guardianships or orders
    log = runs(store)
    assert len(log) == before_runs + 1 and log[-1].outcome == "cancelled" and not log[-1].dry_run
    assert "applied" not in [r.outcome for r in log]
    assert records(store, "person.create") == [] and records(store, "enrolment.create") == []
    cancelled = records(store, "import.cancelled")
    assert [r.outcome for r in cancelled] == ["failed"] and cancelled[0].detail.startswith("students; csv")
    assert audit_count(store) == audited + 1  # only the record of the cancelled attempt
    with store.session() as s:
        assert verify_chain(s).ok
    applied = run(hub, store, admin, path)  # the same file afterwards: all of it, as if never tried
    assert applied.applied and applied.report.counts["new"] == 5


def test_a_cancelled_dry_run_is_logged_as_cancelled(hub, store, admin, classes):
    before = counts(store)
    cancelled_run(hub, store, admin, DATA / "students_cp1251_semicolon.csv", Stop(), dry_run=True)
    assert counts(store) == before
    assert [(r.outcome, r.dry_run) for r in runs(store)] == [("cancelled", True)]


def test_progress_moves_forward_at_a_bounded_rate(hub, store, admin, classes, tmp_path):
    letters = "абвгдежзиклмнопрстуфхцчшщэюя"
    rows = [HEADER] + [["Прогрессов-" + "".join(letters[i // 28 ** k % 28] for k in range(3)), "Пётр", "",
                        "01.01.2015", "М", "5А", "", "1", "01.09.2026"] for i in range(2500)]
    path = write_csv(tmp_path / "many.csv", rows)
    stop = Stop(never=True)
    prepared = prepare(hub, store, admin, read_bounded(path, LIMITS), path.name, ImportOptions(today=TODAY), LIMITS)
    result = execute(hub, store, admin, prepared, dry_run=False, progress=stop)
    assert result.applied and result.report.counts["new"] == 2500
    done = [d for d, _ in stop.calls]
    assert {t for _, t in stop.calls} == {1000} and done == sorted(done) and done[-1] == 1000
    assert 0 < done[0] < 400  # the planning reports before the first write
    assert len(stop.calls) < 20  # per thousand rows and per statement, never per row
