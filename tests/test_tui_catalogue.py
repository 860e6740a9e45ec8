"""The interface's message catalogue: every key in both languages, every key the code uses present, no Russian
text hard-coded in the app, and every key binding documented."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from zhurnal.tui import i18n
from zhurnal.tui.app.app import binding_owners, known_binding_ids
from zhurnal.tui.app.keys import PREFIX
from zhurnal.tui.app.labels import dynamic_keys

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tui" / "app"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def load(lang: str) -> dict[str, str]:
    return json.loads((ROOT / "tui" / "i18n" / f"{lang}.json").read_text("utf-8"))


def app_sources() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def literal_keys() -> set[str]:
    """Every `t("...")` with a literal key in the app's code."""
    found: set[str] = set()
    for path in app_sources():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def used_keys() -> set[str]:
    keys = literal_keys() | dynamic_keys() | {PREFIX + binding_id for binding_id in known_binding_ids()}
    for owner in binding_owners():
        for attribute in ("TITLE_KEY", "HELP_KEY"):
            if hasattr(owner, attribute):
                keys.add(getattr(owner, attribute))
        # Keys a screen builds at run time (t(f"report.col.{name}")) are listed by the screen itself.
        keys |= set(getattr(owner, "DYNAMIC_KEYS", ()))
    return keys


def test_the_code_uses_keys_at_all():
    # Guards the scan itself: a broken parser would make the completeness checks pass vacuously.
    assert len(literal_keys()) > 50 and "login.submit" in literal_keys()


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_key_used_in_code_is_in_the_catalogue(lang):
    missing = sorted(used_keys() - set(load(lang)))
    assert not missing, f"{lang}.json lacks {missing}"


def test_both_languages_have_the_same_keys():
    ru, en = set(load("ru")), set(load("en"))
    assert not ru - en, f"en.json lacks {sorted(ru - en)}"
    assert not en - ru, f"ru.json lacks {sorted(en - ru)}"


def test_no_key_is_left_unused():
    unused = sorted(set(load("ru")) - used_keys())
    assert not unused, f"keys no code uses: {unused}"


def test_both_languages_format_the_same_fields():
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    ru, en = load("ru"), load("en")
    differing = [key for key in ru if fields(ru[key]) != fields(en.get(key, ""))]
    assert not differing


def test_a_missing_key_fails_the_check():
    # The check above really sees a key removed from one language.
    trimmed = {k: v for k, v in load("en").items() if k != "login.submit"}
    assert "login.submit" in used_keys() - set(trimmed)


def test_russian_is_the_default_and_english_on_request():
    try:
        i18n.set_language(i18n.choose(None, None))
        assert i18n.language() == "ru" and i18n.t("login.submit") == "Войти"
        i18n.set_language(i18n.choose("en", "ru"))
        assert i18n.t("login.submit") == "Sign in"
        assert i18n.choose(None, "EN") == "en" and i18n.choose("de", None) == "ru"
        with pytest.raises(ValueError):
            i18n.set_language("de")
    finally:
        i18n.set_language("ru")


def test_no_russian_text_is_hard_coded_in_the_app():
    # User-facing strings live in the catalogue; docstrings and comments may speak Russian in examples.
    offenders = []
    for path in app_sources():
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and CYRILLIC.search(node.value)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not offenders


def test_every_binding_id_is_documented():
    doc = (ROOT / "docs" / "tui.md").read_text("utf-8")
    missing = sorted(b for b in known_binding_ids() if f"`{b}`" not in doc)
    assert not missing, f"docs/tui.md does not list {missing}"
