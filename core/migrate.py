"""Alembic, driven from code: the migrations ship inside the package, so `zhurnal db upgrade` works anywhere."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration this version of the program needs. Kept as a constant (a test compares it with
# Alembic's head) so checking a database at start-up is one SELECT, not a scan of the migration scripts.
SCHEMA_HEAD = "0009"


def alembic_config(engine: Engine | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    # Dated file names keep the versions folder readable in order.
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` in one transaction per engine connection."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_older_revision(revision: str | None) -> bool:
    """True for a revision of this program's migrations other than the newest: a database (or a backup) at it
    can be brought up to SCHEMA_HEAD by `upgrade`."""
    return (revision is not None and revision != SCHEMA_HEAD
            and any((MIGRATIONS_DIR / "versions").glob(f"*_{revision}_*.py")))


def schema_problem(engine: Engine) -> str | None:
    """Why this program must not work on the database's schema (None: it is the one the program needs).

    A database older than the program (the package was updated, `zhurnal db upgrade` not yet run) would fail
    with a missing table or column in the middle of some screen; one newer than the program (the package was
    rolled back) could be written wrongly. Both are refused up front with what to do."""
    from sqlalchemy import text

    with engine.connect() as connection:  # plain SQL: importing Alembic here would slow every start
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if current is None or current == SCHEMA_HEAD:
        return None
    if is_older_revision(current):  # one of ours: the database is behind
        return (f"Схема базы устарела: ревизия {current}, этой версии программы нужна {SCHEMA_HEAD}. Сделайте "
                "резервную копию файла или базы и выполните «zhurnal db upgrade».")
    return (f"Схема базы (ревизия {current}) новее этой версии программы (ей нужна {SCHEMA_HEAD}): база "
            "обновлена более новой версией zhurnal — установите её, а не эту.")
