"""Announcements and support in the console, driven with Pilot at 80×24 against the demo school: the unread
announcements pop up after login and stay on the dashboard until read; Ctrl+T reports a problem from any screen
with the screen's name; the administrator posts and withdraws announcements and answers and closes reports; the
author reads the answer in the app."""

from __future__ import annotations

from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, SelectionList, TextArea

from tests import test_tui
from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
from tests.test_tui import TODAY, drive, fits, make_app, screen_text, settle
from zhurnal.core.models import RoleGrant, User
from zhurnal.core.permissions import Actor
from zhurnal.core.services.announcements import AnnouncementService, Audience
from zhurnal.core.services.support import SupportService
from zhurnal.core.store import Store
from zhurnal.tui.app.screens.announcements import AnnouncementFormScreen, AnnouncementsScreen
from zhurnal.tui.app.screens.classes import ClassesScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.dashboard import DashboardScreen
from zhurnal.tui.app.screens.login import LoginScreen
from zhurnal.tui.app.screens.news import NewsScreen
from zhurnal.tui.app.screens.report import ReportScreen
from zhurnal.tui.app.screens.support import SupportScreen, TicketScreen

demo = test_tui.demo
actor = test_tui.actor
russian = test_tui.russian


def teacher_of(store: Store, admin: Actor) -> Actor:
    """A teacher's account of the demo school, as it would sign in."""
    with store.session(write=False) as session:
        user = session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                               .where(RoleGrant.role == "teacher").order_by(User.id)).first()
        assert user is not None
        return Actor(user.id, user.login, admin.school_id, frozenset({"teacher"}), user.person_id)


def test_unread_announcements_pop_up_after_login_and_stay_until_read(demo, actor):
    service = AnnouncementService(demo)
    service.post(actor, "Педсовет в пятницу", "В 15:00 в актовом зале.", Audience(everyone=True), today=TODAY)
    service.post(actor, "Только родителям", "Собрание.", Audience(roles=("parent",)), today=TODAY)
    app = make_app(demo)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press(*ADMIN_LOGIN, "enter", *ADMIN_PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, NewsScreen)
        text = screen_text(app)
        assert "Педсовет в пятницу" in text and "В 15:00 в актовом зале." in text
        assert "Только родителям" not in text  # addressed to parents, not to the administrator
        fits(app, "#news-box", min_height=5)
        await pilot.press("escape")  # later: it stays on the start screen
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "Педсовет в пятницу" in screen_text(app)
        assert "Журнал аудита" in screen_text(app)  # the attention list still fits under it
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, NewsScreen)
        await pilot.press("enter")  # read
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "Педсовет в пятницу" not in screen_text(app)

    drive(app, scenario)
    assert service.mine(actor, on=TODAY, unread_only=True) == []


def test_ctrl_t_reports_a_problem_from_any_screen_with_its_name(demo, actor):
    app = make_app(demo)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+t")  # nobody signed in: nothing to report as
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*ADMIN_LOGIN, "enter", *ADMIN_PASSWORD, "enter")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ClassesScreen)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert "ClassesScreen" in screen_text(app)
        fits(app, "#report-text", min_height=5)
        await pilot.press("ctrl+s")  # empty: refused before any call
        await settle(pilot)
        assert "Напишите текст" in screen_text(app)
        await pilot.press("ctrl+t")  # no second form over the first
        await settle(pilot)
        assert len([s for s in app.screen_stack if isinstance(s, ReportScreen)]) == 1
        await pilot.press(*"Roster is empty", "enter", *"after F6")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClassesScreen)  # back where the user was

    drive(app, scenario)
    (row,) = SupportService(demo).queue(actor, "open")
    assert row.screen == "ClassesScreen" and row.author_login == ADMIN_LOGIN
    assert SupportService(demo).get(actor, row.id).text == "Roster is empty\nafter F6"


