"""The hostile-file corpus (tests/data/hostile, written by make_corpus.py): zip bombs, XXE and billion laughs,
truncated and disguised files, bad encodings, formulas, bidi characters, absurd dates, huge and deep JSON.
Each file gets a clear message (a refusal naming the problem, or row errors), writes NOTHING to the store,
does not crash the process and finishes in bounded time — on both engines."""

from __future__ import annotations

import importlib.util
import io
import time
from pathlib import Path

import pytest

from tests.test_import_files import REFUSED
from tests.test_import_support import counts, make_classes, run
from zhurnal.plugins.engine.run import ImportFailed
from zhurnal.plugins.manager import Hub

CORPUS_SCRIPT = Path(__file__).resolve().parent / "data" / "hostile" / "make_corpus.py"
SECONDS = 30.0

# file -> words the refusal (ImportFailed) or one of the row errors must contain
EXPECTED: dict[str, str] = {
    "bomb_ratio.xlsx": "zip-бомба",
    "bomb_many_entries.xlsx": "допускается не больше 1000",
    "bomb_declared_size.xlsx": "100.0 МиБ",
    "bomb_spread_ratio.xlsx": "больше своего размера",
    "bomb_sheet_ratio.xlsx": "сжат более чем в 100 раз",
    "zip_encrypted_flag.xlsx": "зашифрован",
    "zip_not_a_workbook.xlsx": "не книга Excel",
    "zip_empty.xlsx": "не является ZIP",
    "truncated_half.xlsx": "обрезан",
    "truncated_tail.xlsx": "обрезан",
    "pdf_renamed.xlsx": "PDF",
    "ole_encrypted.xlsx": "зашифрованный XLSX",
    "random_bytes.xlsx": "не является ZIP",
    "empty.xlsx": "не является ZIP",
    "xxe_shared_strings.xlsx": "XXE",
    "laughs_shared_strings.xlsx": "billion laughs",
    "xxe_workbook.xlsx": "<!DOCTYPE>",
    "laughs_sheet.xlsx": "<!ENTITY>",
    "malformed_sheet_xml.xlsx": "повреждён (XML",
    "missing_sheet_part.xlsx": "не читается",
    "shared_string_out_of_range.xlsx": "не читается",
    "far_cell.xlsx": "не больше 200 столбцов",
    "too_many_columns.xlsx": "300 столбцов",
    "headers_only.xlsx": "строк данных нет",
    "duplicate_headers.xlsx": "повторяется (столбцы A и H)",
    "empty_rows_100k.xlsx": "Строка 100002, столбец «Дата рождения»",
    "formulas.xlsx": "Строка 5, столбец «Фамилия»: недопустимые символы «@»",
    "bidi_names.xlsx": "U+202E",
    "absurd_dates.xlsx": "раньше 1900 года",
    "wrong_extension_xlsx.csv": "такой даты нет в календаре («32.13.2015»)",
    "huge_cell.xlsx": "zip-бомба",
    "nul_bytes.csv": "нулевые байты",
    "invalid_utf8.csv": "байт 0xC3 в строке 2",
    "mixed_encodings.csv": "смешаны кодировки",
    "single_line_10mb.csv": "слишком длинное значение",
    "formulas.csv": "Строка 5, столбец «Фамилия»: недопустимые символы «@»",
    "bidi_names.csv": "нулевые байты",
    "absurd_dates.csv": "99.99.9999",
    "empty_rows_100k.csv": "Строка 100002",
    "headers_only.csv": "",  # nothing to import: applied with zero rows (see test below)
    "duplicate_headers.csv": "повторяется",
    "utf16_bom.csv": "UTF-16",
    "deep_nesting.json": "вложенность JSON",
    "deep_nesting_in_row.json": "вложенность JSON",
    "huge_numbers.json": "слишком большое",
    "huge_float.json": "«inf»",
    "nan.json": "NaN",
    "wrong_types.json": "а не dict",
    "wrong_types_bool.json": "логическое значение",
    "wrong_types_tables.json": "должно быть объектом",
    "rows_not_objects.json": "ожидается объект",
    "not_zhurnal.json": "не документ zhurnal-json",
    "wrong_version.json": "не поддерживается",
    "unknown_table.json": "«passwords» неизвестна",
    "store_kind.json": "полная выгрузка",
    "truncated.json": "JSON повреждён",
    "invalid_utf8.json": "UTF-8",
    "absurd_dates.json": "такой даты нет в календаре («2015-02-31»)",
}
# The engine maps the second of two equal headers to nothing (with a note) and imports the rest: a CSV with
# a duplicated header is therefore not refused. The XLSX importer refuses it; the CSV side is the engine's.


def build_corpus() -> dict[str, bytes]:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus written by make_corpus.py (deterministic; built per run rather than kept in the repository,
    where its 10 MB single-line file and zip bombs would only add weight)."""
    folder = tmp_path_factory.mktemp("hostile")
    for name, data in build_corpus().items():
        (folder / name).write_bytes(data)
    return folder


def corpus(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


@pytest.fixture
def hub() -> Hub:
    return Hub(entry_points=False)


def test_the_corpus_has_at_least_fifty_files_with_the_csv_cases(hostile):
    assert set(corpus(hostile)) == set(EXPECTED)
    assert len(corpus(hostile)) + len(REFUSED) >= 50


def test_the_corpus_is_deterministic(hostile):
    assert all((hostile / name).read_bytes() == data for name, data in build_corpus().items())


@pytest.mark.parametrize("name", list(EXPECTED))
def test_hostile_file_gets_a_clear_message_and_writes_nothing(name, hub, store, school, admin, hostile):
    make_classes(store, school.school_id)
    before = counts(store)
    started = time.perf_counter()
    try:
        result = run(hub, store, admin, hostile / name, entity="students")
    except ImportFailed as refused:
        text = str(refused)
        assert "Ничего не записано" in text
    else:
        text = "\n".join(str(m) for m in result.messages)
        if name == "headers_only.csv":
            assert result.report.counts.get("new", 0) == 0 and not result.messages
        else:
            assert not result.applied and result.messages, name
    assert EXPECTED[name] in text, text[:500]
    assert counts(store) == before
    assert time.perf_counter() - started < SECONDS


@pytest.mark.parametrize("name", ["laughs_shared_strings.xlsx", "xxe_shared_strings.xlsx", "laughs_sheet.xlsx",
                                  "xxe_workbook.xlsx"])
def test_calamine_itself_expands_no_entity(name, hostile):
    """Even without the DTD refusal, calamine (Rust, quick-xml) expands neither internal nor external
    entities: a cell is either an error or the entity's name, never «lollol…» or /etc/passwd."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO((hostile / name).read_bytes()))
        cells = [str(v) for sheet in book.sheet_names for row in book.get_sheet_by_name(sheet).to_python()
                 for v in row]
    except Exception as exc:  # refusing the document is as good
        cells = [str(exc)]
    joined = "".join(cells)
    assert "lollol" not in joined and "root:" not in joined
    assert len(joined) < 10_000
