"""The plugin hub: hooks documented, built-ins and entry points loaded by one manager, broken plugins
reported while the others work, allow/block lists, validation of what plugins register, permissions."""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import sys
import types
from pathlib import Path

import pytest

from tests.test_import_support import DATA, make_classes, run, teacher
from zhurnal.core.errors import PermissionDenied
from zhurnal.plugins import Exporter, Importer, ParsedFile, SourceRow, SourceTable, hookimpl, hookspecs
from zhurnal.plugins.manager import HOOKS, Hub, PluginError

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def _specs() -> dict[str, list[str]]:
    return {name: list(inspect.signature(fn).parameters) for name, fn in vars(hookspecs).items()
            if callable(fn) and hasattr(fn, "zhurnal_spec")}


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n### ", start + 1)
    return text[start:end if end != -1 else len(text)]


def test_every_hook_and_every_argument_is_documented():
    text = DOC.read_text(encoding="utf-8")
    specs = _specs()
    assert set(specs) == set(HOOKS)
    for name, args in specs.items():
        heading = f"### `{name}({', '.join(args)})`"
        assert heading in text, f"docs/plugins.md: no heading {heading}"
        section = _section(text, heading)
        for arg in args:
            assert f"- `{arg}` — " in section, f"docs/plugins.md: argument {arg} of {name} is not documented"
        assert re.search(r"\*Added in [0-9.]+\.\*", section), f"docs/plugins.md: {name} lacks its version"
        assert (inspect.getdoc(getattr(hookspecs, name)) or "").strip(), f"hookspec {name} has no docstring"
    permissions = _section(text, "### `register_permissions(register)`")
    for parameter in ("name", "description", "roles"):
        assert f"`{parameter}`" in permissions


def test_the_documented_hook_list_has_nothing_extra():
    documented = set(re.findall(r"^### `(register_\w+)\(", DOC.read_text(encoding="utf-8"), re.MULTILINE))
    assert documented == set(_specs())


# ---- a throwaway plugin ------------------------------------------------------------------------------


class PipeImporter(Importer):
    name = "pipes"
    title = "Pipe-separated test format"
    extensions = (".pipes",)
    entities = ("students",)

    def read(self, data, options):
        lines = data.decode("utf-8").splitlines()
        headers = lines[0].split("|")
        return ParsedFile([SourceTable(headers, [SourceRow(n, line.split("|"))
                                                 for n, line in enumerate(lines[1:], 2)])], {"encoding": "utf-8"})


class Throwaway:
    @hookimpl
    def register_importers(self, register):
        register(PipeImporter())


@pytest.fixture
def hub():
    hub = Hub(entry_points=False)
    hub.register(Throwaway(), "throwaway")
    yield hub
    hub.unregister("throwaway")
    assert "pipes" not in hub.importers


def test_a_throwaway_plugin_imports_through_the_engine(hub, store, school, admin, tmp_path):
    make_classes(store, school.school_id)
    path = tmp_path / "list.pipes"
    path.write_text("Фамилия|Имя|Дата рождения|Класс|Номер приказа|Дата приказа\n"
                    "Зайцев|Лев|01.01.2015|5А|1|01.09.2026\n", encoding="utf-8")
    assert hub.detect_importer(path.read_bytes(), path.name).name == "pipes"
    result = run(hub, store, admin, path)
    assert result.applied and result.prepared.format == "pipes" and result.report.counts["new"] == 1
    info = {i.name: i for i in hub.plugins()}["throwaway"]
    assert info.importers == ["pipes"] and info.hooks == ["register_importers"]


# ---- entry points ------------------------------------------------------------------------------------