def test_post_an_announcement_to_roles_and_withdraw_it(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("announcements")
        await settle(pilot)
        assert isinstance(app.screen, AnnouncementsScreen)
        assert "Объявлений нет" in screen_text(app)
        await pilot.press("f9")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AnnouncementFormScreen)
        for selector in ("#ann-title", "#ann-until", "#ann-everyone", "#ann-roles", "#ann-classes", "#ann-body",
                         "KeyFooter"):
            fits(app, selector)
        classes = form.query_one("#ann-classes", SelectionList)
        assert classes.option_count > 20  # the demo's classes of the year
        assert app.focused is form.query_one("#ann-title", Input)
        await pilot.press(*"Каникулы")
        assert form.query_one("#ann-title", Input).value == "Каникулы"
        await pilot.press("ctrl+s")  # no audience, no text
        await settle(pilot)
        assert isinstance(app.screen, AnnouncementFormScreen)
        assert "Текст: обязательное поле" in screen_text(app) and "Кому: выберите" in screen_text(app)
        roles = form.query_one("#ann-roles", SelectionList)
        roles.focus()
        await pilot.press("down", "down", "space")  # teacher
        classes.focus()
        await pilot.press("space")  # the first class
        form.query_one("#ann-body", TextArea).focus()
        await pilot.press(*"С 29 декабря")
        assert roles.selected == ["teacher"] and len(classes.selected) == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AnnouncementsScreen)
        for _ in range(20):  # the list reloads after the form closes: wait for that load, not for a time
            if "Каникулы" in screen_text(app):
                break
            await settle(pilot)
        table = app.screen.query_one("#announcements", DataTable)
        assert table.row_count == 1 and "Каникулы" in [str(cell) for cell in table.get_row_at(0)]
        text = screen_text(app)
        assert "Каникулы" in text and "показывается" in text, text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NewsScreen) and "С 29 декабря" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, AnnouncementsScreen) and "снято" in screen_text(app)

    drive(app, scenario)
    (posted,) = AnnouncementService(demo).list(actor)
    assert posted.audience.roles == ("teacher",) and len(posted.audience.class_ids) == 1
    assert posted.body == "С 29 декабря" and posted.withdrawn_at is not None


def test_the_administrator_answers_and_the_author_reads_it(demo, actor):
    teacher = teacher_of(demo, actor)
    ticket = SupportService(demo).report(teacher, "Не вижу свой класс", screen="DashboardScreen").row.id
    admin_app = make_app(demo, actor)

    async def answer(pilot: Pilot[None]) -> None:
        admin_app.action_open("support")
        await settle(pilot)
        assert isinstance(admin_app.screen, SupportScreen)
        text = screen_text(admin_app)
        assert "ждёт ответа" in text and "Не вижу свой" in text and "Dashboard" in text
        assert screen_text(admin_app).splitlines()[-1].count("f10 Выход") == 1  # the footer fits
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(admin_app.screen, TicketScreen)
        for selector in ("#ticket-thread", "#ticket-text", "KeyFooter"):
            fits(admin_app, selector)
        await pilot.press(*"Класс назначен, войдите заново")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Класс назначен, войдите заново" in screen_text(admin_app)
        assert admin_app.screen.query_one("#ticket-text", TextArea).text == ""
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(admin_app.screen, SupportScreen)
        assert "Обращений нет" in screen_text(admin_app)  # the filter shows the waiting ones
        await pilot.press("f7")  # answered
        await settle(pilot)
        assert "есть ответ" in screen_text(admin_app)

    drive(admin_app, answer)
    teacher_app = make_app(demo, teacher)

    async def read(pilot: Pilot[None]) -> None:
        await pilot.press("escape")  # a teacher starts in their journals; the dashboard is under them
        await settle(pilot)
        assert "Ответы на ваши обращения: 1" in screen_text(teacher_app)
        teacher_app.action_open("support")
        await settle(pilot)
        assert "● есть ответ" in screen_text(teacher_app)
        await pilot.press("enter")
        await settle(pilot)
        assert "Класс назначен, войдите заново" in screen_text(teacher_app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(teacher_app.screen, SupportScreen)
        assert "●" not in screen_text(teacher_app)

    drive(teacher_app, read)
    assert SupportService(demo).unread_answers(teacher) == 0

    closing_app = make_app(demo, actor)

    async def close(pilot: Pilot[None]) -> None:
        closing_app.action_open("support")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(closing_app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert "закрыто" in screen_text(closing_app)
        assert closing_app.screen.query_one("#ticket-text", TextArea).disabled

    drive(closing_app, close)
    assert SupportService(demo).get(actor, ticket).row.status == "closed"
