"""The journal grid and the diary driven with Pilot at 80×24 on both engines: a teacher types marks, attendance
and a term mark into their journal and edits a lesson; every value is read back through the core. The
administrator reads the same journal without editing; a parent reads the child's week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from tests import test_journal
from tests.test_journal import TODAY, World
from tests.test_tui import drive, screen_text, settle
from zhurnal.core.config import Config
from zhurnal.core.permissions import Actor
from zhurnal.core.services.journal import JournalService, JournalView
from zhurnal.core.services.term_marks import TermMarkService
from zhurnal.core.store import Store
from zhurnal.tui import i18n
from zhurnal.tui.app import create_app
from zhurnal.tui.app.app import ZhurnalApp
from zhurnal.tui.app.screens.diary import DiaryScreen
from zhurnal.tui.app.screens.journal import JournalListScreen
from zhurnal.tui.app.screens.journal_grid import JournalGridScreen
from zhurnal.tui.app.screens.lesson_form import LessonFormScreen
from zhurnal.tui.app.screens.mark_history import MarkHistoryScreen
from zhurnal.tui.app.widgets.journal_grid import JournalGrid

world = test_journal.world  # the core tests' fixture: a class of three, a teacher, a parent and a student
LESSON_DAYS = (date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 26))


@pytest.fixture(autouse=True)
def russian() -> Iterator[None]:
    yield
    i18n.set_language("ru")


def app_for(store: Store, actor: Actor) -> ZhurnalApp:
    return create_app(store, config=Config(), actor=actor, today=TODAY)


def lessons(store: Store, world: World) -> list[int]:
    journal = JournalService(store)
    return [journal.add_lesson(world.teacher, world.assignment_id, d, 1, f"Тема {i}", today=TODAY).id
            for i, d in enumerate(LESSON_DAYS, 1)]


def stored(store: Store, world: World) -> JournalView:
    return JournalService(store).open(world.teacher, world.assignment_id, today=TODAY)


def marks_of(view: JournalView) -> dict[tuple[int, int], str]:
    return {(m.lesson_id, m.student_id): m.value for m in view.marks}


async def open_grid(pilot: Pilot[None]) -> JournalGrid:
    """From the teacher's start screen (the journal list) into the first journal."""
    app = pilot.app
    assert isinstance(app.screen, JournalListScreen)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, JournalGridScreen)
    return app.screen.query_one(JournalGrid)


def test_a_teacher_types_marks_and_attendance_into_the_grid(store, world):
    ids = lessons(store, world)
    a, b, c = world.students
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        grid = await open_grid(pilot)
        # The cursor starts on the last lesson of the first student.
        assert (grid.cursor_row, grid.cursor_col) == (0, 2)
        text = screen_text(app)
        assert "Андреев Пётр" in text and "Итог" in text and "ноя" in text
        await pilot.press("5", "down", "н", "/", "а", "down", "б")  # "н/а" is complete: saved without Enter
        await settle(pilot)
        await pilot.press("left", "up", "up", "4", "down", "н", "down")  # "н" alone: absent
        await settle(pilot)
        assert "5" in screen_text(app)
        await pilot.press("left", "ctrl+e")  # the first lesson: everyone present
        await settle(pilot)
        assert "присутствовал" in screen_text(app)

    drive(app, scenario)
    view = stored(store, world)
    assert marks_of(view) == {(ids[2], a): "5", (ids[2], b): "н/а", (ids[1], a): "4"}
    assert view.attendance == {(ids[2], c): "sick", (ids[1], b): "absent"}
    assert [le.attendance_taken for le in view.lessons] == [True, True, True]


def test_an_invalid_mark_shows_the_core_message_and_stores_nothing(store, world):
    lessons(store, world)
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        grid = await open_grid(pilot)
        await pilot.press("3")  # a prefix of nothing else on this scale: saved at once
        await settle(pilot)
        await pilot.press("down", "7")  # not on the scale: sent at once, the core says what is allowed
        await settle(pilot)
        assert "не из шкалы школы" in screen_text(app)
        model = grid.model
        assert model is not None and model.state(1, 2) is not None and model.state(1, 2).error
        assert model.cell_text(1, 2) == ""  # the cell went back to what is stored
        await pilot.press("delete", "up", "delete")  # remove the 3 again
        await settle(pilot)

    drive(app, scenario)
    assert stored(store, world).marks == []


