"""Apply an order's movement: enrol, transfer or depart a student, hire or dismiss an employee.

The order's kind decides the movement; the form asks only what that movement needs, confirms before applying
(a movement cannot be undone from the console), and shows the service's messages under the fields.
The form stays open after a movement, since one order usually moves several people.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Select, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.enrolments import DEPART_REASONS
from zhurnal.core.services.orders import OrderView
from zhurnal.core.services.staff import DISMISS_REASONS
from zhurnal.core.validation import Problem, parse_date
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day, dismiss_reason, enrolment_reason
from zhurnal.tui.app.messages import CallFailed, ClassesLoaded, FormRefused, MovementApplied
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.app.widgets.person_picker import PersonPicker
from zhurnal.tui.app.workers import Movement
from zhurnal.tui.i18n import t

# Order kind -> (movement, the reasons the form offers; empty when the movement takes none).
MOVEMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "enrolment": ("enrol", ("admission", "transfer_in", "reinstatement")),
    "promotion": ("enrol", ("promotion", "retention")),
    "transfer": ("transfer", ()),
    "departure": ("depart", tuple(DEPART_REASONS)),
    "graduation": ("depart", ("graduated",)),
    "hire": ("hire", ()),
    "dismissal": ("dismiss", tuple(DISMISS_REASONS)),
}


def action_for(kind: str) -> str | None:
    """The movement an order of `kind` backs (None: an order of that kind moves no one)."""
    return MOVEMENTS[kind][0] if kind in MOVEMENTS else None


class MovementScreen(AppScreen):
    """The movement of one order; Ctrl+S asks for confirmation, then applies it."""

    TITLE_KEY = "movement.title"
    HELP_KEY = "help.movement"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("movement.apply", "ctrl+s", "apply"),
        bind("screen.back", "escape", "app.pop_screen"),
    ]

    def __init__(self, order: OrderView) -> None:
        super().__init__()
        self.order = order
        self.action, self.reasons = MOVEMENTS[order.kind]
        self.applying = False
        self.class_names: dict[int, str] = {}

    def screen_title(self) -> str:
        return t("movement.title") + ": " + self.order.label

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="movement-form"):
            yield Static(self.heading(), id="movement-order")
            if self.action == "dismiss":
                yield Field(t("movement.field.position"), PersonPicker(positions=True, id="movement-person"),
                            "position_id")
            else:
                kind = "student" if self.action in ("transfer", "depart") else None
                yield Field(t("movement.field.person"), PersonPicker(kind, id="movement-person"), "person")
            if self.action in ("enrol", "transfer"):
                yield Field(t("movement.field.class"), Select[int]([], id="movement-class",
                                                                   prompt=t("movement.class.none"), compact=True),
                            "class", "class_id")
            last_day = self.action in ("depart", "dismiss")
            when = Input(day(self.order.order_date), id="movement-date", placeholder=t("form.date.placeholder"),
                         compact=True)
            yield Field(t("movement.field.last_day") if last_day else t("movement.field.date"), when,
                        "date", "start_date", "end_date")
            if self.reasons:
                labels = dismiss_reason if self.action == "dismiss" else enrolment_reason
                yield Field(t("movement.field.reason"), Select[str]([(labels(r), r) for r in self.reasons],
                                                                    id="movement-reason", allow_blank=False,
                                                                    compact=True), "reason")
            if self.action in ("enrol", "depart"):
                label = t("movement.field.came_from") if self.action == "enrol" else t("movement.field.went_to")
                yield Field(label, Input(id="movement-counterpart", compact=True), "counterpart")
            if self.action == "hire":
                yield Field(t("movement.field.position_title"), Input(id="movement-position", compact=True),
                            "position")
                yield Field(t("movement.field.rate"), Input("1", id="movement-rate", compact=True), "rate")
            yield Static("", id="movement-message")
        yield KeyFooter()

    def heading(self) -> str:
        return t("movement.heading", order=self.order.label, title=self.order.title)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".picker-search", Input).focus()
        if self.action in ("enrol", "transfer"):
            self.load_classes()

    @work(thread=True, exclusive=True, exit_on_error=False, group="movement-classes")
    def load_classes(self) -> None:
        try:
            data = workers.load_classes(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "classes"))
            return
        self.post_message(ClassesLoaded(data))

    @on(ClassesLoaded)
    def classes_loaded(self, message: ClassesLoaded) -> None:
        self.class_names = {c.id: c.name for c in message.data.classes}
        self.query_one("#movement-class", Select).set_options((c.name, c.id) for c in message.data.classes)

    @on(Input.Submitted, "#movement-date, #movement-counterpart, #movement-position, #movement-rate")
    def next_field(self) -> None:
        self.focus_next()

    # ---------------------------------------------------------------------------------------------- apply

    def say(self, problems: list[Problem], text: str = "", *, error: bool = True) -> None:
        say_problems(self, self.query_one("#movement-message", Static), problems, text, error=error)

    def gather(self) -> tuple[Movement | None, str, list[Problem]]:
        """The movement the form describes and its summary for the confirmation, or the problems found."""
        problems: list[Problem] = []
        picked = self.query_one(PersonPicker).chosen
        if picked is None:
            field = "position_id" if self.action == "dismiss" else "person"
            problems.append(Problem(field, "required", t("movement.pick.position") if self.action == "dismiss"
                                    else t("movement.pick.person")))
        when, found = parse_date(self.query_one("#movement-date", Input).value, "date", required=True)
        problems += found
        class_id = None
        if self.action in ("enrol", "transfer"):
            value = self.query_one("#movement-class", Select).value
            class_id = value if isinstance(value, int) else None
            if class_id is None:
                problems.append(Problem("class", "required", t("movement.pick.class")))
        if problems or picked is None or when is None:
            return None, "", problems
        reason = None
        if self.reasons:
            chosen = self.query_one("#movement-reason", Select).value
            reason = chosen if isinstance(chosen, str) else None
        counterpart = position = None
        rate = "1"
        if self.action in ("enrol", "depart"):
            counterpart = self.query_one("#movement-counterpart", Input).value or None
        if self.action == "hire":
            position = self.query_one("#movement-position", Input).value
            rate = self.query_one("#movement-rate", Input).value
        target, name = picked
        movement = Movement(self.action, self.order.id, when, reason=reason, counterpart=counterpart,
                            position=position, rate=rate, class_id=class_id,
                            position_id=target if self.action == "dismiss" else None,
                            person_id=None if self.action == "dismiss" else target)
        summary = self.summary(movement, name)
        return movement, summary, []

    def summary(self, m: Movement, name: str) -> str:
        when, order, cls = day(m.day), self.order.label, self.class_names.get(m.class_id or 0, "")
        if m.action == "enrol":
            return t("movement.summary.enrol", name=name, cls=cls, date=when, order=order)
        if m.action == "transfer":
            return t("movement.summary.transfer", name=name, cls=cls, date=when, order=order)
        if m.action == "depart":
            return t("movement.summary.depart", name=name, date=when, order=order,
                     reason=enrolment_reason(m.reason))
        if m.action == "hire":
            return t("movement.summary.hire", name=name, position=m.position or "", date=when, order=order)
        return t("movement.summary.dismiss", name=name, date=when, order=order, reason=dismiss_reason(m.reason))

    def action_apply(self) -> None:
        if self.applying:
            return
        movement, summary, problems = self.gather()
        if movement is None:
            self.say(problems)
            return
        self.say([])

        def answered(yes: bool | None) -> None:
            if yes:
                self.applying = True
                self.query_one("#movement-form").loading = True
                self.run_movement(movement, summary)

        self.app.push_screen(ConfirmScreen(t("movement.confirm.title"), summary,
                                           yes=t("movement.confirm.yes"), default_yes=False), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="movement")
    def run_movement(self, movement: Movement, summary: str) -> None:
        try:
            workers.apply_movement(self.ctx, movement)
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(MovementApplied(summary))

    def finish_loading(self) -> None:
        self.applying = False
        self.query_one("#movement-form").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say(message.problems, message.text)

    @on(MovementApplied)
    def applied(self, message: MovementApplied) -> None:
        self.finish_loading()
        self.say([], t("movement.done", summary=message.text), error=False)
        self.app.notify(t("movement.done", summary=message.text), timeout=5)
        self.query_one(PersonPicker).reload()
