"""The import wizard: file and format → column mapping → dry-run preview → confirm and apply → result.

Step 1 lists the data folder's `imports` subfolder (Enter on a file takes it) beside a path field, and offers
the format (detected when left on "auto"), the entity (guessed from the headers when left on "auto"), the
mode, and the CSV encoding and delimiter (detected when empty; what was detected is shown on step 2). F9 reads
the file: nothing is written. Step 2 shows the mapping of every column (automatic by header, or remembered
from the last import of the same format and entity); the field of the highlighted column is changed in the
selector below the table, which reads the file again with the user's mapping. F9 runs the dry run. Step 3
shows the counts, every error with its row and column, and the changes. F9 asks for confirmation and applies
in a worker (the engine makes the automatic backup first) while a progress bar runs; step 4 is the result.
Escape goes back a step; while a dry run or an apply runs it cancels it (asking nothing: the engine rolls the
one transaction back, so nothing is written), as does leaving the screen. Every call goes through
tui/app/import_calls.py, the engine `zhurnal import` uses.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Header, Input, Label, ProgressBar, Select, Static

from zhurnal.core.errors import Cancelled, ZhurnalError
from zhurnal.plugins.builtin.russian_layout import LAYOUTS
from zhurnal.plugins.engine.mapping import MappedColumn
from zhurnal.plugins.engine.run import ImportFailed, ImportOptions, ImportResult, Prepared
from zhurnal.plugins.engine.run import Message as RowMessage
from zhurnal.tui.app import import_calls
from zhurnal.tui.app.import_calls import ENTITIES, HubData, MappingDraft
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.progress import ProgressMade, cancellable
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t

AUTO = "auto"
UNUSED = "-"
MODES = ("add_update", "add_only", "update_only")
KINDS = ("new", "changed", "unchanged", "skipped", "rejected")
STEPS = ("file", "mapping", "preview", "done")
MAX_SHOWN = 1000  # rows of the preview table; the counts above it are always complete
BAD = "bold red"
WARN = "yellow"


class HubLoaded(Message):
    def __init__(self, data: HubData) -> None:
        super().__init__()
        self.data = data


class ImportPrepared(Message):
    def __init__(self, prepared: Prepared) -> None:
        super().__init__()
        self.prepared = prepared


class ImportDrafted(Message):
    """The file was refused because of its mapping: the mapping is shown for the user to fix."""

    def __init__(self, draft: MappingDraft) -> None:
        super().__init__()
        self.draft = draft


class ImportRan(Message):
    """A dry run (`result.report.dry_run`) or an apply finished."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__()
        self.result = result


class ImportCancelled(Message):
    """The running dry run or apply stopped on Escape (or the screen was left): nothing was written."""

    def __init__(self, dry_run: bool) -> None:
        super().__init__()
        self.dry_run = dry_run


@dataclass
class Choice:
    """What the user chose on step 1."""

    path: Path
    format: str | None
    entity: str | None
    mode: str
    encoding: str | None
    delimiter: str | None


def has_changes(result: ImportResult) -> bool:
    """Whether applying would write anything (a file already imported has only unchanged rows)."""
    return any(result.report.counts.get(kind, 0) for kind in ("new", "changed"))


def entity_label(entity: str) -> str:
    return t(f"import.entity.{entity}")


def kind_label(kind: str) -> str:
    return t(f"import.kind.{kind}")


def source_label(source: str) -> str:
    return t(f"import.source.{source}")


def message_detail(message: RowMessage) -> str:
    """A result message in full, with its row and column, for the line under the table."""
    if message.row is not None and message.column:
        return t("import.detail.cell", row=message.row, column=message.column, what=message.text)
    if message.row is not None:
        return t("import.detail.row", row=message.row, what=message.text)
    return message.text


