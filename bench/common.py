"""What every benchmark module shares: the result row and baselines measured in the same run.

The machine is shared and noisy, so a target is a RATIO against a baseline measured in the same process
(or the same run), never an absolute time alone; absolute times are printed for information.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Result:
    """One measured figure and its target (`measured <= target` passes)."""

    name: str
    measured: float
    target: float
    unit: str  # "x" for a ratio, "s" for seconds scaled to the reference machine, "MB"
    info: str = ""  # absolute figures, for information only
    skipped: bool = False
    informational: bool = False  # a figure shown to explain others (a floor, a part), with no target of its own

    @property
    def ok(self) -> bool:
        return self.skipped or self.informational or self.measured <= self.target


def skipped(name: str, why: str) -> Result:
    return Result(name, 0.0, 0.0, "", why, skipped=True)


def note(name: str, measured: float, unit: str, info: str = "") -> Result:
    """A figure without a target of its own (status "info"): e.g. the floor a design cannot go below."""
    return Result(name, measured, 0.0, unit, info, informational=True)


def best_time(action: Callable[[], object], repeat: int = 3) -> float:
    """The shortest of `repeat` wall-clock runs: the least disturbed by other load."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def _cpu_work() -> int:
    """A fixed pure-Python workload (hashing, string formatting, dicts), like the generator's own work."""
    seen: dict[str, int] = {}
    total = 0
    for i in range(60_000):
        key = f"{i % 997:03d}-{i}"
        digest = hashlib.sha256(key.encode()).digest()
        seen[key[:3]] = seen.get(key[:3], 0) + digest[0]
        total += digest[1]
    return total + len(seen)


def cpu_baseline(repeat: int = 5) -> float:
    """Seconds of the fixed CPU workload on this machine now (best of `repeat`)."""
    return best_time(_cpu_work, repeat)


# ------------------------------------------------------------------------------------------ PostgreSQL

PG_URL = os.environ.get("ZHURNAL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_admin_url() -> Any:
    """The benchmark server's URL (ZHURNAL_BENCH_PG) with the psycopg driver."""
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(drivername="postgresql+psycopg")


def pg_answers() -> bool:
    """True when the benchmark PostgreSQL server accepts a connection (else its runs are skipped)."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(pg_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def pg_store() -> Iterator[Any]:
    """A throwaway database on the benchmark server, as a zhurnal Store; dropped afterwards."""
    from sqlalchemy import create_engine, text

    from zhurnal.core.store import Store

    admin_url = pg_admin_url()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"zhurnal_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(admin_url.set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
