"""Subjects and the curriculum: the school's subjects beside the current year's plan of one grade.

The subjects list creates, renames, archives and brings back subjects; the plan sets the weekly hours of a
subject in the grade (0 hours, or Delete, takes it out). The keys follow the focus: F9 adds a subject in the
subjects list and a subject to the plan in the plan; Enter edits, Delete archives or takes out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, Input, Label, Select, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.classes import MAX_PARALLEL, MIN_PARALLEL
from zhurnal.core.services.curriculum import CurriculumRow
from zhurnal.core.services.subjects import SubjectView
from zhurnal.core.services.years import YearView
from zhurnal.core.validation import Problem
from zhurnal.tui.app import structure_workers as calls
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.edit_form import Call, EditFormScreen, chosen_int
from zhurnal.tui.app.structure_messages import ChangeDone, CurriculumLoaded, SubjectsLoaded
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field
from zhurnal.tui.i18n import t


def hours_text(hours: Decimal) -> str:
    """4.5 as "4,5" in Russian, whole hours without a fraction."""
    return f"{hours.normalize():f}".replace(".", t("format.decimal_point"))


def grade_title(grade: int) -> str:
    return t("curriculum.grade", grade=grade)


class SubjectTable(DataTable[Text]):
    """The subjects list; its keys act on the highlighted subject."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("subjects.new", "f9", "new"),
        bind("subjects.rename", "enter", "rename"),
        bind("subjects.archive", "delete", "archive"),
    ]

    @property
    def owner(self) -> SubjectsScreen:
        return cast("SubjectsScreen", self.screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "rename", "archive"):
            return self.owner.ctx.can("school.write") and (action == "new" or self.owner.subject() is not None)
        return True

    def action_new(self) -> None:
        self.owner.edit_subject(None)

    def action_rename(self) -> None:
        self.owner.edit_subject(self.owner.subject())

    def action_archive(self) -> None:
        self.owner.archive_subject()


