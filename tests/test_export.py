"""Export: formula neutralisation, export.personal_data, audit with row counts, round trip with import."""

from __future__ import annotations

import io

import pytest

from tests.helpers import records
from tests.test_import_support import DATA, counts, export_csv, make_classes, run, teacher, write_csv
from zhurnal.core.errors import PermissionDenied
from zhurnal.plugins.engine.export import ExportFailed, export
from zhurnal.plugins.engine.formats import cell_text, neutralise, unneutralise
from zhurnal.plugins.manager import Hub


@pytest.fixture
def hub() -> Hub:
    return Hub(entry_points=False)


@pytest.fixture
def loaded(hub, store, school, admin):
    make_classes(store, school.school_id)
    for name in ("students_cp1251_semicolon.csv", "students_utf8bom_tab.csv", "staff_utf8_comma.csv",
                 "parents_utf8_semicolon.csv"):
        assert run(hub, store, admin, DATA / name).applied
    return store


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+7 912", "'+7 912"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Иванов", "Иванов"), ("a=b", "a=b"), ("", ""),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected
    assert unneutralise(neutralise(value)) == value


def test_cell_text():
    from datetime import date
    from decimal import Decimal

    assert cell_text(date(2026, 9, 1)) == "01.09.2026"
    assert (cell_text(Decimal("0.50")), cell_text(Decimal("1.00")), cell_text(None)) == ("0,50", "1", "")


def test_export_neutralises_formulas_in_every_text_cell(hub, store, school, admin, tmp_path):
    make_classes(store, school.school_id)
    path = write_csv(tmp_path / "evil.csv", [
        ["Фамилия", "Имя", "Должность", "Адрес", "Номер приказа", "Дата приказа"],
        ["Иванов", "Иван", "=cmd|' /C calc'!A0", "@SUM(1)", "1-к", "01.09.2026"]])
    assert run(hub, store, admin, path).applied
    text = export_csv(hub, store, admin, "staff")
    assert "'=cmd|' /C calc'!A0" in text and "'@SUM(1)" in text
    assert "\n=" not in text and ";=" not in text and ";@" not in text


def test_students_export_has_the_russian_layout_and_is_audited(hub, loaded, admin):
    text = export_csv(hub, loaded, admin, "students")
    header, *rows = text.strip().splitlines()
    assert header.startswith("Фамилия;Имя;Отчество;Дата рождения;Пол;Класс;СНИЛС;Телефон;E-mail")
    assert len(rows) == 8
    ivanov = next(r for r in rows if r.startswith("Иванов;Пётр"))
    assert ";5А;112-233-445 95;" in ivanov and "Иванова Мария Петровна;'+7 912 000-00-01;;мать" in ivanov
    audit = records(loaded, "export.students")
    assert [(r.outcome, r.detail) for r in audit] == [("ok", "csv; rows=8")]


def test_export_then_import_changes_nothing(hub, loaded, admin, tmp_path):
    before = counts(loaded)
    for entity in ("students", "staff", "parents"):
        path = tmp_path / f"{entity}.csv"
        path.write_text(export_csv(hub, loaded, admin, entity), encoding="utf-8-sig")
        result = run(hub, loaded, admin, path, entity=entity)
        assert result.applied, [str(m) for m in result.messages]
        assert result.report.counts["new"] == result.report.counts["changed"] == 0, result.report.changes
    assert counts(loaded) == before


def test_cp1251_and_tab_on_request(hub, loaded, admin):
    text = export_csv(hub, loaded, admin, "staff", encoding="cp1251", delimiter="tab")
    assert text.splitlines()[0].startswith("Фамилия\tИмя\tОтчество")


def test_export_needs_export_personal_data_and_the_refusal_is_audited(hub, loaded, school):
    with pytest.raises(PermissionDenied):
        export(hub, loaded, teacher(school.school_id), "students", "csv", io.BytesIO())
    assert [r.outcome for r in records(loaded, "export.denied")] == ["denied"]
    assert records(loaded, "export.students") == []


def test_unknown_entity_or_format(hub, loaded, admin):
    from zhurnal.plugins.manager import PluginError

    with pytest.raises(PluginError, match="Неизвестный формат экспорта «xml»"):
        export(hub, loaded, admin, "students", "xml", io.BytesIO())
    with pytest.raises(ExportFailed, match="grades"):
        export(hub, loaded, admin, "grades", "csv", io.BytesIO())
