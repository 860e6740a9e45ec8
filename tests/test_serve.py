"""`zhurnal serve`: the app in a real browser (headless Chromium over the DevTools protocol, tests/browser.py),
and the command's settings, warnings and refusals without a browser.

The browser test is one server and one browser on SQLite: the engines are covered by the service tests; what
is tested here is the way from a browser to the core and back. The server runs the real calendar (no fixed
"today" can reach a served session), so the test builds its school for the real date.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import websocket
from aiohttp.test_utils import TestClient, TestServer

from tests.browser import Browser, BrowserError, chromium_binary
from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
from tests.helpers import make_class
from tests.test_structure_services import add_staff, enrol
from zhurnal.core import config
from zhurnal.core.permissions import Actor
from zhurnal.core.services.accounts import AuthService
from zhurnal.core.services.assignments import AssignmentService
from zhurnal.core.services.journal import JournalService
from zhurnal.core.services.schools import SchoolService
from zhurnal.core.services.subjects import SubjectService
from zhurnal.core.services.users import UserService
from zhurnal.core.store import Store
from zhurnal.tui import cli
from zhurnal.tui.web import ZhurnalServer, is_loopback

TEACHER_LOGIN = "ivanova"
TEACHER_PASSWORD = "kvadratnoe uravnenie 2026"


@dataclass
class ServedSchool:
    url: str
    teacher: Actor
    assignment_id: int
    lesson_id: int
    students: list[int]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served_school(tmp_path: Path) -> Iterator[ServedSchool]:
    """A school for today: a teacher account with a password, her class of three and one lesson today."""
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    store = Store(url)
    store.upgrade()
    today = date.today()
    school = SchoolService(store).initialise(name="МБОУ «СОШ № 7»", code="school-7", admin_login=ADMIN_LOGIN,
                                             admin_password=ADMIN_PASSWORD, today=today)
    admin, sid = school.admin, school.school_id
    class_id = make_class(store, sid, 5, "А")
    subject = SubjectService(store).create(admin, "Математика")
    teacher_id = add_staff(store, sid, "Иванова", "Мария")
    UserService(store).add(admin, TEACHER_LOGIN, person_id=teacher_id, roles=["teacher"],
                           password=TEACHER_PASSWORD, confirmed_password=ADMIN_PASSWORD)
    assignment = AssignmentService(store).assign(admin, class_id, subject.id, teacher_id, today=today)
    grid = JournalService(store).open(admin, assignment.id, today=today)
    start = min(grid.start, today)
    students = [enrol(store, sid, class_id, last, first, start=start)
                for last, first in (("Андреев", "Пётр"), ("Борисова", "Анна"), ("Васильев", "Иван"))]
    signed = AuthService(store).login(TEACHER_LOGIN, TEACHER_PASSWORD)  # the lesson is hers
    lesson = JournalService(store).add_lesson(signed.actor, assignment.id, today, 1, "Дроби", today=today)
    store.dispose()
    yield ServedSchool(url, signed.actor, assignment.id, lesson.id, students)


@dataclass
class RunningServer:
    address: str
    process: subprocess.Popen[bytes]
    temporary: Path

    def stop(self) -> None:
        """What `systemctl stop` does: SIGTERM. The server ends its sessions, removes its temporary folder
        and exits 0."""
        self.process.terminate()
        assert self.process.wait(timeout=30) == 0
        assert list(self.temporary.iterdir()) == []


@pytest.fixture
def server(served_school: ServedSchool, tmp_path: Path) -> Iterator[RunningServer]:
    """`zhurnal serve` on a free loopback port, the address and port from the config file's [serve]."""
    port = free_port()
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text(f'[serve]\nhost = "127.0.0.1"\nport = {port}\nmax_sessions = 1\n',
                                            encoding="utf-8")
    temporary = tmp_path / "tmp"  # where the server keeps the database file for its sessions
    temporary.mkdir()
    env = {**os.environ, "ZHURNAL_CONFIG_DIR": str(config_dir), "TMPDIR": str(temporary)}
    out = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "zhurnal.tui.cli", "--db", served_school.url, "serve"],
                               stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    address = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"zhurnal serve exited with {process.returncode}:\n"
                                     + (tmp_path / "serve.log").read_text("utf-8", "replace"))
            try:
                with urllib.request.urlopen(address, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("zhurnal serve did not answer in 30 s")
            time.sleep(0.1)
        assert [p.name for p in temporary.iterdir()] != []
        yield RunningServer(address, process, temporary)
    finally:
        # Whatever is left of the server and the app processes it started (they share its process group).
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
        out.close()


CHROMIUM = chromium_binary()
SESSION_ENDED = "document.body.classList.contains('-closed')"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM, tmp_path / "browser") as opened:
        yield opened


