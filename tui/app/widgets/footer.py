"""The footer with the key labels in the interface language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not exported by textual.widgets; pinned by the tests

from zhurnal.tui.app.keys import PREFIX
from zhurnal.tui.i18n import t


class KeyFooter(Footer):
    """Textual's footer, compact (80 columns hold the keys of every screen); the descriptions of the app's
    bindings are catalogue keys, translated here."""

    def __init__(self) -> None:
        super().__init__(compact=True)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description.startswith(PREFIX):
                widget.description = t(widget.description)
            yield widget
