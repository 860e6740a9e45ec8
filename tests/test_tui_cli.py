"""`zhurnal` with no command: the console on a terminal, the summary anywhere else; `--lang` reaches the app."""

from __future__ import annotations

import io

import pytest

import zhurnal.tui.app as console
from zhurnal.tui.cli import main


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def db(store) -> str:
    return store.url


def test_a_terminal_gets_the_console(db, monkeypatch):
    calls = []
    monkeypatch.setattr(console, "run", lambda store, **kwargs: calls.append((store.url, kwargs)) or 0)
    assert main(["--db", db, "--lang", "en", "--school", "school-1"], stdin=Tty(), stdout=Tty()) == 0
    assert calls == [(db, {"lang": "en", "school_code": "school-1"})]


def test_a_pipe_gets_the_summary(db, monkeypatch):
    monkeypatch.setattr(console, "run", lambda *a, **k: pytest.fail("the console opened without a terminal"))
    out = io.StringIO()
    assert main(["--db", db], stdin=Tty(), stdout=out) == 0
    assert "МБОУ «СОШ № 1»" in out.getvalue() and "Обучающихся" in out.getvalue()


def test_lang_accepts_only_known_languages(db, capsys):
    with pytest.raises(SystemExit):
        main(["--db", db, "--lang", "de"])
    assert "--lang" in capsys.readouterr().err
