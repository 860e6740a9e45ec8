"""Announcements (administrator, deputy director): the school's announcements newest first with whom they go to
and how many have read them; F9 posts one (the audience chosen from everyone, roles and classes), Enter reads
one in full, Delete withdraws it after a confirmation."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, DataTable, Header, Input, Label, SelectionList, Static, TextArea

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.permissions import ROLES
from zhurnal.core.services.announcements import AnnouncementView, Audience
from zhurnal.core.validation import Problem, parse_date
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.app.messages import AnnouncementChanged, AnnouncementsLoaded, CallFailed, ClassesLoaded, FormRefused
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen, leave_form
from zhurnal.tui.app.screens.news import NewsItem, NewsScreen, moment
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field, say_problems
from zhurnal.tui.i18n import t


def role_labels() -> dict[str, str]:
    """The roles (core ROLES) in the interface language."""
    return {
        "admin": t("role.admin"), "deputy": t("role.deputy"), "teacher": t("role.teacher"),
        "class_teacher": t("role.class_teacher"), "student": t("role.student"), "parent": t("role.parent"),
        "auditor": t("role.auditor"), "backup_operator": t("role.backup_operator"),
    }


def audience_text(audience: Audience) -> str:
    if audience.everyone:
        return t("announcements.everyone")
    roles = role_labels()
    return ", ".join([roles.get(r, r) for r in audience.roles] + list(audience.class_names))


def state_text(announcement: AnnouncementView, today: date) -> str:
    if announcement.withdrawn_at is not None:
        return t("announcements.state.withdrawn")
    return t("announcements.state.shown") if announcement.active_on(today) else t("announcements.state.expired")


class AnnouncementsScreen(AppScreen):
    """The list; the highlighted announcement is the one Enter shows and Delete withdraws."""

    TITLE_KEY = "announcements.title"
    HELP_KEY = "help.announcements"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("announcements.view", "enter", "view", priority=True),
        bind("announcements.new", "f9", "new"),
        bind("announcements.withdraw", "delete", "withdraw"),
    ]

    def __init__(self) -> None:
        super().__init__(id="announcements-screen")
        self.announcements: dict[int, AnnouncementView] = {}
        self.select_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="announcements", cursor_type="row", zebra_stripes=True)
        yield Static("", id="announcements-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#announcements", DataTable)
        table.add_column(t("announcements.col.posted"), key="posted", width=10)
        # Fixed widths: the columns do not jump as the list reloads (the audience is cut to 24 below).
        states = ("announcements.state.shown", "announcements.state.expired", "announcements.state.withdrawn")
        table.add_column(t("announcements.col.state"), key="state",
                         width=max(len(t(key)) for key in (*states, "announcements.col.state")))
        table.add_column(t("announcements.col.reads"), key="reads", width=max(6, len(t("announcements.col.reads"))))
        table.add_column(t("announcements.col.audience"), key="audience", width=24)
        table.add_column(t("announcements.col.title"), key="title")
        table.focus()
        self.reload()

    def reload(self) -> None:
        self.query_one("#announcements", DataTable).loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="announcements")
    def load(self) -> None:
        try:
            found = workers.load_announcements(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "announcements"))
            return
        self.post_message(AnnouncementsLoaded(found))

    def finish_loading(self) -> None:
        self.query_one("#announcements", DataTable).loading = False

    @on(AnnouncementsLoaded)
    def loaded(self, message: AnnouncementsLoaded) -> None:
        self.finish_loading()
        table = self.query_one("#announcements", DataTable)
        table.clear()
        today = self.ctx.day()
        self.announcements = {a.id: a for a in message.announcements}
        for a in message.announcements:
            audience = audience_text(a.audience)
            table.add_row(day(a.posted_at.astimezone().date()), state_text(a, today), str(a.reads),
                          audience if len(audience) <= 24 else audience[:23] + "…", a.title, key=str(a.id))
        if self.select_id is not None and self.select_id in self.announcements:
            table.move_cursor(row=table.get_row_index(str(self.select_id)))
        self.query_one("#announcements-status", Static).update(
            t("announcements.status", count=len(message.announcements)) if message.announcements
            else t("announcements.none"))
        self.refresh_bindings()

    def highlighted(self) -> AnnouncementView | None:
        table = self.query_one("#announcements", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.announcements.get(int(key)) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "view":
            return self.highlighted() is not None
        if action == "withdraw":
            found = self.highlighted()
            return found is not None and found.withdrawn_at is None
        return True

    @on(DataTable.RowHighlighted, "#announcements")
    def moved(self) -> None:
        self.refresh_bindings()

    def action_view(self) -> None:
        found = self.highlighted()
        if found is None:
            return
        item = NewsItem(found.title, found.posted_at, found.author_login,
                        f"{found.body}\n\n{t('announcements.to', audience=audience_text(found.audience))}")
        self.app.push_screen(NewsScreen([item], can_mark=False, title=t("announcements.view_title")))

    def action_new(self) -> None:
        form = AnnouncementFormScreen()

        def closed(_: None) -> None:
            if form.saved is not None:
                self.select_id = form.saved.id
                self.reload()

        self.app.push_screen(form, closed)

    def action_withdraw(self) -> None:
        found = self.highlighted()
        if found is None or found.withdrawn_at is not None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.select_id = found.id
                self.withdraw(found.id)

        self.app.push_screen(ConfirmScreen(t("announcements.withdraw.title"),
                                           t("announcements.withdraw.question", title=found.title),
                                           yes=t("announcements.withdraw.yes"), no=t("confirm.no"),
                                           default_yes=False), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="announcement-withdraw")
    def withdraw(self, announcement_id: int) -> None:
        try:
            changed = workers.withdraw_announcement(self.ctx, announcement_id)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "withdraw"))
            return
        self.post_message(AnnouncementChanged(changed))

    @on(AnnouncementChanged)
    def withdrawn(self, message: AnnouncementChanged) -> None:
        self.notify(t("announcements.withdrawn", title=message.announcement.title), timeout=4)
        self.reload()


class AnnouncementFormScreen(AppScreen):
    """A new announcement: title, until when, to whom (everyone, or roles and classes), and the text."""

    TITLE_KEY = "announcement.title"
    HELP_KEY = "help.announcement_form"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "save"),
        bind("screen.back", "escape", "back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.saved: AnnouncementView | None = None
        self.saving = False

    def compose(self) -> ComposeResult:
        roles = role_labels()
        yield Header()
        with VerticalScroll(id="announcement-form"):
            yield Field(t("announcement.field.title"), Input(id="ann-title", compact=True), "title")
            yield Field(t("announcement.field.until"), Input(id="ann-until", placeholder=t("announcement.forever"),
                                                             compact=True), "expires_on")
            yield Checkbox(t("announcement.field.everyone"), id="ann-everyone", compact=True)
            with Horizontal(id="ann-audience"):
                roles_list = SelectionList[str](*[(roles[r], r) for r in ROLES], id="ann-roles", compact=True)
                roles_list.border_title = t("announcement.field.roles")
                yield roles_list
                classes_list = SelectionList[int](id="ann-classes", compact=True)
                classes_list.border_title = t("announcement.field.classes")
                yield classes_list
            with Vertical(id="ann-body-box"):
                yield Label(t("announcement.field.body"), classes="field-label")
                yield TextArea(id="ann-body", compact=True)
            yield Static("", id="announcement-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#ann-title", Input).focus()
        self.load_classes()

    @work(thread=True, exclusive=True, exit_on_error=False, group="announcement-classes")
    def load_classes(self) -> None:
        try:
            data = workers.load_classes(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "classes"))
            return
        self.post_message(ClassesLoaded(data))

    @on(ClassesLoaded)
    def classes_loaded(self, message: ClassesLoaded) -> None:
        classes = self.query_one("#ann-classes", SelectionList)
        classes.clear_options()
        classes.add_options([(c.name, c.id) for c in message.data.classes])
        classes.highlighted = 0 if classes.option_count else None

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.focus_next()

    @on(Checkbox.Changed, "#ann-everyone")
    def everyone_changed(self, event: Checkbox.Changed) -> None:
        # "Everyone" makes the roles and classes meaningless: they are greyed out meanwhile.
        for selector in ("#ann-roles", "#ann-classes"):
            self.query_one(selector, SelectionList).disabled = event.value

    def audience(self) -> Audience:
        if self.query_one("#ann-everyone", Checkbox).value:
            return Audience(everyone=True)
        roles = self.query_one("#ann-roles", SelectionList).selected
        classes = self.query_one("#ann-classes", SelectionList).selected
        return Audience(roles=tuple(str(r) for r in roles), class_ids=tuple(int(c) for c in classes))

    def say(self, problems: list[Problem], text: str = "") -> None:
        say_problems(self, self.query_one("#announcement-message", Static), problems, text)

    def action_save(self) -> None:
        if self.saving:
            return
        until, problems = parse_date(self.query_one("#ann-until", Input).value, "expires_on")
        if problems:
            self.say(problems)
            return
        self.saving = True
        self.query_one("#announcement-form").loading = True
        self.save(self.query_one("#ann-title", Input).value, self.query_one("#ann-body", TextArea).text,
                  self.audience(), until)

    @work(thread=True, exclusive=True, exit_on_error=False, group="announcement-save")
    def save(self, title: str, body: str, audience: Audience, until: date | None) -> None:
        try:
            posted = workers.post_announcement(self.ctx, title, body, audience, until)
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(AnnouncementChanged(posted))

    def finish_loading(self) -> None:
        self.saving = False
        self.query_one("#announcement-form").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish_loading()
        self.say(message.problems, message.text)

    @on(AnnouncementChanged)
    def done(self, message: AnnouncementChanged) -> None:
        self.finish_loading()
        self.saved = message.announcement
        self.app.notify(t("announcement.posted", title=message.announcement.title,
                          when=moment(message.announcement.posted_at)), timeout=4)
        self.dismiss(None)

    def action_back(self) -> None:
        typed = self.query_one("#ann-title", Input).value or self.query_one("#ann-body", TextArea).text
        leave_form(self, bool(typed.strip()))
