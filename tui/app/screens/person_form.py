"""Create or edit a person: the fields of PersonInput with the core's validation messages under each field.

Saving runs in a worker. Errors (ValidationFailed) stay under their fields; warnings are shown and the save goes
through; a possible duplicate asks before saving anyway; a conflict (someone saved meanwhile) offers to reload.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Input, Select, Static

from zhurnal.core.errors import Conflict, PossibleDuplicate, ValidationFailed, ZhurnalError
from zhurnal.core.services.persons import SEXES, PersonInput, PersonView, SavedPerson, clean_person, input_from
from zhurnal.core.validation import Problem, parse_date
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day, sex
from zhurnal.tui.app.messages import (
    CallFailed,
    DuplicateSuspected,
    FormRefused,
    PersonLoaded,
    PersonSaved,
    SaveConflict,
)
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen, leave_form
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.i18n import t

TEXT_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "snils", "phone", "email", "address")


def field_labels() -> dict[str, str]:
    return {
        "last_name": t("person.field.last_name"), "first_name": t("person.field.first_name"),
        "middle_name": t("person.field.middle_name"), "birth_date": t("person.field.birth_date"),
        "snils": t("person.field.snils"), "phone": t("person.field.phone"), "email": t("person.field.email"),
        "address": t("person.field.address"),
    }


class PersonFormScreen(AppScreen):
    """`PersonFormScreen(None)` registers a new person, `PersonFormScreen(person)` edits a saved one.

    When it closes after a save, `saved` holds the result (the caller refreshes the card or opens it).
    """

    TITLE_KEY = "person.title.new"
    HELP_KEY = "help.person_form"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "back"),
    ]

    def __init__(self, person: PersonView | None = None) -> None:
        super().__init__()
        self.person = person
        self.saved: SavedPerson | None = None
        self.initial = PersonInput("", "")
        self.saving = False

    def screen_title(self) -> str:
        return t("person.title.edit") if self.person is not None else t("person.title.new")

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="person-form"):
            for name in TEXT_FIELDS:
                placeholder = t("form.date.placeholder") if name == "birth_date" else ""
                yield Field(field_labels()[name],
                            Input(id=f"person-{name}", placeholder=placeholder, compact=True), name)
                if name == "birth_date":
                    yield Field(t("person.field.sex"),
                                Select[str]([(sex(code), code) for code in SEXES], id="person-sex",
                                            prompt=t("person.sex.none"), compact=True), "sex")
            yield Static("", id="person-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        if self.person is not None:
            self.fill(self.person)
        self.initial = self.data()
        self.query_one("#person-last_name", Input).focus()

    # ---------------------------------------------------------------------------------------------- values

    def fill(self, person: PersonView) -> None:
        values = input_from(person)
        for name in TEXT_FIELDS:
            value = day(values.birth_date) if name == "birth_date" else getattr(values, name)
            self.query_one(f"#person-{name}", Input).value = value or ""
        select = self.query_one("#person-sex", Select)
        if values.sex in SEXES:
            select.value = values.sex
        else:
            select.clear()

    def text(self, name: str) -> str:
        return self.query_one(f"#person-{name}", Input).value

    def data(self) -> PersonInput:
        """The form as the core's input (the birth date parsed; a bad date is left out and reported apart)."""
        birth, _ = parse_date(self.text("birth_date"), "birth_date")
        chosen = self.query_one("#person-sex", Select).value
        return PersonInput(
            last_name=self.text("last_name"), first_name=self.text("first_name"),
            middle_name=self.text("middle_name") or None, birth_date=birth,
            sex=chosen if isinstance(chosen, str) else None, snils=self.text("snils") or None,
            phone=self.text("phone") or None, email=self.text("email") or None,
            address=self.text("address") or None,
            external_id=self.person.external_id if self.person is not None else None)

    def dirty(self) -> bool:
        return self.data() != self.initial or bool(self.date_problems())

    def date_problems(self) -> list[Problem]:
        return parse_date(self.text("birth_date"), "birth_date")[1]

    def check(self) -> list[Problem]:
        """What the core's checks say about the form now (pure functions, no database)."""
        _, problems = clean_person(self.data(), today=self.ctx.day())
        return self.date_problems() + problems

    @on(Input.Blurred)
    @on(Select.Changed)
    def field_left(self) -> None:
        # Say what is wrong as soon as the user leaves a field, before any save; untouched fields stay quiet.
        problems = [p for p in self.check() if p.field not in self.untouched()]
        self.say(problems)

    def untouched(self) -> set[str]:
        if self.person is not None:
            return set()
        return {name for name in TEXT_FIELDS if not self.text(name)}

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#person-message", Static), problems, text)

    # ---------------------------------------------------------------------------------------------- saving

    @on(Input.Submitted)
    def next_field(self) -> None:
        # Enter in a field moves on, like Tab (Ctrl+S saves from anywhere).
        self.focus_next()

    def action_save(self, allow_duplicate: bool = False) -> None:
        if self.saving:
            return
        found = self.date_problems()
        if found:
            self.say(found + [p for p in self.check() if p.field != "birth_date"])
            return
        self.saving = True
        self.query_one("#person-form").loading = True
        version = self.person.version if self.person is not None else None
        self.save(self.person.id if self.person is not None else None, version, self.data(), allow_duplicate)

    @work(thread=True, exclusive=True, exit_on_error=False, group="person-save")
    def save(self, person_id: int | None, version: int | None, data: PersonInput, allow_duplicate: bool) -> None:
        try:
            saved = workers.save_person(self.ctx, person_id, version, data, allow_duplicate)
        except ValidationFailed as exc:
            self.post_message(FormRefused(exc.problems))
        except PossibleDuplicate as exc:
            try:
                rows = workers.duplicate_rows(self.ctx, data, exc.candidates)
            except ZhurnalError:
                rows = []
            self.post_message(DuplicateSuspected(str(exc), data, rows, exc.candidates))
        except Conflict as exc:
            self.post_message(SaveConflict(str(exc)))
        except ZhurnalError as exc:
            self.post_message(FormRefused([], str(exc)))
        else:
            self.post_message(PersonSaved(saved))

    def finish_loading(self) -> None:
        self.saving = False
        self.query_one("#person-form").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say(message.problems, message.text or (t("person.refused") if message.problems else ""))

    @on(PersonSaved)
    def done(self, message: PersonSaved) -> None:
        self.finish_loading()
        self.saved = message.saved
        self.app.notify(t("person.saved", name=message.saved.person.full_name), timeout=4)
        if message.saved.warnings:
            self.app.notify("\n".join(p.message for p in message.saved.warnings), title=t("person.warnings"),
                            severity="warning", timeout=10)
        self.dismiss(None)

    @on(DuplicateSuspected)
    def duplicate(self, message: DuplicateSuspected) -> None:
        self.finish_loading()
        lines = [t("person.duplicate.row", name=row.full_name, birth=day(row.birth_date), id=row.id)
                 for row in message.rows] or [t("person.duplicate.ids", ids=", ".join(map(str, message.ids)))]

        def answered(yes: bool | None) -> None:
            if yes:
                self.action_save(allow_duplicate=True)

        self.app.push_screen(ConfirmScreen(t("person.duplicate.title"), message.text + "\n"
                                           + t("person.duplicate.question"), lines,
                                           yes=t("person.duplicate.yes"), default_yes=False), answered)

    @on(SaveConflict)
    def conflict(self, message: SaveConflict) -> None:
        self.finish_loading()
        self.say([], message.text)

        def answered(yes: bool | None) -> None:
            if yes and self.person is not None:
                self.query_one("#person-form").loading = True
                self.reload(self.person.id)

        self.app.push_screen(ConfirmScreen(t("person.conflict.title"), message.text + "\n"
                                           + t("person.conflict.question"), yes=t("person.conflict.reload"),
                                           no=t("person.conflict.keep")), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="person-load")
    def reload(self, person_id: int) -> None:
        try:
            person = workers.load_person(self.ctx, person_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "person"))
            return
        self.post_message(PersonLoaded(person))

    @on(PersonLoaded)
    def reloaded(self, message: PersonLoaded) -> None:
        self.finish_loading()
        self.person = message.person
        self.fill(message.person)
        self.initial = self.data()
        self.say([], t("person.reloaded"))

    # ------------------------------------------------------------------------------------------------ back

    def action_back(self) -> None:
        leave_form(self, self.dirty())
