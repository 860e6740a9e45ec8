"""The full-screen administrator console (Textual).

Importing this package is cheap: Textual is imported by `create_app` and `run`, so `zhurnal --version` and
cron commands never load it. `run` is what `zhurnal` with no command calls on a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zhurnal.core.config import Config
    from zhurnal.core.permissions import Actor
    from zhurnal.core.store import Store
    from zhurnal.tui.app.app import ZhurnalApp


def create_app(store: Store, *, lang: str | None = None, config: Config | None = None, actor: Actor | None = None,
               today: date | None = None, school_code: str | None = None,
               clock: Callable[[], float] | None = None) -> ZhurnalApp:
    """The app for `store`, with the language and key map of the config file (read when `config` is None).

    `lang` (the command line's --lang) wins over the config's [ui] lang; `actor` skips the login screen (tests
    of the screens after login); `today` fixes the date the screens work on (tests; None means the real day);
    `clock` replaces the monotonic clock the idle lock reads (tests).
    """
    from zhurnal.core import config as config_module
    from zhurnal.tui.app.app import ZhurnalApp

    warning = None
    if config is None:
        try:
            config = config_module.load()
        except config_module.ConfigError as exc:  # a bad config file must not keep the administrator out
            config, warning = config_module.Config(), str(exc)
    app = ZhurnalApp(store, lang=lang or config.lang, keymap=config.keymap, actor=actor, today=today,
                     school_code=school_code, startup_warning=warning)
    if clock is not None:
        app.clock = clock
        app.last_input = clock()
    return app


def run(store: Store, *, lang: str | None = None, school_code: str | None = None) -> int:
    """Run the app on this terminal until the user quits; returns the exit code."""
    app = create_app(store, lang=lang, school_code=school_code)
    app.run()
    return int(app.return_code or 0)
