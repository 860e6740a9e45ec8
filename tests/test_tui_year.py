"""The academic-year screen (issue #8) driven with Pilot on a demo copy: open the next year, close the old one
with one student's outcome changed, undo the closing; the results are checked through the core."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from tests import year_support
from tests.conftest import ADMIN_PASSWORD
from tests.test_tui import drive, fits, make_app, screen_text, settle
from zhurnal.core.locations import exports_dir
from zhurnal.core.models import Enrolment, SchoolClass
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.promotion import PromotionService
from zhurnal.core.services.rollover import RolloverService
from zhurnal.core.services.years import YearService
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.secret_prompt import SecretPrompt
from zhurnal.tui.app.screens.year import YearScreen, next_outcome, toggled
from zhurnal.tui.app.screens.year_form import YearForm


@pytest.fixture
def demo(engine_name, request, tmp_path_factory, tmp_path):
    yield from year_support.demo_store(engine_name, request, tmp_path_factory, tmp_path)


@pytest.fixture
def actor(demo):
    return year_support.admin_actor(demo)


def years(store, actor):
    return {y.name: y for y in YearService(store).list(actor)}


def class_names(store, year_id: int) -> set[str]:
    with store.session(write=False) as session:
        return set(session.scalars(select(SchoolClass.name).where(SchoolClass.year_id == year_id)))


def test_the_outcome_cycle_walks_every_outcome():
    seen = ["promote"]
    while (following := next_outcome(seen[-1])) != "promote":
        seen.append(following)
    assert seen == ["promote", "retain", "conditional", "graduate", "continue", "leave_basic", "transfer_out"]
    assert next_outcome(None) == "promote"


def test_open_close_with_an_edited_outcome_and_undo_through_the_screen(demo, actor):
    app = make_app(demo, actor)
    changed: dict[str, object] = {}

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("year")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, YearScreen)
        assert "2026/2027" in screen_text(app)

        # Opening: the form suggests the next year's dates; the user accepts them.
        await pilot.press("o")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, YearForm)
        assert form.values()["name"] == "2027/2028"
        assert form.values()["start"] == "01.09.2027"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.view == "open"
        table = screen.query_one("#year-table", DataTable)
        assert table.row_count == len(screen.proposal.classes) + len(screen.proposal.curriculum) + len(
            screen.proposal.assignments)
        assert any(c.name == "6А" and c.previous_name == "5А" for c in screen.proposal.classes)
        # Space excludes the highlighted item and includes it again.
        first = screen.proposal.classes[0]
        await pilot.press("space")
        assert screen.proposal.classes[0].include is False
        await pilot.press("space")
        assert screen.proposal.classes[0] == first
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert screen.view == "report"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.view == "home"

        # Closing: orders in the form, one student retained, then apply with the password.
        await pilot.press("c")
        await settle(pilot)
        assert screen.view == "close"
        await pilot.press("d")
        await settle(pilot)
        orders = app.screen
        assert isinstance(orders, YearForm)
        for kind, ref in year_support.ORDERS.items():
            orders.query_one(f"#year-field-{kind}_number", Input).value = ref.number
            orders.query_one(f"#year-field-{kind}_date", Input).value = ref.date.strftime("%d.%m.%Y")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert set(screen.plan.orders) == {"promotion", "graduation", "departure"}
        carried = screen.preview_data.subgroups_carried  # the demo's split English, CS and technology groups
        assert carried > 0 and f"Подгруппы перейдут в новые классы: {carried} (ученик" in screen_text(app)
        await pilot.press("enter")  # the first class's students
        await settle(pilot)
        assert screen.view == "students"
        person_id = int(str(screen.highlighted_key()))
        student = next(s for s in screen.plan.students if s.person_id == person_id)
        assert student.outcome == "promote"
        await pilot.press("r")
        await settle(pilot)
        student = next(s for s in screen.plan.students if s.person_id == person_id)
        assert student.outcome == "retain" and student.target_class == student.class_name
        assert not screen.preview_data.problems, screen.preview_data.problems
        changed.update(person_id=person_id, target=student.target_class)
        # The next student: conditional asks the debt, transfer out asks where to.
        for key in ("down", "r", "r"):
            await pilot.press(key)
            await settle(pilot)
        debt = app.screen
        assert isinstance(debt, YearForm)
        debt.query_one("#year-field-debt", Input).value = "математика"
        await pilot.press("ctrl+s")
        await settle(pilot)
        leaving_id = int(str(screen.highlighted_key()))
        assert leaving_id != person_id
        leaving = next(s for s in screen.plan.students if s.person_id == leaving_id)
        assert (leaving.outcome, leaving.debt) == ("conditional", "математика")
        for _ in range(4):
            await pilot.press("r")
            await settle(pilot)
        where = app.screen
        assert isinstance(where, YearForm)
        where.query_one("#year-field-destination", Input).value = "МБОУ СОШ № 7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        leaving = next(s for s in screen.plan.students if s.person_id == leaving_id)
        assert (leaving.outcome, leaving.destination, leaving.target_class, leaving.debt) == (
            "transfer_out", "МБОУ СОШ № 7", None, None)
        assert next(s for s in screen.plan.students if s.person_id == person_id).outcome == "retain"
        await pilot.press("p")  # the protocol into the exports folder
        await settle(pilot)
        assert list(exports_dir().glob("protocol-2026-2027-*.xlsx"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        carried = screen.preview_data.subgroups_carried
        assert f"Подгруппы перейдут в новые классы: {carried}" in screen_text(app)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, SecretPrompt)
        await pilot.press(*ADMIN_PASSWORD, "enter")
        await settle(pilot)
        assert screen.view == "report", screen_text(app)
        assert ("Подгруппы перенесены (ученик × предмет)", str(carried)) in screen.report_lines  # as foretold
        found = years(demo, actor)
        assert found["2026/2027"].status == "closed"
        with demo.session(write=False) as session:
            row = session.execute(select(Enrolment.start_reason, SchoolClass.name, SchoolClass.year_id)
                                  .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
                                  .where(Enrolment.person_id == person_id, Enrolment.end_date.is_(None))).one()
        assert tuple(row) == ("retention", changed["target"], found["2027/2028"].id)
        with demo.session(write=False) as session:
            gone = session.execute(select(Enrolment.end_reason, Enrolment.went_to)
                                   .where(Enrolment.person_id == leaving_id)).all()
        assert [tuple(r) for r in gone] == [("transfer_out", "МБОУ СОШ № 7")]

        # Closing again is harmless.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert screen.plan.students == ()

        # Undo the closing.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert screen.view == "home"
        assert years(demo, actor)["2026/2027"].status != "closed"

    drive(app, scenario)
    new_year = years(demo, actor)["2027/2028"]
    assert {"6А", "1А", "10А"} <= class_names(demo, new_year.id)
    assert "11А" in class_names(demo, years(demo, actor)["2026/2027"].id)


def test_a_refused_undo_points_to_the_backups_and_the_movement_book_exports(demo, actor):
    name, start, end = year_support.NEXT
    rollover = RolloverService(demo)
    opened = rollover.apply_open(actor, rollover.propose_open(actor, name, start, end, year_support.next_terms()))
    old = years(demo, actor)["2026/2027"]
    report = PromotionService(demo).apply_close(actor, PromotionService(demo).plan_close(
        actor, old.id, orders=year_support.ORDERS))
    moved = next(i for i in report.items if i.from_class == "5А" and i.started_enrolment_id)
    order = OrderService(demo).create(actor, "7-у", date(2027, 9, 10), "transfer", "О переводе")
    with demo.session(write=False) as session:
        six_b = session.scalar(select(SchoolClass.id).where(SchoolClass.year_id == opened.year.id,
                                                            SchoolClass.name == "6Б"))
    EnrolmentService(demo).transfer(actor, moved.person_id, six_b, date(2027, 9, 10), order.id)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("year")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, YearScreen)
        fits(app, "#year-table", min_height=10)
        fits(app, "KeyFooter")
        assert "Закрыть год" in screen_text(app).splitlines()[-1]
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        said = " ".join(n.message for n in app._notifications)
        assert "Резервные копии" in said
        assert years(demo, actor)["2026/2027"].status == "closed"  # nothing undone

        await pilot.press("b")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, YearForm)
        assert form.values() == {"from": "01.09.2026", "to": "31.08.2027"}
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.view == "book"
        book = screen.book_data
        table = screen.query_one("#year-table", DataTable)
        assert table.row_count == sum(len(rows) for _title, rows in book.sections()) > 0
        await pilot.press("x")
        await settle(pilot)
        assert list(exports_dir().glob("movement-book-2026-09-01-2027-08-31-*.xlsx"))

    drive(app, scenario)


def test_toggled_flips_one_item_only():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Item:
        include: bool = True

    @dataclass(frozen=True)
    class Proposal:
        classes: tuple[Item, ...]
        curriculum: tuple[Item, ...] = ()
        assignments: tuple[Item, ...] = ()

    flipped = toggled(Proposal((Item(), Item())), "class:1")
    assert flipped.classes == (Item(True), Item(False))
