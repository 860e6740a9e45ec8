"""Key bindings with ids and catalogue labels.

Every binding of the app has an `id` (the name users remap in the config file's [keymap] section) and its
description is the catalogue key `key.<id>`; the footer, the help window and the command palette show the
translation, so bindings can be declared at import time while the language is chosen at start.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.dom import DOMNode

from zhurnal.tui.i18n import t

PREFIX = "key."


def bind(binding_id: str, key: str, action: str, *, show: bool = True, priority: bool = False) -> Binding:
    """A binding named `binding_id` whose label is the catalogue's `key.<binding_id>`."""
    return Binding(key, action, PREFIX + binding_id, show=show, priority=priority, id=binding_id)


def label(binding: Binding) -> str:
    """The binding's description in the current language."""
    return t(binding.description) if binding.description.startswith(PREFIX) else binding.description


def own(binding: Binding) -> bool:
    """A binding of this app (not one of Textual's built-in widget bindings)."""
    return binding.id is not None and binding.description.startswith(PREFIX)


def screen_keys(node: DOMNode) -> list[tuple[str, str, Binding, DOMNode]]:
    """(key as shown, label, binding, namespace) of the app's own bindings active on `node`'s screen, in the
    order the footer shows them; one line per binding id."""
    app = node.app
    seen: set[str] = set()
    rows = []
    for active in node.screen.active_bindings.values():
        binding = active.binding
        if not own(binding) or binding.id in seen or active.enabled is False:
            continue
        seen.add(str(binding.id))
        keys = [b.binding for b in node.screen.active_bindings.values() if b.binding.id == binding.id]
        shown = ", ".join(app.get_key_display(b) for b in keys)
        rows.append((shown, label(binding), binding, active.node))
    return rows


def key_display(node: DOMNode, binding_id: str) -> str:
    """The key(s) bound to `binding_id` on `node`'s screen as the footer and the help show them, so a text
    naming the key follows the config's [keymap] (empty when nothing on the screen is bound to it)."""
    app = node.app
    shown: list[str] = []
    for active in node.screen.active_bindings.values():
        if active.binding.id == binding_id:
            display = app.get_key_display(active.binding)
            if display not in shown:
                shown.append(display)
    return ", ".join(shown)
