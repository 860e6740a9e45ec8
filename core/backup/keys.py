"""Backup keys: zhurnal's own X25519 identity (stored passphrase-encrypted), the recipients every scheduled
backup is encrypted to (config [backup] recipients), identity files such as an offline recovery key.

The identity file (data folder, backup-identity.age, mode 0600) is an age file encrypted with the
administrator's passphrase (scrypt, work factor 2^18 fixed) whose plaintext is the AGE-SECRET-KEY line.
Cron needs no passphrase: backups are encrypted to public recipients; only verify and restore need a key.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zhurnal.core import config
from zhurnal.core.errors import ZhurnalError
from zhurnal.core.locations import data_dir

IDENTITY_FILE = "backup-identity.age"
AGE_MAGIC = b"age-encryption.org/v1"
MIN_PASSPHRASE = 15


class BackupKeyError(ZhurnalError):
    """A key, recipient or passphrase problem, with a message for the administrator."""


def identity_path() -> Path:
    return data_dir() / IDENTITY_FILE


def passphrase_problems(passphrase: str) -> list[str]:
    """Why a new passphrase is refused (the key protects every backup: administrator-length at least)."""
    from zhurnal.core.passwords import password_problems

    return password_problems(passphrase, login="", is_admin=True)


def _write_private(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write `data` to `path` with mode 0600, fsync'd; atomically replacing unless `exclusive`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        target = path
    else:
        target = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(target, 0o600)
        if target != path:
            os.replace(target, path)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class GeneratedKey:
    """What keygen made: the public recipient, where the wrapped identity lies, what was moved aside."""

    recipient: str
    identity_file: Path
    secret: str  # the AGE-SECRET-KEY-1… line: show only on the recovery sheet, never log it
    replaced: Path | None


def generate(passphrase: str, *, force: bool = False, path: Path | None = None) -> GeneratedKey:
    """Create an X25519 identity, store it wrapped with `passphrase` and add its recipient to the config.

    An existing identity is refused unless `force`; then it is renamed aside (never deleted: older backups
    need it) and its recipient leaves the config.
    """
    from zhurnal.core.backup.age import X25519Identity, unwrap_identity, wrap_identity

    problems = passphrase_problems(passphrase)
    if problems:
        raise BackupKeyError("Пароль ключа: " + "; ".join(p.removeprefix("Пароль: ") for p in problems))
    path = path or identity_path()
    replaced: Path | None = None
    old_recipient: str | None = None
    if path.exists():
        if not force:
            raise BackupKeyError(f"Ключ резервных копий уже есть ({path}). Новый ключ не откроет старые копии; "
                            "если он всё же нужен: «zhurnal backup keygen --force» (старый файл ключа "
                            "сохранится рядом)")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        replaced = path.with_name(f"{path.name}.replaced-{stamp}")
        os.replace(path, replaced)
        old_recipient = _recipient_comment(replaced)
    try:
        identity = X25519Identity.generate()
        blob = wrap_identity(identity, passphrase)
        # Check the round trip before anything depends on it.
        if unwrap_identity(blob, passphrase).to_string() != identity.to_string():
            raise BackupKeyError("Ключ не удалось проверить после шифрования; ничего не изменено")
        recipient = identity.recipient().to_string()
        recipients = [r for r in list_recipients() if r != old_recipient]
        if recipient not in recipients:
            recipients.insert(0, recipient)
        _write_private(path, blob, exclusive=True)
    except BaseException:
        if replaced is not None:
            os.replace(replaced, path)
        raise
    _write_private(path.with_name(path.name + ".pub"), (recipient + "\n").encode(), exclusive=False)
    _write(recipients)
    return GeneratedKey(recipient, path, identity.to_string(), replaced)


def _recipient_comment(identity_file: Path) -> str | None:
    """The public recipient saved beside an identity file at keygen (`.pub`), if any."""
    pub = identity_file.with_name(identity_file.name.split(".replaced-")[0] + ".pub")
    try:
        return pub.read_text("utf-8").strip() or None
    except OSError:
        return None


def own_recipient() -> str | None:
    """The recipient of zhurnal's own identity (from the .pub beside it), when keygen has run."""
    path = identity_path()
    return _recipient_comment(path) if path.exists() else None


def load_identity(passphrase: str, path: Path | None = None) -> Any:
    """Unwrap the stored identity; BackupKeyError with a clear message when missing or the passphrase is wrong."""
    from zhurnal.core.backup.age import AgeError, unwrap_identity

    path = path or identity_path()
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise BackupKeyError(f"Ключа резервных копий нет ({path}): создайте его «zhurnal backup keygen» или "
                        "укажите файл ключа --identity FILE") from None
    try:
        return unwrap_identity(blob, passphrase)
    except AgeError as exc:
        raise BackupKeyError(f"Неверный пароль ключа резервных копий ({path}) или файл ключа повреждён "
                        f"({exc.__class__.__name__})") from None


def change_passphrase(old: str, new: str, path: Path | None = None) -> None:
    """Re-wrap the stored identity with a new passphrase (the key itself, and so every backup, stays)."""
    from zhurnal.core.backup.age import wrap_identity

    problems = passphrase_problems(new)
    if problems:
        raise BackupKeyError("Новый пароль ключа: " + "; ".join(p.removeprefix("Пароль: ") for p in problems))
    path = path or identity_path()
    identity = load_identity(old, path)
    _write_private(path, wrap_identity(identity, new), exclusive=False)


