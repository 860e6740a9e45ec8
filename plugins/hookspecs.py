"""The hooks a zhurnal plugin can implement (markers named "zhurnal").

Every hook receives a `register(...)` callback instead of returning values, so the host validates what
each plugin provides and reports a bad registration against that plugin without stopping the others.
Hooks are only ever extended: a new argument may be added (an implementation asks only for the arguments it
names), none is removed or renamed. docs/plugins.md documents every hook and argument; a test checks it.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("zhurnal")


@hookspec
def register_permissions(register: Any) -> None:
    """Declare the actions (permissions) the plugin's importers and exporters need beyond the built-in ones.

    :param register: call ``register(name, description, roles=("admin",))`` once per action. ``name`` is a
        dotted lower-case name ("import.oneroster"), ``description`` one line of text, ``roles`` the
        built-in roles that hold the action. Called before `register_importers` and `register_exporters`.

    .. versionadded:: 0.1
    """


@hookspec
def register_importers(register: Any) -> None:
    """Provide importers: each one reads one file format into tables of text cells.

    :param register: call ``register(importer)`` with an instance of a subclass of
        ``zhurnal.plugins.Importer``; the host checks its name, title, extensions, entities and actions.

    .. versionadded:: 0.1
    """


@hookspec
def register_exporters(register: Any) -> None:
    """Provide exporters: each one writes tables of cells to one file format.

    :param register: call ``register(exporter)`` with an instance of a subclass of
        ``zhurnal.plugins.Exporter``; the host checks its name, title, extension, entities and actions.

    .. versionadded:: 0.1
    """
