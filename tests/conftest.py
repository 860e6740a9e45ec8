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
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store

# The seeded school's "today": its current academic year is 2026/2027 whenever the suite runs, so tests
# can name dates in that year.
SEED_TODAY = date(2026, 11, 28)
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "correct horse battery staple 42"
PG_URL = os.environ.get("ZHURNAL_TEST_PG")
ENGINES = ["sqlite", "postgresql"]


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
    def __init__(self, url: str) -> None:
        self.url = make_url(url).set(drivername="postgresql+psycopg")
        self.admin_engine = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.prefix = f"zhurnal_test_{uuid.uuid4().hex[:8]}"
        self.counter = itertools.count()

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return name

    def drop(self, name: str) -> None:
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
    with server.admin_engine.connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": f"{server.prefix}%"}).scalars().all()
    for name in names:
        server.drop(name)
    server.admin_engine.dispose()


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
