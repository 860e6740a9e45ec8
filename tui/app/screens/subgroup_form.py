"""The students of one subgroup of a class in a subject: the class list, this subgroup's members ticked.

Opened from the grid of a subgroup journal (docs/journal.md, "Subgroups"). `Space` ticks, `Ctrl+S` saves through
SubgroupService (the ticked students go into this subgroup, the unticked ones leave it), `Escape` cancels.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Header, SelectionList, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.subgroups import SubgroupsView
from zhurnal.tui.app import journal_workers
from zhurnal.tui.app.journal_messages import SubgroupsLoaded
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed, FormRefused
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t


class SubgroupScreen(AppScreen):
    """Tick the members of `subgroup`; `saved` is True once the core took the change."""

    TITLE_KEY = "subgroup.title"
    HELP_KEY = "help.subgroup"
    DEFAULT_CSS = """
    #subgroup-info { height: auto; padding: 0 1; }
    #subgroup-list { height: 1fr; }
    #subgroup-message { height: auto; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "app.pop_screen"),
    ]

    def __init__(self, class_id: int, subject_id: int, subgroup: str) -> None:
        super().__init__()
        self.class_id, self.subject_id, self.subgroup = class_id, subject_id, subgroup
        self.view: SubgroupsView | None = None
        self.saved = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="subgroup-info")
        yield SelectionList[int](id="subgroup-list", compact=True)
        yield Static("", id="subgroup-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#subgroup-list", SelectionList).focus()
        self.load()

    def screen_title(self) -> str:
        return t("subgroup.heading", subgroup=self.subgroup)

    @work(thread=True, exclusive=True, exit_on_error=False, group="subgroup")
    def load(self) -> None:
        try:
            view = journal_workers.subgroups(self.ctx, self.class_id, self.subject_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "subgroup"))
            return
        self.post_message(SubgroupsLoaded(view))

    @on(SubgroupsLoaded)
    def loaded(self, message: SubgroupsLoaded) -> None:
        if message.saved:
            self.saved = True
            self.app.notify(t("subgroup.saved", subgroup=self.subgroup), timeout=4)
            self.dismiss(None)
            return
        self.view = view = message.view
        self.query_one("#subgroup-info", Static).update(t("subgroup.info", class_name=view.class_name,
                                                          subject=view.subject_name, subgroup=self.subgroup))
        options = []
        for student in view.students:
            label = Text(student.full_name)
            if student.subgroup is not None and student.subgroup != self.subgroup:
                label.append(" · " + student.subgroup, style="dim")
            options.append((label, student.student_id, student.subgroup == self.subgroup))
        chooser = self.query_one("#subgroup-list", SelectionList)
        chooser.clear_options()
        chooser.add_options(options)
        if options:
            chooser.highlighted = 0  # Space ticks the first student at once
        if not view.writable:
            self.say(t("subgroup.read_only"))

    def say(self, text: str) -> None:
        message = self.query_one("#subgroup-message", Static)
        message.update(text)
        message.set_class(bool(text), "-error")

    def action_save(self) -> None:
        if self.view is None:
            return
        ticked = set(self.query_one("#subgroup-list", SelectionList).selected)
        self.send(self.view, ticked)

    @work(thread=True, exclusive=True, exit_on_error=False, group="subgroup")
    def send(self, view: SubgroupsView, ticked: set[int]) -> None:
        try:
            saved = journal_workers.save_subgroup(self.ctx, view, self.subgroup, ticked)
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(SubgroupsLoaded(saved, saved=True))

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.say("\n".join(([message.text] if message.text else []) + [p.message for p in message.problems]))
