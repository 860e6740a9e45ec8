"""The import wizard and the export dialog driven with Pilot at 80×24 against a demo school: a small CSV read
(mapping shown and changed, an error shown with its row and column), fixed, dry-run, applied, the people then
found by PersonService; the same file again changes nothing and its mapping is remembered; an export writes a
file only after the user's own password."""

from __future__ import annotations

import threading
from pathlib import Path

import openpyxl
import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, ProgressBar, Select, Static

from tests.conftest import ADMIN_PASSWORD
from tests.test_import_support import runs, write_csv
from tests.test_tui import actor, demo, drive, make_app, russian, screen_text, settle  # noqa: F401
from tests.test_tui_backups import until
from zhurnal.core.permissions import Actor
from zhurnal.core.services.persons import PersonService
from zhurnal.core.store import Store
from zhurnal.tui.app import import_calls
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.exports import ExportScreen
from zhurnal.tui.app.screens.imports import ImportScreen
from zhurnal.tui.app.screens.secret_prompt import SecretPrompt

HEADER = ["Фамилия", "Имя", "Отчество", "Дата рождения", "Работа", "Номер приказа", "Дата приказа"]
GOOD = [["Импортова", "Алла", "Петровна", "14.02.1980", "учитель музыки", "77-к", "25.08.2026"],
        ["Загрузкин", "Олег", "Ильич", "09.09.1975", "учитель физики", "77-к", "25.08.2026"]]


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder of this test: its imports and exports subfolders; no backups configured."""
    folder = tmp_path / "data"
    (folder / "imports").mkdir(parents=True)
    monkeypatch.setenv("ZHURNAL_DATA_DIR", str(folder))
    monkeypatch.delenv("ZHURNAL_CONFIG_DIR", raising=False)
    return folder


def rows(app, selector: str = "#import-table") -> list[list[str]]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def found(store: Store, actor: Actor, text: str) -> list[str]:  # noqa: F811
    return [r.full_name for r in PersonService(store).search(actor, text).rows]


async def open_import(pilot: Pilot[None]) -> ImportScreen:
    pilot.app.action_open("import")  # type: ignore[attr-defined]
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    return screen


async def choose_field(pilot: Pilot[None], screen: ImportScreen, header: str, field: str) -> None:
    """Highlight the column `header` in the mapping and choose `field` for it in the selector below."""
    table = screen.query_one("#import-table", DataTable)
    index = next(i for i, row in enumerate(rows(pilot.app)) if row[0] == header)
    table.move_cursor(row=index)
    await pilot.pause()
    select = screen.query_one("#import-field", Select)
    select.focus()
    await pilot.pause()
    select.value = field
    await settle(pilot)


async def open_export(pilot: Pilot[None]) -> ExportScreen:
    pilot.app.action_open("export")  # type: ignore[attr-defined]
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExportScreen)
    return screen


async def read_staff_file(pilot: Pilot[None]) -> ImportScreen:
    """Open the wizard and read imports/staff.csv as a staff list: the mapping step."""
    screen = await open_import(pilot)
    screen.query_one("#import-path", Input).value = "staff.csv"
    screen.query_one("#import-entity", Select).value = "staff"
    await pilot.press("f9")
    await settle(pilot)
    return screen


def test_import_wizard_reads_maps_previews_and_applies(demo, actor, data_folder):  # noqa: F811
    path = write_csv(data_folder / "imports" / "staff.csv",
                     [HEADER, GOOD[0], ["Загрузкин", "Олег", "Ильич", "31.02.1975", "учитель физики", "77-к",
                                        "25.08.2026"]])
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_import(pilot)
        assert rows(app, "#import-files") == [["staff.csv"]]  # the imports folder is listed
        assert "imports" in screen_text(app)
        screen.query_one("#import-entity", Select).value = "staff"  # "Работа" does not say who is in the list
        screen.query_one("#import-files", DataTable).focus()
        await pilot.press("enter")  # Enter on the file takes it and reads it
        await settle(pilot)
        assert screen.step == "mapping"
        text = screen_text(app)
        assert "staff.csv" in text and "utf-8" in text  # the detected encoding is shown
        mapping = {row[0]: row[1] for row in rows(app)}
        assert mapping["Фамилия"] == "Фамилия" and mapping["Работа"] == "не используется"
        await choose_field(pilot, screen, "Работа", "position")  # the user maps the unknown column
        assert {row[0]: row[1] for row in rows(app)}["Работа"] == "Должность"
        assert screen.step == "mapping" and screen.mapping == {"Работа": "position"}
        await pilot.press("f9")  # the dry run
        await settle(pilot)
        assert screen.step == "preview"
        preview = rows(app)
        assert ["3", "Дата рождения", "такой даты нет в календаре"] in [[*r[:2], r[2][:26]] for r in preview]
        assert "с ошибками: 1" in screen_text(app)
        await pilot.press("f9")  # refused: the dry run has errors
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        write_csv(path, [HEADER, *GOOD])  # the user fixes the file and reads it again
        await pilot.press("escape", "escape")
        assert screen.step == "file"
        await pilot.press("f9")
        await settle(pilot)
        assert {row[0]: row[2] for row in rows(app)}["Работа"] == "указано вами"  # the mapping is kept
        await pilot.press("f9")
        await settle(pilot)
        assert "новых: 2" in screen_text(app) and "с ошибками: 0" in screen_text(app)
        assert found(demo, actor, "Импортова") == []  # a dry run writes nothing
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert screen.step == "done" and screen.result is not None and screen.result.applied
        assert "Записано" in screen_text(app)

    drive(app, scenario)
    assert found(demo, actor, "Импортова") == ["Импортова Алла Петровна"]
    assert found(demo, actor, "Загрузкин") == ["Загрузкин Олег Ильич"]

    again = make_app(demo, actor)

    async def reimport(pilot: Pilot[None]) -> None:
        screen = await open_import(pilot)
        screen.query_one("#import-path", Input).value = "staff.csv"  # a bare name: the imports folder's file
        screen.query_one("#import-entity", Select).value = "staff"
        await pilot.press("f9")
        await settle(pilot)
        assert {row[0]: row[2] for row in rows(again)}["Работа"] == "запомнено"  # the last mapping is used
        await pilot.press("f9")
        await settle(pilot)
        text = screen_text(again)
        assert "новых: 0" in text and "изменённых: 0" in text and "без изменений: 2" in text
        assert not screen.check_action("apply", ())  # nothing to write

    drive(again, reimport)
    assert found(demo, actor, "Импортова") == ["Импортова Алла Петровна"]


@pytest.mark.parametrize("how", ["escape", "leave"])
def test_escape_during_the_apply_cancels_it_and_nothing_is_written(demo, actor, data_folder,  # noqa: F811
                                                                      monkeypatch, how):
    write_csv(data_folder / "imports" / "staff.csv", [HEADER, *GOOD])
    # The apply is held at its first progress report (the people are inserted by then, in the transaction)
    # until the test has pressed Escape: deterministic, no timing.
    reached, go = threading.Event(), threading.Event()
    real = import_calls.run_import

    def held(ctx, hub, prepared, *, dry_run, progress=None):  # type: ignore[no-untyped-def]
        def report(done: int, total: int) -> None:
            if not dry_run:
                reached.set()
                assert go.wait(30)
            progress(done, total)
        return real(ctx, hub, prepared, dry_run=dry_run, progress=report)

    monkeypatch.setattr(import_calls, "run_import", held)
    before = len(runs(demo))
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await read_staff_file(pilot)
        await choose_field(pilot, screen, "Работа", "position")
        await pilot.press("f9")  # the dry run
        await settle(pilot)
        assert "новых: 2" in screen_text(app)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        try:
            await until(pilot, reached.is_set)
            assert screen.running and screen.query_one("#import-progress-area").display
            assert "esc Отменить" in screen_text(app)  # the footer shows the key while the apply runs
            if how == "leave":  # the screen goes (another section, the lock): its worker is cancelled
                app.pop_screen()
                await pilot.pause()
                assert not isinstance(app.screen, ImportScreen)
                return
            await pilot.press("escape")  # asks nothing
            assert screen.cancel_requested.is_set() and not isinstance(app.screen, ConfirmScreen)
        finally:
            go.set()
            await settle(pilot)
        assert isinstance(app.screen, ImportScreen) and screen.step == "done" and not screen.running
        assert screen.result is None
        assert "Импорт отменён: ничего не записано" in screen_text(app)
        assert not screen.query_one("#import-progress-area").display

    drive(app, scenario)
    assert found(demo, actor, "Импортова") == [] and found(demo, actor, "Загрузкин") == []
    log = runs(demo)
    assert len(log) == before + 2 and [r.outcome for r in log[-2:]] == ["dry_run", "cancelled"]


def test_the_bar_shows_the_apply_s_progress(demo, actor, data_folder):  # noqa: F811
    write_csv(data_folder / "imports" / "staff.csv", [HEADER, *GOOD])
    app = make_app(demo, actor)
    shown: list[tuple[float | None, float]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_import(pilot)
        bar = screen.query_one("#import-progress", ProgressBar)
        original = bar.update

        def update(**kwargs):  # type: ignore[no-untyped-def]
            original(**kwargs)
            if "total" in kwargs and "progress" in kwargs:  # the screen's own calls, not the bar's watchers'
                shown.append((kwargs["total"], kwargs["progress"]))
        bar.update = update  # type: ignore[method-assign]
        screen.query_one("#import-path", Input).value = "staff.csv"
        screen.query_one("#import-entity", Select).value = "staff"
        await pilot.press("f9")
        await settle(pilot)
        await choose_field(pilot, screen, "Работа", "position")
        await pilot.press("f9")
        await settle(pilot)
        shown.clear()
        await pilot.press("f9", "ctrl+y")
        await settle(pilot)
        assert screen.step == "done" and screen.result is not None and screen.result.applied

    drive(app, scenario)
    assert shown[0] == (None, 0)  # waiting for the engine's first report
    assert shown[-1] == (1000, 1000) and all(total == 1000 for total, _ in shown[1:])
    assert [p for _, p in shown[1:]] == sorted(p for _, p in shown[1:])


def test_a_file_refused_for_its_mapping_is_fixed_in_the_wizard(demo, actor, data_folder):  # noqa: F811
    write_csv(data_folder / "imports" / "staff.csv", [["Ф", "Имя", "Должность", "Номер приказа", "Дата приказа"],
                                                      ["Фиксова", "Нина", "учитель химии", "78-к", "25.08.2026"]])
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_import(pilot)
        screen.query_one("#import-path", Input).value = "staff.csv"
        await pilot.press("f9")
        await settle(pilot)
        assert screen.step == "mapping" and screen.prepared is None  # refused: no surname column
        assert "Нет столбцов «Фамилия» и «Имя»" in screen_text(app)
        assert not screen.check_action("preview", ())
        await choose_field(pilot, screen, "Ф", "last_name")
        assert screen.prepared is not None and {r[0]: r[1] for r in rows(app)}["Ф"] == "Фамилия"
        await pilot.press("f9")
        await settle(pilot)
        assert screen.step == "preview" and "новых: 1" in screen_text(app)

    drive(app, scenario)


def test_a_message_cut_in_the_table_is_shown_whole_under_it(demo, actor, data_folder):  # noqa: F811
    # At 80 columns the SNILS checksum message is far wider than the table's last column.
    header = [*HEADER, "СНИЛС"]
    write_csv(data_folder / "imports" / "staff.csv", [header, [*GOOD[0], "123-456-789 00"], [*GOOD[1], ""]])
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await read_staff_file(pilot)
        screen.query_one("#import-table", DataTable).focus()
        await pilot.press("f9")
        await settle(pilot)
        assert screen.step == "preview"
        table = screen.query_one("#import-table", DataTable)
        cell = str(table.get_row_at(0)[2])
        assert "проверьте, не допущена ли опечатка" in cell  # the whole text is in the cell ...
        assert "опечатка" not in screen_text(app).split("\n")[table.region.y + 1]  # ... but cut on screen
        detail = str(screen.query_one("#import-detail", Static).render())
        assert detail.startswith("Строка 2, столбец «СНИЛС»: неверное контрольное число")
        assert "опечатка" in " ".join(detail.split())  # shown whole, wrapped under the table

    drive(app, scenario)


def test_an_unreadable_file_is_reported_and_the_wizard_stays_on_the_file(demo, actor, data_folder):  # noqa: F811
    (data_folder / "imports" / "broken.csv").write_bytes("Фамилия;Имя\nИванов;\"Иван\n".encode())
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_import(pilot)
        screen.query_one("#import-path", Input).value = str(data_folder / "imports" / "broken.csv")
        await pilot.press("f9")
        await settle(pilot)
        assert screen.step == "file" and not screen.busy
        assert any("незакрытая кавычка" in str(n.message) for n in app._notifications)

    drive(app, scenario)


def test_export_writes_the_file_after_the_password(demo, actor, data_folder):  # noqa: F811
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_export(pilot)
        screen.query_one("#export-entity", Select).value = "staff"
        await settle(pilot)
        path = Path(screen.query_one("#export-path", Input).value)
        assert path.parent == data_folder / "exports" and path.suffix == ".csv"
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, SecretPrompt)
        box = app.screen.query_one("#password-box").region  # the window is centred, not in a corner
        assert box.x > 0 and box.y > 0
        await pilot.press(*"not my password", "enter")
        await settle(pilot)
        assert not path.exists()  # a wrong password writes nothing
        status = str(screen.query_one("#export-status", Static).render())
        assert "Неверный пароль" in status and "Запись" not in status  # says why, not "writing…" for ever
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press(*ADMIN_PASSWORD, "enter")
        await settle(pilot)
        assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
        assert lines[0].startswith("Фамилия;Имя") and len(lines) > 10
        assert f"Выгружено строк: {len(lines) - 1}" in screen_text(app)

    drive(app, scenario)


def test_an_empty_template_is_written_without_the_password(demo, actor, data_folder):  # noqa: F811
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_export(pilot)
        screen.query_one("#export-format", Select).value = "xlsx"
        screen.query_one("#export-template", Checkbox).value = True
        await settle(pilot)
        path = Path(screen.query_one("#export-path", Input).value)
        assert path.name.startswith("students-template-") and path.suffix == ".xlsx"
        await pilot.press("f9")
        await settle(pilot)
        assert not isinstance(app.screen, SecretPrompt)  # headers and lists only: no personal data
        assert path.exists()
        sheet = openpyxl.load_workbook(path).worksheets[0]
        assert sheet.max_row == 1 and "Номер приказа" in [c.value for c in sheet[1]]
        screen.query_one("#export-entity", Select).value = "all"
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert "не для всего журнала" in str(screen.query_one("#export-status", Static).render())

    drive(app, scenario)


def test_subjects_export_needs_no_password(demo, actor, data_folder):  # noqa: F811
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_export(pilot)
        screen.query_one("#export-entity", Select).value = "subjects"
        await settle(pilot)
        path = Path(screen.query_one("#export-path", Input).value)
        assert path.name.startswith("subjects-")
        await pilot.press("f9")
        await settle(pilot)
        assert not isinstance(app.screen, SecretPrompt) and path.exists()
        assert path.read_bytes().decode("utf-8-sig").splitlines()[0] == "Предмет;Краткое название"

    drive(app, scenario)
