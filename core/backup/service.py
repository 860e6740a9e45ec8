"""Backups as an operation: create, list, verify, restore, prune, and the automatic backup before risky work.

Permission is checked in the one central place (`permissions.check`): create, verify, list and prune need
`backup.create`, restore needs `backup.restore`; a refusal is audited like the service decorator does. Every
create, verify and restore is audited in the live database (and a restore in the restored one too).

The file: `zhurnal-<school code | district>-<UTC yyyymmddThhmmssZ>[-before-<operation>][-<n>].age` in the
backup folder, written as `<name>.<random>.partial`, fsync'd and renamed only when complete. `<name>.verified`
beside it records the last verification (JSON). docs/backup.md has the whole story.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, TypeAlias

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, make_url

from zhurnal.core import audit, errors, permissions
from zhurnal.core.audit import AuditEvent, verify_chain
from zhurnal.core.backup import format as fmt
from zhurnal.core.backup import keys
from zhurnal.core.errors import AuthenticationFailed, PermissionDenied, ZhurnalError
from zhurnal.core.locations import data_dir
from zhurnal.core.models import School, User
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store
from zhurnal.core.uow import record_outside
from zhurnal.core.version import __version__

NAME_RE = re.compile(r"^zhurnal-(?P<label>[A-Za-z0-9._-]+?)-(?P<stamp>\d{8}T\d{6}Z)"
                     r"(?:-(?P<reason>[a-z][a-z0-9-]*?))?(?:-(?P<n>\d+))?\.age$")
STAMP = "%Y%m%dT%H%M%SZ"
PARTIAL = ".partial"
VERIFIED = ".verified"
REASON_RE = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")


class BackupError(ZhurnalError):
    """A backup operation failed; the message says why and what to do."""


class WrongKey(BackupError):
    """None of the keys or passphrases given opens the file (says nothing about the file itself)."""


class Cancelled(BackupError, errors.Cancelled):
    """The operator stopped the operation (a progress callback raised it): nothing was written or changed.
    A backup's kind of core.errors.Cancelled: code that stops any long operation may raise either."""

    def __init__(self, message: str = "Операция отменена; ничего не изменено") -> None:
        super().__init__(message)


Progress: TypeAlias = fmt.Progress
"""`progress(done, total)`: how far an operation is, in its own units (see each operation). Called often (every
2,000 rows or 1 MiB at least); it may raise Cancelled to stop the operation cleanly."""

PERMILLE = 1000
DUMP_SHARE = 800  # create: reading the tables takes most of the time, encrypting and writing the rest
DECRYPT_SHARE, LOAD_SHARE = 250, 900  # restore: decryption, then loading the rows, then checking the new database

# The automatic backups and the operations they precede (`auto_backup(store, reason)`): the file name ends in
# `-before-<reason>.age`. Another operation may pass its own reason (lower-case letters, digits, dashes).
AUTO_REASONS = ("import", "year-close", "year-open", "rollover", "restore")


def backup_dir() -> Path:
    """The default backup folder: backups/ in the data folder."""
    return data_dir() / "backups"


# ---- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    path: Path
    size: int
    rows: int
    tables: int
    audit_count: int
    seconds: float
    recipients: int


@dataclass(frozen=True)
class Verification:
    """The sidecar `<file>.verified`: when the file was last verified, with what outcome."""

    verified_at: datetime
    ok: bool
    problem: str | None
    size: int
    mtime_ns: int
    sha256: str | None

    def matches(self, path: Path) -> bool:
        try:
            info = path.stat()
        except OSError:
            return False
        return info.st_size == self.size and info.st_mtime_ns == self.mtime_ns


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    label: str
    created: datetime
    reason: str | None
    size: int
    verification: Verification | None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def state(self) -> str:
        """"verified", "failed", "changed" (the file differs from what was verified) or "unverified"."""
        v = self.verification
        if v is None:
            return "unverified"
        if not v.matches(self.path):
            return "changed"
        return "verified" if v.ok else "failed"


@dataclass(frozen=True)
class VerifyReport:
    path: Path
    ok: bool
    problem: str | None
    manifest: fmt.Manifest | None
    size: int
    seconds: float
    schema_matches: bool = True


@dataclass(frozen=True)
class RestorePlan:
    """What a restore is about to do, shown to the operator before the password is asked again."""

    source: Path
    manifest: fmt.Manifest
    target: str  # display URL of the database that will hold the restored data
    replaces_live: bool
    counts: dict[str, int]


@dataclass(frozen=True)
class Restored:
    plan: RestorePlan
    database: str  # display URL of the restored database (now live, when swapped)
    swapped: bool
    previous: str | None  # where the previous live database was kept (file path or database name)
    seconds: float
    note: str | None = None
    backup: Path | None = None  # the automatic backup of the replaced live database (`…-before-restore.age`)


@dataclass(frozen=True)
class PrunePlan:
    keep: list[BackupInfo]
    remove: list[BackupInfo]
    stale_partials: list[Path] = field(default_factory=list)


# ---- names and files -------------------------------------------------------------------------------------


def backup_name(label: str, created: datetime, reason: str | None = None, n: int = 0) -> str:
    parts = ["zhurnal", fmt.safe_label(label), created.astimezone(UTC).strftime(STAMP)]
    if reason:
        parts.append(reason)
    if n:
        parts.append(str(n))
    return "-".join(parts) + ".age"


