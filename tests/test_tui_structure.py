"""The school-structure screens driven with Pilot at 80×24 against a copy of the demo school on both engines:
subjects and the curriculum, teaching assignments (removal and teacher change show their impact first), school
settings (a refused value shown under its field, then a good one saved). Results are read back through the core
services. Tests never sleep (`settle` waits for the workers)."""

from __future__ import annotations

from decimal import Decimal

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from tests import test_tui
from tests.test_tui import TODAY, drive, make_app, screen_text, settle
from zhurnal.core.services.assignments import AssignmentService
from zhurnal.core.services.classes import ClassService
from zhurnal.core.services.curriculum import CurriculumService
from zhurnal.core.services.settings import SettingsService
from zhurnal.core.services.staff import StaffService
from zhurnal.core.services.subjects import SubjectService
from zhurnal.core.services.years import YearService
from zhurnal.tui.app.app import ZhurnalApp
from zhurnal.tui.app.screens.assignments import AssignmentFormScreen, AssignmentsScreen, TeacherFormScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.menu import MenuScreen
from zhurnal.tui.app.screens.settings import (
    AddTermsFormScreen,
    NumberFormScreen,
    SettingsScreen,
    TermFormScreen,
    TermKindFormScreen,
)
from zhurnal.tui.app.screens.subjects import CurriculumFormScreen, SubjectFormScreen, SubjectsScreen
from zhurnal.tui.app.widgets.form import field_of

demo = test_tui.demo
actor = test_tui.actor
russian = test_tui.russian


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)


async def choose(pilot: Pilot[None], selector: str, value: object) -> None:
    pilot.app.screen.query_one(selector, Select).value = value
    await pilot.pause()


async def open_section(pilot: Pilot[None], title: str) -> None:
    """Through the sections menu (F12), by keyboard: arrows to the section, Enter."""
    await pilot.press("f12")
    await settle(pilot)
    assert isinstance(pilot.app.screen, MenuScreen)
    options = pilot.app.screen.query_one("#sections")
    for _ in range(options.option_count):  # type: ignore[attr-defined]
        option = options.get_option_at_index(options.highlighted)  # type: ignore[attr-defined]
        if str(option.prompt).startswith(title):
            break
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


def row_labels(app: ZhurnalApp, selector: str, column: int = 0) -> list[str]:
    table = app.screen.query_one(selector, DataTable)
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def cursor_to(pilot: Pilot[None], selector: str, label: str, column: int = 0) -> None:
    table = pilot.app.screen.query_one(selector, DataTable)
    table.focus()
    table.move_cursor(row=row_labels(pilot.app, selector, column).index(label))  # type: ignore[arg-type]
    await pilot.pause()


# ---------------------------------------------------------------------------------------- subjects


