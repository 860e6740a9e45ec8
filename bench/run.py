"""Run every bench/bench_*.py module's `run() -> list[Result]`, print a table, exit 1 when a target is missed.

Usage: .venv/bin/python bench/run.py [name-filter]   (make bench). BENCH_QUICK=1 shrinks the big runs.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import Result  # noqa: E402


def _load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _figure(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:.0f} {unit}".strip()


def print_table(results: list[Result]) -> None:
    width = max([len(r.name) for r in results] + [9])
    print(f"{'benchmark':<{width}}  {'measured':>10}  {'target':>11}  status  details")
    for r in results:
        if r.skipped:
            print(f"{r.name:<{width}}  {'-':>10}  {'-':>11}  skip    {r.info}")
            continue
        if r.informational:
            print(f"{r.name:<{width}}  {_figure(r.measured, r.unit):>10}  {'-':>11}  info    {r.info}")
            continue
        status = "ok" if r.ok else "MISSED"
        print(f"{r.name:<{width}}  {_figure(r.measured, r.unit):>10}  {'≤ ' + _figure(r.target, r.unit):>11}  "
              f"{status:<6}  {r.info}")


def main(argv: list[str]) -> int:
    wanted = argv[0] if argv else ""
    results: list[Result] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if wanted and wanted not in path.stem:
            continue
        started = time.perf_counter()
        print(f"running {path.stem} ...", file=sys.stderr, flush=True)
        try:
            module = _load(path)
            results += module.run()  # type: ignore[attr-defined]
        except Exception:  # a crashed benchmark is a missed target, and the others still run
            traceback.print_exc()
            results.append(Result(f"{path.stem}: crashed", 1.0, 0.0, "", "see the traceback above"))
        print(f"  {path.stem} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    if not results:
        print("no benchmarks found", file=sys.stderr)
        return 1
    print_table(results)
    missed = [r for r in results if not r.ok]
    if missed:
        print(f"\n{len(missed)} target(s) missed: {', '.join(r.name for r in missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
