"""The console driven with Textual's Pilot at 80×24 against a demo school: login, dashboard, lists with search
and paging, the person card (an audited read), help, the palette, remapped keys and the language.

Tests never sleep: they wait for the workers to finish and for the messages to be handled (`settle`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import WorkerCancelled, WorkerFailed

from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, DemoTemplates, ui_only
from zhurnal.core.config import Config
from zhurnal.core.models import AuditRecord
from zhurnal.core.permissions import Actor
from zhurnal.core.services.accounts import WRONG_CREDENTIALS, AuthService
from zhurnal.core.services.classes import ClassService
from zhurnal.core.services.dashboard import DashboardService
from zhurnal.core.services.persons import PersonService
from zhurnal.core.services.schools import SchoolService
from zhurnal.core.services.stats import StatsService
from zhurnal.core.services.years import YearService
from zhurnal.core.store import Store
from zhurnal.core.validation import fold
from zhurnal.tui import i18n
from zhurnal.tui.app import create_app, workers
from zhurnal.tui.app.app import ZhurnalApp
from zhurnal.tui.app.screens.card import PersonCardScreen
from zhurnal.tui.app.screens.classes import ClassesScreen
from zhurnal.tui.app.screens.dashboard import DashboardScreen
from zhurnal.tui.app.screens.help import HelpScreen
from zhurnal.tui.app.screens.login import LoginScreen
from zhurnal.tui.app.screens.people import PeopleScreen

TODAY = date(2026, 11, 28)  # inside the demo's academic year 2026/2027, in the second quarter
SIZE = (80, 24)
Scenario = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture
def demo(engine_name: str, demo_templates: DemoTemplates, request: pytest.FixtureRequest,
         tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the demo school (about 1,100 students)."""
    if engine_name == "sqlite":
        path = tmp_path / "demo.sqlite3"
        shutil.copyfile(demo_templates.sqlite_file(), path)
        store = Store(f"sqlite:///{path}")
        yield store
        store.dispose()
        return
    server = request.getfixturevalue("pg_server")
    name = server.create(template=demo_templates.postgresql_database(server))
    store = Store(server.url_for(name))
    yield store
    store.dispose()
    server.drop(name)


@pytest.fixture
def actor(demo: Store) -> Actor:
    return AuthService(demo).login(ADMIN_LOGIN, ADMIN_PASSWORD).actor


@pytest.fixture(autouse=True)
def russian() -> Iterator[None]:
    yield
    i18n.set_language("ru")  # the app sets the process's language; leave the default for other tests


def make_app(store: Store, actor: Actor | None = None, **kwargs: object) -> ZhurnalApp:
    config = kwargs.pop("config", Config())
    return create_app(store, config=config, actor=actor, today=TODAY, **kwargs)  # type: ignore[arg-type]


