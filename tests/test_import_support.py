"""Helpers the import, export and plugin tests share (this module holds no tests).

Sample files live in tests/data/import; the seeded school's year is 2026/2027 and "today" is SEED_TODAY.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import SEED_TODAY
from tests.helpers import make_class
from zhurnal.core.models import Enrolment, Guardianship, ImportRun, Order, Person, StaffPosition
from zhurnal.core.permissions import Actor
from zhurnal.plugins.engine.formats import WriteOptions
from zhurnal.plugins.engine.limits import Limits
from zhurnal.plugins.engine.run import ImportOptions, ImportResult, import_file
from zhurnal.plugins.manager import Hub

DATA = Path(__file__).resolve().parent / "data" / "import"
TODAY = SEED_TODAY
LIMITS = Limits()
CLASSES = ("1А", "5А", "5Б", "10А")


def make_classes(store, school_id: int) -> dict[str, int]:
    return {name: make_class(store, school_id, int(name[:-1]), name[-1]) for name in CLASSES}


def run(hub: Hub, store, actor: Actor, path: Path, *, dry_run: bool = False, limits: Limits = LIMITS,
        **options) -> ImportResult:
    options.setdefault("today", TODAY)
    return import_file(hub, store, actor, path, ImportOptions(**options), dry_run=dry_run, limits=limits)


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ";") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def counts(store) -> dict[str, int]:
    """How many rows of each kind the database holds: what an import may change."""
    with store.session() as s:
        return {model.__tablename__: int(s.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Person, Enrolment, Guardianship, StaffPosition, Order)}


def runs(store) -> list[ImportRun]:
    with store.session() as s:
        return list(s.scalars(select(ImportRun).order_by(ImportRun.id)))


def teacher(school_id: int) -> Actor:
    return Actor(user_id=None, login="teacher", school_id=school_id, roles=frozenset({"teacher"}))


def export_csv(hub: Hub, store, actor: Actor, entity: str, **options) -> str:
    from zhurnal.plugins.engine.export import export

    out = io.BytesIO()
    export(hub, store, actor, entity, "csv", out, WriteOptions(**options), on=TODAY)
    return out.getvalue().decode(options.get("encoding") or "utf-8-sig")
