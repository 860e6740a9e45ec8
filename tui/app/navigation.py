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
}


def nav_bindings(*, show: bool) -> list[Binding]:
    """The navigation bindings; the app holds them hidden, the dashboard shows them in its footer."""
    return [bind(binding_id, key, f"app.open('{target}')", show=show)
            for binding_id, (key, target) in NAV.items()]
