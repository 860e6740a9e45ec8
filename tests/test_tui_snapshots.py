"""Snapshot tests of the main screens at 80×24 and 120×40, in Russian and in English.

A snapshot is the screen's text as the terminal shows it (tests/snapshots/<screen>-<lang>-<cols>x<rows>.txt),
reviewable in a diff; colours are left to the Pilot tests. The demo school is deterministic (seed, fixed day),
so a changed snapshot means a changed screen: look at the diff, and when the change is meant, regenerate with
`ZHURNAL_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_tui_snapshots.py`.

Also checked on every screen: nothing is cut at the right edge of a line that the layout should wrap, i.e.
no line is longer than the terminal.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.test_tui import actor, demo, drive, make_app, russian, screen_text, settle  # noqa: F401
from zhurnal.tui.app.screens.card import PersonCardScreen
from zhurnal.tui.app.screens.classes import ClassesScreen
from zhurnal.tui.app.screens.menu import MenuScreen
from zhurnal.tui.app.screens.orders import OrdersScreen
from zhurnal.tui.app.screens.people import PeopleScreen

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("ZHURNAL_UPDATE_SNAPSHOTS") == "1"
SIZES = [(80, 24), (120, 40)]


def check(name: str, text: str, lang: str, size: tuple[int, int]) -> list[str]:
    """Compare with (or, when updating, write) the snapshot; a problem description per mismatch."""
    lines = [line.rstrip() for line in text.splitlines()]
    too_long = [n for n, line in enumerate(lines, 1) if len(line) > size[0]]
    path = SNAPSHOTS / f"{name}-{lang}-{size[0]}x{size[1]}.txt"
    shown = "\n".join(lines) + "\n"
    problems = [f"{path.name}: lines {too_long} are wider than the terminal"] if too_long else []
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(shown, "utf-8")
        return problems
    if not path.exists():
        return [*problems, f"{path.name}: no snapshot (run with ZHURNAL_UPDATE_SNAPSHOTS=1)"]
    expected = path.read_text("utf-8")
    if expected != shown:
        diff = "\n".join(difflib.unified_diff(expected.splitlines(), shown.splitlines(), "expected", "shown",
                                              lineterm="", n=1))
        problems.append(f"{path.name} differs:\n{diff}")
    return problems


@pytest.mark.parametrize("engine_name", ["sqlite"])  # the screens do not depend on the engine
@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_main_screens_match_their_snapshots(demo, actor, lang: str, size: tuple[int, int],  # noqa: F811
                                            engine_name: str):
    app = make_app(demo, actor, lang=lang)
    problems: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        async def snap(name: str) -> None:
            await settle(pilot)
            problems.extend(check(name, screen_text(app), lang, size))

        await snap("dashboard")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        await snap("students")
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonCardScreen)
        await snap("card")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ClassesScreen)
        await snap("classes")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        assert app.screen.query_one(DataTable).row_count > 0
        await snap("orders")
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, MenuScreen)
        await snap("menu")
        await pilot.press("f1")
        await snap("help-menu")

    drive(app, scenario, size=size)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("engine_name", ["sqlite"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_login_screen_matches_its_snapshot(demo, lang: str, engine_name: str):  # noqa: F811
    problems: list[str] = []
    for size in SIZES:
        app = make_app(demo, lang=lang)

        async def scenario(pilot: Pilot[None], size: tuple[int, int] = size) -> None:
            await settle(pilot)
            problems.extend(check("login", screen_text(pilot.app), lang, size))  # type: ignore[arg-type]

        drive(app, scenario, size=size)
    assert not problems, "\n\n".join(problems)
