"""The plugin hub: loads built-in and third-party plugins, collects what they register, checks permissions.

Built-in formats are modules listed in DEFAULT_PLUGINS and registered by the same manager as third-party
plugins, which come from the entry-point group "zhurnal". Each third-party plugin is loaded inside its own
try/except: a broken one is reported in `load_errors` (and by `zhurnal plugins`) and the others still work.
The config file can limit which third-party plugins load:

    [plugins]
    allow = ["zhurnal-roster"]   # only these (entry-point or distribution names); absent: all
    block = ["broken-plugin"]    # never these

Registrations are collected per plugin and per hook: a plugin whose hook raises, or which registers
something invalid, has nothing of that hook registered and gets a load error naming the reason.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy

from zhurnal.core import __version__ as zhurnal_version
from zhurnal.core.audit import AuditEvent
from zhurnal.core.errors import PermissionDenied, ZhurnalError
from zhurnal.core.permissions import ACTIONS, ROLES, Actor
from zhurnal.core.permissions import check as check_core_action
from zhurnal.plugins import PROJECT_NAME, hookspecs
from zhurnal.plugins.engine.formats import Exporter, Importer

DEFAULT_PLUGINS = ("zhurnal.plugins.builtin.csv_format",
                   "zhurnal.plugins.builtin.xlsx_format",
                   "zhurnal.plugins.builtin.json_format",
                   "zhurnal.plugins.builtin.oneroster",
                   )
ENTRY_POINT_GROUP = PROJECT_NAME
ENTITIES = ("students", "staff", "parents", "subjects", "classes", "assignments")  # what importers may feed
EXPORT_ENTITIES = (*ENTITIES, "marks")  # exporters also write journal marks (read-only)
HOOKS = ("register_permissions", "register_importers", "register_exporters")  # the order they are collected in
IMPORT_ACTION, EXPORT_ACTION = "import.run", "export.personal_data"
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


class PluginError(ZhurnalError):
    """A plugin problem the user must hear about: unknown format, a missing dependency, a bad plugin."""


def require_defusedxml() -> None:
    """The hub refuses to start without defusedxml: XML-based formats (XLSX, OneRoster) parse untrusted files."""
    try:
        importlib.import_module("defusedxml")
    except ImportError as exc:
        raise PluginError("Не установлен пакет defusedxml, без него импорт файлов небезопасен: "
                          "pip install defusedxml") from exc


@dataclass(frozen=True)
class LoadError:
    plugin: str
    message: str


@dataclass(frozen=True)
class DeclaredAction:
    name: str
    description: str
    roles: frozenset[str]
    plugin: str


@dataclass(frozen=True)
class Provided:
    """A registered importer or exporter and the plugin that provided it."""

    plugin: str
    item: Any


@dataclass
class PluginInfo:
    """One plugin as `zhurnal plugins` shows it."""

    name: str
    version: str | None
    builtin: bool
    status: str  # loaded | failed | blocked | not_allowed
    module: str = ""
    hooks: list[str] = field(default_factory=list)
    importers: list[str] = field(default_factory=list)
    exporters: list[str] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "builtin": self.builtin, "status": self.status,
                "module": self.module, "hooks": self.hooks, "importers": self.importers,
                "exporters": self.exporters, "permissions": self.permissions, "errors": self.errors}


def _config_lists(raw: dict[str, Any]) -> tuple[list[str] | None, list[str]]:
    section = raw.get("plugins", {}) if isinstance(raw, dict) else {}
    allow, block = section.get("allow"), section.get("block", [])
    if allow is not None and not (isinstance(allow, list) and all(isinstance(a, str) for a in allow)):
        raise PluginError("config.toml: [plugins] allow должен быть списком имён")
    if not (isinstance(block, list) and all(isinstance(b, str) for b in block)):
        raise PluginError("config.toml: [plugins] block должен быть списком имён")
    return allow, list(block)


class Hub:
    """The plugin manager of one process: what is loaded, what it provides, and the permission check."""

    def __init__(self, *, allow: Iterable[str] | None = None, block: Iterable[str] = (),
                 builtins: Sequence[str] = DEFAULT_PLUGINS, entry_points: bool = True) -> None:
        require_defusedxml()
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.allow = None if allow is None else {a.lower() for a in allow}
        self.block = {b.lower() for b in block}
        self.load_errors: list[LoadError] = []
        self.infos: dict[str, PluginInfo] = {}
        self.importers: dict[str, Provided] = {}
        self.exporters: dict[str, Provided] = {}
        self.actions: dict[str, DeclaredAction] = {}
        self._collect_errors: list[LoadError] = []
        for module_name in builtins:
            self._load_builtin(module_name)
        if entry_points:
            self._load_entry_points()
        self.pm.check_pending()
        self.collect()

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None = None, **kwargs: Any) -> Hub:
        """A hub with the allow- and block-lists of the config file (or of `raw`, its parsed content)."""
        if raw is None:
            from zhurnal.core.config import load

            raw = load().raw
        allow, block = _config_lists(raw)
        return cls(allow=allow, block=block, **kwargs)

    # ---- loading --------------------------------------------------------------------------------------

    def _register(self, plugin: object, name: str) -> None:
        """Register and refuse implementations that match no hook (check_pending, but per plugin)."""
        self.pm.register(plugin, name=name)
        unknown = [caller.name for caller in self.pm.get_hookcallers(plugin) or []
                   if caller.spec is None and not any(i.optionalhook for i in caller.get_hookimpls()
                                                      if i.plugin is plugin)]
        if unknown:
            self.pm.unregister(plugin)
            raise PluginError(f"неизвестные хуки: {', '.join(sorted(unknown))} (есть: {', '.join(HOOKS)})")

    def _load_builtin(self, module_name: str) -> None:
        short = module_name.rsplit(".", 1)[-1]
        info = PluginInfo(f"builtin:{short}", zhurnal_version, True, "loaded", module_name)
        self.infos[info.name] = info
        # A built-in that fails to load is a bug in zhurnal itself: let it raise.
        self._register(importlib.import_module(module_name), info.name)

    def _wanted(self, names: set[str]) -> str | None:
        if names & self.block:
            return "blocked"
        if self.allow is not None and not names & self.allow:
            return "not_allowed"
        return None

    def _load_entry_points(self) -> None:
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(entry_point, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            name = entry_point.name
            info = PluginInfo(name, version, False, "loaded", entry_point.value)
            self.infos[name] = info
            skip = self._wanted({n.lower() for n in (name, dist_name) if n})
            if skip is not None:
                info.status = skip
                continue
            try:
                plugin = entry_point.load()
                self._register(plugin, name)
            except Exception as exc:  # a broken plugin must not break the others (llm #1280)
                info.status = "failed"
                message = f"не загружен: {type(exc).__name__}: {exc}"
                info.errors.append(message)
                self.load_errors.append(LoadError(name, message))

    def register(self, plugin: object, name: str) -> None:
        """Register a plugin object at run time (tests, embedding) and collect what it provides."""
        self.infos[name] = PluginInfo(name, None, False, "loaded", getattr(plugin, "__name__", type(plugin).__name__))
        self._register(plugin, name)
        self.collect()

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self.infos.pop(name, None)
        self.collect()

    # ---- collecting registrations ---------------------------------------------------------------------

    def collect(self) -> None:
        """Ask every plugin for its permissions, importers and exporters again (after a change of plugins)."""
        self.importers, self.exporters, self.actions = {}, {}, {}
        self.load_errors = [e for e in self.load_errors if e not in self._collect_errors]
        self._collect_errors = []
        order = list(self.infos)
        for info in self.infos.values():
            info.hooks, info.importers, info.exporters, info.permissions = [], [], [], []
            info.errors = [e.message for e in self.load_errors if e.plugin == info.name]
        for hook_name in HOOKS:
            caller = getattr(self.pm.hook, hook_name)
            impls = sorted(caller.get_hookimpls(), key=lambda i: order.index(i.plugin_name)
                           if i.plugin_name in order else len(order))
            for impl in impls:
                owner = self.infos.get(impl.plugin_name)
                if owner is not None:
                    owner.hooks.append(hook_name)
                items: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

                def register(*args: Any, _items: list[Any] = items, **kwargs: Any) -> None:
                    _items.append((args, kwargs))

                available: dict[str, Any] = {"register": register}
                try:
                    impl.function(**{arg: available[arg] for arg in impl.argnames})
                    accepted = [self._validate(hook_name, impl.plugin_name, args, kwargs) for args, kwargs in items]
                except Exception as exc:
                    self._collect_error(impl.plugin_name, f"{hook_name}: {exc}")
                    continue
                for item in accepted:
                    self._accept(hook_name, impl.plugin_name, item)

    def _collect_error(self, plugin: str, message: str) -> None:
        error = LoadError(plugin, message)
        self._collect_errors.append(error)
        self.load_errors.append(error)
        if plugin in self.infos:
            self.infos[plugin].errors.append(message)

    def _validate(self, hook_name: str, plugin: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if hook_name == "register_permissions":
            return self._validate_action(plugin, *args, **kwargs)
        if len(args) != 1 or kwargs:
            raise PluginError("register(...) принимает один объект")
        item = args[0]
        base = Importer if hook_name == "register_importers" else Exporter
        registry = self.importers if base is Importer else self.exporters
        what = "импортёр" if base is Importer else "экспортёр"
        if not isinstance(item, base):
            raise PluginError(f"{what} должен быть экземпляром подкласса zhurnal.plugins.{base.__name__}, "
                              f"а получен {type(item).__name__}")
        name = getattr(item, "name", None)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise PluginError(f"{what}: имя {name!r} — нужны строчные латинские буквы, цифры, - и _ (до 40)")
        if name in registry:
            raise PluginError(f"{what} «{name}» уже зарегистрирован плагином {registry[name].plugin}")
        title = getattr(item, "title", None)
        if not isinstance(title, str) or not title.strip() or "\n" in title:
            raise PluginError(f"{what} «{name}»: нужен title — одна непустая строка")
        endings = item.extensions if isinstance(item, Importer) else (getattr(item, "extension", None),)
        if not isinstance(endings, tuple) or not all(isinstance(e, str) and e.startswith(".") for e in endings):
            raise PluginError(f"{what} «{name}»: расширения файлов пишутся с точкой («.csv»)")
        entities = item.entities
        known = ENTITIES if isinstance(item, Importer) else EXPORT_ENTITIES
        if entities is not None and (not isinstance(entities, tuple) or not set(entities) <= set(known)):
            raise PluginError(f"{what} «{name}»: entities — кортеж из {', '.join(known)} или None")
        actions = item.actions
        if not isinstance(actions, tuple):
            raise PluginError(f"{what} «{name}»: actions — кортеж имён действий")
        for action in actions:
            if action not in ACTIONS and action not in self.actions:
                raise PluginError(f"{what} «{name}»: неизвестное действие «{action}»; объявите его в "
                                  "register_permissions")
        return item

    def _validate_action(self, plugin: str, name: Any, description: Any,
                         roles: Iterable[str] = ("admin",)) -> DeclaredAction:
        if not isinstance(name, str) or len(name) > 60 or not _ACTION.fullmatch(name):
            raise PluginError(f"действие {name!r}: имя вида «область.действие» строчными латинскими буквами")
        if name in ACTIONS:
            raise PluginError(f"действие «{name}» — встроенное, его не объявляют заново")
        if name in self.actions:
            raise PluginError(f"действие «{name}» уже объявил плагин {self.actions[name].plugin}")
        if not isinstance(description, str) or not description.strip() or "\n" in description \
                or len(description) > 200:
            raise PluginError(f"действие «{name}»: описание — одна непустая строка до 200 знаков")
        if isinstance(roles, str):
            roles = (roles,)
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise PluginError(f"действие «{name}»: неизвестные роли {', '.join(sorted(unknown))}")
        return DeclaredAction(name, description.strip(), frozenset(roles), plugin)

    def _accept(self, hook_name: str, plugin: str, item: Any) -> None:
        info = self.infos.get(plugin)
        if isinstance(item, DeclaredAction):
            self.actions[item.name] = item
            if info is not None:
                info.permissions.append(item.name)
        elif isinstance(item, Importer):
            self.importers[item.name] = Provided(plugin, item)
            if info is not None:
                info.importers.append(item.name)
        else:
            self.exporters[item.name] = Provided(plugin, item)
            if info is not None:
                info.exporters.append(item.name)

    # ---- lookups --------------------------------------------------------------------------------------

    def importer(self, name: str) -> Importer:
        found = self.importers.get(name.strip().lower())
        if found is None:
            raise PluginError(f"Неизвестный формат импорта «{name}»; есть: {', '.join(sorted(self.importers)) or '—'}"
                              + self._failed_hint())
        return found.item

    def exporter(self, name: str) -> Exporter:
        found = self.exporters.get(name.strip().lower())
        if found is None:
            raise PluginError(f"Неизвестный формат экспорта «{name}»; есть: "
                              f"{', '.join(sorted(self.exporters)) or '—'}" + self._failed_hint())
        return found.item

    def _failed_hint(self) -> str:
        failed = sorted({e.plugin for e in self.load_errors})
        return f" (не загрузились плагины: {', '.join(failed)}; см. «zhurnal plugins»)" if failed else ""

    def detect_importer(self, data: bytes, file_name: str) -> Importer:
        """The importer most sure it reads this file (see Importer.detect); PluginError when none is."""
        scored = []
        for provided in self.importers.values():
            try:
                score = int(provided.item.detect(data, file_name))
            except Exception:
                score = 0
            scored.append((score, provided.item))
        scored.sort(key=lambda pair: -pair[0])
        if not scored or scored[0][0] <= 0:
            raise PluginError(f"Не удалось определить формат файла {file_name}: укажите --format "
                              f"({', '.join(sorted(self.importers))})")
        return scored[0][1]

    def plugins(self) -> list[PluginInfo]:
        return list(self.infos.values())

    # ---- permissions ----------------------------------------------------------------------------------

    def action_allowed(self, actor: Actor, action: str) -> bool:
        if action in ACTIONS:
            return action in actor.actions
        declared = self.actions.get(action)
        if declared is None:
            raise PluginError(f"Действие «{action}» не объявлено ни одним плагином")
        return bool(actor.roles & declared.roles)

    def require(self, store: Any, actor: Actor, actions: Iterable[str], what: str) -> None:
        """PermissionDenied (audited, like every refusal) unless `actor` holds every action in `actions`.

        Built-in actions go through core's single check; plugin-declared ones are held by the roles the
        plugin declared them for.
        """
        from zhurnal.core.uow import record_outside

        for action in dict.fromkeys(actions):
            if action in ACTIONS:
                try:
                    check_core_action(actor, action)
                    continue
                except PermissionDenied:
                    pass
            elif self.action_allowed(actor, action):
                continue
            record_outside(store, actor, AuditEvent(f"{what}.denied", outcome="denied", detail=action))
            raise PermissionDenied(action)


_HUB: Hub | None = None


def get_hub(factory: Callable[[], Hub] = Hub.from_config) -> Hub:
    """The process's hub, loaded on first use with the config file's allow- and block-lists."""
    global _HUB
    if _HUB is None:
        _HUB = factory()
    return _HUB
