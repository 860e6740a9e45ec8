"""Commands of the import/export hub: import, export, plugins.

`zhurnal import` always runs the dry run first and prints it: the detected encoding and delimiter, the
column mapping, the counts, every error with its row and column, the changes. It writes only when the dry
run is clean and the user confirms (--yes, or "да" at a terminal). Exit 0 only when applied or when a
--dry-run was clean. A bundle (a OneRoster .zip, or a folder) goes through prepare_all/execute_all: every
table is dry-run and shown, then all are applied in one transaction; `--option KEY=VALUE` fills
ImportOptions.extra.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from zhurnal.tui.cli import EXIT_FAILED, EXIT_OK, CliError, Context

if TYPE_CHECKING:
    from zhurnal.core.permissions import Actor
    from zhurnal.plugins.engine.limits import Limits
    from zhurnal.plugins.engine.run import ImportOptions, ImportResult, Prepared
    from zhurnal.plugins.manager import Hub

KIND_TITLES = {"new": "новых", "changed": "изменённых", "unchanged": "без изменений", "skipped": "пропущено",
               "rejected": "с ошибками"}
CHANGE_TITLES = {"new": "новый", "changed": "изменение", "unchanged": "без изменений", "skipped": "пропуск"}


def _hub() -> Hub:
    from zhurnal.core.config import ConfigError
    from zhurnal.plugins.manager import Hub, PluginError

    try:
        return Hub.from_config()
    except (PluginError, ConfigError) as exc:
        raise CliError(str(exc), EXIT_FAILED) from exc


def _mapping(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        header, sep, field = pair.partition("=")
        if not sep or not header.strip():
            raise CliError(f"--map «{pair}»: ожидается «Заголовок=поле» (поле пустое — столбец не используется)")
        mapping[header.strip()] = field.strip()
    return mapping


def _extra(pairs: list[str] | None) -> dict[str, str] | None:
    """--option KEY=VALUE (repeatable) → ImportOptions.extra; a malformed one is refused by name."""
    if not pairs:
        return None
    extra = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise CliError(f"--option «{pair}»: ожидается «КЛЮЧ=ЗНАЧЕНИЕ», например «class.CLS1=5А» или "
                           "«hire_order=15-к от 25.08.2026»")
        extra[key.strip()] = value.strip()
    return extra


def _is_bundle(hub: Hub, path: Path, data: bytes, format: str | None) -> bool:
    """A folder, or a file whose format (named or detected) is a multi-table bundle (OneRoster): a format
    whose exporter of the same name writes several tables."""
    from zhurnal.plugins.manager import PluginError

    if path.is_dir():
        return True
    try:
        importer = hub.importer(format) if format else hub.detect_importer(data, path.name)
    except PluginError:
        return False  # the single-table path reports it as usual
    provided = hub.exporters.get(importer.name)
    return bool(getattr(importer, "multi_table", False) or (provided is not None and provided.item.multi_table))


def _print_prepared(ctx: Context, prepared: Prepared) -> None:
    ctx.print(f"Файл: {prepared.file_name} ({prepared.size} байт, SHA-256 {prepared.sha256[:16]}…)")
    ctx.print(f"Формат: {prepared.format} — {prepared.format_title}")
    for note in prepared.notes:
        ctx.print(note)
    ctx.print(f"Что загружаем: {prepared.entity}; режим: {prepared.mode}; строк данных: {len(prepared.records)}")
    ctx.print("Сопоставление столбцов:")
    sources = {"auto": "", "remembered": " (запомнено)", "explicit": " (--map)", "none": ""}
    for column in prepared.columns:
        target = f"{column.field} ({column.label})" if column.field else "не используется"
        note = f" — {column.note}" if column.note else ""
        ctx.print(f"  «{column.header}» → {target}{sources[column.source]}{note}")


def _print_result(ctx: Context, result: ImportResult, *, all_changes: bool) -> None:
    report = result.report
    ctx.print("Итог: " + ", ".join(f"{KIND_TITLES[k]} {v}" for k, v in report.counts.items()))
    for message in result.messages:
        ctx.print(f"  ошибка: {message}")
    for message in result.warnings:
        ctx.print(f"  {message}")
    shown = [c for c in report.changes if c.kind != "unchanged"]
    limit = len(shown) if all_changes else 20
    for change in shown[:limit]:
        fields = f" [{', '.join(change.fields)}]" if change.fields and change.kind == "changed" else ""
        detail = f" — {change.detail}" if change.detail else ""
        ctx.print(f"  строка {change.row}: {CHANGE_TITLES[change.kind]}: {change.name}{fields}{detail}")
    if len(shown) > limit:
        ctx.print(f"  … и ещё {len(shown) - limit} (все изменения: --all-changes)")


def _confirm(ctx: Context) -> bool:
    if ctx.args.yes:
        return True
    if ctx.args.password_stdin or not sys.stdin.isatty():
        ctx.print("Ничего не записано: чтобы записать, повторите команду с --yes")
        return False
    return input("Записать эти изменения в базу? [да/нет] ").strip().lower() in ("да", "д", "y", "yes")


def cmd_import(ctx: Context) -> int:
    from zhurnal.core.config import ConfigError
    from zhurnal.plugins.engine.limits import limits_from
    from zhurnal.plugins.engine.run import ImportOptions, execute, prepare, read_path

    actor = ctx.actor()
    hub = _hub()
    try:
        limits = limits_from()
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_FAILED) from exc
    args = ctx.args
    options = ImportOptions(format=args.format, entity=args.entity, mode=args.mode, encoding=args.encoding,
                            delimiter=args.delimiter, mapping=_mapping(args.map), order=args.order,
                            extra=_extra(args.option))
    path = Path(args.file)
    hub.require(ctx.store, actor, ["import.run"], "import")
    data = read_path(path, limits)
    if _is_bundle(hub, path, data, args.format):
        return _import_bundle(ctx, hub, actor, path, data, options, limits)
    prepared = prepare(hub, ctx.store, actor, data, path.name, options, limits)
    _print_prepared(ctx, prepared)
    ctx.print("Пробный прогон (ничего не записывается):")
    dry = execute(hub, ctx.store, actor, prepared, dry_run=True)
    _print_result(ctx, dry, all_changes=args.all_changes)
    if not dry.clean:
        ctx.print("Ничего не записано: исправьте ошибки в файле и повторите (файл загружается целиком или никак)")
        return EXIT_FAILED
    if args.dry_run:
        ctx.print("Пробный прогон без ошибок; ничего не записано")
        return EXIT_OK
    if not _confirm(ctx):
        return EXIT_FAILED
    result = execute(hub, ctx.store, actor, prepared, dry_run=False)
    if result.backup:
        ctx.print(f"Резервная копия перед импортом: {result.backup}")
    if not result.applied:  # the data changed between the dry run and now
        _print_result(ctx, result, all_changes=args.all_changes)
        ctx.print("Ничего не записано")
        return EXIT_FAILED
    ctx.print("Записано: " + ", ".join(f"{KIND_TITLES[k]} {v}" for k, v in result.report.counts.items() if v)
              + f" (журнал импорта № {result.report.run_id})")
    return EXIT_OK


def _import_bundle(ctx: Context, hub: Hub, actor: Actor, path: Path, data: bytes, options: ImportOptions,
                   limits: Limits) -> int:
    """A multi-table bundle (OneRoster .zip or folder): every table dry-run, then applied in one transaction."""
    from zhurnal.plugins.engine.run import execute_all, prepare_all

    args = ctx.args
    name = path.name + (".zip" if path.is_dir() else "")
    prepared = prepare_all(hub, ctx.store, actor, data, name, options, limits)
    if not prepared:
        ctx.print(f"В пакете {name} нет таблиц для импорта; ничего не записано")
        return EXIT_FAILED
    for index, table in enumerate(prepared):
        if index:
            ctx.print(f"Таблица: {table.table_name or table.entity}")
            ctx.print(f"Что загружаем: {table.entity}; режим: {table.mode}; строк данных: {len(table.records)}")
        else:
            _print_prepared(ctx, table)
    ctx.print("Пробный прогон (ничего не записывается):")
    dry = execute_all(hub, ctx.store, actor, prepared, dry_run=True)
    for result in dry:
        ctx.print(f"[{result.prepared.entity}]")
        _print_result(ctx, result, all_changes=args.all_changes)
    if not all(r.clean for r in dry):
        ctx.print("Ничего не записано: исправьте ошибки и повторите (пакет загружается целиком или никак)")
        return EXIT_FAILED
    if args.dry_run:
        ctx.print("Пробный прогон без ошибок; ничего не записано")
        return EXIT_OK
    if not _confirm(ctx):
        return EXIT_FAILED
    results = execute_all(hub, ctx.store, actor, prepared, dry_run=False)
    if results and results[0].backup:
        ctx.print(f"Резервная копия перед импортом: {results[0].backup}")
    if not all(r.applied for r in results):  # the data changed between the dry run and now
        for result in results:
            ctx.print(f"[{result.prepared.entity}]")
            _print_result(ctx, result, all_changes=args.all_changes)
        ctx.print("Ничего не записано")
        return EXIT_FAILED
    for result in results:
        ctx.print(f"Записано ({result.prepared.entity}): "
                  + (", ".join(f"{KIND_TITLES[k]} {v}" for k, v in result.report.counts.items() if v) or "ничего")
                  + f" (журнал импорта № {result.report.run_id})")
    return EXIT_OK


def cmd_export(ctx: Context) -> int:
    from zhurnal.plugins.engine.export import BUNDLE, STRUCTURE, export
    from zhurnal.plugins.engine.formats import WriteOptions
    from zhurnal.plugins.manager import PluginError

    actor = ctx.actor()
    hub = _hub()
    if ctx.args.entity == BUNDLE:
        try:
            exporter = hub.exporter(ctx.args.format)
        except PluginError as exc:
            raise CliError(str(exc)) from exc
        if not exporter.multi_table:
            raise CliError(f"--entity all: формат {exporter.name} пишет одну таблицу; выберите --entity "
                           "students, staff или parents (весь журнал пишет, например, --format oneroster)")
        if ctx.args.template:
            raise CliError("--template и --entity all несовместимы")
    if ctx.args.entity not in STRUCTURE and not ctx.args.template:  # structure and templates: no personal data
        hub.require(ctx.store, actor, ["export.personal_data"], "export")
        ctx.confirm_password(actor, "экспорт персональных данных")
    out = Path(ctx.args.out)
    if not out.parent.is_dir():
        raise CliError(f"Папки {out.parent} нет")
    # Written beside the target and renamed at the end: a failed export leaves no half-written file.
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            result = export(hub, ctx.store, actor, ctx.args.entity, ctx.args.format, stream,
                            WriteOptions(ctx.args.encoding, ctx.args.delimiter),
                            template=getattr(ctx.args, "template", False))
        os.chmod(temporary, 0o600)  # personal data: readable by the owner only
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    ctx.print(f"Выгружено строк: {result.rows} ({result.entity}, {result.format}) → {out}")
    return EXIT_OK


def cmd_plugins(ctx: Context) -> int:
    hub = _hub()
    infos = hub.plugins()
    if ctx.args.json:
        ctx.print(json.dumps({"plugins": [i.as_dict() for i in infos],
                              "load_errors": [{"plugin": e.plugin, "message": e.message} for e in hub.load_errors],
                              "permissions": {a.name: {"description": a.description, "roles": sorted(a.roles),
                                                       "plugin": a.plugin} for a in hub.actions.values()}},
                             ensure_ascii=False, indent=2))
        return EXIT_OK
    statuses = {"loaded": "загружен", "failed": "ОШИБКА", "blocked": "заблокирован (block)",
                "not_allowed": "не в списке allow"}
    for info in infos:
        ctx.print(f"{info.name} {info.version or ''} — {statuses.get(info.status, info.status)}"
                  + (" (встроенный)" if info.builtin else ""))
        if info.hooks:
            ctx.print(f"  хуки: {', '.join(dict.fromkeys(info.hooks))}")
        if info.importers:
            ctx.print(f"  импорт: {', '.join(info.importers)}")
        if info.exporters:
            ctx.print(f"  экспорт: {', '.join(info.exporters)}")
        for name in info.permissions:
            ctx.print(f"  действие: {name} — {hub.actions[name].description}")
        for error in info.errors:
            ctx.print(f"  ошибка: {error}")
    return EXIT_FAILED if hub.load_errors else EXIT_OK


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = commands.add_parser("import", help="загрузить список из файла (сначала пробный прогон)")
    imp.add_argument("file", metavar="FILE", help="файл или папка (пакет OneRoster)")
    imp.add_argument("--format", metavar="F", help="формат (по умолчанию — по файлу); список: zhurnal plugins")
    imp.add_argument("--entity", choices=("students", "staff", "parents", "subjects", "classes",
                                                 "assignments"),
                     help="кто в списке (иначе по заголовкам)")
    imp.add_argument("--mode", choices=("add_update", "add_only", "update_only"), default="add_update")
    imp.add_argument("--dry-run", action="store_true", help="только пробный прогон")
    imp.add_argument("--yes", action="store_true", help="записать без вопроса, если ошибок нет")
    imp.add_argument("--encoding", metavar="E", help="кодировка: utf-8 или cp1251 (иначе определяется)")
    imp.add_argument("--delimiter", metavar="D", help="разделитель: , ; или tab (иначе определяется)")
    imp.add_argument("--order", metavar="\"N от дд.мм.гггг\"", help="приказ для строк, где он не указан")
    imp.add_argument("--map", action="append", metavar="ЗАГОЛОВОК=ПОЛЕ", help="сопоставить столбец полю "
                     "(можно несколько раз; пустое поле — не использовать столбец)")
    imp.add_argument("--option", action="append", metavar="КЛЮЧ=ЗНАЧЕНИЕ", help="параметр формата (можно "
                     "несколько раз), для OneRoster: class.<sourcedId>=5А, hire_order=\"15-к от 25.08.2026\"")
    imp.add_argument("--all-changes", action="store_true", help="показать все изменения, не только первые 20")
    imp.set_defaults(handler=cmd_import)

    exp = commands.add_parser("export", help="выгрузить список в файл (нужно право export.personal_data)")
    exp.add_argument("--format", required=True, metavar="F")
    exp.add_argument("--entity", required=True, choices=("students", "staff", "parents", "subjects", "classes",
                                                                 "assignments", "marks", "all"),
                     help="all — весь журнал одним пакетом (форматы-пакеты, например oneroster)")
    exp.add_argument("--out", required=True, metavar="PATH")
    exp.add_argument("--encoding", metavar="E", help="для CSV: utf-8-sig (по умолчанию), utf-8 или cp1251")
    exp.add_argument("--delimiter", metavar="D", help="для CSV: ; (по умолчанию), , или tab")
    exp.add_argument("--template", action="store_true", help="пустой шаблон для заполнения (без строк)")
    exp.set_defaults(handler=cmd_export)

    plugins = commands.add_parser("plugins", help="плагины: форматы, хуки, права, ошибки загрузки")
    plugins.add_argument("--json", action="store_true")
    plugins.set_defaults(handler=cmd_plugins)
