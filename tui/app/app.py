"""The administrator's console: login, then the dashboard and the screens it opens.

The app owns the Context (store, signed-in actor, the day) and the navigation; screens call the core only in
thread workers (tui/app/workers.py) and update themselves from the messages those post.
"""

from __future__ import annotations

import functools
import gc
import importlib
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events
from textual.app import App
from textual.binding import BindingType
from textual.command import CommandPalette
from textual.screen import ModalScreen, Screen

from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store
from zhurnal.tui.app.commands import ScreenCommands
from zhurnal.tui.app.context import Context
from zhurnal.tui.app.keys import bind, screen_keys
from zhurnal.tui.app.navigation import SECTIONS, nav_bindings
from zhurnal.tui.i18n import choose, set_language, t

if TYPE_CHECKING:
    # Annotations only: the login screen is drawn before the services (and SQLAlchemy's ORM) are imported.
    from zhurnal.core.services.accounts import SignedIn

IDLE_LOCK_MINUTES = 15
BASE_DEPTH = 2
"""Screens under every list: Textual's default screen, then the login screen or, after login, the dashboard."""


class ZhurnalApp(App[None], inherit_bindings=False):
    """The full-screen console. Give it a Store; `actor` skips the login screen (tests), `today` fixes the day."""

    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar[set[Any]] = {ScreenCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("app.help", "f1", "help"),
        bind("app.palette", "ctrl+p", "command_palette", show=False),
        bind("app.quit", "f10,ctrl+q", "quit", priority=True),
        bind("app.report_problem", "ctrl+t", "report_problem", show=False),
        *nav_bindings(show=False),
    ]

    def __init__(self, store: Store, *, lang: str | None = None, keymap: Mapping[str, object] | None = None,
                 actor: Actor | None = None, today: date | None = None, school_code: str | None = None,
                 startup_warning: str | None = None, idle_minutes: int = IDLE_LOCK_MINUTES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        set_language(choose(lang))
        super().__init__()
        self.idle_minutes = idle_minutes
        self.clock = clock
        self.last_input = clock()
        self.locked = False
        self.ctx = Context(store, actor=actor, today=today, school_code=school_code)
        self.keymap_config, keymap_problems = clean_keymap(keymap or {})
        self.startup_warnings = [w for w in (startup_warning, *keymap_problems) if w]
        self.title = t("app.title")
        self.news_shown = False  # the unread announcements pop up once per sign-in (the dashboard does it)
        self.warmed = False  # warm_up has started

    def on_mount(self) -> None:
        # Checked twice a minute; the check itself compares against the clock, so it never sleeps.
        self.set_interval(30, self.lock_if_idle)
        if self.keymap_config:
            self.set_keymap(self.keymap_config)
        for warning in self.startup_warnings:
            self.notify(warning, title=t("app.config_warning"), severity="warning", timeout=10)
        if self.ctx.actor is None:
            from zhurnal.tui.app.screens.login import LoginScreen

            self.push_screen(LoginScreen())
        else:
            self.show_start()

    # ------------------------------------------------------------------------------------------- sign in

    def warm_up(self) -> None:
        """Once the login screen is drawn: import the services, the ORM and the first screens after login in a
        background thread while the user types, so signing in does not wait for them (issue #4)."""
        if self.warmed:
            return
        self.warmed = True
        threading.Thread(target=warm_imports, args=(self.ctx.store,), name="zhurnal-warm-up", daemon=True).start()

    def signed_in(self, signed: SignedIn) -> None:
        """The login screen's success: replace it with the dashboard.

        A temporary password (an administrator's reset) lets no one in until it is changed, as on the command
        line: the password form takes the login screen's place and calls this again once it is changed.
        """
        if signed.must_change_password:
            from zhurnal.tui.app.screens.password import PasswordScreen

            self.switch_screen(PasswordScreen(signed))
            return
        self.ctx.actor = signed.actor
        self.news_shown = False
        self.show_start(switch=True)

    def show_start(self, *, switch: bool = False) -> None:
        """The start screen after login (docs/tui.md): the dashboard, with a teacher's journals above it; the
        diary itself for students and parents (make_screen("dashboard") gives it to them)."""
        base = self.make_screen("dashboard")
        if switch:
            self.switch_screen(base)
        else:
            self.push_screen(base)
        if self.ctx.can("journal.write"):
            self.push_screen(self.make_screen("journal"))
        self.call_after_refresh(freeze_long_lived)

    def diary_only(self) -> bool:
        """A user with a diary and no staff actions (a student or a parent)."""
        return self.ctx.can("diary.read") and not any(self.ctx.can(a) for a in ("school.read", "journal.write",
                                                                                 "journal.read", "people.read"))

    def signed_out(self, message: str) -> None:
        """Back to the login screen with nobody signed in, saying why: after a restore replaced the database
        under the app, the account, its roles and every screen's data are read again from the restored one."""
        from zhurnal.tui.app.screens.login import LoginScreen

        self.ctx.actor = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(LoginScreen())
        self.notify(message, timeout=30)

    # ---------------------------------------------------------------------------------------- idle lock

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.last_input = self.clock()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        """Lock the console when the signed-in user has been idle for `idle_minutes`."""
        if self.locked or self.ctx.actor is None:
            return
        if self.clock() - self.last_input >= self.idle_minutes * 60:
            from zhurnal.tui.app.screens.lock import LockScreen

            self.locked = True
            self.push_screen(LockScreen(self.ctx.actor.login, self.idle_minutes))

    def unlock(self) -> None:
        """The lock screen's success: back to where the user was."""
        self.locked = False
        self.last_input = self.clock()
        self.pop_screen()

    # ---------------------------------------------------------------------------------------- navigation

    def make_screen(self, target: str) -> Screen[Any]:
        if target == "dashboard" and self.diary_only():
            target = "diary"  # the diary is a student's and a parent's dashboard
        elif target == "dashboard":
            from zhurnal.tui.app.screens.dashboard import DashboardScreen

            return DashboardScreen()
        if target == "menu":
            from zhurnal.tui.app.screens.menu import MenuScreen

            return MenuScreen()
        from zhurnal.tui.app.labels import KINDS  # imports services: not before login

        if target in KINDS:
            from zhurnal.tui.app.screens.people import PeopleScreen

            return PeopleScreen(target)
        section = SECTIONS.get(target)
        if section is None:
            raise ValueError(f"unknown screen {target!r}")
        screen_class = getattr(importlib.import_module(section.module), section.cls)
        return cast("Screen[Any]", screen_class())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked:
            return action == "quit"  # behind the lock only quitting works
        if action == "open":
            if self.ctx.actor is None:
                return False  # nothing opens before login
            from zhurnal.tui.app.screens.dashboard import DashboardScreen

            return not (parameters == ("dashboard",) and isinstance(self.main_screen(), DashboardScreen))
        if action == "report_problem":
            return self.ctx.actor is not None and not getattr(self.screen, "REPORT_FORM", False)
        return True

    def main_screen(self) -> Screen[Any]:
        """The screen on top under any modal (help, command palette)."""
        return next((s for s in reversed(self.screen_stack) if not isinstance(s, ModalScreen)), self.screen)

    def action_open(self, target: str) -> None:
        """Show a main screen: back down to the dashboard, then the target above it."""
        if self.ctx.actor is None:
            return
        while len(self.screen_stack) > BASE_DEPTH:
            self.pop_screen()
        if target != "dashboard":
            self.push_screen(self.make_screen(target))

    def action_report_problem(self) -> None:
        """Open the problem report form over the current screen; the main screen's name goes with the report."""
        if self.ctx.actor is None or getattr(self.screen, "REPORT_FORM", False):
            return
        from zhurnal.tui.app.screens.report import ReportScreen

        self.push_screen(ReportScreen(type(self.main_screen()).__name__))

    # ------------------------------------------------------------------------------------ help, palette

    def action_help(self) -> None:
        from zhurnal.tui.app.screens.base import AppScreen
        from zhurnal.tui.app.screens.help import HelpScreen

        screen = self.screen
        if not isinstance(screen, AppScreen):
            return
        keys = [(shown, text) for shown, text, _binding, _node in screen_keys(screen)]
        self.push_screen(HelpScreen(screen.screen_title(), screen.help_text(), keys))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=t("palette.placeholder")))


