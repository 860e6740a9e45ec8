"""The roster format on its own, and an import and an export through zhurnal's engine."""

from __future__ import annotations

import io
from datetime import date

import pytest
from zhurnal_roster import RosterExporter, RosterImporter

from zhurnal.core.services.classes import ClassService
from zhurnal.core.services.schools import SchoolService
from zhurnal.core.store import Store
from zhurnal.plugins import ExportTable, FormatError, ReadOptions, WriteOptions
from zhurnal.plugins.engine.export import export
from zhurnal.plugins.engine.run import ImportOptions, import_file
from zhurnal.plugins.manager import Hub

TODAY = date(2026, 11, 28)
ROSTER = ("# zhurnal roster 1\nФамилия|Имя|Отчество|Дата рождения|Класс\n# a comment\n"
          "Иванов|Пётр|Сергеевич|12.03.2015|5А\n")


def test_read():
    parsed = RosterImporter().read(ROSTER.encode(), ReadOptions(max_rows=10))
    table = parsed.tables[0]
    assert table.headers == ["Фамилия", "Имя", "Отчество", "Дата рождения", "Класс"]
    assert [(r.number, list(r.cells)) for r in table.rows] == [(4, ["Иванов", "Пётр", "Сергеевич", "12.03.2015",
                                                                    "5А"])]


def test_read_refuses_what_it_cannot_read():
    with pytest.raises(FormatError, match="UTF-8"):
        RosterImporter().read("Иванов".encode("cp1251"), ReadOptions(max_rows=10))
    with pytest.raises(FormatError, match="rows"):
        RosterImporter().read(ROSTER.encode(), ReadOptions(max_rows=0))


def test_detect_by_content_and_by_name():
    assert RosterImporter().detect(ROSTER.encode(), "list.txt") == 50
    assert RosterImporter().detect(b"x", "list.roster") == 10
    assert RosterImporter().detect(b"x", "list.csv") == 0


def test_write():
    table = ExportTable("students", ["Фамилия", "Имя", "Отчество", "Дата рождения", "Класс"],
                        ["last_name", "first_name", "middle_name", "birth_date", "class_name"],
                        [["Иванов", "Пётр", None, date(2015, 3, 12), "5А"]])
    out = io.BytesIO()
    RosterExporter().write([table], out, WriteOptions())
    assert out.getvalue().decode() == ("# zhurnal roster 1\nФамилия|Имя|Отчество|Дата рождения|Класс\n"
                                       "Иванов|Пётр||12.03.2015|5А\n")


@pytest.fixture
def school(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'school.sqlite3'}")
    store.upgrade()
    created = SchoolService(store).initialise(name="Школа", code="test", admin_login="director",
                                              admin_password="a long enough admin password 1", today=TODAY)
    ClassService(store).create(created.admin, created.year_id, 5, "А")
    yield store, created.admin
    store.dispose()


def test_import_and_export_through_zhurnal(school, tmp_path):
    store, admin = school
    hub = Hub()  # finds this plugin through its entry point once installed
    assert "roster" in hub.importers and "roster" in hub.exporters
    path = tmp_path / "5a.roster"
    path.write_text(ROSTER, encoding="utf-8")
    options = ImportOptions(order="12-у от 01.09.2026", today=TODAY)  # the format is detected
    dry = import_file(hub, store, admin, path, options, dry_run=True)
    assert dry.prepared.format == "roster" and dry.report.counts["new"] == 1 and not dry.applied
    applied = import_file(hub, store, admin, path, options, dry_run=False)
    assert applied.applied and applied.report.counts["new"] == 1
    out = io.BytesIO()
    assert export(hub, store, admin, "students", "roster", out, on=TODAY).rows == 1
    assert out.getvalue().decode().splitlines()[2] == "Иванов|Пётр|Сергеевич|12.03.2015|5А"
    again = import_file(hub, store, admin, path, options, dry_run=False)
    assert again.applied and again.report.counts["unchanged"] == 1
