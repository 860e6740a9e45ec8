"""Teaching assignments of the current year: who teaches which subject to which class (or subgroup).

The list narrows by class (F7) and by the teacher's name as it is typed. F9 assigns a teacher; Enter hands
the highlighted assignment to another teacher and Delete removes it, both after a confirmation that says how
many lessons and marks the change touches (AssignmentService.impact).
"""

from __future__ import annotations

from typing import ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Select, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.assignments import AssignmentView, RemovalReport, TeacherChange
from zhurnal.core.services.classes import ClassRow
from zhurnal.core.services.years import YearView
from zhurnal.core.validation import Problem, fold
from zhurnal.tui.app import structure_workers as calls
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.edit_form import Call, EditFormScreen, chosen_int
from zhurnal.tui.app.structure_messages import AssignmentsLoaded, ChangeDone, ImpactLoaded, SubjectChoices
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field
from zhurnal.tui.app.widgets.person_picker import PersonPicker
from zhurnal.tui.i18n import t


def describe(a: AssignmentView) -> str:
    """"5А, Математика (группа 1): Иванова Мария Петровна"."""
    group = t("assignments.group", group=a.subgroup) if a.subgroup else ""
    return t("assignments.describe", cls=a.class_name, subject=a.subject_name, group=group, teacher=a.teacher_name)


def impact_text(report: RemovalReport) -> str:
    return t("assignments.impact", lessons=report.lessons_touched, marks=report.marks_touched,
             attendance=report.attendance_touched)


def matches(teacher_name: str, needle: str) -> bool:
    """The typed text starts the teacher's name or one of its words (case and ё folded)."""
    name = fold(teacher_name)
    return not needle or name.startswith(needle) or any(word.startswith(needle) for word in name.split())


