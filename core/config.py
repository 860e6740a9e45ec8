"""The config file (config.toml in the config folder): interface language, key bindings, peer logins.

Peer logins map an operating-system user to an account, like PostgreSQL's peer authentication, so cron
jobs run without a password. The file is trusted only when no one but its owner (the user running
zhurnal, or root) can write to it.
"""

from __future__ import annotations

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


def _check_trust(path: Path) -> None:
    info = path.stat()
    if info.st_uid not in (os.getuid(), 0):
        raise ConfigError(f"{path}: файл принадлежит другому пользователю; вход по имени ОС отключён")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(f"{path}: файл доступен на запись группе или всем (chmod go-w); вход по имени ОС "
                          "отключён")


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
    ui = data.get("ui", {})
    return Config(lang=str(ui.get("lang", "ru")), peer_logins=dict(peers),
                  keymap=dict(data.get("keymap", {})), raw=data)
