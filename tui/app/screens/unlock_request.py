"""A teacher asks the administration to open lessons behind the grade-entry lock: the dates and a reason."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.validation import Problem, parse_date
from zhurnal.tui.app import journal_workers
from zhurnal.tui.app.journal_messages import UnlockRequested
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import FormRefused
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.i18n import t


class UnlockRequestScreen(AppScreen):
    """The request form; `sent` holds the request once the core took it."""

    TITLE_KEY = "unlock.request.title"
    HELP_KEY = "help.unlock_request"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "app.pop_screen"),
    ]

    def __init__(self, assignment_id: int, first: date, last: date) -> None:
        super().__init__()
        self.assignment_id = assignment_id
        self.first, self.last = first, last
        self.sent = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="unlock-form"):
            yield Field(t("unlock.field.from"), Input(day(self.first), id="unlock-from", compact=True), "from_day")
            yield Field(t("unlock.field.to"), Input(day(self.last), id="unlock-to", compact=True), "to_day")
            yield Field(t("unlock.field.reason"), Input(id="unlock-reason", compact=True), "reason")
            yield Static("", id="unlock-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#unlock-reason", Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "unlock-reason":
            self.action_save()
        else:
            self.focus_next()

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#unlock-message", Static), problems, text)

    def action_save(self) -> None:
        first, problems = parse_date(self.query_one("#unlock-from", Input).value, "from_day", required=True)
        last, more = parse_date(self.query_one("#unlock-to", Input).value, "to_day", required=True)
        if problems or more or first is None or last is None:
            self.say(problems + more)
            return
        self.send(first, last, self.query_one("#unlock-reason", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock-request")
    def send(self, first: date, last: date, reason: str) -> None:
        try:
            request = journal_workers.request_unlock(self.ctx, self.assignment_id, first, last, reason)
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(UnlockRequested(request))

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.say(message.problems, message.text)

    @on(UnlockRequested)
    def done(self, message: UnlockRequested) -> None:
        self.sent = True
        self.app.notify(t("unlock.request.sent", start=day(message.request.from_day),
                          end=day(message.request.to_day)), timeout=5)
        self.dismiss(None)
