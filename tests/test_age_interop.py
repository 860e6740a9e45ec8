"""Interoperability with the reference `age` CLI (Debian package `age`): files we write decrypt with
`age -d`, files `age` writes decrypt with ours — X25519, ssh-ed25519 and passphrases (driven through a
pseudo-terminal, since age reads passphrases from the terminal only), across chunk boundaries.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from zhurnal.core.backup.age import (
    CHUNK_SIZE,
    ScryptIdentity,
    ScryptRecipient,
    X25519Identity,
    decrypt_bytes,
    encrypt_bytes,
    parse_identities,
    parse_recipient,
    unwrap_identity,
    wrap_identity,
)

AGE = shutil.which("age")
AGE_KEYGEN = shutil.which("age-keygen")
pytestmark = pytest.mark.skipif(
    AGE is None or AGE_KEYGEN is None,
    reason="the `age` command is not installed (apt-get install age): interoperability not checked",
)
SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5]
ENC_CHUNK = CHUNK_SIZE + 16


def pattern(size: int) -> bytes:
    return (bytes(range(251)) * (size // 251 + 1))[:size]


def run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(a) for a in args], capture_output=True, check=check, timeout=120)


def run_with_passphrase(args: list[str | Path], passphrase: str, timeout: float = 120) -> tuple[int, str]:
    """Run a command on a pseudo-terminal, answering every passphrase prompt; (exit code, output)."""
    if sys.platform == "win32":
        pytest.skip("no pseudo-terminals on Windows")
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # child: the pty is its controlling terminal, where age asks for the passphrase
        try:
            os.execvp(str(args[0]), [str(a) for a in args])
        finally:
            os._exit(127)
    output = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            output += data
            prompts = output.lower().count(b"passphrase")
            if prompts > answered:
                answered = prompts
                time.sleep(0.2)  # let age switch the terminal to no-echo before the answer arrives
                os.write(fd, passphrase.encode("utf-8") + b"\n")
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An age-keygen X25519 key and an ssh-ed25519 key (ssh-keygen if present, else cryptography)."""
    folder = tmp_path_factory.mktemp("age-keys")
    x25519 = folder / "x25519.txt"
    run(AGE_KEYGEN or "age-keygen", "-o", x25519)
    ssh = folder / "id_ed25519"
    if shutil.which("ssh-keygen"):
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "admin@school", "-f", ssh)
    else:
        key = ed25519.Ed25519PrivateKey.generate()
        ssh.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                          serialization.NoEncryption()))
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        (folder / "id_ed25519.pub").write_bytes(public + b" admin@school\n")
    return {"x25519": x25519, "ssh": ssh, "ssh_pub": folder / "id_ed25519.pub"}


@pytest.mark.parametrize("size", SIZES)
def test_age_decrypts_our_x25519_file(keys: dict[str, Path], tmp_path: Path, size: int) -> None:
    (identity,) = parse_identities(keys["x25519"].read_text())
    data = pattern(size)
    (tmp_path / "f.age").write_bytes(encrypt_bytes(data, [identity.recipient()]))
    result = run(AGE or "age", "-d", "-i", keys["x25519"], tmp_path / "f.age")
    assert result.stdout == data


@pytest.mark.parametrize("size", SIZES)
def test_we_decrypt_age_x25519_file(keys: dict[str, Path], tmp_path: Path, size: int) -> None:
    recipient = run(AGE_KEYGEN or "age-keygen", "-y", keys["x25519"]).stdout.decode().strip()
    (tmp_path / "plain").write_bytes(pattern(size))
    run(AGE or "age", "-r", recipient, "-o", tmp_path / "f.age", tmp_path / "plain")
    identities = parse_identities(keys["x25519"].read_text())
    assert identities[0].recipient().to_string() == recipient
    assert decrypt_bytes((tmp_path / "f.age").read_bytes(), identities) == pattern(size)


@pytest.mark.parametrize("size", SIZES)
def test_age_decrypts_our_ssh_ed25519_file(keys: dict[str, Path], tmp_path: Path, size: int) -> None:
    recipient = parse_recipient(keys["ssh_pub"].read_text())
    data = pattern(size)
    (tmp_path / "f.age").write_bytes(encrypt_bytes(data, [recipient]))
    assert run(AGE or "age", "-d", "-i", keys["ssh"], tmp_path / "f.age").stdout == data


