"""core.files: atomic writes and the names of saved files."""

from __future__ import annotations

from pathlib import Path

from zhurnal.core.files import unused_path, write_atomic


def test_a_second_file_of_the_same_name_keeps_the_first(tmp_path: Path) -> None:
    first = write_atomic(unused_path(tmp_path, "activity-2026-11-28", ".xlsx"), b"first")
    second = write_atomic(unused_path(tmp_path, "activity-2026-11-28", ".xlsx"), b"second")
    third = unused_path(tmp_path, "activity-2026-11-28", ".xlsx")
    assert (first.name, second.name, third.name) == (
        "activity-2026-11-28.xlsx", "activity-2026-11-28-2.xlsx", "activity-2026-11-28-3.xlsx")
    assert first.read_bytes() == b"first" and second.read_bytes() == b"second"
