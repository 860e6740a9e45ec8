"""Limits on untrusted files, from the config file's [import] section.

    [import]
    max_bytes = 52428800   # 50 MiB: a bigger file is refused before it is read
    max_rows = 200000      # data rows; a district's student list fits
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_BYTES = 50 * 2**20
DEFAULT_MAX_ROWS = 200_000


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = DEFAULT_MAX_ROWS


def limits_from(raw: dict[str, Any] | None = None) -> Limits:
    """The limits of the config file (or of `raw`, its parsed content); defaults for what it leaves out."""
    if raw is None:
        from zhurnal.core.config import load

        raw = load().raw
    section = raw.get("import", {}) if isinstance(raw, dict) else {}
    values = {}
    for key, default in (("max_bytes", DEFAULT_MAX_BYTES), ("max_rows", DEFAULT_MAX_ROWS)):
        value = section.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            from zhurnal.core.config import ConfigError

            raise ConfigError(f"config.toml: [import] {key} должен быть целым числом больше нуля")
        values[key] = value
    return Limits(**values)
