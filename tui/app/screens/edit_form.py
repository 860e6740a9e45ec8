"""A small form over one core call (a subject, a curriculum item, an assignment, a setting, a term).

A subclass yields its fields and turns them into a call (`gather`); the call runs in a thread worker and the
core's refusals come back under the fields that `Problem.field` names, as on the person form. After a save
`saved` holds what the service returned and the form closes; Escape with edits asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Select, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.validation import Problem
from zhurnal.tui.app.context import Context
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import FormRefused
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import leave_form
from zhurnal.tui.app.structure_messages import FormDone
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import say_problems

Call = Callable[[Context], object]


class EditFormScreen(AppScreen):
    """Subclasses set TITLE_KEY/HELP_KEY and implement `fields`, `gather` and `done_text`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "back"),
    ]
    CONFLICT_FIELD: ClassVar[str | None] = None
    """The field a Conflict is shown under (a name already taken); None: under the form."""
    DEFAULT_CSS = """
    #edit-form { padding: 0 1; }
    #edit-heading { text-style: bold; margin-top: 1; }
    #edit-message { height: auto; margin-top: 1; }
    #edit-message.-error { color: $error; }
    """

    def __init__(self, heading: str = "") -> None:
        super().__init__(classes="edit-form-screen")
        self.heading = heading
        self.saved: object | None = None
        self.saving = False
        self._initial: list[object] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="edit-form"):
            if self.heading:
                yield Static(self.heading, id="edit-heading")
            yield from self.fields()
            yield Static("", id="edit-message")
        yield KeyFooter()

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def gather(self) -> tuple[Call | None, list[Problem]]:
        """The core call the form describes (run in a worker), or the problems that stop it."""
        raise NotImplementedError

    def done_text(self, result: object) -> str:
        """What the notification says after a save."""
        raise NotImplementedError

    def on_mount(self) -> None:
        super().on_mount()
        self._initial = self.values()
        first = next(iter(self.query("#edit-form Input, #edit-form Select")), None)
        if first is not None:
            first.focus()

    def values(self) -> list[object]:
        return [w.value for w in self.query("#edit-form Input, #edit-form Select")]  # type: ignore[attr-defined]

    def dirty(self) -> bool:
        return self.values() != self._initial

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        # Enter in a field moves on, like Tab (Ctrl+S saves from anywhere).
        event.stop()
        self.focus_next()

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#edit-message", Static), problems, text)

    def action_save(self) -> None:
        if self.saving:
            return
        call, problems = self.gather()
        if call is None:
            self.say(problems)
            return
        self.say([])
        self.run_call(call)

    def run_call(self, call: Call) -> None:
        self.saving = True
        self.query_one("#edit-form").loading = True
        self.save(call)

    @work(thread=True, exclusive=True, exit_on_error=False, group="edit-form")
    def save(self, call: Call) -> None:
        try:
            result = call(self.ctx)
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc, conflict_field=self.CONFLICT_FIELD))
        else:
            self.post_message(FormDone(result))

    def finish_loading(self) -> None:
        self.saving = False
        self.query_one("#edit-form").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        message.stop()
        self.finish_loading()
        self.say(message.problems, message.text)

    @on(FormDone)
    def done(self, message: FormDone) -> None:
        message.stop()
        self.finish_loading()
        self.saved = message.result
        self.app.notify(self.done_text(message.result), timeout=4)
        self.dismiss(None)

    def action_back(self) -> None:
        leave_form(self, self.dirty())


def chosen_int(select: Select[int]) -> int | None:
    """A Select's value, None while nothing is chosen."""
    value = select.value
    return value if isinstance(value, int) else None
