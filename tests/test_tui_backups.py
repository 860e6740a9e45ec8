"""The Backups screen driven with Pilot at 80×24 against a demo school: the list with verified state and the age
of the last verified backup, create, verify, restore (key passphrase, confirmation, own password, sign in
again), and cancelling a create half-way.

The stored key's scrypt (2^18, about a second and 256 MiB) is replaced by a stand-in that checks the passphrase
and returns a test identity: the screen's flow is what is tested here; tests/test_backup*.py test the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, ProgressBar

from tests.conftest import ADMIN_PASSWORD
from tests.test_tui import demo, drive, make_app, russian, screen_text, settle  # noqa: F401
from zhurnal.core.backup import format as fmt
from zhurnal.core.backup import keys
from zhurnal.core.backup.age import X25519Identity
from zhurnal.core.backup.service import BackupService, backup_dir, list_backups
from zhurnal.core.permissions import Actor
from zhurnal.core.services.accounts import AuthService
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.store import Store
from zhurnal.tui.app.app import ZhurnalApp
from zhurnal.tui.app.screens.backups import BackupsScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.login import LoginScreen
from zhurnal.tui.app.screens.secret_prompt import SecretPrompt

KEY_PASS = "the backup key passphrase 2026"
WAIT_STEPS = 1200  # polls of 50 ms: a bound for the worker to reach the next window, not a timing claim


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keys, config and the backup folder of this test live in its own data folder."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("ZHURNAL_DATA_DIR", str(folder))
    monkeypatch.delenv("ZHURNAL_CONFIG_DIR", raising=False)
    return folder


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[X25519Identity]:
    """zhurnal's key on this machine: its recipient in the config, the stored identity opened by KEY_PASS."""
    identity = X25519Identity.generate()
    keys.add_recipient(identity.recipient().to_string())
    keys.identity_path().write_bytes(b"stand-in: load_identity is replaced below\n")

    def load_identity(passphrase: str, path: Path | None = None) -> X25519Identity:
        if passphrase != KEY_PASS:
            raise keys.BackupKeyError("Неверный пароль ключа резервных копий")
        return identity

    monkeypatch.setattr(keys, "load_identity", load_identity)
    yield identity


@pytest.fixture
def actor(demo: Store) -> Actor:  # noqa: F811
    return AuthService(demo).login("admin", ADMIN_PASSWORD).actor


def make_backup(store: Store, actor: Actor, identity: X25519Identity) -> Path:
    return BackupService(store).create(actor, recipients=[identity.recipient()]).path


def rows(app: ZhurnalApp) -> list[list[str]]:
    table = app.screen.query_one("#backups", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_backups(pilot: Pilot[None]) -> BackupsScreen:
    pilot.app.action_open("backups")  # type: ignore[attr-defined]
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BackupsScreen)
    return screen


async def until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Wait for a worker that is itself waiting (for a window's answer) or slowed down: poll, bounded."""
    for _ in range(WAIT_STEPS):
        if condition():
            await pilot.pause()  # let a window that just came up lay itself out
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


def surnames(store: Store, actor: Actor, text: str) -> list[str]:
    return [row.full_name.split()[0] for row in PersonService(store).search(actor, text).rows]


def test_the_list_shows_each_backup_with_its_verified_state(demo, actor, identity):  # noqa: F811
    first = make_backup(demo, actor, identity)
    assert BackupService(demo).verify(actor, first, [identity]).ok
    second = BackupService(demo).create(actor, recipients=[identity.recipient()], reason="before-import").path
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_backups(pilot)
        listed = rows(app)
        assert len(listed) == 2
        assert listed[0][2] == "не проверена" and "перед импортом" in listed[0][3]  # the newest first
        assert listed[1][2] == "проверена"
        text = screen_text(app)
        assert "Последняя проверенная копия: 0 ч назад" in text and first.name in text
        assert second.name in text  # the highlighted backup's file name under the list
        assert "f9 Новая" in text and "f7 Проверить" in text and "^o Восстановить" in text

    drive(app, scenario)


def test_the_sections_menu_opens_backups_for_holders_of_backup_create(demo, actor):  # noqa: F811
    from zhurnal.tui.app.screens.menu import menu_entries

    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f12")
        await settle(pilot)
        targets = [target for target, _ in menu_entries(app.ctx.can)]
        await pilot.press(*["down"] * targets.index("backups"), "enter")
        await settle(pilot)
        assert isinstance(app.screen, BackupsScreen)
        assert "Резервных копий нет" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, BackupsScreen)

    drive(app, scenario)
    teacher = Actor(1, "t", 1, frozenset({"teacher"}))
    assert "backups" not in [target for target, _ in menu_entries(lambda action: action in teacher.actions)]


