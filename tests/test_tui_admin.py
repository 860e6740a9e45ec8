"""The account-administration screens driven with Pilot at 80×24 against a copy of the demo school on both
engines: create an account, reset a password (shown once), grant a role after typing one's password again (and
the refusal of a wrong one), change a temporary password at login, and the audit log's filters and pages.
Tests never sleep (`settle` waits for the workers)."""

from __future__ import annotations

import pytest
from sqlalchemy import exists, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, SelectionList

from tests import test_tui
from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, SEED_TODAY
from tests.test_tui import drive, make_app, screen_text, settle
from zhurnal.core.errors import AuthenticationFailed
from zhurnal.core.models import AuditRecord, Person, SchoolClass, User
from zhurnal.core.services.accounts import AuthService
from zhurnal.core.services.codes import BAD_CODE, CodeService
from zhurnal.core.services.users import UserService
from zhurnal.core.store import Store
from zhurnal.tui.app.screens.account import AccountScreen
from zhurnal.tui.app.screens.account_form import AccountFormScreen
from zhurnal.tui.app.screens.audit import AuditScreen
from zhurnal.tui.app.screens.audit_record import AuditRecordScreen
from zhurnal.tui.app.screens.confirm import ConfirmScreen
from zhurnal.tui.app.screens.dashboard import DashboardScreen
from zhurnal.tui.app.screens.diary import DiaryScreen
from zhurnal.tui.app.screens.login import LoginScreen
from zhurnal.tui.app.screens.password import PasswordScreen
from zhurnal.tui.app.screens.roles import RolesScreen
from zhurnal.tui.app.screens.shown_once import ShownOnceScreen
from zhurnal.tui.app.screens.users import UsersScreen
from zhurnal.tui.app.widgets.form import field_of
from zhurnal.tui.app.widgets.person_picker import PersonPicker

demo = test_tui.demo
actor = test_tui.actor
russian = test_tui.russian

NEW_ADMIN_PASSWORD = "a brand new passphrase for the school"


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)


def some_account(store: Store, actor) -> tuple[int, str]:
    """An enabled account of the demo other than the administrator's (id, login)."""
    rows = UserService(store).list(actor, active=True).rows
    row = next(r for r in rows if r.login != ADMIN_LOGIN and "admin" not in r.roles)
    return row.id, row.login


async def open_account(pilot: Pilot[None], login: str) -> AccountScreen:
    app = pilot.app
    app.action_open("users")  # type: ignore[attr-defined]
    await settle(pilot)
    assert isinstance(app.screen, UsersScreen)
    await pilot.press(*login)
    await settle(pilot)
    table = app.screen.query_one("#users-table", DataTable)
    assert str(table.get_row_at(0)[0]) == login
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, AccountScreen)
    return app.screen


def test_users_list_searches_as_you_type_and_fits_80x24(demo, actor):
    app = make_app(demo, actor)
    _, login = some_account(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("users")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        table = app.screen.query_one("#users-table", DataTable)
        everyone = table.row_count
        assert everyone > 1
        assert table.virtual_size.width <= table.scrollable_content_region.width  # every column visible at 80 columns
        await pilot.press(*login)
        await settle(pilot)
        assert 1 <= table.row_count < everyone and str(table.get_row_at(0)[0]) == login
        assert "Пользователи и роли" in screen_text(app)

    drive(app, scenario)


def test_create_an_account_for_a_person(demo, actor):
    with demo.session(write=False) as s:
        person = s.execute(select(Person).where(~exists().where(User.person_id == Person.id))
                           .order_by(Person.id).limit(1)).scalar_one()
        full = " ".join(p for p in (person.last_name, person.first_name, person.middle_name) if p)
        person_id = person.id
    app = make_app(demo, actor)
    secret: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("users")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AccountFormScreen)
        await type_into(pilot, "#account-person Input", full)
        await settle(pilot)
        assert form.query_one("#account-person", PersonPicker).chosen[0] == person_id
        form.query_one("#account-login", Input).focus()
        await pilot.pause()
        assert form.query_one("#account-login", Input).value  # suggested from the name
        await type_into(pilot, "#account-login", "x")  # too short: the core's message under the login
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountFormScreen)
        assert "Имя входа" in field_of(form, "login").text
        await type_into(pilot, "#account-login", "new.account")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ShownOnceScreen)
        secret.append(app.screen.secret)
        assert secret[0] in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert "new.account" in screen_text(app) and "временный" in screen_text(app)

    drive(app, scenario)
    signed = AuthService(demo, sleep=lambda _s: None).login("new.account", secret[0])
    assert signed.must_change_password and signed.actor.person_id == person_id


