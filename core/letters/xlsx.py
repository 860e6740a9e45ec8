"""Invitation letters as a spreadsheet (openpyxl): sheet «Письма», one row per person.

A cell that a spreadsheet program could take for a formula (text starting with = + - @, a tab or a carriage
return) is written with a leading apostrophe, so a name typed as "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from zhurnal.core.letters import Letter

SHEET = "Письма"
HEADERS = ("Класс", "ФИО", "Логин", "Код", "Действует до", "Для кого")
WIDTHS = (10, 40, 22, 22, 14, 50)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Text that no spreadsheet program will evaluate as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def for_whom(letter: Letter) -> str:
    if letter.kind == "parent":
        return "родителю: " + ", ".join(letter.children) if letter.children else "родителю"
    return "обучающемуся"


def render_xlsx(letters: Sequence[Letter]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(HEADERS)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    line = Border(bottom=Side(style="thin"))
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
        cell.border = line
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for letter in letters:
        sheet.append([neutralise(letter.class_name), neutralise(letter.full_name), neutralise(letter.login),
                      neutralise(letter.code), letter.valid_until, neutralise(for_whom(letter))])
        row = sheet.max_row
        for column in (1, 2, 3, 4, 6):
            sheet.cell(row, column).data_type = "s"  # never a formula, whatever the text
        sheet.cell(row, 5).number_format = "DD.MM.YYYY"
        sheet.cell(row, 4).font = Font(name="Courier New")
    for index, width in enumerate(WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(sheet.max_row, 1)}"
    if letters:
        sheet.oddHeader.center.text = letters[0].school_name.replace("&", "&&")
    sheet.print_title_rows = "1:1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