@pytest.mark.parametrize("size", SIZES)
def test_we_decrypt_age_ssh_ed25519_file(keys: dict[str, Path], tmp_path: Path, size: int) -> None:
    (tmp_path / "plain").write_bytes(pattern(size))
    run(AGE or "age", "-R", keys["ssh_pub"], "-o", tmp_path / "f.age", tmp_path / "plain")
    identities = parse_identities(keys["ssh"].read_bytes())
    assert decrypt_bytes((tmp_path / "f.age").read_bytes(), identities) == pattern(size)


def test_age_decrypts_our_file_for_several_recipients(keys: dict[str, Path], tmp_path: Path) -> None:
    (x_identity,) = parse_identities(keys["x25519"].read_text())
    recovery = X25519Identity.generate()
    data = pattern(2 * CHUNK_SIZE + 17)
    blob = encrypt_bytes(data, [x_identity.recipient(), parse_recipient(keys["ssh_pub"].read_text()),
                                recovery.recipient()])
    (tmp_path / "f.age").write_bytes(blob)
    (tmp_path / "recovery.txt").write_text(recovery.to_string() + "\n")
    for key in (keys["x25519"], keys["ssh"], tmp_path / "recovery.txt"):
        assert run(AGE or "age", "-d", "-i", key, tmp_path / "f.age").stdout == data


def test_age_refuses_our_truncated_file_too(keys: dict[str, Path], tmp_path: Path) -> None:
    """Our final-chunk flag is where age expects it: cutting at a chunk boundary fails in age as well."""
    (identity,) = parse_identities(keys["x25519"].read_text())
    blob = encrypt_bytes(pattern(3 * CHUNK_SIZE), [identity.recipient()])
    (tmp_path / "cut.age").write_bytes(blob[: len(blob) - ENC_CHUNK])
    result = run(AGE or "age", "-d", "-i", keys["x25519"], tmp_path / "cut.age", check=False)
    assert result.returncode != 0


def test_age_decrypts_our_passphrase_file(tmp_path: Path) -> None:
    data = pattern(CHUNK_SIZE + 3)
    (tmp_path / "f.age").write_bytes(encrypt_bytes(data, [ScryptRecipient("пароль школы", work_factor=10)]))
    code, output = run_with_passphrase([AGE or "age", "-d", "-o", tmp_path / "out", tmp_path / "f.age"],
                                       "пароль школы")
    assert code == 0, output
    assert (tmp_path / "out").read_bytes() == data


def test_we_decrypt_age_passphrase_file(tmp_path: Path) -> None:
    data = pattern(CHUNK_SIZE + 3)
    (tmp_path / "plain").write_bytes(data)
    code, output = run_with_passphrase([AGE or "age", "-p", "-o", tmp_path / "f.age", tmp_path / "plain"],
                                       "пароль школы")
    assert code == 0, output
    blob = (tmp_path / "f.age").read_bytes()
    assert blob.split(b"\n")[1].startswith(b"-> scrypt ")
    assert decrypt_bytes(blob, [ScryptIdentity("пароль школы")]) == data


def test_age_opens_a_backup_with_our_stored_identity(tmp_path: Path) -> None:
    """The documented recovery path: `age -d -i identity.age backup.age` asks for the passphrase."""
    identity = X25519Identity.generate()
    (tmp_path / "identity.age").write_bytes(wrap_identity(identity, "пароль администратора"))
    data = pattern(CHUNK_SIZE * 2 + 1)
    (tmp_path / "backup.age").write_bytes(encrypt_bytes(data, [identity.recipient()]))
    code, output = run_with_passphrase(
        [AGE or "age", "-d", "-i", tmp_path / "identity.age", "-o", tmp_path / "out", tmp_path / "backup.age"],
        "пароль администратора")
    assert code == 0, output
    assert (tmp_path / "out").read_bytes() == data


def test_we_read_an_identity_age_wrapped(keys: dict[str, Path], tmp_path: Path) -> None:
    code, output = run_with_passphrase([AGE or "age", "-p", "-o", tmp_path / "id.age", keys["x25519"]], "pw-1")
    assert code == 0, output
    stored = unwrap_identity((tmp_path / "id.age").read_bytes(), "pw-1")
    assert stored == parse_identities(keys["x25519"].read_text())[0]
