"""What every screen needs to call the core: the store, the signed-in actor and the day the screens work on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store

PAGE_SIZE = 50
"""Rows fetched per page of a people list (keyset pagination: the next page starts after the last row)."""

SEARCH_DELAY = 0.05
"""Seconds a search waits for the next keystroke before querying (the debounce). It is part of what a keystroke
costs until the results change (issue #4: under 100 ms), so short: a page query takes a few milliseconds on
the 5-school district, and an answer to an older search is dropped by token anyway."""


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
