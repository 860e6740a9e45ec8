"""Write an order: number, date, kind, title and text; the core's messages under the fields."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Select, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.models import ORDER_KINDS
from zhurnal.core.services.orders import OrderView
from zhurnal.core.validation import Problem, parse_date
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import FormRefused, OrderSaved
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import leave_form
from zhurnal.tui.app.screens.orders import kind_labels
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.i18n import t


class OrderFormScreen(AppScreen):
    """A new order. After a save `saved` holds it and the register selects it."""

    TITLE_KEY = "order.title.new"
    HELP_KEY = "help.order_form"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.saved: OrderView | None = None
        self.saving = False

    def compose(self) -> ComposeResult:
        kinds = kind_labels()
        yield Header()
        with VerticalScroll(id="order-form"):
            yield Field(t("order.field.number"), Input(id="order-number", compact=True), "number")
            yield Field(t("order.field.date"), Input(id="order-date", placeholder=t("form.date.placeholder"),
                                                     compact=True), "order_date")
            yield Field(t("order.field.kind"), Select[str]([(kinds[k], k) for k in ORDER_KINDS], id="order-kind",
                                                           prompt=t("order.kind.none"), compact=True), "kind")
            yield Field(t("order.field.title"), Input(id="order-title", compact=True), "title")
            yield Field(t("order.field.text"), Input(id="order-text", compact=True), "text")
            yield Static("", id="order-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#order-date", Input).value = day(self.ctx.day())
        self.query_one("#order-number", Input).focus()

    def value(self, name: str) -> str:
        return self.query_one(f"#order-{name}", Input).value

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.focus_next()

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#order-message", Static), problems, text)

    def action_save(self) -> None:
        if self.saving:
            return
        order_date, problems = parse_date(self.value("date"), "order_date", required=True)
        kind = self.query_one("#order-kind", Select).value
        if problems or order_date is None:
            self.say(problems)
            return
        self.saving = True
        self.query_one("#order-form").loading = True
        self.save(self.value("number"), order_date, kind if isinstance(kind, str) else "", self.value("title"),
                  self.value("text") or None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="order-save")
    def save(self, number: str, order_date: date, kind: str, title: str, text: str | None) -> None:
        try:
            order = workers.create_order(self.ctx, number, order_date, kind, title, text)
        except ZhurnalError as exc:  # a Conflict: the number is taken this year
            self.post_message(FormRefused.of(exc, conflict_field="number"))
        else:
            self.post_message(OrderSaved(order))

    def finish_loading(self) -> None:
        self.saving = False
        self.query_one("#order-form").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say(message.problems, message.text)

    @on(OrderSaved)
    def done(self, message: OrderSaved) -> None:
        self.finish_loading()
        self.saved = message.order
        self.app.notify(t("order.saved", label=message.order.label), timeout=4)
        self.dismiss(None)

    def action_back(self) -> None:
        leave_form(self, any(self.value(n) for n in ("number", "title", "text")))
