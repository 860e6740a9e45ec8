"""Packaging: one `zhurnal` namespace from three root folders; the core never pulls in the UI."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def test_core_import_does_not_load_textual():
    code = ("import sys, zhurnal.core, zhurnal.core.services.persons, zhurnal.core.models, zhurnal.tui.cli;"
            "bad = [m for m in ('textual', 'rich', 'zhurnal.plugins') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr


def source_tree(base: Path) -> Path:
    """The three root folders seen as the `zhurnal` namespace, for tools that cannot follow the editable
    install's import hook (import-linter, mypy)."""
    package = base / "zhurnal"
    package.mkdir(parents=True, exist_ok=True)
    for folder in ("core", "tui", "plugins"):
        (package / folder).symlink_to(ROOT / folder)
    return base


def test_import_linter_contracts_hold(tmp_path: Path):
    linter = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(source_tree(tmp_path))}
    result = run(str(linter), "--no-cache", cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_console_command_reports_version():
    from zhurnal.core import __version__

    result = run(str(Path(sys.executable).with_name("zhurnal")), "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"zhurnal {__version__}"


@pytest.mark.slow
def test_built_wheel_installs_into_a_fresh_venv(tmp_path: Path):
    dist = tmp_path / "dist"
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(ROOT))
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(dist.glob("zhurnal-*.whl"))
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    installed = run(str(python), "-m", "pip", "install", "--quiet", str(wheel))
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {**os.environ, "ZHURNAL_DATA_DIR": str(tmp_path / "data")}
    version = run(str(target / "bin" / "zhurnal"), "--version", env=env, cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("zhurnal "), version.stderr
    # The migrations and data files ship in the wheel: a school can be created from the installed package.
    init = run(str(target / "bin" / "zhurnal"), "init", "--school", "Школа", "--admin", "root1",
               "--password-stdin", input="a long enough admin password\n", env=env, cwd=tmp_path)
    assert init.returncode == 0, init.stderr


def test_every_code_folder_is_listed_as_a_package():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])
    found = set()
    for folder in ("core", "tui", "plugins"):
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT).parts
            found.add(".".join(("zhurnal", *relative)))
    # A folder of data only (fonts, the web page template) is listed too, so setuptools ships it without a
    # warning; it must exist and hold no Python code.
    data_only = listed - found
    for name in data_only:
        folder = ROOT / name.split(".")[1] / Path(*name.split(".")[2:])
        assert folder.is_dir() and not list(folder.glob("*.py")), name
    assert found <= listed and data_only == {"zhurnal.core.data.fonts", "zhurnal.tui.web_templates"}
