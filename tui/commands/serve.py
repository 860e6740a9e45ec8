"""`zhurnal serve`: the full-screen app for browsers on the school network (docs/serve.md)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from zhurnal.tui.cli import EXIT_FAILED, EXIT_OK, CliError, Context


def port_number(value: str) -> int:
    """argparse type: a TCP port."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"нужен номер порта от 1 до 65535, а не {value!r}")
    return number


def web_address(value: str) -> str:
    """argparse type: an http(s) URL without a trailing slash."""
    if not value.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"адрес должен начинаться с http:// или https://, а не {value!r}")
    return value.rstrip("/")


def write_private(folder: Path, name: str, text: str) -> Path:
    """A file only this user can read, in a folder only this user can enter."""
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def cmd_serve(ctx: Context) -> int:
    from zhurnal.core import config
    from zhurnal.tui.web import ZhurnalServer, is_loopback, session_command

    if ctx.args.user or ctx.args.password_stdin:
        raise CliError("serve: --user и --password-stdin здесь не действуют — каждый браузер входит под своей "
                       "учётной записью на экране входа")
    try:
        settings = config.serve_settings(config.load())
    except config.ConfigError as exc:
        raise CliError(str(exc)) from exc
    host = ctx.args.host or settings.host
    port = ctx.args.port or settings.port
    public_url = ctx.args.public_url or settings.public_url
    store = ctx.initialised_store()  # an empty or unreachable database fails here, not in every browser
    if not is_loopback(host):
        print(f"zhurnal: ВНИМАНИЕ: приложение открыто в сеть ({host}:{port}) по HTTP без шифрования — пароли и "
              "оценки идут по сети открытым текстом. Поставьте перед ним обратный прокси с TLS и слушайте "
              "127.0.0.1 (docs/serve.md), или откройте доступ только из доверенной сети.", file=sys.stderr)
    folder = Path(tempfile.mkdtemp(prefix="zhurnal-serve-"))  # mode 0700
    try:
        db_file = write_private(folder, "database-url", store.url) if ctx.args.db else None
        command = session_command(db_file=db_file, school=ctx.args.school, lang=ctx.args.lang)
        server = ZhurnalServer(command, host=host, port=port, public_url=public_url,
                               max_sessions=settings.max_sessions)
        try:
            server.serve()
        except OSError as exc:
            raise CliError(f"не удалось слушать {host}:{port}: {exc.strerror or exc}", EXIT_FAILED) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return EXIT_OK


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve", help="полноэкранное приложение в браузерах школьной сети",
        description="Открывает приложение для браузеров: каждое подключение начинается со входа по логину и "
                    "паролю. Адрес и порт по умолчанию берутся из [serve] в файле настроек (127.0.0.1:8000). "
                    "Соединение — HTTP без шифрования: в сеть — только через обратный прокси с TLS "
                    "(docs/serve.md).")
    serve.add_argument("--host", metavar="ADDRESS",
                       help="адрес, на котором слушать (по умолчанию [serve] host или 127.0.0.1; "
                            "0.0.0.0 — все адреса машины)")
    serve.add_argument("--port", type=port_number, metavar="PORT",
                       help="порт (по умолчанию [serve] port или 8000)")
    serve.add_argument("--public-url", type=web_address, metavar="URL",
                       help="адрес, по которому браузеры открывают приложение, когда перед ним прокси "
                            "(например https://journal.school.local)")
    serve.set_defaults(handler=cmd_serve)
