"""The diary (read-only): a student's week by day — lessons with subject, topic, homework, marks with their
kind of work, attendance — and the term marks confirmed so far. A parent first picks a child (F7 changes).
Left and Right move by week, Ctrl+Left and Ctrl+Right jump to the start of the previous or next term, Home
comes back to this week. For students and parents this is the start screen (docs/tui.md)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.diary import DiaryChild, DiaryLesson, DiaryWeek
from zhurnal.tui.app import journal_workers
from zhurnal.tui.app.journal_labels import attendance_name, weekday
from zhurnal.tui.app.journal_messages import DiaryChildrenLoaded, DiaryLoaded
from zhurnal.tui.app.journal_workers import DiaryData
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day, period
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t

ABSENT = "bold red"


class ChildChooser(ModalScreen[int | None]):
    """Whose diary: one line per child; Enter picks, Escape keeps the current one."""

    BINDINGS: ClassVar[list[BindingType]] = [bind("screen.back", "escape", "dismiss_none")]

    def __init__(self, children: list[DiaryChild]) -> None:
        super().__init__(classes="confirm-screen")
        self.children_ = children

    def compose(self) -> ComposeResult:
        options = OptionList(*[Option(f"{c.full_name}  {c.class_name or ''}".rstrip(), id=str(c.student_id))
                               for c in self.children_], id="diary-children")
        options.border_title = t("diary.choose")
        yield options

    def on_mount(self) -> None:
        self.query_one("#diary-children", OptionList).focus()

    @on(OptionList.OptionSelected, "#diary-children")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id) if event.option.id else None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class DiaryScreen(AppScreen):
    """One student's week; `student_id` and `day` are what is shown."""

    TITLE_KEY = "diary.title"
    HELP_KEY = "help.diary"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "back"),
        # Priority: the scrolling body would take Left, Right and Home for itself.
        bind("diary.prev_week", "left", "week(-1)", priority=True),
        bind("diary.next_week", "right", "week(1)", priority=True),
        bind("diary.prev_term", "ctrl+left", "term(-1)", show=False, priority=True),
        bind("diary.next_term", "ctrl+right", "term(1)", show=False, priority=True),
        bind("diary.this_week", "home", "this_week", show=False, priority=True),
        bind("diary.child", "f7", "choose_child"),
    ]

    def __init__(self) -> None:
        super().__init__(id="diary-screen")
        self.children_list: list[DiaryChild] = []
        self.student_id: int | None = None
        self.day: date | None = None
        self.data: DiaryData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="diary-head")
        with VerticalScroll(id="diary"):
            yield Static(t("dashboard.loading"), id="diary-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.day = self.ctx.day()
        self.query_one("#diary").focus()
        self.load_children()

    @work(thread=True, exclusive=True, exit_on_error=False, group="diary-children")
    def load_children(self) -> None:
        try:
            children = journal_workers.diary_children(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "diary"))
            return
        self.post_message(DiaryChildrenLoaded(children))

    @on(DiaryChildrenLoaded)
    def children_loaded(self, message: DiaryChildrenLoaded) -> None:
        self.children_list = message.children
        if not message.children:
            self.query_one("#diary-body", Static).update(t("diary.none"))
            return
        if len(message.children) == 1:
            self.show_child(message.children[0].student_id)
        else:
            self.action_choose_child()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose_child":
            return len(self.children_list) > 1
        if action in ("week", "term", "this_week"):
            return self.student_id is not None
        return True

    def action_back(self) -> None:
        from zhurnal.tui.app.app import BASE_DEPTH

        if len(self.app.screen_stack) > BASE_DEPTH:  # the start screen of a student stays
            self.app.pop_screen()

    def action_choose_child(self) -> None:
        def chosen(student_id: int | None) -> None:
            if student_id is not None:
                self.show_child(student_id)

        self.app.push_screen(ChildChooser(self.children_list), chosen)

    def show_child(self, student_id: int) -> None:
        self.student_id = student_id
        self.reload()

    def reload(self) -> None:
        if self.student_id is None or self.day is None:
            return
        self.query_one("#diary").loading = True
        self.load(self.student_id, self.day)

    @work(thread=True, exclusive=True, exit_on_error=False, group="diary")
    def load(self, student_id: int, when: date) -> None:
        try:
            data = journal_workers.diary_week(self.ctx, student_id, when)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "diary"))
            return
        self.post_message(DiaryLoaded(data))

    def finish_loading(self) -> None:
        self.query_one("#diary").loading = False

    @on(DiaryLoaded)
    def loaded(self, message: DiaryLoaded) -> None:
        self.finish_loading()
        self.data = message.data
        week = message.data.week
        child = week.student
        head = Text(child.full_name, style="bold")
        if child.class_name:
            head.append(f" · {child.class_name}")
        head.append(" · " + t("diary.week", period=period(week.start, week.end)))
        self.query_one("#diary-head", Static).update(head)
        self.query_one("#diary-body", Static).update(self.render_week(week))
        self.refresh_bindings()

    # ---------------------------------------------------------------------------------------- moving

    def action_week(self, step: int) -> None:
        if self.day is not None:
            self.day += timedelta(days=7 * step)
            self.reload()

    def action_this_week(self) -> None:
        self.day = self.ctx.day()
        self.reload()

    def action_term(self, step: int) -> None:
        data = self.data
        if data is None or not data.terms:
            self.notify(t("diary.no_terms"), timeout=4)
            return
        week = data.week
        starts = sorted(start for _name, start, _end in data.terms)
        if step < 0:
            found = [s for s in starts if s < week.start]
            target = found[-1] if found else None
        else:
            found = [s for s in starts if s > week.end]
            target = found[0] if found else None
        if target is None:
            self.notify(t("diary.no_more_terms"), timeout=4)
            return
        self.day = target
        self.reload()

    # --------------------------------------------------------------------------------------- drawing

    @staticmethod
    def render_week(week: DiaryWeek) -> RenderableType:
        parts: list[RenderableType] = []
        by_day: dict[date, list[DiaryLesson]] = {}
        for lesson in week.lessons:
            by_day.setdefault(lesson.day, []).append(lesson)
        if not by_day:
            parts.append(Text(t("diary.no_lessons"), style="italic"))
        for when in sorted(by_day):
            parts.append(Text(f"{weekday(when.weekday())} {day(when)}", style="bold underline"))
            table = Table.grid(padding=(0, 1), expand=True)
            table.add_column(width=2, justify="right")
            table.add_column(width=16)
            table.add_column(ratio=1)
            table.add_column(width=24)
            for lesson in by_day[when]:
                about = Text(lesson.topic or "")
                if lesson.homework:
                    about.append(("\n" if lesson.topic else "") + t("diary.homework", text=lesson.homework),
                                 style="italic")
                result = Text(", ".join(f"{m.value} ({m.work_type})" for m in lesson.marks), style="bold")
                if lesson.attendance is not None and lesson.attendance != "present":
                    result.append((" " if lesson.marks else "") + attendance_name(lesson.attendance), style=ABSENT)
                table.add_row(str(lesson.number), lesson.subject, about, result)
            parts.append(table)
            parts.append(Text(""))
        if week.term_marks:
            parts.append(Text(t("diary.term_marks"), style="bold underline"))
            marks = Table.grid(padding=(0, 2))
            marks.add_column()
            marks.add_column()
            by_subject: dict[str, list[str]] = {}
            for mark in week.term_marks:
                label = t("diary.year_mark") if mark.term_number == 0 else str(mark.term_number)
                by_subject.setdefault(mark.subject, []).append(f"{label}: {mark.value}")
            for subject, values in by_subject.items():
                marks.add_row(subject, "  ".join(values))
            parts.append(marks)
        return Group(*parts)
