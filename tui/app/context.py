"""What every screen needs to call the core: the store, the signed-in actor and the day the screens work on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from time import monotonic

from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store

PAGE_SIZE = 50
"""Rows fetched per page of a people list (keyset pagination: the next page starts after the last row)."""

SEARCH_DELAY = 0.05
"""Seconds a search typed right after another keystroke waits for the next one before querying (the debounce,
see `Debounce`). A page query takes a few milliseconds on the demo district, and an answer to an older search
is dropped by token anyway."""


@dataclass
class Context:
    """The app's connection to the core; screens read it, only the login screen sets `actor`."""

    store: Store
    actor: Actor | None = None
    today: date | None = None  # None: the real date at each call
    school_code: str | None = None
    page_size: int = PAGE_SIZE
    search_delay: float = SEARCH_DELAY

    def day(self) -> date:
        return self.today or date.today()

    def signed_in(self) -> Actor:
        """The actor; screens behind the login screen only run once it is set."""
        if self.actor is None:
            raise RuntimeError("no one is signed in")
        return self.actor

    def can(self, action: str) -> bool:
        """Whether the actor holds `action` (to skip a call that would only be refused and audited)."""
        return self.actor is not None and action in self.actor.actions


class Debounce:
    """A leading-edge debounce for search as you type: a keystroke after a pause searches at once, one that
    follows the previous keystroke within `delay` seconds (fast typing, a held key, a paste) waits `delay`
    for the next one first.

    The wait only saves queries when keys come faster than `delay` apart; for ordinary typing it would only
    add `delay` to every keystroke's "keystroke to updated results" (issue #4: under 100 ms)."""

    def __init__(self, clock: Callable[[], float] = monotonic) -> None:
        self._clock = clock
        self._last: float | None = None

    def wait(self, delay: float) -> float:
        """Seconds the search of the keystroke made now should wait (0.0 or `delay`)."""
        now = self._clock()
        busy = self._last is not None and now - self._last < delay
        self._last = now
        return delay if busy else 0.0
