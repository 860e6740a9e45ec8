"""XLSX: read with python-calamine (Rust, fast, expands no XML entities), written with openpyxl as a template.

Import. The file is checked before anything parses it (plugins/builtin/safe_zip.py): not a ZIP, encrypted,
more than 1,000 entries, more than 100 MiB expanded or more than 100× expansion is refused; every XML member
with a DTD (<!DOCTYPE / <!ENTITY: XXE, "billion laughs") is refused — Excel never writes one; a sheet whose
cells span a range too big to hold (a lone cell at XFD1048576) is refused before calamine allocates it. The
limits can be changed per import with ReadOptions.extra ``zip_max_ratio``, ``zip_max_expanded``,
``zip_max_entries``, ``max_cells``. The first non-empty row of a sheet is its header row; the sheet read is
``ReadOptions.sheet`` or the first sheet whose headers name an entity (students, staff, parents). Cells
become text as a user typed them: dates дд.мм.гггг, whole numbers without ".0", a SNILS typed as a number
gets its leading zeros back (11 digits).

Export. A real template: a bold, frozen header row with an autofilter, drop-down lists (data validation) for
Пол, Класс (the school's classes of the year, WriteOptions.extra["classes"], one per line), Кем приходится
and similar columns, widths that fit, and an «Инструкция» sheet in Russian describing every column. The
engine neutralises formulas in text cells before the exporter sees them (spreadsheet = True); the exporter
writes every text cell as a string (never as a formula).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO
from xml.parsers import expat

from zhurnal.plugins import hookimpl
from zhurnal.plugins.builtin import safe_zip
from zhurnal.plugins.builtin.russian_layout import LAYOUTS, RELATION_EXPORT, SEX_EXPORT, header_key
from zhurnal.plugins.engine.formats import (
    Cell,
    Exporter,
    ExportTable,
    FormatError,
    Importer,
    ParsedFile,
    ReadOptions,
    SourceRow,
    SourceTable,
    WriteOptions,
    cell_text,
)
from zhurnal.plugins.engine.mapping import guess_entity

MAX_COLUMNS = 200
MAX_CELLS = 10_000_000  # the dense range calamine allocates (about 32 bytes a cell)
_SNILS_KEYS = {header_key(name) for layout in LAYOUTS.values() for col in layout
               if col.field in ("snils", "child_snils") for name in (col.header, col.field, *col.synonyms)}
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Any r="123" is a row number and any r="AB12" a cell reference (conservative: no other attribute is named r).
_ROW_REF = re.compile(rb"\sr=\"([0-9]+)\"")
_CELL_COL = re.compile(rb"\sr=\"([A-Za-z]{1,4})[0-9]")


def _int_option(options: ReadOptions, key: str, default: int) -> int:
    raw = options.extra.get(key)
    if raw is None:
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise FormatError(f"параметр {key}: «{raw}» — ожидается целое число") from None
    if value < 1:
        raise FormatError(f"параметр {key} должен быть больше нуля")
    return value


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def precheck(data: bytes, options: ReadOptions) -> None:
    """Everything refused before calamine sees the file (see the module's docstring)."""
    max_expanded = _int_option(options, "zip_max_expanded", safe_zip.MAX_EXPANDED)
    safe_zip.check_zip(data, max_ratio=_int_option(options, "zip_max_ratio", safe_zip.MAX_RATIO),
                       max_expanded=max_expanded,
                       max_entries=_int_option(options, "zip_max_entries", safe_zip.MAX_ENTRIES))
    max_cells = _int_option(options, "max_cells", MAX_CELLS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise FormatError("это ZIP-архив, но не книга Excel (XLSX): нет xl/ и [Content_Types].xml")
        for info in archive.infolist():
            name = info.filename
            if not name.lower().endswith((".xml", ".rels", ".vml")):
                continue
            xml = safe_zip.read_member(archive, name, max(info.file_size, 0) + 1024 if info.file_size < max_expanded
                                       else max_expanded)
            if _DTD.search(xml):
                raise FormatError(f"в «{name}» есть объявление DTD/сущностей (<!DOCTYPE>/<!ENTITY>): Excel такого "
                                  "не пишет, файл может быть вредоносным (XXE, «billion laughs»)")
            _well_formed(name, xml)
            if name.startswith("xl/worksheets/"):
                rows = max(map(int, _ROW_REF.findall(xml)), default=0)
                letters = set(_CELL_COL.findall(xml))
                columns = max((_column_number(c) for c in letters), default=0)
                if columns > MAX_COLUMNS and columns * max(rows, 1) > 1000:
                    raise FormatError(f"на листе ({name}) заполнены ячейки до столбца {columns}; допускается "
                                      f"не больше {MAX_COLUMNS} столбцов — удалите лишние ячейки справа")
                if rows * max(columns, 1) > max_cells:
                    raise FormatError(f"на листе ({name}) диапазон {rows} строк × {columns} столбцов — больше "
                                      f"предела {max_cells} ячеек; удалите пустые строки и лишние ячейки")


def _well_formed(name: str, xml: bytes) -> None:
    """Refuse XML that is not well-formed (calamine would read a damaged sheet leniently). Run after the DTD
    check, so expat meets no entity declarations."""
    parser = expat.ParserCreate()
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise FormatError(f"файл «{name}» в книге повреждён (XML: {expat.ErrorString(exc.code)}, строка "
                          f"{exc.lineno}); пересохраните книгу в Excel") from None


def _text(value: Any, snils: bool) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "ИСТИНА" if value else "ЛОЖЬ"
    if isinstance(value, datetime):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    if isinstance(value, date):
        return cell_text(value)
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e16:
            whole = str(int(value))
            return whole.zfill(11) if snils and len(whole) < 11 and value >= 0 else whole
        return repr(value).replace(".", ",")
    if isinstance(value, int):
        whole = str(value)
        return whole.zfill(11) if snils and len(whole) < 11 and value >= 0 else whole
    return str(value)


class _Shared:
    """One string object per repeated cell value of a column (a class, a sex, a first name, an order number
    repeat across a district's 100,000 rows: tens of MB of equal strings otherwise). A column whose values
    stop repeating (SNILS, surnames) is no longer remembered past `LIMIT` distinct values."""

    LIMIT = 5_000

    def __init__(self) -> None:
        self.columns: list[dict[str, str] | None] = []

    def cells(self, cells: list[str]) -> list[str]:
        columns = self.columns
        while len(columns) < len(cells):
            columns.append({})
        for i, value in enumerate(cells):
            known = columns[i]
            if known is None:
                continue
            found = known.get(value)
            if found is not None:
                cells[i] = found
            elif len(known) < self.LIMIT:
                known[value] = value
            else:
                columns[i] = None
        return cells


def _is_blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) or v == "" for v in row)


