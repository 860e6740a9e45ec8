"""The format contract: what an importer reads into and what an exporter writes from.

A format only turns bytes into tables of text cells (importer) or tables of cells into bytes (exporter).
Everything else — column mapping, validation, matching, the dry run, the transaction, permissions, the log,
formula neutralisation — is the engine's, the same for every format. See docs/plugins.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO, ClassVar

# Cell values an exporter receives: text, a date, a number, or nothing.
Cell = str | date | int | Decimal | None


class FormatError(Exception):
    """The file cannot be read (or written) as this format; the message says why, in words for the user
    ("незакрытая кавычка в строке 12"). Raised by importers and exporters; the engine shows it and writes
    nothing."""


@dataclass(frozen=True)
class SourceRow:
    """One data row: `number` is the row number the user sees in the file (the header row is 1 in a simple
    CSV), `cells` the text of each column in header order."""

    number: int
    cells: Sequence[str]


@dataclass(frozen=True)
class SourceTable:
    """One table of a file: a CSV file, an XLSX sheet, one member of a bundle.

    `entity` is set when the format itself knows what the table holds (a OneRoster users.csv); None lets
    the user (or header detection) choose. `name` names the table in messages ("Лист1", "users.csv").
    """

    headers: Sequence[str]
    rows: Sequence[SourceRow]
    name: str = ""
    entity: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    """What an importer returns: its tables and what it found out about the file.

    `details` are shown to the user and kept in the import log ({"encoding": "cp1251", "delimiter": ";"});
    `notes` are extra lines to show ("кодировка определена автоматически"). Never put cell values here.
    """

    tables: Sequence[SourceTable]
    details: Mapping[str, str] = field(default_factory=dict)
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class ReadOptions:
    """What the user asked for and the limits the importer must respect.

    `encoding`, `delimiter` and `sheet` are None unless the user overrode detection; `max_rows` is the data
    row limit (exceeding it is a FormatError); `extra` carries format-specific options ("--option key=value").
    """

    max_rows: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportTable:
    """One table to write: `headers` (the user-facing column titles), `fields` (the engine's field name of
    each column, same order) and `rows` of cells. For spreadsheet formats the engine has already
    neutralised text cells that a spreadsheet would run as a formula."""

    entity: str
    headers: Sequence[str]
    fields: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    name: str = ""


@dataclass(frozen=True)
class WriteOptions:
    """Overrides the user gave for the output (None: the exporter's default)."""

    encoding: str | None = None
    delimiter: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


class Importer(ABC):
    """Base class of every importer. Subclass it, set the class attributes, implement `read`.

    name        short lower-case id used on the command line (``--format csv``), unique across plugins
    title       one line for people ("CSV (UTF-8, cp1251; «,» «;» или табуляция)")
    extensions  file name endings this format usually has, with the dot (".csv", ".txt")
    entities    the entities it can feed (subset of "students", "staff", "parents"); None: any
    actions     actions the acting user needs besides import.run, which every import needs
    """

    name: ClassVar[str]
    title: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]] = ()
    entities: ClassVar[tuple[str, ...] | None] = None
    actions: ClassVar[tuple[str, ...]] = ()

    def detect(self, data: bytes, file_name: str) -> int:
        """How sure the importer is that it can read this file when the user named no format: 0 not at all,
        10 by the file name ending, more when the content itself says so. The highest score wins."""
        return 10 if file_name.lower().endswith(self.extensions) and self.extensions else 0

    @abstractmethod
    def read(self, data: bytes, options: ReadOptions) -> ParsedFile:
        """Parse `data` (the whole file, already within the size limit). Raise FormatError for anything that
        is not a readable file of this format; never return half a file."""


class Exporter(ABC):
    """Base class of every exporter. Subclass it, set the class attributes, implement `write`.

    name         short lower-case id (``--format csv``), unique among exporters
    title        one line for people
    extension    the file name ending it writes (".csv")
    entities     the entities it can write; None: any
    actions      actions needed besides export.personal_data, which every export of people needs
    spreadsheet  True when a spreadsheet may open the file: the engine then neutralises formulas in text
                 cells (= + - @ tab CR get a leading '); False for data formats (JSON) that keep text as is
    multi_table  True when `write` accepts more than one table (a bundle); the engine then may pass several
    """

    name: ClassVar[str]
    title: ClassVar[str]
    extension: ClassVar[str]
    entities: ClassVar[tuple[str, ...] | None] = None
    actions: ClassVar[tuple[str, ...]] = ()
    spreadsheet: ClassVar[bool] = True
    multi_table: ClassVar[bool] = False

    @abstractmethod
    def write(self, tables: Sequence[ExportTable], out: BinaryIO, options: WriteOptions) -> None:
        """Write `tables` (one unless `multi_table`) to the binary stream `out`."""


_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    return "'" + value if value.startswith(_TRIGGERS) else value


def unneutralise(value: str) -> str:
    """The inverse on import: an apostrophe in front of = + - @ tab or CR was added by an export."""
    return value[1:] if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r" else value


def cell_text(value: Cell) -> str:
    """A cell as text the way a Russian spreadsheet user writes it: dates дд.мм.гггг, decimals with a comma."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    if isinstance(value, Decimal):
        return format(value.normalize() if value == value.to_integral() else value, "f").replace(".", ",")
    return str(value)
