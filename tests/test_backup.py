"""Backups through the service: round trips (SQLite→SQLite, SQLite→PostgreSQL, PostgreSQL→SQLite), in-place
restore with the previous database kept aside, a snapshot taken while another thread writes, verify and
its record, list, prune, permissions, keys and the config writer."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
from zhurnal.core import config
from zhurnal.core.audit import verify_chain
from zhurnal.core.backup import format as fmt
from zhurnal.core.backup import keys
from zhurnal.core.backup.age import X25519Identity, decrypt, encrypt
from zhurnal.core.backup.service import (
    BackupError,
    BackupInfo,
    BackupService,
    Verification,
    auto_backup,
    backup_name,
    list_backups,
    parse_name,
    plan_prune,
)
from zhurnal.core.errors import AuthenticationFailed, PermissionDenied
from zhurnal.core.models import AuditRecord, Person
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store

TODAY = date(2026, 11, 28)


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keys, config and default backup folder of this test live in its own data folder."""
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


def backup(store: Store, actor: Actor, folder: Path, identity: X25519Identity, **kwargs: Any) -> Path:
    return BackupService(store, folder=folder).create(actor, recipients=[identity.recipient()], **kwargs).path


def table_rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    with store.engine.connect() as conn:
        return {t.name: list(fmt.dump_rows(conn, t)) for t in fmt.tables_in_order()}


