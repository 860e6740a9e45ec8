"""The activity report screen: views by role, class and teacher, drill-down, term navigation, XLSX export."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.test_activity_report import Q2_DAY, grant, login
from tests.test_journal import World, world  # noqa: F401  (the fixture)
from tests.test_tui import drive, make_app, screen_text, settle
from zhurnal.core.locations import exports_dir
from zhurnal.core.services.journal import JournalService
from zhurnal.tui.app.screens.activity_report import ActivityReportScreen, bar


def cells(app, column: int = 0) -> list[str]:
    table = app.screen.query_one("#report-table", DataTable)
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


def test_the_report_screen_views_drill_down_and_export(store, admin, world: World):  # noqa: F811
    grant(store, world.teacher, "teacher")
    grant(store, world.student, "student")
    login(store, world.student, Q2_DAY)
    journal = JournalService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, Q2_DAY, 1, "Тема", today=Q2_DAY)
    journal.set_mark(world.teacher, lesson.id, world.students[0], "5", today=Q2_DAY)
    app = make_app(store, admin)
    before = set(exports_dir().iterdir()) if exports_dir().exists() else set()

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("report")
        await settle(pilot)
        assert isinstance(app.screen, ActivityReportScreen)
        assert "2 четверть 2026/2027" in screen_text(app)
        assert cells(app) == ["Сотрудники", "Учителя", "Обучающиеся", "Родители", "Всего"]
        assert cells(app, 2)[2] == "1"  # one active student
        await pilot.press("2")
        assert cells(app) == ["5А"]
        await pilot.press("enter")
        assert cells(app) == ["Иванова М."] and "класс 5А" in screen_text(app)
        await pilot.press("escape")
        assert cells(app) == ["5А"]
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "1 четверть 2026/2027" in screen_text(app)
        await pilot.press("x")
        await settle(pilot)
        assert [p.suffix for p in set(exports_dir().iterdir()) - before] == [".xlsx"]
        await pilot.press("escape")
        assert not isinstance(app.screen, ActivityReportScreen)

    drive(app, scenario)


def test_bars_scale_to_the_value():
    assert bar(None).plain == "—"
    assert bar(100).plain == "█" * 12
    assert bar(50).plain == "█" * 6
    assert len(bar(0).plain) == 0
