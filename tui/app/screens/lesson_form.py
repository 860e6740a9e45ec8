"""One lesson of a journal: its date, number, topic and homework. Moving it to another date or number first
says how many marks and attendance records go with it (LessonImpact) and asks."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.journal import LessonView
from zhurnal.core.validation import Problem, parse_date
from zhurnal.tui.app import journal_workers
from zhurnal.tui.app.journal_messages import ImpactLoaded, LessonChanged
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import FormRefused
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen, leave_form
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.i18n import t


class LessonFormScreen(AppScreen):
    """Edit a lesson (read-only journals show it without saving). After a save `saved` holds the lesson."""

    TITLE_KEY = "lesson.title"
    HELP_KEY = "help.lesson_form"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "back"),
    ]

    def __init__(self, assignment_id: int, lesson: LessonView, *, writable: bool = True) -> None:
        super().__init__()
        self.assignment_id = assignment_id
        self.lesson = lesson
        self.writable = writable
        self.saved: LessonView | None = None
        self.saving = False
        self.pending: tuple[date, int, str | None, str | None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="lesson-form"):
            yield Field(t("lesson.field.day"), Input(id="lesson-day", placeholder=t("form.date.placeholder"),
                                                     compact=True), "day")
            yield Field(t("lesson.field.number"), Input(id="lesson-number", compact=True), "number")
            yield Field(t("lesson.field.topic"), Input(id="lesson-topic", compact=True), "topic")
            yield Field(t("lesson.field.homework"), Input(id="lesson-homework", compact=True), "homework")
            yield Static("", id="lesson-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        lesson = self.lesson
        self.sub_title = t("lesson.heading", day=day(lesson.day), number=lesson.number)
        values = {"day": day(lesson.day), "number": str(lesson.number), "topic": lesson.topic or "",
                  "homework": lesson.homework or ""}
        for name, value in values.items():
            editor = self.query_one(f"#lesson-{name}", Input)
            editor.value = value
            editor.disabled = not self.writable
        if not self.writable:
            self.say([], t("lesson.read_only"))
        self.query_one("#lesson-topic", Input).focus()

    def value(self, name: str) -> str:
        return self.query_one(f"#lesson-{name}", Input).value

    def changed(self) -> bool:
        lesson = self.lesson
        return (self.value("day") != day(lesson.day) or self.value("number") != str(lesson.number)
                or self.value("topic") != (lesson.topic or "") or self.value("homework") != (lesson.homework or ""))

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.focus_next()

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#lesson-message", Static), problems, text, error=self.writable)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.writable if action == "save" else True

    def action_save(self) -> None:
        if self.saving or not self.writable:
            return
        when, problems = parse_date(self.value("day"), "day", required=True)
        number_text = self.value("number").strip()
        if not number_text.isdigit():
            problems.append(Problem("number", "bad_format", t("lesson.number.bad", value=number_text)))
        if problems or when is None:
            self.say(problems)
            return
        self.pending = (when, int(number_text), self.value("topic") or None, self.value("homework") or None)
        self.saving = True
        self.query_one("#lesson-form").loading = True
        if (when, int(number_text)) != (self.lesson.day, self.lesson.number):
            self.load_impact()
        else:
            self.save(*self.pending)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lesson-save")
    def load_impact(self) -> None:
        try:
            impact = journal_workers.lesson_impact(self.ctx, self.lesson.id)
        except ZhurnalError as exc:
            self.post_message(FormRefused([], str(exc)))
            return
        self.post_message(ImpactLoaded(self.lesson, impact, "move"))

    @on(ImpactLoaded)
    def ask_move(self, message: ImpactLoaded) -> None:
        self.finish_loading()
        pending = self.pending
        if pending is None:
            return
        impact = message.impact

        def answered(yes: bool | None) -> None:
            if yes:
                self.saving = True
                self.query_one("#lesson-form").loading = True
                self.save(*pending)

        self.app.push_screen(ConfirmScreen(
            t("lesson.move.title"), t("lesson.move.question", day=day(pending[0]), number=pending[1]),
            [t("journal.impact", marks=impact.marks, attendance=impact.attendance)], yes=t("lesson.move.yes"),
            default_yes=False), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lesson-save")
    def save(self, when: date, number: int, topic: str | None, homework: str | None) -> None:
        try:
            lesson, _impact = journal_workers.update_lesson(self.ctx, self.lesson, when, number, topic, homework)
        except ZhurnalError as exc:  # the date and number are taken, or someone changed the lesson meanwhile
            self.post_message(FormRefused.of(exc))
        else:
            self.saved = lesson  # before the message: the grid reads it once the form is dismissed
            self.post_message(LessonChanged(lesson.id))

    def finish_loading(self) -> None:
        self.saving = False
        self.query_one("#lesson-form").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say(message.problems, message.text)

    @on(LessonChanged)
    def done(self, message: LessonChanged) -> None:
        message.stop()
        self.finish_loading()
        self.app.notify(t("lesson.saved"), timeout=3)
        self.dismiss(None)

    def action_back(self) -> None:
        leave_form(self, self.writable and self.changed())