def test_create_a_subject_put_it_in_the_curriculum_and_archive_it(demo, actor):
    year = YearService(demo).current(actor, on=TODAY)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "Предметы")
        assert isinstance(app.screen, SubjectsScreen)
        assert "Предметы и учебный план 2026/2027" in screen_text(app)
        existing = row_labels(app, "#subjects")
        assert existing and row_labels(app, "#curriculum")  # the demo's grade 1 plan
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, SubjectFormScreen)
        await type_into(pilot, "#subject-name", existing[0].upper())  # the same name, case folded
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SubjectFormScreen)
        assert "уже есть" in field_of(app.screen, "name").text
        await type_into(pilot, "#subject-name", "Астрономия")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SubjectsScreen)
        assert "Астрономия" in row_labels(app, "#subjects")
        assert [s.name for s in SubjectService(demo).list(actor) if s.name == "Астрономия"]

        # The curriculum of grade 11: add the new subject, first with hours the core refuses.
        await pilot.press("f7")
        await choose(pilot, "#curriculum-grade", 11)
        await settle(pilot)
        await pilot.press("tab")
        assert app.screen.focused is app.screen.query_one("#curriculum")
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, CurriculumFormScreen)
        subject = next(s for s in SubjectService(demo).list(actor) if s.name == "Астрономия")
        await choose(pilot, "#curriculum-subject", subject.id)
        await type_into(pilot, "#curriculum-hours", "13")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CurriculumFormScreen)
        assert "допускается от 0,5 до 12" in field_of(app.screen, "hours").text
        await type_into(pilot, "#curriculum-hours", "1,5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SubjectsScreen)
        plan = {r.subject_name: r.hours for r in CurriculumService(demo).list(actor, year.id, 11)}
        assert plan["Астрономия"] == Decimal("1.5")
        assert "Астрономия" in row_labels(app, "#curriculum")
        assert "11 класс: всего" in screen_text(app)

        # Change its hours (Enter), then take it out (Delete, confirmed).
        await cursor_to(pilot, "#curriculum", "Астрономия")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CurriculumFormScreen)
        await type_into(pilot, "#curriculum-hours", "1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        plan = {r.subject_name: r.hours for r in CurriculumService(demo).list(actor, year.id, 11)}
        assert plan["Астрономия"] == Decimal("1")
        await cursor_to(pilot, "#curriculum", "Астрономия")
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert "Астрономия" not in {r.subject_name for r in CurriculumService(demo).list(actor, year.id, 11)}
        assert "Астрономия" not in row_labels(app, "#curriculum")

        # Enter on a subject edits its name and short name.
        await cursor_to(pilot, "#subjects", "Астрономия")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SubjectFormScreen)
        assert app.screen.query_one("#subject-name", Input).value == "Астрономия"
        await type_into(pilot, "#subject-short_name", "Астр")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SubjectsScreen)
        assert SubjectService(demo).get(actor, subject.id).short_name == "Астр"

        # Archive the subject: a confirmation first (No keeps it), then Yes.
        await cursor_to(pilot, "#subjects", "Астрономия")
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not SubjectService(demo).get(actor, subject.id).archived
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert SubjectService(demo).get(actor, subject.id).archived
        assert "Астрономия (в архиве)" in screen_text(app)

    drive(app, scenario)


# ------------------------------------------------------------------------------------------- assignments


async def pick(pilot: Pilot[None], full_name: str) -> None:
    """Search the picker by surname, go down into its list and put the cursor on `full_name`."""
    await type_into(pilot, ".picker-search", full_name.split()[0])
    await settle(pilot)
    names = row_labels(pilot.app, ".picker-table")
    await pilot.press("down")
    for _ in range(names.index(full_name)):
        await pilot.press("down")
    await pilot.pause()


