"""The academic year's life cycle: `zhurnal year open|plan|close|undo|book`.

Exit codes for scripts: 0 done (or, with --dry-run / plan, nothing stands in the way), 1 refused or failed
(the messages say why; `plan` also returns 1 while the plan has problems), 2 usage, 3 cancelled at the
confirmation. Confirmations are read from standard input (a line "да"/"yes"); --yes skips them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from zhurnal.tui.cli import EXIT_FAILED, EXIT_OK, CliError, Context, check_output, write_output

EXIT_CANCELLED = 3
TERM_NAMES = {"quarter": "четверть", "trimester": "триместр", "half": "полугодие"}
OUTCOME_ORDER = ("promote", "retain", "conditional", "graduate", "continue", "leave_basic", "transfer_out")
OUTCOME_LABELS = {"promote": "перевод", "retain": "оставлены", "conditional": "условно", "graduate": "выпуск",
                  "continue": "в 10 класс", "leave_basic": "уходят после 9", "transfer_out": "выбывают",
                  "none": "без решения", "total": "всего"}


def _date(value: str) -> date:
    from zhurnal.core.validation import parse_date

    parsed, problems = parse_date(value, "date", required=True)
    if problems or parsed is None:
        raise argparse.ArgumentTypeError(f"«{value}» — не дата (гггг-мм-дд или дд.мм.гггг)")
    return parsed


def _period(value: str) -> tuple[date, date]:
    start, sep, end = value.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"«{value}» — ожидается НАЧАЛО:КОНЕЦ, например 2027-09-01:2027-10-26")
    return _date(start), _date(end)


def _confirm(ctx: Context, question: str) -> bool:
    if ctx.args.yes:
        return True
    ctx.print(f"{question} [да/нет]")
    line = ctx.stdin.readline()
    return line.strip().lower() in ("да", "д", "yes", "y")


def _find_year(ctx: Context, actor: Any, name: str | None, *, closing: bool) -> Any:
    from zhurnal.core.services.years import YearService

    years = YearService(ctx.store).list(actor)
    if not years:
        raise CliError("В школе нет учебных годов", EXIT_FAILED)
    if name:
        found = next((y for y in years if y.name == name.strip()), None)
        if found is None:
            raise CliError(f"Учебный год {name} не найден (есть: {', '.join(y.name for y in years)})", EXIT_FAILED)
        return found
    latest = years[-1]
    if closing and latest.previous_year_id is not None:
        return next(y for y in years if y.id == latest.previous_year_id)
    return latest


def _problems(ctx: Context, problems: Sequence[Any]) -> None:
    for p in problems:
        print(f"  - {p.message}", file=sys.stderr)


def _missing_marks(preview: Any, shown: int = 10) -> None:
    """The final marks the journal still lacks, as `apply_close` counts them (closing refuses without
    --ignore-missing-marks), so a dry run says what the real run would say."""
    missing = preview.missing_marks
    print(f"Не выставлены итоговые отметки: {len(missing)} (класс, предмет); закрыть год без них можно с "
          "--ignore-missing-marks", file=sys.stderr)
    for m in missing[:shown]:
        print(f"  - {m.class_name}, {m.subject_name} ({m.teacher_name or 'учитель не назначен'}): "
              f"обучающихся {m.students}", file=sys.stderr)
    if len(missing) > shown:
        print(f"  … и ещё {len(missing) - shown}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------- open


def cmd_open(ctx: Context) -> int:
    from zhurnal.core.services.rollover import RolloverService
    from zhurnal.core.services.schools import SchoolService
    from zhurnal.core.services.years import TermInput

    actor = ctx.actor()
    old_id = _find_year(ctx, actor, ctx.args.from_year, closing=False).id if ctx.args.from_year else None
    kind = ctx.args.term_kind or SchoolService(ctx.store).get(actor).term_kind
    terms = [TermInput(kind, n, f"{n} {TERM_NAMES[kind]}", start, end)
             for n, (start, end) in enumerate(ctx.args.term or [], 1)]
    service = RolloverService(ctx.store)
    proposal = service.propose_open(actor, ctx.args.name, ctx.args.start, ctx.args.end, terms, old_id)
    carried = sum(1 for c in proposal.classes if c.source == "carried")
    ctx.print(f"Открытие {proposal.name} после {proposal.from_year_name}: классов {len(proposal.classes)} "
              f"(перенесено {carried}, новых {len(proposal.classes) - carried}), строк учебного плана "
              f"{len(proposal.curriculum)}, назначений {len(proposal.assignments)}")
    for c in proposal.classes:
        origin = f"← {c.previous_name}" if c.previous_name else {"first": "новый первый", "formed": "новый 10-й"}.get(
            c.source, c.source)
        ctx.print(f"  {c.name:<4} {origin:<14} {c.class_teacher_name or ''}")
    if ctx.args.dry_run:
        report = service.apply_open(actor, proposal, dry_run=True)
        _print_open(ctx, report)
        return EXIT_OK
    if not _confirm(ctx, f"Открыть учебный год {proposal.name}?"):
        ctx.print("Отменено")
        return EXIT_CANCELLED
    report = service.apply_open(actor, proposal)
    _print_open(ctx, report)
    return EXIT_OK


def _print_open(ctx: Context, report: Any) -> None:
    names = {"year": "год", "term": "периоды", "class": "классы", "curriculum": "учебный план",
             "assignment": "назначения"}
    statuses = {"created": "будет создано" if report.dry_run else "создано", "matched": "уже есть",
                "skipped": "пропущено"}
    for kind, counts in report.counts.items():
        ctx.print(f"{names.get(kind, kind)}: " + ", ".join(f"{statuses[s]} {n}" for s, n in counts.items()))
    if report.backup:
        ctx.print(f"Резервная копия перед операцией: {report.backup}")


# ---------------------------------------------------------------------------------------------------- plan


def _orders(args: argparse.Namespace) -> dict[str, Any]:
    from zhurnal.core.services.promotion import OrderRef

    orders = {}
    for kind in ("promotion", "graduation", "departure"):
        number, day = getattr(args, f"{kind}_order"), getattr(args, f"{kind}_date")
        if bool(number) != bool(day):
            raise CliError(f"--{kind}-order и --{kind}-date указываются вместе")
        if number:
            orders[kind] = OrderRef(number, day)
    return orders


def _plan(ctx: Context, actor: Any) -> Any:
    from zhurnal.core.services.promotion import PromotionService

    year = _find_year(ctx, actor, ctx.args.year, closing=True)
    plan = PromotionService(ctx.store).plan_close(actor, year.id, after_basic=ctx.args.after_9,
                                                  orders=_orders(ctx.args))
    if ctx.args.outcomes:
        plan = _apply_outcomes(plan, Path(ctx.args.outcomes))
    return plan


def _apply_outcomes(plan: Any, path: Path) -> Any:
    """Per-student changes from a JSON file: [{"person_id": 12, "outcome": "retain", "target_class": "5А",
    "destination": ..., "debt": ..., "order_number": ..., "order_date": "2027-05-30"}, ...]."""
    from zhurnal.core.services.promotion import OrderRef

    try:
        changes = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: не прочитать решения ({exc})", EXIT_FAILED) from exc
    if not isinstance(changes, list):
        raise CliError(f"{path}: ожидается список объектов JSON", EXIT_FAILED)
    for number, change in enumerate(changes, 1):
        if not isinstance(change, dict) or not isinstance(change.get("person_id"), int):
            raise CliError(f"{path}: у каждого решения нужен person_id", EXIT_FAILED)
        where = f"{path}: решение {number} (person_id {change['person_id']})"
        for key in ("outcome", "target_class", "destination", "debt", "order_number", "order_date"):
            if change.get(key) is not None and not isinstance(change[key], str):
                raise CliError(f"{where}: {key} — ожидается строка", EXIT_FAILED)
        extra: dict[str, Any] = {k: change[k] for k in ("target_class", "destination", "debt") if k in change}
        if change.get("order_number"):
            try:
                order_date = _date(change.get("order_date") or "")
            except argparse.ArgumentTypeError as exc:
                raise CliError(f"{where}: order_date {exc}", EXIT_FAILED) from exc
            extra["order"] = OrderRef(change["order_number"], order_date)
        plan = plan.with_outcome(change["person_id"], change.get("outcome"), **extra)
    return plan


def _counts_json(preview: Any) -> dict[str, Any]:
    keys = (*OUTCOME_ORDER, "none")
    return {"year": preview.plan.year_name, "next_year": preview.plan.next_year_name,
            "classes": [{"class": c.class_name, **{k: c.counts.get(k, 0) for k in OUTCOME_ORDER},
                         "none": sum(1 for s in c.students if s.outcome is None), "total": len(c.students)}
                        for c in preview.classes],
            "total": {k: preview.counts[k] for k in (*keys, "total")},
            "problems": [p.message for p in preview.problems],
            "missing_final_marks": len(preview.missing_marks),
            "subgroups_carried": preview.subgroups_carried}


def _print_counts(ctx: Context, data: dict[str, Any]) -> None:
    keys = (*OUTCOME_ORDER, "none", "total")
    ctx.print(f"План перевода {data['year']} → {data['next_year'] or '(новый год не открыт)'}")
    ctx.print("класс  " + " ".join(f"{OUTCOME_LABELS[k]:>10}" for k in keys))
    for row in data["classes"]:
        ctx.print(f"{row['class']:<6} " + " ".join(f"{row[k]:>10}" for k in keys))
    ctx.print("итого  " + " ".join(f"{data['total'][k]:>10}" for k in keys))
    if data["subgroups_carried"]:
        ctx.print(f"Подгруппы будут перенесены в новые классы: {data['subgroups_carried']} (ученик × предмет)")


def cmd_plan(ctx: Context) -> int:
    from zhurnal.core.services.promotion import PromotionService

    actor = ctx.actor()
    plan = _plan(ctx, actor)
    service = PromotionService(ctx.store)
    preview = service.preview(actor, plan)
    data = _counts_json(preview)
    if ctx.args.xlsx:
        write_output("--xlsx", ctx.args.xlsx, service.protocol(actor, plan))
    if ctx.args.json:
        ctx.print(json.dumps(data, ensure_ascii=False, sort_keys=True))
    else:
        _print_counts(ctx, data)
        if ctx.args.xlsx:
            ctx.print(f"Протокол: {ctx.args.xlsx}")
        if preview.problems:
            ctx.print(f"Применить нельзя, проблем: {len(preview.problems)}")
            _problems(ctx, preview.problems)
        if preview.missing_marks:
            _missing_marks(preview)
    return EXIT_FAILED if preview.problems else EXIT_OK


# --------------------------------------------------------------------------------------------------- close


def cmd_close(ctx: Context) -> int:
    from zhurnal.core.services.promotion import PromotionService

    for option, path in (("--protocol", ctx.args.protocol), ("--report", ctx.args.report)):
        if path:
            check_output(option, path)  # before the year is closed: a bad path must not lose the report
    actor = ctx.actor()
    plan = _plan(ctx, actor)
    service = PromotionService(ctx.store)
    preview = service.preview(actor, plan)
    _print_counts(ctx, _counts_json(preview))
    if ctx.args.protocol:
        write_output("--protocol", ctx.args.protocol, service.protocol(actor, plan))
        ctx.print(f"Протокол: {ctx.args.protocol}")
    if preview.problems:
        print(f"zhurnal: закрыть год {plan.year_name} нельзя:", file=sys.stderr)
        _problems(ctx, preview.problems)
        return EXIT_FAILED
    if preview.missing_marks and not ctx.args.ignore_missing_marks:
        print(f"zhurnal: закрыть год {plan.year_name} нельзя:", file=sys.stderr)
        _missing_marks(preview)
        return EXIT_FAILED
    if ctx.args.dry_run:
        ctx.print("Пробный прогон: ничего не изменено")
        return EXIT_OK
    if not _confirm(ctx, f"Закрыть учебный год {plan.year_name} и перевести обучающихся "
                         f"({preview.counts['total']})?"):
        ctx.print("Отменено")
        return EXIT_CANCELLED
    report = service.apply_close(actor, plan, ignore_missing_marks=ctx.args.ignore_missing_marks)
    if report.already_closed:
        ctx.print(f"Учебный год {report.year_name} уже закрыт: изменений нет")
        return EXIT_OK
    ctx.print(f"Учебный год {report.year_name} закрыт; зачислений в {report.next_year_name}: "
              f"{sum(1 for i in report.items if i.started_enrolment_id)}, выбыли: "
              f"{sum(1 for i in report.items if not i.started_enrolment_id)}")
    for label in report.orders_created:
        ctx.print(f"Зарегистрирован приказ {label}")
    if report.subgroups_carried:
        ctx.print(f"Подгруппы перенесены в новые классы: {report.subgroups_carried} (ученик × предмет)")
    if report.archive_folder:
        ctx.print(f"Архив года: {report.archive_folder}")
    if report.backup:
        ctx.print(f"Резервная копия перед операцией: {report.backup}")
    if ctx.args.report:
        rows = [{"person_id": i.person_id, "class": i.from_class, "outcome": i.outcome, "to": i.to_class,
                 "order": i.order, "ended_enrolment_id": i.ended_enrolment_id,
                 "started_enrolment_id": i.started_enrolment_id} for i in report.items]
        write_output("--report", ctx.args.report, json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8"))
        ctx.print(f"Отчёт по каждому обучающемуся: {ctx.args.report}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------- undo


def cmd_undo(ctx: Context) -> int:
    from zhurnal.core.services.rollover import RolloverService

    actor = ctx.actor()
    service = RolloverService(ctx.store)
    run = service.last_run(actor)
    if run is None:
        raise CliError("Нет операции открытия или закрытия года, которую можно отменить", EXIT_FAILED)
    what = {"open": "открытие", "close": "закрытие"}[run.kind]
    ctx.print(f"Последняя операция: {what} года ({run.created_at:%d.%m.%Y %H:%M} UTC, {run.login}), "
              f"записей: {run.items}")
    report = service.undo_last(actor, dry_run=True)
    ctx.print("Будет удалено: " + (", ".join(f"{t} {n}" for t, n in report.deleted.items()) or "ничего")
              + "; восстановлено: " + (", ".join(f"{t} {n}" for t, n in report.restored.items()) or "ничего"))
    if ctx.args.dry_run:
        return EXIT_OK
    if not _confirm(ctx, f"Отменить {what} года?"):
        ctx.print("Отменено")
        return EXIT_CANCELLED
    service.undo_last(actor)
    ctx.print(f"{what.capitalize()} года отменено")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------- book


def cmd_book(ctx: Context) -> int:
    from zhurnal.core.services.movements import MovementService

    actor = ctx.actor()
    service = MovementService(ctx.store)
    if ctx.args.xlsx:
        check_output("--xlsx", ctx.args.xlsx)
        write_output("--xlsx", ctx.args.xlsx, service.export_xlsx(actor, ctx.args.date_from, ctx.args.date_to))
        ctx.print(f"Книга движения: {ctx.args.xlsx}")
        return EXIT_OK
    book = service.book(actor, ctx.args.date_from, ctx.args.date_to)
    for title, rows in book.sections():
        ctx.print(f"{title}: {len(rows)}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    year = commands.add_parser("year", help="учебный год: открыть, план перевода, закрыть, отменить")
    sub = year.add_subparsers(title="команды", metavar="COMMAND", required=True)

    opening = sub.add_parser("open", help="открыть следующий учебный год (классы, план, назначения)")
    opening.add_argument("--name", required=True, help="название года, например 2027/2028")
    opening.add_argument("--start", type=_date, required=True, help="первый день года")
    opening.add_argument("--end", type=_date, required=True, help="последний день года")
    opening.add_argument("--term", type=_period, action="append", metavar="НАЧАЛО:КОНЕЦ",
                         help="период (по порядку, столько раз, сколько периодов)")
    opening.add_argument("--term-kind", choices=tuple(TERM_NAMES), help="вид периодов (иначе как в школе)")
    opening.add_argument("--from-year", metavar="NAME", help="предыдущий год (иначе последний)")
    opening.set_defaults(handler=cmd_open)

    def plan_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--year", metavar="NAME", help="закрываемый год (иначе предшествующий последнему)")
        parser.add_argument("--after-9", choices=("continue", "leave_basic"), default="continue",
                            help="решение по умолчанию после 9 класса")
        for kind, title in (("promotion", "о переводе"), ("graduation", "о выпуске"),
                            ("departure", "о выбытии")):
            parser.add_argument(f"--{kind}-order", metavar="N", help=f"номер приказа {title}")
            parser.add_argument(f"--{kind}-date", type=_date, metavar="DATE", help=f"дата приказа {title}")
        parser.add_argument("--outcomes", metavar="FILE.json", help="изменения решений по ученикам (JSON)")

    planning = sub.add_parser("plan", help="показать план перевода: решения по классам и итоги")
    plan_options(planning)
    planning.add_argument("--json", action="store_true")
    planning.add_argument("--xlsx", metavar="PATH", help="записать протокол XLSX")
    planning.set_defaults(handler=cmd_plan)

    closing = sub.add_parser("close", help="закрыть учебный год и перевести обучающихся по плану")
    plan_options(closing)
    closing.add_argument("--protocol", metavar="PATH", help="записать протокол XLSX")
    closing.add_argument("--report", metavar="PATH", help="записать отчёт по каждому обучающемуся (JSON)")
    closing.add_argument("--ignore-missing-marks", action="store_true",
                         help="закрыть, даже если не все итоговые отметки выставлены")
    closing.set_defaults(handler=cmd_close)

    undo = sub.add_parser("undo", help="отменить последнее открытие или закрытие года")
    undo.set_defaults(handler=cmd_undo)

    book = sub.add_parser("book", help="книга движения за период")
    book.add_argument("--from", dest="date_from", type=_date, required=True)
    book.add_argument("--to", dest="date_to", type=_date, required=True)
    book.add_argument("--xlsx", metavar="PATH")
    book.set_defaults(handler=cmd_book)

    for parser in (opening, closing, undo):
        parser.add_argument("--dry-run", action="store_true", help="показать, что будет сделано, ничего не меняя")
        parser.add_argument("--yes", action="store_true", help="не спрашивать подтверждения")
