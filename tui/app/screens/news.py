"""A window listing announcements: shown after login with the unread ones (Enter marks them read, Escape leaves
them on the start screen for later), and to read one announcement in full from the announcements section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from zhurnal.core.services.announcements import MyAnnouncement
from zhurnal.tui.app.keys import bind
from zhurnal.tui.app.labels import day
from zhurnal.tui.i18n import t


@dataclass(frozen=True)
class NewsItem:
    title: str
    posted_at: datetime
    author: str
    body: str

    @classmethod
    def of(cls, announcement: MyAnnouncement) -> NewsItem:
        return cls(announcement.title, announcement.posted_at, announcement.author_login, announcement.body)


def moment(value: datetime) -> str:
    """A moment in the local time zone, in the interface's date format with hours and minutes."""
    local = value.astimezone()
    return f"{day(local.date())} {local:%H:%M}"


class NewsScreen(ModalScreen[bool]):
    """`push_screen(NewsScreen(items), callback)`: the callback gets True when the user marked them read
    (Enter), False for later (Escape). With `can_mark=False` both keys just close the window."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("news.read", "enter", "done(True)"),
        bind("news.later", "escape", "done(False)"),
    ]

    def __init__(self, items: Sequence[NewsItem], *, can_mark: bool = True, title: str | None = None) -> None:
        super().__init__(classes="news-screen")
        self.items = list(items)
        self.can_mark = can_mark
        self.heading = title or t("news.title", count=len(self.items))

    def compose(self) -> ComposeResult:
        with Vertical(id="news-box") as box:
            box.border_title = self.heading
            box.border_subtitle = t("news.hint") if self.can_mark else t("news.hint_close")
            with VerticalScroll(id="news-list"):
                for item in self.items:
                    yield Static(Group(Text(item.title, style="bold"),
                                       Text(t("news.meta", when=moment(item.posted_at), author=item.author),
                                            style="italic"),
                                       Text(item.body)), classes="news-item")

    def on_mount(self) -> None:
        self.query_one("#news-list").focus()

    def action_done(self, read: bool) -> None:
        self.dismiss(read and self.can_mark)
