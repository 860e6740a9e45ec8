"""`zhurnal import`, `zhurnal export` and `zhurnal plugins` as a user runs them: real processes, a real file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import PASSWORD, zhurnal
from tests.test_import_support import DATA, write_csv

SIGNED_IN = ("--user", "director", "--password-stdin")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    result = zhurnal(folder, "init", "--school", "МБОУ «СОШ № 3»", "--admin", "director", "--password-stdin",
                     stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return folder


def test_dry_run_then_apply_then_reimport(data):
    staff = str(DATA / "staff_utf8_comma.csv")
    dry = zhurnal(data, *SIGNED_IN, "import", staff, "--dry-run", stdin=PASSWORD + "\n")
    assert dry.returncode == 0, dry.stderr
    for expected in ("Кодировка: utf-8 (определена автоматически)", "Разделитель: «,» (запятая)",
                     "«Должность» → position (Должность)", "Итог: новых 2, изменённых 1",
                     "строка 3: изменение: Соколова Татьяна Михайловна [position]", "ничего не записано"):
        assert expected in dry.stdout, dry.stdout
    unconfirmed = zhurnal(data, *SIGNED_IN, "import", staff, stdin=PASSWORD + "\n")
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stdout
    applied = zhurnal(data, *SIGNED_IN, "import", staff, "--yes", stdin=PASSWORD + "\n")
    assert applied.returncode == 0 and "Записано: новых 2, изменённых 1" in applied.stdout, applied.stdout
    again = zhurnal(data, *SIGNED_IN, "import", staff, "--yes", stdin=PASSWORD + "\n")
    assert again.returncode == 0 and "Итог: новых 0, изменённых 0, без изменений 3" in again.stdout
    assert json.loads(zhurnal(data, "stats", "--json").stdout)["staff"] == 2


def test_errors_name_row_and_column_and_exit_1(data, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [["Фамилия", "Имя", "Дата рождения", "Класс"],
                                            ["Иванов", "Иван", "2015-13-01", "5А"]], encoding="cp1251")
    result = zhurnal(data, *SIGNED_IN, "import", str(path), "--yes", stdin=PASSWORD + "\n")
    assert result.returncode == 1
    assert "Кодировка: cp1251" in result.stdout
    assert "ошибка: Строка 2, столбец «Дата рождения»: такой даты нет в календаре" in result.stdout
    assert "ошибка: Строка 2, столбец «Класс»: 5А не найден в учебном году" in result.stdout
    assert "Ничего не записано" in result.stdout


def test_unreadable_file_is_refused_with_a_clear_message(data, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes("Фамилия;Имя\nИванов;\"Иван\n".encode())
    result = zhurnal(data, *SIGNED_IN, "import", str(path), "--entity", "staff", stdin=PASSWORD + "\n")
    assert result.returncode == 1 and "незакрытая кавычка" in result.stderr and "Ничего не записано" in result.stderr


def test_export_neutralises_formulas_and_asks_the_password_again(data, tmp_path):
    path = write_csv(tmp_path / "evil.csv", [["Фамилия", "Имя", "Должность", "Номер приказа", "Дата приказа"],
                                             ["Иванов", "Иван", "=HYPERLINK(\"x\")", "1-к", "01.09.2026"]])
    assert zhurnal(data, *SIGNED_IN, "import", str(path), "--yes", stdin=PASSWORD + "\n").returncode == 0
    out = tmp_path / "staff.csv"
    wrong = zhurnal(data, *SIGNED_IN, "export", "--format", "csv", "--entity", "staff", "--out", str(out),
                    stdin=f"{PASSWORD}\nnot my password\n")
    assert wrong.returncode == 2 and not out.exists()
    done = zhurnal(data, *SIGNED_IN, "export", "--format", "csv", "--entity", "staff", "--out", str(out),
                   stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0 and "Выгружено строк: 1" in done.stdout, done.stderr
    text = out.read_bytes().decode("utf-8-sig")
    assert "'=HYPERLINK(\"\"x\"\")" in text and oct(out.stat().st_mode & 0o777) == "0o600"


def test_plugins_lists_the_builtin_csv_format(data):
    result = zhurnal(data, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    csv = listed["builtin:csv_format"]
    assert csv["importers"] == ["csv"] and csv["exporters"] == ["csv"] and csv["status"] == "loaded"
    assert set(csv["hooks"]) == {"register_importers", "register_exporters"}
    text = zhurnal(data, "plugins")
    assert "импорт: csv" in text.stdout
