"""The console over a real SSH connection: tests/tui_check_ssh.sh starts sshd on 127.0.0.1 with throwaway keys,
runs `zhurnal` through `ssh -tt` in a tmux window of 80×24 against a demo database built here, logs in, searches
a student and opens the card (read back with capture-pane). Skipped, with the script's reason, where sshd is not
installed and cannot be installed (the script installs openssh-server with apt-get when run as root)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests import test_tui_terminal
from tests.test_tui_terminal import PASSWORD, ZHURNAL
from zhurnal.core.services.accounts import AuthService
from zhurnal.core.services.persons import PersonService
from zhurnal.core.store import Store

SCRIPT = Path(__file__).with_name("tui_check_ssh.sh")
SKIPPED = 77  # the script's "cannot run here"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("ssh") is None,
                                reason="tmux or the ssh client is not installed: no SSH check")

demo_data = test_tui_terminal.demo_data


def test_login_search_and_card_over_ssh(demo_data):
    data, env = demo_data
    store = Store(f"sqlite:///{data / 'zhurnal.sqlite3'}")
    try:
        actor = AuthService(store).login("admin", PASSWORD).actor
        student = PersonService(store).search(actor, "Ива", kind="student", limit=1).rows[0]
    finally:
        store.dispose()
    result = subprocess.run(["bash", str(SCRIPT)], env={**env, "ZHURNAL": ZHURNAL, "ZHURNAL_PASSWORD": PASSWORD,
                                                         "ZHURNAL_LOGIN": "admin", "SEARCH": "Ива",
                                                         "EXPECT": student.full_name},
                            capture_output=True, text=True, timeout=600, check=False)
    if result.returncode == SKIPPED:
        pytest.skip(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"the card of {student.full_name} opened" in result.stdout
