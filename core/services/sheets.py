"""A small, fast XLSX writer for plain reports: text, whole numbers and dates, bold title rows, column widths,
frozen header rows.

openpyxl builds an object per cell and spends most of a year's archive there (a school's movement book is
thousands of cells); this writes the sheet XML directly. Text is written as inline strings, which no
spreadsheet program evaluates as a formula.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape, quoteattr

Cell = str | int | date | None
_EPOCH = date(1899, 12, 30)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PLAIN = re.compile("[^&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*")  # text needing no escape or removal
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_STYLES = (f'<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="DD.MM.YYYY"/>'
           '</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/>'
           '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
           '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
           'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" '
           'borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
           'applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
           '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')
_DATE_STYLE, _BOLD_STYLE = 1, 2


@dataclass(frozen=True)
class Sheet:
    title: str  # at most 31 characters, none of []:*?/\
    rows: Sequence[Sequence[Cell]]
    widths: Sequence[float] = ()
    bold_rows: int = 0  # the first rows in bold (title and header), frozen above the data


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: Cell, bold: bool) -> str:
    style = f' s="{_BOLD_STYLE}"' if bold else ""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE_STYLE}"><v>{(value - _EPOCH).days}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    text = escape(_ILLEGAL.sub("", value))
    return f'<c r="{ref}" t="inlineStr"{style}><is><t xml:space="preserve">{text}</t></is></c>'


def _plain_cell(ref: str, value: Cell) -> str:
    """`_cell` of a body row, with the two commonest cells (blank, a whole number: a summary of final marks
    is tens of thousands of them) decided first."""
    if value is None:
        return ""
    if type(value) is int:  # not bool, a subclass of int
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>' if value else ""
    return _cell(ref, value, False)


def _sheet_xml(sheet: Sheet) -> str:
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}">']
    if sheet.bold_rows:
        top = f"A{sheet.bold_rows + 1}"
        parts.append(f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{sheet.bold_rows}" '
                     f'topLeftCell="{top}" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
    if sheet.widths:
        parts.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                        for i, w in enumerate(sheet.widths, 1)) + "</cols>")
    parts.append("<sheetData>")
    columns = [_column(i) for i in range(max((len(r) for r in sheet.rows), default=0))]
    for number, row in enumerate(sheet.rows, 1):
        if number <= sheet.bold_rows:
            cells = "".join(_cell(f"{columns[i]}{number}", value, True) for i, value in enumerate(row))
        else:
            cells = "".join([_plain_cell(f"{column}{number}", value)
                             for column, value in zip(columns, row, strict=False)])
        parts.append(f'<row r="{number}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The workbook as bytes; sheets in the order given."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for i in range(1, len(sheets) + 1))
        book.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            f'officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'))
        book.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                                     f'xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
                                     'Target="xl/workbook.xml"/></Relationships>')
        entries = "".join(f'<sheet name={quoteattr(s.title[:31])} sheetId="{i}" r:id="rId{i}"/>'
                          for i, s in enumerate(sheets, 1))
        book.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook '
                                         f'xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{entries}</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(sheets) + 1))
        rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        book.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                                    f'<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>')
        book.writestr("xl/styles.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + _STYLES)
        for i, sheet in enumerate(sheets, 1):
            book.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(sheet))
    return out.getvalue()
