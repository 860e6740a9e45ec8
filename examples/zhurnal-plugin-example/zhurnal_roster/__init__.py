"""The "roster" format: pipe-separated class rosters, imported and exported through zhurnal's engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from zhurnal.plugins import (
    Exporter,
    ExportTable,
    FormatError,
    Importer,
    ParsedFile,
    ReadOptions,
    SourceRow,
    SourceTable,
    WriteOptions,
    hookimpl,
)

MAGIC = "# zhurnal roster 1"
SEPARATOR = "|"
# The columns the exporter writes, by zhurnal field name, in this order.
EXPORTED = ("last_name", "first_name", "middle_name", "birth_date", "class_name")


class RosterImporter(Importer):
    name = "roster"
    title = "Roster: UTF-8, one student per line, fields separated by |"
    extensions = (".roster",)
    entities = ("students",)

    def detect(self, data: bytes, file_name: str) -> int:
        if data.startswith(MAGIC.encode()):
            return 50  # the content itself says so
        return super().detect(data, file_name)

    def read(self, data: bytes, options: ReadOptions) -> ParsedFile:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"roster files are UTF-8; byte 0x{data[exc.start]:02X} is not") from None
        headers: list[str] | None = None
        rows: list[SourceRow] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            cells = [cell.strip() for cell in line.split(SEPARATOR)]
            if headers is None:
                headers = cells
                continue
            if len(rows) >= options.max_rows:
                raise FormatError(f"more than {options.max_rows} rows")
            rows.append(SourceRow(number, cells))
        if headers is None:
            raise FormatError("no header line")
        return ParsedFile([SourceTable(headers, rows)], {"encoding": "utf-8", "delimiter": SEPARATOR},
                          ["Формат roster: UTF-8, разделитель «|»"])


class RosterExporter(Exporter):
    name = "roster"
    title = "Roster: UTF-8, one student per line, fields separated by |"
    extension = ".roster"
    entities = ("students",)

    def write(self, tables: Sequence[ExportTable], out: BinaryIO, options: WriteOptions) -> None:
        table = tables[0]
        positions = [table.fields.index(f) for f in EXPORTED]
        lines = [MAGIC, SEPARATOR.join(table.headers[i] for i in positions)]
        for row in table.rows:
            cells = []
            for i in positions:
                value = row[i]
                text = "" if value is None else (value.strftime("%d.%m.%Y") if hasattr(value, "strftime")
                                                 else str(value))
                if SEPARATOR in text or "\n" in text:
                    raise FormatError(f"the value «{text}» contains | or a line break")
                cells.append(text)
            lines.append(SEPARATOR.join(cells))
        out.write(("\n".join(lines) + "\n").encode("utf-8"))


@hookimpl
def register_importers(register):
    register(RosterImporter())


@hookimpl
def register_exporters(register):
    register(RosterExporter())