def test_create_adds_a_backup_and_the_list_refreshes(demo, actor, identity):  # noqa: F811
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_backups(pilot)
        assert rows(app) == []
        await pilot.press("f9")
        await settle(pilot)
        [made] = list_backups(backup_dir())
        assert [r[2] for r in rows(app)] == ["не проверена"] and screen.busy is None
        assert made.name in screen_text(app)
        assert not screen.query_one("#backups-work").display

    drive(app, scenario)


def test_verify_asks_the_key_passphrase_and_marks_the_backup_verified(demo, actor, identity):  # noqa: F811
    path = make_backup(demo, actor, identity)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_backups(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, SecretPrompt)
        await pilot.press(*"not the passphrase at all", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BackupsScreen) and rows(app)[0][2] == "не проверена"  # refused, said why
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press(*KEY_PASS, "enter")
        await settle(pilot)
        assert rows(app)[0][2] == "проверена"
        assert "Последняя проверенная копия" in screen_text(app)

    drive(app, scenario)
    assert list_backups(backup_dir())[0].state == "verified" and list_backups(backup_dir())[0].path == path


def test_restore_asks_confirmation_and_password_then_restores(demo, actor, identity):  # noqa: F811
    path = make_backup(demo, actor, identity)
    PersonService(demo).create(actor, PersonInput(last_name="Позднякова", first_name="Ирина",
                                                  birth_date=date(2012, 3, 4)))
    assert surnames(demo, actor, "Позднякова") == ["Позднякова"]
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_backups(pilot)
        # First try: the key, then "No" at the confirmation: nothing changes.
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SecretPrompt)
        await pilot.press(*KEY_PASS, "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Заменить рабочую базу" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: screen.busy is None)
        await settle(pilot)
        assert surnames(demo, actor, "Позднякова") == ["Позднякова"]
        # Second try: yes, then the own password again.
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press(*KEY_PASS, "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("ctrl+y")
        await until(pilot, lambda: isinstance(app.screen, SecretPrompt))
        await pilot.press(*ADMIN_PASSWORD, "enter")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await settle(pilot)
        assert app.ctx.actor is None  # signed out: the next sign-in reads the restored database

    drive(app, scenario)
    again = AuthService(demo).login("admin", ADMIN_PASSWORD).actor
    assert surnames(demo, again, "Позднякова") == []  # the restored data is live
    reasons = [b.reason for b in list_backups(backup_dir())]
    assert reasons.count("before-restore") == 1 and path in [b.path for b in list_backups(backup_dir())]
    if demo.dialect == "sqlite":
        assert not list(Path(demo.url.removeprefix("sqlite:///")).parent.glob("*.partial"))


def test_cancel_during_create_leaves_no_file(demo, actor, identity, monkeypatch):  # noqa: F811
    monkeypatch.setenv(fmt.SLOW_ENV, "0.05")  # each table member takes a moment: time to press Escape
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_backups(pilot)
        await pilot.press("f9")
        bar = screen.query_one("#backups-progress", ProgressBar)
        await until(pilot, lambda: (bar.progress or 0) > 800)  # writing the file
        assert screen.busy == "create" and "Esc" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: screen.busy is None)
        await settle(pilot)
        assert isinstance(app.screen, BackupsScreen)  # Escape cancelled; it did not go back
        assert rows(app) == []

    drive(app, scenario)
    folder = backup_dir()
    assert not folder.exists() or list(folder.iterdir()) == []
