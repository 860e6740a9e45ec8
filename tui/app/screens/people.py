"""Students, staff or parents: one screen, parametrised by the kind of people it lists."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Header

from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import kind_help, kind_title
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.people_list import PeopleList


class PeopleScreen(AppScreen):
    """A searchable list of one kind of people; Enter opens the person's card, F9 registers a new person,
    Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("people.new", "f9", "new"),
    ]

    def __init__(self, kind: str) -> None:
        super().__init__(id=f"people-{kind}")
        self.kind = kind

    def screen_title(self) -> str:
        return kind_title(self.kind)

    def help_text(self) -> str:
        return kind_help(self.kind)

    def compose(self) -> ComposeResult:
        yield Header()
        yield PeopleList(self.kind, id="people")
        yield KeyFooter()

    @on(PeopleList.Opened)
    def open_card(self, message: PeopleList.Opened) -> None:
        from zhurnal.tui.app.screens.card import PersonCardScreen

        self.app.push_screen(PersonCardScreen(message.person_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new":
            return self.ctx.can("people.write")
        return True

    def action_new(self) -> None:
        """The person form; after a save the new person's card opens above the list."""
        from zhurnal.tui.app.screens.card import PersonCardScreen
        from zhurnal.tui.app.screens.person_form import PersonFormScreen

        form = PersonFormScreen(None)

        def closed(_: None) -> None:
            if form.saved is not None:
                self.app.push_screen(PersonCardScreen(form.saved.person.id))

        self.app.push_screen(form, closed)
