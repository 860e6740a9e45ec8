"""Commands for informing and helping users: `announce post|list|withdraw` and `support list|show|answer|close`.

Texts (an announcement's body, an answer) come from --file or from standard input, never from arguments, so
they stay out of the shell history and the process list. With --password-stdin the first line of standard
input is the password and the rest is the text.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from zhurnal.core.permissions import ROLES
from zhurnal.tui.cli import EXIT_OK, CliError, Context, positive

TEXT_LIMIT = 1_000_000  # characters read from a file or stdin at most; the services refuse far less anyway


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%d.%m.%Y %H:%M")


def read_text(ctx: Context, what: str) -> str:
    """The text from --file, else the rest of standard input (a prompt says how to end it on a terminal)."""
    if ctx.args.file:
        path = Path(ctx.args.file).expanduser()
        try:
            return path.read_text(encoding="utf-8-sig")[:TEXT_LIMIT]
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"--file {ctx.args.file}: не удалось прочитать текст в UTF-8 ({exc})") from exc
    if ctx.stdin.isatty():
        import sys

        print(f"{what} (закончите строкой Ctrl+D):", file=sys.stderr)
    return ctx.stdin.read(TEXT_LIMIT)


# ---------------------------------------------------------------------------------------------- announce


def cmd_announce_post(ctx: Context) -> int:
    from zhurnal.core.services.announcements import AnnouncementService, Audience
    from zhurnal.core.validation import parse_date

    until, problems = parse_date(ctx.args.until, "until")
    if problems:
        raise CliError(f"--until {ctx.args.until}: дата в виде ГГГГ-ММ-ДД или ДД.ММ.ГГГГ")
    actor = ctx.actor()
    class_ids: list[int] = []
    if ctx.args.class_names:
        from zhurnal.core.services.classes import ClassService
        from zhurnal.core.services.years import YearService

        year = YearService(ctx.store).current(actor)
        class_ids = [ClassService(ctx.store).find_by_name(actor, year.id, name).id for name in ctx.args.class_names]
    body = read_text(ctx, "Текст объявления")
    audience = Audience(everyone=ctx.args.everyone, roles=tuple(ctx.args.roles or ()), class_ids=tuple(class_ids))
    posted = AnnouncementService(ctx.store).post(actor, ctx.args.title, body, audience, expires_on=until)
    ctx.print(f"Объявление № {posted.id} «{posted.title}» опубликовано; кому: {posted.audience.describe()}"
              + (f"; показывается до {until.strftime('%d.%m.%Y')} включительно" if until else ""))
    return EXIT_OK


def cmd_announce_list(ctx: Context) -> int:
    from datetime import date

    from zhurnal.core.services.announcements import AnnouncementService

    actor = ctx.actor()
    today = date.today()
    found = AnnouncementService(ctx.store).list(actor, include_withdrawn=not ctx.args.active)
    for a in found:
        if a.withdrawn_at is not None:
            state = "снято"
        elif a.active_on(today):
            state = "показывается"
        else:
            state = "истекло"
        if ctx.args.active and state != "показывается":
            continue
        until = a.expires_on.strftime("%d.%m.%Y") if a.expires_on else "—"
        ctx.print(f"{a.id}\t{_when(a.posted_at)}\t{state}\tдо {until}\tпрочитали: {a.reads}\t"
                  f"{a.audience.describe()}\t{a.title}")
    if not found:
        ctx.print("Объявлений нет")
    return EXIT_OK


def cmd_announce_withdraw(ctx: Context) -> int:
    from zhurnal.core.services.announcements import AnnouncementService

    actor = ctx.actor()
    withdrawn = AnnouncementService(ctx.store).withdraw(actor, ctx.args.id)
    ctx.print(f"Объявление № {withdrawn.id} «{withdrawn.title}» снято: его больше никто не увидит")
    return EXIT_OK


# ----------------------------------------------------------------------------------------------- support

STATUS_WORDS = {"open": "ждёт ответа", "answered": "есть ответ", "closed": "закрыто"}


def cmd_support_list(ctx: Context) -> int:
    from zhurnal.core.services.support import SupportService

    actor = ctx.actor()
    rows = SupportService(ctx.store).queue(actor, ctx.args.status)
    for row in rows:
        who = f"{row.author_login} ({row.author_name})" if row.author_name else row.author_login
        ctx.print(f"{row.id}\t{_when(row.created_at)}\t{STATUS_WORDS.get(row.status, row.status)}\t{who}\t"
                  f"{row.screen or '—'}\t{row.preview}")
    if not rows:
        ctx.print("Обращений нет")
    return EXIT_OK


def _show(ctx: Context, ticket: object) -> None:
    from zhurnal.core.services.support import TicketDetail

    assert isinstance(ticket, TicketDetail)
    row = ticket.row
    who = f"{row.author_login} ({row.author_name})" if row.author_name else row.author_login
    ctx.print(f"Обращение № {row.id} — {STATUS_WORDS.get(row.status, row.status)}")
    ctx.print(f"От: {who}, {_when(row.created_at)}; экран: {row.screen or '—'}")
    ctx.print("")
    ctx.print(ticket.text)
    for message in ticket.messages:
        side = "Поддержка" if message.from_support else "Автор"
        ctx.print("")
        ctx.print(f"— {side} ({message.author_login}), {_when(message.created_at)}:")
        ctx.print(message.text)


def cmd_support_show(ctx: Context) -> int:
    from zhurnal.core.services.support import SupportService

    actor = ctx.actor()
    _show(ctx, SupportService(ctx.store).get(actor, ctx.args.id))
    return EXIT_OK


def cmd_support_answer(ctx: Context) -> int:
    from zhurnal.core.services.support import SupportService

    actor = ctx.actor()
    text = read_text(ctx, "Ответ")
    answered = SupportService(ctx.store).answer(actor, ctx.args.id, text)
    ctx.print(f"Ответ на обращение № {answered.row.id} отправлен; автор увидит его в приложении")
    return EXIT_OK


def cmd_support_close(ctx: Context) -> int:
    from zhurnal.core.services.support import SupportService

    actor = ctx.actor()
    closed = SupportService(ctx.store).close(actor, ctx.args.id)
    ctx.print(f"Обращение № {closed.row.id} закрыто")
    return EXIT_OK


def _file_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--file", metavar="FILE", help=f"{what} из файла в UTF-8 (иначе со стандартного ввода, "
                                                       "после пароля при --password-stdin)")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    announce = commands.add_parser("announce", help="объявления всем, ролям или классам")
    announce_commands = announce.add_subparsers(title="команды", metavar="COMMAND", required=True)
    post = announce_commands.add_parser(
        "post", help="опубликовать объявление",
        description="Объявление видят при входе и на начальном экране, пока не прочтут. Кому: --all, или "
                    "--role и --class (можно несколько раз). Текст — из --file или со стандартного ввода.")
    post.add_argument("--title", required=True, metavar="ЗАГОЛОВОК")
    whom = post.add_argument_group("кому")
    whom.add_argument("--all", dest="everyone", action="store_true", help="всем пользователям школы")
    whom.add_argument("--role", dest="roles", action="append", choices=list(ROLES), metavar="РОЛЬ",
                      help=f"обладателям роли: {', '.join(ROLES)}")
    whom.add_argument("--class", dest="class_names", action="append", metavar="КЛАСС",
                      help="ученикам класса текущего года, их родителям и учителям, например 5А")
    post.add_argument("--until", metavar="ДАТА", help="показывать до этого дня включительно (иначе пока не снимут)")
    _file_option(post, "текст")
    post.set_defaults(handler=cmd_announce_post)
    listing = announce_commands.add_parser("list", help="объявления школы, новые первыми")
    listing.add_argument("--active", action="store_true", help="только те, что показываются сейчас")
    listing.set_defaults(handler=cmd_announce_list)
    withdraw = announce_commands.add_parser("withdraw", help="снять объявление: его больше никто не увидит")
    withdraw.add_argument("id", type=positive, metavar="НОМЕР")
    withdraw.set_defaults(handler=cmd_announce_withdraw)

    support = commands.add_parser("support", help="обращения пользователей о проблемах: очередь, ответы")
    support_commands = support.add_subparsers(title="команды", metavar="COMMAND", required=True)
    queue = support_commands.add_parser("list", help="очередь обращений")
    queue.add_argument("--status", choices=list(STATUS_WORDS), help="только с этим состоянием "
                       "(open — ждут ответа, answered — отвечены, closed — закрыты)")
    queue.set_defaults(handler=cmd_support_list)
    show = support_commands.add_parser("show", help="обращение с ответами")
    show.add_argument("id", type=positive, metavar="НОМЕР")
    show.set_defaults(handler=cmd_support_show)
    answer = support_commands.add_parser("answer", help="ответить: автор прочтёт ответ в приложении")
    answer.add_argument("id", type=positive, metavar="НОМЕР")
    _file_option(answer, "ответ")
    answer.set_defaults(handler=cmd_support_answer)
    close = support_commands.add_parser("close", help="закрыть обращение")
    close.add_argument("id", type=positive, metavar="НОМЕР")
    close.set_defaults(handler=cmd_support_close)
