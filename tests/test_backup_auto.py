"""The automatic backup before a restore (and before the operations of other services), progress reports of
create, verify and restore, and cancelling each of them through its progress callback."""

from __future__ import annotations

import io
import tarfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD
from tests.test_backup import backup, chain_ok, payload_of, table_rows, without_audit
from zhurnal.core.backup import keys
from zhurnal.core.backup.age import X25519Identity
from zhurnal.core.backup.service import (
    AUTO_REASONS,
    BackupError,
    BackupService,
    Cancelled,
    auto_backup,
    list_backups,
    parse_name,
)
from zhurnal.core.permissions import Actor
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.store import Store


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("ZHURNAL_DATA_DIR", str(folder))
    monkeypatch.delenv("ZHURNAL_CONFIG_DIR", raising=False)
    return folder


@pytest.fixture
def identity() -> X25519Identity:
    return X25519Identity.generate()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "backups"


def add_person(store: Store, actor: Actor, last_name: str) -> None:
    PersonService(store).create(actor, PersonInput(last_name=last_name, first_name="Ирина",
                                                   birth_date=date(2012, 3, 4)))


def people_in(path: Path, identity: X25519Identity) -> str:
    with tarfile.open(fileobj=io.BytesIO(payload_of(path, identity))) as tar:
        member = tar.extractfile("tables/persons.jsonl")
        assert member is not None
        return member.read().decode("utf-8")


def leftovers(store: Store, folder: Path) -> list[Path]:
    """Unfinished files of a create (the backup folder) or a restore (beside a SQLite database)."""
    found = list(folder.glob("*.partial")) if folder.is_dir() else []
    if store.dialect == "sqlite":
        found += list(Path(store.url.removeprefix("sqlite:///")).parent.glob("*.partial"))
    return found


# ---- the automatic backup before a restore ---------------------------------------------------------------


def test_restore_backs_up_the_live_database_before_the_swap(store: Store, admin: Actor,
                                                            identity: X25519Identity, folder: Path) -> None:
    keys.add_recipient(identity.recipient().to_string())
    path = backup(store, admin, folder, identity)
    add_person(store, admin, "Позднякова")  # made after the backup: only the live database has her
    result = BackupService(store, folder=folder).restore(admin, path, [identity],
                                                         confirm=lambda plan: ADMIN_PASSWORD)
    assert result.swapped and result.backup is not None
    assert result.backup.name.endswith("-before-restore.age")
    label, _created, reason = parse_name(result.backup.name) or ("", None, None)
    assert (label, reason) == ("school-1", "before-restore")
    assert result.backup in [b.path for b in list_backups(folder)]
    assert "Позднякова" in people_in(result.backup, identity)  # the live data as it was just before the swap
    assert "Позднякова" not in people_in(path, identity)
    assert "Позднякова" not in str(table_rows(store)["persons"])  # and now the restored data is live
    chain_ok(store)


def test_no_automatic_backup_without_a_recipient_or_into_another_database(store: Store, admin: Actor,
                                                                          identity: X25519Identity,
                                                                          folder: Path, tmp_path: Path,
                                                                          request: pytest.FixtureRequest) -> None:
    path = backup(store, admin, folder, identity)
    result = BackupService(store, folder=folder).restore(admin, path, [identity],
                                                         confirm=lambda plan: ADMIN_PASSWORD)
    assert result.swapped and result.backup is None
    assert [b.path for b in list_backups(folder)] == [path]
    if store.dialect != "sqlite":
        return
    keys.add_recipient(identity.recipient().to_string())  # a recipient, but the live database stays
    moved = BackupService(store, folder=folder).restore(admin, path, [identity],
                                                        to_url=f"sqlite:///{tmp_path / 'other.sqlite3'}",
                                                        confirm=lambda plan: ADMIN_PASSWORD)
    assert not moved.swapped and moved.backup is None
    assert [b.path for b in list_backups(folder)] == [path]


