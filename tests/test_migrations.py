"""Alembic: one head, and upgrading an empty database gives exactly the models, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from zhurnal.core.migrate import current_revision, heads
from zhurnal.core.models import Base


def test_single_head():
    assert len(heads()) == 1


def test_upgrade_from_empty_equals_models(empty_store):
    empty_store.upgrade()
    assert current_revision(empty_store.engine) == heads()[0]
    with empty_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_twice_is_harmless(empty_store):
    empty_store.upgrade()
    empty_store.upgrade()
    assert empty_store.is_initialised()
