"""`zhurnal report activity` (the quarterly activity report, for cron too) and `report purge-activity`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from zhurnal.tui.cli import EXIT_OK, CliError, Context, check_output, positive, write_output


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        try:
            day, month, year = value.split(".")
            return date(int(year), int(month), int(day))
        except ValueError:
            raise argparse.ArgumentTypeError(f"«{value}» — дата как 2026-11-05 или 05.11.2026") from None


def cmd_report_activity(ctx: Context) -> int:
    from zhurnal.core.reports.activity import FORMATS, format_of, render
    from zhurnal.core.services.activity_report import ActivityReportService

    args = ctx.args
    out = Path(args.out).expanduser()
    fmt = args.format or format_of(out)
    if fmt is None:
        raise CliError(f"--out {args.out}: укажите файл .xlsx, .pdf или .csv (или --format: {', '.join(FORMATS)})")
    check_output("--out", args.out)
    if (args.term is None) == (args.start is None):
        raise CliError("Укажите период: --term N (четверть, триместр или полугодие) или --from и --to")
    if (args.start is None) != (args.end is None):
        raise CliError("--from и --to указывают вместе")
    actor = ctx.actor()
    service = ActivityReportService(ctx.store)
    if args.term is not None:
        term_id = service.find_term(actor, args.term, args.year)
        report = service.for_term(actor, term_id, late_days=args.late_days, district=args.district)
    else:
        report = service.for_dates(actor, args.start, args.end, late_days=args.late_days, district=args.district)
    write_output("--out", args.out, render(report, fmt))
    ctx.print(f"Отчёт «{report.title}» ({fmt}): {out.resolve()}")
    return EXIT_OK


def cmd_report_purge(ctx: Context) -> int:
    from zhurnal.core.services.activity_report import ActivityReportService

    removed = ActivityReportService(ctx.store).purge(ctx.actor())
    ctx.print(f"Удалено событий старше срока хранения: {removed}; сводные показатели отчётов сохранены")
    return EXIT_OK


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser("report", help="отчёты: использование журнала за четверть или период")
    report_commands = report.add_subparsers(title="команды", metavar="COMMAND", required=True)
    activity = report_commands.add_parser(
        "activity", help="отчёт об использовании журнала (XLSX, PDF или CSV); подходит для cron",
        description="По ролям, учителям и классам за четверть (с изменением к предыдущей) или за даты.")
    activity.add_argument("--term", type=positive, metavar="N", help="номер четверти (триместра, полугодия)")
    activity.add_argument("--year", metavar="ГГГГ/ГГГГ", help="учебный год; по умолчанию текущий")
    activity.add_argument("--from", dest="start", type=_day, metavar="ДАТА", help="начало периода")
    activity.add_argument("--to", dest="end", type=_day, metavar="ДАТА", help="конец периода")
    activity.add_argument("--late-days", type=int, default=1, metavar="N",
                          help="отметка поставлена с опозданием, если позже урока больше чем на N дней (1)")
    activity.add_argument("--district", action="store_true", help="по всем школам района (районная запись)")
    activity.add_argument("--format", choices=("xlsx", "pdf", "csv"), help="формат; по умолчанию по расширению")
    activity.add_argument("--out", required=True, metavar="ФАЙЛ", help="куда сохранить отчёт")
    activity.set_defaults(handler=cmd_report_activity)
    purge = report_commands.add_parser(
        "purge-activity", help="удалить события старше срока хранения (настройка activity_retention_days)")
    purge.set_defaults(handler=cmd_report_purge)
