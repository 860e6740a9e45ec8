"""The search debounce of the console's lists (tui/app/context.Debounce), on a clock the test moves."""

from __future__ import annotations

from zhurnal.tui.app.context import Debounce


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_keystroke_after_a_pause_searches_at_once_and_fast_typing_waits() -> None:
    clock = Clock()
    debounce = Debounce(clock)
    # Times in binary fractions, so the sums are exact.
    assert debounce.wait(0.5) == 0.0  # the first keystroke
    clock.now += 1.5  # typing with keys further apart than the delay
    assert debounce.wait(0.5) == 0.0
    clock.now += 0.25  # a held key or a paste
    assert debounce.wait(0.5) == 0.5
    clock.now += 0.25  # still fast: measured from the previous keystroke, not the first of the burst
    assert debounce.wait(0.5) == 0.5
    clock.now += 0.5  # a pause as long as the delay ends the burst
    assert debounce.wait(0.5) == 0.0


def test_no_delay_never_waits() -> None:
    clock = Clock()
    debounce = Debounce(clock)
    assert debounce.wait(0.0) == 0.0
    assert debounce.wait(0.0) == 0.0
