"""The config file (config.toml in the config folder): interface language, key bindings, peer logins, backup
recipients, the address `zhurnal serve` listens on.

Peer logins map an operating-system user to an account, like PostgreSQL's peer authentication, so cron
jobs run without a password. The file is trusted only when no one but its owner (the user running
zhurnal, or root) can write to it.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhurnal.core.locations import config_file


class ConfigError(Exception):
    """The config file is unreadable, malformed or not safe to trust."""


@dataclass(frozen=True)
class Config:
    lang: str = "ru"
    peer_logins: dict[str, str] = field(default_factory=dict)  # OS user -> zhurnal login
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys
    raw: dict[str, Any] = field(default_factory=dict)
    # Public keys every scheduled backup is encrypted to ([backup] recipients): age1… or ssh-ed25519 ….
    backup_recipients: tuple[str, ...] = ()


def _check_trust(path: Path, consequence: str = "вход по имени ОС отключён") -> None:
    info = path.stat()
    if info.st_uid not in (os.getuid(), 0):
        raise ConfigError(f"{path}: файл принадлежит другому пользователю; {consequence}")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(f"{path}: файл доступен на запись группе или всем (chmod go-w); {consequence}")


def load(path: Path | None = None) -> Config:
    """Read the config file; a missing file gives the defaults."""
    path = path or config_file()
    if not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    peers = data.get("auth", {}).get("peer", {})
    if peers:
        _check_trust(path)
    if not isinstance(peers, dict) or not all(isinstance(v, str) for v in peers.values()):
        raise ConfigError(f"{path}: [auth.peer] должен сопоставлять имени ОС строку-логин")
    backup = data.get("backup", {})
    recipients = backup.get("recipients", []) if isinstance(backup, dict) else None
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise ConfigError(f"{path}: [backup] recipients должен быть списком строк")
    if recipients:
        # Whoever can add a recipient can read every later backup: trusted only like the peer logins.
        _check_trust(path, "ключи резервных копий не используются")
    ui = data.get("ui", {})
    return Config(lang=str(ui.get("lang", "ru")), peer_logins=dict(peers),
                  keymap=dict(data.get("keymap", {})), raw=data, backup_recipients=tuple(recipients))


DEFAULT_SERVE_HOST = "127.0.0.1"
DEFAULT_SERVE_PORT = 8000
# One browser session is one app process of about 80 MB; anyone who can reach the port can open one, before
# signing in, so their number is capped.
DEFAULT_MAX_SESSIONS = 50
SERVE_KEYS = ("host", "port", "public_url", "max_sessions")


@dataclass(frozen=True)
class ServeSettings:
    """[serve]: where `zhurnal serve` listens, and the URL browsers use when a proxy stands in front of it."""

    host: str = DEFAULT_SERVE_HOST
    port: int = DEFAULT_SERVE_PORT
    public_url: str | None = None
    max_sessions: int = DEFAULT_MAX_SESSIONS


def serve_settings(config: Config, path: Path | None = None) -> ServeSettings:
    """The [serve] table, checked. Only `zhurnal serve` reads it, so a typo there stops nothing else (cron's
    peer logins, the console)."""
    where = path or config_file()
    section = config.raw.get("serve", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: [serve] должен быть таблицей (host, port, public_url)")
    unknown = sorted(set(section) - set(SERVE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: в [serve] неизвестные ключи {', '.join(unknown)}; допустимы "
                          f"{', '.join(SERVE_KEYS)}")
    host = section.get("host", DEFAULT_SERVE_HOST)
    if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host):
        raise ConfigError(f'{where}: [serve] host должен быть адресом или именем машины, например "127.0.0.1", '
                          f"а не {host!r}")
    port = section.get("port", DEFAULT_SERVE_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"{where}: [serve] port должен быть целым числом от 1 до 65535, а не {port!r}")
    public_url = section.get("public_url")
    if public_url is not None and (not isinstance(public_url, str)
                                   or not public_url.startswith(("http://", "https://"))):
        raise ConfigError(f'{where}: [serve] public_url должен начинаться с http:// или https://, например '
                          f'"https://journal.school.local", а не {public_url!r}')
    max_sessions = section.get("max_sessions", DEFAULT_MAX_SESSIONS)
    if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
        raise ConfigError(f"{where}: [serve] max_sessions должен быть целым числом больше нуля, а не "
                          f"{max_sessions!r}")
    return ServeSettings(host=host, port=port, public_url=public_url.rstrip("/") if public_url else None,
                         max_sessions=max_sessions)


def _render_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if not value:
            return "[]"
        return "[\n" + "".join(f"    {json.dumps(v, ensure_ascii=False)},\n" for v in value) + "]"
    raise ConfigError(f"[backup]: значение {value!r} не умею записать; поправьте файл вручную")


def _without_section(text: str, name: str) -> str:
    """`text` without the lines of table [name] (its header up to the next table header)."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.split("#", 1)[0].strip() == f"[{name}]"
        if not inside:
            kept.append(line)
    return "".join(kept)


def write_backup_recipients(recipients: list[str], path: Path | None = None) -> None:
    """Set [backup] recipients in the config file, keeping everything else as written.

    The [backup] table is rewritten at the end of the file; the result is parsed again and must equal the
    old data with only that key changed, or nothing is written. The file is replaced atomically with mode
    0600 (it is trusted only when no one else can write to it).
    """
    path = path or config_file()
    text = path.read_text("utf-8") if path.exists() else ""
    try:
        old = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if path.exists():
        _check_trust(path, "изменение отменено")
    section = dict(old.get("backup", {}))
    section["recipients"] = list(recipients)
    subtables = {k: v for k, v in section.items() if isinstance(v, dict)}
    if subtables:
        raise ConfigError(f"{path}: в [backup] есть вложенные таблицы; поправьте файл вручную")
    body = _without_section(text, "backup").rstrip("\n")
    rendered = "".join(f"{key} = {_render_value(value)}\n" for key, value in section.items())
    new_text = (body + "\n\n" if body else "") + "[backup]\n" + rendered
    expected = {**old, "backup": section}
    try:
        reparsed = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: не удалось безопасно переписать [backup] ({exc}); поправьте файл вручную") from exc
    if reparsed != expected:
        raise ConfigError(f"{path}: не удалось безопасно переписать [backup]; поправьте файл вручную")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new_text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
