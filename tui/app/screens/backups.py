"""Backups: the files in the backup folder with their date, size and verified state, and the age of the last
verified one. F9 creates a backup, F7 verifies the highlighted one, Ctrl+O restores it over the live database.

The work runs in a thread worker; the core reports progress through a plain callable, which posts messages
for the progress bar and raises Cancelled when Escape was pressed (or the screen was left), so a cancelled
create leaves no file and a cancelled restore leaves the live database as it was. A restore asks for the key's
passphrase first, then (from the worker, once the new database is built and checked) for a confirmation and the
user's own password; after the swap the user signs in again, to the restored database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, ProgressBar, Static
from textual.worker import get_current_worker

from zhurnal.core.backup.service import BackupInfo, Progress, RestorePlan
from zhurnal.core.errors import Cancelled, ZhurnalError
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import (
    BackupFinished,
    BackupsLoaded,
    BackupStage,
    CallFailed,
    RestoreFinished,
)
from zhurnal.tui.app.progress import ProgressMade, cancellable
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.secret_prompt import SecretPrompt
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.workers import BackupsData
from zhurnal.tui.i18n import t

WARN = "bold yellow"
BAD = "bold red"
OK = "green"
POLL = 0.1  # seconds between checks for a cancel while the worker waits for an answer in a window


def state_labels() -> dict[str, tuple[str, str]]:
    """BackupInfo.state -> (label, style)."""
    return {
        "verified": (t("backups.state.verified"), OK),
        "failed": (t("backups.state.failed"), BAD),
        "changed": (t("backups.state.changed"), BAD),
        "unverified": (t("backups.state.unverified"), WARN),
    }


def reason_labels() -> dict[str, str]:
    """The automatic backups' reasons (`before-<operation>`) in the interface language."""
    return {
        "before-import": t("backups.reason.import"),
        "before-year-close": t("backups.reason.year_close"),
        "before-year-open": t("backups.reason.year_open"),
        "before-rollover": t("backups.reason.rollover"),
        "before-restore": t("backups.reason.restore"),
    }


def size_label(size: int) -> str:
    if size < 1024:
        return t("backups.size.bytes", n=size)
    if size < 1024**2:
        return t("backups.size.kib", n=size / 1024)
    if size < 1024**3:
        return t("backups.size.mib", n=size / 1024**2)
    return t("backups.size.gib", n=size / 1024**3)


def moment(value: datetime) -> str:
    """A UTC moment in local time, as the table shows it."""
    return t("backups.moment", d=value.astimezone())