class CurriculumTable(DataTable[str]):
    """The plan of the chosen grade; its keys act on the highlighted item."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("curriculum.add", "f9", "add"),
        bind("curriculum.change", "enter", "change"),
        bind("curriculum.remove", "delete", "remove"),
    ]

    @property
    def owner(self) -> SubjectsScreen:
        return cast("SubjectsScreen", self.screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add", "change", "remove"):
            if not self.owner.ctx.can("school.write") or self.owner.year is None:
                return False
            return action == "add" or self.owner.item() is not None
        return True

    def action_add(self) -> None:
        self.owner.edit_item(None)

    def action_change(self) -> None:
        self.owner.edit_item(self.owner.item())

    def action_remove(self) -> None:
        self.owner.remove_item()


class SubjectsScreen(AppScreen):
    """Left: the subjects; right: the chosen grade's weekly hours. Tab moves between them, F7 to the grade."""

    TITLE_KEY = "subjects.title"
    HELP_KEY = "help.subjects"
    EXTRA_OWNERS: ClassVar[tuple[type, ...]] = ()  # set below the forms
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("curriculum.grade", "f7", "grade"),
    ]
    DEFAULT_CSS = """
    #subjects-body { height: 1fr; }
    #subjects-pane { width: 34; height: 1fr; }
    .pane-title { height: 1; text-style: bold; }
    #subjects { height: 1fr; }
    #curriculum-pane { width: 1fr; height: 1fr; padding-left: 1; }
    #curriculum-bar { height: 1; }
    #curriculum-bar .pane-title { width: auto; margin-right: 1; }
    #curriculum-grade { width: 16; }
    #curriculum { height: 1fr; }
    #curriculum-total { height: 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__(id="subjects-screen")
        self.year: YearView | None = None
        self.subjects: dict[int, SubjectView] = {}
        self.items: dict[int, CurriculumRow] = {}
        self.grade = MIN_PARALLEL
        self.select_subject: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="subjects-body"):
            with Vertical(id="subjects-pane"):
                yield Static(t("subjects.list"), classes="pane-title")
                yield SubjectTable(id="subjects", cursor_type="row", zebra_stripes=True)
            with Vertical(id="curriculum-pane"):
                with Horizontal(id="curriculum-bar"):
                    yield Label(t("curriculum.title"), classes="pane-title")
                    yield Select([(grade_title(g), g) for g in range(MIN_PARALLEL, MAX_PARALLEL + 1)],
                                 id="curriculum-grade", value=self.grade, allow_blank=False, compact=True)
                yield CurriculumTable(id="curriculum", cursor_type="row", zebra_stripes=True)
                yield Static("", id="curriculum-total")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        subjects = self.query_one("#subjects", SubjectTable)
        subjects.add_column(t("subjects.col.name"), key="name")
        plan = self.query_one("#curriculum", CurriculumTable)
        plan.add_column(t("curriculum.col.subject"), key="subject")
        plan.add_column(t("curriculum.col.hours"), key="hours")
        subjects.focus()
        self.reload()

    # ------------------------------------------------------------------------------------------ loading

    def reload(self) -> None:
        self.query_one("#subjects", SubjectTable).loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="subjects")
    def load(self) -> None:
        try:
            data = calls.load_subjects(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "subjects"))
            return
        self.post_message(SubjectsLoaded(data))

    def reload_plan(self) -> None:
        if self.year is None:
            return
        self.query_one("#curriculum", CurriculumTable).loading = True
        self.load_plan(self.year.id, self.grade)

    @work(thread=True, exclusive=True, exit_on_error=False, group="curriculum")
    def load_plan(self, year_id: int, grade: int) -> None:
        try:
            rows, total = calls.load_curriculum(self.ctx, year_id, grade)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "curriculum"))
            return
        self.post_message(CurriculumLoaded(grade, rows, total))

    def finish_loading(self) -> None:
        self.query_one("#subjects", SubjectTable).loading = False
        self.query_one("#curriculum", CurriculumTable).loading = False

    @on(SubjectsLoaded)
    def subjects_loaded(self, message: SubjectsLoaded) -> None:
        table = self.query_one("#subjects", SubjectTable)
        table.loading = False
        table.clear()
        self.subjects = {s.id: s for s in message.data.subjects}
        for subject in message.data.subjects:
            name = Text(subject.name)
            if subject.archived:
                name.append(" " + t("subjects.archived"), style="dim italic")
            table.add_row(name, key=str(subject.id))
        if self.select_subject in self.subjects:
            table.move_cursor(row=table.get_row_index(str(self.select_subject)))
        first = self.year is None
        self.year = message.data.year
        if self.year is None:
            self.query_one("#curriculum-total", Static).update(t("dashboard.no_year"))
        else:
            self.sub_title = t("subjects.title.year", year=self.year.name)
            if first:
                self.reload_plan()
        self.refresh_bindings()

    @on(CurriculumLoaded)
    def plan_loaded(self, message: CurriculumLoaded) -> None:
        if message.grade != self.grade:
            return  # the user has chosen another grade meanwhile
        table = self.query_one("#curriculum", CurriculumTable)
        table.loading = False
        cursor = table.cursor_row
        table.clear()
        self.items = {row.subject_id: row for row in message.rows}
        for row in message.rows:
            table.add_row(row.subject_name, hours_text(row.hours), key=str(row.subject_id))
        if message.rows:
            table.move_cursor(row=min(cursor, len(message.rows) - 1))
        total = t("curriculum.total", grade=grade_title(self.grade), hours=hours_text(message.total)) \
            if message.rows else t("curriculum.empty", grade=grade_title(self.grade))
        self.query_one("#curriculum-total", Static).update(total)
        self.refresh_bindings()

    @on(Select.Changed, "#curriculum-grade")
    def grade_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int) and event.value != self.grade:
            self.grade = event.value
            self.reload_plan()

    def action_grade(self) -> None:
        self.query_one("#curriculum-grade", Select).focus()

    # ------------------------------------------------------------------------------------------ subjects

    def subject(self) -> SubjectView | None:
        return self.subjects.get(_row_key(self.query_one("#subjects", SubjectTable)) or 0)

    def item(self) -> CurriculumRow | None:
        return self.items.get(_row_key(self.query_one("#curriculum", CurriculumTable)) or 0)

    def edit_subject(self, subject: SubjectView | None) -> None:
        form = SubjectFormScreen(subject)

        def closed(_: None) -> None:
            if isinstance(form.saved, SubjectView):
                self.select_subject = form.saved.id
                self.reload()
                if subject is not None:
                    self.reload_plan()  # the plan shows the new name

        self.app.push_screen(form, closed)

    def archive_subject(self) -> None:
        subject = self.subject()
        if subject is None:
            return
        archive = not subject.archived
        if archive:
            title, question = t("subjects.archive.title"), t("subjects.archive.question", name=subject.name)
            yes, done = t("subjects.archive.yes"), t("subjects.archive.done", name=subject.name)
        else:
            title, question = t("subjects.unarchive.title"), t("subjects.unarchive.question", name=subject.name)
            yes, done = t("subjects.unarchive.yes"), t("subjects.unarchive.done", name=subject.name)

        def answered(answer: bool | None) -> None:
            if answer:
                self.select_subject = subject.id
                self.change(lambda ctx: calls.set_archived(ctx, subject, archive), done, plan=False)

        self.app.push_screen(ConfirmScreen(title, question, yes=yes, default_yes=False), answered)

    def edit_item(self, item: CurriculumRow | None) -> None:
        if self.year is None:
            return
        taken = set(self.items)
        choices = [s for s in self.subjects.values() if not s.archived and s.id not in taken]
        if item is None and not choices:
            self.notify(t("curriculum.no_subjects"), timeout=5)
            return
        form = CurriculumFormScreen(self.year, self.grade, item, choices)

        def closed(_: None) -> None:
            if form.saved is not None or form.removed:
                self.reload_plan()

        self.app.push_screen(form, closed)

    def remove_item(self) -> None:
        item, year = self.item(), self.year
        if item is None or year is None:
            return
        grade = grade_title(item.grade)

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(lambda ctx: calls.set_hours(ctx, year.id, item.grade, item.subject_id, "0"),
                            t("curriculum.remove.done", subject=item.subject_name, grade=grade), plan=True)

        self.app.push_screen(ConfirmScreen(t("curriculum.remove.title"),
                                           t("curriculum.remove.question", subject=item.subject_name,
                                             grade=grade, hours=hours_text(item.hours)),
                                           yes=t("curriculum.remove.yes"), default_yes=False), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="subjects-change")
    def change(self, call: Call, text: str, plan: bool) -> None:
        try:
            call(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "subjects"))
            return
        self.post_message(ChangeDone(text, "curriculum" if plan else "subjects"))

    @on(ChangeDone)
    def changed(self, message: ChangeDone) -> None:
        self.notify(message.text, timeout=4)
        if message.target == "curriculum":
            self.reload_plan()
        else:
            self.reload()


def _row_key(table: DataTable[str] | DataTable[Text]) -> int | None:
    if not table.row_count:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return int(key) if key is not None else None


# ------------------------------------------------------------------------------------------------- forms


class SubjectFormScreen(EditFormScreen):
    """A new subject (`subject` None) or a new name for one."""

    TITLE_KEY = "subject.title.new"
    HELP_KEY = "help.subject_form"
    CONFLICT_FIELD = "name"

    def __init__(self, subject: SubjectView | None) -> None:
        super().__init__()
        self.subject = subject

    def screen_title(self) -> str:
        return t("subject.title.edit", name=self.subject.name) if self.subject else t("subject.title.new")

    def fields(self) -> ComposeResult:
        subject = self.subject
        yield Field(t("subject.field.name"), Input(subject.name if subject else "", id="subject-name",
                                                   compact=True), "name")
        yield Field(t("subject.field.short_name"),
                    Input((subject.short_name or "") if subject else "", id="subject-short_name", compact=True),
                    "short_name")

    def gather(self) -> tuple[Call | None, list[Problem]]:
        name = self.query_one("#subject-name", Input).value
        short = self.query_one("#subject-short_name", Input).value or None
        subject = self.subject
        return (lambda ctx: calls.save_subject(ctx, subject, name, short)), []

    def done_text(self, result: object) -> str:
        assert isinstance(result, SubjectView)
        return t("subject.saved", name=result.name)


class CurriculumFormScreen(EditFormScreen):
    """Weekly hours of a subject in a grade: a new item (`item` None: choose the subject) or a change."""

    TITLE_KEY = "curriculum.title.new"
    HELP_KEY = "help.curriculum_form"

    def __init__(self, year: YearView, grade: int, item: CurriculumRow | None, subjects: list[SubjectView]) -> None:
        heading = t("curriculum.heading", grade=grade_title(grade), year=year.name)
        if item is not None:
            heading += "\n" + t("curriculum.heading.subject", subject=item.subject_name)
        super().__init__(heading)
        self.year = year
        self.grade = grade
        self.item = item
        self.subjects = subjects
        self.removed = False

    def screen_title(self) -> str:
        return t("curriculum.title.edit") if self.item else t("curriculum.title.new")

    def fields(self) -> ComposeResult:
        if self.item is None:
            yield Field(t("curriculum.field.subject"),
                        Select([(s.name, s.id) for s in self.subjects], id="curriculum-subject",
                               prompt=t("curriculum.subject.none"), compact=True), "subject_id")
        hours = hours_text(self.item.hours) if self.item else ""
        yield Field(t("curriculum.field.hours"), Input(hours, id="curriculum-hours", compact=True), "hours",
                    "grade", "year_id")

    def gather(self) -> tuple[Call | None, list[Problem]]:
        hours = self.query_one("#curriculum-hours", Input).value
        if self.item is not None:
            subject_id: int | None = self.item.subject_id
        else:
            subject_id = chosen_int(self.query_one("#curriculum-subject", Select))
        if subject_id is None:
            return None, [Problem("subject_id", "required", t("curriculum.pick.subject"))]
        year_id, grade, chosen = self.year.id, self.grade, subject_id
        return (lambda ctx: calls.set_hours(ctx, year_id, grade, chosen, hours)), []

    def done_text(self, result: object) -> str:
        if result is None:
            self.removed = True
            subject = self.item.subject_name if self.item else ""
            return t("curriculum.remove.done", subject=subject, grade=grade_title(self.grade))
        assert isinstance(result, CurriculumRow)
        return t("curriculum.saved", subject=result.subject_name, grade=grade_title(self.grade),
                 hours=hours_text(result.hours))


# The lists and forms this screen opens (their bindings and catalogue keys are checked with the screen's).
SubjectsScreen.EXTRA_OWNERS = (SubjectTable, CurriculumTable, SubjectFormScreen, CurriculumFormScreen)
