"""The academic year (issue #8): open the next year, close the current one by the promotion plan, undo the
last of them, and the movement book.

One screen with views: `home` (the years and the last operation), `open` (the proposal, Space includes or
excludes an item), `close` (the plan per class; Enter shows a class's students, R changes the highlighted
student's outcome), `problems` (what stands in the way of applying), `report` (the result of an operation)
and `book` (the movement book). Every core call runs in a thread worker; applying asks for a confirmation,
closing also for the user's password again (it changes every student).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from zhurnal.core.errors import Conflict, ValidationFailed, ZhurnalError
from zhurnal.core.validation import parse_date
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.secret_prompt import SecretPrompt
from zhurnal.tui.app.screens.year_form import YearForm
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t

OUTCOME_ORDER = ("promote", "retain", "conditional", "graduate", "continue", "leave_basic", "transfer_out")
ORDER_KINDS = ("promotion", "graduation", "departure")
VIEWS = ("home", "open", "close", "students", "problems", "report", "book")


class YearLoaded(Message):
    def __init__(self, view: str, data: Any, note: str = "", back: str | None = None) -> None:
        super().__init__()
        self.view = view
        self.data = data
        self.note = note
        self.back = back  # where Escape goes from a report (default: the view it came from)


class YearSuggested(Message):
    def __init__(self, kind: str, fields: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.kind = kind
        self.fields = fields


class UndoOffered(Message):
    def __init__(self, lines: list[str], what: str) -> None:
        super().__init__()
        self.lines = lines
        self.what = what


@dataclass(frozen=True)
class OpenRow:
    key: str  # "class:0", "curriculum:3", "assignment:12": the kind and the index in the proposal
    kind: str
    label: str
    include: bool


def proposal_rows(proposal: Any) -> list[OpenRow]:
    """The proposal's items as rows of the list, classes first."""
    rows = []
    for i, c in enumerate(proposal.classes):
        source = t(f"year.source.{c.source}")
        label = f"{c.name} ({source}{' ← ' + c.previous_name if c.previous_name else ''})"
        if c.class_teacher_name:
            label += f", {c.class_teacher_name}"
        rows.append(OpenRow(f"class:{i}", "class", label, c.include))
    for i, item in enumerate(proposal.curriculum):
        label = t("year.curriculum.line", grade=item.grade, subject=item.subject_name, hours=item.hours)
        rows.append(OpenRow(f"curriculum:{i}", "curriculum", label, item.include))
    for i, a in enumerate(proposal.assignments):
        group = f" ({a.subgroup})" if a.subgroup else ""
        rows.append(OpenRow(f"assignment:{i}", "assignment", f"{a.class_name} {a.subject_name}{group}: "
                                                             f"{a.teacher_name}", a.include))
    return rows


def toggled(proposal: Any, key: str) -> Any:
    """The proposal with the item `key` ("class:3") included or excluded."""
    kind, _sep, index = key.partition(":")
    attr = {"class": "classes", "curriculum": "curriculum", "assignment": "assignments"}[kind]
    items = list(getattr(proposal, attr))
    item = items[int(index)]
    items[int(index)] = dataclasses.replace(item, include=not item.include)
    return dataclasses.replace(proposal, **{attr: tuple(items)})


def next_outcome(current: str | None) -> str:
    """The outcome after `current` in the cycle R walks through."""
    if current not in OUTCOME_ORDER:
        return OUTCOME_ORDER[0]
    return OUTCOME_ORDER[(OUTCOME_ORDER.index(current) + 1) % len(OUTCOME_ORDER)]


def closing_year(years: list[Any]) -> Any:
    """The year to close: the one the newest year follows (the newest itself when it follows none)."""
    latest = years[-1]
    if latest.previous_year_id is not None:
        return next((y for y in years if y.id == latest.previous_year_id), latest)
    return latest


def parse_day(value: str, label: str) -> date:
    parsed, problems = parse_date(value, "date", required=True)
    if problems or parsed is None:
        raise ValidationFailed([dataclasses.replace(problems[0], message=f"{label}: {problems[0].message}")]
                               if problems else [])
    return parsed