def test_filter_create_reassign_and_remove_an_assignment(demo, actor):
    year = YearService(demo).current(actor, on=TODAY)
    school_class = ClassService(demo).list(actor, year.id, on=TODAY)[0]
    subject = SubjectService(demo).list(actor)[0]
    staff = StaffService(demo).active_staff(actor, on=TODAY)
    first, second = staff[0].full_name, next(s.full_name for s in staff if s.person_id != staff[0].person_id)
    before = AssignmentService(demo).list(actor, year_id=year.id)
    app = make_app(demo, actor)

    def live() -> list:
        return AssignmentService(demo).list(actor, year_id=year.id)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "Нагрузка")
        assert isinstance(app.screen, AssignmentsScreen)
        assert len(row_labels(app, "#assignments")) == len(before)
        # Search as you type by teacher, then the class filter narrows further.
        teacher = before[0].teacher_name
        await pilot.press(*teacher.split()[0])
        await settle(pilot)
        shown = row_labels(app, "#assignments", column=3)
        assert shown and all(name.split()[0] == teacher.split()[0] for name in shown)
        await choose(pilot, "#assignments-class", before[0].class_id)
        assert set(row_labels(app, "#assignments")) == {before[0].class_name}
        await type_into(pilot, "#assignments-search", "")
        await choose(pilot, "#assignments-class", school_class.id)
        in_class = [a for a in before if a.class_id == school_class.id]
        assert len(row_labels(app, "#assignments")) == len(in_class)

        # A new assignment: the class comes from the filter; without a subject the form says so.
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, AssignmentFormScreen)
        assert app.screen.query_one("#assignment-class", Select).value == school_class.id
        await type_into(pilot, "#assignment-subgroup", "3")
        await pick(pilot, first)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AssignmentFormScreen)
        assert field_of(app.screen, "subject_id").text == "Предмет: выберите предмет"
        await choose(pilot, "#assignment-subject", subject.id)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AssignmentsScreen)
        created = next(a for a in live() if a not in before)
        assert (created.class_id, created.subject_id, created.subgroup, created.teacher_name) == \
            (school_class.id, subject.id, "3", first)
        table = app.screen.query_one("#assignments", DataTable)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == str(created.id)

        # Another teacher: the form and its confirmation say what the change touches.
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TeacherFormScreen)
        assert "Затрагивает уроков: 0, отметок: 0" in screen_text(app)
        await pick(pilot, second)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Затрагивает уроков: 0, отметок: 0" in screen_text(app) and second in screen_text(app)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, AssignmentsScreen)
        replaced = next(a for a in live() if a not in before)
        assert replaced.id != created.id and replaced.teacher_name == second and replaced.subgroup == "3"

        # Removal: the impact first; No keeps it, Yes removes it.
        app.screen.query_one("#assignments", DataTable).focus()
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Затрагивает уроков: 0, отметок: 0" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert replaced in live()
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert live() == before
        assert len(row_labels(app, "#assignments")) == len(in_class)

    drive(app, scenario)


# ---------------------------------------------------------------------------------------------- settings


def test_a_refused_setting_is_shown_under_its_field_then_a_good_one_saved(demo, actor):
    year = YearService(demo).current(actor, on=TODAY)
    terms = YearService(demo).terms(actor, year.id, kind="quarter")
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "Настройки")
        assert isinstance(app.screen, SettingsScreen)
        assert "Название школы" in screen_text(app)
        await cursor_to(pilot, "#settings", "Отметки закрываются через, дней")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NumberFormScreen)
        await type_into(pilot, "#number-value", "99")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NumberFormScreen)
        assert "допускается от 0 до 60" in field_of(app.screen, "grade_lock_days").text
        assert SettingsService(demo).get_all(actor).grade_lock_days == 7
        await type_into(pilot, "#number-value", "10")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert SettingsService(demo).get_all(actor).grade_lock_days == 10
        table = app.screen.query_one("#settings", DataTable)
        assert table.get_row_at(table.cursor_row)[1] == "10"

        # A term's end moved into the next term is refused; a day earlier is saved.
        await cursor_to(pilot, "#settings", f"Период: {terms[1].name}")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TermFormScreen)
        await type_into(pilot, "#term-end", terms[2].start.strftime("%d.%m.%Y"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TermFormScreen)
        assert "пересекается" in field_of(app.screen, "terms").text
        await type_into(pilot, "#term-end", "27.12.2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        saved = YearService(demo).terms(actor, year.id, kind="quarter")[1]
        assert saved.end.isoformat() == "2026-12-27"

    drive(app, scenario)


def test_a_grade_switches_to_trimesters_once_the_year_has_them(demo, actor):
    year = YearService(demo).current(actor, on=TODAY)
    app = make_app(demo, actor)

    async def switch_grade_5(pilot: Pilot[None]) -> None:
        await cursor_to(pilot, "#settings", "Деление года, 5 класс")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TermKindFormScreen)
        await choose(pilot, "#term-kind", "trimester")
        await pilot.press("ctrl+s")
        await settle(pilot)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "Настройки")
        await switch_grade_5(pilot)
        assert isinstance(app.screen, TermKindFormScreen)  # the year has no trimesters yet
        assert "не заданы триместры" in field_of(app.screen, "term_kind").text
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+y")  # discard the edit
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, AddTermsFormScreen)
        await choose(pilot, "#add-terms-kind", "trimester")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert [t.name for t in YearService(demo).terms(actor, year.id, kind="trimester")] == \
            ["1 триместр", "2 триместр", "3 триместр"]
        assert "Период: 2 триместр" in row_labels(app, "#settings")
        await switch_grade_5(pilot)
        assert isinstance(app.screen, SettingsScreen)
        settings = SettingsService(demo).get_all(actor)
        assert settings.term_kind_for(5) == "trimester" and settings.term_kind_for(6) == "quarter"
        table = app.screen.query_one("#settings", DataTable)
        assert table.get_row_at(table.cursor_row)[1] == "триместры"

    drive(app, scenario)