def _fake_entry_points(monkeypatch, modules: dict[str, types.ModuleType | None]) -> None:
    """Entry points of the group "zhurnal" pointing at modules put in sys.modules (None: not importable)."""
    points = []
    for name, module in modules.items():
        module_name = f"zhurnal_test_plugin_{name.replace('-', '_')}"
        monkeypatch.setitem(sys.modules, module_name, module)
        points.append(importlib.metadata.EntryPoint(name, module_name, "zhurnal"))
    real = importlib.metadata.entry_points

    def entry_points(**params):
        if params.get("group") == "zhurnal":
            return importlib.metadata.EntryPoints(points)
        return real(**params)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def _module(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def _good_module() -> types.ModuleType:
    def register_importers(register):
        register(PipeImporter())

    return _module("good", register_importers=register_importers)


def test_a_broken_entry_point_is_reported_and_the_others_work(monkeypatch):
    def register_exporters(register):
        raise RuntimeError("boom")

    def register_importers(register, extra):  # asks for an argument the hook does not have
        pass

    def register_formats(register):  # no such hook
        pass

    _fake_entry_points(monkeypatch, {"good": _good_module(), "missing": None,
                                     "raises": _module("raises", register_exporters=register_exporters),
                                     "bad-args": _module("bad", register_importers=register_importers),
                                     "unknown-hook": _module("unknown", register_formats=register_formats)})
    hub = Hub()
    builtin = Hub(entry_points=False)  # the built-in formats (csv, xlsx, json, oneroster, ...)
    assert set(hub.importers) == {*builtin.importers, "pipes"} and set(hub.exporters) == set(builtin.exporters)
    errors = {e.plugin: e.message for e in hub.load_errors}
    assert set(errors) == {"missing", "raises", "bad-args", "unknown-hook"}
    assert "register_exporters: boom" in errors["raises"]
    assert "register_formats" in errors["unknown-hook"]
    status = {i.name: i.status for i in hub.plugins()}
    assert status["good"] == "loaded" and status["missing"] == "failed" and status["raises"] == "loaded"
    with pytest.raises(PluginError, match="не загрузились плагины"):
        hub.importer("nosuchformat")


def test_allow_and_block_lists(monkeypatch):
    _fake_entry_points(monkeypatch, {"good": _good_module(), "other": _module("other")})
    blocked = Hub.from_config({"plugins": {"block": ["good"]}})
    assert "pipes" not in blocked.importers and {i.name: i.status for i in blocked.plugins()}["good"] == "blocked"
    allowed = Hub.from_config({"plugins": {"allow": ["other"]}})
    assert "pipes" not in allowed.importers
    assert {i.name: i.status for i in allowed.plugins()}["good"] == "not_allowed"
    assert "csv" in allowed.importers  # built-ins are not subject to the lists
    assert "pipes" in Hub.from_config({"plugins": {"allow": ["good"]}}).importers
    with pytest.raises(PluginError, match="allow"):
        Hub.from_config({"plugins": {"allow": "good"}})


@pytest.mark.parametrize(("item", "message"), [
    (object(), "экземпляром подкласса"),
    (type("Bad", (PipeImporter,), {"name": "Bad Name"})(), "имя 'Bad Name'"),
    (type("Bad", (PipeImporter,), {"name": "csv"})(), "уже зарегистрирован"),
    (type("Bad", (PipeImporter,), {"title": ""})(), "нужен title"),
    (type("Bad", (PipeImporter,), {"extensions": ("pipes",)})(), "с точкой"),
    (type("Bad", (PipeImporter,), {"entities": ("marks",)})(), "entities"),
    (type("Bad", (PipeImporter,), {"actions": ("import.secret",)})(), "неизвестное действие"),
])
def test_the_host_validates_what_a_plugin_registers(item, message):
    class Plugin:
        @hookimpl
        def register_importers(self, register):
            register(type("Fine", (PipeImporter,), {"name": "fine"})())
            register(item)

    hub = Hub(entry_points=False)
    hub.register(Plugin(), "bad")
    assert "fine" not in hub.importers  # nothing of a hook with a bad registration is kept
    assert any(e.plugin == "bad" and message in e.message for e in hub.load_errors), hub.load_errors


def test_declared_permissions_are_checked_for_the_roles_given(store, school, admin):
    class Secret(PipeImporter):
        name = "secret"
        actions = ("import.secret",)

    class Plugin:
        @hookimpl
        def register_permissions(self, register):
            register("import.secret", "Import the secret format", roles=("admin", "deputy"))

        @hookimpl
        def register_importers(self, register):
            register(Secret())

    hub = Hub(entry_points=False)
    hub.register(Plugin(), "secret")
    assert hub.actions["import.secret"].roles == {"admin", "deputy"}
    hub.require(store, admin, ["import.run", "import.secret"], "import")
    with pytest.raises(PermissionDenied):
        hub.require(store, teacher(school.school_id), ["import.secret"], "import")


@pytest.mark.parametrize(("args", "message"), [
    (("Import Secret", "x"), "область.действие"),
    (("import.run", "x"), "встроенное"),
    (("import.secret", ""), "описание"),
    (("import.secret", "x", ("janitor",)), "неизвестные роли"),
])
def test_bad_permission_declarations_are_refused(args, message):
    class Plugin:
        @hookimpl
        def register_permissions(self, register):
            register(*args)

    hub = Hub(entry_points=False)
    hub.register(Plugin(), "perm")
    assert any(message in e.message for e in hub.load_errors) and not hub.actions


def test_the_hub_requires_defusedxml(monkeypatch):
    monkeypatch.setitem(sys.modules, "defusedxml", None)
    with pytest.raises(PluginError, match="defusedxml"):
        Hub(entry_points=False)


def test_builtins_are_registered_by_module_list_like_plugins():
    hub = Hub(entry_points=False)
    builtin = {i.name: i for i in hub.plugins()}["builtin:csv_format"]
    assert builtin.builtin and builtin.module == "zhurnal.plugins.builtin.csv_format"
    assert hub.importers["csv"].plugin == "builtin:csv_format"


def test_exporter_contract_defaults():
    assert Exporter.spreadsheet is True and Exporter.multi_table is False and Importer.actions == ()


def test_cp1251_sample_still_reads_through_a_hub_with_entry_points(store, school, admin):
    make_classes(store, school.school_id)
    assert run(Hub(), store, admin, DATA / "students_cp1251_semicolon.csv", dry_run=True).clean
