"""The subgroup screen driven with Pilot on both engines: a subgroup teacher's grid says the class is not split
yet, Ctrl+L ticks the subgroup's students, Ctrl+S saves through the core, and the grid reloads with them only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import SelectionList

from tests import test_journal_subgroups
from tests.test_journal_subgroups import ONE, TODAY, Split
from tests.test_tui import drive, screen_text, settle
from zhurnal.core.config import Config
from zhurnal.core.services.subgroups import SubgroupService
from zhurnal.tui import i18n
from zhurnal.tui.app import create_app
from zhurnal.tui.app.screens.journal import JournalListScreen
from zhurnal.tui.app.screens.journal_grid import JournalGridScreen
from zhurnal.tui.app.screens.subgroup_form import SubgroupScreen
from zhurnal.tui.app.widgets.journal_grid import JournalGrid

split = test_journal_subgroups.split  # English in two subgroups in 5А, four students


@pytest.fixture(autouse=True)
def russian() -> Iterator[None]:
    yield
    i18n.set_language("ru")


def test_a_subgroup_teacher_ticks_the_students_of_the_subgroup(store, split: Split):
    a, b, c, d = split.students
    app = create_app(store, config=Config(), actor=split.teacher_one, today=TODAY)

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, JournalListScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, JournalGridScreen)
        assert "Подгруппы не распределены: показан весь класс" in screen_text(app)
        assert app.screen.query_one(JournalGrid).model.rows == 4  # type: ignore[union-attr]
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, SubgroupScreen)
        chooser = app.screen.query_one(SelectionList)
        assert chooser.option_count == 4 and chooser.selected == []
        await pilot.press("escape")  # cancel: nothing saved
        await settle(pilot)
        assert isinstance(app.screen, JournalGridScreen)
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("space", "down", "space", "down", "down", "space")  # Андреев, Борисова, Григорьева
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, JournalGridScreen)
        grid = app.screen.query_one(JournalGrid)
        assert grid.model is not None and [s.id for s in grid.model.students] == [a, b, d]
        assert "Подгруппы не распределены" not in screen_text(app)
        assert "Не распределены по подгруппам: 1 уч." in screen_text(app)  # Васильев is in no subgroup yet

    drive(app, scenario)
    view = SubgroupService(store).members(split.teacher_one, split.class_id, split.subject_id)
    assert {s.student_id: s.subgroup for s in view.students} == {a: ONE, b: ONE, c: None, d: ONE}


def test_the_hint_names_the_key_the_config_binds(store, split: Split):
    # The hint above the grid names the subgroup key as the footer does: remapped in [keymap], the new key.
    app = create_app(store, config=Config(keymap={"journal.subgroup": "f6"}), actor=split.teacher_one, today=TODAY)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, JournalGridScreen)
        text = screen_text(app)
        assert "Подгруппы не распределены: показан весь класс (f6 — распределить)" in text
        assert "^l" not in text and "Ctrl+L" not in text
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, SubgroupScreen)

    drive(app, scenario)


def test_the_hint_names_the_default_key_as_the_footer_does(store, split: Split):
    app = create_app(store, config=Config(), actor=split.teacher_one, today=TODAY)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await settle(pilot)
        assert "Подгруппы не распределены: показан весь класс (^l — распределить)" in screen_text(app)

    drive(app, scenario)
