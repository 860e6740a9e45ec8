"""The orders register: the school's orders of the last year, newest first. F9 writes an order; Enter on an
order opens the form that applies its movements (enrol, transfer, depart, hire, dismiss)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Header, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.orders import OrderView
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import CallFailed, OrdersLoaded
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t


def kind_labels() -> dict[str, str]:
    """Order kinds (core ORDER_KINDS) in the interface language."""
    return {
        "enrolment": t("order.kind.enrolment"), "transfer": t("order.kind.transfer"),
        "departure": t("order.kind.departure"), "hire": t("order.kind.hire"),
        "dismissal": t("order.kind.dismissal"), "promotion": t("order.kind.promotion"),
        "graduation": t("order.kind.graduation"), "other": t("order.kind.other"),
    }


class OrdersScreen(AppScreen):
    """The register; the highlighted order is the one Enter applies."""

    TITLE_KEY = "orders.title"
    HELP_KEY = "help.orders"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("orders.apply", "enter", "apply", priority=True),
        bind("orders.new", "f9", "new"),
    ]

    def __init__(self) -> None:
        super().__init__(id="orders-screen")
        self.orders: dict[int, OrderView] = {}
        self.select_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="orders", cursor_type="row", zebra_stripes=True)
        yield Static("", id="orders-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#orders", DataTable)
        table.add_column(t("orders.col.number"), key="number")
        table.add_column(t("orders.col.date"), key="date", width=10)
        table.add_column(t("orders.col.kind"), key="kind")
        table.add_column(t("orders.col.title"), key="title")
        table.focus()
        self.reload()

    def reload(self) -> None:
        self.query_one("#orders", DataTable).loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="orders")
    def load(self) -> None:
        try:
            orders = workers.load_orders(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "orders"))
            return
        self.post_message(OrdersLoaded(orders))

    def finish_loading(self) -> None:
        self.query_one("#orders", DataTable).loading = False

    @on(OrdersLoaded)
    def loaded(self, message: OrdersLoaded) -> None:
        self.finish_loading()
        table = self.query_one("#orders", DataTable)
        table.clear()
        kinds = kind_labels()
        self.orders = {o.id: o for o in message.orders}
        for order in message.orders:
            table.add_row(order.number, day(order.order_date), kinds.get(order.kind, order.kind), order.title,
                          key=str(order.id))
        if self.select_id is not None and self.select_id in self.orders:
            table.move_cursor(row=table.get_row_index(str(self.select_id)))
        self.query_one("#orders-status", Static).update(
            t("orders.status", count=len(message.orders)) if message.orders else t("orders.none"))
        self.refresh_bindings()

    def highlighted(self) -> OrderView | None:
        table = self.query_one("#orders", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.orders.get(int(key)) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("apply", "new"):
            return self.ctx.can("orders.write") and (action == "new" or self.highlighted() is not None)
        return True

    def action_new(self) -> None:
        from zhurnal.tui.app.screens.order_form import OrderFormScreen

        form = OrderFormScreen()

        def closed(_: None) -> None:
            if form.saved is not None:
                self.select_id = form.saved.id
                self.reload()

        self.app.push_screen(form, closed)

    @on(DataTable.RowSelected, "#orders")
    def row_selected(self) -> None:
        # A click on a row (Enter is the orders.apply binding).
        self.action_apply()

    def action_apply(self) -> None:
        from zhurnal.tui.app.screens.movement import MovementScreen, action_for

        order = self.highlighted()
        if order is None:
            return
        if action_for(order.kind) is None:
            self.notify(t("movement.none", kind=kind_labels().get(order.kind, order.kind)), timeout=6)
            return
        self.app.push_screen(MovementScreen(order))