def _sheet_table(workbook: Any, name: str, max_rows: int) -> SourceTable | None:
    """The sheet as a table (None: the sheet is empty)."""
    sheet = workbook.get_sheet_by_name(name)
    if sheet.width > MAX_COLUMNS:
        raise FormatError(f"на листе «{name}» {sheet.width} столбцов, допускается не больше {MAX_COLUMNS}")
    headers: list[str] | None = None
    snils_cols: set[int] = set()
    rows: list[SourceRow] = []
    shared = _Shared()
    for index, values in enumerate(sheet.iter_rows()):
        if _is_blank(values):
            continue
        if headers is None:
            headers = [_text(v, False).strip() for v in values]
            while headers and not headers[-1]:
                headers.pop()
            snils_cols = {i for i, h in enumerate(headers) if header_key(h) in _SNILS_KEYS}
            continue
        if len(rows) >= max_rows:
            raise FormatError(f"на листе «{name}» больше {max_rows} строк данных — это предел ([import] max_rows "
                              "в config.toml); разделите файл")
        cells = [v if v.__class__ is str else _text(v, i in snils_cols) for i, v in enumerate(values)]
        while len(cells) > len(headers) and not cells[-1].strip():
            cells.pop()
        rows.append(SourceRow(index + 1, shared.cells(cells)))
    if headers is None:
        return None
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):
        key = header_key(header)
        if key and key in seen:
            raise FormatError(f"на листе «{name}» заголовок «{header}» повторяется (столбцы {_letters(seen[key])} "
                              f"и {_letters(i)}); переименуйте или удалите один из них")
        seen.setdefault(key, i)
    return SourceTable(headers, rows, name)


def _letters(index: int) -> str:
    n, letters = index + 1, ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _open(data: bytes) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own errors for every kind of damage
        kind = type(exc).__name__
        if "Password" in kind:
            raise FormatError("книга защищена паролем; снимите пароль и сохраните файл заново") from None
        raise FormatError(f"файл XLSX повреждён или обрезан ({kind}: {str(exc)[:200]})") from None


