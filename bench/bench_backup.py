"""Benchmarks of encrypted backups on the demo district (50 schools; BENCH_QUICK=1: 5) in SQLite.

(a) `backup create` and `backup verify` (run in a child process, X25519 recipient) against the standard `age`
    command encrypting and decrypting the very same payload tar, timed in the same run: our time ÷ age's
    time ≤ 2 (that is, at least half age's throughput). The encryption layer alone (our age writer on the
    payload file ÷ `age -e`) is reported as well.
(b) peak memory of the child that creates and verifies (ru_maxrss, via a small launcher): < 200 MB.
(c) restore SQLite → SQLite and SQLite → PostgreSQL (ZHURNAL_BENCH_PG, skipped when nothing answers), in a
    child process: seconds scaled to the reference machine by a fixed CPU loop, ≤ 60 s per 50 schools.

`python bench/bench_backup.py` prints the table for this module alone.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import PG_URL, Result, best_time, cpu_baseline, pg_admin_url, pg_answers, skipped  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SCHOOLS = 5 if QUICK else 50
TODAY = date(2026, 11, 28)
RATIO_TARGET = 2.0  # our seconds ÷ age's seconds: at least half the throughput
MEMORY_TARGET_MB = 200.0
RESTORE_TARGET_S = 60.0 * SCHOOLS / 50
CPU_REF_S = 0.091  # bench_demo.py's fixed CPU loop on the reference machine (2 vCPU, 2026-11-28)
AGE = shutil.which("age")

# Linux carries a process's ru_maxrss across exec: a tiny launcher starts the child from a small process.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_create_verify(database: str, folder: str, key: str) -> None:
    from zhurnal.core.backup.age import X25519Identity
    from zhurnal.core.backup.service import BackupService
    from zhurnal.core.permissions import Actor
    from zhurnal.core.store import Store

    identity = X25519Identity.from_string(key)
    store = Store(f"sqlite:///{database}")
    service = BackupService(store, folder=Path(folder))
    actor = Actor.system("bench")
    start = time.perf_counter()
    created = service.create(actor, recipients=[identity.recipient()])
    create_s = time.perf_counter() - start
    start = time.perf_counter()
    report = service.verify(actor, created.path, [identity])
    verify_s = time.perf_counter() - start
    assert report.ok and report.manifest is not None, report.problem
    store.dispose()
    print(json.dumps({"create_s": create_s, "verify_s": verify_s, "path": str(created.path), "size": created.size,
                      "rows": created.rows, "peak_mb": _peak_mb()}))


def _child_restore(path: str, key: str, url: str) -> None:
    from zhurnal.core.backup.age import X25519Identity
    from zhurnal.core.backup.service import BackupService

    identity = X25519Identity.from_string(key)
    start = time.perf_counter()
    BackupService(None).restore(None, Path(path), [identity], to_url=url)
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": _peak_mb()}))


def _run_child(*args: str) -> dict[str, Any]:
    child = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *child], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _build_district(database: Path) -> int:
    from zhurnal.core.demo.generator import build_demo
    from zhurnal.core.store import Store

    store = Store(f"sqlite:///{database}")
    store.upgrade()
    summary = build_demo(store, seed=1, schools=SCHOOLS, today=TODAY)
    store.dispose()
    return summary.students






def _ratio(name: str, ours: float, theirs: float, size: int, what: str) -> Result:
    mb = size / 2**20
    return Result(name, ours / theirs, RATIO_TARGET, "x",
                  f"{what}: zhurnal {ours:.2f} s ({mb / ours:.0f} MB/s), age {theirs:.3f} s ({mb / theirs:.0f} MB/s) "
                  f"on a {mb:.0f} MB payload")


def run() -> list[Result]:
    from zhurnal.core.backup.age import X25519Identity, decrypt, encrypt

    label = f"backup: district of {SCHOOLS} schools"
    results: list[Result] = []
    cpu_before = cpu_baseline()
    with tempfile.TemporaryDirectory(prefix="zhurnal-bench-") as temp:
        folder = Path(temp)
        database = folder / "district.sqlite3"
        students = _build_district(database)
        identity = X25519Identity.generate()
        key_file = folder / "key.txt"
        key_file.write_text(identity.to_string() + "\n")
        figures = _run_child("--create-verify", str(database), str(folder / "backups"), identity.to_string())
        backup = Path(figures["path"])
        # The same dump in the clear, for the age command.
        payload = folder / "payload.tar"
        with open(backup, "rb") as src, open(payload, "wb") as dst:
            reader = decrypt(src, [identity])
            while block := reader.read(2**20):
                dst.write(block)
        size = payload.stat().st_size
        recipient = identity.recipient().to_string()
        encrypted = folder / "by-age.age"
        if AGE is None:
            results.append(skipped(f"(a) {label}: create ÷ age -e", "the age command is not installed"))
            results.append(skipped(f"(a) {label}: verify ÷ age -d", "the age command is not installed"))
        else:
            age_enc = best_time(lambda: subprocess.run([AGE, "-r", recipient, "-o", str(encrypted), str(payload)],
                                                       check=True))
            age_dec = best_time(lambda: subprocess.run([AGE, "-d", "-i", str(key_file), "-o", os.devnull,
                                                        str(encrypted)], check=True))

            def ours_encrypt() -> None:
                with open(payload, "rb") as src, open(folder / "ours.age", "wb") as dst, \
                        encrypt(dst, [identity.recipient()]) as writer:
                    while block := src.read(2**20):
                        writer.write(block)

            layer = best_time(ours_encrypt)
            results += [
                _ratio(f"(a) {label}: backup create ÷ age -e of the same dump", figures["create_s"], age_enc, size,
                       f"snapshot + JSON dump + tar + encryption, {figures['rows']:,} rows"),
                _ratio(f"(a) {label}: backup verify ÷ age -d", figures["verify_s"], age_dec, size,
                       "decryption + tar + SHA-256 of every member + audit chain"),
                _ratio(f"(a) {label}: encryption layer alone ÷ age -e", layer, age_enc, size,
                       "our age writer on the payload file"),
            ]
        results.append(Result(f"(b) {label}: peak memory of create + verify (child ru_maxrss)",
                              float(figures["peak_mb"]), MEMORY_TARGET_MB, "MB",
                              f"database {database.stat().st_size / 2**20:.0f} MB, "
                              f"backup {figures['size'] / 2**20:.0f} MB, {students:,} students"))
        cpu_now = min(cpu_before, cpu_baseline())
        restored = _run_child("--restore", str(backup), identity.to_string(),
                              f"sqlite:///{folder / 'restored.sqlite3'}")
        results.append(_restore_result(f"(c) {label}: restore SQLite → SQLite", restored, cpu_now))
        if pg_answers():
            admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
            name = f"zhurnal_bench_{uuid.uuid4().hex[:10]}"
            try:
                url = pg_admin_url().set(database=name).render_as_string(hide_password=False)
                restored = _run_child("--restore", str(backup), identity.to_string(), url)
                results.append(_restore_result(f"(c) {label}: restore SQLite → PostgreSQL", restored, cpu_now))
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        else:
            results.append(skipped(f"(c) {label}: restore SQLite → PostgreSQL",
                                   f"no PostgreSQL answers at {make_url(PG_URL).render_as_string(hide_password=True)}"))
    return results


def _restore_result(name: str, figures: dict[str, Any], cpu_now: float) -> Result:
    seconds = float(figures["seconds"])
    scaled = seconds * CPU_REF_S / cpu_now
    return Result(f"{name}, time scaled by CPU loop", scaled, RESTORE_TARGET_S, "s",
                  f"{seconds:.1f} s here (CPU loop {cpu_now * 1000:.0f} ms vs {CPU_REF_S * 1000:.0f} ms on the "
                  f"reference machine); decrypt, check, load, verify; peak memory {figures['peak_mb']:.0f} MB")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--create-verify"]:
        _child_create_verify(*sys.argv[2:5])
    elif sys.argv[1:2] == ["--restore"]:
        _child_restore(*sys.argv[2:5])
    else:
        from run import print_table

        print_table(run())
