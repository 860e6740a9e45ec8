"""Shared by the year tests: a demo school per test (a copy of one build per engine and process, with year
marks), the next year's dates, and a snapshot of the tables a rollover touches (to prove an undo exact)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, DemoTemplates, checkpoint
from zhurnal.core.demo.year_marks import give_year_marks
from zhurnal.core.models import (
    AcademicYear,
    CurriculumItem,
    Enrolment,
    Order,
    SchoolClass,
    SubgroupMember,
    TeachingAssignment,
    Term,
    YearArchiveFile,
)
from zhurnal.core.permissions import Actor
from zhurnal.core.services.accounts import AuthService
from zhurnal.core.services.calendar import default_terms
from zhurnal.core.services.promotion import OrderRef
from zhurnal.core.services.years import TermInput
from zhurnal.core.store import Store

TODAY = date(2026, 11, 28)
NEXT = ("2027/2028", date(2027, 9, 1), date(2028, 8, 31))
ORDERS = {"promotion": OrderRef("101-у", date(2027, 5, 30)), "graduation": OrderRef("102-у", date(2027, 6, 25)),
          "departure": OrderRef("103-у", date(2027, 6, 30))}
TABLES = (AcademicYear, Term, SchoolClass, CurriculumItem, TeachingAssignment, Order, Enrolment, SubgroupMember,
          YearArchiveFile)

_built: dict[str, Any] = {}  # engine -> template (file path or database name), once per process: a copy of
# the demo template (tests/conftest.py) with the year marks added


def next_terms() -> list[TermInput]:
    return [TermInput("quarter", n, name, start, end)
            for n, (name, start, end) in enumerate(default_terms(2027, "quarter"), 1)]




def demo_store(engine_name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               tmp_path: Path) -> Iterator[Store]:
    """For a test module's `demo` fixture: a fresh copy of the demo school (about 1,100 students in 22
    classes, year 2026/2027)."""
    templates: DemoTemplates = request.getfixturevalue("demo_templates")
    if engine_name == "sqlite":
        if "sqlite" not in _built:
            path = tmp_path_factory.mktemp("yeardemo") / "demo.sqlite3"
            shutil.copyfile(templates.sqlite_file(), path)
            store = Store(f"sqlite:///{path}")
            give_year_marks(store)
            checkpoint(store)
            store.dispose()
            _built["sqlite"] = path
        copy = tmp_path / "demo.sqlite3"
        shutil.copyfile(_built["sqlite"], copy)
        store = Store(f"sqlite:///{copy}")
        yield store
        store.dispose()
        return
    server = request.getfixturevalue("pg_server")
    if "postgresql" not in _built:
        name = server.create(template=templates.postgresql_database(server))
        store = Store(server.url_for(name))
        give_year_marks(store)
        store.dispose()
        _built["postgresql"] = name
    name = server.create(template=_built["postgresql"])
    store = Store(server.url_for(name))
    yield store
    store.dispose()
    server.drop(name)


def admin_actor(store: Store) -> Actor:
    return AuthService(store).login(ADMIN_LOGIN, ADMIN_PASSWORD).actor


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row (every column, version included) of the tables a rollover touches, by id."""
    result = {}
    with store.session(write=False) as session:
        for model in TABLES:
            columns = [c for c in model.__table__.columns]  # type: ignore[attr-defined]
            rows = session.execute(select(*columns).order_by(model.__table__.c.id)).all()  # type: ignore[attr-defined]
            result[model.__tablename__] = [tuple(r) for r in rows]
    return result


def current_year(store: Store, actor: Actor) -> Any:
    from zhurnal.core.services.years import YearService

    return YearService(store).list(actor)[0]