class XlsxImporter(Importer):
    name = "xlsx"
    title = "Excel XLSX (первая непустая строка листа — заголовки)"
    extensions = (".xlsx", ".xlsm")

    def detect(self, data: bytes, file_name: str) -> int:
        named = file_name.lower().endswith(self.extensions)
        if data.startswith(b"PK\x03\x04") and b"xl/" in data[:65536]:
            return 20
        return 10 if named else 0

    def read(self, data: bytes, options: ReadOptions) -> ParsedFile:
        precheck(data, options)
        workbook = _open(data)
        try:
            names = list(workbook.sheet_names)
            if not names:
                raise FormatError("в книге нет листов")
            if options.sheet is not None:
                if options.sheet not in names:
                    raise FormatError(f"в книге нет листа «{options.sheet}»; листы: {', '.join(names)}")
                candidates = [options.sheet]
            else:
                candidates = names
            chosen: SourceTable | None = None
            first: SourceTable | None = None
            for name in candidates:
                try:
                    table = _sheet_table(workbook, name, options.max_rows)
                except FormatError:
                    raise
                except Exception as exc:
                    raise FormatError(f"лист «{name}» не читается ({type(exc).__name__}: "
                                      f"{str(exc)[:200]})") from None
                if table is None:
                    continue
                first = first or table
                if options.sheet is not None or guess_entity(table.headers) is not None:
                    chosen = table
                    break
            table = chosen or first
            if table is None:
                raise FormatError("книга пуста: ни на одном листе нет строки заголовков")
            if not table.rows:
                raise FormatError(f"на листе «{table.name}» только строка заголовков, строк данных нет")
        finally:
            workbook.close()
        how = "указан" if options.sheet else ("выбран по заголовкам" if chosen else "первый непустой")
        return ParsedFile([table], {"sheet": table.name}, [f"Лист: «{table.name}» ({how})"])


# --- export ---------------------------------------------------------------------------------------------

_DATE_FIELDS = {"birth_date", "order_date", "start_date", "child_birth_date"}
_EXPLAIN: dict[str, str] = {
    "last_name": "Фамилия (обязательно). Кириллица; дефис допускается (Римская-Корсакова).",
    "first_name": "Имя (обязательно).",
    "middle_name": "Отчество, если есть.",
    "birth_date": "Дата рождения.",
    "sex": "Пол: М или Ж (выбор из списка).",
    "class_name": "Класс текущего учебного года, например 5А (выбор из списка классов школы).",
    "snils": "СНИЛС: 11 цифр, можно с дефисами и пробелом: 123-456-789 01. Контрольное число проверяется.",
    "phone": "Телефон: +7 912 345-67-89 или 89123456789.",
    "email": "Адрес электронной почты.",
    "address": "Адрес проживания.",
    "external_id": "Идентификатор в другой системе (необязательно); по нему строки находятся при повторном "
                   "импорте.",
    "order_number": "Номер приказа о зачислении/приёме (например 12-у).",
    "order_date": "Дата приказа.",
    "start_date": "Дата зачисления или приёма на работу.",
    "position": "Должность (например: учитель, заместитель директора).",
    "rate": "Ставка: 1 или дробь через запятую (0,5).",
    "relation": "Кем приходится ребёнку: мать, отец, опекун, иной представитель (выбор из списка).",
    "child_name": "ФИО ребёнка, как в списке обучающихся.",
    "child_birth_date": "Дата рождения ребёнка (чтобы отличить однофамильцев).",
    "child_snils": "СНИЛС ребёнка.",
    "child_class": "Класс ребёнка.",
}
_WIDTHS = {"last_name": 18, "first_name": 14, "middle_name": 18, "birth_date": 14, "sex": 6, "class_name": 8,
           "snils": 16, "phone": 18, "email": 26, "address": 36, "external_id": 20, "position": 24, "rate": 8}
DATE_FORMATS = "дд.мм.гггг (01.09.2015), гггг-мм-дд (2015-09-01) или ячейка в формате «Дата»"
MAX_LIST_ROWS = 10_000  # data validation covers this many rows below the header in an empty template


def _explain(field: str) -> str:
    if field.startswith("parent") and field[6:7].isdigit():
        n, what = field[6], field.split("_", 1)[1]
        return {"name": f"ФИО родителя {n} (законного представителя).",
                "phone": f"Телефон родителя {n}.", "email": f"E-mail родителя {n}.",
                "relation": f"Кем родитель {n} приходится ребёнку (выбор из списка)."}.get(what, "")
    return _EXPLAIN.get(field, "")


def enumerations(field: str, extra: Mapping[str, str]) -> list[str] | None:
    """The allowed values of a column offered as a drop-down list; None: free text."""
    if field == "sex":
        return list(SEX_EXPORT.values())
    if field == "relation" or (field.startswith("parent") and field.endswith("_relation")):
        return list(RELATION_EXPORT.values())
    if field in ("class_name", "child_class"):
        classes = [c.strip() for c in extra.get("classes", "").splitlines() if c.strip()]
        return classes or None
    return None


def _list_formula(values: Sequence[str], sheet_name: str, column: str) -> str:
    inline = ",".join(values)
    if len(inline) <= 250 and not any("," in v or '"' in v for v in values):
        return f'"{inline}"'
    return f"'{sheet_name}'!${column}$2:${column}${len(values) + 1}"


