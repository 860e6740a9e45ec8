"""The sections menu (F12): every main screen the signed-in user may open, chosen with arrows and Enter."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Header, OptionList
from textual.widgets.option_list import Option

from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import KINDS
from zhurnal.tui.app.navigation import NAV, SECTIONS
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t

# The people lists come first; they are one screen class, so they are not in SECTIONS.
_PEOPLE = (("student", "people.title.student"), ("staff", "people.title.staff"), ("parent", "people.title.parent"))


def menu_entries(can: Callable[[str], bool]) -> list[tuple[str, str]]:
    """(target, title) of every section the actor may open; `can(action)` says whether it holds an action."""
    entries = [(target, t(key)) for target, key in _PEOPLE if target in KINDS and can("people.read")]
    entries += [(target, t(section.title_key)) for target, section in SECTIONS.items()
                if section.allowed(can)]
    return entries


class MenuScreen(AppScreen):
    """A list of sections; the key that opens a section directly is shown beside it."""

    TITLE_KEY = "menu.title"
    HELP_KEY = "help.menu"
    BINDINGS: ClassVar[list[BindingType]] = [bind("screen.back", "escape", "app.pop_screen")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield OptionList(id="sections")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        keys = {target: key for key, target in NAV.values()}
        options = self.query_one("#sections", OptionList)
        for target, title in menu_entries(self.ctx.can):
            # Text, not a str: a str prompt is Rich markup, where "[F3]" would be taken for a tag.
            shown = Text(title)
            if target in keys:
                shown.append(f"  {keys[target].upper()}", style="dim")
            options.add_option(Option(shown, id=target))
        options.highlighted = 0 if options.option_count else None
        options.focus()

    @on(OptionList.OptionSelected, "#sections")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.zapp.action_open(event.option.id)
