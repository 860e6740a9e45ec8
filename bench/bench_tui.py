"""(k) The full-screen app on the demo district (50 schools, about 55,000 students) — issue #4's numbers.

- Cold start to the login screen under 1 s: a fresh interpreter imports the app, opens the store and draws the
  login screen (App.run, headless); measured from the parent around the child, minus the bare interpreter's start.
- Opening the Students list under 300 ms, a keystroke in its search box to updated results under 100 ms,
  moving the cursor one row under 50 ms: measured in a headless app driven by Textual's Pilot, from the key
  press until every worker has finished and its messages are handled (so it includes the query and the
  redraw). Pilot's own pauses are part of the figure, which makes it an upper bound.
Seconds are scaled to the reference machine by the fixed CPU loop (common.py), because the machine is shared.
BENCH_QUICK=1 uses a 5-school district.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from common import Result, best_time, cpu_baseline

from zhurnal.core.store import Store

SCHOOLS = 5 if os.environ.get("BENCH_QUICK") else 50
TODAY = date(2026, 11, 28)
CPU_REF_S = 0.091  # bench_demo.CPU_REF_S
PASSWORD = "correct horse battery staple 42"

# The child runs the app as `zhurnal` does (App.run, headless so no terminal is needed) and leaves as soon as
# the login screen has been drawn once.
_CHILD = """
import sys
from zhurnal.core.config import Config
from zhurnal.core.store import Store
from zhurnal.tui.app import create_app
from zhurnal.tui.app.screens import login

shown = login.LoginScreen.on_mount

def on_mount(self):
    shown(self)
    self.call_after_refresh(self.app.exit)

login.LoginScreen.on_mount = on_mount
create_app(Store(sys.argv[1]), config=Config()).run(headless=True)
"""


def _build(folder: Path) -> str:
    from zhurnal.core.demo.generator import build_demo
    from zhurnal.core.passwords import hash_password

    url = f"sqlite:///{folder / 'district.sqlite3'}"
    store = Store(url)
    store.upgrade()
    build_demo(store, seed=1, schools=SCHOOLS, today=TODAY, admin_login="admin",
               admin_password_hash=hash_password(PASSWORD))
    store.dispose()
    return url


def _cold_start(url: str) -> float:
    def bare() -> None:
        subprocess.run([sys.executable, "-c", "pass"], check=True)

    def app() -> None:
        subprocess.run([sys.executable, "-c", _CHILD, url], check=True, capture_output=True)

    return best_time(app, 3) - best_time(bare, 3)


def _app_times(url: str) -> tuple[float, float, float]:
    from textual.pilot import Pilot

    from zhurnal.core.config import Config
    from zhurnal.core.services.accounts import AuthService
    from zhurnal.tui.app import create_app
    from zhurnal.tui.app.screens.people import PeopleScreen

    store = Store(url)
    actor = AuthService(store).login("admin", PASSWORD).actor
    times: dict[str, list[float]] = {"open": [], "key": [], "move": []}

    async def settle(pilot: Pilot[None]) -> None:
        app = pilot.app
        for _ in range(200):
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return

    async def main() -> None:
        app = create_app(store, config=Config(), actor=actor, today=TODAY)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for _ in range(3):
                start = time.perf_counter()
                await pilot.press("f3")
                await settle(pilot)
                times["open"].append(time.perf_counter() - start)
                assert isinstance(app.screen, PeopleScreen)
                for letter in "ива":
                    start = time.perf_counter()
                    await pilot.press(letter)
                    await settle(pilot)
                    times["key"].append(time.perf_counter() - start)
                for _ in range(3):
                    await pilot.press("backspace")
                await settle(pilot)
                await pilot.press("tab")  # into the list
                await settle(pilot)
                for _ in range(5):
                    start = time.perf_counter()
                    await pilot.press("down")
                    await settle(pilot)
                    times["move"].append(time.perf_counter() - start)
                await pilot.press("f2")
                await settle(pilot)

    asyncio.run(main())
    store.dispose()
    return min(times["open"]), sorted(times["key"])[len(times["key"]) // 2], \
        sorted(times["move"])[len(times["move"]) // 2]


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = _build(Path(folder))
        cold = _cold_start(url)
        opened, key, move = _app_times(url)
    scale = CPU_REF_S / cpu_baseline()
    label = f"{SCHOOLS}-school demo district"
    return [
        Result(f"(k) app cold start to the login screen, {label}", cold * scale, 1.0, "s",
               f"{cold:.2f} s here beyond the bare interpreter's start"),
        Result(f"(k) opening the Students list, {label}", opened * scale, 0.3, "s", f"{opened * 1000:.0f} ms here"),
        Result(f"(k) keystroke in the search to updated results (median), {label}", key * scale, 0.1, "s",
               f"{key * 1000:.0f} ms here"),
        Result(f"(k) cursor one row down (median), {label}", move * scale, 0.05, "s", f"{move * 1000:.0f} ms here"),
    ]
