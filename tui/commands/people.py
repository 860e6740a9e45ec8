"""Commands about people: search."""

from __future__ import annotations

import argparse

from zhurnal.tui.cli import EXIT_OK, Context, positive


def cmd_people_search(ctx: Context) -> int:
    from zhurnal.core.services.persons import PersonService

    actor = ctx.actor()
    page = PersonService(ctx.store).search(actor, ctx.args.text, kind=ctx.args.kind, limit=ctx.args.limit)
    for row in page.rows:
        birth = row.birth_date.strftime("%d.%m.%Y") if row.birth_date else ""
        ctx.print(f"{row.id}\t{row.full_name}\t{birth}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    people = commands.add_parser("people", help="люди: поиск")
    people_commands = people.add_subparsers(title="команды", metavar="COMMAND", required=True)
    search = people_commands.add_parser("search", help="найти по фамилии, имени или СНИЛС")
    search.add_argument("text", nargs="?", default="")
    search.add_argument("--kind", choices=("student", "staff", "parent"))
    search.add_argument("--limit", type=positive, default=50)
    search.set_defaults(handler=cmd_people_search)
