"""(k) The full-screen app on the demo district (50 schools, about 55,000 students) — issue #4's numbers.

- Cold start to the login screen under 1 s: a fresh interpreter imports the app, opens the store and draws the
  login screen (App.run, headless); measured from the parent around the child, minus the bare interpreter's start.
- Opening the Students list under 300 ms, a keystroke in its search box to updated results under 100 ms,
  moving the cursor one row under 50 ms: measured in a headless 80×24 app, from the key reaching the app to
  the first drawn frame that shows the result (the list's first page, the page of the typed text, the cursor
  on the next row; see FrameWatch), so it includes the debounce, the query in its worker, the table update,
  the layout and the drawing. The keys are typed KEY_GAP_S apart; the cursor moves in the list (Down from
  the search box puts the focus there). For information against the same 100 ms: the last key of a burst
  typed BURST_GAP_S apart, which waits the debounce (SEARCH_DELAY, not scaled) first.
Seconds are scaled to the reference machine by the fixed CPU loop (common.py), because the machine is shared.
BENCH_QUICK=1 uses a 5-school district.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from common import Result, best_time, cpu_baseline
from textual import events

from zhurnal.core.store import Store
from zhurnal.tui.app.context import SEARCH_DELAY

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


KEY_GAP_S = 0.15
"""Seconds between the measured keystrokes: brisk typing (80 words a minute). Keys closer than the list's debounce
(SEARCH_DELAY) wait for the next one; these do not, as a typist's do not."""

BURST_GAP_S = 0.02
"""Seconds between the keys of a burst (a held key, a paste): these do wait SEARCH_DELAY for the next key."""

WORD = "коз"
"""Typed into the search one letter at a time; each letter narrows the page (the bench checks it), so the drawn
table tells the answer to each keystroke apart from the one before."""


class FrameWatch:
    """Times an input until a drawn frame shows its effect, as the user sees it.

    The app is headless, so Textual builds every frame (layout, the compositor's update) but writes nothing;
    the watch also turns each update into the terminal's bytes, which a terminal would have cost. After every
    frame it asks `check` (a cheap look at the widgets) whether what that frame drew is the awaited state;
    the time is taken then. Pilot's own pauses (at least 20 ms of sleep each) are outside the timed span."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._check: Callable[[], bool] | None = None
        self._done: asyncio.Future[float] | None = None
        draw = app._display

        def display(screen: Any, update: Any) -> None:
            draw(screen, update)
            if update is not None:
                update.render_segments(app.console)
            if self._check is not None and self._done is not None and not self._done.done() and self._check():
                self._done.set_result(time.perf_counter())

        app._display = display

    def send(self, key: str) -> None:
        """The key to the app, as the terminal driver gives it."""
        self.app.post_message(events.Key(key, key if len(key) == 1 else None))

    async def press(self, key: str, check: Callable[[], bool]) -> float:
        """Seconds from the key reaching the app to the first frame for which `check()` holds."""
        self._done = asyncio.get_running_loop().create_future()
        self._check = check
        start = time.perf_counter()
        self.send(key)
        try:
            end = await asyncio.wait_for(self._done, 30)
        finally:
            self._check = None
        return end - start


def _app_times(url: str) -> dict[str, float]:
    from textual.pilot import Pilot
    from textual.widgets import DataTable, Input

    from zhurnal.core.config import Config
    from zhurnal.core.services.accounts import AuthService
    from zhurnal.core.services.persons import PersonService
    from zhurnal.tui.app import create_app
    from zhurnal.tui.app.screens.people import PeopleScreen

    store = Store(url)
    actor = AuthService(store).login("admin", PASSWORD).actor
    times: dict[str, list[float]] = {"open": [], "key": [], "burst": [], "move": []}
    # The first page of each search, as the list must show it (the service is the list's own source).
    pages = {text: [str(row.id) for row in PersonService(store).search(actor, text, kind="student", on=TODAY,
                                                                         limit=50).rows]
             for text in ("", *(WORD[:n] for n in range(1, len(WORD) + 1)))}
    texts = list(pages)
    assert all(pages[a] != pages[b] for a, b in itertools.pairwise(texts)), "a keystroke that changes no row"

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
        watch = FrameWatch(app)

        def table() -> DataTable[Any]:
            return app.screen.query_one("#people-table", DataTable)

        def shows(text: str) -> Callable[[], bool]:
            def check() -> bool:
                return (isinstance(app.screen, PeopleScreen) and app.screen.query_one("#people-search", Input).value
                        == text and [row.value for row in table().rows] == pages[text])
            return check

        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for _ in range(3):
                times["open"].append(await watch.press("f3", shows("")))
                await settle(pilot)
                for n in range(1, len(WORD) + 1):
                    await asyncio.sleep(KEY_GAP_S)
                    times["key"].append(await watch.press(WORD[n - 1], shows(WORD[:n])))
                    await settle(pilot)
                await pilot.press(*["backspace"] * len(WORD))
                await settle(pilot)
                await asyncio.sleep(KEY_GAP_S)
                for letter in WORD[:-1]:
                    watch.send(letter)
                    await asyncio.sleep(BURST_GAP_S)
                times["burst"].append(await watch.press(WORD[-1], shows(WORD)))
                await settle(pilot)
                await pilot.press(*["backspace"] * len(WORD), "down")  # Down: from the search box into the list
                await settle(pilot)
                assert app.screen.focused is table() and table().cursor_row == 0
                for row in range(1, 6):
                    times["move"].append(await watch.press("down", lambda row=row: table().cursor_row == row))
                    await settle(pilot)
                await pilot.press("f2")
                await settle(pilot)

    asyncio.run(main())
    store.dispose()
    return {"open": min(times["open"]),
            **{what: sorted(times[what])[len(times[what]) // 2] for what in ("key", "burst", "move")}}


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = _build(Path(folder))
        cold = _cold_start(url)
        app = _app_times(url)
    scale = CPU_REF_S / cpu_baseline()
    opened, key, burst, move = app["open"], app["key"], app["burst"], app["move"]
    # The debounce's wait is the clock's, not the CPU's: it is not scaled.
    burst_scaled = max(burst - SEARCH_DELAY, 0.0) * scale + SEARCH_DELAY
    label = f"{SCHOOLS}-school demo district"
    return [
        Result(f"(k) app cold start to the login screen, {label}", cold * scale, 1.0, "s",
               f"{cold:.2f} s here beyond the bare interpreter's start"),
        Result(f"(k) opening the Students list, {label}", opened * scale, 0.3, "s", f"{opened * 1000:.0f} ms here"),
        Result(f"(k) keystroke in the search to updated results (median), {label}", key * scale, 0.1, "s",
               f"{key * 1000:.0f} ms here"),
        Result(f"(k) last key of a fast burst to updated results (median), {label}", burst_scaled, 0.1, "s",
               f"{burst * 1000:.0f} ms here, keys {BURST_GAP_S * 1000:.0f} ms apart, so the debounce waits"),
        Result(f"(k) cursor one row down (median), {label}", move * scale, 0.05, "s", f"{move * 1000:.0f} ms here"),
    ]