def test_lesson_topic_and_homework_from_the_grid(store, world):
    ids = lessons(store, world)
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_grid(pilot)
        await pilot.press("up", "enter")  # the header of the last lesson
        await settle(pilot)
        assert isinstance(app.screen, LessonFormScreen)
        topic = app.screen.query_one("#lesson-topic", Input)
        topic.value = "Сложение дробей"
        app.screen.query_one("#lesson-homework", Input).value = "№ 5, 7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, JournalGridScreen)
        assert "Сложение дробей" in screen_text(app)

    drive(app, scenario)
    lesson = next(le for le in stored(store, world).lessons if le.id == ids[2])
    assert (lesson.topic, lesson.homework) == ("Сложение дробей", "№ 5, 7")


def test_term_marks_confirmed_by_typing_or_accepting_the_suggestion(store, world):
    ids = lessons(store, world)
    a, b, _c = world.students
    journal = JournalService(store)
    journal.set_mark(world.teacher, ids[0], a, "4", today=TODAY)
    journal.set_mark(world.teacher, ids[1], a, "5", today=TODAY)  # 4.5: suggested 5
    journal.set_mark(world.teacher, ids[0], b, "3", today=TODAY)
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        grid = await open_grid(pilot)
        await pilot.press("end")
        assert grid.model is not None and grid.cursor_col == grid.model.term_col
        assert grid.model.term_is_suggestion(0) and grid.model.term_text(0) == "5"
        await pilot.press("enter", "down", "4")  # accept a's suggestion; type b's term mark
        await settle(pilot)
        assert not grid.model.term_is_suggestion(0)

    drive(app, scenario)
    view = stored(store, world)
    assert view.term_marks == {a: "5", b: "4"}
    rows = {r.student_id: r for r in TermMarkService(store).suggestions(world.teacher, world.assignment_id,
                                                                          view.term_id)}
    assert (rows[b].suggested, rows[b].confirmed) == ("3", "4")


def test_the_administrator_reads_the_journal_without_editing(store, admin, world):
    ids = lessons(store, world)
    JournalService(store).set_mark(world.teacher, ids[2], world.students[0], "5", today=TODAY)
    app = app_for(store, admin)

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("journal")
        await settle(pilot)
        assert isinstance(app.screen, JournalListScreen)
        table = app.screen.query_one("#journals", DataTable)
        assert table.row_count == 1
        await pilot.press(*"7б")  # the filter: no such class
        assert table.row_count == 0 and "Доступных журналов нет" in screen_text(app)
        await pilot.press("backspace", "backspace", *"5а иван")  # class and teacher, any case
        assert table.row_count == 1
        await pilot.press("enter")
        await settle(pilot)
        grid = app.screen.query_one(JournalGrid)
        assert not grid.editable
        assert "только чтение" in screen_text(app)
        await pilot.press("ctrl+g")  # the history of the 5: readers see it too
        await settle(pilot)
        assert "ivanova" in screen_text(app) and "— → 5" in screen_text(app)
        await pilot.press("escape", "down", "4", "delete", "f9")
        await settle(pilot)

    drive(app, scenario)
    assert marks_of(stored(store, world)) == {(ids[2], world.students[0]): "5"}
    assert len(stored(store, world).lessons) == 3


def test_a_parent_reads_the_childs_week(store, world):
    ids = lessons(store, world)
    journal = JournalService(store)
    journal.update_lesson(world.teacher, ids[2], 1, topic="Дроби", homework="№ 12", today=TODAY)
    journal.set_mark(world.teacher, ids[2], world.students[0], "5", today=TODAY)
    journal.set_attendance(world.teacher, ids[1], world.students[0], "late", today=TODAY)
    app = app_for(store, world.parent)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, DiaryScreen)  # the parent's start screen
        text = screen_text(app)
        assert "Андреев Пётр" in text and "5А" in text
        assert "Дроби" in text and "№ 12" in text and "5 (Работа на уроке)" in text and "опоздал" in text
        await pilot.press("left")
        await settle(pilot)
        assert "уроков нет" in screen_text(app)
        await pilot.press("escape")  # the start screen stays
        assert isinstance(app.screen, DiaryScreen)

    drive(app, scenario)



