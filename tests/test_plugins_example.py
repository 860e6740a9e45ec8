"""The example plugin package (examples/zhurnal-plugin-example) is really installed and used.

How (decided for honesty and speed): a session fixture runs `pip install --no-deps --no-build-isolation
--target DIR` on a copy of the example, so pip builds the real wheel metadata (dist-info with the entry
point) into a private folder: the project's virtualenv is never changed, so parallel (xdist) workers and
later runs cannot see a half-installed plugin. Putting DIR on the path is then exactly what an installed
plugin looks like to importlib.metadata: the hub discovers it through the "zhurnal" entry-point group.
The example's own test suite runs against that installation, `zhurnal plugins` lists it, and an import
and an export go through it on both engines.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_import_support import TODAY, make_classes, run
from zhurnal.plugins.engine.export import export
from zhurnal.plugins.manager import Hub

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "zhurnal-plugin-example"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("example-plugin")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--target", str(target), str(source)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (target / "zhurnal_plugin_example-0.1.0.dist-info" / "entry_points.txt").exists()
    return target


def _env(target: Path, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHURNAL_")}
    env["PYTHONPATH"] = str(target)
    env["ZHURNAL_DATA_DIR"] = str(tmp_path)
    return env


def test_the_examples_own_tests_pass_against_the_installed_package(installed, tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
                          cwd=EXAMPLE, env=_env(installed, tmp_path), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_zhurnal_plugins_lists_the_installed_plugin(installed, tmp_path):
    zhurnal = str(Path(sys.executable).with_name("zhurnal"))
    done = subprocess.run([zhurnal, "plugins", "--json"], env=_env(installed, tmp_path), capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    roster = {p["name"]: p for p in json.loads(done.stdout)["plugins"]}["roster"]
    assert (roster["version"], roster["status"], roster["importers"], roster["exporters"]) == (
        "0.1.0", "loaded", ["roster"], ["roster"])


def test_an_import_and_an_export_run_through_the_installed_plugin(installed, monkeypatch, store, school, admin,
                                                                   tmp_path):
    monkeypatch.syspath_prepend(str(installed))
    hub = Hub()  # entry points, as in production
    assert hub.importers["roster"].plugin == "roster"
    make_classes(store, school.school_id)
    path = tmp_path / "5a.roster"
    path.write_text("# zhurnal roster 1\nФамилия|Имя|Дата рождения|Класс|Номер приказа|Дата приказа\n"
                    "Зайцев|Лев|01.01.2015|5А|4-у|01.09.2026\n", encoding="utf-8")
    result = run(hub, store, admin, path)
    assert result.applied and result.prepared.format == "roster" and result.report.counts["new"] == 1
    out = io.BytesIO()
    assert export(hub, store, admin, "students", "roster", out, on=TODAY).rows == 1
    assert "Зайцев|Лев||01.01.2015|5А" in out.getvalue().decode()
