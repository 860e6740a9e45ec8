"""The `zhurnal` command as a user runs it: a real process, a real SQLite file, passwords on stdin."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ZHURNAL = str(Path(sys.executable).with_name("zhurnal"))
PASSWORD = "an administrator passphrase"


def zhurnal(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHURNAL_")}
    env["ZHURNAL_DATA_DIR"] = str(data)
    return subprocess.run([ZHURNAL, *args], input=stdin, capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    result = zhurnal(tmp_path, "init", "--school", "МБОУ «СОШ № 3»", "--admin", "director",
                     "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_help_lists_the_commands():
    result = subprocess.run([ZHURNAL, "--help"], capture_output=True, text=True, check=False)
    for command in ("init", "demo", "db", "stats", "audit", "people"):
        assert command in result.stdout


def test_init_creates_the_school_in_the_data_folder(data):
    assert (data / "zhurnal.sqlite3").exists()
    stats = json.loads(zhurnal(data, "stats", "--json").stdout)
    assert {"schools", "students", "staff", "parents", "classes", "accounts", "audit_records"} <= set(stats)
    assert stats["schools"] == 1 and stats["accounts"] == 1 and stats["audit_records"] >= 4


def test_init_refuses_a_short_admin_password(tmp_path):
    result = zhurnal(tmp_path, "init", "--school", "Школа", "--admin", "director", "--password-stdin",
                     stdin="short pass 1\n")
    assert result.returncode == 1 and "15" in result.stderr


def test_init_twice_is_refused(data):
    result = zhurnal(data, "init", "--school", "Школа", "--admin", "other", "--password-stdin",
                     stdin=PASSWORD + "\n")
    assert result.returncode == 1 and "school-1" in result.stderr


def test_personal_data_needs_an_account(data):
    anonymous = zhurnal(data, "people", "search")
    assert anonymous.returncode == 2 and "--user" in anonymous.stderr
    wrong = zhurnal(data, "--user", "director", "--password-stdin", "people", "search", stdin="nope nope\n")
    assert wrong.returncode == 2 and "Неверное имя входа или пароль" in wrong.stderr
    good = zhurnal(data, "--user", "director", "--password-stdin", "people", "search", stdin=PASSWORD + "\n")
    assert good.returncode == 0, good.stderr


def test_peer_mapping_lets_cron_in_without_a_password(data):
    config = data / "config.toml"
    config.write_text(f'[auth.peer]\n{getpass.getuser()} = "director"\n', encoding="utf-8")
    config.chmod(0o644)
    assert zhurnal(data, "people", "search").returncode == 0
    config.chmod(0o666)  # anyone could map themselves: not trusted
    unsafe = zhurnal(data, "people", "search")
    assert unsafe.returncode == 2 and "chmod" in unsafe.stderr


def test_audit_verify_exit_code(data):
    result = zhurnal(data, "audit", "verify")
    assert result.returncode == 0 and "записей" in result.stdout


def test_db_option_and_env_point_at_the_same_store(data, tmp_path_factory):
    other = tmp_path_factory.mktemp("other") / "x.sqlite3"
    result = zhurnal(data, "--db", f"sqlite:///{other}", "stats")
    assert result.returncode == 2 and "пуста" in result.stderr
    assert zhurnal(data, "--db", f"sqlite:///{other}", "db", "upgrade").returncode == 0
    assert json.loads(zhurnal(data, "--db", f"sqlite:///{other}", "stats", "--json").stdout)["schools"] == 0


def test_logins_are_case_insensitive_from_init_on(tmp_path):
    result = zhurnal(tmp_path, "init", "--school", "Школа № 9", "--admin", "Director", "--password-stdin",
                     stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    for login in ("director", "DIRECTOR"):
        signed = zhurnal(tmp_path, "--user", login, "--password-stdin", "people", "search", stdin=PASSWORD + "\n")
        assert signed.returncode == 0, signed.stderr


def test_a_database_behind_the_program_is_refused_until_db_upgrade(data):
    from alembic import command

    from zhurnal.core.migrate import alembic_config
    from zhurnal.core.store import Store

    store = Store(f"sqlite:///{data / 'zhurnal.sqlite3'}")
    command.downgrade(alembic_config(store.engine), "0008")  # as the previous version left it
    store.dispose()
    refused = zhurnal(data, "--user", "director", "--password-stdin", "people", "search", stdin=PASSWORD + "\n")
    assert refused.returncode != 0 and "zhurnal db upgrade" in refused.stderr and "Traceback" not in refused.stderr
    summary = zhurnal(data)  # no command: the app (or, off a terminal, the summary) refuses the same way
    assert summary.returncode != 0 and "zhurnal db upgrade" in summary.stderr
    upgraded = zhurnal(data, "db", "upgrade")
    assert upgraded.returncode == 0 and "0009" in upgraded.stdout
    again = zhurnal(data, "--user", "director", "--password-stdin", "people", "search", stdin=PASSWORD + "\n")
    assert again.returncode == 0, again.stderr