def test_new_lesson_removal_and_the_lock(store, admin, world):
    from zhurnal.core.services.lock_exceptions import LockExceptionService
    from zhurnal.core.services.settings import SettingsService

    SettingsService(store).set(admin, "grade_lock_days", 3)  # 23.11 is locked on 27.11, 25.11 and 26.11 are not
    ids = lessons(store, world)
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        grid = await open_grid(pilot)
        await pilot.press("f9")  # today, number 1 (no lesson today yet)
        await settle(pilot)
        assert grid.model is not None and len(grid.model.lessons) == 4
        assert (grid.model.lessons[grid.cursor_col].day, grid.model.lessons[grid.cursor_col].number) == (TODAY, 1)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("ctrl+delete")
        await settle(pilot)
        assert "Отметок: 1, записей посещаемости: 0" in screen_text(app)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert grid.model is not None and len(grid.model.lessons) == 3
        await pilot.press("home", "4")  # the locked lesson: the core's message, nothing stored
        await settle(pilot)
        assert "закрыт для изменений" in screen_text(app) and "Ctrl+U" in screen_text(app)
        await pilot.press("ctrl+u")
        await settle(pilot)
        await pilot.press(*"Болела", "enter")
        await settle(pilot)
        assert isinstance(app.screen, JournalGridScreen)

    drive(app, scenario)
    view = stored(store, world)
    assert [le.id for le in view.lessons] == ids and view.marks == []
    [request] = LockExceptionService(store).list(admin)
    assert (request.from_day, request.to_day, request.reason) == (LESSON_DAYS[0], LESSON_DAYS[0], "Болела")


def test_the_administration_approves_a_lock_exception(store, admin, world):
    from zhurnal.core.services.lock_exceptions import LockExceptionService
    from zhurnal.tui.app.screens.unlock_requests import UnlockRequestsScreen

    exceptions = LockExceptionService(store)
    exceptions.request(world.teacher, world.assignment_id, LESSON_DAYS[0], LESSON_DAYS[0], "Болела")
    app = app_for(store, admin)

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("unlock_requests")
        await settle(pilot)
        assert isinstance(app.screen, UnlockRequestsScreen)
        assert "Болела" in screen_text(app) and "Иванова Мария" in screen_text(app)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("enter")  # the confirmation's default is Yes for an approval
        await settle(pilot)
        assert "Нерассмотренных запросов нет" in screen_text(app)

    drive(app, scenario)
    [approved] = exceptions.list(admin, status="approved")
    assert approved.valid_until == TODAY + timedelta(days=3)  # the core's default length of an approval
    assert exceptions.list(admin) == []


def test_a_student_starts_in_their_diary_and_moves_by_term(store, world):
    lessons(store, world)
    app = app_for(store, world.student)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, DiaryScreen) and screen.data is not None
        assert screen.data.week.start == date(2026, 11, 23) and "Тема 3" in screen_text(app)
        terms = sorted(start for _name, start, _end in screen.data.terms)
        await pilot.press("ctrl+left")  # the start of this term (the week is not its first)
        await settle(pilot)
        assert screen.data.week.start <= terms[1] <= screen.data.week.end
        await pilot.press("ctrl+left")
        await settle(pilot)
        assert screen.data.week.start <= terms[0] <= screen.data.week.end
        await pilot.press("home")
        await settle(pilot)
        assert screen.data.week.start == date(2026, 11, 23)

    drive(app, scenario)


def test_a_big_class_scrolls_with_the_names_and_term_column_frozen(store, world):
    from tests.test_structure_services import enrol

    sid = world.teacher.school_id or 0
    for i in range(27):  # 30 students
        enrol(store, sid, world.class_id, f"Яковлев{i:02d}", "Юрий", start=date(2026, 9, 1))
    journal = JournalService(store)
    days = [d for d in (date(2026, 11, 5 + i) for i in range(23)) if d.weekday() < 5]
    for d in days:
        for number in (1, 2):
            journal.add_lesson(world.teacher, world.assignment_id, d, number, today=TODAY)
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        grid = await open_grid(pilot)
        assert grid.model is not None and (grid.model.rows, grid.model.term_col) == (30, 2 * len(days))
        region = grid.region
        assert region.right <= 80 and region.bottom <= 24 and region.height >= 15
        lines = screen_text(app).splitlines()
        assert "Итог" in lines[2]  # the term column's header at the right edge
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert grid.cursor_row == 29 and grid.top <= 29 < grid.top + grid.visible_rows
        assert "Яковлев26 Юрий" in screen_text(app)  # the last student, with their name
        await pilot.press("home")
        await settle(pilot)
        assert grid.left == 0 and "ноя" in screen_text(app)
        await pilot.press(*["right"] * 20)
        assert grid.left > 0 and "Яковлев26 Юрий" in screen_text(app)
        await pilot.click(JournalGrid, offset=(23, 2))  # the first visible lesson of the first visible student
        assert (grid.cursor_row, grid.cursor_col) == (grid.top, grid.left)

    drive(app, scenario)


