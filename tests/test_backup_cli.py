"""`zhurnal backup …` as an administrator and cron run it (real processes, a real SQLite file), and the
interoperability with the standard `age` tool."""

from __future__ import annotations

import getpass
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import PASSWORD, ZHURNAL, zhurnal

KEY_PASS = "the backup key passphrase 2026"
AGE = shutil.which("age") or "age"
HAVE_AGE = shutil.which("age") is not None


@pytest.fixture
def data(tmp_path: Path) -> Path:
    result = zhurnal(tmp_path, "init", "--school", "МБОУ «СОШ № 5»", "--admin", "director", "--code", "sosh-5",
                     "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return tmp_path


def as_director(data: Path, *args: str, secrets: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    stdin = "".join(line + "\n" for line in (PASSWORD, *secrets))
    return zhurnal(data, "--user", "director", "--password-stdin", *args, stdin=stdin)


@pytest.fixture
def keyed(data: Path) -> Path:
    """A school whose administrator ran keygen and printed the recovery sheet to a file."""
    result = as_director(data, "backup", "keygen", "--recovery-sheet", str(data / "sheet.txt"),
                         secrets=(KEY_PASS,))
    assert result.returncode == 0, result.stderr
    return data


def secret_key(data: Path) -> Path:
    key = data / "key.txt"
    lines = [line for line in (data / "sheet.txt").read_text("utf-8").splitlines()
             if line.startswith("AGE-SECRET-KEY-1") and "…" not in line]
    key.write_text(lines[0] + "\n", "utf-8")
    key.chmod(0o600)
    return key


def test_keygen_create_list_verify_restore(keyed: Path) -> None:
    data = keyed
    sheet = data / "sheet.txt"
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600 and "AGE-SECRET-KEY-1" in sheet.read_text("utf-8")
    assert "recipients" in (data / "config.toml").read_text("utf-8")
    created = as_director(data, "backup", "create")
    assert created.returncode == 0, created.stderr
    [path] = (data / "backups").glob("zhurnal-sosh-5-*Z.age")
    assert "не проверена" in as_director(data, "backup", "list").stdout
    verified = as_director(data, "backup", "verify", "--latest", secrets=(KEY_PASS,))
    assert verified.returncode == 0, verified.stderr
    assert "копия цела" in verified.stdout and path.name in verified.stdout
    assert "проверена " in as_director(data, "backup", "list").stdout
    # The passphrase is asked for the key, and the operator's password again before the swap.
    refused = as_director(data, "backup", "restore", str(path), "--yes", secrets=(KEY_PASS, "wrong password!!"))
    assert refused.returncode == 2 and not list(data.glob("*before-restore*"))
    restored = as_director(data, "backup", "restore", str(path), "--yes", secrets=(KEY_PASS, PASSWORD))
    assert restored.returncode == 0, restored.stderr
    assert len(list(data.glob("zhurnal.sqlite3.before-restore-*"))) == 1
    assert zhurnal(data, "audit", "verify").returncode == 0
    assert json.loads(zhurnal(data, "stats", "--json").stdout)["schools"] == 1


def test_restore_asks_before_replacing(keyed: Path) -> None:
    data = keyed
    assert as_director(data, "backup", "create").returncode == 0
    [path] = (data / "backups").glob("*.age")
    before = (data / "zhurnal.sqlite3").stat().st_size
    result = as_director(data, "backup", "restore", str(path), secrets=(KEY_PASS,))
    assert result.returncode == 2 and "--yes" in result.stderr
    assert not list(data.glob("*before-restore*")) and not list(data.glob("*.partial"))
    assert (data / "zhurnal.sqlite3").stat().st_size == before


def test_cron_with_peer_login_and_exit_codes(keyed: Path) -> None:
    data = keyed
    config = data / "config.toml"
    text = config.read_text("utf-8")
    config.write_text(f'[auth.peer]\n{getpass.getuser()} = "director"\n\n' + text, "utf-8")
    quiet = zhurnal(data, "backup", "create", "--quiet")  # what cron runs: no password, no output
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == "", quiet.stderr
    [path] = (data / "backups").glob("*.age")
    good = zhurnal(data, "backup", "--passphrase-stdin", "verify", str(path), "-q", stdin=KEY_PASS + "\n")
    assert good.returncode == 0 and good.stdout == "", good.stderr
    wrong = zhurnal(data, "backup", "--passphrase-stdin", "verify", str(path), stdin="not the passphrase 123\n")
    assert wrong.returncode == 1 and "Неверный пароль ключа" in wrong.stderr
    damaged = bytearray(path.read_bytes())
    damaged[-100] ^= 0xFF
    path.write_bytes(bytes(damaged))
    bad = zhurnal(data, "backup", "--passphrase-stdin", "verify", str(path), stdin=KEY_PASS + "\n")
    assert bad.returncode == 1 and "НЕ прошла проверку" in bad.stderr and "блок" in bad.stderr
    assert "ОШИБКА" in zhurnal(data, "backup", "list").stdout
    pruned = zhurnal(data, "backup", "prune", "--keep-daily", "1", "--dry-run")
    assert pruned.returncode == 0 and "Оставлено копий: 1" in pruned.stdout


def test_passphrase_only_backup(data: Path) -> None:
    phrase = "only a passphrase for this one"
    created = as_director(data, "backup", "create", "--passphrase", "--out", str(data / "usb"), secrets=(phrase,))
    assert created.returncode == 0, created.stderr
    [path] = (data / "usb").glob("*.age")
    verified = as_director(data, "backup", "verify", str(path), secrets=(phrase,))
    assert verified.returncode == 0, verified.stderr
    short = as_director(data, "backup", "create", "--passphrase", secrets=("short",))
    assert short.returncode == 1 and "15" in short.stderr


def test_recipients(data: Path) -> None:
    key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsJSbdM3/Wwr5ud7uEB9HAYwE4tpfyA2Xtd4Dg5JX9x admin@school"
    assert as_director(data, "backup", "recipient", "add", key).returncode == 0
    assert as_director(data, "backup", "recipient", "add", ssh).returncode == 0
    listed = as_director(data, "backup", "recipient", "list").stdout.splitlines()
    assert listed == [key, ssh]
    bad = as_director(data, "backup", "recipient", "add", "AGE-SECRET-KEY-1ABC")
    assert bad.returncode == 1 and "секретный ключ" in bad.stderr
    assert as_director(data, "backup", "recipient", "remove", key).returncode == 0
    assert as_director(data, "backup", "recipient", "list").stdout.splitlines() == [ssh]
    created = as_director(data, "backup", "create")  # to the ssh key alone
    assert created.returncode == 0, created.stderr


def test_help_lists_backup_commands() -> None:
    result = subprocess.run([ZHURNAL, "backup", "--help"], capture_output=True,
                            text=True, check=False)
    for command in ("create", "list", "verify", "restore", "prune", "keygen", "recipient", "passphrase"):
        assert command in result.stdout


# ---- the standard age tool -------------------------------------------------------------------------------

needs_age = pytest.mark.skipif(not HAVE_AGE, reason="the `age` command is not installed (Debian package age; "
                                                   ".ci/run installs it)")


@needs_age
def test_age_decrypts_our_backup_and_we_restore_what_age_encrypted(keyed: Path, tmp_path_factory) -> None:
    data = keyed
    key = secret_key(data)
    assert as_director(data, "backup", "create").returncode == 0
    [path] = (data / "backups").glob("*.age")
    payload = data / "payload.tar"
    decrypted = subprocess.run([AGE, "-d", "-i", str(key), "-o", str(payload), str(path)], capture_output=True,
                               check=False)
    assert decrypted.returncode == 0, decrypted.stderr
    listing = subprocess.run(["tar", "tf", str(payload)], capture_output=True, text=True, check=True).stdout
    assert listing.splitlines()[0] == "MANIFEST.json" and "tables/audit_records.jsonl" in listing
    # Our stored identity is an age file too: age opens it with the passphrase (not tested: age asks on a tty).
    recipient = (data / "backup-identity.age.pub").read_text("utf-8").strip()
    by_age = data / "backups" / path.name.replace("Z.age", "Z-1.age")
    encrypted = subprocess.run([AGE, "-r", recipient, "-o", str(by_age), str(payload)], capture_output=True,
                               check=False)
    assert encrypted.returncode == 0, encrypted.stderr
    verified = as_director(data, "backup", "verify", str(by_age), "--identity", str(key))
    assert verified.returncode == 0, verified.stderr
    # A fresh machine: no database yet, only the file and the offline key.
    fresh = tmp_path_factory.mktemp("fresh")
    restored = zhurnal(fresh, "backup", "restore", str(by_age), "--identity", str(key), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(zhurnal(fresh, "stats", "--json").stdout)["schools"] == 1
    assert zhurnal(fresh, "audit", "verify").returncode == 0
    signed_in = zhurnal(fresh, "--user", "director", "--password-stdin", "people", "search", stdin=PASSWORD + "\n")
    assert signed_in.returncode == 0, signed_in.stderr


@needs_age
def test_age_passphrase_file_interoperates(data: Path, tmp_path: Path) -> None:
    """A passphrase-only backup is a standard scrypt age file (work factor 18)."""
    phrase = "only a passphrase for this one"
    assert as_director(data, "backup", "create", "--passphrase", secrets=(phrase,)).returncode == 0
    [path] = (data / "backups").glob("*.age")
    header = path.read_bytes()[:200].split(b"\n")
    assert header[0] == b"age-encryption.org/v1" and header[1].startswith(b"-> scrypt ")
    assert header[1].split()[-1] == b"18"