def test_a_failed_automatic_backup_stops_the_restore(store: Store, admin: Actor, identity: X25519Identity,
                                                     folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys.add_recipient(identity.recipient().to_string())
    path = backup(store, admin, folder, identity)
    add_person(store, admin, "Позднякова")
    before = without_audit(table_rows(store))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise BackupError("диск полон")

    monkeypatch.setattr(BackupService, "create", broken)
    with pytest.raises(BackupError, match="диск полон"):
        BackupService(store, folder=folder).restore(admin, path, [identity], confirm=lambda plan: ADMIN_PASSWORD)
    assert without_audit(table_rows(store)) == before
    assert not leftovers(store, folder)


def test_auto_backup_names_other_operations_and_runs_for_those_without_backup_rights(
        store: Store, school: Any, identity: X25519Identity, folder: Path) -> None:
    assert {"import", "year-close", "year-open", "rollover", "restore"} <= set(AUTO_REASONS)
    keys.add_recipient(identity.recipient().to_string())
    deputy = Actor(None, "deputy-1", school.school_id, frozenset({"deputy"}))  # year.manage, no backup.create
    path = auto_backup(store, "year-close", actor=deputy, folder=folder)
    assert path is not None and path.name.endswith("-before-year-close.age")
    with pytest.raises(BackupError, match="причина"):
        auto_backup(store, "Year Close!", folder=folder)


# ---- progress and cancelling -----------------------------------------------------------------------------


class Recorder:
    """A progress callback that records what it is told and cancels once `stop(done, total)` says so."""

    def __init__(self, stop: Any = None) -> None:
        self.calls: list[tuple[int, int]] = []
        self.stop = stop

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        if self.stop is not None and self.stop(done, total):
            raise Cancelled()


def test_create_and_verify_report_progress(store: Store, admin: Actor, identity: X25519Identity,
                                           folder: Path) -> None:
    service = BackupService(store, folder=folder)
    created = Recorder()
    path = service.create(admin, recipients=[identity.recipient()], progress=created).path
    done = [d for d, _ in created.calls]
    assert done == sorted(done) and len(created.calls) > 10
    assert {t for _, t in created.calls} == {1000} and created.calls[-1] == (1000, 1000)
    assert any(0 < d < 800 for d in done) and any(800 < d < 1000 for d in done)
    checked = Recorder()
    assert service.verify(admin, path, [identity], progress=checked).ok
    size = path.stat().st_size
    assert checked.calls[-1] == (size, size) and [d for d, _ in checked.calls] == sorted(d for d, _ in checked.calls)


def test_cancelled_create_leaves_no_file(store: Store, admin: Actor, identity: X25519Identity,
                                         folder: Path) -> None:
    service = BackupService(store, folder=folder)
    for stop in (lambda d, t: d >= 300, lambda d, t: d > 800, lambda d, t: d == 1000):
        with pytest.raises(Cancelled):
            service.create(admin, recipients=[identity.recipient()], progress=Recorder(stop))
        assert not list(folder.iterdir())


def test_cancelled_verify_records_nothing_about_the_file(store: Store, admin: Actor, identity: X25519Identity,
                                                         folder: Path) -> None:
    service = BackupService(store, folder=folder)
    path = backup(store, admin, folder, identity)
    with pytest.raises(Cancelled):
        service.verify(admin, path, [identity], progress=Recorder(lambda d, t: d > t // 2))
    assert service.list(admin)[0].state == "unverified"
    assert not path.with_name(path.name + ".verified").exists()


def test_cancelled_restore_leaves_the_live_database(store: Store, admin: Actor, identity: X25519Identity,
                                                    folder: Path) -> None:
    keys.add_recipient(identity.recipient().to_string())
    path = backup(store, admin, folder, identity)
    add_person(store, admin, "Позднякова")
    before = without_audit(table_rows(store))
    service = BackupService(store, folder=folder)
    stages: list[str] = []
    for stop in (lambda d, t: d > 100, lambda d, t: d > 500, lambda d, t: d == 1000):
        with pytest.raises(Cancelled):
            service.restore(admin, path, [identity], confirm=lambda plan: ADMIN_PASSWORD, stage=stages.append,
                            progress=Recorder(stop))
        assert without_audit(table_rows(store)) == before
        assert not leftovers(store, folder)
    assert [b.path for b in list_backups(folder)] == [path]  # not even the automatic backup was made
    # A cancel during the automatic backup (after the confirmation) stops before the swap too.
    confirmed: list[bool] = []

    def confirm(plan: Any) -> str:
        confirmed.append(True)
        return ADMIN_PASSWORD

    with pytest.raises(Cancelled):
        service.restore(admin, path, [identity], confirm=confirm,
                        progress=Recorder(lambda d, t: bool(confirmed) and d > 300))
    assert without_audit(table_rows(store)) == before
    assert not leftovers(store, folder) and [b.path for b in list_backups(folder)] == [path]
    recorded = Recorder()
    result = service.restore(admin, path, [identity], confirm=lambda plan: ADMIN_PASSWORD, stage=stages.append,
                             progress=recorded)
    assert result.swapped and result.backup is not None
    # The restore up to the confirmation, then the automatic backup from 0 again.
    confirmation = recorded.calls.index((1000, 1000))
    assert any(d < 1000 for d, _ in recorded.calls[confirmation:]) and recorded.calls[-1] == (1000, 1000)
    assert "Резервная копия рабочей базы перед восстановлением" in stages
