"""Invitation letters on their own: the PDF renders Cyrillic, the XLSX neutralises formulas, files appear
atomically and readable by the owner only."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from zhurnal.core import letters
from zhurnal.core.letters import Letter, format_of
from zhurnal.core.letters.xlsx import neutralise

SCHOOL = "МБОУ «Средняя общеобразовательная школа № 1 имени А. С. Пушкина»"
UNTIL = date(2026, 12, 12)


def student(name: str, code: str = "K7M2Q-9TXAF-H3R8W", login: str = "ivanova.a", klass: str = "5А") -> Letter:
    return Letter(SCHOOL, "student", name, klass, login, code, UNTIL)


def parent(name: str, children: tuple[str, ...]) -> Letter:
    return Letter(SCHOOL, "parent", name, "5А, 7Б", "ivanova.e", "ABCDE-FGHJK-MNPQR", UNTIL, children)


def test_format_by_extension():
    assert format_of("x/Письма.PDF") == "pdf" and format_of("a.xlsx") == "xlsx"
    assert format_of("a.txt") is None and format_of("pdf") is None


def test_pdf_has_a_page_per_person_with_cyrillic_text(tmp_path: Path):
    batch = [student("Иванова Анна Сергеевна"), student("Щукин-Ёлкин Юрий", "22222-33333-44444", "shchukin.yu")]
    path = letters.write(batch, tmp_path / "5А.pdf", "pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(path)
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    for text in (SCHOOL, "Иванова Анна Сергеевна", "ivanova.a", "K7M2Q-9TXAF-H3R8W", "12.12.2026", "5А",
                 "Приглашение в электронный журнал", "для обучающегося"):
        assert text in first, text
    assert "Щукин-Ёлкин Юрий" in second and "22222-33333-44444" in second
    fonts = {str(font) for page in reader.pages for font in page["/Resources"]["/Font"].values()
             for font in [font.get_object()["/BaseFont"]]}
    assert any("DejaVuSansMono" in f for f in fonts) and any("DejaVuSansBold" in f for f in fonts)


def test_parent_letter_says_it_is_for_the_parent_and_names_the_children(tmp_path: Path):
    path = letters.write([parent("Иванова Елена Петровна", ("Иванова Анна (5А)", "Иванов Борис (7Б)"))],
                         tmp_path / "p.pdf", "pdf")
    text = " ".join(PdfReader(path).pages[0].extract_text().split())
    assert "для родителя (законного представителя)" in text
    assert "Иванова Анна (5А), Иванов Борис (7Б)" in text and "Дети" in text
    assert "не учётную запись ребёнка" in text


def test_a_long_school_name_and_many_children_stay_on_one_page(tmp_path: Path):
    long_school = "Муниципальное бюджетное общеобразовательное учреждение " * 4
    children = tuple(f"Константинопольская Александра ({n}А)" for n in range(1, 6))
    letter = Letter(long_school, "parent", "Константинопольский Владислав Вячеславович", "", "k.v", "22222-33333-44444",
                    UNTIL, children)
    reader = PdfReader(letters.write([letter], tmp_path / "long.pdf", "pdf"))
    assert len(reader.pages) == 1
    assert "Константинопольская Александра (5А)" in " ".join(reader.pages[0].extract_text().split())


def test_xlsx_rows_and_formula_neutralisation(tmp_path: Path):
    batch = [student("=cmd|' /C calc'!A0", login="-2+3"), student("Петров Пётр", "22222-33333-44444", "petrov.p"),
             parent("@SUM(1)", ("Петров Пётр (5А)",))]
    path = letters.write(batch, tmp_path / "5А.xlsx", "xlsx")
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Письма"]
    rows = book.get_sheet_by_name("Письма").to_python()
    assert rows[0] == ["Класс", "ФИО", "Логин", "Код", "Действует до", "Для кого"]
    assert rows[1] == ["5А", "'=cmd|' /C calc'!A0", "'-2+3", "K7M2Q-9TXAF-H3R8W", UNTIL, "обучающемуся"]
    assert rows[2][1:4] == ["Петров Пётр", "petrov.p", "22222-33333-44444"]
    assert rows[3][1] == "'@SUM(1)" and rows[3][5] == "родителю: Петров Пётр (5А)"
    from openpyxl import load_workbook

    sheet = load_workbook(path)["Письма"]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2" and sheet.column_dimensions["B"].width >= 30
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("text", ["=1+1", "+7 999", "-5", "@x", "\tcmd", "\rcmd"])
def test_neutralise(text: str):
    assert neutralise(text) == "'" + text
    assert neutralise("Иванова") == "Иванова"


def test_write_is_atomic_and_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "letters.pdf"
    target.write_bytes(b"old")
    letters.write([student("Иванова Анна")], target, "pdf")
    assert (target.stat().st_mode & 0o777) == 0o600 and target.read_bytes().startswith(b"%PDF")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        letters.write([student("Петров Пётр")], target, "pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letters.pdf"]  # no temporary file left
    assert target.read_bytes().startswith(b"%PDF")  # the previous file untouched