def is_encrypted_file(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(AGE_MAGIC)) == AGE_MAGIC


def identities_from_file(path: Path, passphrase: str | None = None) -> list[Any]:
    """Identities from an age identity file (AGE-SECRET-KEY-1… lines, # comments), or from a
    passphrase-encrypted one such as backup-identity.age (then `passphrase` is needed)."""
    from zhurnal.core.backup.age import AgeError, parse_identities

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackupKeyError(f"Файл ключа {path}: {exc.strerror or exc}") from None
    if data.startswith(AGE_MAGIC):
        if passphrase is None:
            raise BackupKeyError(f"Файл ключа {path} зашифрован паролем: нужен пароль")
        return [load_identity(passphrase, path)]
    try:
        identities = list(parse_identities(data.decode("utf-8")))
    except (AgeError, UnicodeDecodeError, ValueError) as exc:
        raise BackupKeyError(f"Файл ключа {path}: не удалось прочитать ключ age ({exc})") from None
    if not identities:
        raise BackupKeyError(f"В файле {path} нет ключа AGE-SECRET-KEY-1…")
    return identities


# ---- recipients ------------------------------------------------------------------------------------------


def normalise_recipient(key: str) -> str:
    """Check `key` (age1… or ssh-ed25519 …) with the age parser; returns it trimmed. BackupKeyError if invalid."""
    from zhurnal.core.backup.age import AgeError, parse_recipient

    key = " ".join(key.split())
    if not key:
        raise BackupKeyError("Пустой ключ получателя")
    try:
        parse_recipient(key)
    except (AgeError, ValueError) as exc:
        raise BackupKeyError(f"Не ключ получателя age (age1…) и не ssh-ed25519: {exc}") from None
    return key


def _same_key(a: str, b: str) -> bool:
    """Equal keys; an ssh key matches on type and key, whatever its comment."""
    return a.split()[:2] == b.split()[:2]


def list_recipients() -> list[str]:
    try:
        return list(config.load().backup_recipients)
    except config.ConfigError as exc:
        raise BackupKeyError(str(exc)) from None


def add_recipient(key: str) -> tuple[str, bool]:
    """Add a recipient to the config; returns (normalised key, False when it was already there)."""
    key = normalise_recipient(key)
    recipients = list_recipients()
    if any(_same_key(key, r) for r in recipients):
        return key, False
    _write([*recipients, key])
    return key, True


def remove_recipient(key: str) -> str:
    """Remove a recipient (an ssh key matches whatever its comment); returns the removed entry."""
    key = " ".join(key.split())
    recipients = list_recipients()
    found = [r for r in recipients if _same_key(key, r)] if key else []
    if not found:
        raise BackupKeyError("Такого получателя нет в списке (zhurnal backup recipient list)")
    _write([r for r in recipients if r not in found])
    return found[0]


def _write(recipients: Sequence[str]) -> None:
    try:
        config.write_backup_recipients(list(recipients))
    except config.ConfigError as exc:
        raise BackupKeyError(str(exc)) from None


def recipients_for_backup() -> list[Any]:
    """Parsed recipients from the config; empty when none is configured."""
    from zhurnal.core.backup.age import AgeError, parse_recipient

    parsed = []
    for key in list_recipients():
        try:
            parsed.append(parse_recipient(key))
        except (AgeError, ValueError) as exc:
            raise BackupKeyError(f"Неверный получатель в конфигурации ({key[:24]}…): {exc}") from None
    return parsed


def needs_passphrase(path: Path) -> bool:
    """Whether an age file was encrypted with a passphrase (its header has an scrypt stanza)."""
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    if not head.startswith(AGE_MAGIC + b"\n"):
        return False
    header = head.split(b"\n---", 1)[0]
    return any(line.startswith(b"-> scrypt ") for line in header.split(b"\n"))


RECOVERY_SHEET = """\
ZHURNAL — ЛИСТ ВОССТАНОВЛЕНИЯ РЕЗЕРВНЫХ КОПИЙ
============================================

Создан: {created}
Сервер: {host}
Публичный ключ (получатель): {recipient}

Секретный ключ (храните в сейфе; кто его видит, может прочитать все резервные копии):

{secret}

Как восстановить без пароля ключа (например, если пароль забыт или сервер утерян):
1. Перепишите секретный ключ в файл key.txt (одна строка AGE-SECRET-KEY-1…), chmod 600 key.txt.
2. Проверка копии:       zhurnal backup verify ФАЙЛ.age --identity key.txt
3. Восстановление:       zhurnal backup restore ФАЙЛ.age --identity key.txt
4. Или стандартной программой age: age -d -i key.txt -o backup.tar ФАЙЛ.age
   (внутри — архив tar: MANIFEST.json и таблицы в JSON Lines, см. docs/backup.md).
Уничтожьте key.txt после работы. Не храните этот лист рядом с сервером или копиями.
"""


def recovery_sheet(generated: GeneratedKey) -> str:
    import socket

    return RECOVERY_SHEET.format(created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                                 host=socket.gethostname(), recipient=generated.recipient,
                                 secret=generated.secret)


def write_recovery_sheet(path: Path, text: str) -> None:
    """Write the sheet to a new file (never over an existing one), mode 0600."""
    try:
        _write_private(path, text.encode("utf-8"), exclusive=True)
    except FileExistsError:
        raise BackupKeyError(f"Файл {path} уже есть: лист восстановления пишется только в новый файл") from None
