"""The store: one database (SQLite file or PostgreSQL), its engine and its sessions.

SQLite gets WAL, foreign keys and a busy timeout on every connection; write transactions start with
BEGIN IMMEDIATE so two writers queue instead of failing half-way on a stale snapshot.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000


def _sqlite_engine(url: str, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours (IMMEDIATE for writers).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if parsed.database and parsed.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("zhurnal_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    """A database and its session factories; created once per process and shared."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        if make_url(url).get_backend_name() == "sqlite":
            self.engine = _sqlite_engine(url, echo)
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True)
        self._write_engine = self.engine.execution_options(zhurnal_write=True)

    # The session factories are made at the first session: SQLAlchemy's ORM is a good part of the app's start
    # and the login screen is drawn before anything needs it (issue #4). Two threads racing here only build
    # two equal factories.
    @cached_property
    def _read_sessions(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @cached_property
    def _write_sessions(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self._write_engine, expire_on_commit=False, autoflush=False)

    def warm_up(self) -> None:
        """Import the ORM models, configure their mappers and make the session factories: what the first call
        of a service would do. The app runs this in a background thread once the login screen is drawn, so
        neither the first paint nor the first screen after login waits for it."""
        from sqlalchemy.orm import configure_mappers

        import zhurnal.core.models  # noqa: F401  (registers the mapped classes)

        configure_mappers()
        _ = self._read_sessions, self._write_sessions

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    def session(self, *, write: bool = True) -> Session:
        """A new session; services get theirs from a unit of work instead."""
        return (self._write_sessions if write else self._read_sessions)()

    def is_initialised(self) -> bool:
        return inspect(self.engine).has_table("alembic_version")

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (creates it in an empty database)."""
        from zhurnal.core.migrate import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def display_url(self) -> str:
        """The URL without a password, fit for messages."""
        return make_url(self.url).render_as_string(hide_password=True)
