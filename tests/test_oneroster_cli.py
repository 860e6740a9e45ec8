"""`zhurnal import` / `zhurnal export` with OneRoster bundles: real processes, the reference bundles."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.test_cli import PASSWORD, zhurnal

HERE = Path(__file__).parent / "data" / "oneroster"
SIGNED_IN = ("--user", "director", "--password-stdin")
OPTIONS = ("--option", "class.cls-222-123478=5А", "--option", "hire_order=15-к от 25.08.2026",
           "--order", "901-у от 01.09.2026")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    result = zhurnal(folder, "demo", "--admin", "director", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return folder


def _people(data: Path) -> tuple[int, int]:
    stats = json.loads(zhurnal(data, "stats", "--json").stdout)
    return stats["students"], stats["staff"]


def test_v1p1_folder_dry_run_then_apply_then_reimport(demo):
    bundle = str(HERE / "v1p1-bulk-minimal")
    before = _people(demo)
    dry = zhurnal(demo, *SIGNED_IN, "import", bundle, *OPTIONS, "--dry-run", stdin=PASSWORD + "\n")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    for expected in ("Формат: oneroster", "OneRoster 1.1, bulk", "[staff]", "[students]",
                     "Итог: новых 2, изменённых 0", "Итог: новых 1, изменённых 0", "ничего не записано"):
        assert expected in dry.stdout, dry.stdout
    assert _people(demo) == before
    applied = zhurnal(demo, *SIGNED_IN, "import", bundle, *OPTIONS, "--yes", stdin=PASSWORD + "\n")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Записано (staff): новых 2" in applied.stdout and "Записано (students): новых 1" in applied.stdout
    assert _people(demo) == (before[0] + 1, before[1] + 2)
    again = zhurnal(demo, *SIGNED_IN, "import", bundle, *OPTIONS, "--yes", stdin=PASSWORD + "\n")
    assert again.returncode == 0 and "Итог: новых 0, изменённых 0, без изменений 1" in again.stdout, again.stdout


def test_a_delta_of_leavers_from_the_command_line(demo):
    """The real delta folder (tests/data/oneroster/v1p1-delta-leavers): the dry run prints the ends, the
    apply writes them, the counts of people stay (nothing deleted), a second run changes nothing."""
    zhurnal(demo, *SIGNED_IN, "import", str(HERE / "v1p1-bulk-minimal"), *OPTIONS, "--yes", stdin=PASSWORD + "\n")
    before = _people(demo)
    leavers = (str(HERE / "v1p1-delta-leavers"), "--option", "departure_order=931-у от 20.11.2026",
               "--option", "dismissal_order=940-к от 20.11.2026", "--all-changes")
    dry = zhurnal(demo, *SIGNED_IN, "import", *leavers, "--dry-run", stdin=PASSWORD + "\n")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    for expected in ("OneRoster 1.1, delta", "выбытие: 5А, последний день 20.11.2026",
                     "увольнение: «учитель», последний день 20.11.2026", "ничего не записано"):
        assert expected in dry.stdout, dry.stdout
    applied = zhurnal(demo, *SIGNED_IN, "import", *leavers, "--yes", stdin=PASSWORD + "\n")
    assert applied.returncode == 0 and "Записано (students): изменённых 1" in applied.stdout, \
        applied.stdout + applied.stderr
    assert _people(demo) == (before[0] - 1, before[1] - 1)  # ended on 20.11: no longer counted today
    again = zhurnal(demo, *SIGNED_IN, "import", *leavers, "--yes", stdin=PASSWORD + "\n")
    assert again.returncode == 0 and "изменённых 1" not in again.stdout, again.stdout


def test_a_zip_is_detected_and_dry_run_writes_nothing(demo, tmp_path):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for member in sorted((HERE / "v1p1-bulk-minimal").iterdir()):
            out.write(member, member.name)
    before = _people(demo)
    result = zhurnal(demo, *SIGNED_IN, "import", str(archive), *OPTIONS, "--dry-run", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Файл: bundle.zip" in result.stdout and "Итог: новых 1, изменённых 0" in result.stdout
    assert _people(demo) == before


@pytest.mark.parametrize("option", ["class.CLS1", "=5А", "hire_order="])
def test_a_malformed_option_is_refused_by_name(demo, option):
    result = zhurnal(demo, *SIGNED_IN, "import", str(HERE / "v1p1-bulk-minimal"), "--option", option,
                     "--dry-run", stdin=PASSWORD + "\n")
    assert result.returncode == 2 and f"--option «{option}»" in result.stderr, result.stderr


def test_export_all_is_a_121_bundle(demo, tmp_path):
    out = tmp_path / "school.zip"
    done = zhurnal(demo, *SIGNED_IN, "export", "--format", "oneroster", "--entity", "all", "--out", str(out),
                   stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0 and "(all, oneroster)" in done.stdout, done.stdout + done.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    with zipfile.ZipFile(out) as archive:
        def rows(name: str) -> list[list[str]]:
            return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"), newline="")))
        manifest = dict(rows("manifest.csv")[1:])
        users = rows("users.csv")[0]
    headers = json.loads((HERE / "headers.json").read_text(encoding="utf-8"))["oneroster_1.2.1_csv"]
    # 1.2.1 is a revision of 1.2: its manifest names oneroster.version 1.2; users.csv has the 1.2.1 layout
    assert manifest["manifest.version"] == "1.0" and manifest["oneroster.version"] == "1.2"
    assert manifest["file.users"] == "bulk" and users == headers["users"]


def test_export_all_needs_a_bundle_format(demo, tmp_path):
    out = tmp_path / "all.csv"
    result = zhurnal(demo, *SIGNED_IN, "export", "--format", "csv", "--entity", "all", "--out", str(out),
                     stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.returncode == 2 and "пишет одну таблицу" in result.stderr and not out.exists()
