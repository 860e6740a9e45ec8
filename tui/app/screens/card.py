"""A person's card: profile, classes with their orders, positions, guardians or children. Opening it is an
audited read of personal data (the core's PersonService.get records it)."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.guardianship import GuardianshipView
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day, dismiss_reason, enrolment_reason, period, relation, sex
from zhurnal.tui.app.messages import CallFailed, CardLoaded
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.workers import CardData
from zhurnal.tui.i18n import t


class PersonCardScreen(AppScreen):
    """One person; F9 edits the profile and the card reloads after a save."""

    TITLE_KEY = "card.title"
    HELP_KEY = "help.card"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("card.edit", "f9", "edit"),
    ]

    def __init__(self, person_id: int) -> None:
        super().__init__()
        self.person_id = person_id
        self.card: CardData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="card"):
            yield Static("", id="card-name")
            yield Static("", id="card-profile")
            yield Static("", id="card-sections")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        scroll = self.query_one("#card", VerticalScroll)
        scroll.loading = True
        scroll.focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="card")
    def load(self) -> None:
        try:
            card = workers.load_card(self.ctx, self.person_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "card"))
            return
        self.post_message(CardLoaded(card))

    def finish_loading(self) -> None:
        self.query_one("#card", VerticalScroll).loading = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit":
            return self.card is not None and self.ctx.can("people.write")
        return True

    def action_edit(self) -> None:
        from zhurnal.tui.app.screens.person_form import PersonFormScreen

        if self.card is None:
            return
        form = PersonFormScreen(self.card.person)

        def closed(_: None) -> None:
            if form.saved is not None:
                self.query_one("#card", VerticalScroll).loading = True
                self.load()

        self.app.push_screen(form, closed)

    @on(CardLoaded)
    def show(self, message: CardLoaded) -> None:
        self.card = card = message.card
        self.finish_loading()
        self.refresh_bindings()
        person = card.person
        self.sub_title = t("card.title") + ": " + person.full_name
        self.query_one("#card-name", Static).update(Text(person.full_name, style="bold"))
        self.query_one("#card-profile", Static).update(self.profile(card))
        self.query_one("#card-sections", Static).update(self.sections(card))

    @staticmethod
    def profile(card: CardData) -> Table:
        person = card.person
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim")
        grid.add_column()
        fields = [
            (t("card.birth_date"), day(person.birth_date)), (t("card.sex"), sex(person.sex)),
            (t("card.snils"), person.snils), (t("card.phone"), person.phone), (t("card.email"), person.email),
            (t("card.address"), person.address), (t("card.external_id"), person.external_id),
        ]
        for label, value in fields:
            grid.add_row(label, value or "—")
        return grid

    @staticmethod
    def sections(card: CardData) -> Group:
        parts: list[RenderableType] = []

        def section(title: str, body: RenderableType | None) -> None:
            if parts:
                parts.append(Text(""))
            parts.append(Text(title, style="bold underline"))
            parts.append(body if body is not None else Text(t("card.nothing"), style="dim"))

        if card.enrolments:
            table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
            for column in (t("card.col.class"), t("card.col.year"), t("card.col.period"), t("card.col.reason"),
                           t("card.col.order")):
                table.add_column(column)
            for e in card.enrolments:
                reason = enrolment_reason(e.start_reason)
                orders = e.start_order
                if e.end_date is not None:
                    reason += " → " + enrolment_reason(e.end_reason)
                    orders += "; " + (e.end_order or "")
                place = e.came_from or e.went_to
                if place:
                    reason += f" ({place})"
                table.add_row(e.class_name, e.year_name, period(e.start_date, e.end_date), reason, orders)
            section(t("card.enrolments"), table)
        if card.positions:
            table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
            for column in (t("card.col.position"), t("card.col.rate"), t("card.col.period"), t("card.col.order")):
                table.add_column(column)
            for p in card.positions:
                orders = p.start_order + (f"; {p.end_order} ({dismiss_reason(p.end_reason)})" if p.end_order else "")
                table.add_row(p.position, str(p.rate), period(p.start_date, p.end_date), orders)
            section(t("card.positions"), table)
        if card.guardians:
            section(t("card.guardians"), _links([(g.parent_name, g) for g in card.guardians]))
        if card.children:
            section(t("card.children"), _links([(g.student_name, g) for g in card.children]))
        if not parts:
            section(t("card.memberships"), None)
        return Group(*parts)


def _links(rows: list[tuple[str, GuardianshipView]]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column()
    grid.add_column(style="dim")
    for name, link in rows:
        grid.add_row(name, relation(link.relation) + " · " + t("format.since", start=day(link.start_date)))
    return grid