def drive(app: ZhurnalApp, scenario: Scenario, size: tuple[int, int] = SIZE) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no worker runs and every message they posted has been handled.

    Quiet three rounds in a row, not once: a worker's result can start another worker a few messages later (the
    class filter's list arrives, the filter changes, the list searches again), which a loaded machine spreads
    over more rounds than an idle one."""
    app = pilot.app
    quiet = 0
    for _ in range(80):
        await pilot.pause()
        with contextlib.suppress(WorkerCancelled, WorkerFailed):  # a superseded search: what counts is the screen
            await app.workers.wait_for_complete()
        await pilot.pause()
        quiet = 0 if any(w.is_running for w in app.workers) else quiet + 1
        if quiet == 3:
            return
    raise AssertionError("workers still running")


def screen_text(app: ZhurnalApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def table_keys(app: ZhurnalApp, selector: str = "#people-table") -> list[int]:
    table = app.screen.query_one(selector, DataTable)
    return [int(str(row.key.value)) for row in table.ordered_rows]


def table_names(app: ZhurnalApp, selector: str = "#people-table") -> list[str]:
    table = app.screen.query_one(selector, DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def person_reads(store: Store, person_id: int) -> int:
    with store.session(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "person.read", AuditRecord.person_id == person_id)) or 0)


# ------------------------------------------------------------------------------------------------- login


def test_login_wrong_then_right_password(demo):
    app = make_app(demo)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*ADMIN_LOGIN, "enter", *"not the password", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.ctx.actor is None
        message = app.screen.query_one("#login-message", Static)
        assert str(message.content) == WRONG_CREDENTIALS
        assert app.screen.query_one("#password", Input).value == ""  # the wrong password is not kept
        assert app.screen.focused is app.screen.query_one("#password", Input)
        await pilot.press(*ADMIN_PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.ctx.actor is not None and app.ctx.actor.login == ADMIN_LOGIN

    drive(app, scenario)


@ui_only
def test_no_screen_opens_before_login(demo):
    app = make_app(demo)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3", "f6")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)

    drive(app, scenario)


# --------------------------------------------------------------------------------------------- dashboard


def test_dashboard_shows_the_school_the_year_and_the_counts(demo, actor):
    school = SchoolService(demo).get(actor)
    stats = StatsService(demo).counts(actor, on=TODAY)
    never = DashboardService(demo).attention(actor).accounts_never_activated
    assert never > 100  # students and parents who never signed in (docs/demo.md)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, DashboardScreen)
        text = screen_text(app)
        assert school.name in text
        assert "2026/2027" in text and "2 четверть" in text
        for number in (stats.students, stats.staff, stats.parents, stats.classes):
            assert str(number) in text
        assert "Требует внимания" in text
        assert f"Учётные записи без единого входа: {never}" in text  # the demo's students and parents
        assert "резервная копия: нет данных" in text
        assert "Журнал аудита: цел" in text

    drive(app, scenario)


# ---------------------------------------------------------------------------------------- lists, search


def test_search_as_you_type_narrows_the_students(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen) and app.screen.kind == "student"
        everyone = table_keys(app)
        assert len(everyone) == app.ctx.page_size  # one page, not the whole school
        await pilot.press(*"Ива")
        await settle(pilot)
        names = table_names(app)
        assert names
        assert all(any(word.startswith("ива") for word in fold(name).split()) for name in names)
        expected = PersonService(demo).search(actor, "Ива", kind="student", on=TODAY, limit=app.ctx.page_size)
        assert table_keys(app) == [row.id for row in expected.rows]
        assert table_keys(app) != everyone

    drive(app, scenario)


def test_moving_past_the_first_page_loads_the_next(demo, actor):
    app = make_app(demo, actor)
    size = 50
    first = PersonService(demo).search(actor, kind="student", on=TODAY, limit=size)
    second = PersonService(demo).search(actor, kind="student", on=TODAY, after=first.next_after, limit=size)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("down")  # from the search box into the list
        assert table_keys(app) == [r.id for r in first.rows]
        for _ in range(10):
            await pilot.press("pagedown")
            await settle(pilot)
            if len(table_keys(app)) > size:
                break
        keys = table_keys(app)
        assert keys[:2 * size] == [r.id for r in first.rows + second.rows]
        assert len(keys) == len(set(keys))
        assert "ниже есть ещё" in screen_text(app)

    drive(app, scenario)


def test_class_filter_keeps_one_class(demo, actor):
    year = YearService(demo).current(actor, on=TODAY)
    classes = ClassService(demo).list(actor, year.id, on=TODAY)
    roster = ClassService(demo).roster(actor, classes[0].id, TODAY)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f7", "enter", "down", "enter")  # open the filter, pick the first class
        await settle(pilot)
        assert app.screen.query_one("#class-filter", Select).value == classes[0].id
        assert table_keys(app) == [r.person_id for r in roster][:app.ctx.page_size]

    drive(app, scenario)


def test_staff_and_parents_lists(demo, actor):
    app = make_app(demo, actor)
    staff = PersonService(demo).search(actor, kind="staff", on=TODAY, limit=50)
    parents = PersonService(demo).search(actor, kind="parent", on=TODAY, limit=50)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f4")
        await settle(pilot)
        assert table_keys(app) == [r.id for r in staff.rows]
        assert not app.screen.query("#class-filter")  # the class filter is for students only
        await pilot.press("f5")
        await settle(pilot)
        assert table_keys(app) == [r.id for r in parents.rows]
        assert len(app.screen_stack) == 3  # one list above the dashboard, never a growing stack

    drive(app, scenario)


# -------------------------------------------------------------------------------------------------- card


def test_enter_opens_the_card_the_read_is_audited_and_escape_returns(demo, actor):
    app = make_app(demo, actor)
    found = PersonService(demo).search(actor, "Ива", kind="student", on=TODAY, limit=1).rows[0]
    before = person_reads(demo, found.id)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3", *"Ива")
        await settle(pilot)
        await pilot.press("enter")  # from the search box: opens the highlighted (first) student
        await settle(pilot)
        assert isinstance(app.screen, PersonCardScreen)
        assert found.full_name in screen_text(app)
        assert "Обучение в классах" in screen_text(app)
        assert person_reads(demo, found.id) == before + 1
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        assert app.screen.query_one("#people-search", Input).value == "Ива"  # the list is as it was left

    drive(app, scenario)


@ui_only
def test_a_slow_call_shows_a_loading_state(demo, actor, monkeypatch):
    release = threading.Event()
    real = workers.load_card

    def slow(ctx, person_id):  # type: ignore[no-untyped-def]
        release.wait(10)
        return real(ctx, person_id)

    monkeypatch.setattr(workers, "load_card", slow)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PersonCardScreen)
        assert app.screen.query_one("#card").loading
        release.set()
        await settle(pilot)
        assert not app.screen.query_one("#card").loading

    drive(app, scenario)


# ----------------------------------------------------------------------------------------------- classes


def test_classes_with_roster_and_card(demo, actor):
    year = YearService(demo).current(actor, on=TODAY)
    classes = ClassService(demo).list(actor, year.id, on=TODAY)
    roster = ClassService(demo).roster(actor, classes[0].id, TODAY)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ClassesScreen)
        assert [app.screen.query_one("#classes", DataTable).get_row_at(i)[0]
                for i in range(len(classes))] == [c.name for c in classes]
        assert table_keys(app, "#roster") == [r.person_id for r in roster]
        await pilot.press("enter", "enter")  # into the roster, then the first student's card
        await settle(pilot)
        assert isinstance(app.screen, PersonCardScreen)
        assert roster[0].full_name in screen_text(app)

    drive(app, scenario)


# ------------------------------------------------------------------------------------ help, palette, keys


@ui_only
def test_f1_shows_help_for_the_current_screen(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Справка: Ученики" in text and "Открыть" in text and "Назад" in text
        await pilot.press("escape")
        assert isinstance(app.screen, PeopleScreen)

    drive(app, scenario)


@ui_only
def test_the_palette_lists_what_the_screen_can_do(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        commands = app.screen.query_one(CommandList)
        prompts = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        for label in ("Открыть", "Поиск", "Класс", "Назад", "Классы"):
            assert any(p.startswith(label) for p in prompts), (label, prompts)
        await pilot.press(*"Классы", "enter")  # run a command from the palette
        await settle(pilot)
        assert isinstance(app.screen, ClassesScreen)

    drive(app, scenario)


@ui_only
def test_a_key_remapped_in_the_config_file_works(demo, actor, tmp_path: Path, monkeypatch):
    (tmp_path / "config.toml").write_text('[keymap]\n"nav.students" = "f9"\n"app.help" = ["f11"]\n'
                                          '"no.such" = "f7"\n', "utf-8")
    monkeypatch.setenv("ZHURNAL_CONFIG_DIR", str(tmp_path))
    app = create_app(demo, actor=actor, today=TODAY)  # reads the config file

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3")  # the old key no longer opens the students
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "f9 Ученики" in screen_text(app)  # the footer shows the new key
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        await pilot.press("f11")
        assert isinstance(app.screen, HelpScreen)
        assert any("no.such" in warning for warning in app.startup_warnings)

    drive(app, scenario)


@ui_only
def test_english_with_lang_or_the_config_file(demo, actor, tmp_path: Path, monkeypatch):
    (tmp_path / "config.toml").write_text('[ui]\nlang = "en"\n', "utf-8")
    monkeypatch.setenv("ZHURNAL_CONFIG_DIR", str(tmp_path))
    from_config = create_app(demo, actor=actor, today=TODAY)

    async def english(pilot: Pilot[None]) -> None:
        text = screen_text(pilot.app)  # type: ignore[arg-type]
        assert "Dashboard" in text and "Needs attention" in text and "Students" in text

    drive(from_config, english)
    drive(make_app(demo, actor, lang="en"), english)
    russian = create_app(demo, actor=actor, today=TODAY, lang="ru")  # --lang wins over the config

    async def in_russian(pilot: Pilot[None]) -> None:
        assert "Сводка" in screen_text(pilot.app)  # type: ignore[arg-type]

    drive(russian, in_russian)


# ------------------------------------------------------------------------------------------------- 80×24


def fits(app: ZhurnalApp, selector: str, min_height: int = 1) -> None:
    widget = app.screen.query_one(selector)
    region = widget.region
    assert widget.display and region.width > 0 and region.height >= min_height, (selector, region)
    assert region.right <= SIZE[0] and region.bottom <= SIZE[1], (selector, region)


@ui_only
def test_every_screen_fits_80_by_24(demo, actor):
    app = make_app(demo)

    async def scenario(pilot: Pilot[None]) -> None:
        for selector in ("#login", "#password", "#login-submit", "KeyFooter"):
            fits(app, selector)
        await pilot.press(*ADMIN_LOGIN, "enter", *ADMIN_PASSWORD, "enter")
        await settle(pilot)
        for selector in ("#school-name", "#counts", "#attention", "KeyFooter"):
            fits(app, selector)
        assert "Журнал аудита" in screen_text(app)  # the last attention line is on screen
        footer = screen_text(app).splitlines()[-1]
        assert "Справка" in footer and "Классы" in footer
        await pilot.press("f3")
        await settle(pilot)
        for selector in ("#people-search", "#class-filter", "#people-status", "KeyFooter"):
            fits(app, selector)
        fits(app, "#people-table", min_height=15)
        assert "Справка" in screen_text(app).splitlines()[-1]
        await pilot.press("enter")
        await settle(pilot)
        fits(app, "#card", min_height=15)
        await pilot.press("f6")
        await settle(pilot)
        fits(app, "#classes", min_height=15)
        fits(app, "#roster", min_height=10)
        assert "Рождение" in screen_text(app)  # the roster's last column is not cut off
        await pilot.press("f1")
        await settle(pilot)
        fits(app, "#help-box", min_height=10)

    drive(app, scenario)


def test_idle_console_locks_and_only_the_password_unlocks(demo, actor):
    from zhurnal.tui.app.screens.lock import LockScreen

    now = [1000.0]
    app = make_app(demo, actor, clock=lambda: now[0])

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        now[0] += 14 * 60
        app.lock_if_idle()
        assert not isinstance(app.screen, LockScreen)  # 14 minutes: still open
        await pilot.press("down")  # activity restarts the count
        now[0] += 14 * 60
        app.lock_if_idle()
        assert not isinstance(app.screen, LockScreen)
        now[0] += 60
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("f3")  # navigation is refused behind the lock
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"not the password", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        assert "Неверный пароль" in str(app.screen.query_one("#lock-message", Static).content)
        await pilot.press(*ADMIN_PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen) and not app.locked

    drive(app, scenario)
    with demo.session() as session:
        outcomes = list(session.scalars(select(AuditRecord.outcome).where(AuditRecord.action == "auth.reauth")
                                        .order_by(AuditRecord.seq)))
    assert outcomes == ["failed", "ok"]


def test_dashboard_shows_the_last_verified_backup(demo, actor, tmp_path: Path, monkeypatch):
    from zhurnal.core.backup.age import X25519Identity
    from zhurnal.core.backup.service import BackupService, backup_dir

    monkeypatch.setenv("ZHURNAL_DATA_DIR", str(tmp_path / "data"))
    identity = X25519Identity.generate()
    backups = BackupService(demo)
    path = backups.create(actor, recipients=[identity.recipient()]).path
    assert path.parent == backup_dir()
    assert backups.verify(actor, path, [identity]).ok
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        text = screen_text(app)
        assert "резервная копия: 0 ч назад" in text  # just made; older than two days would be a warning
        assert path.name in text

    drive(app, scenario)


def test_the_sections_menu_lists_what_the_user_may_open(demo, actor):
    from textual.widgets import OptionList

    from zhurnal.tui.app.screens.menu import MenuScreen, menu_entries

    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, MenuScreen)
        options = app.screen.query_one("#sections", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids[:3] == ["student", "staff", "parent"] and "classes" in ids
        await pilot.press(*["down"] * ids.index("classes"), "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClassesScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)

    drive(app, scenario)

    def targets(*roles: str) -> set[str]:
        actor = Actor(1, "x", 1, frozenset(roles))
        return {target for target, _ in menu_entries(lambda action: action in actor.actions)}

    # A student: their diary, their password and their problem reports. A teacher reaches the journals through
    # journal.write, the administration through journal.read. An auditor reads people, structure, journals and
    # the audit trail but manages no accounts and makes no backups.
    assert targets("student") == {"diary", "password", "support"}
    teacher = targets("teacher")
    assert {"classes", "journal", "password"} <= teacher and not teacher & {"student", "users", "audit", "diary"}
    auditor = targets("auditor")
    assert {"student", "staff", "parent", "classes", "orders", "subjects", "assignments", "audit", "journal"} <= auditor
    assert not auditor & {"users", "backups", "unlock_requests"}
    assert {"journal", "unlock_requests", "users"} <= targets("deputy")  # users: to grant roles (roles.assign)
