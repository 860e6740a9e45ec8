"""CSV: UTF-8 (with or without BOM) and cp1251; delimiters «,» «;» and tab — detected, shown, overridable.

Export writes UTF-8 with a BOM and «;» by default: what a Russian spreadsheet opens correctly on a double
click. Rows are numbered as a spreadsheet shows them: the header row is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import BinaryIO

from zhurnal.plugins import hookimpl
from zhurnal.plugins.engine.formats import (
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

ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig",
             "cp1251": "cp1251", "windows-1251": "cp1251", "win1251": "cp1251", "1251": "cp1251"}
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}
DELIMITER_NAMES = {",": "«,» (запятая)", ";": "«;» (точка с запятой)", "\t": "табуляция"}
MAX_COLUMNS = 200
_UTF8_PAIR = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_HIGH = re.compile(rb"[\x80-\xff]")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _refuse_binary(data: bytes) -> None:
    if data.startswith(b"PK\x03\x04"):
        raise FormatError("это ZIP-архив (например, XLSX), а не CSV; укажите формат этого файла")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError("это файл старого Excel (XLS), а не CSV; сохраните его как CSV или XLSX")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FormatError("файл в кодировке UTF-16; сохраните его как CSV в UTF-8 или Windows-1251")
    if b"\x00" in data[:65536]:
        raise FormatError("в файле есть нулевые байты: это двоичный файл, а не текст CSV")


def decode(data: bytes, encoding: str | None) -> tuple[str, str, bool]:
    """(text, encoding, detected) — `encoding` given by the user wins; otherwise UTF-8 (BOM or not), and
    cp1251 for a file that is not UTF-8. A file that looks like damaged UTF-8 is refused, not guessed."""
    _refuse_binary(data)
    if encoding is not None:
        name = ENCODINGS.get(encoding.strip().lower())
        if name is None:
            raise FormatError(f"кодировка «{encoding}» не поддерживается; допустимы utf-8 и cp1251")
        if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        try:
            return data.decode(name), name, False
        except UnicodeDecodeError as exc:
            raise FormatError(f"файл не читается в кодировке {name}: байт 0x{data[exc.start]:02X} в строке "
                              f"{_line_of(data, exc.start)}") from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig", True
        except UnicodeDecodeError as exc:
            raise _damaged_utf8(data, exc) from None
    try:
        return data.decode("utf-8"), "utf-8", True
    except UnicodeDecodeError as exc:
        pairs = len(_UTF8_PAIR.findall(data))
        high = len(_HIGH.findall(data))
        if exc.reason == "unexpected end of data" or (pairs and pairs * 2 >= high * 0.6):
            raise _damaged_utf8(data, exc) from None
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise FormatError(f"файл не похож ни на UTF-8, ни на cp1251: байт 0x{data[exc.start]:02X} в строке "
                          f"{_line_of(data, exc.start)}") from None
    # Counted per distinct character (a C-speed tally), not per character of the file.
    strange = sum(n for ch, n in Counter(text).items()
                  if ord(ch) > 127 and not ch.isalpha() and ch not in "№«»–—…“”„’‘ ")
    if strange > max(3, len(text) // 50):
        raise FormatError("файл не похож на текст в UTF-8 или cp1251 (много непечатаемых знаков); "
                          "проверьте, что это CSV, или укажите кодировку --encoding")
    return text, "cp1251", True


def _damaged_utf8(data: bytes, exc: UnicodeDecodeError) -> FormatError:
    if exc.reason == "unexpected end of data":
        return FormatError("файл обрезан: последний символ UTF-8 не дописан (файл скопирован не полностью?)")
    return FormatError(f"файл похож на UTF-8, но байт 0x{data[exc.start]:02X} в строке {_line_of(data, exc.start)} "
                       "недопустим: файл повреждён или в нём смешаны кодировки; пересохраните его в UTF-8")


def detect_delimiter(text: str, delimiter: str | None) -> tuple[str, bool]:
    """(delimiter, detected): the user's choice, else csv.Sniffer restricted to «,» «;» and tab, checked
    against the header line."""
    if delimiter is not None:
        found = DELIMITERS.get(delimiter) or DELIMITERS.get(delimiter.strip().lower())
        if found is None:
            raise FormatError(f"разделитель «{delimiter}» не поддерживается; допустимы «,», «;» и tab")
        return found, False
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ";", True
    header = lines[0]
    counts = {d: header.count(d) for d in (";", "\t", ",")}
    present = [d for d, n in counts.items() if n]
    if len(present) == 1:
        return present[0], True
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=";,\t").delimiter
        if counts.get(sniffed):
            return sniffed, True
    except csv.Error:
        pass
    best = max(counts, key=lambda d: counts[d])
    return (best if counts[best] else ";"), True


def parse(text: str, delimiter: str, max_rows: int) -> tuple[list[str], list[SourceRow]]:
    """The header and the data rows; blank rows are skipped but keep their numbers."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers: list[str] | None = None
    rows: list[SourceRow] = []
    number = 0
    try:
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > MAX_COLUMNS:
                raise FormatError(f"строка {number}: {len(record)} столбцов, допускается не больше {MAX_COLUMNS}")
            if headers is None:
                headers = [cell.strip() for cell in record]
                continue
            if len(rows) >= max_rows:
                raise FormatError(f"в файле больше {max_rows} строк данных — это предел ([import] max_rows "
                                  "в config.toml); разделите файл")
            rows.append(SourceRow(number, record))
    except csv.Error as exc:
        message = str(exc)
        if "unexpected end of data" in message or "EOF" in message:
            raise FormatError(f"строка {number + 1}: незакрытая кавычка — файл обрезан или повреждён") from None
        if "field larger than field limit" in message:
            raise FormatError(f"строка {number + 1}: слишком длинное значение в ячейке") from None
        raise FormatError(f"строка {number + 1}: {message} — проверьте кавычки и разделитель") from None
    if headers is None:
        raise FormatError("файл пуст: нет строки заголовков")
    return headers, rows