class XlsxExporter(Exporter):
    name = "xlsx"
    title = "Excel XLSX — шаблон: заголовки, списки выбора, лист «Инструкция»"
    extension = ".xlsx"
    spreadsheet = True

    def write(self, tables: Sequence[ExportTable], out: BinaryIO, options: WriteOptions) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.datavalidation import DataValidation

        if len(tables) != 1:
            raise FormatError("шаблон XLSX хранит одну таблицу")
        table = tables[0]
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = {"students": "Обучающиеся", "staff": "Сотрудники", "parents": "Родители"}.get(
            table.entity, (table.name or table.entity or "Данные")[:31])
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        for r in range(2, len(table.rows) + 2):
            for c, field in enumerate(table.fields, 1):
                cell = sheet.cell(r, c)
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a string, never a formula, whatever it starts with
                if field in _DATE_FIELDS:
                    cell.number_format = "DD.MM.YYYY"
                elif field in ("snils", "phone", "child_snils") or field.endswith("_phone"):
                    cell.number_format = "@"
        last_row = max(len(table.rows) + 1, MAX_LIST_ROWS + 1)
        lists = book.create_sheet("Списки")
        list_col = 0
        for c, field in enumerate(table.fields, 1):
            letter = get_column_letter(c)
            width = max([_WIDTHS.get(field, 14), len(str(table.headers[c - 1])) + 2]
                        + [min(len(cell_text(row[c - 1])) + 2, 60) for row in table.rows[:500]])
            sheet.column_dimensions[letter].width = width
            values = enumerations(field, options.extra)
            if values:
                list_col += 1
                list_letter = get_column_letter(list_col)
                lists.cell(1, list_col, str(table.headers[c - 1])).font = bold
                for i, value in enumerate(values, 2):
                    lists.cell(i, list_col, value).data_type = "s"
                dv = DataValidation(type="list", formula1=_list_formula(values, "Списки", list_letter),
                                    allow_blank=True, showErrorMessage=True, errorTitle="Недопустимое значение",
                                    error=f"Выберите значение из списка «{table.headers[c - 1]}»",
                                    promptTitle=str(table.headers[c - 1])[:32],
                                    prompt="Выберите значение из списка")
                dv.add(f"{letter}2:{letter}{last_row}")
                sheet.add_data_validation(dv)
            elif field in _DATE_FIELDS:
                dv = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                                    formula2="DATE(2100,12,31)", allow_blank=True, showErrorMessage=False,
                                    promptTitle="Дата", prompt="Дата в формате дд.мм.гггг")
                dv.add(f"{letter}2:{letter}{last_row}")
                sheet.add_data_validation(dv)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(table.headers), 1))}{len(table.rows) + 1}"
        lists.sheet_state = "hidden" if list_col else "visible"
        if not list_col:
            book.remove(lists)
        self._instructions(book, table, options, bold)
        buffer = io.BytesIO()
        book.save(buffer)
        out.write(buffer.getvalue())

    @staticmethod
    def _instructions(book: Any, table: ExportTable, options: WriteOptions, bold: Any) -> None:
        from openpyxl.styles import Alignment

        info = book.create_sheet("Инструкция")
        info.column_dimensions["A"].width = 30
        info.column_dimensions["B"].width = 90
        lines: list[tuple[str, str]] = [
            ("Как заполнять", f"Заполните лист «{book.worksheets[0].title}»: одна строка — один человек. Не "
                              "меняйте и не удаляйте строку заголовков; порядок столбцов можно менять."),
            ("Даты", f"Все даты: {DATE_FORMATS}."),
            ("Списки выбора", "В столбцах с треугольником справа значение выбирается из списка; другое "
                              "значение не будет принято."),
            ("Формулы", "Формулы не вычисляются: значения, начинающиеся с = + - @, сохраняются как текст "
                        "с апострофом."),
            ("Повторная загрузка", "Файл можно загружать повторно: уже внесённые люди находятся по СНИЛС, "
                                   "внешнему идентификатору или ФИО с датой рождения; дубликаты не создаются."),
            ("", ""),
            ("Столбец", "Что вписывать"),
        ]
        for header, field in zip(table.headers, table.fields, strict=True):
            text = _explain(field)
            values = enumerations(field, options.extra)
            if values and field not in ("class_name", "child_class"):
                text += f" Допустимо: {', '.join(values)}."
            if field in _DATE_FIELDS:
                text += f" Формат: {DATE_FORMATS}."
            lines.append((str(header), text))
        for a, b in lines:
            info.append([a, b])
        for row in info.iter_rows():
            row[0].font = bold
            row[1].alignment = Alignment(wrap_text=True, vertical="top")
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"


def _cell(value: Cell) -> Any:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, int):
        return value
    return cell_text(value) if not isinstance(value, str) else value


@hookimpl
def register_importers(register: Callable[[Importer], None]) -> None:
    register(XlsxImporter())


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    register(XlsxExporter())