def test_reset_a_password_shows_the_temporary_one_once(demo, actor):
    user_id, login = some_account(demo, actor)
    app = make_app(demo, actor)
    secret: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await open_account(pilot, login)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # No is the default: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, ShownOnceScreen)
        secret.append(app.screen.secret)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert secret[0] not in screen_text(app)

    drive(app, scenario)
    assert AuthService(demo, sleep=lambda _s: None).login(login, secret[0]).must_change_password
    with demo.session(write=False) as s:
        resets = s.scalars(select(AuditRecord.detail).where(AuditRecord.action == "user.reset",
                                                             AuditRecord.object_id == user_id)).all()
    assert resets == ["temporary password"]


def test_grant_a_role_needs_the_right_password(demo, actor):
    user_id, login = some_account(demo, actor)
    before = UserService(demo).show(actor, user_id).roles
    wanted = "auditor"
    assert wanted not in before
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_account(pilot, login)
        await pilot.press("ctrl+g")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RolesScreen)
        offered = form.query_one("#roles-list", SelectionList)
        assert offered.option_count == 8  # an administrator may assign every role
        offered.select(wanted)
        await type_into(pilot, "#roles-password", "not my password")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RolesScreen)
        assert "Неверный пароль" in field_of(form, "confirmed_password").text
        assert UserService(demo).show(actor, user_id).roles == before
        await type_into(pilot, "#roles-password", ADMIN_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert wanted in screen_text(app)

    drive(app, scenario)
    assert wanted in UserService(demo).show(actor, user_id).roles
    with demo.session(write=False) as s:
        reauth = s.scalars(select(AuditRecord.outcome).where(AuditRecord.action == "auth.reauth")
                           .order_by(AuditRecord.seq)).all()
    assert reauth[-2:] == ["failed", "ok"]


def test_a_deputy_is_offered_only_the_roles_they_may_assign(demo, actor):
    from zhurnal.tui.app.admin_calls import assignable

    deputy = actor.__class__(actor.user_id, actor.login, actor.school_id, frozenset({"deputy"}))
    assert assignable(deputy) == ("teacher", "class_teacher", "student", "parent")
    teacher = actor.__class__(actor.user_id, actor.login, actor.school_id, frozenset({"teacher"}))
    assert assignable(teacher) == ()


DEPUTY_PASSWORD = "the deputy director's own passphrase"


def test_a_deputy_grants_a_teacher_role_and_resets_nothing(demo, actor):
    # The deputy director holds roles.assign, not accounts.manage: the users section opens for them with the
    # role change as the account's only action.
    UserService(demo).add(actor, "zavuch", roles=["deputy"], password=DEPUTY_PASSWORD,
                          confirmed_password=ADMIN_PASSWORD)
    deputy = AuthService(demo, sleep=lambda _s: None).login("zavuch", DEPUTY_PASSWORD).actor
    target = UserService(demo).add(actor, "novikova")  # an account without roles yet
    app = make_app(demo, deputy)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_account(pilot, target.login)
        for refused in ("reset", "letter", "disable", "enable"):
            assert screen.check_action(refused, ()) is False
        assert screen.check_action("roles", ())
        await pilot.press("ctrl+r")  # the reset key does nothing here
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("ctrl+g")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RolesScreen)
        offered = form.query_one("#roles-list", SelectionList)
        assert offered.option_count == 4  # teacher, class_teacher, student, parent
        offered.select("teacher")
        await type_into(pilot, "#roles-password", DEPUTY_PASSWORD)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)

    drive(app, scenario)
    assert "teacher" in UserService(demo).show(actor, target.id).roles
    assert not UserService(demo).show(actor, target.id).must_change_password
    with demo.session(write=False) as s:
        assert s.scalars(select(AuditRecord.outcome).where(AuditRecord.action == "auth.reauth")
                         .order_by(AuditRecord.seq.desc())).first() == "ok"
        assert not s.scalar(select(exists().where(AuditRecord.action == "user.reset")))


