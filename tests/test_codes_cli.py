"""`zhurnal codes issue|redeem` as a user runs them: real processes on a demo school in a SQLite file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from tests.test_cli import zhurnal

PASSWORD = "long operator passphrase 42"
CODE = re.compile(r"[2-9A-Z]{5}-[2-9A-Z]{5}-[2-9A-Z]{5}")


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("codes-demo")
    built = zhurnal(folder, "demo", "--admin", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert built.returncode == 0, built.stderr
    return folder


@pytest.fixture
def data(demo_data: Path, tmp_path: Path) -> Path:
    """A private copy of the demo school for one test."""
    folder = tmp_path / "data"
    shutil.copytree(demo_data, folder)
    return folder


def as_admin(data: Path, *args: str):
    # The operator signs in, then confirms the password again before letters (personal data) are written.
    return zhurnal(data, "--user", "admin", "--password-stdin", "codes", *args, stdin=PASSWORD + "\n" + PASSWORD + "\n")


def test_issue_writes_letters_and_never_prints_the_codes(data: Path, tmp_path: Path):
    out = tmp_path / "5А.pdf"
    result = as_admin(data, "issue", "--class", "5а", "--out", str(out))
    assert result.returncode == 0, result.stderr
    count = int(re.search(r"Выдано кодов обучающимся: (\d+) \(класс 5А\)", result.stdout)[1])
    assert str(out) in result.stdout and count >= 1
    assert "уже входит со своим паролем" in result.stdout  # the demo's students who signed in (docs/demo.md)
    assert not CODE.search(result.stdout + result.stderr)
    assert len(PdfReader(out).pages) == count and (out.stat().st_mode & 0o777) == 0o600


def test_parents_letters_as_xlsx_then_a_parent_redeems_once(data: Path, tmp_path: Path):
    out = tmp_path / "parents.xlsx"
    result = as_admin(data, "issue", "--parallel", "5", "--parents", "--days", "7", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Выдано кодов родителям" in result.stdout and not CODE.search(result.stdout)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Письма").to_python()
    _, _, login, code, _, whom = rows[1]
    assert whom.startswith("родителю: ") and CODE.fullmatch(code)
    redeemed = zhurnal(data, "--password-stdin", "codes", "redeem", login, stdin=f"{code}\nour family phrase\n")
    assert redeemed.returncode == 0, redeemed.stderr
    assert "Пароль сохранён" in redeemed.stdout
    again = zhurnal(data, "--password-stdin", "codes", "redeem", login, stdin=f"{code}\nanother long phrase\n")
    assert again.returncode == 2 and "Код неверен или устарел" in again.stderr
    signed_in = zhurnal(data, "--user", login, "--password-stdin", "people", "search", stdin="our family phrase\n")
    assert signed_in.returncode == 2 and "Недостаточно прав" in signed_in.stderr  # signed in; a parent reads no lists


def test_redeem_refuses_a_weak_password_and_keeps_the_code(data: Path, tmp_path: Path):
    out = tmp_path / "5Б.xlsx"
    assert as_admin(data, "issue", "--class", "5Б", "--out", str(out)).returncode == 0
    _, _, login, code, _, _ = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Письма").to_python()[1]
    weak = zhurnal(data, "--password-stdin", "codes", "redeem", login, stdin=f"{code}\nshort\n")
    assert weak.returncode == 1 and "Пароль: не короче 12 символов" in weak.stderr
    good = zhurnal(data, "--password-stdin", "codes", "redeem", login, stdin=f"{code.lower()}\nthe long pass phrase\n")
    assert good.returncode == 0, good.stderr


def test_issue_refuses_other_extensions_and_needs_an_account(data: Path, tmp_path: Path):
    wrong = as_admin(data, "issue", "--all", "--out", str(tmp_path / "letters.docx"))
    assert wrong.returncode == 2 and ".pdf или .xlsx" in wrong.stderr
    both = as_admin(data, "issue", "--all", "--class", "5А", "--out", str(tmp_path / "x.pdf"))
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    anonymous = zhurnal(data, "codes", "issue", "--all", "--out", str(tmp_path / "x.pdf"))
    assert anonymous.returncode == 2 and "--user" in anonymous.stderr
    assert not list(tmp_path.glob("letters*")) and not list(tmp_path.glob("x*"))
    unknown = zhurnal(data, "--password-stdin", "codes", "redeem", "nobody",
                      stdin="AAAAA-BBBBB-CCCCC\nsome long phrase\n")
    assert unknown.returncode == 2 and "Код неверен или устарел" in unknown.stderr


def test_letters_ask_for_the_password_again(data: Path, tmp_path: Path):
    out = tmp_path / "5Б.pdf"
    refused = zhurnal(data, "--user", "admin", "--password-stdin", "codes", "issue", "--class", "5Б", "--out",
                      str(out), stdin=PASSWORD + "\nnot my password at all\n")
    assert refused.returncode == 2 and "Неверный пароль" in refused.stderr
    assert not out.exists()
