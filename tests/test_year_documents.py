"""The year archive's documents without a database: the PDFs say what they hold (read back with pypdf), drawn in
the common part of the font, or in the whole font when a name needs a character outside it; the XLSX writer
escapes and skips what it must."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

from pypdf import PdfReader

from zhurnal.core.services import pdfdoc
from zhurnal.core.services.finalsummary import ClassSummary, SummaryRow, summary_pdf
from zhurnal.core.services.movements import MovementBook, MovementRow, book_pdf
from zhurnal.core.services.sheets import Sheet, write_xlsx


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def one_class(name: str) -> list[ClassSummary]:
    return [ClassSummary("5А", ("Математика", "Русский язык", "Физкультура"), (), "", (
        SummaryRow(1, name, ({0: "5"}, {0: "4"}, {0: "зач"})),
        SummaryRow(2, "Петров Пётр", ({0: "3"}, {}, {0: "5"})),
    ))]


def test_summary_pdf_holds_names_and_year_marks_in_order() -> None:
    text = text_of(summary_pdf(one_class("Иванова Анна"), "2026/2027", "Школа № 5"))

    assert "Сводная ведомость итоговых (годовых) отметок, 5А, 2026/2027. Школа № 5" in text
    assert "1. Математика; 2. Русский язык; 3. Физкультура" in text
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    assert "1 Иванова Анна 5 4 зач" in lines  # a mark of more than one character: a call per cell
    assert "2 Петров Пётр 3 5" in lines  # one-digit marks: one call, the gap left for the missing mark


def test_a_character_outside_the_common_part_draws_the_document_in_the_whole_font() -> None:
    common = pdfdoc._common_part()
    assert common is not None
    covered = common[1]
    georgian = "ნინო Абашидзе"
    assert "ნ" not in covered and "Ё" in covered and "№" in covered

    common = summary_pdf(one_class("Ёлкина Анна"), "2026/2027")
    whole = summary_pdf(one_class(georgian), "2026/2027")

    assert georgian in text_of(whole) and "Ёлкина Анна" in text_of(common)


def test_the_common_part_alone_would_lose_such_a_character() -> None:
    common = pdfdoc._common_part()
    assert common is not None
    pdf = pdfdoc.ArchivePdf("t", common[0])
    pdf.add_page()
    pdf.set_font(pdfdoc.FAMILY, "", 10)
    pdf.text(10, 10, "ნინო")

    assert "ნ" not in text_of(bytes(pdf.output())) and pdf.drawn == set("ნინო")


def test_movement_book_pdf_lists_arrivals_and_departures_with_the_counts_of_the_lists() -> None:
    row = MovementRow(1, "Сидоров Иван Петрович", date(2015, 3, 1), "arrived", date(2026, 9, 1), "5А", "12-у",
                      date(2026, 8, 30), "прибыл из другой школы", "МБОУ СОШ № 7")
    left = MovementRow(2, "Кузнецова Мария", None, "left", date(2027, 6, 25), "11А", "102-у", date(2027, 6, 25),
                       "выпущен", None)
    book = MovementBook(date(2026, 9, 1), date(2027, 8, 31), (row,), (left,), {"graduated": (left,)})

    text = text_of(book_pdf(book, "Школа"))

    assert "Прибыли (1)" in text and "Выбыли (1)" in text
    assert "Сидоров Иван Петрович" in text and "01.03.2015" in text and "МБОУ СОШ № 7" in text
    assert "Кузнецова Мария" in text and "Выпущены: 1" in text


def test_xlsx_cells_are_escaped_cleaned_and_blank_ones_left_out() -> None:
    data = write_xlsx([Sheet("Лист", [["Заголовок"], ["a", None, 5, "x<y & z", "bad\x01char", "", date(2027, 1, 2)]],
                             (), 1)])

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="A2" t="inlineStr"><is><t xml:space="preserve">a</t></is></c>' in xml
    assert 'r="B2"' not in xml and 'r="F2"' not in xml
    assert '<c r="C2"><v>5</v></c>' in xml
    assert "x&lt;y &amp; z" in xml and "badchar" in xml
    assert '<c r="G2" s="1"><v>46389</v></c>' in xml
