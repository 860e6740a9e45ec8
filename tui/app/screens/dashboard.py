"""The dashboard: the school, its year and term, the counts, and what needs attention."""

from __future__ import annotations

from datetime import timedelta
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
from zhurnal.core.services.dashboard import AuditChainState
from zhurnal.tui.app import workers
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day, period
from zhurnal.tui.app.messages import AuditChecked, CallFailed, DashboardLoaded, NewsRead
from zhurnal.tui.app.navigation import nav_bindings
from zhurnal.tui.app.screens.base import AppScreen
from zhurnal.tui.app.widgets.footer import KeyFooter
from zhurnal.tui.app.workers import DashboardData
from zhurnal.tui.i18n import t

WARN = "bold yellow"
BAD = "bold red"
OK = "green"
BACKUP_STALE = timedelta(days=2)  # an older last verified backup is a warning
NEWS_LINES = 3  # unread announcements listed by title on top; the rest are counted


class DashboardScreen(AppScreen):
    """The first screen after login; the other screens open from here (and from anywhere with the same keys)."""

    TITLE_KEY = "dashboard.title"
    HELP_KEY = "help.dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        *nav_bindings(show=True),
        bind("dashboard.refresh", "ctrl+r", "refresh", show=False),
        bind("dashboard.news", "ctrl+o", "news", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._audit: AuditChainState | None = None
        self._audit_checked = False
        self._data: DashboardData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="dashboard"):
            yield Static("", id="news")
            yield Static("", id="school-name")
            yield Static("", id="school-year")
            yield Static("", id="counts")
            yield Static(t("dashboard.attention"), id="attention-title")
            yield Static("", id="attention")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        # Back from a list: the counts may have changed meanwhile; the audit walk is not repeated.
        if self._data is not None:
            self.load()

    def action_refresh(self) -> None:
        self.query_one("#dashboard").loading = True
        self.load()
        self._audit_checked = False
        self.render_attention()
        self.check_audit()

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard")
    def load(self) -> None:
        try:
            data = workers.load_dashboard(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "dashboard"))
            return
        self.post_message(DashboardLoaded(data))

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit")
    def check_audit(self) -> None:
        try:
            state = workers.check_audit_chain(self.ctx)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "audit"))
            return
        if state is not None:
            self.post_message(AuditChecked(state))

    def finish_loading(self) -> None:
        self.query_one("#dashboard").loading = False

    @on(DashboardLoaded)
    def show(self, message: DashboardLoaded) -> None:
        self._data = data = message.data
        self.finish_loading()
        school = self.query_one("#school-name", Static)
        school.update(Text(data.school.name, style="bold") if data.school else Text(t("dashboard.no_school")))
        self.query_one("#school-year", Static).update(self.year_line(data))
        self.query_one("#counts", Static).update(self.counts(data))
        self.render_attention()
        self.render_news(data)
        if data.news and not self.zapp.news_shown:
            self.zapp.news_shown = True  # once per sign-in; later the list here and Ctrl+O show them
            self.action_news()

    @on(AuditChecked)
    def audit_checked(self, message: AuditChecked) -> None:
        self._audit, self._audit_checked = message.state, True
        self.render_attention()

    @staticmethod
    def year_line(data: DashboardData) -> Text:
        if data.year is None:
            return Text(t("dashboard.no_year"), style=WARN)
        line = Text(t("dashboard.year", name=data.year.name))
        if data.term is not None:
            line.append(" · " + t("dashboard.term", name=data.term.name,
                                   period=period(data.term.start, data.term.end)))
        elif data.next_term is not None:
            line.append(" · " + t("dashboard.holidays", name=data.next_term.name, start=day(data.next_term.start)))
        return line

    @staticmethod
    def counts(data: DashboardData) -> RenderableType:
        stats = data.stats
        if stats is None:
            return Text(t("dashboard.no_access"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column()
        grid.add_column(justify="right")
        grid.add_column()
        grid.add_column(justify="right")
        grid.add_row(t("dashboard.students"), str(stats.students), t("dashboard.classes"), str(stats.classes))
        grid.add_row(t("dashboard.staff"), str(stats.staff), t("dashboard.accounts"),
                     t("dashboard.accounts.value", total=stats.accounts, active=stats.active_accounts))
        grid.add_row(t("dashboard.parents"), str(stats.parents), t("dashboard.audit_records"),
                     str(stats.audit_records))
        if stats.schools > 1:
            return Group(grid, Text(t("dashboard.district", schools=stats.schools), style="italic"))
        return grid

    def render_attention(self) -> None:
        widget = self.query_one("#attention", Static)
        data = self._data
        rows = Table.grid(padding=(0, 1))
        rows.add_column()
        rows.add_column()
        attention = data.attention if data else None
        if attention is None:
            rows.add_row("•", t("dashboard.loading") if data is None else t("dashboard.no_access"))
        else:
            missing = attention.classes_without_teacher
            rows.add_row("•", self.item(t("dashboard.no_teacher"), len(missing), ", ".join(missing)))
            rows.add_row("•", self.item(t("dashboard.no_class"), attention.students_without_class))
            rows.add_row("•", self.item(t("dashboard.unplaced"), attention.persons_unplaced))
            rows.add_row("•", self.item(t("dashboard.never_activated"), attention.accounts_never_activated))
        rows.add_row("•", self.backup_line(data))
        rows.add_row("•", self.audit_line())
        widget.update(rows)

    @staticmethod
    def item(label: str, count: int, names: str = "") -> Text:
        if not count:
            return Text.assemble(label + ": ", (t("dashboard.none"), OK))
        return Text.assemble(label + ": ", (str(count), WARN), f" ({names})" if names else "")

    def backup_line(self, data: DashboardData | None) -> Text:
        label = t("dashboard.backup") + ": "
        if data is None:
            return Text.assemble(label, (t("dashboard.loading"), "italic"))
        state = data.backup
        if state is None:
            return Text.assemble(label, t("dashboard.no_access"))
        last = state.verified
        if last is None:  # backups but none verified OK, or none at all
            empty = t("dashboard.backup.none_verified") if state.backups else t("dashboard.no_data")
            return Text.assemble(label, (empty, WARN))
        if last.days >= 1:
            ago = t("dashboard.backup.days_ago", days=last.days)
        else:
            ago = t("dashboard.backup.hours_ago", hours=last.hours)
        stale = last.age > BACKUP_STALE
        return Text.assemble(label, (ago, WARN if stale else OK), f" ({last.name})")

    def audit_line(self) -> Text:
        label = t("dashboard.audit") + ": "
        if not self.ctx.can("audit.read"):
            return Text.assemble(label, t("dashboard.no_access"))
        if not self._audit_checked or self._audit is None:
            return Text.assemble(label, (t("dashboard.checking"), "italic"))
        if self._audit.ok:
            return Text.assemble(label, (t("dashboard.audit.ok", count=self._audit.records), OK))
        return Text.assemble(label, (t("dashboard.audit.broken", problem=self._audit.problem or ""), BAD))

    # ------------------------------------------------------------------------------- announcements, support

    def render_news(self, data: DashboardData) -> None:
        """The unread announcements and answers on top, until read; nothing at all when there are none."""
        widget = self.query_one("#news", Static)
        lines = [Text.assemble(("● ", WARN), (a.title, "bold")) for a in data.news[:NEWS_LINES]]
        if len(data.news) > NEWS_LINES:
            lines.append(Text(t("dashboard.news.more", count=len(data.news) - NEWS_LINES), style="italic"))
        if data.news:
            lines.append(Text(t("dashboard.news.hint"), style="italic"))
        if data.unread_answers:
            lines.append(Text.assemble(("● ", WARN), t("dashboard.answers", count=data.unread_answers)))
        widget.update(Group(*lines))
        widget.display = bool(lines)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "news":
            return self._data is not None and bool(self._data.news)
        return True

    def action_news(self) -> None:
        """The unread announcements in a window: Enter marks them read, Escape leaves them here."""
        from zhurnal.tui.app.screens.news import NewsItem, NewsScreen

        news = self._data.news if self._data else []
        if not news:
            return
        ids = [a.id for a in news]

        def closed(read: bool | None) -> None:
            if read:
                self.mark_read(ids)

        self.app.push_screen(NewsScreen([NewsItem.of(a) for a in news]), closed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="news")
    def mark_read(self, ids: list[int]) -> None:
        try:
            workers.mark_read(self.ctx, ids)
        except ZhurnalError as exc:
            self.post_message(CallFailed(str(exc), "news"))
            return
        self.post_message(NewsRead())

    @on(NewsRead)
    def news_read(self) -> None:
        self.load()