class AssignmentTable(DataTable[str]):
    """The assignments; Enter and Delete act on the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("assignments.teacher", "enter", "teacher"),
        bind("assignments.remove", "delete", "remove"),
    ]

    @property
    def owner(self) -> AssignmentsScreen:
        return cast("AssignmentsScreen", self.screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("teacher", "remove"):
            return self.owner.ctx.can("school.write") and self.owner.highlighted() is not None
        return True

    def action_teacher(self) -> None:
        self.owner.ask_impact("teacher")

    def action_remove(self) -> None:
        self.owner.ask_impact("remove")


class AssignmentsScreen(AppScreen):
    """The year's assignments with a class filter and a teacher search above them."""

    TITLE_KEY = "assignments.title"
    HELP_KEY = "help.assignments"
    EXTRA_OWNERS: ClassVar[tuple[type, ...]] = ()  # set below the forms
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("assignments.new", "f9", "new"),
        bind("assignments.class", "f7", "class_filter"),
        bind("assignments.search", "ctrl+f", "search"),
        bind("assignments.to_list", "down", "to_list", show=False),
    ]
    DEFAULT_CSS = """
    #assignments-filters { height: 1; margin: 1 1 0 1; }
    #assignments-search { width: 1fr; }
    #assignments-class { width: 20; margin-left: 1; }
    #assignments { height: 1fr; margin: 1 1 0 1; }
    #assignments-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__(id="assignments-screen")
        self.year: YearView | None = None
        self.class_rows: list[ClassRow] = []
        self.all: list[AssignmentView] = []
        self.shown: dict[int, AssignmentView] = {}
        self.select_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="assignments-filters"):
            yield Input(id="assignments-search", placeholder=t("assignments.search"), compact=True)
            yield Select[int]([], id="assignments-class", prompt=t("assignments.all_classes"), compact=True)
        yield AssignmentTable(id="assignments", cursor_type="row", zebra_stripes=True)
        yield Static("", id="assignments-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#assignments", AssignmentTable)
        table.add_column(t("assignments.col.class"), key="class")
        # Fixed widths: a long subject name must not push the teacher off an 80-column screen.
        table.add_column(t("assignments.col.subject"), key="subject", width=26)
        table.add_column(t("assignments.col.group"), key="group", width=7)
        table.add_column(t("assignments.col.teacher"), key="teacher")
        self.query_one("#assignments-search", Input).focus()
        self.reload()

    # ------------------------------------------------------------------------------------------ loading

    def reload(self) -> None:
        self.query_one("#assignments", AssignmentTable).loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="assignments")
    def load(self) -> None:
        try:
            data = calls.load_assignments(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "assignments"))
            return
        self.post_message(AssignmentsLoaded(data))

    def finish_loading(self) -> None:
        self.query_one("#assignments", AssignmentTable).loading = False

    @on(AssignmentsLoaded)
    def loaded(self, message: AssignmentsLoaded) -> None:
        self.finish_loading()
        data = message.data
        self.year, self.all = data.year, data.assignments
        if data.classes != self.class_rows:
            self.class_rows = data.classes
            select = self.query_one("#assignments-class", Select)
            kept = chosen_int(select)
            select.set_options((c.name, c.id) for c in data.classes)
            if kept is not None and any(c.id == kept for c in data.classes):
                select.value = kept
        if self.year is not None:
            self.sub_title = t("assignments.title.year", year=self.year.name)
        self.show()

    def show(self) -> None:
        """Fill the table with the assignments the filters let through (the cursor stays on its row)."""
        table = self.query_one("#assignments", AssignmentTable)
        current = self.highlighted()
        keep = self.select_id if self.select_id is not None else current.id if current else None
        self.select_id = None
        class_id = chosen_int(self.query_one("#assignments-class", Select))
        needle = fold(self.query_one("#assignments-search", Input).value.strip())
        rows = [a for a in self.all if (class_id is None or a.class_id == class_id) and matches(a.teacher_name, needle)]
        table.clear()
        self.shown = {a.id: a for a in rows}
        for a in rows:
            table.add_row(a.class_name, a.subject_name, a.subgroup or "", a.teacher_name, key=str(a.id))
        if keep in self.shown:
            table.move_cursor(row=table.get_row_index(str(keep)))
        status = self.query_one("#assignments-status", Static)
        if self.year is None:
            status.update(t("dashboard.no_year"))
        elif not self.all:
            status.update(t("assignments.none"))
        else:
            status.update(t("assignments.status", shown=len(rows), total=len(self.all)))
        self.refresh_bindings()

    @on(Input.Changed, "#assignments-search")
    @on(Select.Changed, "#assignments-class")
    def filters_changed(self) -> None:
        self.show()

    @on(Input.Submitted, "#assignments-search")
    def search_submitted(self) -> None:
        self.action_to_list()

    def highlighted(self) -> AssignmentView | None:
        table = self.query_one("#assignments", AssignmentTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.shown.get(int(key)) if key is not None else None

    # ------------------------------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new":
            return self.ctx.can("school.write") and self.year is not None
        if action == "to_list":
            return self.focused is self.query_one("#assignments-search", Input)
        return True

    def action_class_filter(self) -> None:
        self.query_one("#assignments-class", Select).focus()

    def action_search(self) -> None:
        self.query_one("#assignments-search", Input).focus()

    def action_to_list(self) -> None:
        self.query_one("#assignments", AssignmentTable).focus()

    def action_new(self) -> None:
        if self.year is None:
            return
        class_id = chosen_int(self.query_one("#assignments-class", Select))
        form = AssignmentFormScreen(self.year, self.class_rows, class_id)

        def closed(_: None) -> None:
            if isinstance(form.saved, AssignmentView):
                self.select_id = form.saved.id
                self.reload()

        self.app.push_screen(form, closed)

    def ask_impact(self, purpose: str) -> None:
        """Removal and teacher change start by asking the core what they would touch."""
        assignment = self.highlighted()
        if assignment is not None:
            self.impact(assignment, purpose)

    @work(thread=True, exclusive=True, exit_on_error=False, group="assignments-impact")
    def impact(self, assignment: AssignmentView, purpose: str) -> None:
        try:
            report = calls.assignment_impact(self.ctx, assignment.id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "assignments"))
            return
        self.post_message(ImpactLoaded(assignment, report, purpose))

    @on(ImpactLoaded)
    def impact_loaded(self, message: ImpactLoaded) -> None:
        assignment, report = message.assignment, message.report
        if message.purpose == "teacher":
            form = TeacherFormScreen(assignment, report)

            def closed(_: None) -> None:
                if isinstance(form.saved, TeacherChange):
                    self.select_id = form.saved.assignment.id
                    self.reload()

            self.app.push_screen(form, closed)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.remove_assignment(assignment)

        self.app.push_screen(ConfirmScreen(t("assignments.remove.title"), t("assignments.remove.question"),
                                           [describe(assignment), impact_text(report)],
                                           yes=t("assignments.remove.yes"), default_yes=False), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="assignments-change")
    def remove_assignment(self, assignment: AssignmentView) -> None:
        try:
            report = calls.remove_assignment(self.ctx, assignment)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "assignments"))
            return
        self.post_message(ChangeDone(t("assignments.remove.done", what=describe(assignment),
                                       impact=impact_text(report))))

    @on(ChangeDone)
    def changed(self, message: ChangeDone) -> None:
        self.notify(message.text, timeout=5)
        self.reload()


# ------------------------------------------------------------------------------------------------- forms


class AssignmentFormScreen(EditFormScreen):
    """A new assignment: class, subject, teacher (a staff member today), optional subgroup."""

    TITLE_KEY = "assignment.title.new"
    HELP_KEY = "help.assignment_form"
    CONFLICT_FIELD = "teacher_id"

    def __init__(self, year: YearView, classes: list[ClassRow], class_id: int | None) -> None:
        super().__init__(t("assignment.heading", year=year.name))
        self.class_rows = classes
        self.class_id = class_id

    def fields(self) -> ComposeResult:
        classes = Select[int]([(c.name, c.id) for c in self.class_rows], id="assignment-class",
                              prompt=t("assignment.class.none"), compact=True)
        if self.class_id is not None:
            classes.value = self.class_id
        yield Field(t("assignment.field.class"), classes, "class_id")
        yield Field(t("assignment.field.subject"), Select[int]([], id="assignment-subject",
                                                               prompt=t("assignment.subject.none"), compact=True),
                    "subject_id")
        yield Field(t("assignment.field.subgroup"), Input(id="assignment-subgroup", compact=True), "subgroup")
        yield Field(t("assignment.field.teacher"), PersonPicker("staff", id="assignment-teacher"), "teacher_id")

    def on_mount(self) -> None:
        super().on_mount()
        self.load_subjects()

    @work(thread=True, exclusive=True, exit_on_error=False, group="assignment-subjects")
    def load_subjects(self) -> None:
        try:
            subjects = calls.active_subjects(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "subjects"))
            return
        self.post_message(SubjectChoices(subjects))

    @on(SubjectChoices)
    def subjects_loaded(self, message: SubjectChoices) -> None:
        self.query_one("#assignment-subject", Select).set_options((s.name, s.id) for s in message.subjects)
        self._initial = self.values()

    def gather(self) -> tuple[Call | None, list[Problem]]:
        class_id = chosen_int(self.query_one("#assignment-class", Select))
        subject_id = chosen_int(self.query_one("#assignment-subject", Select))
        picked = self.query_one(PersonPicker).chosen
        subgroup = self.query_one("#assignment-subgroup", Input).value or None
        problems = []
        if class_id is None:
            problems.append(Problem("class_id", "required", t("assignment.pick.class")))
        if subject_id is None:
            problems.append(Problem("subject_id", "required", t("assignment.pick.subject")))
        if picked is None:
            problems.append(Problem("teacher_id", "required", t("assignment.pick.teacher")))
        if class_id is None or subject_id is None or picked is None:
            return None, problems
        teacher_id = picked[0]
        return (lambda ctx: calls.assign(ctx, class_id, subject_id, teacher_id, subgroup)), []

    def done_text(self, result: object) -> str:
        assert isinstance(result, AssignmentView)
        return t("assignment.saved", what=describe(result))


class TeacherFormScreen(EditFormScreen):
    """Another teacher for an assignment; the confirmation repeats what the change touches."""

    TITLE_KEY = "teacher.title"
    HELP_KEY = "help.teacher_form"
    CONFLICT_FIELD = "teacher_id"

    def __init__(self, assignment: AssignmentView, report: RemovalReport) -> None:
        super().__init__(describe(assignment) + "\n" + impact_text(report))
        self.assignment = assignment
        self.report = report

    def fields(self) -> ComposeResult:
        yield Field(t("teacher.field.teacher"), PersonPicker("staff", id="teacher-picker"), "teacher_id")

    def gather(self) -> tuple[Call | None, list[Problem]]:
        picked = self.query_one(PersonPicker).chosen
        if picked is None:
            return None, [Problem("teacher_id", "required", t("assignment.pick.teacher"))]
        assignment, teacher_id = self.assignment, picked[0]
        return (lambda ctx: calls.change_teacher(ctx, assignment, teacher_id)), []

    def action_save(self) -> None:
        if self.saving:
            return
        call, problems = self.gather()
        picked = self.query_one(PersonPicker).chosen
        if call is None or picked is None:
            self.say(problems)
            return
        self.say([])

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_call(call)

        self.app.push_screen(ConfirmScreen(t("teacher.confirm.title"),
                                           t("teacher.confirm.question", teacher=picked[1]),
                                           [describe(self.assignment), impact_text(self.report)],
                                           yes=t("teacher.confirm.yes"), default_yes=False), answered)

    def done_text(self, result: object) -> str:
        assert isinstance(result, TeacherChange)
        return t("teacher.saved", what=describe(result.assignment))


# The list and forms this screen opens (their bindings and catalogue keys are checked with the screen's).
AssignmentsScreen.EXTRA_OWNERS = (AssignmentTable, AssignmentFormScreen, TeacherFormScreen)