def test_moving_a_lesson_says_what_moves_with_it(store, world):
    ids = lessons(store, world)
    JournalService(store).set_mark(world.teacher, ids[2], world.students[1], "4", today=TODAY)
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_grid(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, LessonFormScreen)
        app.screen.query_one("#lesson-day", Input).value = "27.11.2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Отметок: 1, записей посещаемости: 0" in screen_text(app)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, JournalGridScreen)

    drive(app, scenario)
    moved = next(le for le in stored(store, world).lessons if le.id == ids[2])
    assert moved.day == TODAY
    assert marks_of(stored(store, world)) == {(ids[2], world.students[1]): "4"}


@pytest.mark.parametrize(("login", "start"), [("andreev", DiaryScreen), ("ivanova", JournalListScreen)])
def test_the_screen_after_login_fits_the_role(store, world, login, start):
    from sqlalchemy import update

    from zhurnal.core.models import RoleGrant, User
    from zhurnal.core.passwords import hash_password
    from zhurnal.tui.app.screens.dashboard import DashboardScreen

    actor = next(a for a in (world.teacher, world.parent, world.student) if a.login == login)
    with store.session() as s:
        s.execute(update(User).where(User.login == login).values(password_hash=hash_password("secret words 42")))
        s.add_all([RoleGrant(user_id=actor.user_id, role=role, school_id=actor.school_id) for role in actor.roles])
        s.commit()
    app = create_app(store, config=Config(), today=TODAY)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press(*login, "enter", *"secret words 42", "enter")
        await settle(pilot)
        assert isinstance(app.screen, start)
        await pilot.press("escape")
        await settle(pilot)
        # A teacher goes back to the dashboard under the journals; the diary stays where it is.
        assert isinstance(app.screen, DiaryScreen if start is DiaryScreen else DashboardScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DiaryScreen if start is DiaryScreen else DashboardScreen)

    drive(app, scenario)


def test_a_parent_of_two_chooses_the_child(store, world):
    from zhurnal.core.models import Guardianship
    from zhurnal.tui.app.screens.diary import ChildChooser

    lessons(store, world)
    with store.session() as s:
        s.add(Guardianship(school_id=world.parent.school_id, parent_id=world.parent.person_id,
                           student_id=world.students[1], relation="mother", start_date=date(2020, 1, 1)))
        s.commit()
    app = app_for(store, world.parent)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, ChildChooser)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DiaryScreen) and "Борисова Анна" in screen_text(app)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Андреев Пётр" in screen_text(app)

    drive(app, scenario)


def test_terms_and_the_year_one_key_apart(store, world):
    lessons(store, world)
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        grid = await open_grid(pilot)
        assert "2 четверть" in screen_text(app)
        await pilot.press("ctrl+left")
        await settle(pilot)
        assert "1 четверть" in screen_text(app) and grid.model is not None and grid.model.lessons == []
        assert "Уроков в этом периоде нет" in screen_text(app)
        await pilot.press(*["ctrl+right"] * 4)  # keys faster than the loads still count each step
        await settle(pilot)
        assert "учебный год" in screen_text(app)
        assert grid.model is not None and len(grid.model.lessons) == 3

    drive(app, scenario)


