"""The activity report in the app: one term at a time, by role, by class and by teacher, with bars.

Keys: [ and ] move to the previous and next term; 1, 2, 3 switch the view (roles, classes, teachers); Enter on
a class drills down to the teachers of that class, Escape comes back up; x writes the report as XLSX into the
exports folder. The report is built by the core in a thread worker (it aggregates in SQL, whatever the
number of events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.activity_report import ActivityReport, ActivityReportService
from zhurnal.tui.app.context import Context
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.classes import short_name
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t

BAR_WIDTH = 12
VIEWS = ("roles", "classes", "teachers")


@dataclass(frozen=True)
class TermRef:
    id: int
    name: str


@dataclass(frozen=True)
class ReportData:
    report: ActivityReport
    terms: list[TermRef]  # every term of the school, oldest first, to move between
    term_id: int
    class_teachers: dict[int, set[int]]  # class id -> teacher person ids (the drill-down)


class ReportLoaded(Message):
    def __init__(self, data: ReportData) -> None:
        super().__init__()
        self.data = data


class ReportSaved(Message):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


def load_report(ctx: Context, term_id: int | None) -> ReportData:
    """The report for `term_id` (default: the term holding today, else the last one begun)."""
    from zhurnal.core.services.assignments import AssignmentService
    from zhurnal.core.services.years import YearService

    actor, today = ctx.signed_in(), ctx.day()
    years = YearService(ctx.store)
    terms = []
    for year in sorted(years.list(actor), key=lambda y: y.start):
        kind = None
        for term in years.terms(actor, year.id):
            kind = kind or term.kind
            if term.kind == kind:
                terms.append((term.start, TermRef(term.id, f"{term.name} {year.name}"), term.end))
    terms.sort(key=lambda item: item[0])
    if term_id is None:
        begun = [ref for start, ref, _end in terms if start <= today]
        if not begun:
            raise ZhurnalError(t("activity.no_terms"))
        term_id = begun[-1].id
    report = ActivityReportService(ctx.store).for_term(actor, term_id, today=today)
    class_teachers: dict[int, set[int]] = {}
    for assignment in AssignmentService(ctx.store).list(actor):
        class_teachers.setdefault(assignment.class_id, set()).add(assignment.teacher_id)
    return ReportData(report, [ref for _start, ref, _end in terms], term_id, class_teachers)


def bar(value: float | None, top: float = 100.0) -> Text:
    """A horizontal bar of BAR_WIDTH cells for a value out of `top` (eighths of a cell for precision)."""
    if value is None:
        return Text("—", style="dim")
    eighths = round(BAR_WIDTH * 8 * max(0.0, min(value, top)) / top) if top else 0
    full, part = divmod(eighths, 8)
    return Text("█" * full + (" ▏▎▍▌▋▊▉"[part] if part else ""), style="green" if value >= top / 2 else "yellow")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


class ActivityReportScreen(AppScreen):
    """How the journal is used, for one term."""

    TITLE_KEY = "activity.title"
    HELP_KEY = "help.activity"
    DYNAMIC_KEYS: ClassVar[tuple[str, ...]] = (
        *(f"activity.view.{view}" for view in VIEWS),
        *(f"activity.group.{group}" for group in ("staff", "teachers", "students", "parents", "total")),
        *(f"activity.col.{col}" for col in ("group", "accounts", "active", "logins", "share", "bar", "change", "class",
                                          "students", "students_active", "parents_viewed", "attendance", "teacher",
                                          "lessons", "marks", "late", "fill")))
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "back"),
        bind("activity.roles", "1", "view('roles')"),
        bind("activity.classes", "2", "view('classes')"),
        bind("activity.teachers", "3", "view('teachers')"),
        bind("activity.previous", "left_square_bracket", "term(-1)"),
        bind("activity.next", "right_square_bracket", "term(1)"),
        bind("activity.export", "x", "export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: ReportData | None = None
        self.view = "roles"
        self.drill_class: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="report-heading")
        yield DataTable(id="report-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#report-table", DataTable)
        table.loading = True
        table.focus()
        self.load(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def load(self, term_id: int | None) -> None:
        try:
            data = load_report(self.ctx, term_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "report"))
            return
        self.post_message(ReportLoaded(data))

    def finish_loading(self) -> None:
        self.query_one("#report-table", DataTable).loading = False

    @on(ReportLoaded)
    def loaded(self, message: ReportLoaded) -> None:
        self.data = message.data
        self.finish_loading()
        self.render_view()

    def action_view(self, view: str) -> None:
        self.view, self.drill_class = view, None
        self.render_view()

    def action_back(self) -> None:
        if self.drill_class is not None:
            self.drill_class = None
            self.view = "classes"
            self.render_view()
        else:
            self.app.pop_screen()

    def action_term(self, step: int) -> None:
        if self.data is None:
            return
        ids = [term.id for term in self.data.terms]
        index = ids.index(self.data.term_id) + step if self.data.term_id in ids else -1
        if 0 <= index < len(ids):
            self.query_one("#report-table", DataTable).loading = True
            self.load(ids[index])
        else:
            self.notify(t("activity.no_more_terms"), timeout=3)

    @on(DataTable.RowSelected, "#report-table")
    def drill(self, event: DataTable.RowSelected) -> None:
        if self.view == "classes" and self.drill_class is None and event.row_key.value is not None:
            self.drill_class = int(event.row_key.value)
            self.view = "teachers"
            self.render_view()

    def render_view(self) -> None:
        data = self.data
        if data is None:
            return
        report = data.report
        school = report.school
        heading = Text.assemble((report.title, "bold"), f"  {day(report.start)}–{day(report.end)}  ",
                                (t(f"activity.view.{self.view}"), "italic"))
        if self.drill_class is not None:
            name = next((c.name for c in school.classes if c.class_id == self.drill_class), "")
            heading.append("  " + t("activity.drill", name=name))
        if report.previous is not None:
            heading.append("  " + t("activity.previous_term", name=report.previous.title), style="dim")
        self.query_one("#report-heading", Static).update(heading)
        table = self.query_one("#report-table", DataTable)
        table.clear(columns=True)
        previous = report.previous.school if report.previous else None
        if self.view == "roles":
            before = {r.group: r.share_active for r in previous.roles} if previous else {}
            for key in ("group", "accounts", "active", "logins", "share", "bar", "change"):
                table.add_column(t(f"activity.col.{key}"), key=key)
            for row in school.roles:
                table.add_row(t(f"activity.group.{row.group}"), row.accounts, row.active, row.logins,
                              percent(row.share_active), bar(row.share_active),
                              change(row.share_active, before.get(row.group)), key=row.group)
        elif self.view == "classes":
            for key in ("class", "students", "students_active", "parents_viewed", "bar", "attendance"):
                table.add_column(t(f"activity.col.{key}"), key=key)
            for c in school.classes:
                share = 100 * c.parents_viewed / c.parents if c.parents else None
                table.add_row(c.name, c.students, c.students_active, f"{c.parents_viewed}/{c.parents}", bar(share),
                              percent(c.attendance_rate), key=str(c.class_id))
        else:
            teachers = school.teachers
            if self.drill_class is not None:
                wanted = data.class_teachers.get(self.drill_class, set())
                teachers = [row for row in teachers if row.person_id in wanted]
            filled = {r.person_id: r.fill_rate for r in previous.teachers} if previous else {}
            for key in ("teacher", "lessons", "marks", "late", "fill", "bar", "change"):
                table.add_column(t(f"activity.col.{key}"), key=key)
            for teacher in teachers:
                table.add_row(short_name(teacher.name), teacher.lessons, teacher.marks, teacher.marks_late,
                              percent(teacher.fill_rate), bar(teacher.fill_rate),
                              change(teacher.fill_rate, filled.get(teacher.person_id)), key=str(teacher.person_id))

    def action_export(self) -> None:
        if self.data is not None:
            self.export(self.data.report)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report-export")
    def export(self, report: ActivityReport) -> None:
        from zhurnal.core.files import unused_path, write_atomic
        from zhurnal.core.locations import exports_dir
        from zhurnal.core.reports.activity import render

        folder = exports_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stem = f"activity-{report.start.isoformat()}-{report.end.isoformat()}-{date.today().isoformat()}"
        try:
            path = write_atomic(unused_path(folder, stem, ".xlsx"), render(report, "xlsx"))
        except OSError as exc:
            self.post_message(CallFailed(t("activity.export_failed", detail=str(exc)), "report"))
            return
        self.post_message(ReportSaved(path))

    @on(ReportSaved)
    def saved(self, message: ReportSaved) -> None:
        self.notify(t("activity.saved", path=str(message.path)), timeout=8)


def change(now: float | None, before: float | None) -> Text:
    if now is None or before is None:
        return Text("")
    delta = now - before
    return Text(f"{delta:+.0f}", style="green" if delta > 0 else ("red" if delta < 0 else "dim"))