def test_a_temporary_password_is_changed_at_login(demo, actor):
    with demo.session() as session:
        user = session.scalar(select(User).where(User.login == ADMIN_LOGIN))
        assert user is not None
        user.must_change_password = True
        session.commit()
    app = make_app(demo)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press(*ADMIN_LOGIN, "enter", *ADMIN_PASSWORD, "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PasswordScreen) and app.ctx.actor is None
        await pilot.press("f3")  # nothing opens before the password is changed
        await settle(pilot)
        assert app.screen is form
        assert app.focused is form.query_one("#password-old", Input)
        await pilot.press("down", "down")  # Up and Down move between a form's fields
        assert app.focused is form.query_one("#password-repeat", Input)
        await pilot.press("up")
        assert app.focused is form.query_one("#password-new", Input)
        await type_into(pilot, "#password-old", ADMIN_PASSWORD)
        await type_into(pilot, "#password-new", "short one")
        await type_into(pilot, "#password-repeat", "short one")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "15" in field_of(form, "password").text  # the core's policy for administrators
        await type_into(pilot, "#password-new", NEW_ADMIN_PASSWORD)
        await type_into(pilot, "#password-repeat", NEW_ADMIN_PASSWORD + "x")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert field_of(form, "repeat").text
        await type_into(pilot, "#password-repeat", NEW_ADMIN_PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen), screen_text(app)
        assert app.ctx.actor is not None and app.ctx.actor.login == ADMIN_LOGIN

    drive(app, scenario)
    signed = AuthService(demo, sleep=lambda _s: None).login(ADMIN_LOGIN, NEW_ADMIN_PASSWORD)
    assert not signed.must_change_password


def test_a_letters_code_opens_the_account_and_the_person_chooses_a_password(demo, actor):
    with demo.session() as session:
        class_id = session.scalar(select(SchoolClass.id).where(SchoolClass.name == "5А")
                                  .order_by(SchoolClass.id.desc()))
    codes = CodeService(demo, sleep=lambda _s: None)
    student = codes.issue(actor, class_id=class_id, include_active=True, on=SEED_TODAY)[0]
    chosen = "зелёная лампа на окне"
    app = make_app(demo)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f2")  # the letter says: choose the way in with a code
        assert app.screen.query_one("#password", Input).password is False  # typed from paper, shown
        await pilot.press(*student.login, "enter", *"ZZZZZ-ZZZZZ-ZZZZZ", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.ctx.actor is None
        assert str(app.screen.query_one("#login-message").render()) == BAD_CODE
        await pilot.press(*student.code.lower(), "enter")  # as printed, in any case
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PasswordScreen) and app.ctx.actor is None
        assert not form.query("#password-old") and app.focused is form.query_one("#password-new", Input)
        await type_into(pilot, "#password-new", "short")
        await type_into(pilot, "#password-repeat", "short")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "12" in field_of(form, "password").text  # the core's policy; the code is still unused
        codes.check(student.login, student.code)
        await type_into(pilot, "#password-new", chosen)
        await type_into(pilot, "#password-repeat", chosen)
        await pilot.press("enter")
        await settle(pilot)
        assert app.ctx.actor is not None and app.ctx.actor.login == student.login
        assert isinstance(app.screen, DiaryScreen), screen_text(app)

    drive(app, scenario)
    assert AuthService(demo, sleep=lambda _s: None).login(student.login, chosen).actor.login == student.login
    with pytest.raises(AuthenticationFailed, match=BAD_CODE):  # spent
        codes.check(student.login, student.code)


def test_escape_from_the_temporary_password_form_goes_back_to_login(demo, actor):
    with demo.session() as session:
        user = session.scalar(select(User).where(User.login == ADMIN_LOGIN))
        user.must_change_password = True
        session.commit()
    app = make_app(demo)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press(*ADMIN_LOGIN, "enter", *ADMIN_PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, PasswordScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.ctx.actor is None

    drive(app, scenario)


def test_change_own_password_from_the_sections(demo, actor):
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("password")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PasswordScreen)
        await type_into(pilot, "#password-old", "wrong current password")
        await type_into(pilot, "#password-new", NEW_ADMIN_PASSWORD)
        await type_into(pilot, "#password-repeat", NEW_ADMIN_PASSWORD)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Неверный текущий пароль" in field_of(form, "old").text
        await type_into(pilot, "#password-old", ADMIN_PASSWORD)
        await type_into(pilot, "#password-new", NEW_ADMIN_PASSWORD)
        await type_into(pilot, "#password-repeat", NEW_ADMIN_PASSWORD)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)

    drive(app, scenario)
    AuthService(demo, sleep=lambda _s: None).login(ADMIN_LOGIN, NEW_ADMIN_PASSWORD)