def test_a_moved_students_marks_from_the_old_class_show_beside_the_term_column(store, admin, school, world):
    from tests.helpers import make_class
    from zhurnal.core.services.assignments import AssignmentService
    from zhurnal.core.services.enrolments import EnrolmentService
    from zhurnal.core.services.orders import OrderService

    journal = JournalService(store)
    entry_day = date(2026, 11, 20)
    b_class = make_class(store, school.school_id, 5, "Б")
    assert world.teacher.person_id is not None
    b_assignment = AssignmentService(store).assign(admin, b_class, world.subject_id, world.teacher.person_id,
                                                   today=TODAY).id
    a = world.students[0]
    lesson = journal.add_lesson(world.teacher, world.assignment_id, date(2026, 11, 16), 1, today=entry_day)
    journal.set_mark(world.teacher, lesson.id, a, "3", today=entry_day)
    order = OrderService(store).create(admin, "7-у", date(2026, 11, 17), "transfer", "Приказ 7-у").id
    EnrolmentService(store).transfer(admin, a, b_class, date(2026, 11, 18), order)
    app = app_for(store, world.teacher)

    async def scenario(pilot: Pilot[None]) -> None:
        await settle(pilot)
        assert isinstance(app.screen, JournalListScreen)
        app.push_screen(JournalGridScreen(b_assignment))  # 5Б's journal
        await settle(pilot)
        grid = app.screen.query_one(JournalGrid)
        assert grid.model is not None and [s.id for s in grid.model.students] == [a]
        await pilot.press("end")
        await settle(pilot)
        assert "В других классах за период: 16.11.2026 5А: 3" in screen_text(app)

    drive(app, scenario)


def test_ctrl_g_on_the_term_column_shows_the_term_marks_history(store, admin, world):
    lessons(store, world)
    term_id = stored(store, world).term_id
    marks = TermMarkService(store)
    a = world.students[0]
    for value in ("5", "4", ""):  # confirmed, changed, withdrawn
        marks.confirm(world.teacher, world.assignment_id, term_id, a, value)
    marks.confirm(world.teacher, world.assignment_id, None, a, "3")  # the year mark: a history of its own
    app = app_for(store, admin)  # a reader: the administration's read-only grid shows it too

    async def scenario(pilot: Pilot[None]) -> None:
        app.push_screen(JournalGridScreen(world.assignment_id))
        await settle(pilot)
        grid = app.screen.query_one(JournalGrid)
        await pilot.press("end")
        assert grid.model is not None and (grid.cursor_row, grid.cursor_col) == (0, grid.model.term_col)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, MarkHistoryScreen)
        text = screen_text(app)
        assert "История итоговой отметки: Андреев Пётр, 2 четверть" in text
        lines = [line for line in text.splitlines() if "ivanova" in line]
        assert len(lines) == 3 and all("Математика, 5А" in line for line in lines)
        assert ["— → 5" in lines[0], "5 → 4" in lines[1], "4 → —" in lines[2]] == [True] * 3  # oldest first
        assert "→ 3" not in text
        await pilot.press("escape", "down", "ctrl+g")  # Борисова: never given one
        await settle(pilot)
        assert isinstance(app.screen, MarkHistoryScreen)
        assert "Итоговая отметка не выставлялась" in screen_text(app) and "ivanova" not in screen_text(app)
        await pilot.press("escape", "up", *["ctrl+right"] * 3)  # the whole year: the column holds year marks
        await settle(pilot)
        await pilot.press("end")
        assert "учебный год" in screen_text(app) and grid.cursor_col == grid.model.term_col
        await pilot.press("ctrl+g")
        await settle(pilot)
        text = screen_text(app)
        assert "История итоговой отметки: Андреев Пётр, учебный год" in text
        assert [line for line in text.splitlines() if "ivanova" in line and "— → 3" in line]
        assert "5 → 4" not in text

    drive(app, scenario)


def test_the_term_marks_history_in_english(store, world):
    lessons(store, world)
    marks = TermMarkService(store)
    marks.confirm(world.teacher, world.assignment_id, stored(store, world).term_id, world.students[0], "5")
    app = create_app(store, lang="en", config=Config(), actor=world.teacher, today=TODAY)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_grid(pilot)
        await pilot.press("end", "ctrl+g")
        await settle(pilot)
        text = screen_text(app)
        assert "Term mark history: Андреев Пётр" in text and "— → 5" in text and "Математика, 5А" in text
        await pilot.press("escape", "down", "ctrl+g")
        await settle(pilot)
        assert "No term mark was ever given" in screen_text(app)

    drive(app, scenario)