class YearScreen(AppScreen):
    """Opening and closing the academic year, undo, and the movement book."""

    TITLE_KEY = "year.title"
    HELP_KEY = "help.year"
    DEFAULT_CSS = """
    YearScreen #year-heading { height: auto; max-height: 3; padding: 0 1; }
    YearScreen #year-table { height: 1fr; }
    YearScreen #year-status { height: auto; max-height: 3; padding: 0 1; }
    """
    EXTRA_OWNERS: ClassVar[tuple[type, ...]] = (YearForm, SecretPrompt)
    DYNAMIC_KEYS: ClassVar[tuple[str, ...]] = (
        *(f"year.outcome.{o}" for o in (*OUTCOME_ORDER, "none")),
        *(f"year.short.{o}" for o in (*OUTCOME_ORDER, "none", "total")),
        *(f"year.source.{s}" for s in ("carried", "first", "formed")),
        *(f"year.kind.{k}" for k in ("year", "term", "class", "curriculum", "assignment")),
        *(f"year.status.{s}" for s in ("created", "matched", "skipped")),
        *(f"year.order.{k}" for k in ORDER_KINDS),
        *(f"year.year_status.{s}" for s in ("planned", "open", "closed")),
        *(f"year.view.{v}" for v in VIEWS),
        *(f"year.run.{k}" for k in ("open", "close")),
        *(f"year.col.{k}" for k in ("name", "start", "end", "state", "include", "kind", "item", "student", "outcome",
                                    "target", "section", "date", "order", "counterpart")),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "back"),
        bind("year.open", "o", "open_year"),
        bind("year.close", "c", "close_year"),
        bind("year.undo", "u", "undo"),
        bind("year.book", "b", "book"),
        bind("year.toggle", "space", "include"),
        bind("year.outcome", "r", "outcome"),
        bind("year.orders", "d", "orders"),
        bind("year.preview", "v", "preview"),
        bind("year.protocol", "p", "protocol"),
        bind("year.export", "x", "export"),
        bind("year.apply", "ctrl+s", "apply"),
    ]

    def __init__(self) -> None:
        super().__init__(id="year-screen")
        self.view = "home"
        self.busy = False
        self.years: list[Any] = []
        self.proposal: Any = None
        self.plan: Any = None
        self.preview_data: Any = None
        self.class_name: str | None = None  # the class whose students are shown
        self.book_data: Any = None
        self.back_to = "home"  # where Escape goes from problems / report
        self.last_run: Any = None
        self.report_lines: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="year-heading")
        yield DataTable(id="year-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="year-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#year-table", DataTable).focus()
        self.refresh_home()

    # -------------------------------------------------------------------------------------------- plumbing

    def table(self) -> DataTable[Any]:
        return self.query_one("#year-table", DataTable)

    def status(self, text: str | Text) -> None:
        self.query_one("#year-status", Static).update(text)

    def begin(self) -> None:
        self.busy = True
        self.table().loading = True
        self.refresh_bindings()

    def finish_loading(self) -> None:
        self.busy = False
        self.table().loading = False
        self.refresh_bindings()

    def fail(self, exc: ZhurnalError) -> None:
        if isinstance(exc, ValidationFailed):
            text = "\n".join(p.message for p in exc.problems[:8]) or str(exc)
        else:
            text = str(exc)
        self.post_message(CallFailed(text, "year"))

    def highlighted_key(self) -> str | None:
        table = self.table()
        if not table.row_count:
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(value) if value is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return True
        if self.busy:
            return False
        view = self.view
        if action in ("open_year", "close_year", "undo", "book"):
            return view == "home"
        if action == "include":
            return view == "open"
        if action == "outcome":
            return view == "students"
        if action in ("orders", "protocol"):
            return view in ("close", "students")
        if action == "preview":
            return view in ("open", "close", "students")
        if action == "apply":
            return view in ("open", "close", "students")
        if action == "export":
            return view == "book"
        return True

    def show(self, view: str) -> None:
        # The same view drawn again (a preview after an edit) keeps the highlighted row.
        row = self.table().cursor_row if view == self.view else 0
        self.view = view
        self.render_view()
        if 0 < row < self.table().row_count:
            self.table().move_cursor(row=row)
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.busy:
            return
        if self.view == "home":
            self.app.pop_screen()
        elif self.view == "students":
            self.class_name = None
            self.show("close")
        elif self.view in ("problems", "report"):
            target = self.back_to
            if target == "home":
                self.refresh_home()
            else:
                self.show(target)
        else:
            self.refresh_home()

    @on(YearLoaded)
    def loaded(self, message: YearLoaded) -> None:
        self.finish_loading()
        view, data = message.view, message.data
        if view == "home":
            self.years, run = data
            self.proposal = self.plan = self.preview_data = self.book_data = None
            self.last_run = run
        elif view == "open":
            self.proposal = data
        elif view == "close":
            self.plan, self.preview_data = data
            view = "students" if self.class_name is not None else "close"
        elif view == "book":
            self.book_data = data
        elif view in ("report", "problems"):
            self.report_lines = data
            if message.back is not None:
                self.back_to = message.back
            elif self.view not in ("report", "problems"):
                self.back_to = self.view
        self.show(view)
        if message.note:
            self.notify(message.note, timeout=10)

    # ---------------------------------------------------------------------------------------------- home

    def refresh_home(self) -> None:
        self.view = "home"
        self.begin()
        self.load_home()

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def load_home(self) -> None:
        from zhurnal.core.services.rollover import RolloverService
        from zhurnal.core.services.years import YearService

        actor = self.ctx.signed_in()
        try:
            years = sorted(YearService(self.ctx.store).list(actor), key=lambda y: y.start)
            run = RolloverService(self.ctx.store).last_run(actor)
        except ZhurnalError as exc:
            self.fail(exc)
            return
        self.post_message(YearLoaded("home", (years, run)))

    def render_view(self) -> None:
        table = self.table()
        table.clear(columns=True)
        heading = self.query_one("#year-heading", Static)
        getattr(self, f"render_{self.view}")(table, heading)

    def render_home(self, table: DataTable[Any], heading: Static) -> None:
        heading.update(Text(t("year.home.heading"), style="bold"))
        for key in ("name", "start", "end", "state"):
            table.add_column(t(f"year.col.{key}"), key=key)
        for y in self.years:
            table.add_row(y.name, day(y.start), day(y.end), t(f"year.year_status.{y.status}"), key=str(y.id))
        run = self.last_run
        if run is None:
            self.status(t("year.home.no_run"))
        else:
            self.status(t("year.home.last_run", what=t(f"year.run.{run.kind}"), login=run.login,
                          when=f"{run.created_at:%d.%m.%Y %H:%M}"))

    # ------------------------------------------------------------------------------------------ opening

    def action_open_year(self) -> None:
        self.begin()
        self.suggest_open()

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def suggest_open(self) -> None:
        """The form's suggestion: the year after the newest one, its usual dates and terms (to be checked)."""
        from zhurnal.core.services.calendar import default_terms, year_bounds, year_name
        from zhurnal.core.services.schools import SchoolService

        actor = self.ctx.signed_in()
        try:
            kind = SchoolService(self.ctx.store).get(actor).term_kind
        except ZhurnalError as exc:
            self.fail(exc)
            return
        start_year = (self.years[-1].start.year + 1) if self.years else self.ctx.day().year
        start, end = year_bounds(start_year)
        fields = [("name", t("year.field.name"), year_name(start_year)),
                  ("start", t("year.field.start"), day(start)), ("end", t("year.field.end"), day(end))]
        for n, (name, term_start, term_end) in enumerate(default_terms(start_year, kind), 1):
            fields.append((f"term{n}_start", t("year.field.term_start", term=name), day(term_start)))
            fields.append((f"term{n}_end", t("year.field.term_end", term=name), day(term_end)))
        self.post_message(YearSuggested(kind, fields))

    @on(YearSuggested)
    def suggested(self, message: YearSuggested) -> None:
        self.finish_loading()
        if message.kind == "book":
            self.app.push_screen(YearForm(t("year.book.title"), "", message.fields), self.book_form_done)
            return
        kind = message.kind

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.begin()
                self.propose(kind, values)

        self.app.push_screen(YearForm(t("year.open.title"), t("year.open.note"), message.fields), done)

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def propose(self, kind: str, values: dict[str, str]) -> None:
        from zhurnal.core.services.calendar import default_terms
        from zhurnal.core.services.rollover import RolloverService
        from zhurnal.core.services.years import TermInput

        try:
            start = parse_day(values["start"], t("year.field.start"))
            end = parse_day(values["end"], t("year.field.end"))
            names = [name for name, _s, _e in default_terms(start.year, kind)]
            terms = [TermInput(kind, n, names[n - 1], parse_day(values[f"term{n}_start"], names[n - 1]),
                               parse_day(values[f"term{n}_end"], names[n - 1]))
                     for n in range(1, len(names) + 1)]
            proposal = RolloverService(self.ctx.store).propose_open(self.ctx.signed_in(), values["name"], start,
                                                                    end, terms)
        except ZhurnalError as exc:
            self.fail(exc)
            return
        self.post_message(YearLoaded("open", proposal))

    def render_open(self, table: DataTable[Any], heading: Static) -> None:
        p = self.proposal
        heading.update(Text.assemble((t("year.open.heading", name=p.name, start=day(p.start), end=day(p.end),
                                        previous=p.from_year_name), "bold")))
        for key in ("include", "kind", "item"):
            table.add_column(t(f"year.col.{key}"), key=key)
        for row in proposal_rows(p):
            table.add_row(Text("✓" if row.include else "✗", style="green" if row.include else "red"),
                          t(f"year.kind.{row.kind}"), row.label, key=row.key)
        included = sum(1 for r in proposal_rows(p) if r.include)
        self.status(t("year.open.status", included=included, total=table.row_count))

    def action_include(self) -> None:
        key = self.highlighted_key()
        if self.proposal is None or key is None:
            return
        row = self.table().cursor_row
        self.proposal = toggled(self.proposal, key)
        self.render_view()
        self.table().move_cursor(row=row)

    # ------------------------------------------------------------------------------------------ closing

    def action_close_year(self) -> None:
        if not self.years:
            self.notify(t("year.none"), severity="warning")
            return
        self.class_name = None
        self.begin()
        self.load_plan(closing_year(self.years).id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def load_plan(self, year_id: int) -> None:
        from zhurnal.core.services.promotion import PromotionService

        service = PromotionService(self.ctx.store)
        actor = self.ctx.signed_in()
        try:
            plan = service.plan_close(actor, year_id)
            preview = service.preview(actor, plan)
        except ZhurnalError as exc:
            self.fail(exc)
            return
        self.post_message(YearLoaded("close", (plan, preview)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def repreview(self, plan: Any) -> None:
        from zhurnal.core.services.promotion import PromotionService

        try:
            preview = PromotionService(self.ctx.store).preview(self.ctx.signed_in(), plan)
        except ZhurnalError as exc:
            self.fail(exc)
            return
        self.post_message(YearLoaded("close", (plan, preview)))

    def plan_heading(self) -> Text:
        plan, preview = self.plan, self.preview_data
        text = Text(t("year.close.heading", name=plan.year_name, next=plan.next_year_name or "—"), style="bold")
        orders = ", ".join(f"{t(f'year.order.{k}')} {plan.orders[k].label}" for k in ORDER_KINDS if k in plan.orders)
        text.append("\n" + (orders or t("year.close.no_orders")), style="" if orders else "yellow")
        if preview is not None and preview.problems:
            text.append("\n" + t("year.close.problems", n=len(preview.problems)), style="bold red")
        if preview is not None and preview.missing_marks:
            text.append("  " + t("year.close.missing", n=len(preview.missing_marks)), style="yellow")
        return text

    def render_close(self, table: DataTable[Any], heading: Static) -> None:
        heading.update(self.plan_heading())
        keys = (*OUTCOME_ORDER, "none", "total")
        table.add_column(t("year.col.class"), key="class")
        for key in keys:
            table.add_column(t(f"year.short.{key}"), key=key)
        for name, students in self.plan.by_class():
            counts = {k: 0 for k in keys}
            for s in students:
                counts[s.outcome if s.outcome in OUTCOME_ORDER else "none"] += 1
            counts["total"] = len(students)
            table.add_row(name, *(counts[k] or "" for k in keys), key=name)
        total = self.plan.counts()
        status = t("year.close.status", total=total["total"], none=total["none"])
        carried = self.preview_data.subgroups_carried if self.preview_data is not None else 0
        self.status(status + ("\n" + t("year.close.subgroups", n=carried) if carried else ""))

    @on(DataTable.RowSelected, "#year-table")
    def selected(self, event: DataTable.RowSelected) -> None:
        if self.view == "close" and event.row_key.value is not None:
            self.class_name = str(event.row_key.value)
            self.show("students")

    def render_students(self, table: DataTable[Any], heading: Static) -> None:
        heading.update(self.plan_heading())
        for key in ("student", "outcome", "target"):
            table.add_column(t(f"year.col.{key}"), key=key)
        students = dict(self.plan.by_class()).get(self.class_name or "", [])
        for s in students:
            outcome = s.outcome if s.outcome in OUTCOME_ORDER else "none"
            where = s.target_class or s.destination or ""
            if s.debt:
                where += f" ({s.debt})"
            table.add_row(s.full_name, Text(t(f"year.outcome.{outcome}"), style="" if s.outcome else "bold red"),
                          where, key=str(s.person_id))
        self.status(t("year.students.status", name=self.class_name or "", n=len(students)))

    def action_outcome(self) -> None:
        key = self.highlighted_key()
        if self.plan is None or key is None:
            return
        person_id = int(key)
        student = next(s for s in self.plan.students if s.person_id == person_id)
        outcome = next_outcome(student.outcome)
        row = self.table().cursor_row
        if outcome == "transfer_out":
            def done(values: dict[str, str] | None) -> None:
                if values and values.get("destination"):
                    self.set_outcome(person_id, "transfer_out", row, destination=values["destination"])
                else:  # no destination: the cycle goes on past the transfer
                    self.set_outcome(person_id, next_outcome(outcome), row)

            self.app.push_screen(YearForm(t("year.transfer.title"), student.full_name,
                                          [("destination", t("year.field.destination"), student.destination or "")]),
                                 done)
            return
        if outcome == "conditional":  # the academic debt (the subjects), optional
            def debt_done(values: dict[str, str] | None) -> None:
                self.set_outcome(person_id, outcome, row, debt=(values or {}).get("debt") or None)

            self.app.push_screen(YearForm(t("year.debt.title"), student.full_name,
                                          [("debt", t("year.field.debt"), student.debt or "")]), debt_done)
            return
        self.set_outcome(person_id, outcome, row)

    def set_outcome(self, person_id: int, outcome: str, row: int, **changes: Any) -> None:
        from zhurnal.core.services.promotion import STAYING

        student = next(s for s in self.plan.students if s.person_id == person_id)
        if outcome in STAYING:  # a new outcome takes its own class (a retained student stays in the grade)
            changes["target_class"] = self.default_target(student, outcome)
        if outcome != "transfer_out":
            changes["destination"] = None
        if outcome != "conditional":
            changes["debt"] = None
        self.plan = self.plan.with_outcome(person_id, outcome, **changes)
        self.render_view()
        self.table().move_cursor(row=row)
        self.begin()
        self.repreview(self.plan)

    def default_target(self, student: Any, outcome: str) -> str | None:
        """A class of the new year for a student changed to a staying outcome: a classmate's with that
        outcome, else the same letter one grade up (promote) or in the same grade (retain)."""
        same = next((s.target_class for s in self.plan.students if s.class_name == student.class_name
                     and s.outcome == outcome and s.target_class), None)
        if same:
            return str(same)
        letter = student.class_name[len(str(student.parallel)):]
        grade = student.parallel if outcome == "retain" else student.parallel + 1
        return f"{grade}{letter}"

    def action_orders(self) -> None:
        if self.plan is None:
            return
        fields = []
        for kind in ORDER_KINDS:
            ref = self.plan.orders.get(kind)
            fields.append((f"{kind}_number", t("year.field.order_number", kind=t(f"year.order.{kind}")),
                           ref.number if ref else ""))
            fields.append((f"{kind}_date", t("year.field.order_date", kind=t(f"year.order.{kind}")),
                           day(ref.date) if ref else ""))
        self.app.push_screen(YearForm(t("year.orders.title"), t("year.orders.note"), fields), self.orders_done)

    def orders_done(self, values: dict[str, str] | None) -> None:
        from zhurnal.core.services.promotion import OrderRef

        if values is None or self.plan is None:
            return
        orders: dict[str, OrderRef | None] = {}
        try:
            for kind in ORDER_KINDS:
                number, when = values[f"{kind}_number"], values[f"{kind}_date"]
                label = t(f"year.order.{kind}")
                orders[kind] = OrderRef(number, parse_day(when, label)) if number else None
        except ValidationFailed as exc:
            self.notify("\n".join(p.message for p in exc.problems), severity="error")
            return
        self.plan = self.plan.with_orders(**orders)
        self.begin()
        self.repreview(self.plan)

    def problem_lines(self) -> list[tuple[str, str]]:
        """(what, detail) rows: the problems applying would refuse on, then the missing final marks."""
        preview = self.preview_data
        lines = [(t("year.problem"), p.message) for p in preview.problems]
        for m in preview.missing_marks:
            lines.append((t("year.missing_mark"), t("year.missing_mark.line", cls=m.class_name, subject=m.subject_name,
                                                    teacher=m.teacher_name or "—", n=m.students)))
        return lines

    def action_preview(self) -> None:
        if self.view == "open":
            self.begin()
            self.apply_open(dry_run=True)
            return
        if self.preview_data is None:
            return
        lines = self.problem_lines() or [("", t("year.close.ready"))]
        self.post_message(YearLoaded("problems", lines))

    @on(DataTable.RowHighlighted, "#year-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        # A problem or a report line may be longer than the screen is wide: the whole of it goes below.
        if self.view in ("problems", "report") and event.row_key.value is not None:
            index = int(str(event.row_key.value))
            if 0 <= index < len(self.report_lines):
                what, detail = self.report_lines[index]
                self.status(f"{what}: {detail}" if what else detail)

    def render_problems(self, table: DataTable[Any], heading: Static) -> None:
        self.render_report(table, heading)

    def render_report(self, table: DataTable[Any], heading: Static) -> None:
        heading.update(Text(t(f"year.view.{self.view}"), style="bold"))
        table.add_column(t("year.col.what"), key="what")
        table.add_column(t("year.col.detail"), key="detail")
        for i, (what, detail) in enumerate(self.report_lines):
            table.add_row(what, detail, key=str(i))
        self.status(t("year.back_hint"))

    def action_protocol(self) -> None:
        if self.plan is not None:
            self.write_protocol(self.plan)

    @work(thread=True, exclusive=True, exit_on_error=False, group="year-export")
    def write_protocol(self, plan: Any) -> None:
        from zhurnal.core.services.promotion import PromotionService

        try:
            data = PromotionService(self.ctx.store).protocol(self.ctx.signed_in(), plan)
            path = self.save(f"protocol-{plan.year_name.replace('/', '-')}", data)
        except ZhurnalError as exc:
            self.fail(exc)
            return
        except OSError as exc:
            self.post_message(CallFailed(t("year.export_failed", detail=str(exc)), "year"))
            return
        self.app.call_from_thread(self.notify, t("year.saved", path=str(path)), timeout=8)

    def save(self, stem: str, data: bytes) -> Any:
        from zhurnal.core.files import unused_path, write_atomic
        from zhurnal.core.locations import exports_dir

        folder = exports_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return write_atomic(unused_path(folder, f"{stem}-{date.today().isoformat()}", ".xlsx"), data)

    # -------------------------------------------------------------------------------------------- apply

    def action_apply(self) -> None:
        if self.view == "open" and self.proposal is not None:
            p = self.proposal
            lines = [t("year.open.confirm_line", included=sum(1 for r in proposal_rows(p) if r.include))]
            self.app.push_screen(ConfirmScreen(t("year.open.title"), t("year.open.question", name=p.name), lines,
                                               yes=t("year.apply.yes"), default_yes=False), self.open_confirmed)
            return
        if self.plan is None or self.preview_data is None:
            return
        if self.preview_data.problems:
            self.notify(t("year.close.refused"), severity="warning")
            self.action_preview()
            return
        counts = self.plan.counts()
        lines = [f"{t(f'year.outcome.{k}')}: {counts[k]}" for k in OUTCOME_ORDER if counts[k]]
        if self.preview_data.missing_marks:
            lines.append(t("year.close.missing", n=len(self.preview_data.missing_marks)))
        if self.preview_data.subgroups_carried:
            lines.append(t("year.close.subgroups", n=self.preview_data.subgroups_carried))
        self.app.push_screen(ConfirmScreen(t("year.close.title"), t("year.close.question", name=self.plan.year_name,
                                                                    n=counts["total"]), lines,
                                           yes=t("year.apply.yes"), default_yes=False), self.close_confirmed)

    def open_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.begin()
            self.apply_open(dry_run=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def apply_open(self, dry_run: bool) -> None:
        from zhurnal.core.services.rollover import RolloverService

        try:
            report = RolloverService(self.ctx.store).apply_open(self.ctx.signed_in(), self.proposal, dry_run=dry_run,
                                                                today=self.ctx.day())
        except ZhurnalError as exc:
            self.fail(exc)
            return
        lines = [(t(f"year.kind.{kind}"), ", ".join(f"{t(f'year.status.{s}')} {n}" for s, n in statuses.items()))
                 for kind, statuses in report.counts.items()]
        if not dry_run:
            lines += [(t(f"year.kind.{i.kind}"), f"{i.label}: {t(f'year.status.{i.status}')}"
                       + (f" ({i.note})" if i.note else "")) for i in report.items]
        if report.backup is not None:
            lines.insert(0, (t("year.backup"), str(report.backup)))
        if dry_run:
            self.post_message(YearLoaded("report", lines, t("year.open.dry_run")))
        else:
            self.post_message(YearLoaded("report", lines, t("year.open.done", name=self.proposal.name), back="home"))

    def close_confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        login = self.ctx.signed_in().login
        self.app.push_screen(SecretPrompt(t("year.password.title"), t("year.password.prompt", login=login)),
                             self.close_password)

    def close_password(self, password: str | None) -> None:
        if password:
            self.begin()
            self.apply_close(self.plan, password)

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def apply_close(self, plan: Any, password: str) -> None:
        from zhurnal.core.services.promotion import PromotionService
        from zhurnal.core.services.users import UserService

        actor = self.ctx.signed_in()
        try:
            UserService(self.ctx.store).reauthenticate(actor, password)
            report = PromotionService(self.ctx.store).apply_close(actor, plan)
        except ZhurnalError as exc:
            self.fail(exc)
            return
        if report.already_closed:
            self.post_message(YearLoaded("report", [("", t("year.close.already", name=report.year_name))],
                                         t("year.close.already", name=report.year_name), back="home"))
            return
        lines = [(t(f"year.outcome.{k}"), str(n)) for k, n in report.counts.items() if k in OUTCOME_ORDER and n]
        lines += [(t("year.order_created"), label) for label in report.orders_created]
        if report.subgroups_carried:
            lines.append((t("year.subgroups_carried"), str(report.subgroups_carried)))
        if report.archive_folder:
            lines.append((t("year.archive"), str(report.archive_folder)))
        if report.backup:
            lines.append((t("year.backup"), str(report.backup)))
        lines += [(i.from_class, f"{i.full_name}: {t(f'year.outcome.{i.outcome}')} → {i.to_class or '—'}, {i.order}")
                  for i in report.items]
        self.post_message(YearLoaded("report", lines, t("year.close.done", name=report.year_name), back="home"))

    # --------------------------------------------------------------------------------------------- undo

    def action_undo(self) -> None:
        self.begin()
        self.offer_undo()

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def offer_undo(self) -> None:
        from zhurnal.core.services.rollover import RolloverService

        service = RolloverService(self.ctx.store)
        actor = self.ctx.signed_in()
        try:
            run = service.last_run(actor)
            if run is None:
                raise ZhurnalError(t("year.undo.nothing"))
            report = service.undo_last(actor, dry_run=True)
        except Conflict as exc:
            self.post_message(CallFailed(f"{exc}\n{t('year.undo.backup_hint')}", "year"))
            return
        except ZhurnalError as exc:
            self.fail(exc)
            return
        what = t(f"year.run.{run.kind}")
        lines = [t("year.home.last_run", what=what, login=run.login, when=f"{run.created_at:%d.%m.%Y %H:%M}"),
                 t("year.undo.deleted", rows=", ".join(f"{k} {n}" for k, n in report.deleted.items()) or "—"),
                 t("year.undo.restored", rows=", ".join(f"{k} {n}" for k, n in report.restored.items()) or "—"),
                 t("year.undo.backup_hint")]
        self.post_message(UndoOffered(lines, what))

    @on(UndoOffered)
    def undo_offered(self, message: UndoOffered) -> None:
        self.finish_loading()

        def answered(yes: bool | None) -> None:
            if yes:
                self.begin()
                self.undo_last()

        self.app.push_screen(ConfirmScreen(t("year.undo.title"), t("year.undo.question", what=message.what),
                                           message.lines, yes=t("year.undo.yes"), default_yes=False), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def undo_last(self) -> None:
        from zhurnal.core.services.rollover import RolloverService

        try:
            report = RolloverService(self.ctx.store).undo_last(self.ctx.signed_in())
        except Conflict as exc:
            self.post_message(CallFailed(f"{exc}\n{t('year.undo.backup_hint')}", "year"))
            return
        except ZhurnalError as exc:
            self.fail(exc)
            return
        self.app.call_from_thread(self.notify, t("year.undo.done", what=t(f"year.run.{report.run.kind}")),
                                  timeout=8)
        self.app.call_from_thread(self.refresh_home)

    # --------------------------------------------------------------------------------------------- book

    def action_book(self) -> None:
        current = next((y for y in reversed(self.years) if y.start <= self.ctx.day()), None)
        start, end = (current.start, current.end) if current else (self.ctx.day(), self.ctx.day())
        self.post_message(YearSuggested("book", [("from", t("year.field.from"), day(start)),
                                                 ("to", t("year.field.to"), day(end))]))

    def book_form_done(self, values: dict[str, str] | None) -> None:
        if values is None:
            return
        try:
            period = (parse_day(values["from"], t("year.field.from")), parse_day(values["to"], t("year.field.to")))
        except ValidationFailed as exc:
            self.notify("\n".join(p.message for p in exc.problems), severity="error")
            return
        self.begin()
        self.load_book(*period)

    @work(thread=True, exclusive=True, exit_on_error=False, group="year")
    def load_book(self, date_from: date, date_to: date) -> None:
        from zhurnal.core.services.movements import MovementService

        try:
            book = MovementService(self.ctx.store).book(self.ctx.signed_in(), date_from, date_to)
        except ZhurnalError as exc:
            self.fail(exc)
            return
        self.post_message(YearLoaded("book", book))

    def render_book(self, table: DataTable[Any], heading: Static) -> None:
        book = self.book_data
        heading.update(Text(t("year.book.heading", start=day(book.date_from), end=day(book.date_to)), style="bold"))
        for key in ("section", "student", "date", "class", "order", "counterpart"):
            table.add_column(t(f"year.col.{key}"), key=key)
        counts = []
        n = 0
        for title, rows in book.sections():
            counts.append(f"{title}: {len(rows)}")
            for r in rows:
                n += 1
                table.add_row(title, r.full_name, day(r.date), r.class_name,
                              f"№ {r.order_number} {day(r.order_date)}", r.counterpart or "", key=str(n))
        self.status("; ".join(counts))

    def action_export(self) -> None:
        if self.book_data is not None:
            self.export_book(self.book_data.date_from, self.book_data.date_to)

    @work(thread=True, exclusive=True, exit_on_error=False, group="year-export")
    def export_book(self, date_from: date, date_to: date) -> None:
        from zhurnal.core.services.movements import MovementService

        try:
            data = MovementService(self.ctx.store).export_xlsx(self.ctx.signed_in(), date_from, date_to)
            path = self.save(f"movement-book-{date_from.isoformat()}-{date_to.isoformat()}", data)
        except ZhurnalError as exc:
            self.fail(exc)
            return
        except OSError as exc:
            self.post_message(CallFailed(t("year.export_failed", detail=str(exc)), "year"))
            return
        self.app.call_from_thread(self.notify, t("year.saved", path=str(path)), timeout=8)