WARM_MODULES = ("zhurnal.tui.app.workers", "zhurnal.tui.app.labels", "zhurnal.tui.app.screens.dashboard",
                "zhurnal.tui.app.screens.people", "zhurnal.tui.app.screens.journal")
"""What the first screens after login import (the services and the ORM models with them)."""


@functools.cache  # once per process
def freeze_long_lived() -> None:
    """After the first start screen is drawn: collect, then move every object alive to the
    collector's permanent generation (gc.freeze).

    The modules, the ORM's metadata and Textual's stylesheets and screens make well over 100,000 objects
    that live as long as the app; each full collection walks them all, and one falling on a keystroke held
    up its drawing by 100–340 ms on the shared machine (bench_tui). Frozen, they are skipped; what is made
    afterwards is collected as before."""
    gc.collect()
    gc.freeze()


def warm_imports(store: Store) -> None:
    """The warm-up thread's work. A failure here is not reported: the same import, on the screen that needs
    it, reports it there (a thread's traceback would only scribble over the terminal)."""
    try:
        store.warm_up()
        for module in WARM_MODULES:
            importlib.import_module(module)
    except Exception:
        pass


def clean_keymap(keymap: Mapping[str, object]) -> tuple[dict[str, str], list[str]]:
    """The config's [keymap] as Textual wants it (binding id -> "key,key"), and a message per entry refused."""
    if not keymap:
        return {}, []  # the check imports every screen: not for the usual empty [keymap] before the login screen
    known = known_binding_ids()
    clean: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
            keys = ",".join(keys)
        if binding_id not in known:
            problems.append(t("app.keymap.unknown", id=binding_id))
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(t("app.keymap.bad", id=binding_id))
        else:
            clean[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    return clean, problems


def binding_owners() -> list[type[Any]]:
    """Every class of the app that declares bindings (for the keymap check, the docs test and the help): the
    fixed screens and widgets, and the screen of every registered section."""
    from zhurnal.tui.app.screens.announcements import AnnouncementFormScreen, AnnouncementsScreen
    from zhurnal.tui.app.screens.card import PersonCardScreen
    from zhurnal.tui.app.screens.classes import ClassesScreen
    from zhurnal.tui.app.screens.confirm import ConfirmScreen
    from zhurnal.tui.app.screens.dashboard import DashboardScreen
    from zhurnal.tui.app.screens.diary import ChildChooser, DiaryScreen
    from zhurnal.tui.app.screens.help import HelpScreen
    from zhurnal.tui.app.screens.journal import JournalListScreen
    from zhurnal.tui.app.screens.journal_grid import JournalGridScreen
    from zhurnal.tui.app.screens.lesson_form import LessonFormScreen
    from zhurnal.tui.app.screens.login import LoginScreen
    from zhurnal.tui.app.screens.mark_history import MarkHistoryScreen
    from zhurnal.tui.app.screens.menu import MenuScreen
    from zhurnal.tui.app.screens.movement import MovementScreen
    from zhurnal.tui.app.screens.news import NewsScreen
    from zhurnal.tui.app.screens.order_form import OrderFormScreen
    from zhurnal.tui.app.screens.orders import OrdersScreen
    from zhurnal.tui.app.screens.people import PeopleScreen
    from zhurnal.tui.app.screens.person_form import PersonFormScreen
    from zhurnal.tui.app.screens.report import ReportScreen
    from zhurnal.tui.app.screens.support import SupportScreen, TicketScreen
    from zhurnal.tui.app.screens.unlock_request import UnlockRequestScreen
    from zhurnal.tui.app.screens.unlock_requests import UnlockRequestsScreen
    from zhurnal.tui.app.widgets.journal_grid import JournalGrid
    from zhurnal.tui.app.widgets.people_list import PeopleList
    from zhurnal.tui.app.widgets.person_picker import PersonPicker

    owners: list[type[Any]] = [
        ZhurnalApp, LoginScreen, DashboardScreen, PeopleScreen, PeopleList, PersonCardScreen, ClassesScreen,
        HelpScreen, PersonFormScreen, ConfirmScreen, OrdersScreen, OrderFormScreen, MovementScreen, PersonPicker,
        MenuScreen, *admin_binding_owners(), JournalListScreen, JournalGridScreen, JournalGrid,
        LessonFormScreen, UnlockRequestScreen, DiaryScreen, ChildChooser, UnlockRequestsScreen, MarkHistoryScreen,
        NewsScreen, ReportScreen, AnnouncementsScreen, AnnouncementFormScreen, SupportScreen, TicketScreen]
    for section in SECTIONS.values():
        screen_class = getattr(importlib.import_module(section.module), section.cls)
        if screen_class not in owners:
            owners.append(screen_class)
    # Screens and widgets a section screen opens declare theirs in EXTRA_OWNERS (e.g. a form of the screen).
    for owner in list(owners):
        owners += [extra for extra in getattr(owner, "EXTRA_OWNERS", ()) if extra not in owners]
    return owners


def admin_binding_owners() -> list[type[Any]]:
    """The account-administration screens (users and roles, one's own password, the audit log)."""
    from zhurnal.tui.app.screens.account import AccountScreen
    from zhurnal.tui.app.screens.account_form import AccountFormScreen
    from zhurnal.tui.app.screens.audit import AuditScreen
    from zhurnal.tui.app.screens.audit_record import AuditRecordScreen
    from zhurnal.tui.app.screens.password import PasswordScreen
    from zhurnal.tui.app.screens.password_prompt import PasswordPromptScreen
    from zhurnal.tui.app.screens.pick_person import PickPersonScreen
    from zhurnal.tui.app.screens.roles import RolesScreen
    from zhurnal.tui.app.screens.shown_once import ShownOnceScreen
    from zhurnal.tui.app.screens.users import UsersScreen

    return [UsersScreen, AccountScreen, AccountFormScreen, RolesScreen, PasswordScreen, PasswordPromptScreen,
            ShownOnceScreen, AuditScreen, AuditRecordScreen, PickPersonScreen]


def known_binding_ids() -> set[str]:
    ids = set()
    for owner in binding_owners():
        for binding in owner.BINDINGS:
            binding_id = getattr(binding, "id", None)
            if binding_id:
                ids.add(binding_id)
    return ids