def test_the_profile_refuses_an_empty_name_then_saves_and_every_screen_opens_in_english(demo, actor):
    from zhurnal.core.services.schools import SchoolService
    from zhurnal.tui.app.screens.settings import ProfileFormScreen

    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_section(pilot, "Настройки")
        await cursor_to(pilot, "#settings", "Адрес")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProfileFormScreen)
        await type_into(pilot, "#profile-name", "")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ProfileFormScreen)
        assert field_of(app.screen, "name").text.startswith("Название школы")
        await type_into(pilot, "#profile-name", "Лицей 7")
        await type_into(pilot, "#profile-address", "ул. Лесная, 1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "Лицей 7" in row_labels(app, "#settings", column=1)

    drive(app, scenario)
    school = SchoolService(demo).get(actor)
    assert (school.name, school.address) == ("Лицей 7", "ул. Лесная, 1")

    english = make_app(demo, actor, lang="en")

    async def tour(pilot: Pilot[None]) -> None:
        for target, title in (("subjects", "Subjects and curriculum"), ("assignments", "Teaching assignments"),
                              ("settings", "School settings")):
            english.action_open(target)
            await settle(pilot)
            assert title in screen_text(english)

    drive(english, tour)


# ------------------------------------------------------------------------------------ people list filters


def test_people_lists_filter_by_status_and_year_and_sort_by_birth_date(demo, actor):
    from zhurnal.core.services.persons import PersonService

    year = YearService(demo).current(actor, on=TODAY)
    search = PersonService(demo).search
    app = make_app(demo, actor)

    def first_page(**options: object) -> list[str]:
        return [r.full_name for r in search(actor, on=TODAY, limit=app.ctx.page_size, **options).rows]

    former = first_page(kind="student", status="former")
    assert former  # the demo has students who left
    by_birth = first_page(kind="student", status="former", sort="birth")
    assert by_birth != former

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        assert row_labels(app, "#people-table") == first_page(kind="student")
        await pilot.press("ctrl+o")
        assert app.screen.focused is app.screen.query_one("#status-filter")
        await choose(pilot, "#status-filter", "former")
        await settle(pilot)
        assert row_labels(app, "#people-table") == former
        await choose(pilot, "#sort-order", "birth")
        await settle(pilot)
        assert row_labels(app, "#people-table") == by_birth
        # The year filter: the class filter offers that year's classes.
        await choose(pilot, "#year-filter", year.id)
        await settle(pilot)
        classes = app.screen.query_one("#class-filter", Select)
        assert len(classes._options) - 1 == len(ClassService(demo).list(actor, year.id, on=TODAY))
        assert row_labels(app, "#people-table") == first_page(kind="student", status="former", sort="birth",
                                                              year_id=year.id)
        # Staff: who left, by name.
        await pilot.press("f4")
        await settle(pilot)
        await choose(pilot, "#status-filter", "all")
        await settle(pilot)
        assert row_labels(app, "#people-table") == first_page(kind="staff", status="all")

    drive(app, scenario)
