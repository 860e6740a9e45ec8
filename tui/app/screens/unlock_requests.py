"""Teachers' requests to change marks behind the grade-entry lock, for the administrator and the deputy
(journal.unlock): the pending ones, oldest first; F7 approves (for three days), F9 rejects, each after a
confirmation. Every decision is audited by the core."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Header, Static

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.lock_exceptions import LockExceptionView
from zhurnal.tui.app import journal_workers
from zhurnal.tui.app.journal_messages import UnlockRequested, UnlockRequestsLoaded
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day, period
from zhurnal.tui.app.messages import CallFailed
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.i18n import t


class UnlockRequestsScreen(AppScreen):
    """The pending requests; the highlighted one is decided."""

    TITLE_KEY = "unlock.list.title"
    HELP_KEY = "help.unlock_requests"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("screen.back", "escape", "app.pop_screen"),
        bind("unlock.approve", "f7", "decide(True)"),
        bind("unlock.reject", "f9", "decide(False)"),
    ]

    def __init__(self) -> None:
        super().__init__(id="unlock-requests-screen")
        self.requests: dict[int, LockExceptionView] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="unlock-requests", cursor_type="row", zebra_stripes=True)
        yield Static("", id="unlock-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#unlock-requests", DataTable)
        table.add_column(t("journal.list.col.class"), key="class", width=5)
        table.add_column(t("journal.list.col.subject"), key="subject")
        table.add_column(t("journal.list.col.teacher"), key="teacher")
        table.add_column(t("unlock.col.dates"), key="dates")
        table.add_column(t("unlock.field.reason"), key="reason")
        table.focus()
        self.reload()

    def reload(self) -> None:
        self.query_one("#unlock-requests", DataTable).loading = True
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock-requests")
    def load(self) -> None:
        try:
            requests = journal_workers.unlock_requests(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "unlock"))
            return
        self.post_message(UnlockRequestsLoaded(requests))

    def finish_loading(self) -> None:
        self.query_one("#unlock-requests", DataTable).loading = False

    @on(UnlockRequestsLoaded)
    def loaded(self, message: UnlockRequestsLoaded) -> None:
        self.finish_loading()
        table = self.query_one("#unlock-requests", DataTable)
        table.clear()
        self.requests = {r.id: r for r in message.requests}
        for r in message.requests:
            table.add_row(r.class_name, r.subject_name, r.teacher_name, period(r.from_day, r.to_day), r.reason,
                          key=str(r.id))
        self.query_one("#unlock-status", Static).update(
            t("unlock.list.status", count=len(message.requests)) if message.requests else t("unlock.list.none"))
        self.refresh_bindings()

    def highlighted(self) -> LockExceptionView | None:
        table = self.query_one("#unlock-requests", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.requests.get(int(key)) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return self.highlighted() is not None
        return True

    def action_decide(self, approve: bool) -> None:
        request = self.highlighted()
        if request is None:
            return
        names = {"teacher": request.teacher_name, "class_name": request.class_name, "subject": request.subject_name}
        question = t("unlock.approve.question", **names) if approve else t("unlock.reject.question", **names)

        def answered(yes: bool | None) -> None:
            if yes:
                self.decide(request, approve)

        self.app.push_screen(ConfirmScreen(
            t("unlock.list.title"), question, [period(request.from_day, request.to_day), request.reason],
            yes=t("unlock.approve.yes") if approve else t("unlock.reject.yes"), default_yes=approve), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock-decide")
    def decide(self, request: LockExceptionView, approve: bool) -> None:
        try:
            decided = journal_workers.decide_unlock(self.ctx, request, approve)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "unlock"))
            return
        self.post_message(UnlockRequested(decided))

    @on(UnlockRequested)
    def decided(self, message: UnlockRequested) -> None:
        r = message.request
        if r.status == "approved" and r.valid_until is not None:
            self.notify(t("unlock.approved", teacher=r.teacher_name, until=day(r.valid_until)), timeout=5)
        else:
            self.notify(t("unlock.rejected", teacher=r.teacher_name), timeout=5)
        self.reload()
