"""What every benchmark module shares: the result row and baselines measured in the same run.

The machine is shared and noisy, so a target is a RATIO against a baseline measured in the same process
(or the same run), never an absolute time alone; absolute times are printed for information.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One measured figure and its target (`measured <= target` passes)."""

    name: str
    measured: float
    target: float
    unit: str  # "x" for a ratio, "s" for seconds scaled to the reference machine, "MB"
    info: str = ""  # absolute figures, for information only
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.skipped or self.measured <= self.target


def skipped(name: str, why: str) -> Result:
    return Result(name, 0.0, 0.0, "", why, skipped=True)


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
