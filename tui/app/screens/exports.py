"""The export dialog: what (entity), in which format, to which file; F9 asks for the user's own password again
(personal data leave the system), writes the file in a worker and reports the number of rows.

The path defaults to the data folder's `exports` subfolder, named after the entity, the day and the
format's extension; it follows the entity and format until the user edits it. The export goes through the
engine `zhurnal export` uses: the permission check (export.personal_data), the audited queries with row
counts and the neutralising of formula-like cells.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Checkbox, Header, Input, Label, ProgressBar, Select, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.plugins.engine.export import STRUCTURE, ExportResult
from zhurnal.tui.app import import_calls
from zhurnal.tui.app.import_calls import EXPORT_ENTITIES, HubData
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.imports import HubLoaded
from zhurnal.tui.app.screens.secret_prompt import SecretPrompt
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t


class ExportWritten(Message):
    def __init__(self, result: ExportResult, path: Path) -> None:
        super().__init__()
        self.result = result
        self.path = path


class ExportScreen(AppScreen):
    """Entity, format and path; F9 writes after the password."""

    TITLE_KEY = "export.title"
    HELP_KEY = "help.export"
    EXTRA_OWNERS: ClassVar[tuple[type, ...]] = (SecretPrompt,)
    DYNAMIC_KEYS: ClassVar[tuple[str, ...]] = tuple(f"export.entity.{e}" for e in EXPORT_ENTITIES)
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "back"),
        bind("export.write", "f9", "write"),
    ]

    def __init__(self) -> None:
        super().__init__(id="export-screen")
        self.hub: HubData | None = None
        self.busy = True
        self.default_path = ""  # the path last filled in automatically; an edited path is kept

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="export-form"):
            with Horizontal(classes="import-line"):
                yield Label(t("export.field.entity"), classes="import-label")
                yield Select[str]([(t(f"export.entity.{e}"), e) for e in EXPORT_ENTITIES], id="export-entity",
                                  allow_blank=False, compact=True)
            with Horizontal(classes="import-line"):
                yield Label(t("export.field.format"), classes="import-label")
                yield Select[str]([], id="export-format", allow_blank=True, prompt="…", compact=True)
            with Horizontal(classes="import-line"):
                yield Label(t("export.field.path"), classes="import-label")
                yield Input(id="export-path", compact=True)
            yield Checkbox(t("export.field.template"), id="export-template", compact=True)
            yield Static(t("export.hint"), id="export-hint")
            with Vertical(id="export-progress-area"):
                yield ProgressBar(id="export-progress", total=None, show_eta=False)
            yield Static("", id="export-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#export-progress-area").display = False
        self.query_one("#export-entity", Select).focus()
        self.load()

    def finish_loading(self) -> None:
        self.busy = False
        self.query_one("#export-progress-area").display = False
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="export-hub")
    def load(self) -> None:
        try:
            data = import_calls.load_hub(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "export-hub"))
            return
        self.post_message(HubLoaded(data))

    @on(HubLoaded)
    def hub_loaded(self, message: HubLoaded) -> None:
        self.hub = message.data
        self.busy = False
        self.offer_formats()
        self.refresh_bindings()

    def offer_formats(self) -> None:
        """The formats that can write the chosen entity (a whole-school bundle needs a multi-table one)."""
        if self.hub is None:
            return
        entity = str(self.query_one("#export-entity", Select).value)
        formats = [f for f in self.hub.exporters if f.multi_table == (entity == "all")]
        select = self.query_one("#export-format", Select)
        current = select.value
        select.set_options([(f"{f.name} — {f.title}", f.name) for f in formats])
        names = [f.name for f in formats]
        if current in names:
            select.value = current
        elif names:
            select.value = "csv" if "csv" in names else names[0]
        self.fill_path()

    def fill_path(self) -> None:
        if self.hub is None:
            return
        entity = str(self.query_one("#export-entity", Select).value)
        value = self.query_one("#export-format", Select).value
        chosen = next((f for f in self.hub.exporters if f.name == value), None)
        if chosen is None:
            return
        path_input = self.query_one("#export-path", Input)
        if path_input.value and path_input.value != self.default_path:
            return  # the user typed their own path
        template = self.query_one("#export-template", Checkbox).value
        self.default_path = str(import_calls.default_export_path(entity, chosen.extension, self.ctx.day().isoformat(),
                                                                 template=template))
        path_input.value = self.default_path

    @on(Select.Changed, "#export-entity")
    def entity_changed(self) -> None:
        self.offer_formats()

    @on(Select.Changed, "#export-format")
    @on(Checkbox.Changed, "#export-template")
    def format_changed(self) -> None:
        self.fill_path()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "write":
            return not self.busy and self.hub is not None
        if action == "back":
            return not self.busy
        return True

    def action_back(self) -> None:
        if not self.busy:
            self.app.pop_screen()

    def action_write(self) -> None:
        if self.busy or self.hub is None:
            return
        status = self.query_one("#export-status", Static)
        entity = str(self.query_one("#export-entity", Select).value)
        format_value = self.query_one("#export-format", Select).value
        raw = self.query_one("#export-path", Input).value.strip()
        if format_value is Select.BLANK or not raw:
            status.update(Text(t("export.missing"), style="bold red"))
            return
        path = Path(raw).expanduser()
        actor = self.ctx.signed_in()
        template = self.query_one("#export-template", Checkbox).value
        personal = entity not in STRUCTURE and not template

        def answered(password: str | None) -> None:
            if not password and personal:
                return
            self.busy = True
            self.query_one("#export-progress-area").display = True
            status.update(t("export.writing", path=str(path)))
            self.refresh_bindings()
            self.write(entity, str(format_value), path, password, template)

        if not personal:  # the school's structure, an empty template: no personal data, no password
            answered(None)
            return
        self.app.push_screen(SecretPrompt(t("export.password.title"),
                                            t("export.password.prompt", login=actor.login),
                                            [t("export.password.why")]), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export-work")
    def write(self, entity: str, format: str, path: Path, password: str | None, template: bool) -> None:
        assert self.hub is not None
        try:
            result = import_calls.run_export(self.ctx, self.hub.hub, entity, format, path, password,
                                             template=template)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "export-write"))
            return
        self.post_message(ExportWritten(result, path))

    @on(CallFailed)
    def say_not_written(self, message: CallFailed) -> None:
        # The status line said "writing…"; it now says why nothing was written, after the toast (which AppScreen
        # shows for every failure) has gone.
        if message.where == "export-write":
            self.query_one("#export-status", Static).update(Text(t("export.failed", reason=message.text),
                                                                 style="bold red"))

    @on(ExportWritten)
    def written(self, message: ExportWritten) -> None:
        self.finish_loading()
        text = t("export.done", rows=message.result.rows, path=str(message.path))
        self.query_one("#export-status", Static).update(Text(text, style="green"))
        self.notify(text, timeout=8)
