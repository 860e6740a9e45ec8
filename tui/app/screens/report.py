"""Report a problem: a window that opens from any screen (Ctrl+T) with the name of the screen it was opened from;
the report goes to the administrator's support queue and the answer comes back to the support section."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea
from textual.worker import Worker, WorkerState

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.services.support import TicketDetail
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.messages import FormRefused, TicketLoaded
from zhurnal.tui.app.screens.confirm import leave_form
from zhurnal.tui.i18n import t

if TYPE_CHECKING:
    from zhurnal.tui.app.context import Context


class ReportScreen(ModalScreen[None]):
    """The problem report form; `screen_name` (the class of the screen under it) goes with the report."""

    REPORT_FORM = True  # the app's Ctrl+T does not open a second one over it
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("form.save", "ctrl+s", "send"),
        bind("screen.back", "escape", "back"),
    ]

    def __init__(self, screen_name: str | None) -> None:
        super().__init__(classes="report-screen")
        self.screen_name = screen_name
        self.sending = False
        self.sent: TicketDetail | None = None

    @property
    def ctx(self) -> Context:
        from zhurnal.tui.app.app import ZhurnalApp

        return cast("ZhurnalApp", self.app).ctx

    def compose(self) -> ComposeResult:
        with Vertical(id="report-box") as box:
            box.border_title = t("report.title")
            box.border_subtitle = t("report.hint")
            yield Static(Text(t("report.screen", screen=self.screen_name or "—"), style="italic"),
                         id="report-screen-name")
            yield Static(t("report.prompt"), id="report-prompt")
            yield TextArea(id="report-text", compact=True)
            yield Static("", id="report-message")

    def on_mount(self) -> None:
        self.query_one("#report-text", TextArea).focus()

    def text(self) -> str:
        return self.query_one("#report-text", TextArea).text

    def say(self, text: str) -> None:
        message = self.query_one("#report-message", Static)
        message.update(text)
        message.set_class(bool(text), "-error")

    def action_send(self) -> None:
        if self.sending:
            return
        if not self.text().strip():
            self.say(t("report.empty"))
            return
        self.sending = True
        self.query_one("#report-box").loading = True
        self.send(self.text())

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def send(self, text: str) -> None:
        try:
            ticket = workers.send_report(self.ctx, text, self.screen_name)
        except ZhurnalError as exc:
            self.post_message(FormRefused.of(exc))
        else:
            self.post_message(TicketLoaded(ticket))

    def finish(self) -> None:
        self.sending = False
        self.query_one("#report-box").loading = False

    @on(FormRefused)
    def refused(self, message: FormRefused) -> None:
        self.finish()
        self.say("\n".join([message.text] if message.text else [p.message for p in message.problems]))

    @on(TicketLoaded)
    def done(self, message: TicketLoaded) -> None:
        self.finish()
        self.sent = message.ticket
        self.app.notify(t("report.sent", number=message.ticket.row.id), timeout=6)
        self.dismiss(None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.finish()
            self.say(t("error.unexpected", detail=str(event.worker.error)))

    def action_back(self) -> None:
        leave_form(self, bool(self.text().strip()), t("report.discard"))