def sign_in_again(browser: Browser, timeout: float = 30) -> None:
    """Press "Войти снова" on the ended session's page until a new session shows the login screen. The old
    session may still be winding down on the server, and max_sessions = 1 turns the new one away meanwhile:
    then the new page ends at once, and the button is pressed again."""
    deadline = time.monotonic() + timeout
    state = "closed"
    while True:
        assert time.monotonic() < deadline, f"no new session in {timeout} s (last page state: {state})"
        if state == "closed":
            browser.evaluate("window.__oldPage = true; document.querySelector('.closed-dialog button').click()")
        time.sleep(0.1)
        try:
            state = browser.evaluate(f"window.__oldPage ? 'old' : ({SESSION_ENDED}) ? 'closed' : 'open'")
            if state == "open" and "Имя входа" in (browser.screen_text() or ""):
                return
        except BrowserError:  # the page is being replaced
            state = "old"


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package `chromium`; .ci/run "
                                               "installs it)")
def test_a_teacher_signs_in_from_a_browser_and_enters_a_mark(server: RunningServer, browser: Browser,
                                                             served_school: ServedSchool) -> None:
    browser.open(server.address)
    # Every browser session starts at the login screen (the first one waits for Chromium and Python to start).
    screen = browser.wait_for("Имя входа", "Пароль", timeout=60)
    assert "Журнал" in screen
    browser.focus()
    browser.type(TEACHER_LOGIN)
    browser.press("enter")
    browser.type("not the password at all")
    browser.press("enter")
    browser.wait_for("Неверное имя входа или пароль")
    browser.type(TEACHER_PASSWORD)
    browser.press("enter")
    # A teacher starts in her journals.
    screen = browser.wait_for("Журналы", "5А", "Математика", "ведёте вы")
    # The terminal takes the browser's size, not a fixed 80x24.
    assert len(screen.splitlines()) > 24 and max(len(line) for line in screen.splitlines()) > 80
    # [serve] max_sessions = 1: while this session runs, another connection is turned away.
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(server.address.replace("http:", "ws:") + "ws", timeout=10,
                                    suppress_origin=True)
    assert refused.value.status_code == 503

    # A smaller window: the terminal follows it and the app lays itself out again.
    wide, _ = browser.terminal_size()
    browser.resize(900, 600)
    browser.wait_until(f"window.__zhurnalTerminal.cols < {wide}")
    _, rows = browser.terminal_size()
    assert rows < 40
    # Laid out again: the footer is on the smaller terminal's last line.
    browser.wait_for("Журналы", "5А", pattern=rf"\A(?:.*\n){{{rows - 1}}}.*f10 Выход")

    browser.press("enter")  # the grid; the cursor starts on the last lesson of the first student
    browser.wait_for("5А · Математика", "Андреев Пётр", "Итог", "Дроби")
    browser.type("4")  # a whole mark of the scale is saved as typed, no Enter needed
    # Read back through the core: the mark is stored for that lesson and student.
    store = Store(served_school.url)
    deadline = time.monotonic() + 30
    try:
        while True:
            view = JournalService(store).open(served_school.teacher, served_school.assignment_id)
            marks = {(m.lesson_id, m.student_id): m.value for m in view.marks}
            if marks:
                break
            assert time.monotonic() < deadline, "the mark typed in the browser was not stored in 30 s"
            time.sleep(0.1)
    finally:
        store.dispose()
    assert marks == {(served_school.lesson_id, served_school.students[0]): "4"}
    browser.wait_for(pattern=r"Андреев Пётр +4\b")  # and the grid shows it saved

    browser.press("f10")  # quitting ends this browser's session; the page offers to sign in again
    browser.wait_until(SESSION_ENDED)
    # "Войти снова" opens a new session, at the login screen again.
    sign_in_again(browser)
    # Stopping the server ends the running session: the page says so at once.
    server.stop()
    browser.wait_until(SESSION_ENDED, timeout=10)


# ---------------------------------------------------------------------------------------- without a browser


def test_serve_settings_come_from_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert config.serve_settings(config.Config()) == config.ServeSettings("127.0.0.1", 8000, None)
    path.write_text('[serve]\nhost = "0.0.0.0"\nport = 8080\npublic_url = "https://journal.school.local/"\n',
                    encoding="utf-8")
    assert config.serve_settings(config.load(path), path) == config.ServeSettings(
        "0.0.0.0", 8080, "https://journal.school.local")
    for body, message in (("port = 0", "port должен быть целым числом от 1 до 65535"),
                          ('port = "8000"', "port должен быть целым числом"),
                          ("port = true", "port должен быть целым числом"),
                          ('host = ""', "host должен быть адресом"),
                          ('host = "a b"', "host должен быть адресом"),
                          ('public_url = "journal.local"', "public_url должен начинаться с http"),
                          ("max_sessions = 0", "max_sessions должен быть целым числом больше нуля"),
                          ("addr = 1", "неизвестные ключи addr")):
        path.write_text(f"[serve]\n{body}\n", encoding="utf-8")
        with pytest.raises(config.ConfigError, match=message) as caught:
            config.serve_settings(config.load(path), path)
        assert str(path) in str(caught.value)


