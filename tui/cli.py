"""The `zhurnal` command.

Global options come before the command: `zhurnal --db URL --user LOGIN --password-stdin COMMAND`.
Passwords come from a prompt or standard input, never from arguments or environment variables.
Exit codes (fit for cron): 0 done, 1 the operation failed or found a problem, 2 bad usage or refused access.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import TextIO

from zhurnal.core import __version__
from zhurnal.core.errors import ZhurnalError
from zhurnal.core.locations import default_database_url
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A message for stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class Context:
    """What a command gets: parsed arguments, the store (opened lazily) and the streams."""

    def __init__(self, args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> None:
        self.args = args
        self.stdin = stdin
        self.stdout = stdout
        self._store: Store | None = None
        self._stdin_password_used = False

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.args.db or default_database_url())
        return self._store

    def initialised_store(self) -> Store:
        store = self.store
        if not store.is_initialised():
            raise CliError(f"База {store.display_url()} пуста: сначала «zhurnal init» или «zhurnal demo»")
        return store

    def print(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def read_password(self, prompt: str, *, confirm: bool = False) -> str:
        """One password: from standard input with --password-stdin (first line), else a hidden prompt."""
        if self.args.password_stdin:
            if self._stdin_password_used:
                raise CliError("--password-stdin даёт только один пароль на команду")
            self._stdin_password_used = True
            line = self.stdin.readline()
            if not line:
                raise CliError("--password-stdin: на стандартном вводе нет пароля")
            return line.rstrip("\r\n")
        if not sys.stdin.isatty():
            raise CliError("Нужен пароль: запустите в терминале или передайте его через --password-stdin")
        password = getpass.getpass(prompt)
        if confirm and getpass.getpass("Повторите пароль: ") != password:
            raise CliError("Пароли не совпали")
        return password

    def actor(self) -> Actor:
        """Authenticate: --user with a password, else the config's peer mapping, else a login prompt."""
        from zhurnal.core import config
        from zhurnal.core.services.accounts import AuthService

        store = self.initialised_store()
        auth = AuthService(store)
        login = self.args.user
        if not login:
            os_user = getpass.getuser()
            try:
                peer_login = config.load().peer_logins.get(os_user)
            except config.ConfigError as exc:
                raise CliError(str(exc)) from exc
            if peer_login:
                return auth.peer(peer_login, os_user, school_code=self.args.school)
            if not sys.stdin.isatty() or self.args.password_stdin:
                raise CliError("Команда работает с персональными данными: укажите --user LOGIN "
                               "(и --password-stdin для сценариев)")
            login = input("Имя входа: ").strip()
        password = self.read_password(f"Пароль для {login}: ")
        return auth.login(login, password, school_code=self.args.school).actor


# ---------------------------------------------------------------------------------------------- commands


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
                         admin_password_hash=hash_password(password))
    ctx.print(f"Демо: школ {summary.schools}, обучающихся {summary.students}, сотрудников {summary.staff}, "
              f"родителей {summary.parents}, классов {summary.classes}, учебный год {summary.year_name}")
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
                  "audit_records": "Записей аудита"}
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


def cmd_people_search(ctx: Context) -> int:
    from zhurnal.core.services.persons import PersonService

    actor = ctx.actor()
    page = PersonService(ctx.store).search(actor, ctx.args.text, kind=ctx.args.kind, limit=ctx.args.limit)
    for row in page.rows:
        birth = row.birth_date.strftime("%d.%m.%Y") if row.birth_date else ""
        ctx.print(f"{row.id}\t{row.full_name}\t{birth}")
    return EXIT_OK


def cmd_summary(ctx: Context) -> int:
    """No command: the full-screen app when it exists; until then, the school's summary."""
    store = ctx.store
    if not store.is_initialised():
        ctx.print("База пуста. Создайте школу: «zhurnal init --school НАЗВАНИЕ --admin ЛОГИН» "
                  "или демо-школу: «zhurnal demo».")
        return EXIT_OK
    from zhurnal.core.services.schools import SchoolService
    from zhurnal.core.services.stats import StatsService

    system = Actor.system("summary")
    schools = SchoolService(store).list(system)
    stats = StatsService(store).counts(system)
    for school in schools:
        ctx.print(f"{school.name} (код {school.code})")
    ctx.print(f"Обучающихся: {stats.students}, сотрудников: {stats.staff}, родителей: {stats.parents}, "
              f"классов: {stats.classes}, учётных записей: {stats.accounts}")
    return EXIT_OK


# ------------------------------------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhurnal", description="Электронный журнал и дневник школы")
    parser.add_argument("--version", action="version", version=f"zhurnal {__version__}")
    parser.add_argument("--db", metavar="URL", help="база: sqlite:///путь или postgresql+psycopg://... "
                        "(иначе ZHURNAL_DB или файл в папке данных)")
    parser.add_argument("--user", metavar="LOGIN", help="учётная запись для команд с персональными данными")
    parser.add_argument("--password-stdin", action="store_true",
                        help="прочитать пароль из первой строки стандартного ввода")
    parser.add_argument("--school", metavar="CODE", help="код школы (в районной базе)")
    parser.set_defaults(handler=cmd_summary)
    commands = parser.add_subparsers(title="команды", metavar="COMMAND")

    init = commands.add_parser("init", help="создать школу и первого администратора")
    init.add_argument("--school", dest="school_name", required=True, metavar="NAME", help="название школы")
    init.add_argument("--admin", required=True, metavar="LOGIN", help="имя входа администратора")
    init.add_argument("--code", default="school-1", help="короткий код школы (по умолчанию school-1)")
    init.add_argument("--term-kind", choices=("quarter", "trimester", "half"), default="quarter")
    init.add_argument("--password-stdin", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    init.set_defaults(handler=cmd_init)

    demo = commands.add_parser("demo", help="создать демо-школу (или район) в пустой базе")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--schools", type=_positive, default=1)
    demo.add_argument("--admin", default="admin", metavar="LOGIN")
    demo.add_argument("--if-empty", action="store_true", help="ничего не делать, если школа уже есть")
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

    people = commands.add_parser("people", help="люди: поиск")
    people_commands = people.add_subparsers(title="команды", metavar="COMMAND", required=True)
    search = people_commands.add_parser("search", help="найти по фамилии, имени или СНИЛС")
    search.add_argument("text", nargs="?", default="")
    search.add_argument("--kind", choices=("student", "staff", "parent"))
    search.add_argument("--limit", type=_positive, default=50)
    search.set_defaults(handler=cmd_people_search)
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("нужно целое число больше нуля")
    return number


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run one command; returns the exit code (the console script exits with it)."""
    args = build_parser().parse_args(argv)
    ctx = Context(args, stdin or sys.stdin, stdout or sys.stdout)
    handler: Callable[[Context], int] = args.handler
    try:
        return handler(ctx)
    except CliError as exc:
        print(f"zhurnal: {exc}", file=sys.stderr)
        return exc.code
    except ZhurnalError as exc:
        from zhurnal.core.errors import AuthenticationFailed, PermissionDenied

        print(f"zhurnal: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, (AuthenticationFailed, PermissionDenied)) else EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    finally:
        if ctx._store is not None:
            ctx._store.dispose()


if __name__ == "__main__":
    sys.exit(main())