def age_label(created: datetime, now: datetime | None = None) -> str:
    age = (now or datetime.now(UTC)) - created
    if age.days >= 1:
        return t("dashboard.backup.days_ago", days=age.days)
    return t("dashboard.backup.hours_ago", hours=max(int(age.total_seconds() // 3600), 0))


class BackupsScreen(AppScreen):
    """The backup folder; one operation at a time, with a progress bar and Escape to cancel it."""

    TITLE_KEY = "backups.title"
    HELP_KEY = "help.backups"
    # Escape cancels the running operation; when nothing runs, the same key goes back.
    EXTRA_OWNERS: ClassVar[tuple[type, ...]] = (SecretPrompt,)  # the passphrase prompt it opens
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("backups.cancel", "escape", "cancel"),
        bind("screen.back", "escape", "back"),
        bind("backups.create", "f9", "create"),
        bind("backups.verify", "f7", "verify"),
        bind("backups.restore", "ctrl+o", "restore"),
        bind("backups.refresh", "ctrl+r", "refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="backups-screen")
        self.data: BackupsData | None = None
        self.busy: str | None = None  # "create", "verify" or "restore" while one runs
        self.cancel_requested = threading.Event()
        self.select_path: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="backups-summary")
        yield DataTable(id="backups", cursor_type="row", zebra_stripes=True)
        with Vertical(id="backups-work"):
            yield Static("", id="backups-stage")
            yield ProgressBar(id="backups-progress", total=1000, show_eta=False)
        yield Static("", id="backups-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#backups", DataTable)
        table.add_column(t("backups.col.date"), key="date", width=16)
        table.add_column(t("backups.col.size"), key="size", width=9)
        table.add_column(t("backups.col.state"), key="state")
        table.add_column(t("backups.col.backup"), key="backup")
        self.query_one("#backups-work").display = False
        table.focus()
        self.action_refresh()

    # ------------------------------------------------------------------------------------------- the list

    def action_refresh(self) -> None:
        self.query_one("#backups", DataTable).loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="backups")
    def load(self) -> None:
        try:
            data = workers.load_backups(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "backups"))
            return
        self.post_message(BackupsLoaded(data))

    def finish_loading(self) -> None:
        # After a failure (AppScreen.show_failure has said why): the work area goes and the list is read again.
        self.query_one("#backups", DataTable).loading = False
        if self.busy is not None:
            self.stop()
            self.action_refresh()

    @on(BackupsLoaded)
    def loaded(self, message: BackupsLoaded) -> None:
        self.query_one("#backups", DataTable).loading = False
        self.data = data = message.data
        table = self.query_one("#backups", DataTable)
        current = self.highlighted()
        keep = self.select_path or (current.path if current is not None else None)
        table.clear()
        states, reasons = state_labels(), reason_labels()
        for backup in data.backups:
            label, style = states[backup.state]
            what = backup.label if backup.reason is None else \
                f"{backup.label}, {reasons.get(backup.reason, backup.reason)}"
            table.add_row(moment(backup.created), size_label(backup.size), Text(label, style=style), what,
                          key=str(backup.path))
        if keep is not None and any(b.path == keep for b in data.backups):
            table.move_cursor(row=table.get_row_index(str(keep)))
        self.select_path = None
        self.query_one("#backups-summary", Static).update(self.summary(data))
        self.show_highlighted()
        self.refresh_bindings()

    @staticmethod
    def summary(data: BackupsData) -> Text:
        last = data.last_verified()
        if last is None:
            text = t("backups.none_verified") if data.backups else t("backups.none", folder=str(data.folder))
            return Text(text, style=WARN)
        return Text.assemble(t("backups.last_verified") + ": ", (age_label(last.created), OK),
                             f" ({last.name})")

    def highlighted(self) -> BackupInfo | None:
        table = self.query_one("#backups", DataTable)
        if self.data is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((b for b in self.data.backups if str(b.path) == key), None)

    @on(DataTable.RowHighlighted, "#backups")
    def show_highlighted(self) -> None:
        status = self.query_one("#backups-status", Static)
        backup = self.highlighted()
        if backup is None:
            status.update("")
            return
        verification = backup.verification
        if verification is not None and backup.state in ("verified", "failed"):
            status.update(t("backups.status.checked", name=backup.name, when=moment(verification.verified_at)))
        else:
            status.update(backup.name)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.busy is not None
        if action == "back":
            return self.busy is None
        if action in ("create", "refresh"):
            return self.busy is None
        if action == "verify":
            return self.busy is None and self.highlighted() is not None
        if action == "restore":
            return self.busy is None and self.highlighted() is not None and self.ctx.can("backup.restore")
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    # ------------------------------------------------------------------------------------- the work area

    def start(self, operation: str, stage: str) -> None:
        self.busy = operation
        self.cancel_requested.clear()
        self.query_one("#backups-stage", Static).update(t("backups.stage", stage=stage))
        self.query_one("#backups-progress", ProgressBar).update(total=1000, progress=0)
        self.query_one("#backups-work").display = True
        self.refresh_bindings()

    def stop(self) -> None:
        self.busy = None
        self.query_one("#backups-work").display = False
        self.refresh_bindings()

    def action_cancel(self) -> None:
        if self.busy is None:
            return
        self.cancel_requested.set()
        self.query_one("#backups-stage", Static).update(t("backups.cancelling"))

    def reporter(self) -> Progress:
        """The core's progress callback, for the running worker: posts the bar's position when it moves by
        a tenth of a per cent, and raises Cancelled once Escape was pressed or the screen left."""
        return cancellable(self, self.cancel_requested)

    @on(ProgressMade)
    def progressed(self, message: ProgressMade) -> None:
        self.query_one("#backups-progress", ProgressBar).update(total=max(message.total, 1), progress=message.done)

    @on(BackupStage)
    def staged(self, message: BackupStage) -> None:
        if not self.cancel_requested.is_set():
            self.query_one("#backups-stage", Static).update(t("backups.stage", stage=message.text))

    @on(BackupFinished)
    def finished(self, message: BackupFinished) -> None:
        self.stop()
        self.notify(message.text, severity="information" if message.ok else "warning", timeout=8)
        self.select_path = message.path
        self.action_refresh()

    # ------------------------------------------------------------------------------------------ create

    def action_create(self) -> None:
        if self.busy is not None:
            return
        self.start("create", t("backups.stage.create"))
        self.create()

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup-work")
    def create(self) -> None:
        try:
            created = workers.create_backup(self.ctx, self.reporter())
        except Cancelled:
            self.post_message(BackupFinished(t("backups.create.cancelled"), ok=False))
            return
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "backup-create"))
            return
        self.post_message(BackupFinished(t("backups.created", name=created.path.name), path=created.path))

    # -------------------------------------------------------------------------------------- verify

    def ask_key(self, backup: BackupInfo, then: Callable[[str], None]) -> None:
        """The passphrase that opens `backup` (its own, or the stored key's), then `then(passphrase)`."""
        assert self.data is not None
        if backup.path in self.data.passphrase_only:
            prompt = t("backups.key.passphrase")
        elif self.data.has_identity:
            prompt = t("backups.key.identity")
        else:
            self.notify(t("backups.key.missing"), severity="warning", timeout=12)
            return

        def answered(secret: str | None) -> None:
            if secret:
                then(secret)

        self.app.push_screen(SecretPrompt(t("backups.key.title"), prompt, [backup.name]), answered)

    def action_verify(self) -> None:
        backup = self.highlighted()
        if backup is None or self.busy is not None:
            return

        def go(secret: str) -> None:
            self.start("verify", t("backups.stage.key"))
            self.verify(backup.path, secret)

        self.ask_key(backup, go)

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup-work")
    def verify(self, path: Path, secret: str) -> None:
        report = self.reporter()
        try:
            identities_ready = False

            def progress(done: int, total: int) -> None:
                nonlocal identities_ready
                if not identities_ready:
                    identities_ready = True
                    self.post_message(BackupStage(t("backups.stage.verify")))
                report(done, total)

            result = workers.verify_backup(self.ctx, path, secret, progress)
        except Cancelled:
            self.post_message(BackupFinished(t("backups.verify.cancelled"), ok=False, path=path))
            return
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "backup-verify"))
            return
        if result.ok:
            self.post_message(BackupFinished(t("backups.verify.ok", name=path.name), path=path))
        else:
            self.post_message(BackupFinished(t("backups.verify.bad", problem=str(result.problem)), ok=False,
                                             path=path))

    # ------------------------------------------------------------------------------------- restore

    def action_restore(self) -> None:
        backup = self.highlighted()
        if backup is None or self.busy is not None or not self.ctx.can("backup.restore"):
            return

        def go(secret: str) -> None:
            self.start("restore", t("backups.stage.key"))
            self.restore(backup.path, secret)

        self.ask_key(backup, go)

    def ask(self, make: Callable[[], ModalScreen[Any]]) -> Any:
        """From the worker: show a window and wait for its answer (a cancel still stops the wait)."""
        answer: list[Any] = []
        answered = threading.Event()

        def dismissed(value: Any) -> None:
            answer.append(value)
            answered.set()

        def show() -> None:
            self.app.push_screen(make(), dismissed)

        self.app.call_from_thread(show)
        worker = get_current_worker()
        while not answered.wait(POLL):
            if worker.is_cancelled or self.cancel_requested.is_set():
                raise Cancelled()
        return answer[0]

    def confirm_restore(self, plan: RestorePlan) -> str | None:
        """The core's confirm(plan), in the worker: a confirmation, then the user's own password again."""
        from zhurnal.tui.app.screens.confirm import ConfirmScreen
        m = plan.manifest
        lines = [t("backups.restore.copy", name=plan.source.name, created=moment(m.created)),
                 t("backups.restore.rows", rows=sum(plan.counts.values()), audit=m.audit_count)]
        if plan.replaces_live:
            lines += [t("backups.restore.replaces", target=plan.target), t("backups.restore.aside")]
        else:
            lines.append(t("backups.restore.into", target=plan.target))
        yes = self.ask(lambda: ConfirmScreen(t("backups.restore.title"), t("backups.restore.question"), lines,
                                             yes=t("backups.restore.yes"), default_yes=False))
        if not yes:
            raise Cancelled()
        actor = self.ctx.signed_in()
        password = self.ask(lambda: SecretPrompt(t("backups.password.title"),
                                                   t("backups.password.prompt", login=actor.login)))
        if not password:
            raise Cancelled()
        self.post_message(BackupStage(t("backups.stage.swap")))
        return str(password)

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup-work")
    def restore(self, path: Path, secret: str) -> None:
        def stage(text: str) -> None:
            self.post_message(BackupStage(text))

        try:
            result = workers.restore_backup(self.ctx, path, secret, self.confirm_restore, stage, self.reporter())
        except Cancelled:
            self.post_message(BackupFinished(t("backups.restore.cancelled"), ok=False, path=path))
            return
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "backup-restore"))
            return
        self.post_message(RestoreFinished(result))

    @on(RestoreFinished)
    def restored(self, message: RestoreFinished) -> None:
        result = message.result
        self.stop()
        if result.swapped:
            # The database under the app was replaced: the account, its roles and every screen's data may
            # differ in the restored one, so the user signs in again (to the restored database).
            text = t("backups.restored", name=result.plan.source.name)
            if result.backup is not None:
                text += " " + t("backups.restored.backup", name=result.backup.name)
            self.zapp.signed_out(text)
            return
        if result.note:  # PostgreSQL: others were connected, the live database stayed; the core says where
            self.notify(result.note, severity="warning", timeout=20)
        else:
            self.notify(t("backups.restored.into", target=result.database), timeout=12)
        self.action_refresh()
