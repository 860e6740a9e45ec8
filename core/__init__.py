"""zhurnal.core: the school store and the services that are the only way to reach it.

Nothing here imports the user interface; `import zhurnal.core` stays light (heavy modules are imported
where they are used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zhurnal.core.version import __version__

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # The version is read from the installed package's metadata (importlib.metadata scans sys.path): only
    # when asked for, not on every start of the app (issue #4, cold start).
    if name == "__version__":
        from zhurnal.core.version import __version__

        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
