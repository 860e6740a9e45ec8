"""zhurnal.core: the school store and the services that are the only way to reach it.

Nothing here imports the user interface; `import zhurnal.core` stays light (heavy modules are imported
where they are used).
"""

from zhurnal.core.version import __version__

__all__ = ["__version__"]
