"""The calls behind the import wizard and the export dialog, as plain functions for thread workers.

They go through the import/export engine (zhurnal.plugins.engine) exactly as `zhurnal import` and
`zhurnal export` do: the same prepare → dry run → apply, the same permission checks, the same log. Nothing
here imports Textual, so the calls can be tested without the interface.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from zhurnal.core.config import ConfigError
from zhurnal.core.errors import Progress
from zhurnal.core.locations import exports_dir, imports_dir
from zhurnal.core.services.users import UserService
from zhurnal.plugins.engine.export import BUNDLE, STRUCTURE, ExportFailed, ExportResult, export
from zhurnal.plugins.engine.formats import WriteOptions
from zhurnal.plugins.engine.limits import limits_from
from zhurnal.plugins.engine.mapping import MappedColumn
from zhurnal.plugins.engine.run import (
    ImportOptions,
    ImportResult,
    Prepared,
    draft_mapping,
    execute,
    prepare,
    read_path,
)
from zhurnal.plugins.manager import Hub, PluginError
from zhurnal.tui.app.context import Context
from zhurnal.tui.i18n import t

ENTITIES = ("students", "staff", "parents", "subjects", "classes", "assignments")
EXPORT_ENTITIES = (*ENTITIES, "marks", "all")


@dataclass(frozen=True)
class FormatChoice:
    name: str
    title: str
    extension: str = ""
    multi_table: bool = False


@dataclass(frozen=True)
class HubData:
    """What the wizard and the dialog offer: the formats the loaded plugins provide, and the files waiting in
    the data folder's imports subfolder."""

    hub: Hub
    importers: list[FormatChoice]
    exporters: list[FormatChoice]
    folder: Path
    files: list[Path]


def import_files(folder: Path) -> list[Path]:
    """The regular files (and bundle folders) of `folder`, newest first; none when it does not exist."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if not p.name.startswith(".") and (p.is_file() or p.is_dir())]
    return sorted(found, key=lambda p: (-p.stat().st_mtime, p.name))


def load_hub(ctx: Context) -> HubData:
    """The plugin hub as configured (allow/block lists), its formats, and the imports folder's files."""
    try:
        hub = Hub.from_config()
    except ConfigError as exc:  # a broken config.toml is the user's to fix, not a crash
        raise PluginError(str(exc)) from exc
    importers = sorted((FormatChoice(p.item.name, p.item.title, ",".join(p.item.extensions),
                                     bool(getattr(p.item, "multi_table", False)))
                        for p in hub.importers.values()), key=lambda f: f.name)
    exporters = sorted((FormatChoice(p.item.name, p.item.title, p.item.extension, p.item.multi_table)
                        for p in hub.exporters.values()), key=lambda f: f.name)
    folder = imports_dir()
    return HubData(hub, importers, exporters, folder, import_files(folder))


def prepare_import(ctx: Context, hub: Hub, path: Path, options: ImportOptions) -> Prepared:
    """Read, map and validate the file (nothing is written); ImportFailed says why it cannot be imported."""
    actor = ctx.signed_in()
    limits = limits_from()
    hub.require(ctx.store, actor, ["import.run"], "import")
    data = read_path(path, limits)
    if options.today is None and ctx.today is not None:
        options = replace(options, today=ctx.today)
    return prepare(hub, ctx.store, actor, data, path.name, options, limits)


@dataclass(frozen=True)
class MappingDraft:
    """A file whose mapping stops the import: what the wizard shows so the user can fix it."""

    file_name: str
    entity: str
    columns: list[MappedColumn]
    problems: list[str]


def draft_import(ctx: Context, hub: Hub, path: Path, options: ImportOptions) -> MappingDraft | None:
    """The mapping of a file `prepare_import` refused, when the mapping is what stops it (None otherwise)."""
    limits = limits_from()
    entity, columns, problems = draft_mapping(hub, ctx.store, ctx.signed_in(), read_path(path, limits), path.name,
                                              options, limits)
    if entity is None or not problems:
        return None
    return MappingDraft(path.name, entity, columns, problems)


def run_import(ctx: Context, hub: Hub, prepared: Prepared, *, dry_run: bool,
               progress: Progress | None = None) -> ImportResult:
    """The dry run (rolled back) or the apply (one transaction after the automatic backup); both logged.
    `progress(done, total)` may raise Cancelled: nothing is written (see plugins.engine.run.execute)."""
    return execute(hub, ctx.store, ctx.signed_in(), prepared, dry_run=dry_run, progress=progress)


def default_export_path(entity: str, extension: str, day: str, *, template: bool = False) -> Path:
    """exports/<entity>-<day><extension> (a template: <entity>-template-<day>) in the data folder."""
    return exports_dir() / f"{entity}{'-template' if template else ''}-{day}{extension}"


def run_export(ctx: Context, hub: Hub, entity: str, format: str, out: Path, password: str | None, *,
               template: bool = False) -> ExportResult:
    """Check the user's own password again (personal data; the school's structure and an empty template need
    none), then write the export beside `out` and rename it at the end (a failed export leaves no half-written
    file); the file is readable by its owner only."""
    actor = ctx.signed_in()
    if template and entity == BUNDLE:
        raise ExportFailed(t("export.template.no_bundle"))
    if entity not in STRUCTURE and not template:
        hub.require(ctx.store, actor, ["export.personal_data"], "export")
        UserService(ctx.store).reauthenticate(actor, password or "")
    if out.parent == exports_dir():
        out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not out.parent.is_dir():
        raise ExportFailed(t("export.no_folder", folder=str(out.parent)))
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            result = export(hub, ctx.store, actor, entity, format, stream, WriteOptions(), on=ctx.today,
                            template=template)
        os.chmod(temporary, 0o600)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return result
