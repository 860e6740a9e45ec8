"""The message catalogue of the interface: every user-facing string of the app, in Russian and English.

`t("people.title.student")` gives the string in the current language; `t(key, **fmt)` formats it with
`str.format`. A translation is a file (`ru.json`, `en.json` beside this module), never a code change.
The language is chosen once per process (the app does it at start); Russian is the default.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"

_current = DEFAULT_LANGUAGE


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every key of one language (read once from the package's JSON file)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    text = files(__name__).joinpath(f"{lang}.json").read_text("utf-8")
    data = json.loads(text)
    return {str(k): str(v) for k, v in data.items()}


def set_language(lang: str) -> None:
    """Switch the catalogue every later `t()` reads; unknown languages are refused."""
    global _current
    catalogue(lang)  # refuses an unknown language before switching
    _current = lang


def language() -> str:
    return _current


def choose(*candidates: str | None) -> str:
    """The first of `candidates` that is a known language (command line, then config), else the default."""
    for lang in candidates:
        if lang and lang.lower() in LANGUAGES:
            return lang.lower()
    return DEFAULT_LANGUAGE


def has(key: str) -> bool:
    return key in catalogue(_current)


def t(key: str, **fmt: object) -> str:
    """The string for `key` in the current language, formatted with `fmt`.

    A key missing from the catalogue comes back as itself (the interface shows something rather than
    failing); the catalogue test makes sure that never ships.
    """
    text = catalogue(_current).get(key)
    if text is None:
        return key
    return text.format(**fmt) if fmt else text