def test_audit_log_filters_narrow_the_list_and_pages_load(demo, actor):
    app = make_app(demo, actor)
    app.ctx.page_size = 5

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("audit")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one("#audit-table", DataTable)
        assert table.row_count == 5
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert "цела" in screen_text(app)  # the chain verifies
        newest = [int(str(r.key.value)) for r in table.ordered_rows]
        assert newest == sorted(newest, reverse=True)
        await pilot.press("down")  # into the list
        await pilot.press(*["down"] * 4)  # the cursor reaches the last loaded row: the next page loads
        await settle(pilot)
        assert table.row_count == 10
        keys = [int(str(r.key.value)) for r in table.ordered_rows]
        assert keys == sorted(keys, reverse=True) and len(set(keys)) == 10

        await type_into(pilot, "#audit-action", "user.create")
        await settle(pilot)
        actions = {str(table.get_row_at(i)[3]) for i in range(table.row_count)}
        assert actions == {"user.create"}
        await type_into(pilot, "#audit-user", "nobody-at-all")
        await settle(pilot)
        assert table.row_count == 0
        await type_into(pilot, "#audit-user", ADMIN_LOGIN)
        await type_into(pilot, "#audit-action", "auth.")
        await settle(pilot)
        assert table.row_count >= 1
        assert {str(table.get_row_at(i)[2]) for i in range(table.row_count)} == {ADMIN_LOGIN}
        await type_into(pilot, "#audit-to", "01.01.2000")
        await settle(pilot)
        assert table.row_count == 0
        await type_into(pilot, "#audit-to", "31.02.2020")  # no such day: said, and the list is kept
        await settle(pilot)
        assert "«по»: такой даты нет" in str(screen.query_one("#audit-status").content)
        await type_into(pilot, "#audit-to", "")
        await settle(pilot)
        assert table.row_count >= 1
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AuditRecordScreen)
        assert app.screen.entry.action.startswith("auth.")
        assert app.screen.entry.hash[:40] in screen_text(app)  # the chain hash, wrapped at 80 columns
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

    drive(app, scenario)


def test_a_login_code_letter_asks_for_the_password_and_lands_in_the_export_folder(demo, actor):
    from zhurnal.tui.app.admin_calls import export_dir
    from zhurnal.tui.app.screens.password_prompt import PasswordPromptScreen

    user_id, login = some_account(demo, actor)
    before = set(export_dir().glob(f"letter-{login}-*.pdf")) if export_dir().exists() else set()
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        await open_account(pilot, login)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert isinstance(app.screen, PasswordPromptScreen)
        await pilot.press(*"not my password", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert not set(export_dir().glob(f"letter-{login}-*.pdf")) - before  # refused: nothing written
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("ctrl+y")
        await settle(pilot)
        await pilot.press(*ADMIN_PASSWORD, "enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)

    drive(app, scenario)
    written = set(export_dir().glob(f"letter-{login}-*.pdf")) - before
    assert len(written) == 1
    letter = written.pop()
    assert letter.read_bytes().startswith(b"%PDF") and letter.stat().st_mode & 0o077 == 0
    with demo.session(write=False) as s:
        issued = s.scalars(select(AuditRecord.action).where(AuditRecord.object_id == user_id,
                                                             AuditRecord.action == "code.issue")).all()
        exported = s.scalars(select(AuditRecord.detail).where(AuditRecord.action == "letters.export")).all()
        from zhurnal.core.models import RoleGrant

        roles = set(s.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user_id)))
    kind = "student" if "student" in roles else "parent" if "parent" in roles else "staff"
    assert len(issued) == 1 and exported[-1] == f"format=pdf count=1 kind={kind}"


def test_disable_asks_first_and_enable_restores(demo, actor):
    user_id, login = some_account(demo, actor)
    app = make_app(demo, actor)

    async def scenario(pilot: Pilot[None]) -> None:
        account = await open_account(pilot, login)
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # No
        await settle(pilot)
        assert account.detail is not None and account.detail.active
        await pilot.press("ctrl+d")
        await settle(pilot)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert account.detail is not None and not account.detail.active
        assert "отключена" in screen_text(app)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert account.detail is not None and account.detail.active
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)

    drive(app, scenario)
    assert UserService(demo).show(actor, user_id).active


def test_the_audit_person_filter_finds_a_person_by_name(demo, actor):
    from zhurnal.core.services.audit_log import AuditFilter, AuditLogService
    from zhurnal.tui.app.screens.pick_person import PickPersonScreen

    with demo.session(write=False) as s:
        person_id, full = s.execute(
            select(AuditRecord.person_id, Person.last_name + " " + Person.first_name + " " + Person.middle_name)
            .join(Person, Person.id == AuditRecord.person_id).where(Person.middle_name.is_not(None))
            .order_by(AuditRecord.seq.desc()).limit(1)).one()
    expected = len(AuditLogService(demo).list(actor, AuditFilter(person_id=person_id), limit=50).rows)
    app = make_app(demo, actor, lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        app.action_open("audit")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen) and "Audit log" in screen_text(app)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, PickPersonScreen)
        await pilot.press(*full)
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#audit-person", Input).value == str(person_id)
        assert screen.query_one("#audit-table", DataTable).row_count == expected >= 1

    drive(app, scenario)