def without_audit(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {name: value for name, value in rows.items() if name != fmt.AUDIT_TABLE}


def chain_ok(store: Store) -> int:
    with store.session(write=False) as session:
        report = verify_chain(session)
    assert report.ok, report.problem
    return report.count


def payload_of(path: Path, identity: X25519Identity) -> bytes:
    with open(path, "rb") as handle:
        return decrypt(handle, [identity]).read()


def encrypt_to(path: Path, plaintext: bytes, identity: X25519Identity) -> Path:
    with open(path, "wb") as handle, encrypt(handle, [identity.recipient()]) as writer:
        writer.write(plaintext)
    return path


def rebuild_tar(plaintext: bytes, change: Any) -> bytes:
    """A payload tar rebuilt member by member; `change(name, data) -> data` may alter any member."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(plaintext), mode="r") as source, \
            tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as target:
        for member in source.getmembers():
            extracted = source.extractfile(member)
            assert extracted is not None
            data = change(member.name, extracted.read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return out.getvalue()


def restore_url(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    server = request.getfixturevalue("pg_server")
    # A fresh random name: object ids repeat once collected, and a leftover database would not be empty.
    return server.url_for(f"{server.prefix}_r{os.getpid()}_{uuid.uuid4().hex[:10]}")


# ---- round trips -----------------------------------------------------------------------------------------


@pytest.fixture
def demo_store(empty_store: Store) -> Store:
    from zhurnal.core.demo.generator import build_demo
    from zhurnal.core.passwords import hash_password

    empty_store.upgrade()
    build_demo(empty_store, seed=3, schools=2, today=TODAY, admin_password_hash=hash_password(ADMIN_PASSWORD))
    return empty_store


@pytest.mark.slow
@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_demo_district_round_trip_row_for_row(demo_store: Store, target: str, identity: X25519Identity,
                                              folder: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from zhurnal.core.services.accounts import AuthService

    actor = AuthService(demo_store).login(ADMIN_LOGIN, ADMIN_PASSWORD).actor
    path = backup(demo_store, actor, folder, identity)
    assert parse_name(path.name) is not None and path.name.startswith("zhurnal-district-")
    before = table_rows(demo_store)
    url = restore_url(target, tmp_path, request)
    plans: list[Any] = []

    def confirm(plan: Any) -> str:
        plans.append(plan)
        return ADMIN_PASSWORD

    result = BackupService(demo_store).restore(actor, path, [identity], to_url=url, confirm=confirm)
    assert not result.swapped and result.previous is None
    assert plans and not plans[0].replaces_live and sum(plans[0].counts.values()) == plans[0].manifest.total_rows
    restored = Store(url)
    try:
        after = table_rows(restored)
        assert without_audit(after) == without_audit(before)
        # The restored chain is the backed-up one plus the record of the restore itself.
        audit_before = [r for r in before[fmt.AUDIT_TABLE] if r["seq"] <= plans[0].manifest.audit_count]
        assert after[fmt.AUDIT_TABLE][:-1] == audit_before
        assert after[fmt.AUDIT_TABLE][-1]["action"] == "backup.restore"
        assert path.name in after[fmt.AUDIT_TABLE][-1]["detail"]
        assert chain_ok(restored) == plans[0].manifest.audit_count + 1
        # Sequences continue after the restored ids (PostgreSQL) and writes work.
        with restored.session() as session:
            session.add(Person(school_id=1, last_name="Новикова", first_name="Анна", name_key="новикова анна"))
            session.commit()
    finally:
        restored.dispose()
    # The live database only gained the audit records of the backup and the restore.
    assert without_audit(table_rows(demo_store)) == without_audit(before)
    chain_ok(demo_store)


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_a_copy_made_before_an_update_is_restored_and_upgraded(store: Store, admin: Actor, identity: X25519Identity,
                                                               folder: Path, tmp_path: Path, target: str,
                                                               request: pytest.FixtureRequest) -> None:
    from zhurnal.core.migrate import SCHEMA_HEAD, current_revision

    # The copy as revision 0008 wrote it: no tables that 0009 added, the older revision in the manifest.
    added = {"term_mark_history", "activity_purges"}
    made = backup(store, admin, folder, identity)
    before = table_rows(store)

    def as_0008(name: str, data: bytes) -> bytes | None:
        if name in {fmt.member_name(t) for t in added}:
            return None
        if name != "MANIFEST.json":
            return data
        manifest = json.loads(data)
        manifest["schema_revision"] = "0008"
        manifest["tables"] = [t for t in manifest["tables"] if t["name"] not in added]
        return json.dumps(manifest).encode()

    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(payload_of(made, identity)), mode="r") as source, \
            tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as rebuilt:
        for member in source.getmembers():
            extracted = source.extractfile(member)
            assert extracted is not None
            data = as_0008(member.name, extracted.read())
            if data is not None:
                member.size = len(data)
                rebuilt.addfile(member, io.BytesIO(data))
    old = encrypt_to(tmp_path / made.name, out.getvalue(), identity)
    url = restore_url(target, tmp_path, request)
    result = BackupService(store).restore(admin, old, [identity], to_url=url, confirm=lambda plan: ADMIN_PASSWORD)
    assert not result.swapped
    restored = Store(url)
    try:
        assert current_revision(restored.engine) == SCHEMA_HEAD  # upgraded after the checks
        after = table_rows(restored)
        kept = {name for name in before if name not in added and name != fmt.AUDIT_TABLE}
        assert {n: after[n] for n in kept} == {n: before[n] for n in kept}
        assert len(after["term_mark_history"]) == len(before["term_marks"])  # 0009 starts each mark's history
        assert chain_ok(restored) == result.plan.manifest.audit_count + 1
    finally:
        restored.dispose()


def test_in_place_restore_swaps_and_keeps_the_previous_database(store: Store, admin: Actor, school: Any,
                                                                identity: X25519Identity, folder: Path) -> None:
    from zhurnal.core.services.persons import PersonInput, PersonService

    path = backup(store, admin, folder, identity)
    snapshot = without_audit(table_rows(store))
    PersonService(store).create(admin, PersonInput(last_name="Позднякова", first_name="Ирина",
                                                   birth_date=date(2012, 3, 4)))
    assert without_audit(table_rows(store)) != snapshot
    result = BackupService(store).restore(admin, path, [identity], confirm=lambda plan: ADMIN_PASSWORD)
    assert result.swapped and result.previous
    assert without_audit(table_rows(store)) == snapshot  # the same Store object now reaches the restored data
    chain_ok(store)
    with store.session(write=False) as session:
        last = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert last is not None and last.action == "backup.restore" and last.login == ADMIN_LOGIN
    previous = Store(f"sqlite:///{result.previous}") if store.dialect == "sqlite" else \
        Store(make_url(store.url).set(database=result.previous).render_as_string(hide_password=False))
    try:
        people = [r["last_name"] for r in table_rows(previous)["persons"]]
        assert "Позднякова" in people  # the replaced database is kept, with its last changes
        chain_ok(previous)
    finally:
        previous.dispose()
    if store.dialect == "sqlite":
        live = Path(store.url.removeprefix("sqlite:///"))
        assert not list(live.parent.glob("*.partial"))


def test_restore_needs_the_operator_password_again(store: Store, admin: Actor, identity: X25519Identity,
                                                   folder: Path) -> None:
    path = backup(store, admin, folder, identity)
    before = without_audit(table_rows(store))
    with pytest.raises(AuthenticationFailed):
        BackupService(store).restore(admin, path, [identity], confirm=lambda plan: "not my password at all")
    with pytest.raises(AuthenticationFailed):
        BackupService(store).restore(admin, path, [identity])  # no confirmation at all
    assert without_audit(table_rows(store)) == before
    if store.dialect == "sqlite":
        assert not list(Path(store.url.removeprefix("sqlite:///")).parent.glob("*.partial"))


def test_swap_is_refused_while_another_connection_is_open(tmp_path: Path, store: Store, admin: Actor,
                                                          identity: X25519Identity, folder: Path) -> None:
    if store.dialect != "sqlite":
        pytest.skip("SQLite swap check; PostgreSQL reports the restored database instead (next test)")
    path = backup(store, admin, folder, identity)
    live = Path(store.url.removeprefix("sqlite:///"))
    other = Store(store.url)
    try:
        with other.engine.connect() as held:  # another process (the app) has the database open
            held.exec_driver_sql("SELECT 1").all()
            with pytest.raises(BackupError, match="открыта другой программой"):
                BackupService(store).restore(admin, path, [identity], confirm=lambda plan: ADMIN_PASSWORD)
    finally:
        other.dispose()
    assert not list(live.parent.glob("*.partial")) and not list(live.parent.glob("*before-restore*"))
    chain_ok(store)


def test_postgres_swap_with_other_connections_leaves_live_and_names_the_copy(pg_server: Any, store: Store,
                                                                             admin: Actor,
                                                                             identity: X25519Identity,
                                                                             folder: Path) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    path = backup(store, admin, folder, identity)
    other = Store(store.url)
    try:
        with other.engine.connect() as held:
            held.exec_driver_sql("SELECT 1").all()
            result = BackupService(store).restore(admin, path, [identity], confirm=lambda plan: ADMIN_PASSWORD)
    finally:
        other.dispose()
    assert not result.swapped and result.note and "_restore_" in result.database
    restored = Store(pg_server.url_for(result.database.rsplit("/", 1)[1]))
    try:
        chain_ok(restored)
    finally:
        restored.dispose()
    chain_ok(store)


# ---- consistency while in use ----------------------------------------------------------------------------


def test_backup_while_another_thread_writes_restores_consistently(store: Store, admin: Actor,
                                                                  identity: X25519Identity, folder: Path,
                                                                  tmp_path: Path,
                                                                  request: pytest.FixtureRequest) -> None:
    from zhurnal.core.services.persons import PersonInput, PersonService

    people = PersonService(store)
    written: list[int] = []
    errors: list[BaseException] = []
    start = threading.Event()

    def writer() -> None:
        start.set()
        try:
            for i in range(60):
                suffix = chr(1072 + i // 32) + chr(1072 + i % 32)
                saved = people.create(admin, PersonInput(last_name="Писарев", first_name=f"Пётр{suffix}",
                                                         birth_date=date(2011, 1, 1)), allow_duplicate=True)
                written.append(saved.person.id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    start.wait()
    paths = [backup(store, admin, folder, identity) for _ in range(2)]
    thread.join()
    assert not errors, errors
    assert len(written) == 60
    for n, path in enumerate(paths):
        url = restore_url(store.dialect, tmp_path / f"r{n}", request) if store.dialect == "postgresql" else \
            f"sqlite:///{tmp_path / f'r{n}.sqlite3'}"
        BackupService(store).restore(admin, path, [identity], to_url=url, confirm=lambda plan: ADMIN_PASSWORD)
        restored = Store(url)
        try:
            rows = table_rows(restored)
            persons = {r["id"] for r in rows["persons"]}
            # Every person in the snapshot has its audit record in the same snapshot (one transaction).
            audited = {r["object_id"] for r in rows[fmt.AUDIT_TABLE] if r["action"] == "person.create"}
            assert persons & set(written) <= audited
            chain_ok(restored)
            if restored.dialect == "sqlite":
                with restored.engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                    assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        finally:
            restored.dispose()


# ---- verify, list, prune ---------------------------------------------------------------------------------


def test_verify_records_the_outcome_and_list_shows_it(store: Store, admin: Actor, identity: X25519Identity,
                                                      folder: Path) -> None:
    service = BackupService(store, folder=folder)
    path = backup(store, admin, folder, identity)
    [listed] = service.list(admin)
    assert listed.path == path and listed.state == "unverified" and listed.size == path.stat().st_size
    report = service.verify(admin, path, [identity])
    assert report.ok and report.manifest is not None and report.schema_matches
    assert report.manifest.audit_count > 0 and report.manifest.schools[0]["code"] == "school-1"
    [listed] = service.list(admin)
    assert listed.state == "verified"
    actions = [r.action for r in _records(store, "backup.")]
    assert actions[-2:] == ["backup.create", "backup.verify"]
    os.utime(path, ns=(0, 0))  # the file changed since it was verified
    assert service.list(admin)[0].state == "changed"


def _records(store: Store, prefix: str) -> list[AuditRecord]:
    with store.session(write=False) as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action.startswith(prefix))
                                    .order_by(AuditRecord.seq)))


@pytest.mark.parametrize("engine_name", ["sqlite"])  # scrypt is slow by design: one engine
def test_passphrase_only_backup(store: Store, admin: Actor, folder: Path) -> None:
    from zhurnal.core.backup.age import ScryptIdentity

    service = BackupService(store, folder=folder)
    created = service.create(admin, passphrase="a long backup passphrase 7")
    assert keys.needs_passphrase(created.path)
    assert service.verify(admin, created.path, [ScryptIdentity("a long backup passphrase 7")]).ok
    wrong = service.verify(admin, created.path, [ScryptIdentity("not the passphrase at all")])
    assert not wrong.ok and "не подходит" in str(wrong.problem)
    assert service.list(admin)[0].state == "verified"  # a wrong key says nothing about the file


def test_create_without_recipients_is_refused_and_auto_backup_skips(store: Store, admin: Actor,
                                                                   folder: Path) -> None:
    with pytest.raises(BackupError, match="получател"):
        BackupService(store, folder=folder).create(admin)
    assert auto_backup(store, "import", folder=folder) is None
    assert not folder.exists() or not list(folder.iterdir())


def test_auto_backup_names_the_operation(store: Store, identity: X25519Identity, folder: Path) -> None:
    keys.add_recipient(identity.recipient().to_string())
    path = auto_backup(store, "import", folder=folder)
    assert path is not None and path.name.endswith("-before-import.age")
    label, _created, reason = parse_name(path.name) or ("", None, None)
    assert (label, reason) == ("school-1", "before-import")
    assert _records(store, "backup.create")[-1].login == "system:auto-backup"


def _info(folder: Path, created: datetime, verified: bool = False) -> BackupInfo:
    path = folder / backup_name("school-1", created)
    path.write_bytes(b"x")
    check = None
    if verified:
        st = path.stat()
        check = Verification(created, True, None, st.st_size, st.st_mtime_ns, None)
    return BackupInfo(path, "school-1", created, None, 1, check)


def test_prune_grandfather_father_son(tmp_path: Path) -> None:
    start = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    infos = [_info(tmp_path, start - timedelta(hours=12 * i)) for i in range(800)]  # two a day for 400 days
    old_verified = _info(tmp_path, start - timedelta(days=500), verified=True)
    plan = plan_prune([*infos, old_verified], keep_daily=7, keep_weekly=4, keep_monthly=12)
    kept = {b.created for b in plan.keep}
    assert infos[0].created in kept  # the newest
    assert len({b.created.date() for b in plan.keep if b.created > start - timedelta(days=7)}) == 7
    assert old_verified.created in kept  # the newest verified one, however old
    assert len(plan.keep) <= 7 + 4 + 12 + 1
    months = {(b.created.year, b.created.month) for b in plan.keep}
    assert len(months) >= 12
    assert {b.path for b in plan.keep}.isdisjoint({b.path for b in plan.remove})
    assert len(plan.keep) + len(plan.remove) == 801


def test_prune_removes_files_and_stale_partials(store: Store, admin: Actor, folder: Path,
                                                identity: X25519Identity) -> None:
    service = BackupService(store, folder=folder)
    first = backup(store, admin, folder, identity)
    assert service.verify(admin, first, [identity]).ok
    second = backup(store, admin, folder, identity)
    older = folder / backup_name("school-1", datetime.now(UTC) - timedelta(days=3))
    older.write_bytes(second.read_bytes())
    stale = folder / (backup_name("school-1", datetime.now(UTC) - timedelta(days=1)) + ".partial")
    stale.write_bytes(b"half")
    dry = service.prune(admin, keep_daily=1, keep_weekly=0, keep_monthly=0, dry_run=True)
    assert stale in dry.stale_partials and stale.exists()
    plan = service.prune(admin, keep_daily=1, keep_weekly=0, keep_monthly=0)
    names = {b.path for b in plan.keep}
    assert first in names  # the newest verified backup is never removed
    assert older in {b.path for b in plan.remove} and not older.exists() and not stale.exists()
    assert {b.path for b in list_backups(folder)} == names


# ---- permissions -----------------------------------------------------------------------------------------


def test_permissions_are_checked_and_refusals_audited(store: Store, school: Any, identity: X25519Identity,
                                                      folder: Path) -> None:
    teacher = Actor(None, "teacher-1", school.school_id, frozenset({"teacher"}))
    operator = Actor(None, "backup-op", school.school_id, frozenset({"backup_operator"}))
    service = BackupService(store, folder=folder)
    with pytest.raises(PermissionDenied):
        service.create(teacher, recipients=[identity.recipient()])
    path = service.create(operator, recipients=[identity.recipient()]).path
    assert service.verify(operator, path, [identity]).ok
    with pytest.raises(PermissionDenied):
        service.restore(operator, path, [identity], confirm=lambda plan: "x")
    with pytest.raises(PermissionDenied):
        service.add_recipient(operator, identity.recipient().to_string())
    denied = [(r.login, r.action) for r in _records(store, "backup.") if r.outcome == "denied"]
    assert ("teacher-1", "backup.create") in denied and ("backup-op", "backup.restore") in denied


# ---- keys and config -------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["sqlite"])  # files and scrypt: one engine is enough
def test_keygen_stores_the_wrapped_identity_and_the_recipient(store: Store, admin: Actor,
                                                              data_folder: Path, folder: Path) -> None:
    service = BackupService(store, folder=folder)
    generated = service.keygen(admin, "a long key passphrase 2026")
    identity_file = data_folder / "backup-identity.age"
    assert stat.S_IMODE(identity_file.stat().st_mode) == 0o600
    assert generated.secret.encode() not in identity_file.read_bytes()
    assert keys.list_recipients() == [generated.recipient]
    assert stat.S_IMODE((data_folder / "config.toml").stat().st_mode) == 0o600
    with pytest.raises(keys.BackupKeyError, match="уже есть"):
        service.keygen(admin, "a long key passphrase 2026")
    path = service.create(admin).path  # encrypted to the configured recipient
    identity = keys.load_identity("a long key passphrase 2026")
    assert service.verify(admin, path, [identity]).ok
    with pytest.raises(keys.BackupKeyError, match="Неверный пароль"):
        keys.load_identity("a wrong key passphrase 2026")
    service.change_passphrase(admin, "a long key passphrase 2026", "another long passphrase 99")
    assert keys.load_identity("another long passphrase 99").to_string() == generated.secret
    replaced = service.keygen(admin, "third long passphrase 2027", force=True)
    assert replaced.replaced is not None and replaced.replaced.exists()
    assert keys.list_recipients() == [replaced.recipient]  # the old recipient left with its key
    actions = [r.action for r in _records(store, "backup.")]
    assert actions.count("backup.keygen") == 2 and "backup.passphrase" in actions
    with pytest.raises(keys.BackupKeyError, match="15"):
        keys.generate("short", force=True)


def test_recipients_add_list_remove_keep_the_rest_of_the_config(data_folder: Path,
                                                                identity: X25519Identity) -> None:
    path = data_folder / "config.toml"
    path.write_text('# my settings\n[ui]\nlang = "ru"\n\n[auth.peer]\nbackup = "operator"\n\n'
                    '[backup]\nrecipients = []\nnote = "keep me"\n\n[keymap]\nquit = "ctrl+q"\n', "utf-8")
    path.chmod(0o644)
    ssh = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsJSbdM3/Wwr5ud7uEB9HAYwE4tpfyA2Xtd4Dg5JX9x admin@school")
    age_key = identity.recipient().to_string()
    assert keys.add_recipient(age_key) == (age_key, True)
    assert keys.add_recipient(ssh)[1] and not keys.add_recipient(ssh.rsplit(" ", 1)[0])[1]
    loaded = config.load()
    assert loaded.backup_recipients == (age_key, ssh)
    assert loaded.peer_logins == {"backup": "operator"} and loaded.keymap == {"quit": "ctrl+q"}
    assert loaded.raw["backup"]["note"] == "keep me" and loaded.lang == "ru"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.remove_recipient(ssh.rsplit(" ", 1)[0]) == ssh
    assert keys.list_recipients() == [age_key]
    for bad in ("age1notakey", "AGE-SECRET-KEY-1QQQQ", "ssh-rsa AAAAB3NzaC1yc2E", ""):
        with pytest.raises(keys.BackupKeyError):
            keys.add_recipient(bad)
    with pytest.raises(keys.BackupKeyError):
        keys.remove_recipient("age1unknown")
    path.chmod(0o666)  # anyone could add their key: refused
    with pytest.raises(keys.BackupKeyError, match="chmod"):
        keys.list_recipients()


def test_manifest_describes_the_snapshot(store: Store, admin: Actor, identity: X25519Identity,
                                         folder: Path) -> None:
    from zhurnal.core.migrate import heads

    path = backup(store, admin, folder, identity)
    plaintext = payload_of(path, identity)
    with tarfile.open(fileobj=io.BytesIO(plaintext)) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(names[0]).read())  # type: ignore[union-attr]
    assert names[0] == "MANIFEST.json"
    assert names[1:] == [f"tables/{t.name}.jsonl" for t in fmt.tables_in_order()]
    assert manifest["format_version"] == 1 and manifest["schema_revision"] == heads()[0]
    assert manifest["engine"] == store.dialect and manifest["created"].endswith("Z")
    assert manifest["schools"][0]["code"] == "school-1"
    assert manifest["audit"]["count"] == chain_ok(store) - 1  # the create record came after the snapshot
    schools = next(t for t in manifest["tables"] if t["name"] == "schools")
    assert schools["rows"] == 1 and len(schools["sha256"]) == 64 and "code" in schools["columns"]


@pytest.mark.parametrize("engine_name", ["sqlite"])
def test_a_row_postgresql_refuses_fails_the_move_cleanly(store: Store, admin: Actor, school: Any,
                                                         identity: X25519Identity, folder: Path,
                                                         pg_server: Any) -> None:
    with store.session() as session:  # SQLite keeps a NUL in text; PostgreSQL cannot
        session.add(Person(school_id=school.school_id, last_name="Нуль\x00", first_name="Байт", name_key="нуль"))
        session.commit()
    path = backup(store, admin, folder, identity)
    url = pg_server.url_for(f"{pg_server.prefix}_nul")
    with pytest.raises(BackupError, match="не загрузились"):
        BackupService(store).restore(admin, path, [identity], to_url=url, confirm=lambda plan: ADMIN_PASSWORD)
    admin_engine = pg_server.admin_engine
    with admin_engine.connect() as conn:  # the half-built database was dropped
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_database WHERE datname = %(n)s",
                                    {"n": f"{pg_server.prefix}_nul"}).scalar() == 0


@pytest.mark.parametrize("newer", ["plain", "before-import"])
def test_two_backups_of_the_same_second_list_the_one_written_last_first(tmp_path: Path, newer: str) -> None:
    created = datetime(2026, 11, 28, 18, 0, 0, tzinfo=UTC)
    plain = tmp_path / backup_name("school", created)
    before_import = tmp_path / backup_name("school", created, "before-import")
    for path in (plain, before_import):
        path.write_bytes(b"age")
    written_last = plain if newer == "plain" else before_import
    other = before_import if written_last is plain else plain
    os.utime(other, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    os.utime(written_last, ns=(1_000_000_000_500_000_000, 1_000_000_000_500_000_000))
    assert [b.path for b in list_backups(tmp_path)] == [written_last, other]
