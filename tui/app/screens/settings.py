"""School settings: the profile, the term structure and the current year's term dates, the grading scale and
the periods (grade-entry lock, inactive accounts, activity retention).

One list of every setting with its value; Enter on a row opens the small form that changes it (the profile's
three rows share one form). The core checks every value; its messages appear under the field.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Header, Input, Select, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.models import TERM_KINDS
from zhurnal.core.services.classes import MAX_PARALLEL, MIN_PARALLEL
from zhurnal.core.services.schools import SchoolView
from zhurnal.core.services.settings import GRADING_KINDS, INT_SETTINGS, GradingScale, SchoolSettings
from zhurnal.core.services.years import TermView, YearView
from zhurnal.core.validation import Problem, parse_date
from zhurnal.tui.app import structure_workers as calls
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day, period
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.edit_form import Call, EditFormScreen
from zhurnal.tui.app.structure_messages import SettingsLoaded
from zhurnal.tui.app.structure_workers import SettingsData
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.widgets.form import Field
from zhurnal.tui.i18n import t

AS_SCHOOL = ""
"""The term-kind choice of a grade that follows the school's (the override cleared)."""


def term_kinds() -> dict[str, str]:
    """Term kinds (core TERM_KINDS) in the interface language."""
    return {"quarter": t("term_kind.quarter"), "trimester": t("term_kind.trimester"), "half": t("term_kind.half")}


def grading_kinds() -> dict[str, str]:
    """Grading scale kinds (core GRADING_KINDS) in the interface language."""
    return {"five_point": t("grading.five_point"), "ten_point": t("grading.ten_point"),
            "hundred_point": t("grading.hundred_point"), "custom": t("grading.custom")}


def number_labels() -> dict[str, str]:
    """The integer settings (core INT_SETTINGS) in the interface language."""
    return {"grade_lock_days": t("settings.grade_lock_days"),
            "inactive_account_days": t("settings.inactive_account_days"),
            "activity_retention_days": t("settings.activity_retention_days")}


def yes_no(value: bool) -> str:
    return t("confirm.yes") if value else t("confirm.no")


def scale_text(scale: GradingScale) -> str:
    marks = " ".join(scale.marks)
    return t("settings.scale.value", kind=grading_kinds().get(scale.kind, scale.kind), marks=marks)


# The permission each kind of row needs to be changed (term dates are the year's structure: school.write).
ROW_ACTIONS = {"profile": "settings.write", "term_kind": "settings.write", "grade": "settings.write",
               "term": "school.write", "grading_scale": "settings.write", "number": "settings.write"}


class SettingsTable(DataTable[str]):
    """Every setting; Enter changes the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [bind("settings.edit", "enter", "edit")]

    @property
    def owner(self) -> SettingsScreen:
        return cast("SettingsScreen", self.screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit":
            key = self.owner.row_key()
            return key is not None and self.owner.ctx.can(ROW_ACTIONS[key.split(":")[0]])
        return True

    def action_edit(self) -> None:
        self.owner.edit()


class SettingsScreen(AppScreen):
    """The list of settings; a form per row."""

    TITLE_KEY = "settings.title"
    HELP_KEY = "help.settings"
    EXTRA_OWNERS: ClassVar[tuple[type, ...]] = ()  # set below the forms
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("settings.add_terms", "f9", "add_terms"),
    ]
    DEFAULT_CSS = """
    #settings { height: 1fr; margin: 1 1 0 1; }
    #settings-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__(id="settings-screen")
        self.data: SettingsData | None = None
        self.terms: dict[int, TermView] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield SettingsTable(id="settings", cursor_type="row", zebra_stripes=True)
        yield Static("", id="settings-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#settings", SettingsTable)
        table.add_column(t("settings.col.name"), key="name")
        table.add_column(t("settings.col.value"), key="value")
        table.focus()
        self.reload()

    def reload(self) -> None:
        self.query_one("#settings", SettingsTable).loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="settings")
    def load(self) -> None:
        try:
            data = calls.load_settings(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "settings"))
            return
        self.post_message(SettingsLoaded(data))

    def finish_loading(self) -> None:
        self.query_one("#settings", SettingsTable).loading = False

    @on(SettingsLoaded)
    def loaded(self, message: SettingsLoaded) -> None:
        self.finish_loading()
        data = self.data = message.data
        school, settings = data.school, data.settings
        kinds = term_kinds()
        table = self.query_one("#settings", SettingsTable)
        cursor = table.cursor_row
        table.clear()
        table.add_row(t("settings.name"), school.name, key="profile:name")
        table.add_row(t("settings.short_name"), school.short_name or "", key="profile:short_name")
        table.add_row(t("settings.address"), school.address or "", key="profile:address")
        table.add_row(t("settings.term_kind"), kinds.get(settings.term_kind, settings.term_kind), key="term_kind")
        for grade in range(MIN_PARALLEL, MAX_PARALLEL + 1):
            own = settings.grade_term_kinds.get(grade)
            value = kinds.get(own, own) if own else t("settings.as_school", kind=kinds.get(settings.term_kind, ""))
            table.add_row(t("settings.grade_term_kind", grade=grade), value, key=f"grade:{grade}")
        self.terms = {term.id: term for term in data.terms}
        for term in data.terms:
            table.add_row(t("settings.term", name=term.name), period(term.start, term.end), key=f"term:{term.id}")
        table.add_row(t("settings.grading_scale"), scale_text(settings.grading_scale), key="grading_scale")
        for key, label in number_labels().items():
            table.add_row(label, str(getattr(settings, key)), key=f"number:{key}")
        table.move_cursor(row=min(cursor, table.row_count - 1))
        year = data.year
        self.query_one("#settings-status", Static).update(
            t("settings.status", year=year.name) if year else t("dashboard.no_year"))
        self.refresh_bindings()

    def row_key(self) -> str | None:
        table = self.query_one("#settings", SettingsTable)
        if not table.row_count or self.data is None:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def missing_kinds(self) -> list[str]:
        """Term kinds the current year has no terms of (what F9 may add)."""
        present = {term.kind for term in self.data.terms} if self.data else set()
        return [kind for kind in TERM_KINDS if kind not in present]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add_terms":
            return (self.ctx.can("school.write") and self.data is not None and self.data.year is not None
                    and bool(self.missing_kinds()))
        return True

    def action_add_terms(self) -> None:
        if self.data is None or self.data.year is None or not self.missing_kinds():
            return
        form = AddTermsFormScreen(self.data.year, self.missing_kinds())

        def closed(_: None) -> None:
            if form.saved is not None:
                self.reload()

        self.app.push_screen(form, closed)

    def edit(self) -> None:
        key, data = self.row_key(), self.data
        if key is None or data is None:
            return
        kind, _, rest = key.partition(":")
        form: EditFormScreen
        if kind == "profile":
            form = ProfileFormScreen(data.school)
        elif kind == "term_kind":
            form = TermKindFormScreen(data.settings, None)
        elif kind == "grade":
            form = TermKindFormScreen(data.settings, int(rest))
        elif kind == "term":
            form = TermFormScreen(self.terms[int(rest)])
        elif kind == "grading_scale":
            form = ScaleFormScreen(data.settings.grading_scale)
        else:
            form = NumberFormScreen(rest, int(getattr(data.settings, rest)))

        def closed(_: None) -> None:
            if form.saved is not None:
                self.reload()

        self.app.push_screen(form, closed)