def test_the_page_points_the_browser_back_at_the_address_it_used() -> None:
    """Bound to 0.0.0.0 the server must not tell browsers to connect to 0.0.0.0; behind a TLS proxy the page
    must use wss; the page loads nothing from elsewhere (the school network may have no internet)."""
    server = ZhurnalServer("true", host="0.0.0.0", port=8000)

    async def page(headers: dict[str, str], public: ZhurnalServer = server) -> str:
        async with TestClient(TestServer(await public._make_app())) as client:
            answer = await client.get("/", headers=headers)
            assert answer.status == 200
            return await answer.text()

    direct = asyncio.run(page({"Host": "192.0.2.10:8000"}))
    assert 'data-session-websocket-url="ws://192.0.2.10:8000/ws"' in direct
    assert re.findall(r'(?:src|href)="([^"]+)"', direct) == [
        "http://192.0.2.10:8000/static/css/xterm.css", "http://192.0.2.10:8000/static/js/textual.js"]
    assert "googleapis" not in direct and "url(\"http://192.0.2.10:8000/static/fonts/" in direct
    proxied = asyncio.run(page({"Host": "journal.school.local", "X-Forwarded-Proto": "https"}))
    assert 'data-session-websocket-url="wss://journal.school.local/ws"' in proxied
    configured = ZhurnalServer("true", host="127.0.0.1", port=8000, public_url="https://journal.school.local")
    assert 'data-session-websocket-url="wss://journal.school.local/ws"' in asyncio.run(
        page({"Host": "127.0.0.1:8000"}, configured))


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.10", "journal.school.local"))


@pytest.fixture
def fake_serve(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """ZhurnalServer.serve replaced: records what it would serve, and the database file while it exists."""
    calls: list[dict[str, object]] = []

    def serve(self: ZhurnalServer, debug: bool = False) -> None:
        argv = self.command.split()
        db_file = Path(argv[argv.index("--db-file") + 1]) if "--db-file" in argv else None
        calls.append({"command": self.command, "host": self.host, "port": self.port,
                      "public_url": self.configured_url, "db_file": db_file,
                      "db_mode": stat.S_IMODE(db_file.stat().st_mode) if db_file else None,
                      "db_url": db_file.read_text("utf-8") if db_file else None})

    monkeypatch.setattr(ZhurnalServer, "serve", serve)
    return calls


def test_serve_warns_off_loopback_and_keeps_the_database_url_out_of_argv(
        store, fake_serve, capsys: pytest.CaptureFixture[str]) -> None:
    url = store.url
    assert cli.main(["--db", url, "--lang", "en", "serve", "--host", "192.0.2.10", "--port", "8123",
                     "--public-url", "https://journal.school.local/"]) == 0
    [call] = fake_serve
    assert (call["host"], call["port"], call["public_url"]) == ("192.0.2.10", 8123, "https://journal.school.local")
    assert url not in str(call["command"]) and call["db_url"] == url and call["db_mode"] == 0o600
    assert "-m zhurnal.tui.served" in str(call["command"]) and "--lang en" in str(call["command"])
    assert not Path(str(call["db_file"])).exists()  # removed when the server stops
    err = capsys.readouterr().err
    assert "ВНИМАНИЕ" in err and "без шифрования" in err and "TLS" in err
    fake_serve.clear()
    assert cli.main(["--db", url, "serve"]) == 0
    assert (fake_serve[0]["host"], fake_serve[0]["port"]) == ("127.0.0.1", 8000)
    assert "ВНИМАНИЕ" not in capsys.readouterr().err


def test_serve_refuses_bad_settings_and_an_empty_database(tmp_path: Path, fake_serve, monkeypatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--db", f"sqlite:///{tmp_path / 'empty.sqlite3'}", "serve"]) == cli.EXIT_USAGE
    assert "пуста" in capsys.readouterr().err
    monkeypatch.setenv("ZHURNAL_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text("[serve]\nport = 70000\n", encoding="utf-8")
    assert cli.main(["--db", f"sqlite:///{tmp_path / 'empty.sqlite3'}", "serve"]) == cli.EXIT_USAGE
    assert "port должен быть целым числом от 1 до 65535" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["serve", "--port", "0"])
    assert "нужен номер порта" in capsys.readouterr().err
    # The server signs no one in: each browser does, at the login screen.
    assert cli.main(["--user", "admin", "serve"]) == cli.EXIT_USAGE
    assert "каждый браузер входит" in capsys.readouterr().err
    assert fake_serve == []
