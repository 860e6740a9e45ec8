"""Alembic environment: takes the engine handed over by zhurnal.core.migrate; batch mode on SQLite."""

from alembic import context

from zhurnal.core.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only `alembic` run by hand without zhurnal
    from sqlalchemy import create_engine

    from zhurnal.core.locations import default_database_url

    engine = create_engine(default_database_url())

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