def parse_name(name: str) -> tuple[str, datetime, str | None] | None:
    found = NAME_RE.match(name)
    if not found:
        return None
    created = datetime.strptime(found["stamp"], STAMP).replace(tzinfo=UTC)
    return found["label"], created, found["reason"]


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publish(partial: Path, folder: Path, make_name: Callable[[int], str]) -> Path:
    """Give the finished `partial` its final name without ever replacing an existing file."""
    for n in range(0, 100):
        final = folder / make_name(n)
        try:
            os.link(partial, final)
        except FileExistsError:
            continue
        except OSError:  # a filesystem without hard links
            if final.exists():
                continue
            os.rename(partial, final)
            _fsync_dir(folder)
            return final
        partial.unlink()
        _fsync_dir(folder)
        return final
    raise BackupError(f"В папке {folder} слишком много копий с одинаковым временем")


def read_verification(path: Path) -> Verification | None:
    try:
        data = json.loads(path.with_name(path.name + VERIFIED).read_text("utf-8"))
        return Verification(datetime.fromisoformat(data["verified_at"]), bool(data["ok"]), data.get("problem"),
                            int(data["size"]), int(data["mtime_ns"]), data.get("sha256"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_verification(path: Path, ok: bool, problem: str | None, size: int, mtime_ns: int,
                        sha256: str | None) -> None:
    data = {"verified_at": datetime.now(UTC).isoformat(timespec="seconds"), "ok": ok, "problem": problem,
            "size": size, "mtime_ns": mtime_ns, "sha256": sha256}
    sidecar = path.with_name(path.name + VERIFIED)
    temporary = sidecar.with_name(f".{sidecar.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(data, ensure_ascii=False) + "\n", "utf-8")
        os.replace(temporary, sidecar)
    except OSError:
        temporary.unlink(missing_ok=True)  # a read-only folder (a copy on a USB stick): verify still answers


def list_backups(folder: Path | None = None) -> list[BackupInfo]:
    """Complete backups in `folder`, newest first (`.partial` files are ignored)."""
    folder = folder or backup_dir()
    found: list[tuple[int, BackupInfo]] = []
    if not folder.is_dir():
        return []
    for path in folder.iterdir():
        parsed = parse_name(path.name)
        if parsed is None or not path.is_file():
            continue
        label, created, reason = parsed
        stat = path.stat()
        found.append((stat.st_mtime_ns, BackupInfo(path, label, created, reason, stat.st_size,
                                                    read_verification(path))))
    # The name's stamp has whole seconds: two backups of the same second (an automatic one just before an
    # import, say) are told apart by when their file was written, not by how their names sort.
    found.sort(key=lambda item: (item[1].created, item[0], item[1].name), reverse=True)
    return [info for _, info in found]


def _is_stale_partial(path: Path) -> bool:
    """A .partial no process is writing: its writer holds an exclusive lock on it until done."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    else:
        return True
    finally:
        os.close(fd)


class _HashingReader:
    """Reads a file while hashing what was read (the ciphertext), for the verification record."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None] | None = None) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        self.size += len(data)
        if self.progress is not None:
            self.progress(self.size)
        return data

    def readinto(self, buffer: Any) -> int:
        count = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            view = memoryview(buffer)[:count]
            self.digest.update(view)
            self.size += count
            if self.progress is not None:
                self.progress(self.size)
        return int(count or 0)


def _age_message(exc: Exception) -> str:
    from zhurnal.core.backup.age import HeaderError, NoIdentityMatched, PayloadError

    if isinstance(exc, NoIdentityMatched):
        return f"Ключ или пароль не подходит к этой резервной копии ({exc})"
    if isinstance(exc, HeaderError):
        return f"Заголовок файла повреждён или это не файл age: {exc}"
    if isinstance(exc, PayloadError):
        return (f"Данные резервной копии повреждены, обрезаны или дописаны (блок {exc.chunk}): {exc}. "
                "Ничего из файла не использовано")
    return str(exc)


@contextlib.contextmanager
def _open_payload(path: Path, identities: Sequence[Any], progress: Callable[[int], None] | None = None
                  ) -> Iterator[tuple[BinaryIO, _HashingReader]]:
    """The decrypted payload of `path` (header authenticated now, chunks as read); `progress(bytes of the file
    read)` as it goes."""
    from zhurnal.core.backup.age import decrypt

    try:
        handle = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise BackupError(f"Файл {path}: {exc.strerror or exc}") from None
    with handle:
        hashing = _HashingReader(handle, progress)
        yield decrypt(hashing, identities), hashing  # type: ignore[arg-type]


def _read_checked(path: Path, identities: Sequence[Any], *, keep: bool, spool_dir: str | None,
                  schema_check: bool | Callable[[fmt.Manifest], bool],
                  progress: Callable[[int], None] | None = None) -> tuple[fmt.Payload, _HashingReader]:
    """Decrypt and check the whole file; BackupError (or AgeError) with a message on the first problem."""
    from zhurnal.core.backup.age import AgeError, NoIdentityMatched

    try:
        with _open_payload(path, identities, progress) as (plain, hashing):
            payload = fmt.read_payload(plain, keep=keep, spool_dir=spool_dir, schema_check=schema_check)
            # read_payload read the plaintext to its end: the last chunk is authenticated, no trailing data.
            return payload, hashing
    except NoIdentityMatched as exc:
        raise WrongKey(_age_message(exc)) from None
    except AgeError as exc:
        raise BackupError(_age_message(exc)) from None
    except fmt.BackupFormatError as exc:
        raise BackupError(f"{path.name}: {exc}") from None


def current_head() -> str:
    from zhurnal.core.migrate import heads

    found = heads()
    if len(found) != 1:
        raise BackupError(f"У миграций не одна голова ({found})")
    return found[0]


# ---- the service -----------------------------------------------------------------------------------------


class BackupService:
    """Backups of one store. `store` may be None (or an empty database) for verify and restore on a machine
    without a database yet: then there is no account to check and nothing to audit until the restore."""

    area = "backup"

    def __init__(self, store: Store | None, *, folder: Path | None = None) -> None:
        self.store = store
        self.folder = folder

    # -- guard and audit

    def _live(self) -> bool:
        return self.store is not None and self.store.is_initialised()

    def _authorise(self, actor: Actor | None, action: str, operation: str) -> None:
        if not self._live():
            return
        if actor is None:
            raise PermissionDenied(action, "Нужна учётная запись с правом " + action)
        try:
            permissions.check(actor, action)
        except PermissionDenied:
            assert self.store is not None
            record_outside(self.store, actor, AuditEvent(f"backup.{operation}", outcome="denied", detail=action))
            raise

    def _audit(self, actor: Actor | None, action: str, detail: str, outcome: str = "ok") -> None:
        if not self._live() or actor is None:
            return
        assert self.store is not None
        record_outside(self.store, actor, AuditEvent(action, object_type="backup", outcome=outcome,
                                                     detail=detail[:1000]))

    # -- create

    def create(self, actor: Actor, *, out_dir: Path | None = None, passphrase: str | None = None,
               recipients: Sequence[Any] | None = None, reason: str | None = None,
               progress: Progress | None = None) -> Created:
        """Write a backup of the whole database, encrypted to the configured recipients (or `recipients`),
        or to `passphrase` alone. A consistent snapshot: one read transaction while others keep working.

        `progress(done, 1000)`: per mille, the dump of the tables up to 800, the writing of the file to 1000.
        When it raises (Cancelled), the unfinished file is removed: no backup, nothing else changed."""
        from zhurnal.core.backup.age import ScryptRecipient, encrypt

        self._authorise(actor, "backup.create", "create")
        store = self._store()
        if reason is not None and not REASON_RE.match(reason):
            raise BackupError(f"Недопустимая причина копии: {reason!r}")
        if passphrase is not None:
            chosen: list[Any] = [ScryptRecipient(passphrase)]
        else:
            chosen = list(recipients) if recipients is not None else keys.recipients_for_backup()
            if not chosen:
                raise BackupError("Не задан ни один получатель резервных копий: «zhurnal backup keygen» "
                                  "(или «backup recipient add КЛЮЧ»), либо «backup create --passphrase»")
        folder = Path(out_dir or self.folder or backup_dir())
        started = time.perf_counter()
        partial: Path | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            dumped = None if progress is None else _scaled(progress, 0, DUMP_SHARE)
            written = None if progress is None else _scaled(progress, DUMP_SHARE, PERMILLE)
            with _snapshot(store, str(folder), dumped) as snapshot:
                manifest = snapshot.manifest(app_version=__version__, reason=reason)
                partial = folder / (f"{backup_name(snapshot.label, snapshot.taken_at, reason)}."
                                    f"{secrets.token_hex(4)}{PARTIAL}")
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as raw:
                    fcntl.flock(raw.fileno(), fcntl.LOCK_EX)  # prune leaves a .partial alone while locked
                    with encrypt(raw, chosen) as writer:
                        fmt.write_payload(writer, manifest, snapshot.tables, progress=written)
                    raw.flush()
                    os.fsync(raw.fileno())
                    if progress is not None:
                        progress(PERMILLE, PERMILLE)  # the last moment to cancel: the file is not named yet
                    final = _publish(partial, folder, lambda n: backup_name(snapshot.label, snapshot.taken_at,
                                                                            reason, n))
                partial = None
                rows = sum(t.rows for t in snapshot.tables)
                created = Created(final, final.stat().st_size, rows, len(snapshot.tables), snapshot.audit_count,
                                  time.perf_counter() - started, len(chosen))
        except BaseException as exc:
            if partial is not None:
                partial.unlink(missing_ok=True)
            if isinstance(exc, Exception):
                # The first line only: a database error's later lines (DETAIL, [parameters: ...]) carry row values.
                self._audit(actor, "backup.create", f"{type(exc).__name__}: {_first_line(exc)}", "failed")
            if isinstance(exc, Exception) and not isinstance(exc, ZhurnalError):
                raise BackupError(f"Резервная копия не записана: {_first_line(exc)}") from exc
            raise
        self._audit(actor, "backup.create", f"{created.path.name}; строк {rows}; "
                    f"{'пароль' if passphrase is not None else f'получателей {len(chosen)}'}")
        return created

    def _store(self) -> Store:
        if self.store is None or not self.store.is_initialised():
            raise BackupError("База пуста: копировать нечего")
        return self.store

    # -- list

    def list(self, actor: Actor, folder: Path | None = None) -> list[BackupInfo]:
        """Complete backups in the folder, newest first, with their verified state."""
        self._authorise(actor, "backup.create", "list")
        return list_backups(folder or self.folder or backup_dir())

    # -- verify

    def verify(self, actor: Actor | None, path: Path, identities: Sequence[Any], *,
               progress: Progress | None = None) -> VerifyReport:
        """Decrypt everything and check the age authentication of every chunk, the tar structure, every
        member's SHA-256 and row count, every row's columns, and the audit chain against the manifest head.
        Touches no data in the live database (only the audit record of the check). Writes `<file>.verified`.

        `progress(bytes read, size of the file)`; when it raises (Cancelled), nothing is recorded about the
        file and the exception propagates."""
        self._authorise(actor, "backup.create", "verify")
        started = time.perf_counter()
        path = Path(path)
        head = _head_or_none()
        manifest: fmt.Manifest | None = None
        schema_matches = True

        def schema(m: fmt.Manifest) -> bool:
            nonlocal manifest, schema_matches
            manifest = m
            schema_matches = head is not None and m.schema_revision == head
            return schema_matches

        try:
            info = path.stat()
        except OSError as exc:
            raise BackupError(f"Файл {path}: {exc.strerror or exc}") from None
        problem: str | None = None
        digest: str | None = None
        wrong_key = False
        size = info.st_size
        read = None if progress is None else (lambda done: progress(min(done, size), size))
        try:
            payload, hashing = _read_checked(path, identities, keep=False, spool_dir=None, schema_check=schema,
                                             progress=read)
            manifest = payload.manifest
            digest = hashing.digest.hexdigest()
        except errors.Cancelled:  # the backup's own or the neutral one a caller's progress raised
            self._audit(actor, "backup.verify", f"{path.name}: отменено", "failed")
            raise
        except BackupError as exc:
            problem = str(exc)
            wrong_key = isinstance(exc, WrongKey)
        ok = problem is None
        if not wrong_key:  # a wrong key says nothing about the file itself
            _write_verification(path, ok, problem, info.st_size, info.st_mtime_ns, digest)
        self._audit(actor, "backup.verify", f"{path.name}: " + ("ok" if ok else str(problem)[:300]),
                    "ok" if ok else "failed")
        return VerifyReport(path, ok, problem, manifest, info.st_size, time.perf_counter() - started,
                            schema_matches)

    # -- restore

    def restore(self, actor: Actor | None, path: Path, identities: Sequence[Any], *, to_url: str | None = None,
                confirm: Callable[[RestorePlan], str | None] | None = None,
                stage: Callable[[str], None] | None = None, progress: Progress | None = None) -> Restored:
        """Restore `path` into a NEW database, verify it, then (without `to_url`) swap it in for the live one,
        which is kept aside. `confirm(plan)` is called after verification and before any change to the
        live database; it returns the operator's password (checked again) or raises to cancel.

        SQLite: the new file is built beside the live one and renamed over it; the previous file is kept as
        `<name>.before-restore-<ts>`. PostgreSQL: a new database `<live>_restore_<ts>` on the same server,
        renamed into the live name (the live one becomes `<live>_before_restore_<ts>`) when no one else is
        connected; otherwise the live database stays and the restored one's name is reported.
        `to_url`: restore into that database (SQLite file or PostgreSQL database that is empty or absent)
        and leave the live one alone: the way to move a school from SQLite to a district server.

        Before the live database is replaced, an automatic backup of it is made (`…-before-restore.age`, when
        a recipient is configured; `Restored.backup`). `stage(text)` names each step as it starts;
        `progress(done, 1000)` runs per mille through decryption (to 250), loading (to 900) and the check of
        the new database, then again from 0 through the automatic backup. When it raises (Cancelled) the
        half-built database is removed and the live one is untouched; the swap itself is never interrupted."""
        self._authorise(actor, "backup.restore", "restore")
        live = self._live()
        try:
            result = _Restore(self, actor, Path(path), identities, to_url, confirm, stage, progress).run()
        except BaseException as exc:
            if live and isinstance(exc, Exception) and not isinstance(exc, PermissionDenied):
                with contextlib.suppress(Exception):
                    self._audit(actor, "backup.restore", f"{Path(path).name}: {_first_line(exc)}", "failed")
            raise
        return result

    # -- keys (who can read future backups: admin-level, backup.restore)

    def keygen(self, actor: Actor | None, passphrase: str, *, force: bool = False) -> keys.GeneratedKey:
        """Create zhurnal's identity (wrapped with `passphrase`) and add its recipient to the config."""
        self._authorise(actor, "backup.restore", "keygen")
        generated = keys.generate(passphrase, force=force)
        self._audit(actor, "backup.keygen", f"получатель {generated.recipient}"
                    + ("; прежний ключ сохранён рядом" if generated.replaced else ""))
        return generated

    def add_recipient(self, actor: Actor | None, key: str) -> tuple[str, bool]:
        self._authorise(actor, "backup.restore", "recipient_add")
        added, new = keys.add_recipient(key)
        if new:
            self._audit(actor, "backup.recipient_add", _key_label(added))
        return added, new

    def remove_recipient(self, actor: Actor | None, key: str) -> str:
        self._authorise(actor, "backup.restore", "recipient_remove")
        removed = keys.remove_recipient(key)
        self._audit(actor, "backup.recipient_remove", _key_label(removed))
        return removed

    def recipients(self, actor: Actor | None) -> builtins.list[str]:
        self._authorise(actor, "backup.create", "recipient_list")
        return keys.list_recipients()

    def change_passphrase(self, actor: Actor | None, old: str, new: str) -> None:
        self._authorise(actor, "backup.restore", "passphrase")
        keys.change_passphrase(old, new)
        self._audit(actor, "backup.passphrase", "ключ перешифрован новым паролем")

    # -- prune

    def prune(self, actor: Actor, *, keep_daily: int = 7, keep_weekly: int = 4, keep_monthly: int = 12,
              folder: Path | None = None, dry_run: bool = False) -> PrunePlan:
        """Grandfather-father-son: keep the newest backup of each of the last `keep_daily` days that have one,
        of the last `keep_weekly` ISO weeks and of the last `keep_monthly` months, and always the newest
        verified backup; remove the rest and stale `.partial` files (unless `dry_run`)."""
        self._authorise(actor, "backup.create", "prune")
        folder = folder or self.folder or backup_dir()
        plan = plan_prune(list_backups(folder), keep_daily, keep_weekly, keep_monthly)
        stale = [p for p in sorted(folder.glob("*" + PARTIAL)) if _is_stale_partial(p)] if folder.is_dir() else []
        plan = PrunePlan(plan.keep, plan.remove, stale)
        if not dry_run:
            for backup in plan.remove:
                backup.path.unlink(missing_ok=True)
                backup.path.with_name(backup.name + VERIFIED).unlink(missing_ok=True)
            for partial in stale:
                partial.unlink(missing_ok=True)
            if plan.remove or stale:
                self._audit(actor, "backup.prune", f"удалено копий {len(plan.remove)}, незавершённых "
                            f"{len(stale)}; оставлено {len(plan.keep)}")
        return plan


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return (text_.splitlines() or [type(exc).__name__])[0][:300]


def _key_label(key: str) -> str:
    """A recipient for the audit trail: the key type and its start (no comment: it may hold a name)."""
    parts = key.split()
    return f"{parts[0]} {parts[1][:24]}…" if len(parts) > 1 else f"{key[:28]}…"


def plan_prune(backups: Sequence[BackupInfo], keep_daily: int, keep_weekly: int,
               keep_monthly: int) -> PrunePlan:
    """Which backups grandfather-father-son keeps (by the UTC time in the file name)."""
    ordered = sorted(backups, key=lambda b: (b.created, b.name), reverse=True)
    keep: set[Path] = set()

    def bucket(key: Callable[[datetime], Any], count: int) -> None:
        seen: list[Any] = []
        for backup in ordered:
            k = key(backup.created)
            if k in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(k)
            keep.add(backup.path)

    bucket(lambda d: d.date(), keep_daily)
    bucket(lambda d: d.isocalendar()[:2], keep_weekly)
    bucket(lambda d: (d.year, d.month), keep_monthly)
    newest_verified = next((b for b in ordered if b.state == "verified"), None)
    if newest_verified is not None:
        keep.add(newest_verified.path)
    return PrunePlan([b for b in ordered if b.path in keep], [b for b in ordered if b.path not in keep])


def _head_or_none() -> str | None:
    try:
        return current_head()
    except BackupError:
        return None


def _scaled(progress: Progress, start: int, end: int) -> Progress:
    """`progress` for one stage of an operation reported per mille: the stage's (done, total) mapped onto
    start..end."""
    def report(done: int, total: int) -> None:
        progress(start + (end - start) * min(done, total) // max(total, 1), PERMILLE)
    return report


@contextlib.contextmanager
def _snapshot(store: Store, spool_dir: str, progress: Progress | None = None) -> Iterator[fmt.Snapshot]:
    """A consistent dump: one read transaction on one connection (SQLite: BEGIN DEFERRED, the WAL keeps
    the snapshot; PostgreSQL: REPEATABLE READ READ ONLY)."""
    with store.engine.connect() as connection:
        if store.dialect == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            snapshot = fmt.take_snapshot(connection, spool_dir=spool_dir, progress=progress)
    try:
        yield snapshot
    finally:
        snapshot.close()


def auto_backup(store: Store, reason: str, *, actor: Actor | None = None, folder: Path | None = None,
                progress: Progress | None = None) -> Path | None:
    """The automatic backup before an operation, for the services that change much at once to call first:
    `auto_backup(store, "import" | "year-close" | "year-open" | "rollover" | "restore", actor=actor)`
    (AUTO_REASONS; another lower-case name works too). Made when a recipient is configured, named
    `zhurnal-<label>-<UTC time>-before-<reason>.age` in the backup folder; None (nothing done) otherwise.

    The backup belongs to `actor` when they hold `backup.create`; otherwise (a deputy closing the year) it is
    made as `system:auto-backup`: the operation's right implies its safety copy. A failure raises (BackupError):
    the caller stops before changing anything. Returns the file's path."""
    if not REASON_RE.match(f"before-{reason}"):
        raise BackupError(f"Недопустимая причина копии: {reason!r}")
    if not keys.list_recipients():
        return None
    if actor is None or "backup.create" not in actor.actions:
        actor = Actor.system("auto-backup", actor.school_id if actor is not None else None)
    return BackupService(store, folder=folder).create(actor, reason=f"before-{reason}", progress=progress).path


# ---- restore ---------------------------------------------------------------------------------------------


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Restore:
    """One restore, step by step (see BackupService.restore)."""

    def __init__(self, service: BackupService, actor: Actor | None, path: Path, identities: Sequence[Any],
                 to_url: str | None, confirm: Callable[[RestorePlan], str | None] | None,
                 stage: Callable[[str], None] | None, progress: Progress | None) -> None:
        self.service = service
        self.live = service.store if service._live() else None
        self.actor = actor
        self.path = path
        self.identities = identities
        self.to_url = to_url
        self.confirm = confirm
        self.say = stage or (lambda _m: None)
        self.progress = progress
        self.stamp = datetime.now(UTC).strftime(STAMP)
        self.created_target: str | None = None  # what to remove on failure: a file path or a database URL
        self.pg_admin: Any = None

    # -- helpers

    def _sqlite_path(self, url: URL) -> Path:
        if not url.database or url.database == ":memory:":
            raise BackupError("Восстановить можно только в файл SQLite, не в память")
        return Path(url.database).expanduser().resolve()

    def _pg_admin_engine(self, url: URL) -> Any:
        if self.pg_admin is None:
            self.pg_admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        return self.pg_admin

    def _pg_exists(self, url: URL) -> bool:
        with self._pg_admin_engine(url).connect() as conn:
            return bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                     {"n": url.database}).scalar())

    def _pg_create(self, url: URL) -> None:
        with self._pg_admin_engine(url).connect() as conn:
            conn.execute(text(f"CREATE DATABASE {_quote_ident(str(url.database))}"))
        self.created_target = url.render_as_string(hide_password=False)

    def _pg_drop(self, url: URL) -> None:
        with self._pg_admin_engine(url).connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {_quote_ident(str(url.database))} WITH (FORCE)"))

    def _has_tables(self, url: str) -> bool:
        from sqlalchemy import inspect

        engine = create_engine(url)
        try:
            return bool(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    # -- the steps

    def run(self) -> Restored:
        started = time.perf_counter()
        head = current_head()
        from zhurnal.core.migrate import is_older_revision

        def same_schema(m: fmt.Manifest) -> bool:
            # A copy made before an update (an older revision of these migrations) is loaded at its own revision
            # and then upgraded like a live database; its tables must still have the columns this version knows.
            if m.schema_revision != head and not is_older_revision(m.schema_revision):
                raise BackupError(
                    f"Копия сделана со схемой базы {m.schema_revision} (zhurnal {m.app_version}), а эта версия "
                    f"zhurnal работает со схемой {head}. Восстановите копию той версией zhurnal, которой она "
                    "сделана, затем обновите программу (zhurnal db upgrade)")
            return True

        target_url, final_sqlite, replaces_live = self._choose_target()
        spool = None
        if final_sqlite is not None:
            final_sqlite.parent.mkdir(parents=True, exist_ok=True)
            spool = str(final_sqlite.parent)
        self.say("Расшифровка и проверка файла")
        read = None
        if self.progress is not None:
            size = max(self.path.stat().st_size, 1)
            decrypting = _scaled(self.progress, 0, DECRYPT_SHARE)
            read = (lambda done: decrypting(done, size))  # noqa: E731
        payload, _hashing = _read_checked(self.path, self.identities, keep=True, spool_dir=spool,
                                          schema_check=same_schema, progress=read)
        # From here on, every byte of the payload has been authenticated.
        try:
            return self._restore_checked(payload, target_url, final_sqlite, replaces_live, started)
        except BaseException:
            self._discard()
            raise
        finally:
            payload.close()
            if self.pg_admin is not None:
                self.pg_admin.dispose()

    def _choose_target(self) -> tuple[str, Path | None, bool]:
        """(URL to build the new database at, final SQLite path or None, whether it replaces the live one)."""
        if self.to_url:
            url = make_url(self.to_url)
            if url.get_backend_name() == "sqlite":
                final = self._sqlite_path(url)
                if final.exists() and _sqlite_has_tables(final):
                    raise BackupError(f"В файле {final} уже есть база: восстановление идёт только в новую или "
                                      "пустую базу")
                return self._sqlite_build_url(url, final), final, False
            if url.get_backend_name() != "postgresql":
                raise BackupError("--to: нужен адрес sqlite:///путь или postgresql+psycopg://…")
            if url.drivername == "postgresql":
                url = url.set(drivername="postgresql+psycopg")
            return url.render_as_string(hide_password=False), None, False
        store = self.service.store
        if store is None:
            raise BackupError("Не указана база для восстановления")
        url = make_url(store.url)
        if url.get_backend_name() == "sqlite":
            final = self._sqlite_path(url)
            if self.live is None and final.exists() and _sqlite_has_tables(final):
                raise BackupError(f"В файле {final} есть таблицы, но это не база zhurnal: восстановите в другой "
                                  "файл (--to sqlite:///путь)")
            return self._sqlite_build_url(url, final), final, self.live is not None
        if self.live is None:  # an empty PostgreSQL database: restore straight into it
            return store.url, None, False
        return url.set(database=f"{url.database}_restore_{self.stamp.lower()}").render_as_string(
            hide_password=False), None, True

    def _sqlite_build_url(self, url: URL, final: Path) -> str:
        building = final.with_name(f"{final.name}.restore-{self.stamp}{PARTIAL}")
        return url.set(database=str(building)).render_as_string(hide_password=False)

    def _restore_checked(self, payload: fmt.Payload, target_url: str, final_sqlite: Path | None,
                         replaces_live: bool, started: float) -> Restored:
        manifest = payload.manifest
        url = make_url(target_url)
        sqlite = url.get_backend_name() == "sqlite"
        # 1. a new, empty database at the head of the migrations
        if sqlite:
            building = self._sqlite_path(url)
            building.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{building}{suffix}").unlink(missing_ok=True)
            self.created_target = str(building)
        elif self._pg_exists(url):
            if self._has_tables(target_url):
                raise BackupError(f"База {url.render_as_string(hide_password=True)} не пуста: восстановление "
                                  "идёт только в пустую или новую базу")
        else:
            self._pg_create(url)
        target = Store(target_url)
        # An older copy (same_schema let only those through) goes in at its own revision; the migrations since
        # then follow the checks.
        head = current_head()
        older = manifest.schema_revision if manifest.schema_revision != head else None
        try:
            self.say("Создание схемы")
            if older is not None:
                from zhurnal.core.migrate import upgrade

                upgrade(target.engine, older)
            else:
                target.upgrade()
            # 2. rows, table by table, in one transaction
            self.say("Загрузка строк")
            try:
                with target.engine.connect().execution_options(zhurnal_write=True) as conn, conn.begin():
                    counts = fmt.load_tables(conn, payload, progress=self._loading(manifest.total_rows))
                    fmt.reset_sequences(conn)
            except fmt.BackupFormatError as exc:
                raise BackupError(f"{self.path.name}: {exc}; рабочая база не тронута") from None
            except Exception as exc:
                if isinstance(exc, ZhurnalError):
                    raise
                raise BackupError(f"Строки копии не загрузились в новую базу ({_first_line(exc)}); рабочая база "
                                  "не тронута") from exc
            # 3. verify the new database before anything else happens
            self.say("Проверка восстановленной базы")
            self._tick(LOAD_SHARE)
            self._verify_database(target, manifest)
            if older is not None:
                self.say(f"Обновление схемы с {older} до {head}")
                target.upgrade()
            self._tick(PERMILLE)  # the last moment to cancel before the confirmation
            if sqlite:
                with target.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            target.dispose()
        if sqlite:
            _fsync_file(self._sqlite_path(url))
        display_target = (str(final_sqlite) if final_sqlite is not None
                          else url.render_as_string(hide_password=True))
        plan = RestorePlan(self.path, manifest, display_target, replaces_live, counts)
        # 4. the operator confirms with their password; then the swap
        if self.confirm is not None:
            password = self.confirm(plan)
            if self.live is not None:
                from zhurnal.core.services.accounts import AuthService

                if self.actor is None or password is None:
                    raise AuthenticationFailed("Восстановление нужно подтвердить своим паролем")
                AuthService(self.live).confirm(self.actor.user_id, password)
        elif self.live is not None:
            raise AuthenticationFailed("Восстановление нужно подтвердить своим паролем")
        backup: Path | None = None
        if self.live is not None and replaces_live:
            # The live database as it is now, in case the restored one is not what was wanted. A failure (or a
            # cancel) stops here: the live database is untouched and the restored one is removed.
            self.say("Резервная копия рабочей базы перед восстановлением")
            backup = auto_backup(self.live, "restore", actor=self.actor, folder=self.service.folder,
                                 progress=self.progress)
        detail = (f"{self.path.name}; копия от {fmt.encode_datetime(manifest.created)}; строк "
                  f"{manifest.total_rows}; в {display_target}")
        previous: str | None = None
        swapped = False
        note: str | None = None
        if self.live is not None:
            self.service._audit(self.actor, "backup.restore", detail + ("; замена рабочей базы" if replaces_live
                                                                        else ""))
        if sqlite:
            assert final_sqlite is not None
            building = self._sqlite_path(url)
            if replaces_live:
                previous = str(self._swap_sqlite(building, final_sqlite))
                swapped = True
            else:
                self._publish_sqlite(building, final_sqlite)
            self.created_target = None
            final_url = url.set(database=str(final_sqlite)).render_as_string(hide_password=False)
        elif replaces_live:
            self.created_target = None  # from here on the restored database is kept whatever happens
            final_url, previous, note = self._swap_postgres(url)
            swapped = previous is not None
        else:
            self.created_target = None
            final_url = target_url
        self._audit_restored(final_url, detail)
        database = make_url(final_url).render_as_string(hide_password=True)
        return Restored(plan, database, swapped, previous, time.perf_counter() - started, note, backup)

    def _tick(self, done: int) -> None:
        if self.progress is not None:
            self.progress(done, PERMILLE)

    def _loading(self, total_rows: int) -> Callable[[str, int], None] | None:
        """load_tables' progress (table, rows of it inserted) as the restore's per mille."""
        if self.progress is None:
            return None
        loading = _scaled(self.progress, DECRYPT_SHARE, LOAD_SHARE)
        finished, table_now, rows_now = 0, "", 0

        def report(table: str, inserted: int) -> None:
            nonlocal finished, table_now, rows_now
            if table != table_now:
                finished, table_now = finished + rows_now, table
            rows_now = inserted
            loading(finished + inserted, total_rows)
        return report

    def _verify_database(self, target: Store, manifest: fmt.Manifest) -> None:
        problems: list[str] = []
        with target.engine.connect() as conn:
            for entry in manifest.tables:
                table = fmt.Base.metadata.tables[entry.name]
                count = conn.execute(select(func.count()).select_from(table)).scalar()
                if count != entry.rows:
                    problems.append(f"{entry.name}: строк {count}, в копии {entry.rows}")
            if target.dialect == "sqlite":
                integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                if integrity != ["ok"]:
                    problems.append("integrity_check: " + "; ".join(map(str, integrity[:5])))
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    problems.append(f"внешние ключи нарушены: {len(broken)} (первая: {tuple(broken[0])})")
            # PostgreSQL checked every foreign key as the rows went in.
        with target.session(write=False) as session:
            chain = verify_chain(session)
        if not chain.ok:
            problems.append(f"цепочка аудита: {chain.problem}")
        elif (chain.count, chain.head) != (manifest.audit_count, manifest.audit_hash):
            problems.append(f"голова цепочки аудита ({chain.count}) не совпадает с манифестом "
                            f"({manifest.audit_count})")
        if problems:
            raise BackupError("Восстановленная база не прошла проверку, рабочая база не тронута: "
                              + "; ".join(problems))

    def _publish_sqlite(self, building: Path, final: Path) -> None:
        if final.exists():  # an empty file (checked before the restore began) is replaced
            if _sqlite_has_tables(final):
                raise BackupError(f"Файл {final} уже содержит базу; восстановленная база оставлена как {building}")
            os.replace(building, final)
            _fsync_dir(final.parent)
            return
        try:
            os.link(building, final)
        except FileExistsError:
            raise BackupError(f"Файл {final} появился во время восстановления; восстановленная база "
                              f"оставлена как {building}") from None
        except OSError:
            os.rename(building, final)
        else:
            building.unlink()
        _fsync_dir(final.parent)

    def _swap_sqlite(self, building: Path, live: Path) -> Path:
        """Keep the live file aside (hard link) and rename the restored one over it: at every instant the
        live name holds either the old database or the complete restored one."""
        assert self.live is not None
        self.live.dispose()
        aside = live.with_name(f"{live.name}.before-restore-{self.stamp}")
        connection = sqlite3.connect(str(live), timeout=5, isolation_level=None)
        try:
            # Leaving WAL needs every other connection closed: this checks no one else has the database
            # open, and folds the WAL into the main file so the copy kept aside is complete.
            try:
                mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            except sqlite3.OperationalError:
                mode = None
            if str(mode).lower() != "delete":
                raise BackupError("Рабочая база открыта другой программой (zhurnal, cron): закройте её и "
                                  "повторите восстановление; рабочая база не тронута")
            connection.execute("BEGIN EXCLUSIVE")  # nobody opens it between the check and the rename
            try:
                os.link(live, aside)
            except OSError:
                import shutil

                shutil.copy2(live, aside)
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{live}{suffix}").unlink(missing_ok=True)
            os.replace(building, live)
            _fsync_dir(live.parent)
        finally:
            connection.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        return aside

    def _swap_postgres(self, restored: URL) -> tuple[str, str | None, str | None]:
        assert self.live is not None
        live_url = make_url(self.live.url)
        live_name = str(live_url.database)
        aside = f"{live_name}_before_restore_{self.stamp.lower()}"
        self.live.dispose()
        admin = self._pg_admin_engine(live_url)
        with admin.connect() as conn:
            try:
                conn.execute(text(f"ALTER DATABASE {_quote_ident(live_name)} RENAME TO {_quote_ident(aside)}"))
            except Exception as exc:
                note = (f"Рабочая база {live_name} не заменена (к ней подключены: {str(exc).splitlines()[0]}). "
                        f"Восстановленная база: {restored.database}; закройте подключения и переименуйте "
                        f"её, или укажите её в --db / ZHURNAL_DB")
                return restored.render_as_string(hide_password=False), None, note
            try:
                conn.execute(text(f"ALTER DATABASE {_quote_ident(str(restored.database))} RENAME TO "
                                  f"{_quote_ident(live_name)}"))
            except Exception:
                conn.execute(text(f"ALTER DATABASE {_quote_ident(aside)} RENAME TO {_quote_ident(live_name)}"))
                raise
        return live_url.render_as_string(hide_password=False), aside, None

    def _audit_restored(self, url: str, detail: str) -> None:
        """Record the restore in the restored database itself, as its first new record."""
        store = Store(url)
        try:
            with store.session() as session:
                user_id = session.scalar(select(User.id).where(User.login == self.actor.login)) \
                    if self.actor is not None else None
                school_id = self.actor.school_id if self.actor is not None else None
                if school_id is not None and session.get(School, school_id) is None:
                    school_id = None
                audit.append(session, user_id=user_id, login=self.actor.login if self.actor else "system:restore",
                             school_id=school_id, events=[AuditEvent("backup.restore", object_type="backup",
                                                                     detail=detail[:1000])])
                session.commit()
        finally:
            store.dispose()

    def _discard(self) -> None:
        """Remove the half-built database after a failure (the live one was never touched)."""
        target, self.created_target = self.created_target, None
        if target is None:
            return
        with contextlib.suppress(Exception):
            if "://" in target:
                self._pg_drop(make_url(target))
            else:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{target}{suffix}").unlink(missing_ok=True)


def _sqlite_has_tables(path: Path) -> bool:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return True
    try:
        return bool(connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
    except sqlite3.Error:
        return True  # not a database at all: leave it alone
    finally:
        connection.close()


def _fsync_file(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = [
    "AUTO_REASONS",
    "BackupError",
    "BackupInfo",
    "BackupService",
    "Cancelled",
    "Created",
    "PrunePlan",
    "RestorePlan",
    "Restored",
    "Verification",
    "VerifyReport",
    "WrongKey",
    "auto_backup",
    "backup_dir",
    "backup_name",
    "list_backups",
    "parse_name",
    "plan_prune",
]