class CsvImporter(Importer):
    name = "csv"
    title = "CSV (UTF-8 или cp1251; разделитель «,» «;» или табуляция)"
    extensions = (".csv", ".txt", ".tsv")

    def detect(self, data: bytes, file_name: str) -> int:
        if file_name.lower().endswith(self.extensions):
            return 10
        head = data[:4096]
        return 1 if head and b"\x00" not in head and not head.startswith(b"PK") else 0

    def read(self, data: bytes, options: ReadOptions) -> ParsedFile:
        text, encoding, encoding_detected = decode(data, options.encoding)
        delimiter, delimiter_detected = detect_delimiter(text, options.delimiter)
        headers, rows = parse(text, delimiter, options.max_rows)
        notes = [f"Кодировка: {encoding} ({'определена автоматически' if encoding_detected else 'указана'})",
                 f"Разделитель: {DELIMITER_NAMES[delimiter]} "
                 f"({'определён автоматически' if delimiter_detected else 'указан'})"]
        return ParsedFile([SourceTable(headers, rows)],
                          {"encoding": encoding, "delimiter": "tab" if delimiter == "\t" else delimiter}, notes)


class CsvExporter(Exporter):
    name = "csv"
    title = "CSV (UTF-8 с BOM и «;» по умолчанию; --encoding cp1251, --delimiter)"
    extension = ".csv"

    def write(self, tables: Sequence[ExportTable], out: BinaryIO, options: WriteOptions) -> None:
        if len(tables) != 1:
            raise FormatError("CSV хранит одну таблицу")
        encoding = ENCODINGS.get((options.encoding or "utf-8-sig").strip().lower())
        if encoding is None:
            raise FormatError(f"кодировка «{options.encoding}» не поддерживается; допустимы utf-8 и cp1251")
        if encoding == "utf-8" and options.encoding and options.encoding.lower().endswith("sig"):
            encoding = "utf-8-sig"
        delimiter, _ = detect_delimiter("", options.delimiter or ";")
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        table = tables[0]
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow([cell_text(value) for value in row])
        try:
            out.write(buffer.getvalue().encode(encoding))
        except UnicodeEncodeError as exc:
            raise FormatError(f"значение «{exc.object[exc.start:exc.end]}» не записывается в {encoding}; "
                              "выберите UTF-8") from None


@hookimpl
def register_importers(register: Callable[[Importer], None]) -> None:
    register(CsvImporter())


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    register(CsvExporter())