# ------------------------------------------------------------------------------------------------- forms


class ProfileFormScreen(EditFormScreen):
    """The school's name, short name and address (saved against the version read)."""

    TITLE_KEY = "profile.title"
    HELP_KEY = "help.profile_form"

    def __init__(self, school: SchoolView) -> None:
        super().__init__()
        self.school = school

    def fields(self) -> ComposeResult:
        s = self.school
        yield Field(t("settings.name"), Input(s.name, id="profile-name", compact=True), "name")
        yield Field(t("settings.short_name"), Input(s.short_name or "", id="profile-short_name", compact=True),
                    "short_name")
        yield Field(t("settings.address"), Input(s.address or "", id="profile-address", compact=True), "address")

    def gather(self) -> tuple[Call | None, list[Problem]]:
        name, short, address = (self.query_one(f"#profile-{n}", Input).value for n in ("name", "short_name",
                                                                                        "address"))
        version = self.school.version
        return (lambda ctx: calls.save_profile(ctx, version, name, short or None, address or None)), []

    def done_text(self, result: object) -> str:
        return t("settings.saved")


class TermKindFormScreen(EditFormScreen):
    """How the year is divided: the school's default (`grade` None) or one grade's own choice."""

    TITLE_KEY = "term_kind.title"
    HELP_KEY = "help.term_kind_form"

    def __init__(self, settings: SchoolSettings, grade: int | None) -> None:
        heading = t("term_kind.heading.grade", grade=grade) if grade else t("term_kind.heading.school")
        super().__init__(heading)
        self.settings = settings
        self.grade = grade

    def fields(self) -> ComposeResult:
        kinds = term_kinds()
        options = [(kinds[k], k) for k in TERM_KINDS]
        if self.grade is None:
            current = self.settings.term_kind
        else:
            options.insert(0, (t("settings.as_school", kind=kinds.get(self.settings.term_kind, "")), AS_SCHOOL))
            current = self.settings.grade_term_kinds.get(self.grade) or AS_SCHOOL
        yield Field(t("term_kind.field"), Select[str](options, id="term-kind", value=current, allow_blank=False,
                                                      compact=True), "term_kind", "grade")

    def gather(self) -> tuple[Call | None, list[Problem]]:
        value = self.query_one("#term-kind", Select).value
        kind = value if isinstance(value, str) and value != AS_SCHOOL else None
        grade = self.grade
        return (lambda ctx: calls.set_setting(ctx, "term_kind", kind, grade)), []

    def done_text(self, result: object) -> str:
        return t("settings.saved")