class ImportScreen(AppScreen):
    """The wizard; `step` is one of STEPS and decides what F9 and Escape do."""

    TITLE_KEY = "import.title"
    HELP_KEY = "help.import"
    DYNAMIC_KEYS: ClassVar[tuple[str, ...]] = (
        *(f"import.entity.{e}" for e in ENTITIES), *(f"import.mode.{m}" for m in MODES),
        *(f"import.kind.{k}" for k in KINDS),
        *(f"import.source.{s}" for s in ("auto", "remembered", "explicit", "none")))
    # Escape cancels a running dry run or apply; otherwise the same key goes a step back.
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("import.cancel", "escape", "cancel"),
        bind("screen.back", "escape", "back"),
        bind("import.read", "f9", "read"),
        bind("import.preview", "f9", "preview"),
        bind("import.apply", "f9", "apply"),
        bind("import.again", "f9", "again"),
    ]

    def __init__(self) -> None:
        super().__init__(id="import-screen")
        self.step = "file"
        self.busy = False
        self.running = False  # a dry run or an apply: Escape cancels it
        self.details: dict[str, Text] = {}  # row key of the result table → its message in full
        self.cancel_requested = threading.Event()
        self.hub: HubData | None = None
        self.choice: Choice | None = None
        self.mapping: dict[str, str] | None = None  # the user's own column header -> field ("" unused)
        self.prepared: Prepared | None = None
        self.draft: MappingDraft | None = None  # a file refused for its mapping, shown to be fixed
        self.dry: ImportResult | None = None
        self.result: ImportResult | None = None
        self.select_column: int | None = None  # the column to highlight once the file is read again

    # ------------------------------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import-file-step"):
            with Horizontal(classes="import-line"):
                yield Label(t("import.field.path"), classes="import-label")
                yield Input(id="import-path", placeholder=t("import.path.placeholder"), compact=True)
            with Horizontal(classes="import-line"):
                yield Label(t("import.field.format"), classes="import-label")
                yield Select[str]([(t("import.auto"), AUTO)], id="import-format", allow_blank=False,
                                  compact=True)
                yield Label(t("import.field.entity"), classes="import-label2")
                yield Select[str]([(t("import.auto"), AUTO), *((entity_label(e), e) for e in ENTITIES)],
                                  id="import-entity", allow_blank=False, compact=True)
            with Horizontal(classes="import-line"):
                yield Label(t("import.field.mode"), classes="import-label")
                yield Select[str]([(t(f"import.mode.{m}"), m) for m in MODES], id="import-mode",
                                  allow_blank=False, compact=True)
            with Horizontal(classes="import-line"):
                yield Label(t("import.field.encoding"), classes="import-label")
                yield Input(id="import-encoding", placeholder=t("import.detected"), compact=True)
                yield Label(t("import.field.delimiter"), classes="import-label2")
                yield Input(id="import-delimiter", placeholder=t("import.detected"), compact=True)
            yield Static("", id="import-folder")
            yield DataTable(id="import-files", cursor_type="row", zebra_stripes=True)
        with Vertical(id="import-work-step"):
            yield Static("", id="import-summary")
            yield DataTable(id="import-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="import-detail")
            with Horizontal(id="import-field-line", classes="import-line"):
                yield Label("", id="import-field-label")
                yield Select[str]([(t("import.field.unused"), UNUSED)], id="import-field", allow_blank=False,
                                  compact=True)
            with Vertical(id="import-progress-area"):
                yield Static("", id="import-stage")
                yield ProgressBar(id="import-progress", total=None, show_eta=False)
        yield Static("", id="import-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        files = self.query_one("#import-files", DataTable)
        files.add_column(t("import.col.file"), key="file")
        self.query_one("#import-work-step").display = False
        self.query_one("#import-progress-area").display = False
        self.query_one("#import-path", Input).focus()
        self.busy = True
        self.load()

    def finish_loading(self) -> None:
        self.busy = self.running = False
        self.query_one("#import-progress-area").display = False
        self.refresh_bindings()

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-hub")
    def load(self) -> None:
        try:
            data = import_calls.load_hub(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "import-hub"))
            return
        self.post_message(HubLoaded(data))

    @on(HubLoaded)
    def hub_loaded(self, message: HubLoaded) -> None:
        self.busy = False
        self.hub = data = message.data
        self.query_one("#import-format", Select).set_options(
            [(t("import.auto"), AUTO), *((f"{f.name} — {f.title}", f.name) for f in data.importers)])
        self.query_one("#import-format", Select).value = AUTO
        self.query_one("#import-folder", Static).update(
            t("import.folder", folder=str(data.folder)) if data.files else t("import.folder.empty",
                                                                              folder=str(data.folder)))
        files = self.query_one("#import-files", DataTable)
        files.clear()
        for path in data.files:
            files.add_row(path.name + ("/" if path.is_dir() else ""), key=str(path))
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#import-files")
    def file_chosen(self, event: DataTable.RowSelected) -> None:
        self.query_one("#import-path", Input).value = str(event.row_key.value)
        self.action_read()

    @on(Input.Submitted, "#import-path")
    def path_submitted(self) -> None:
        self.action_read()

    # ------------------------------------------------------------------------------------------ steps

    def show_step(self, step: str) -> None:
        self.step = step
        self.query_one("#import-file-step").display = step == "file"
        self.query_one("#import-work-step").display = step != "file"
        self.query_one("#import-field-line").display = step == "mapping"
        self.query_one("#import-detail").display = step in ("preview", "done")
        if step == "file":
            self.query_one("#import-path", Input).focus()
            self.query_one("#import-status", Static).update("")
        else:
            self.query_one("#import-table", DataTable).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.running
        if action == "back":
            return not self.busy
        wanted = {"read": "file", "preview": "mapping", "apply": "preview", "again": "done"}.get(action)
        if wanted is None:
            return True
        if self.busy or self.step != wanted or self.hub is None:
            return False
        if action == "preview":
            return self.prepared is not None
        if action == "apply":
            return self.dry is not None and self.dry.clean and has_changes(self.dry)
        return True

    def action_back(self) -> None:
        if self.busy:
            return
        if self.step in ("file", "done"):
            self.app.pop_screen()
        elif self.step == "mapping":
            self.show_step("file")
        elif self.step == "preview":
            self.show_mapping()

    def start(self, stage: str) -> None:
        """A dry run or an apply begins: the bar waits (indeterminate) for the engine's first report."""
        self.busy = self.running = True
        self.cancel_requested.clear()
        self.query_one("#import-stage", Static).update(stage)
        self.query_one("#import-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#import-progress-area").display = True
        self.refresh_bindings()

    def action_cancel(self) -> None:
        if not self.running:
            return
        self.cancel_requested.set()
        self.query_one("#import-stage", Static).update(t("import.cancelling"))

    @on(ProgressMade)
    def progressed(self, message: ProgressMade) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=max(message.total, 1), progress=message.done)

    # ------------------------------------------------------------------------------------ 1: the file

    def read_choice(self) -> Choice | None:
        raw = self.query_one("#import-path", Input).value.strip()
        if not raw:
            self.query_one("#import-status", Static).update(Text(t("import.path.missing"), style=BAD))
            return None
        path = Path(raw).expanduser()
        if not path.is_absolute() and self.hub is not None and (self.hub.folder / path).exists():
            path = self.hub.folder / path  # a bare name: the file in the imports folder

        def chosen(selector: str) -> str | None:
            value = self.query_one(selector, Select).value
            return None if value in (AUTO, Select.BLANK) else str(value)

        return Choice(path, chosen("#import-format"), chosen("#import-entity"),
                      str(self.query_one("#import-mode", Select).value),
                      self.query_one("#import-encoding", Input).value.strip() or None,
                      self.query_one("#import-delimiter", Input).value.strip() or None)

    def action_read(self) -> None:
        if self.busy or self.hub is None or self.step != "file":
            return
        choice = self.read_choice()
        if choice is None:
            return
        if self.choice is None or choice.path != self.choice.path or choice.entity != self.choice.entity \
                or choice.format != self.choice.format:
            self.mapping = None  # another file (or entity): its own automatic and remembered mapping
        self.choice = choice
        self.query_one("#import-status", Static).update(t("import.reading", name=choice.path.name))
        self.busy = True
        self.refresh_bindings()
        self.prepare_file(choice, self.mapping)

    def options(self, choice: Choice, mapping: dict[str, str] | None) -> ImportOptions:
        return ImportOptions(format=choice.format, entity=choice.entity, mode=choice.mode, encoding=choice.encoding,
                             delimiter=choice.delimiter, mapping=mapping)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-work")
    def prepare_file(self, choice: Choice, mapping: dict[str, str] | None) -> None:
        assert self.hub is not None
        options = self.options(choice, mapping)
        try:
            try:
                prepared = import_calls.prepare_import(self.ctx, self.hub.hub, choice.path, options)
            except ImportFailed as refused:
                draft = import_calls.draft_import(self.ctx, self.hub.hub, choice.path, options)
                if draft is None:
                    raise refused from None
                self.post_message(ImportDrafted(draft))
                return
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "import-prepare"))
            return
        self.post_message(ImportPrepared(prepared))

    @on(ImportPrepared)
    def prepared_file(self, message: ImportPrepared) -> None:
        self.busy = False
        self.prepared = message.prepared
        self.draft = None
        self.dry = None
        self.show_mapping()

    @on(ImportDrafted)
    def drafted(self, message: ImportDrafted) -> None:
        self.busy = False
        self.prepared = None
        self.draft = message.draft
        self.dry = None
        self.show_mapping()

    # --------------------------------------------------------------------------------- 2: the mapping

    def summary(self, prepared: Prepared) -> str:
        lines = [t("import.summary.file", name=prepared.file_name, format=prepared.format,
                   rows=len(prepared.records)),
                 t("import.summary.what", entity=entity_label(prepared.entity),
                   mode=t(f"import.mode.{prepared.mode}"))]
        if prepared.notes:
            lines.append("; ".join(prepared.notes))
        return "\n".join(lines)

    def columns(self) -> tuple[str, list[MappedColumn]] | None:
        """The entity and columns on show: of the prepared file, else of the refused one."""
        if self.prepared is not None:
            return self.prepared.entity, self.prepared.columns
        if self.draft is not None:
            return self.draft.entity, self.draft.columns
        return None

    def show_mapping(self) -> None:
        shown = self.columns()
        assert shown is not None
        entity, columns = shown
        if self.prepared is not None:
            self.query_one("#import-summary", Static).update(self.summary(self.prepared))
            status = Text(t("import.mapping.hint"))
        else:
            assert self.draft is not None
            self.query_one("#import-summary", Static).update(
                t("import.summary.refused", name=self.draft.file_name, entity=entity_label(entity)))
            status = Text("; ".join(self.draft.problems), style=BAD)
        table = self.query_one("#import-table", DataTable)
        table.clear(columns=True)
        table.add_column(t("import.col.column"), key="column")
        table.add_column(t("import.col.field"), key="field")
        table.add_column(t("import.col.how"), key="how")
        for column in columns:
            how = source_label(column.source) + (f" — {column.note}" if column.note else "")
            style = "" if column.field else "dim"
            table.add_row(Text(column.header or "—", style=style), Text(column.label, style=style), how,
                          key=str(column.index))
        self.query_one("#import-field", Select).set_options(
            [(t("import.field.unused"), UNUSED), *((f"{c.header} ({c.field})", c.field)
                                                   for c in LAYOUTS[entity])])
        self.query_one("#import-status", Static).update(status)
        self.show_step("mapping")
        if self.select_column is not None and self.select_column < table.row_count:
            table.move_cursor(row=self.select_column)
            self.query_one("#import-field", Select).focus()
        self.select_column = None
        self.show_field()

    def highlighted_column(self) -> int | None:
        table = self.query_one("#import-table", DataTable)
        if self.step != "mapping" or not table.row_count:
            return None
        return int(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    @on(DataTable.RowHighlighted, "#import-table")
    def show_field(self) -> None:
        index = self.highlighted_column()
        shown = self.columns()
        if index is None or shown is None:
            return
        column = shown[1][index]
        self.query_one("#import-field-label", Label).update(t("import.field.of", header=column.header))
        fields = self.query_one("#import-field", Select)
        wanted = column.field or UNUSED
        if fields.value != wanted:
            fields.value = wanted

    @on(DataTable.RowHighlighted, "#import-table")
    def show_detail(self, event: DataTable.RowHighlighted) -> None:
        # A message longer than the screen is cut in the table; the highlighted one is shown whole below it.
        if self.step in ("preview", "done"):
            key = event.row_key.value
            self.query_one("#import-detail", Static).update(self.details.get(str(key), Text()))

    @on(Select.Changed, "#import-field")
    def field_changed(self, event: Select.Changed) -> None:
        if not event.select.has_focus_within or event.value != event.select.value:
            return  # set from the highlighted row (or superseded since), not chosen by the user
        index = self.highlighted_column()
        shown = self.columns()
        if index is None or shown is None or self.choice is None or self.busy:
            return
        columns = shown[1]
        column = columns[index]
        value = "" if event.value in (UNUSED, Select.BLANK) else str(event.value)
        if value == (column.field or ""):
            return
        mapping = dict(self.mapping or {})
        mapping[column.header] = value
        if value:  # the field moves: the column that fed it is left unused
            for other in columns:
                if other.field == value and other.index != index:
                    mapping[other.header] = ""
        self.mapping = mapping
        self.busy = True
        self.refresh_bindings()
        self.select_column = index
        self.prepare_file(self.choice, mapping)

    # --------------------------------------------------------------------------------- 3: the preview

    def action_preview(self) -> None:
        if self.busy or self.prepared is None or self.step != "mapping":
            return
        self.start(t("import.stage.dry_run"))
        self.run(self.prepared, dry_run=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-work")
    def run(self, prepared: Prepared, *, dry_run: bool) -> None:
        assert self.hub is not None
        try:
            result = import_calls.run_import(self.ctx, self.hub.hub, prepared, dry_run=dry_run,
                                             progress=cancellable(self, self.cancel_requested))
        except Cancelled:
            self.post_message(ImportCancelled(dry_run))
            return
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "import-run"))
            return
        self.post_message(ImportRan(result))

    @on(ImportCancelled)
    def cancelled(self, message: ImportCancelled) -> None:
        """A cancelled dry run goes back to the mapping; a cancelled apply ends on the result step."""
        self.busy = self.running = False
        self.query_one("#import-progress-area").display = False
        if message.dry_run:
            self.show_mapping()
            self.query_one("#import-status", Static).update(Text(t("import.dry_run.cancelled"), style=WARN))
            return
        self.query_one("#import-summary", Static).update(Text(t("import.cancelled"), style=BAD))
        self.query_one("#import-table", DataTable).clear(columns=True)
        self.query_one("#import-status", Static).update(Text(t("import.done.hint")))
        self.show_step("done")

    @on(ImportRan)
    def ran(self, message: ImportRan) -> None:
        self.busy = self.running = False
        self.query_one("#import-progress-area").display = False
        result = message.result
        if result.report.dry_run:
            self.dry = result
            self.show_result(result, "preview")
        else:
            self.result = result
            self.show_result(result, "done")

    @staticmethod
    def counts(result: ImportResult) -> Text:
        text = Text()
        for index, (kind, count) in enumerate(result.report.counts.items()):
            if index:
                text.append(", ")
            style = BAD if kind == "rejected" and count else ""
            text.append(f"{kind_label(kind)}: {count}", style=style)
        return text

    def show_result(self, result: ImportResult, step: str) -> None:
        report = result.report
        header = Text()
        if step == "preview":
            header.append(t("import.preview.title") + "\n", style="bold")
        elif report.applied:
            header.append(t("import.applied", run=report.run_id) + "\n", style="bold green")
            if result.backup:
                header.append(t("import.backup", name=Path(result.backup).name) + "\n")
        else:
            header.append(t("import.not_applied") + "\n", style=BAD)
        header.append_text(self.counts(result))
        self.query_one("#import-summary", Static).update(header)
        table = self.query_one("#import-table", DataTable)
        table.clear(columns=True)
        table.add_column(t("import.col.row"), key="row", width=6)
        table.add_column(t("import.col.column"), key="column")
        table.add_column(t("import.col.what"), key="what")
        shown = 0
        self.details = {}
        for message in [*result.messages, *result.warnings]:
            if shown >= MAX_SHOWN:
                break
            style = BAD if message.severity == "error" else WARN
            table.add_row(str(message.row or ""), message.column or "", Text(message.text, style=style),
                          key=f"p{shown}")
            self.details[f"p{shown}"] = Text(message_detail(message), style=style)
            shown += 1
        for change in report.changes:
            if change.kind == "unchanged" or shown >= MAX_SHOWN:
                continue
            what = f"{kind_label(change.kind)}: {change.name}"
            if change.fields and change.kind == "changed":
                what += f" [{', '.join(change.fields)}]"
            if change.detail:
                what += f" — {change.detail}"
            table.add_row(str(change.row), "", what, key=f"c{shown}")
            self.details[f"c{shown}"] = Text(t("import.detail.row", row=change.row, what=what))
            shown += 1
        if step == "preview":
            if not result.clean:
                status = Text(t("import.preview.errors"), style=BAD)
            elif not has_changes(result):
                status = Text(t("import.preview.nothing"))
            else:
                status = Text(t("import.preview.ready"))
        else:
            status = Text(t("import.done.hint"))
        self.query_one("#import-status", Static).update(status)
        self.show_step(step)

    # ------------------------------------------------------------------------------------ 4: apply

    def action_apply(self) -> None:
        dry = self.dry
        if not self.check_action("apply", ()) or dry is None or self.prepared is None:
            return
        prepared = self.prepared
        lines = [t("import.confirm.file", name=prepared.file_name, entity=entity_label(prepared.entity)),
                 str(self.counts(dry))]

        def answered(yes: bool | None) -> None:
            if yes:
                self.start(t("import.stage.apply"))
                self.run(prepared, dry_run=False)

        self.app.push_screen(ConfirmScreen(t("import.confirm.title"), t("import.confirm.question"), lines,
                                           yes=t("import.confirm.yes"), default_yes=False), answered)

    def action_again(self) -> None:
        """Another file: back to step 1, the list of files read again."""
        if self.busy:
            return
        self.prepared = self.dry = self.result = None
        self.draft = None
        self.mapping = None
        self.show_step("file")
        self.busy = True
        self.load()
