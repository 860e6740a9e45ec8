"""What every screen of the app shares: its title and help text from the catalogue, the Context, and the
handling of a failed core call."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import events, on
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from zhurnal.tui.app.context import Context
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.i18n import t

if TYPE_CHECKING:
    from zhurnal.tui.app.app import ZhurnalApp


class AppScreen(Screen[None]):
    """A screen of the app. Subclasses name their catalogue keys and override `finish_loading`."""

    TITLE_KEY: ClassVar[str] = "app.title"
    HELP_KEY: ClassVar[str] = "help.app"

    @property
    def zapp(self) -> ZhurnalApp:
        return cast("ZhurnalApp", self.app)

    @property
    def ctx(self) -> Context:
        return self.zapp.ctx

    def screen_title(self) -> str:
        return t(self.TITLE_KEY)

    def help_text(self) -> str:
        return t(self.HELP_KEY)

    def on_mount(self) -> None:
        self.title = t("app.title")
        self.sub_title = self.screen_title()

    def finish_loading(self) -> None:
        """Take down every loading state of the screen (a call ended, well or not)."""

    @on(CallFailed)
    def show_failure(self, message: CallFailed) -> None:
        self.notify(message.text, title=t("error.title"), severity="error", timeout=8)
        self.finish_loading()

    def on_key(self, event: events.Key) -> None:
        # In a form, Up and Down move between the one-line fields, as in the console forms school staff know;
        # only keys nothing else took (a list under a search box binds Down itself) reach this handler.
        if event.key in ("down", "up") and isinstance(self.focused, Input):
            event.stop()
            if event.key == "down":
                self.focus_next()
            else:
                self.focus_previous()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A worker that raised something other than the core's errors: say so and keep the app running.
        if event.state is WorkerState.ERROR:
            self.notify(t("error.unexpected", detail=str(event.worker.error)), title=t("error.title"),
                        severity="error", timeout=10)
            self.finish_loading()