class TermFormScreen(EditFormScreen):
    """A term's name and dates; it must stay inside the year and between its neighbours."""

    TITLE_KEY = "term.title"
    HELP_KEY = "help.term_form"

    def __init__(self, term: TermView) -> None:
        super().__init__(term_kinds().get(term.kind, term.kind) + ": " + term.name)
        self.term = term

    def fields(self) -> ComposeResult:
        term = self.term
        placeholder = t("form.date.placeholder")
        yield Field(t("term.field.name"), Input(term.name, id="term-name", compact=True), "name")
        yield Field(t("term.field.start"), Input(day(term.start), id="term-start", placeholder=placeholder,
                                                 compact=True), "start")
        yield Field(t("term.field.end"), Input(day(term.end), id="term-end", placeholder=placeholder,
                                               compact=True), "end", "terms")

    def gather(self) -> tuple[Call | None, list[Problem]]:
        start, problems = parse_date(self.query_one("#term-start", Input).value, "start", required=True)
        end, found = parse_date(self.query_one("#term-end", Input).value, "end", required=True)
        if problems or found or start is None or end is None:
            return None, problems + found
        name, term = self.query_one("#term-name", Input).value, self.term
        first: date = start
        last: date = end
        return (lambda ctx: calls.update_term(ctx, term, first, last, name)), []

    def done_text(self, result: object) -> str:
        assert isinstance(result, TermView)
        return t("term.saved", name=result.name, period=period(result.start, result.end))


class AddTermsFormScreen(EditFormScreen):
    """Terms of another kind for the current year (needed before a grade or the school switches to it), with
    the usual dates; each is then edited in the list."""

    TITLE_KEY = "add_terms.title"
    HELP_KEY = "help.add_terms_form"

    def __init__(self, year: YearView, kinds: list[str]) -> None:
        super().__init__(t("add_terms.heading", year=year.name))
        self.year = year
        self.kinds = kinds

    def fields(self) -> ComposeResult:
        labels = term_kinds()
        yield Field(t("term_kind.field"), Select[str]([(labels[k], k) for k in self.kinds], id="add-terms-kind",
                                                      value=self.kinds[0], allow_blank=False, compact=True),
                    "terms")

    def gather(self) -> tuple[Call | None, list[Problem]]:
        value = self.query_one("#add-terms-kind", Select).value
        kind, year = str(value), self.year
        return (lambda ctx: calls.add_default_terms(ctx, year, kind)), []

    def done_text(self, result: object) -> str:
        return t("add_terms.saved")


class ScaleFormScreen(EditFormScreen):
    """The grading scale: its kind, the marks in order, pass/fail and the "н/а" mark."""

    TITLE_KEY = "scale.title"
    HELP_KEY = "help.scale_form"

    def __init__(self, scale: GradingScale) -> None:
        super().__init__()
        self.scale = scale

    def fields(self) -> ComposeResult:
        kinds = grading_kinds()
        s = self.scale
        yield Field(t("scale.field.kind"), Select[str]([(kinds[k], k) for k in GRADING_KINDS], id="scale-kind",
                                                       value=s.kind, allow_blank=False, compact=True))
        yield Field(t("scale.field.marks"), Input(" ".join(s.marks), id="scale-marks", compact=True),
                    "grading_scale")
        flags = [(yes_no(True), True), (yes_no(False), False)]
        yield Field(t("scale.field.pass_fail"), Select[bool](flags, id="scale-pass_fail", value=s.pass_fail,
                                                             allow_blank=False, compact=True))
        yield Field(t("scale.field.allow_na"), Select[bool](flags, id="scale-allow_na", value=s.allow_na,
                                                            allow_blank=False, compact=True))

    def gather(self) -> tuple[Call | None, list[Problem]]:
        value = {
            "kind": self.query_one("#scale-kind", Select).value,
            "marks": self.query_one("#scale-marks", Input).value.replace(",", " ").split(),
            "pass_fail": self.query_one("#scale-pass_fail", Select).value is True,
            "allow_na": self.query_one("#scale-allow_na", Select).value is True,
        }
        return (lambda ctx: calls.set_setting(ctx, "grading_scale", value)), []

    def done_text(self, result: object) -> str:
        return t("settings.saved")


class NumberFormScreen(EditFormScreen):
    """One of the integer settings (days); the core says the allowed range when a value is out of it."""

    TITLE_KEY = "number.title"
    HELP_KEY = "help.number_form"

    def __init__(self, key: str, value: int) -> None:
        _, _, low, high = INT_SETTINGS[key]
        super().__init__(t("number.heading", low=low, high=high))
        self.key = key
        self.value = value

    def screen_title(self) -> str:
        return number_labels()[self.key]

    def fields(self) -> ComposeResult:
        yield Field(t("number.field"), Input(str(self.value), id="number-value", compact=True), self.key)

    def gather(self) -> tuple[Call | None, list[Problem]]:
        key, text = self.key, self.query_one("#number-value", Input).value
        return (lambda ctx: calls.set_setting(ctx, key, text)), []

    def done_text(self, result: object) -> str:
        return t("settings.saved")


# The list and forms this screen opens (their bindings and catalogue keys are checked with the screen's).
SettingsScreen.EXTRA_OWNERS = (SettingsTable, ProfileFormScreen, TermKindFormScreen, TermFormScreen,
                               AddTermsFormScreen, ScaleFormScreen, NumberFormScreen)
