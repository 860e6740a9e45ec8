"""`zhurnal year open|plan|close|undo|book` on a copy of the demo school: output, exit codes, confirmations."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from tests import year_support
from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
from tests.year_support import snapshot
from zhurnal.core.models import AcademicYear, Enrolment, SchoolClass, TermMark
from zhurnal.tui.cli import main

OPEN = ("year", "open", "--name", "2027/2028", "--start", "2027-09-01", "--end", "31.08.2028",
        "--term", "2027-09-01:2027-10-26", "--term", "2027-11-05:2027-12-28", "--term", "2028-01-09:2028-03-21",
        "--term", "2028-03-31:2028-05-26")
ORDERS = ("--promotion-order", "101-у", "--promotion-date", "2027-05-30",
          "--graduation-order", "102-у", "--graduation-date", "2027-06-25")



@pytest.fixture
def demo(engine_name, request, tmp_path_factory, tmp_path):
    yield from year_support.demo_store(engine_name, request, tmp_path_factory, tmp_path)


def run(store, *args: str, lines: tuple[str, ...] = ()) -> tuple[int, str]:
    stdin = io.StringIO("".join(f"{line}\n" for line in (ADMIN_PASSWORD, *lines)))
    stdout = io.StringIO()
    code = main(["--db", store.url, "--user", ADMIN_LOGIN, "--password-stdin", *args], stdin=stdin, stdout=stdout)
    return code, stdout.getvalue()


def years(store) -> dict[str, str]:
    with store.session(write=False) as session:
        return {y.name: y.status for y in session.scalars(select(AcademicYear))}


def test_plan_json_adds_up_to_the_active_students(demo, capsys):
    code, out = run(demo, "year", "plan", "--json")
    assert code == 1  # the new year is not opened and no orders are given: not ready to apply
    data = json.loads(out)
    with demo.session(write=False) as session:
        active = session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.end_date.is_(None)))
    total = data["total"]
    assert total["total"] == active
    assert sum(total[k] for k in ("promote", "retain", "conditional", "graduate", "continue", "leave_basic",
                                  "transfer_out", "none")) == active
    assert sum(row["total"] for row in data["classes"]) == active
    assert any("не открыт" in p for p in data["problems"])
    assert {row["class"] for row in data["classes"] if row["graduate"]} == {"11А", "11Б"}


def test_open_dry_run_then_cancelled_then_confirmed_then_repeated(demo):
    before = snapshot(demo)
    code, out = run(demo, *OPEN, "--dry-run")
    assert code == 0 and "классы: будет создано 22" in out and "6А   ← 5А" in out
    assert snapshot(demo) == before
    code, out = run(demo, *OPEN, lines=("нет",))
    assert code == 3 and "Отменено" in out and snapshot(demo) == before
    code, out = run(demo, *OPEN, lines=("да",))
    assert code == 0 and "классы: создано 22" in out
    assert years(demo) == {"2026/2027": "open", "2027/2028": "planned"}
    code, out = run(demo, *OPEN, "--yes")
    assert code == 0 and "классы: уже есть 22" in out


def test_close_refused_without_orders_then_applied_then_undone(demo, tmp_path: Path, capsys):
    assert run(demo, *OPEN, "--yes")[0] == 0
    code, _ = run(demo, "year", "close", "--yes")
    assert code == 1
    assert "Не указан приказ «о переводе в следующий класс»" in capsys.readouterr().err
    code, out = run(demo, "year", "plan", *ORDERS, "--xlsx", str(tmp_path / "plan.xlsx"))
    assert code == 0 and "итого" in out
    assert CalamineWorkbook.from_path(str(tmp_path / "plan.xlsx")).sheet_names == ["Протокол", "Итоги"]
    before = snapshot(demo)
    code, out = run(demo, "year", "close", *ORDERS, "--dry-run")
    assert code == 0 and snapshot(demo) == before
    report = tmp_path / "report.json"
    code, out = run(demo, "year", "close", *ORDERS, "--report", str(report), lines=("да",))
    assert code == 0, out
    assert "Учебный год 2026/2027 закрыт" in out and "Зарегистрирован приказ № 101-у от 30.05.2027" in out
    assert years(demo)["2026/2027"] == "closed"
    rows = json.loads(report.read_text(encoding="utf-8"))
    assert {r["outcome"] for r in rows} == {"promote", "graduate", "continue"}
    code, out = run(demo, "year", "close", *ORDERS, "--yes")
    assert code == 0 and "уже закрыт" in out
    code, out = run(demo, "year", "book", "--from", "2026-09-01", "--to", "2027-08-31")
    assert code == 0 and "Выпущены: 99" in out
    code, out = run(demo, "year", "undo", "--dry-run")
    assert code == 0 and "закрытие года" in out and snapshot(demo) != before
    code, out = run(demo, "year", "undo", "--yes")
    assert code == 0 and snapshot(demo) == before
    assert years(demo)["2026/2027"] == "open"


def test_a_dry_run_of_closing_refuses_missing_final_marks_as_the_real_run_does(demo, capsys):
    assert run(demo, *OPEN, "--yes")[0] == 0
    with demo.session() as session:  # one class's final marks not given yet
        class_id = session.scalar(select(SchoolClass.id).where(SchoolClass.name == "5А")
                                  .order_by(SchoolClass.id).limit(1))
        session.execute(TermMark.__table__.delete().where(TermMark.class_id == class_id))
        session.commit()
    before = snapshot(demo)
    for extra in (("--dry-run",), ("--yes",)):
        code, out = run(demo, "year", "close", *ORDERS, *extra)
        err = capsys.readouterr().err
        assert code == 1 and "Пробный прогон" not in out, out
        assert "Не выставлены итоговые отметки" in err and "--ignore-missing-marks" in err and "5А, " in err
    assert snapshot(demo) == before
    code, out = run(demo, "year", "close", *ORDERS, "--dry-run", "--ignore-missing-marks")
    assert code == 0 and "Пробный прогон: ничего не изменено" in out


def test_plan_and_dry_run_say_how_many_subgroup_places_the_closing_would_carry(demo):
    code, out = run(demo, "year", "plan", "--json")
    assert json.loads(out)["subgroups_carried"] == 0  # no new year yet: no class to carry into
    code, out = run(demo, "year", "plan", *ORDERS)
    assert "Подгруппы" not in out
    assert run(demo, *OPEN, "--yes")[0] == 0
    code, out = run(demo, "year", "plan", *ORDERS, "--json")
    expected = json.loads(out)["subgroups_carried"]
    assert code == 0 and expected > 0
    before = snapshot(demo)
    for command in (("plan", *ORDERS), ("close", *ORDERS, "--dry-run")):
        code, out = run(demo, "year", *command)
        assert code == 0
        assert f"Подгруппы будут перенесены в новые классы: {expected} (ученик × предмет)" in out
    assert snapshot(demo) == before
    code, out = run(demo, "year", "close", *ORDERS, "--yes")
    assert code == 0 and f"Подгруппы перенесены в новые классы: {expected} (ученик × предмет)" in out


def test_undo_with_nothing_to_undo_fails_for_scripts(demo, capsys):
    code, _ = run(demo, "year", "undo", "--yes")
    assert code == 1
    assert "Нет операции" in capsys.readouterr().err


def test_output_files_are_private_and_bad_paths_are_named_before_anything_changes(demo, tmp_path: Path, capsys):
    # The protocol and the book hold names and birth dates: readable by the owner only, like every export.
    protocol = tmp_path / "plan.xlsx"
    run(demo, "year", "plan", "--xlsx", str(protocol))
    assert protocol.stat().st_mode & 0o777 == 0o600
    book = tmp_path / "book.xlsx"
    assert run(demo, "year", "book", "--from", "2026-09-01", "--to", "2027-08-31", "--xlsx", str(book))[0] == 0
    assert book.stat().st_mode & 0o777 == 0o600
    # A folder or a missing folder is a message naming the option, never a traceback.
    assert run(demo, "year", "plan", "--xlsx", str(tmp_path))[0] == 2
    assert "--xlsx" in capsys.readouterr().err
    assert run(demo, "year", "book", "--from", "2026-09-01", "--to", "2027-08-31", "--xlsx",
               str(tmp_path / "no" / "book.xlsx"))[0] == 2
    assert "--xlsx" in capsys.readouterr().err
    # Closing checks where its report goes before it closes anything: the year stays open.
    assert run(demo, *OPEN, "--yes")[0] == 0
    code, _ = run(demo, "year", "close", *ORDERS, "--yes", "--report", str(tmp_path / "no" / "report.json"))
    assert code == 2 and "--report" in capsys.readouterr().err
    assert years(demo)["2026/2027"] == "open"
    code, _ = run(demo, "year", "close", *ORDERS, "--yes", "--protocol", str(tmp_path))
    assert code == 2 and "--protocol" in capsys.readouterr().err
    assert years(demo)["2026/2027"] == "open"


def test_outcomes_file_with_a_bad_date_or_field_is_named_not_a_traceback(demo, tmp_path: Path, capsys):
    with demo.session(write=False) as session:
        person_id = session.scalar(select(Enrolment.person_id).where(Enrolment.end_date.is_(None)).limit(1))
    outcomes = tmp_path / "outcomes.json"
    for change, field in (({"outcome": "retain", "order_number": "7-у", "order_date": "30.02.2027"}, "order_date"),
                          ({"outcome": "retain", "order_number": "7-у"}, "order_date"),
                          ({"outcome": "transfer_out", "destination": ["школа № 5"]}, "destination")):
        outcomes.write_text(json.dumps([{"person_id": person_id, **change}]), encoding="utf-8")
        code, _ = run(demo, "year", "plan", "--outcomes", str(outcomes))
        err = capsys.readouterr().err
        assert code == 1 and f"person_id {person_id}" in err and field in err and "Traceback" not in err
