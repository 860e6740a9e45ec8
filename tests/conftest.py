"""Test fixtures: a migrated store per test on SQLite and, when ZHURNAL_TEST_PG names a server, PostgreSQL.

Each test gets its own fresh database, copied from a template that holds one initialised school with its
administrator, so the slow parts (migrations, Argon2 hashing) run once per engine per test session.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from zhurnal.core.demo.generator import build_demo
from zhurnal.core.passwords import hash_password
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store

# The seeded school's "today": its current academic year is 2026/2027 whenever the suite runs, so tests
# can name dates in that year.
SEED_TODAY = date(2026, 11, 28)
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "correct horse battery staple 42"
PG_URL = os.environ.get("ZHURNAL_TEST_PG")
ENGINES = ["sqlite", "postgresql"]


# For a console test that checks only what the screen does (keys, help, palette, language, layout, a loading
# state): it runs on SQLite alone. The services behind such a screen have their own tests on both engines;
# docs/decisions.md lists the tests marked so and why.
ui_only = pytest.mark.parametrize("engine_name", ["sqlite"])


@dataclass
class SeededSchool:
    """What the template database holds: one school and the first administrator."""

    school_id: int
    admin: Actor


def _seed(store: Store) -> SeededSchool:
    from zhurnal.core.services.schools import SchoolService

    store.upgrade()
    created = SchoolService(store).initialise(name="МБОУ «СОШ № 1»", code="school-1", admin_login=ADMIN_LOGIN,
                                              admin_password=ADMIN_PASSWORD, today=SEED_TODAY)
    return SeededSchool(created.school_id, created.admin)


class _PgServer:
    """Creates and drops the test databases of one test process (names unique to the process).

    CREATE DATABASE and DROP DATABASE mostly wait on the server's disk (a checkpoint, the WAL), so one
    background thread does them while the tests run: a drop is queued and the test goes on, and each create
    also queues the next copy of the same template, which the next test asking for it takes ready-made.
    A template is never changed once copied, so a copy made early holds what a copy made late would."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url).set(drivername="postgresql+psycopg")
        self.admin_engine = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.prefix = f"zhurnal_test_{uuid.uuid4().hex[:8]}"
        self.counter = itertools.count()
        self.background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-test-databases")
        self.spares: dict[str | None, Future[str]] = {}  # template -> its next copy, being made or made
        self.drops: list[Future[None]] = []

    def create(self, template: str | None = None) -> str:
        spare = self.spares.pop(template, None)
        name = spare.result() if spare is not None else self._create(template)
        self.spares[template] = self.background.submit(self._create, template)
        return name

    def drop(self, name: str) -> None:
        self.drops.append(self.background.submit(self._drop, name))

    def close(self) -> None:
        """Wait for the background work (raising its first failure), then drop every database of the process."""
        self.background.shutdown(wait=True)
        for future in [*self.spares.values(), *self.drops]:
            future.result()
        with self.admin_engine.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                 {"p": f"{self.prefix}%"}).scalars().all()
        for name in names:
            self._drop(name)
        self.admin_engine.dispose()

    def _create(self, template: str | None) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return name

    def _drop(self, name: str) -> None:
        with self.admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never read or write the real data and config folders (backups, config.toml) of the machine."""
    saved = {name: os.environ.get(name) for name in ("ZHURNAL_DATA_DIR", "ZHURNAL_CONFIG_DIR", "ZHURNAL_DB")}
    folder = tmp_path_factory.mktemp("zhurnal-data")
    os.environ["ZHURNAL_DATA_DIR"] = str(folder)
    os.environ.pop("ZHURNAL_CONFIG_DIR", None)
    os.environ.pop("ZHURNAL_DB", None)
    yield folder
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def pg_server() -> Iterator[_PgServer]:
    if not PG_URL:
        pytest.skip("PostgreSQL runs skipped: set ZHURNAL_TEST_PG to a server URL (make test does)")
    server = _PgServer(PG_URL)
    yield server
    server.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeededSchool]:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    store = Store(f"sqlite:///{path}")
    seeded = _seed(store)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return path, seeded


@pytest.fixture(scope="session")
def pg_template(pg_server: _PgServer) -> tuple[str, SeededSchool]:
    name = pg_server.create()
    store = Store(pg_server.url_for(name))
    seeded = _seed(store)
    store.dispose()
    return name, seeded


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_store(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh database with no schema at all."""
    if engine_name == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield store
        store.dispose()
        return
    server: _PgServer = request.getfixturevalue("pg_server")
    name = server.create()
    store = Store(server.url_for(name))
    yield store
    store.dispose()
    server.drop(name)


@pytest.fixture
def seeded(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, SeededSchool]]:
    if engine_name == "sqlite":
        template, school = request.getfixturevalue("sqlite_template")
        path = tmp_path / "school.sqlite3"
        shutil.copyfile(template, path)
        store = Store(f"sqlite:///{path}")
        yield store, school
        store.dispose()
        return
    server: _PgServer = request.getfixturevalue("pg_server")
    template_name, school = request.getfixturevalue("pg_template")
    name = server.create(template=template_name)
    store = Store(server.url_for(name))
    yield store, school
    store.dispose()
    server.drop(name)


@pytest.fixture
def store(seeded: tuple[Store, SeededSchool]) -> Store:
    """A migrated database holding one initialised school."""
    return seeded[0]


@pytest.fixture
def school(seeded: tuple[Store, SeededSchool]) -> SeededSchool:
    return seeded[1]


@pytest.fixture
def admin(school: SeededSchool) -> Actor:
    return school.admin


class DemoTemplates:
    """One demo school per engine, built with build_demo once per test process; each test gets a copy (a file
    copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL), since a build takes seconds.

    The fixture lives here, not in a test module: a session fixture that several modules import is registered
    once per importing module, and each registration would build its own school."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self.tmp = tmp
        self.sqlite: Path | None = None
        self.postgresql: str | None = None

    @staticmethod
    def build(store: Store) -> None:
        store.upgrade()
        build_demo(store, seed=1, today=SEED_TODAY, admin_login=ADMIN_LOGIN,
                   admin_password_hash=hash_password(ADMIN_PASSWORD))

    def sqlite_file(self) -> Path:
        if self.sqlite is None:
            path = self.tmp.mktemp("demo") / "demo.sqlite3"
            store = Store(f"sqlite:///{path}")
            self.build(store)
            checkpoint(store)
            store.dispose()
            self.sqlite = path
        return self.sqlite

    def postgresql_database(self, server: _PgServer) -> str:
        if self.postgresql is None:
            name = server.create()
            store = Store(server.url_for(name))
            self.build(store)
            store.dispose()
            self.postgresql = name
        return self.postgresql


def checkpoint(store: Store) -> None:
    """Fold SQLite's write-ahead log into the main file, so that copying the file alone copies every row."""
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplates:
    return DemoTemplates(tmp_path_factory)
