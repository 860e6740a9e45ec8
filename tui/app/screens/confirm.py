"""A question before something that cannot be undone: Yes or No, the answer goes to the caller's callback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from zhurnal.tui.app.keys import bind
from zhurnal.tui.i18n import t


class ConfirmScreen(ModalScreen[bool]):
    """`push_screen(ConfirmScreen(title, question, lines), callback)`: the callback gets True for Yes.

    Enter presses the focused button (No first when `default_yes` is False, for destructive actions);
    Ctrl+Y is Yes and Escape is No from anywhere in the window.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("confirm.yes", "ctrl+y", "answer(True)"),
        bind("confirm.no", "escape", "answer(False)"),
    ]

    def __init__(self, title: str, question: str, lines: Sequence[str] = (), *, yes: str | None = None,
                 no: str | None = None, default_yes: bool = True) -> None:
        super().__init__(classes="confirm-screen")
        self.heading = title
        self.question = question
        self.lines = list(lines)
        self.yes_label = yes or t("confirm.yes")
        self.no_label = no or t("confirm.no")
        self.default_yes = default_yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = self.heading
            yield Static(Text(self.question), id="confirm-question")
            if self.lines:
                with VerticalScroll(id="confirm-lines"):
                    yield Static(Text("\n".join(self.lines)))
            with Horizontal(id="confirm-buttons"):
                yield Button(self.yes_label, id="confirm-yes", variant="primary", compact=True)
                yield Button(self.no_label, id="confirm-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-yes" if self.default_yes else "#confirm-no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def leave_form(screen: Screen[None], unsaved: bool, question: str | None = None) -> None:
    """Close a form: at once when nothing typed would be lost, else after asking (No is the default)."""
    if not unsaved:
        screen.dismiss(None)
        return

    def answered(yes: bool | None) -> None:
        if yes:
            screen.dismiss(None)

    screen.app.push_screen(ConfirmScreen(t("form.discard.title"), question or t("form.discard.question"),
                                         yes=t("form.discard.yes"), no=t("form.discard.no"),
                                         default_yes=False), answered)
