"""Invitation letters: one per person with the login and the one-time code, as PDF or XLSX.

The renderers take plain `Letter` values (no database, no services) so that they can be tested and timed on
their own. `write` picks the renderer by format and writes through a temporary file in the target folder,
created readable by the owner only (the letters hold live codes), then renamed over the target: a reader never
sees half a file and a failure leaves no partial file behind.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

FORMATS = ("pdf", "xlsx")
KINDS = ("student", "parent", "staff")


@dataclass(frozen=True)
class Letter:
    """What one letter shows. `children` (for parents) are "Фамилия Имя (5А)" strings."""

    school_name: str
    kind: str  # "student" | "parent"
    full_name: str
    class_name: str
    login: str
    code: str = field(repr=False)
    valid_until: date  # the last day the code works (local date)
    children: tuple[str, ...] = ()
    purpose: str = "invite"  # "invite" (first login) | "reset" (access reset by the administrator)


def format_of(path: str | os.PathLike[str]) -> str | None:
    """"pdf" or "xlsx" from the file name's extension (any case); None for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def render(letters: Sequence[Letter], fmt: str) -> bytes:
    """The whole document as bytes."""
    if fmt == "pdf":
        from zhurnal.core.letters.pdf import render_pdf

        return render_pdf(letters)
    if fmt == "xlsx":
        from zhurnal.core.letters.xlsx import render_xlsx

        return render_xlsx(letters)
    raise ValueError(f"unknown letter format {fmt!r}")


def write(letters: Sequence[Letter], path: str | os.PathLike[str], fmt: str) -> Path:
    """Render `letters` and put them at `path` atomically (temporary file, mode 0600, then rename)."""
    from zhurnal.core.files import write_atomic

    return write_atomic(path, render(letters, fmt))
