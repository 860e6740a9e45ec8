"""Commands about login codes: issue codes with invitation letters, redeem a code to set one's password."""

from __future__ import annotations

import argparse
from pathlib import Path

from zhurnal.tui.cli import EXIT_FAILED, EXIT_OK, CliError, Context, positive

KIND_WORDS = {"student": "обучающимся", "parent": "родителям"}


def cmd_codes_issue(ctx: Context) -> int:
    from zhurnal.core.letters import format_of
    from zhurnal.core.services.classes import ClassService
    from zhurnal.core.services.codes import CodeService
    from zhurnal.core.services.years import YearService

    out = Path(ctx.args.out).expanduser()
    fmt = format_of(out)
    if fmt is None:
        raise CliError(f"--out {ctx.args.out}: письма сохраняются в .pdf или .xlsx — укажите файл с таким "
                       "расширением")
    if not out.parent.is_dir():
        raise CliError(f"--out {ctx.args.out}: папки {out.parent} нет")
    actor = ctx.actor()
    ctx.confirm_password(actor, "письма с кодами — персональные данные")
    store = ctx.store
    selection: dict[str, object] = {"parents": ctx.args.parents, "valid_days": ctx.args.days,
                                    "include_active": ctx.args.include_active}
    if ctx.args.class_name:
        year = YearService(store).current(actor)
        found = ClassService(store).find_by_name(actor, year.id, ctx.args.class_name)
        selection["class_id"] = found.id
        scope = f"класс {found.name}"
    elif ctx.args.parallel is not None:
        selection["parallel"] = ctx.args.parallel
        scope = f"{ctx.args.parallel}-е классы"
    else:
        selection["whole_school"] = True
        scope = "вся школа"
    batch = CodeService(store).issue_letters(actor, out, fmt=fmt, **selection)
    whom = KIND_WORDS["parent" if ctx.args.parents else "student"]
    for skipped in batch.skipped:
        ctx.print(f"Пропущен: {skipped.full_name} ({skipped.login}) — {skipped.reason}")
    if batch.skipped:
        ctx.print(f"Пропущено: {len(batch.skipped)}" + (" (--include-active выдаст код и тем, кто уже входит "
                                                        "со своим паролем)" if not ctx.args.include_active else ""))
    if not batch:
        ctx.print(f"Коды не выданы: {scope} — некому выдавать; файл не создан")
        return EXIT_FAILED
    # The codes themselves are never printed: they are in the letters only.
    ctx.print(f"Выдано кодов {whom}: {len(batch)} ({scope}), действуют до "
              f"{batch[0].valid_until.strftime('%d.%m.%Y')} включительно")
    ctx.print(f"Письма: {out.resolve()}")
    return EXIT_OK


def cmd_codes_redeem(ctx: Context) -> int:
    from zhurnal.core.services.codes import CodeService

    store = ctx.initialised_store()
    code = ctx.read_password("Код из письма: ")
    password = ctx.read_password("Новый пароль (не короче 12 символов): ", confirm=True)
    redeemed = CodeService(store).redeem(ctx.args.login, code, password)
    ctx.print(f"Пароль сохранён. Входите как {redeemed.login} со своим паролем; код больше не действует.")
    return EXIT_OK


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    codes = commands.add_parser("codes", help="коды входа для обучающихся и родителей, письма с ними")
    codes_commands = codes.add_subparsers(title="команды", metavar="COMMAND", required=True)
    issue = codes_commands.add_parser(
        "issue", help="выдать коды классу, параллели или всей школе и сохранить письма (PDF или XLSX)",
        description="Новый код каждому обучающемуся (или с --parents каждому родителю) и письма с ними. "
                    "Прежний неиспользованный код отменяется. Сами коды на экран не выводятся.")
    scope = issue.add_mutually_exclusive_group(required=True)
    scope.add_argument("--class", dest="class_name", metavar="КЛАСС", help="класс текущего учебного года, "
                       "например 5А")
    scope.add_argument("--parallel", type=positive, metavar="N", help="все классы параллели, например 5")
    scope.add_argument("--all", action="store_true", help="вся школа")
    issue.add_argument("--parents", action="store_true", help="коды родителям (законным представителям)")
    issue.add_argument("--days", type=positive, default=None, metavar="N",
                       help="сколько дней действует код (по умолчанию 14)")
    issue.add_argument("--include-active", action="store_true",
                       help="выдать код и тем, кто уже входит со своим паролем (вход по коду заменит пароль)")
    issue.add_argument("--out", required=True, metavar="FILE.pdf|FILE.xlsx", help="куда сохранить письма")
    issue.set_defaults(handler=cmd_codes_issue)
    redeem = codes_commands.add_parser(
        "redeem", help="задать свой пароль по коду из письма",
        description="Код, затем новый пароль: из подсказок или, с --password-stdin, из первых двух строк "
                    "стандартного ввода.")
    redeem.add_argument("login", metavar="LOGIN")
    redeem.set_defaults(handler=cmd_codes_redeem)
