"""Untrusted files: malformed, truncated, wrong-encoding, hostile or oversized CSV files get a clear message
naming the problem, and nothing is written (a corpus generated here, on both engines for the write check)."""

from __future__ import annotations

import codecs

import pytest

from tests.test_import_support import TODAY, counts, make_classes, run, runs
from zhurnal.plugins.builtin.csv_format import CsvImporter, decode, detect_delimiter
from zhurnal.plugins.engine.formats import FormatError, ReadOptions
from zhurnal.plugins.engine.limits import Limits, limits_from
from zhurnal.plugins.engine.run import ImportFailed, ImportOptions, prepare
from zhurnal.plugins.manager import Hub

GOOD = "Фамилия;Имя;Дата рождения;Класс\nИванов;Иван;01.01.2015;5А\n"

# name -> (file bytes, words the refusal must contain)
REFUSED: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "пуст"),
    "blank_lines_only": (b"\n\n  \n", "пуст"),
    "zip_or_xlsx": (b"PK\x03\x04" + b"\x00" * 60, "ZIP"),
    "old_xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 60, "XLS"),
    "utf16_le": (codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"), "UTF-16"),
    "utf16_be": (codecs.BOM_UTF16_BE + GOOD.encode("utf-16-be"), "UTF-16"),
    "nul_bytes": (GOOD.encode() + b"\x00\x00", "нулевые байты"),
    "truncated_utf8": (GOOD.encode()[:-3] + "Ж".encode()[:1], "обрезан"),
    "damaged_utf8": (GOOD.encode().replace("Иван".encode(), b"\xd0\x98\xff\xd0\xb0\xd0\xbd"), "повреждён"),
    "mixed_encodings": (GOOD.encode() + "Петров;Пётр;01.01.2015;5А\n".encode("cp1251"), "смешаны"),
    "bom_then_cp1251": (codecs.BOM_UTF8 + GOOD.encode("cp1251"), "UTF-8"),
    "unclosed_quote": ((GOOD + "Петров;\"Пётр;01.01.2015;5А\n").encode(), "незакрытая кавычка"),
    "text_after_quote": ((GOOD + "\"Петров\"x;Пётр;01.01.2015;5А\n").encode(), "строка 3"),
    "too_many_columns": ((";".join(["x"] * 300) + "\n").encode(), "столбцов"),
    "binary_noise": (bytes(range(128, 256)) * 40, "не похож"),
    "no_name_columns": ("Кто;Когда\nИванов;01.01.2015\n".encode(), "Нет столбцов «Фамилия» и «Имя»"),
    "header_only_unknown": (b"a,b,c\n1,2,3\n", "Нет столбцов"),
}


@pytest.fixture
def hub() -> Hub:
    return Hub(entry_points=False)


@pytest.mark.parametrize("name", list(REFUSED))
def test_hostile_or_broken_files_are_refused_clearly(name, hub, store, school, admin, tmp_path):
    data, words = REFUSED[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)
    before = counts(store)
    with pytest.raises(ImportFailed) as refused:
        run(hub, store, admin, path, entity="students")
    assert words in str(refused.value)
    assert counts(store) == before and runs(store) == []


def test_size_limit_is_checked_before_reading(hub, store, admin, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(GOOD.encode() * 100)
    with pytest.raises(ImportFailed, match="больше предела 1 000"):
        run(hub, store, admin, path, limits=Limits(max_bytes=1000))


def test_row_limit(hub, store, admin, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(GOOD + "Петров;Пётр;01.01.2015;5А\n" * 5, encoding="utf-8")
    with pytest.raises(ImportFailed, match="больше 3 строк"):
        run(hub, store, admin, path, limits=Limits(max_rows=3))


def test_limits_come_from_the_config_file():
    assert limits_from({"import": {"max_bytes": 10, "max_rows": 2}}) == Limits(10, 2)
    assert limits_from({}) == Limits()
    from zhurnal.core.config import ConfigError

    with pytest.raises(ConfigError, match="max_rows"):
        limits_from({"import": {"max_rows": "many"}})


def test_control_and_bidi_characters_are_row_errors_not_crashes(hub, store, school, admin, tmp_path):
    make_classes(store, school.school_id)
    path = tmp_path / "bidi.csv"
    path.write_text("Фамилия;Имя;Дата рождения;Класс;Номер приказа;Дата приказа\n"
                    "Ива\u202eнов;Ив\u200bан;01.01.2015;5А;1;01.09.2026\n"
                    "Иванoв;Иван;01.01.2015;5А;1;01.09.2026\n", encoding="utf-8")
    before = counts(store)
    result = run(hub, store, admin, path)
    assert not result.applied and counts(store) == before
    texts = [str(m) for m in result.messages]
    assert any("Строка 2, столбец «Фамилия»" in t and "U+202E" in t for t in texts)
    assert any("Строка 3, столбец «Фамилия»" in t and "латинские буквы: o" in t for t in texts)


def test_extra_cells_and_formula_prefix_from_an_export(hub, store, school, admin, tmp_path):
    make_classes(store, school.school_id)
    path = tmp_path / "extra.csv"
    path.write_text("Фамилия;Имя;Дата рождения;Класс;Телефон;Номер приказа;Дата приказа\n"
                    "Иванов;Иван;01.01.2015;5А;'+7 912 000-00-09;1;01.09.2026;лишнее\n", encoding="utf-8")
    result = run(hub, store, admin, path, dry_run=True)
    assert [str(m) for m in result.messages] == ["Строка 2: в строке 8 значений, а столбцов 7 — лишние значения: "
                                                 "«лишнее»"]


def test_decode_and_delimiter_detection_units():
    assert decode("Ёжик".encode("cp1251"), None) == ("Ёжик", "cp1251", True)
    assert decode(codecs.BOM_UTF8 + "Ёжик".encode(), None) == ("Ёжик", "utf-8-sig", True)
    assert decode(b"plain ascii", None) == ("plain ascii", "utf-8", True)
    with pytest.raises(FormatError, match="koi8"):
        decode(b"x", "koi8-r")
    assert detect_delimiter("a\tb;c\n1\t2;3\n1\t2;3\n", None)[0] in ("\t", ";")
    assert detect_delimiter("Фамилия,Имя\nИванов,Иван\n", None) == (",", True)
    assert detect_delimiter("x", "tab") == ("\t", False)
    with pytest.raises(FormatError, match="разделитель"):
        detect_delimiter("x", "|")


def test_rows_keep_the_numbers_a_spreadsheet_shows():
    parsed = CsvImporter().read("Фамилия;Имя\n\nИванов;\"Иван\nИванович\"\nПетров;Пётр\n".encode(),
                                ReadOptions(max_rows=10))
    assert [r.number for r in parsed.tables[0].rows] == [3, 4]


def test_prepare_writes_nothing_even_for_a_good_file(hub, store, school, admin):
    make_classes(store, school.school_id)
    before = counts(store)
    prepared = prepare(hub, store, admin, GOOD.encode(), "x.csv",
                       ImportOptions(entity="students", today=TODAY), Limits())
    assert len(prepared.records) == 1 and counts(store) == before and runs(store) == []
