"""The orders register driven with Pilot at 80×24 against a copy of the demo school on both engines: write an
order, transfer a student by it (after a confirmation, which can also be declined), the service's messages shown
under the fields. Tests never sleep (`settle` waits for the workers)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from tests import test_tui
from tests.conftest import ui_only
from tests.test_tui import SIZE, TODAY, drive, make_app, screen_text, settle
from zhurnal.core.services.classes import ClassService
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.years import YearService
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.movement import MovementScreen
from zhurnal.tui.app.screens.order_form import OrderFormScreen
from zhurnal.tui.app.screens.orders import OrdersScreen
from zhurnal.tui.app.widgets.form import field_of

demo = test_tui.demo
actor = test_tui.actor
russian = test_tui.russian


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)


async def choose(pilot: Pilot[None], selector: str, value: object) -> None:
    pilot.app.screen.query_one(selector, Select).value = value
    await pilot.pause()


def test_write_an_order_and_transfer_a_student_by_it(demo, actor):
    year = YearService(demo).current(actor, on=TODAY)
    classes = ClassService(demo).list(actor, year.id, on=TODAY)
    source = classes[0]
    target = next(c for c in classes if c.id != source.id and c.name[:-1] == source.name[:-1])
    student = ClassService(demo).roster(actor, source.id, TODAY)[0]
    last_name = student.full_name.split()[0]
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        before = app.screen.query_one("#orders", DataTable).row_count
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, OrderFormScreen)
        await type_into(pilot, "#order-number", "77-у")
        await choose(pilot, "#order-kind", "transfer")
        await pilot.press("ctrl+s")  # no title yet: the core's message appears under the title field
        await settle(pilot)
        assert isinstance(app.screen, OrderFormScreen)
        assert field_of(app.screen, "title").text.startswith("Заголовок приказа")
        await type_into(pilot, "#order-title", "О переводе")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen)
        table = app.screen.query_one("#orders", DataTable)
        assert table.row_count == before + 1
        assert "77-у" in screen_text(app)
        assert table.get_row_at(table.cursor_row)[0] == "77-у"  # the new order is highlighted
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MovementScreen)
        await pilot.press(*last_name)
        await settle(pilot)
        picker_table = app.screen.query_one(".picker-table", DataTable)
        names = [str(picker_table.get_row_at(i)[0]) for i in range(picker_table.row_count)]
        await pilot.press("down")  # into the list
        for _ in range(names.index(student.full_name)):
            await pilot.press("down")
        await choose(pilot, "#movement-class", source.id)  # the class the student is already in
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert student.full_name in screen_text(app)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, MovementScreen)
        assert "уже учится" in field_of(app.screen, "class").text  # the service's message, under the class
        await choose(pilot, "#movement-class", target.id)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert target.name in screen_text(app)
        await pilot.press("enter")  # No has the focus: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, MovementScreen)
        assert EnrolmentService(demo).class_on(actor, student.person_id, TODAY).id == source.id
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, MovementScreen)
        assert "Проведено" in screen_text(app)
        assert EnrolmentService(demo).class_on(actor, student.person_id, TODAY).id == target.id
        history = EnrolmentService(demo).history(actor, student.person_id)
        assert history[-1].start_order.startswith("№ 77-у")
        await pilot.press("escape")
        assert isinstance(app.screen, OrdersScreen)

    drive(app, scenario)
    order = [o for o in OrderService(demo).list(actor) if o.number == "77-у"]
    assert len(order) == 1 and order[0].kind == "transfer" and order[0].order_date == TODAY


@ui_only
def test_orders_register_and_forms_fit_80_by_24(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f8")
        await settle(pilot)
        assert "Приказы" in screen_text(app).splitlines()[-1] or "Провести" in screen_text(app)
        test_tui.fits(app, "#orders", min_height=15)
        await pilot.press("enter")
        await settle(pilot)
        if isinstance(app.screen, MovementScreen):
            for selector in (".picker-search", ".picker-table", "#movement-date", "KeyFooter"):
                test_tui.fits(app, selector)
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        for selector in ("#order-number", "#order-date", "#order-kind", "#order-title", "#order-text",
                         "KeyFooter"):
            test_tui.fits(app, selector)
        assert app.size == SIZE

    drive(app, scenario)


@ui_only
def test_the_dashboard_footer_keeps_quit_and_help_names_the_orders_key(demo, actor):
    from zhurnal.tui.app.screens.help import HelpScreen

    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        footer = screen_text(app).splitlines()[-1]
        assert "f10 Выход" in footer and "f1 Справка" in footer
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "Приказы" in screen_text(app) and "f8" in screen_text(app)

    drive(app, scenario)


def test_an_order_number_taken_this_year_is_refused_under_the_number(demo, actor):
    taken = OrderService(demo).list(actor, date_from=TODAY.replace(month=1, day=1))[0]
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await type_into(pilot, "#order-number", taken.number)
        await choose(pilot, "#order-kind", "other")
        await type_into(pilot, "#order-title", "Повтор")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, OrderFormScreen)
        assert "уже есть" in field_of(app.screen, "number").text

    drive(app, scenario)


def test_dismiss_a_position_chosen_in_the_picker(demo, actor):
    from zhurnal.core.services.staff import StaffService

    held = StaffService(demo).active_staff(actor, on=TODAY)[0]
    OrderService(demo).create(actor, "88-к", TODAY, "dismissal", "Об увольнении")
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen.query_one("#orders", DataTable).get_row_at(0)[0] == "88-к"  # newest first
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MovementScreen)
        await pilot.press(*held.full_name.split()[0])
        await settle(pilot)
        picker = app.screen.query_one(".picker-table", DataTable)
        rows = [picker.get_row_at(i) for i in range(picker.row_count)]
        await pilot.press("down")
        for _ in range(rows.index([held.full_name, held.position])):
            await pilot.press("down")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and held.position in screen_text(app)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert "Проведено" in screen_text(app)

    drive(app, scenario)
    positions = {p.id: p for p in StaffService(demo).positions(actor, held.person_id)}
    ended = positions[held.position_id]
    assert ended.end_date == TODAY and ended.end_reason == "own_wish" and ended.end_order.startswith("№ 88-к")
