"""`zhurnal serve`: the full-screen app in browsers, through textual-serve.

The web server (aiohttp, inside textual-serve) gives each browser a page with a terminal (xterm.js) and, for
each connection, starts one app process (`python -m zhurnal.tui.served`) whose screen it streams over a
WebSocket. Our page template loads nothing from outside the server (the school network may have no internet)
and the WebSocket address follows the address the browser used, so binding to 0.0.0.0 works.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import shlex
import sys
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

TEMPLATES = Path(__file__).parent / "web_templates"
log = logging.getLogger("zhurnal.serve")
TITLE = "Журнал"


def is_loopback(host: str) -> bool:
    """True when only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() in ("localhost", "localhost.localdomain")


def session_command(*, db_file: Path | None, school: str | None, lang: str | None) -> str:
    """The shell command textual-serve runs for every browser connection: this Python, the served app, and the
    options the `zhurnal serve` process was given. The database URL travels in a private file, never in argv,
    because a PostgreSQL URL may carry a password and every local user can read a process's arguments."""
    argv = [sys.executable, "-m", "zhurnal.tui.served"]
    if db_file is not None:
        argv += ["--db-file", str(db_file)]
    if school:
        argv += ["--school", school]
    if lang:
        argv += ["--lang", lang]
    return shlex.join(argv)


class ZhurnalServer(Server):
    """textual-serve's server with our page, our start message and no request log (client addresses are
    personal data; the app logs sign-ins itself)."""

    def __init__(self, command: str, *, host: str, port: int, public_url: str | None = None,
                 max_sessions: int = 50) -> None:
        super().__init__(command, host=host, port=port, title=TITLE, public_url=public_url,
                         templates_path=TEMPLATES)
        self.configured_url = public_url
        self.max_sessions = max_sessions
        self.sessions: set[asyncio.Task[Any]] = set()  # the request tasks of the running browser sessions

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser session: one app process, refused (503) past `max_sessions` running at once."""
        if len(self.sessions) >= self.max_sessions:
            log.warning("zhurnal serve: открыто сеансов: %d из %d; новое подключение отклонено ([serve] "
                        "max_sessions)", len(self.sessions), self.max_sessions)
            raise web.HTTPServiceUnavailable(text="Слишком много сеансов; попробуйте позже")
        task = asyncio.current_task()
        assert task is not None
        self.sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions.discard(task)

    async def on_shutdown(self, app: web.Application) -> None:
        """Stopping (SIGTERM, Ctrl+C): end every session now rather than wait for the browsers to leave. A
        cancelled session closes its WebSocket (the page says the session ended) and tells its app to quit."""
        for task in list(self.sessions):
            task.cancel()

    def initialize_logging(self) -> None:
        super().initialize_logging()
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    def listening_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(f"zhurnal serve: {self.listening_url()}"
                           + (f" (для браузеров: {self.configured_url})" if self.configured_url else "")
                           + "; остановить: Ctrl+C", highlight=False)

    def origin(self, request: web.Request) -> str:
        """Where the browser reaches us: the configured public URL, else the address it used, with the scheme
        a TLS proxy reports (X-Forwarded-Proto), so an https page opens its WebSocket as wss. The headers only
        shape the page sent back to the same browser."""
        if self.configured_url:
            return self.configured_url
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        scheme = forwarded if forwarded in ("http", "https") else request.scheme
        return f"{scheme}://{request.host}"

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        origin = self.origin(request)
        scheme, rest = origin.split(":", 1)
        websocket_url = ("wss:" if scheme == "https" else "ws:") + rest + str(request.app.router["websocket"].url_for())
        static_url = origin + str(request.app.router["static"].url_for(filename="/")).rstrip("/") + "/"
        try:
            font_size = int(request.query.get("fontsize", "16"))
        except ValueError:
            font_size = 16
        return {
            "font_size": max(8, min(font_size, 48)),
            "app_websocket_url": websocket_url,
            "config": {"static": {"url": static_url}},
            "application": {"name": self.title},
        }
