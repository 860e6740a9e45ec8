"""The real thing: `zhurnal` in a real terminal (tmux, 80×24) against a demo database, driven with send-keys
and read back with capture-pane: log in, search a student, open the card."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zhurnal.core.services.accounts import AuthService
from zhurnal.core.services.persons import PersonService
from zhurnal.core.store import Store

ZHURNAL = str(Path(sys.executable).with_name("zhurnal"))
PASSWORD = "correct horse battery staple 42"
TRIES = 200  # polls of the screen before giving up on what it should show
POLL = 0.1

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (apt-get install -y tmux): no real-terminal test")


class Terminal:
    """One tmux server of our own (its own socket), one 80×24 window running a command."""

    def __init__(self, socket: Path, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-S", str(self.socket), *args], env=self.env, capture_output=True,
                                text=True, check=True, timeout=30)
        return result.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", "zhurnal", "-x", "80", "-y", "24", command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "zhurnal")

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "zhurnal", "-l", text)

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "zhurnal", *keys)

    def wait_until(self, check: Callable[[str], bool], what: str) -> str:
        """Poll the screen until `check` accepts it (a bounded number of tries)."""
        screen = ""
        for _ in range(TRIES):
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(POLL)
        raise AssertionError(f"never showed {what}; the screen was:\n{screen}")

    def wait_for(self, *texts: str) -> str:
        return self.wait_until(lambda screen: all(text in screen for text in texts), repr(texts))


def first_row(screen: str) -> str:
    """The first row of the list under its header line."""
    lines = screen.splitlines()
    header = next(i for i, line in enumerate(lines) if "ФИО" in line)
    return lines[header + 1].strip()


@pytest.fixture
def demo_data(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHURNAL_")}
    env["ZHURNAL_DATA_DIR"] = str(data)
    built = subprocess.run([ZHURNAL, "demo", "--password-stdin"], input=PASSWORD + "\n", env=env,
                           capture_output=True, text=True, check=False, timeout=300)
    assert built.returncode == 0, built.stderr
    return data, env


@pytest.fixture
def terminal(tmp_path: Path, demo_data: tuple[Path, dict[str, str]]) -> Iterator[Terminal]:
    _, env = demo_data
    term = Terminal(tmp_path / "tmux.sock", {**env, "TERM": "xterm-256color"})
    yield term
    subprocess.run(["tmux", "-S", str(term.socket), "kill-server"], capture_output=True, check=False)


def test_login_search_and_card_in_a_real_terminal(demo_data, terminal):
    data, _ = demo_data
    store = Store(f"sqlite:///{data / 'zhurnal.sqlite3'}")
    try:
        actor = AuthService(store).login("admin", PASSWORD).actor
        student = PersonService(store).search(actor, "Ива", kind="student", limit=1).rows[0]
    finally:
        store.dispose()

    terminal.start(f"{shlex.quote(ZHURNAL)}; sleep 30")  # the pause keeps a crash's traceback readable
    assert terminal.tmux("display-message", "-p", "-t", "zhurnal", "#{window_width}x#{window_height}").strip() \
        == "80x24"
    terminal.wait_for("Имя входа", "Пароль")
    terminal.type("admin")
    terminal.press("Enter")
    terminal.type(PASSWORD)
    terminal.press("Enter")
    terminal.wait_for("Сводка", "Требует внимания", "Обучающихся")
    terminal.press("F3")
    terminal.wait_for("Ученики", "Показано")
    terminal.type("Ива")
    # The search narrowed the list: its first row is the first "Ива..." student (not the list's first page).
    terminal.wait_until(lambda screen: first_row(screen).startswith(student.full_name), student.full_name)
    terminal.press("Enter")
    screen = terminal.wait_for("Карточка", "Обучение в классах", student.full_name)
    assert f"Карточка: {student.full_name}" in screen
    terminal.press("F10")
