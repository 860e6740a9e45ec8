"""The `zhurnal` command.

Global options come before the command: `zhurnal --db URL --user LOGIN --password-stdin COMMAND`.
Passwords come from a prompt or standard input, never from arguments or environment variables.
Exit codes (fit for cron): 0 done, 1 the operation failed or found a problem, 2 bad usage or refused access.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from zhurnal.core import __version__
from zhurnal.core.errors import ZhurnalError
from zhurnal.core.locations import default_database_url
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store
from zhurnal.tui.commands import COMMAND_MODULES

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
        self._stdin_lines_read = 0
        # The password this process just signed in with (None for a peer login): `user password` checks it
        # again as the old password instead of asking for it twice.
        self.signed_in_password: str | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.args.db or default_database_url())
        return self._store

    def initialised_store(self) -> Store:
        store = self.store
        if not store.is_initialised():
            raise CliError(f"База {store.display_url()} пуста: сначала «zhurnal init» или «zhurnal demo»")
        self.check_schema(store)
        return store

    @staticmethod
    def check_schema(store: Store) -> None:
        """Refuse a database whose schema is not the one this program needs (see migrate.schema_problem)."""
        from zhurnal.core.migrate import schema_problem

        problem = schema_problem(store.engine)
        if problem is not None:
            raise CliError(problem)

    def print(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def read_password(self, prompt: str, *, confirm: bool = False) -> str:
        """One secret: with --password-stdin the next line of standard input, else a hidden prompt (typed twice
        when `confirm`).

        A command that needs several secrets reads them in the order it asks for them, one line each: first
        the operator's own password (when signing in with --user), then whatever the command asks next, e.g.
        `user add` with a role: the operator's password again (confirmation), then the new account's password.
        """
        if self.args.password_stdin:
            self._stdin_lines_read += 1
            line = self.stdin.readline()
            if not line:
                raise CliError(f"--password-stdin: на стандартном вводе нет строки {self._stdin_lines_read} "
                               f"({prompt.strip().rstrip(':') or 'пароль'})")
            return line.rstrip("\r\n")
        if not sys.stdin.isatty():
            raise CliError("Нужен пароль: запустите в терминале или передайте его через --password-stdin")
        password = getpass.getpass(prompt)
        if confirm and getpass.getpass("Повторите пароль: ") != password:
            raise CliError("Пароли не совпали")
        return password

    def confirm_password(self, actor: Actor, purpose: str) -> None:
        """Ask a password-signed-in user for the password again before a sensitive operation (exporting
        personal data, ...). A peer login (cron) has no password to ask for and is trusted as configured."""
        if self.args.user and actor.user_id is not None:
            from zhurnal.core.services.users import UserService

            UserService(self.store).reauthenticate(actor, self.read_password(f"Подтвердите свой пароль ({purpose}): "))

    def actor(self, *, password_change: bool = False) -> Actor:
        """Authenticate: --user with a password, else the config's peer mapping, else a login prompt.

        An account whose password is temporary (set by an administrator's reset) may only change it: other
        commands are refused until then; `password_change=True` is for the command that changes it.
        """
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
        signed = auth.login(login, password, school_code=self.args.school)
        if signed.must_change_password and not password_change:
            raise CliError(f"Пароль учётной записи {login} временный: сначала смените его командой "
                           f"«zhurnal --user {login} user password»")
        self.signed_in_password = password
        return signed.actor


# ---------------------------------------------------------------------------------------------- summary


def cmd_summary(ctx: Context) -> int:
    """No command: the full-screen app on a terminal; elsewhere (a pipe, cron) the school's summary."""
    store = ctx.store
    if not store.is_initialised():
        ctx.print("База пуста. Создайте школу: «zhurnal init --school НАЗВАНИЕ --admin ЛОГИН» "
                  "или демо-школу: «zhurnal demo».")
        return EXIT_OK
    ctx.check_schema(store)
    if ctx.stdout.isatty() and ctx.stdin.isatty():
        from zhurnal.tui.app import run

        return run(store, lang=ctx.args.lang, school_code=ctx.args.school)
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
                        help="читать пароли со стандартного ввода, по строке на каждый запрос, по порядку")
    parser.add_argument("--school", metavar="CODE", help="код школы (в районной базе)")
    parser.add_argument("--lang", choices=("ru", "en"), help="язык полноэкранного интерфейса "
                        "(иначе [ui] lang в файле настроек, по умолчанию ru)")
    parser.set_defaults(handler=cmd_summary)
    commands = parser.add_subparsers(title="команды", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"zhurnal.tui.commands.{name}").register(commands)
    return parser


def positive(value: str) -> int:
    """argparse type: a whole number above zero."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("нужно целое число больше нуля")
    return number


def check_output(option: str, path: str) -> Path:
    """The file an option names to write, checked before the command changes anything: CliError naming the
    option when it is a folder or its folder is missing."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise CliError(f"{option} {path}: это папка; укажите файл")
    if not target.parent.is_dir():
        raise CliError(f"{option} {path}: папки {target.parent} нет")
    return target


def write_output(option: str, path: str, data: bytes) -> Path:
    """Write a file a command produces: readable by the owner only (it may hold personal data) and atomically
    (a failure leaves no half file); CliError naming the option when it cannot be written."""
    from zhurnal.core.files import write_atomic

    target = check_output(option, path)
    try:
        return write_atomic(target, data)
    except OSError as exc:
        raise CliError(f"{option} {path}: не удалось записать файл ({exc.strerror or exc})", EXIT_FAILED) from exc


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
