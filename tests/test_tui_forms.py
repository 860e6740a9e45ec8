"""The person form and the confirmation window, driven with Pilot at 80×24 against a copy of the demo school on
both engines: validation messages under the fields, a possible duplicate confirmed, an edit that meets someone
else's save, and unsaved edits kept when the user says No. Tests never sleep (`settle` waits for the workers)."""

from __future__ import annotations

from sqlalchemy import func, select
from textual.pilot import Pilot
from textual.widgets import Input

from tests import test_tui
from tests.test_tui import TODAY, drive, make_app, screen_text, settle
from zhurnal.core.models import Person
from zhurnal.core.services.persons import PersonService, input_from, with_changes
from zhurnal.core.store import Store
from zhurnal.tui.app.screens.card import PersonCardScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.people import PeopleScreen
from zhurnal.tui.app.screens.person_form import PersonFormScreen
from zhurnal.tui.app.widgets.form import field_of

# The demo school fixtures of the screen tests (a copy of the demo database per test, on both engines).
demo = test_tui.demo
actor = test_tui.actor
russian = test_tui.russian


def count_named(store: Store, last_name: str) -> int:
    with store.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Person).where(Person.last_name == last_name))
                   or 0)


async def type_into(pilot: Pilot[None], field: str, text: str) -> None:
    """Focus a field of the person form, empty it and type `text` (as the user would)."""
    box = pilot.app.screen.query_one(f"#person-{field}", Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)


async def open_new_form(pilot: Pilot[None]) -> None:
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press("f9")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PersonFormScreen)


def test_create_a_person_after_correcting_a_validation_error(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_new_form(pilot)
        await type_into(pilot, "last_name", "Зимoва")  # a Latin "o" inside a Cyrillic name
        await type_into(pilot, "first_name", "Алина")
        await type_into(pilot, "birth_date", "04.03.2015")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonFormScreen)
        message = field_of(app.screen, "last_name").text
        assert message.startswith("Фамилия") and "латинские" in message
        assert "Фамилия: " in screen_text(app)  # the message is on screen, under the field
        assert field_of(app.screen, "first_name").text == ""
        assert count_named(demo, "Зимова") == 0
        await type_into(pilot, "last_name", "Зимова")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonCardScreen)
        assert "Зимова Алина" in screen_text(app)
        assert [s.__class__ for s in app.screen_stack][-2] is PeopleScreen  # the card sits above the list
        assert count_named(demo, "Зимова") == 1

    drive(app, scenario)


def test_a_bad_date_is_shown_under_its_field_before_any_call(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_new_form(pilot)
        await type_into(pilot, "birth_date", "31.02.2015")
        await pilot.press("tab")
        await pilot.pause()
        assert "такой даты нет" in field_of(app.screen, "birth_date").text

    drive(app, scenario)


def test_a_possible_duplicate_asks_and_saves_only_when_confirmed(demo, actor):
    existing = PersonService(demo).search(actor, "Ива", kind="student", on=TODAY, limit=1).rows[0]
    person = PersonService(demo).get(actor, existing.id)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_new_form(pilot)
        await type_into(pilot, "last_name", person.last_name)
        await type_into(pilot, "first_name", person.first_name)
        if person.middle_name:
            await type_into(pilot, "middle_name", person.middle_name)
        assert person.birth_date is not None
        await type_into(pilot, "birth_date", person.birth_date.strftime("%d.%m.%Y"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert person.full_name in screen_text(app) and f"№ {person.id}" in screen_text(app)
        await pilot.press("enter")  # No has the focus: nothing is saved
        await settle(pilot)
        assert isinstance(app.screen, PersonFormScreen)
        assert count_named(demo, person.last_name) == before
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, PersonCardScreen)
        assert count_named(demo, person.last_name) == before + 1

    before = count_named(demo, person.last_name)
    drive(app, scenario)


def test_an_edit_meets_a_save_made_meanwhile_and_reloads(demo, actor):
    found = PersonService(demo).search(actor, "Ива", kind="student", on=TODAY, limit=1).rows[0]
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3", *"Ива")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonCardScreen)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PersonFormScreen)
        # Someone else saves the person while the form is open.
        current = PersonService(demo).get(actor, found.id)
        PersonService(demo).update(actor, found.id, current.version,
                                   with_changes(input_from(current), phone="+7 900 111-22-33"), today=TODAY)
        await type_into(pilot, "email", "new@example.org")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "другой пользователь" in screen_text(app)
        await pilot.press("enter")  # Load the saved version
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PersonFormScreen)
        assert form.query_one("#person-phone", Input).value == "+7 900 111-22-33"
        assert form.query_one("#person-email", Input).value == (current.email or "")
        await type_into(pilot, "email", "new@example.org")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonCardScreen)
        assert "new@example.org" in screen_text(app)  # the card reloaded after the save
        saved = PersonService(demo).get(actor, found.id)
        assert saved.email == "new@example.org" and saved.phone == "+7 900 111-22-33"

    drive(app, scenario)


def test_unsaved_edits_ask_before_closing_and_no_keeps_them(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_new_form(pilot)
        await type_into(pilot, "last_name", "Черновик")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # No: back to the form, the text still there
        await settle(pilot)
        assert isinstance(app.screen, PersonFormScreen)
        assert app.screen.query_one("#person-last_name", Input).value == "Черновик"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+y")  # Yes: closed without saving
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        assert count_named(demo, "Черновик") == 0

    drive(app, scenario)


def test_a_warning_is_shown_under_its_field_and_the_save_goes_through(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_new_form(pilot)
        await type_into(pilot, "last_name", "Ветрова")
        await type_into(pilot, "first_name", "Ольга")
        await type_into(pilot, "phone", "+4420794609")  # not a Russian number: a warning, not an error
        await pilot.press("tab")
        await pilot.pause()
        phone = field_of(app.screen, "phone")
        assert phone.text.startswith("Телефон") and phone.query_one(".field-message").has_class("-warning")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonCardScreen)
        assert count_named(demo, "Ветрова") == 1

    drive(app, scenario)
