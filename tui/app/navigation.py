"""The keys that open the main screens, the same on every screen after login."""

from __future__ import annotations

from textual.binding import Binding

from zhurnal.tui.app.keys import bind

# binding id -> (key, target of App.action_open)
NAV: dict[str, tuple[str, str]] = {
    "nav.dashboard": ("f2", "dashboard"),
    "nav.students": ("f3", "student"),
    "nav.staff": ("f4", "staff"),
    "nav.parents": ("f5", "parent"),
    "nav.classes": ("f6", "classes"),
    "nav.orders": ("f8", "orders"),  # f7 is the class filter of the students list
}

# Keys the dashboard's footer leaves out: 80 columns hold five screens besides help and quit. They are in the
# help window (F1) and the palette like every other key.
NOT_IN_FOOTER = frozenset({"nav.orders"})


def nav_bindings(*, show: bool) -> list[Binding]:
    """The navigation bindings; the app holds them hidden, the dashboard shows them in its footer."""
    return [bind(binding_id, key, f"app.open('{target}')", show=show and binding_id not in NOT_IN_FOOTER)
            for binding_id, (key, target) in NAV.items()]
