"""zhurnal.plugins: hook specifications, the plugin manager and the one import/export engine.

Plugin authors write::

    from zhurnal.plugins import hookimpl, Importer, Exporter, ParsedFile, SourceTable, SourceRow, FormatError

and read docs/plugins.md. Importing this package is cheap: it loads pluggy and the small format contract,
never the engine, the store or any plugin.
"""

from __future__ import annotations

import pluggy

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
)

PROJECT_NAME = "zhurnal"  # the pluggy project name and the entry-point group
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = [
    "PROJECT_NAME",
    "ExportTable",
    "Exporter",
    "FormatError",
    "Importer",
    "ParsedFile",
    "ReadOptions",
    "SourceRow",
    "SourceTable",
    "WriteOptions",
    "hookimpl",
]
