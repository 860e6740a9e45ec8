"""Commands that set up and look after the store: init, demo, db upgrade, stats, audit verify."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from zhurnal.core.permissions import Actor
from zhurnal.tui.cli import EXIT_FAILED, EXIT_OK, CliError, Context, positive


def cmd_init(ctx: Context) -> int:
    from zhurnal.core.services.schools import SchoolService

    store = ctx.store
    store.upgrade()
    password = ctx.read_password(f"Пароль администратора {ctx.args.admin} (не короче 15 символов): ",
                                 confirm=True)
    SchoolService(store).initialise(name=ctx.args.school_name, code=ctx.args.code,
                                              admin_login=ctx.args.admin, admin_password=password,
                                              term_kind=ctx.args.term_kind)
    ctx.print(f"Школа создана (код {ctx.args.code}), администратор: {ctx.args.admin}")
    ctx.print(f"База: {store.display_url()}")
    return EXIT_OK


def cmd_demo(ctx: Context) -> int:
    from zhurnal.core.demo.generator import build_demo
    from zhurnal.core.passwords import hash_password, password_problems
    from zhurnal.core.services.stats import count_all

    store = ctx.store
    store.upgrade()
    with store.session(write=False) as session:
        existing = count_all(session, date.today())
    if existing.schools:
        if ctx.args.if_empty:
            ctx.print(f"Демо-школа уже есть в {store.display_url()}: {existing.students} обучающихся")
            return EXIT_OK
        raise CliError(f"В базе {store.display_url()} уже есть школы; демо строится только в пустой базе")
    generated = not ctx.args.password_stdin
    if generated:
        from zhurnal.core.codes import readable_secret

        password = readable_secret(groups=4)
    else:
        password = ctx.read_password("")
        problems = password_problems(password, login=ctx.args.admin, is_admin=True)
        if problems:
            raise CliError("; ".join(problems), EXIT_FAILED)
    summary = build_demo(store, seed=ctx.args.seed, schools=ctx.args.schools, admin_login=ctx.args.admin,
                         admin_password_hash=hash_password(password), journal_schools=ctx.args.journal_schools)
    ctx.print(f"Демо: школ {summary.schools}, обучающихся {summary.students}, сотрудников {summary.staff}, "
              f"родителей {summary.parents}, классов {summary.classes}, учебный год {summary.year_name}")
    if summary.journal_schools:
        ctx.print(f"Первая четверть (школ: {summary.journal_schools}): уроков {summary.lessons}, отметок "
                  f"{summary.marks}, записей посещаемости {summary.attendance}, итоговых отметок "
                  f"{summary.term_marks}, учётных записей {summary.accounts}")
    ctx.print(f"База: {store.display_url()}")
    if generated:
        ctx.print(f"Администратор: {ctx.args.admin}, пароль (показан один раз, сохраните его): {password}")
    return EXIT_OK


def cmd_db_upgrade(ctx: Context) -> int:
    from zhurnal.core.migrate import current_revision

    ctx.store.upgrade()
    ctx.print(f"Схема базы {ctx.store.display_url()}: ревизия {current_revision(ctx.store.engine)}")
    return EXIT_OK


def cmd_stats(ctx: Context) -> int:
    from zhurnal.core.services.stats import StatsService

    store = ctx.initialised_store()
    stats = StatsService(store).counts(Actor.system("stats"))
    if ctx.args.json:
        ctx.print(json.dumps(stats.as_dict(), ensure_ascii=False, sort_keys=True))
    else:
        labels = {"schools": "Школ", "students": "Обучающихся", "staff": "Сотрудников", "parents": "Родителей",
                  "classes": "Классов", "accounts": "Учётных записей", "active_accounts": "Из них активных",
                  "audit_records": "Записей аудита", "lessons": "Уроков в журналах", "marks": "Отметок",
                  "attendance": "Записей посещаемости"}
        for key, value in stats.as_dict().items():
            ctx.print(f"{labels.get(key, key)}: {value}")
    return EXIT_OK


def cmd_audit_verify(ctx: Context) -> int:
    from zhurnal.core.audit import verify_chain

    store = ctx.initialised_store()
    with store.session(write=False) as session:
        report = verify_chain(session)
    if report.ok:
        ctx.print(f"Журнал аудита цел: {report.count} записей")
        return EXIT_OK
    print(f"Журнал аудита нарушен: {report.problem}", file=sys.stderr)
    return EXIT_FAILED


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser("init", help="создать школу и первого администратора")
    init.add_argument("--school", dest="school_name", required=True, metavar="NAME", help="название школы")
    init.add_argument("--admin", required=True, metavar="LOGIN", help="имя входа администратора")
    init.add_argument("--code", default="school-1", help="короткий код школы (по умолчанию school-1)")
    init.add_argument("--term-kind", choices=("quarter", "trimester", "half"), default="quarter")
    init.add_argument("--password-stdin", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    init.set_defaults(handler=cmd_init)

    demo = commands.add_parser("demo", help="создать демо-школу (или район) в пустой базе")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--schools", type=positive, default=1)
    demo.add_argument("--admin", default="admin", metavar="LOGIN")
    demo.add_argument("--if-empty", action="store_true", help="ничего не делать, если школа уже есть")
    demo.add_argument("--journal-schools", type=int, default=None, metavar="N",
                      help="сколько школ (с первой) получают журнал первой четверти; по умолчанию одна")
    demo.add_argument("--password-stdin", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    demo.set_defaults(handler=cmd_demo)

    db = commands.add_parser("db", help="схема базы")
    db_commands = db.add_subparsers(title="команды", metavar="COMMAND", required=True)
    db_commands.add_parser("upgrade", help="обновить схему до последней версии").set_defaults(
        handler=cmd_db_upgrade)

    stats = commands.add_parser("stats", help="сколько чего в базе")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

    audit = commands.add_parser("audit", help="журнал аудита")
    audit_commands = audit.add_subparsers(title="команды", metavar="COMMAND", required=True)
    audit_commands.add_parser("verify", help="проверить цепочку записей").set_defaults(handler=cmd_audit_verify)
