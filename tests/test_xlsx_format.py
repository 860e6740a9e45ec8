"""XLSX: reading with python-calamine (cells as a user typed them, the sheet found by its headers), the zip
checks before parsing, and the exporter's real template (header row, drop-down lists, «Инструкция»)."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from tests.test_import_support import TODAY, counts, make_classes, run, runs
from zhurnal.plugins.builtin import safe_zip
from zhurnal.plugins.builtin.xlsx_format import XlsxExporter, XlsxImporter, precheck
from zhurnal.plugins.engine.export import build_table, export
from zhurnal.plugins.engine.formats import ExportTable, FormatError, ReadOptions, WriteOptions
from zhurnal.plugins.manager import Hub

HEADERS = ["Фамилия", "Имя", "Дата рождения", "Пол", "Класс", "СНИЛС", "Телефон", "Номер приказа", "Дата приказа"]


@pytest.fixture
def hub() -> Hub:
    return Hub(entry_points=False)


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes, **options) -> object:
    return XlsxImporter().read(data, ReadOptions(max_rows=options.pop("max_rows", 1000), **options))


def test_cells_come_back_as_the_user_typed_them():
    data = workbook(("Ученики", [[], HEADERS,
                                 ["Иванов", "Иван", date(2015, 3, 1), "М", "5А", 1234567890, 79120000001, 12,
                                  datetime(2026, 8, 28, 0, 0)],
                                 [None] * 9,
                                 ["Петрова", "Анна", "01.02.2015", "Ж", "5А", "123-456-789 01", "+7 912", "12-у",
                                  "28.08.2026"]]))
    parsed = read(data)
    table = parsed.tables[0]
    assert list(table.headers) == HEADERS and table.name == "Ученики"
    assert [r.number for r in table.rows] == [3, 5]  # spreadsheet row numbers: blank rows keep theirs
    assert list(table.rows[0].cells) == ["Иванов", "Иван", "01.03.2015", "М", "5А", "01234567890", "79120000001",
                                         "12", "28.08.2026"]
    assert table.rows[1].cells[5] == "123-456-789 01"
    assert parsed.details == {"sheet": "Ученики"}


def test_fractions_and_non_snils_numbers_are_not_padded():
    data = workbook(("Staff", [["Фамилия", "Имя", "Должность", "Ставка", "Телефон"],
                               ["Иванов", "Иван", "учитель", 0.5, 123]]))
    assert list(read(data).tables[0].rows[0].cells) == ["Иванов", "Иван", "учитель", "0,5", "123"]


def test_sheet_is_chosen_by_its_headers_or_by_name():
    data = workbook(("Пояснения", [["Список учеников 5А"], ["составил: завуч"]]),
                    ("Список", [HEADERS, ["Иванов", "Иван"]]))
    assert read(data).tables[0].name == "Список"
    assert read(data, sheet="Пояснения").tables[0].name == "Пояснения"
    with pytest.raises(FormatError, match="нет листа «Нет»"):
        read(data, sheet="Нет")
    with pytest.raises(FormatError, match="книга пуста"):
        read(workbook(("Пусто", [])))


def test_row_limit():
    data = workbook(("Лист", [HEADERS] + [["Иванов", "Иван"]] * 5))
    with pytest.raises(FormatError, match="больше 3 строк"):
        read(data, max_rows=3)


def test_zip_limits_are_configurable_per_import():
    data = workbook(("Лист", [HEADERS, ["Иванов", "Иван"]]))
    read(data)
    with pytest.raises(FormatError, match="файлов"):
        read(data, extra={"zip_max_entries": "3"})
    with pytest.raises(FormatError, match="МиБ"):
        read(data, extra={"zip_max_expanded": "1000"})
    with pytest.raises(FormatError, match="целое число"):
        read(data, extra={"zip_max_ratio": "много"})


def test_check_zip_refuses_what_is_not_a_safe_zip():
    with pytest.raises(FormatError, match="PDF"):
        safe_zip.check_zip(b"%PDF-1.4 ...")
    with pytest.raises(FormatError, match="XLS"):
        safe_zip.check_zip(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(FormatError, match="повреждён или обрезан"):
        safe_zip.check_zip(b"PK\x03\x04" + b"\x00" * 100)
    good = workbook(("Лист", [HEADERS]))
    safe_zip.check_zip(good)
    with pytest.raises(FormatError, match="повреждён или обрезан"):
        safe_zip.check_zip(good[: len(good) // 2])


def test_a_lone_far_cell_is_refused_before_calamine_allocates_the_range():
    book = openpyxl.Workbook()
    book.active["A1"] = "Фамилия"
    book.active["XFD1048576"] = "x"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(FormatError, match="столбц"):
        precheck(out.getvalue(), ReadOptions(max_rows=10))


def test_import_through_the_engine_and_again_changes_nothing(hub, store, school, admin, tmp_path):
    make_classes(store, school.school_id)
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook(("Лист1", [HEADERS,
                                        ["Иванов", "Иван", date(2015, 3, 1), "М", "5А", None, 79120000001, "12-у",
                                         date(2026, 8, 28)],
                                        ["Петрова", "Анна", date(2015, 4, 2), "Ж", "5Б", None, None, "12-у",
                                         date(2026, 8, 28)]])))
    before = counts(store)
    dry = run(hub, store, admin, path, dry_run=True)
    assert dry.clean, [str(m) for m in dry.messages]
    assert counts(store) == before
    applied = run(hub, store, admin, path)
    assert applied.applied and applied.report.counts["new"] == 2
    assert applied.prepared.format == "xlsx" and applied.prepared.details == {"sheet": "Лист1"}
    again = run(hub, store, admin, path)
    assert again.report.counts["new"] == 0 and again.report.counts["changed"] == 0
    assert len(runs(store)) == 3


def _exported(hub, store, admin, entity: str, **kw) -> openpyxl.Workbook:
    out = io.BytesIO()
    export(hub, store, admin, entity, "xlsx", out, on=TODAY, **kw)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def test_template_is_a_real_template(hub, store, school, admin):
    make_classes(store, school.school_id)
    book = _exported(hub, store, admin, "students", template=True)
    assert book.sheetnames[0] == "Обучающиеся" and "Инструкция" in book.sheetnames
    sheet = book["Обучающиеся"]
    assert sheet.max_row == 1 and sheet["A1"].value == "Фамилия" and sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    headers = [c.value for c in sheet[1]]
    lists = {}
    for dv in sheet.data_validations.dataValidation:
        if dv.type == "list":
            column = str(dv.sqref).split(":")[0].rstrip("0123456789")
            lists[headers[openpyxl.utils.column_index_from_string(column) - 1]] = dv.formula1
    assert lists["Пол"] == '"М,Ж"'
    assert lists["Класс"] == '"1А,5А,5Б,10А"'
    assert "мать" in lists["Родитель 1 кем приходится"]
    assert sheet.column_dimensions["A"].width >= 14
    instructions = {row[0]: row[1] for row in book["Инструкция"].iter_rows(values_only=True)}
    assert "дд.мм.гггг" in instructions["Даты"]
    assert "М или Ж" in instructions["Пол"]
    assert all(instructions.get(h) for h in headers)


def test_a_filled_in_template_admits_new_students_by_its_order_columns(hub, store, school, admin, tmp_path):
    make_classes(store, school.school_id)
    book = _exported(hub, store, admin, "students", template=True)
    sheet = book["Обучающиеся"]
    headers = [c.value for c in sheet[1]]
    assert {"Номер приказа", "Дата приказа"} <= set(headers)  # a new student comes with the order
    filled = {"Фамилия": "Шаблонова", "Имя": "Алиса", "Отчество": "Павловна", "Дата рождения": date(2016, 5, 3),
              "Пол": "Ж", "Класс": "5А", "Номер приказа": "15-у", "Дата приказа": date(2026, 8, 28)}
    sheet.append([filled.get(h) for h in headers])
    path = tmp_path / "filled.xlsx"
    book.save(path)
    applied = run(hub, store, admin, path)
    assert applied.applied and applied.report.counts["new"] == 1, [str(m) for m in applied.messages]


def test_exported_list_reimports_unchanged(hub, store, school, admin, tmp_path):
    make_classes(store, school.school_id)
    source = tmp_path / "in.xlsx"
    source.write_bytes(workbook(("Лист1", [HEADERS, ["Иванов", "Иван", date(2015, 3, 1), "М", "5А", None,
                                                    "+7 912 000-00-01", "12-у", date(2026, 8, 28)]])))
    assert run(hub, store, admin, source).applied
    book = _exported(hub, store, admin, "students")
    sheet = book.active
    assert sheet.max_row == 2 and sheet["D2"].value == datetime(2015, 3, 1)
    out = tmp_path / "out.xlsx"
    book.save(out)
    again = run(hub, store, admin, out)
    assert not again.messages, [str(m) for m in again.messages]
    assert again.report.counts["new"] == 0 and again.report.counts["changed"] == 0


def test_formulas_are_written_as_neutralised_text():
    table = build_table("staff", [{"last_name": "Иванов", "first_name": "Иван", "address": "=HYPERLINK(\"x\")",
                                   "position": "+cmd", "phone": "-2+3", "email": "@SUM(A1)"}], spreadsheet=True)
    out = io.BytesIO()
    XlsxExporter().write([table], out, WriteOptions())
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    values = [c.value for c in sheet[2] if c.value]
    assert "'=HYPERLINK(\"x\")" in values and "'+cmd" in values and "'-2+3" in values and "'@SUM(A1)" in values
    assert all(c.data_type == "s" for c in sheet[2] if isinstance(c.value, str))
    parsed = XlsxImporter().read(out.getvalue(), ReadOptions(max_rows=10))
    assert "'=HYPERLINK(\"x\")" in parsed.tables[0].rows[0].cells  # the engine strips the apostrophe on import


def test_exporter_refuses_several_tables():
    table = ExportTable("students", ["Фамилия"], ["last_name"], [])
    with pytest.raises(FormatError, match="одну таблицу"):
        XlsxExporter().write([table, table], io.BytesIO(), WriteOptions())


def test_cli_export_template(tmp_path: Path):
    import argparse

    from zhurnal.tui.commands import imports

    parser = argparse.ArgumentParser()
    imports.register(parser.add_subparsers())
    args = parser.parse_args(["export", "--format", "xlsx", "--entity", "students", "--out", "x.xlsx",
                              "--template"])
    assert args.template is True


@pytest.mark.parametrize("entity", ["students", "staff", "parents"])
def test_every_entity_template_reads_back_as_headers(entity):
    table = build_table(entity, [], spreadsheet=True)
    out = io.BytesIO()
    XlsxExporter().write([table], out, WriteOptions(extra={"classes": "1А\n1Б"}))
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames[-1] == "Инструкция"
    assert [c.value for c in book.worksheets[0][1]] == list(table.headers)
    with pytest.raises(FormatError, match="только строка заголовков"):
        XlsxImporter().read(out.getvalue(), ReadOptions(max_rows=10))
