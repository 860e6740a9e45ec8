"""User accounts: creating, listing, disabling, unlocking, resetting, changing one's password, granting roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
from tests.helpers import records
from zhurnal.core.audit import verify_chain
from zhurnal.core.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import RoleGrant, School, User, utcnow
from zhurnal.core.permissions import Actor, check_assign
from zhurnal.core.services.accounts import AuthService
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.users import UserService

PASSWORD = "a teacher's passphrase 7"
OTHER_PASSWORD = "another long passphrase 8"


@pytest.fixture
def users(store):
    return UserService(store, sleep=lambda _seconds: None)


@pytest.fixture
def auth(store):
    return AuthService(store, sleep=lambda _seconds: None)


def add(users, admin, login, *roles, password=PASSWORD, **kwargs):
    confirmed = ADMIN_PASSWORD if roles else None
    return users.add(admin, login, roles=roles, password=password, confirmed_password=confirmed, **kwargs)


def row(store, login) -> User:
    with store.session() as s:
        return s.scalars(select(User).where(User.login == login)).one()


def grants(store, login) -> set[tuple[str, int | None]]:
    with store.session() as s:
        return {(g.role, g.school_id) for g in s.scalars(
            select(RoleGrant).join(User, User.id == RoleGrant.user_id).where(User.login == login))}


def outcomes(store, action) -> list[tuple[str, str | None]]:
    return [(r.outcome, r.detail) for r in records(store, action)]


def signed_in(auth, login, password=PASSWORD) -> Actor:
    return auth.login(login, password).actor


# ---------------------------------------------------------------------------------------------------- add


def test_add_creates_an_account_with_roles_in_the_operators_school(users, auth, admin, school, store):
    created = add(users, admin, "Ivanov.II", "teacher", "parent")
    assert (created.login, created.roles, created.active, created.has_password) == (
        "ivanov.ii", ("teacher", "parent"), True, True)
    assert created.school_id == school.school_id and not created.must_change_password
    assert grants(store, "ivanov.ii") == {("teacher", school.school_id), ("parent", school.school_id)}
    assert [r.object_id for r in records(store, "user.create")][-1] == created.id
    assert outcomes(store, "role.grant")[-2:] == [("ok", "teacher"), ("ok", "parent")]
    # Logins are case-insensitive at sign-in too.
    actor = signed_in(auth, "IVANOV.ii")
    assert actor.roles == {"teacher", "parent"} and "journal.write" in actor.actions


@pytest.mark.parametrize("login", ["ab", "x" * 61, "иванов", "-dash", "two words", "", "a/b"])
def test_login_rules(users, admin, login):
    with pytest.raises(ValidationFailed) as failure:
        add(users, admin, login)
    assert [p.field for p in failure.value.problems] == ["login"]
    assert failure.value.problems[0].message.startswith("Имя входа")


def test_login_unique_regardless_of_case(users, admin):
    with pytest.raises(Conflict, match="занято"):
        add(users, admin, ADMIN_LOGIN.upper())
    add(users, admin, "petrov")
    with pytest.raises(Conflict):
        add(users, admin, "Petrov")


def test_password_policy_applies_and_administrators_need_15(users, admin, store):
    with pytest.raises(ValidationFailed) as short:
        add(users, admin, "petrov", password="short one")
    with pytest.raises(ValidationFailed) as common:
        add(users, admin, "petrov", password="password1234")
    with pytest.raises(ValidationFailed) as has_login:
        add(users, admin, "petrov", password="petrov petrov petrov")
    for failure in (short, common, has_login):
        assert {p.field for p in failure.value.problems} == {"password"}
    thirteen = "thirteen char"
    with pytest.raises(ValidationFailed, match="15"):
        add(users, admin, "petrov", "admin", password=thirteen)
    assert add(users, admin, "petrov", "teacher", password=thirteen).roles == ("teacher",)
    assert records(store, "user.create")[-1].fields == '["login", "password_hash"]'  # names, never values


def test_account_without_password_waits_for_a_code(users, auth, admin):
    created = users.add(admin, "sidorov", password=None)
    assert not created.has_password and not created.must_change_password
    with pytest.raises(AuthenticationFailed):
        auth.login("sidorov", "")
    with pytest.raises(ValidationFailed) as failure:
        users.add(admin, "sidorova", password=None, temporary=True)
    assert [p.field for p in failure.value.problems] == ["temporary"]


def test_temporary_password_must_be_changed_at_first_login(users, auth, admin):
    add(users, admin, "petrov", temporary=True)
    assert auth.login("petrov", PASSWORD).must_change_password is True


def test_account_for_a_person_once(users, admin, store):
    person = PersonService(store).create(admin, PersonInput("Петров", "Пётр", "Петрович", date(1980, 1, 2))).person
    created = add(users, admin, "petrov", "teacher", person_id=person.id)
    assert (created.person_id, created.full_name) == (person.id, "Петров Пётр Петрович")
    with pytest.raises(Conflict, match="petrov"):
        add(users, admin, "petrov2", person_id=person.id)
    with pytest.raises(ValidationFailed) as failure:
        add(users, admin, "nobody", person_id=999_999)
    assert [p.field for p in failure.value.problems] == ["person_id"]


def test_roles_on_add_need_the_operators_password_again(users, admin, store):
    with pytest.raises(AuthenticationFailed):
        users.add(admin, "petrov", roles=["admin"], password=PASSWORD + " long")
    with pytest.raises(AuthenticationFailed):
        users.add(admin, "petrov", roles=["admin"], password=PASSWORD + " long", confirmed_password="wrong")
    with pytest.raises(ValidationFailed) as unknown:
        users.add(admin, "petrov", roles=["director"], password=PASSWORD, confirmed_password=ADMIN_PASSWORD)
    assert [p.field for p in unknown.value.problems] == ["roles"]
    with store.session() as s:
        assert s.scalar(select(User.id).where(User.login == "petrov")) is None
    assert outcomes(store, "auth.reauth") == [("failed", "wrong password")]


# ---------------------------------------------------------------------------------------------------- list


def test_list_filters_and_pages(users, admin, store):
    add(users, admin, "a.teacher", "teacher")
    add(users, admin, "b.parent", "parent")
    add(users, admin, "c.both", "teacher", "parent")
    users.lock(admin, "b.parent")
    page = users.list(admin)
    assert [r.login for r in page.rows] == ["a.teacher", ADMIN_LOGIN, "b.parent", "c.both"]
    assert page.next_after is None
    assert [r.login for r in users.list(admin, role="teacher").rows] == ["a.teacher", "c.both"]
    assert [r.login for r in users.list(admin, active=False).rows] == ["b.parent"]
    first = users.list(admin, limit=2)
    assert [r.login for r in first.rows] == ["a.teacher", ADMIN_LOGIN] and first.next_after == ADMIN_LOGIN
    assert [r.login for r in users.list(admin, after_login=first.next_after, limit=2).rows] == ["b.parent",
                                                                                                 "c.both"]
    both = users.list(admin, role="parent").rows[-1]
    assert (both.login, both.roles, both.active, both.locked) == ("c.both", ("teacher", "parent"), True, False)
    with pytest.raises(ValidationFailed):
        users.list(admin, role="director")


def test_never_used_accounts_are_listed(users, auth, admin, store):
    for login in ("old.unused", "old.used", "new.unused"):
        add(users, admin, login)
    signed_in(auth, "old.used")
    long_ago = utcnow() - timedelta(days=40)
    with store.session() as s:
        s.execute(update(User).where(User.login.in_(["old.unused", "old.used", ADMIN_LOGIN]))
                  .values(created_at=long_ago))
        s.commit()
    assert [r.login for r in users.list(admin, never_used_days=30).rows] == [ADMIN_LOGIN, "old.unused"]
    signed_in(auth, ADMIN_LOGIN, ADMIN_PASSWORD)
    assert [r.login for r in users.list(admin, never_used_days=30).rows] == ["old.unused"]
    assert [r.login for r in users.list(admin, never_used_days=0).rows] == ["new.unused", "old.unused"]


def test_accounts_of_another_school_are_not_found(users, admin, store):
    with store.session() as s:
        other = School(code="school-2", name="МБОУ «СОШ № 2»")
        s.add(other)
        s.flush()
        s.add(User(login="stranger", school_id=other.id))
        s.commit()
    with pytest.raises(NotFound):
        users.show(admin, "stranger")
    with pytest.raises(NotFound):
        users.lock(admin, "stranger")
    assert "stranger" not in [r.login for r in users.list(admin).rows]


# ---------------------------------------------------------------------------------------------- show, lock


def test_show_counts_failures_and_sign_in_events(users, auth, admin):
    add(users, admin, "petrov", "teacher")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            auth.login("petrov", "not the password")
    detail = users.show(admin, "Petrov")
    assert (detail.recent_failures, detail.recent_auth_events, detail.locked) == (2, 2, False)
    signed_in(auth, "petrov")
    detail = users.show(admin, detail.id)
    assert (detail.recent_failures, detail.recent_auth_events) == (0, 3)
    assert detail.last_login_at is not None and detail.roles == ("teacher",)
    with pytest.raises(NotFound):
        users.show(admin, "nobody")


def test_lock_disables_and_unlock_enables(users, auth, admin, store):
    add(users, admin, "petrov", "teacher")
    state = users.lock(admin, "petrov")
    assert (state.active, state.changed) == (False, True)
    assert users.lock(admin, "petrov").changed is False
    with pytest.raises(AuthenticationFailed, match="отключена"):
        auth.login("petrov", PASSWORD)
    state = users.unlock(admin, "petrov")
    assert (state.active, state.changed) == (True, True)
    assert signed_in(auth, "petrov").login == "petrov"
    user_id = row(store, "petrov").id
    assert [(r.outcome, r.fields) for r in records(store, "user.disable")] == [("ok", '["is_active"]')]
    assert [r.object_id for r in records(store, "user.unlock")] == [user_id]
    assert [r.object_id for r in records(store, "user.enable")] == [user_id]


def test_own_account_cannot_be_disabled(users, admin, store):
    with pytest.raises(PermissionDenied, match="собственную"):
        users.lock(admin, ADMIN_LOGIN)
    assert row(store, ADMIN_LOGIN).is_active
    assert outcomes(store, "user.disable") == [("denied", "own account")]


def test_unlock_restarts_the_failure_count(users, auth, admin, store):
    add(users, admin, "petrov", "teacher")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login("petrov", "not the password")
    with pytest.raises(AuthenticationFailed, match="заблокирована"):
        auth.login("petrov", PASSWORD)
    assert users.show(admin, "petrov").locked
    users.unlock(admin, "petrov")
    assert not users.show(admin, "petrov").locked
    # The count starts again: four failures do not lock, the right password works.
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match="Неверное"):
            auth.login("petrov", "not the password")
    assert signed_in(auth, "petrov").login == "petrov"
    assert outcomes(store, "user.lock") == [("ok", "after 5 failures")]


# --------------------------------------------------------------------------------------------------- reset


def test_reset_forces_a_change_at_next_login(users, auth, admin, store):
    add(users, admin, "petrov", "teacher")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login("petrov", "not the password")
    reset = users.reset(admin, "petrov")
    assert reset.password and len(reset.password.replace("-", "")) == 20 and reset.password not in repr(reset)
    with pytest.raises(AuthenticationFailed):
        auth.login("petrov", PASSWORD)  # the old password no longer works; the lock was lifted
    signed = auth.login("petrov", reset.password)
    assert signed.must_change_password is True
    users.change_password(signed.actor, reset.password, OTHER_PASSWORD)
    again = auth.login("petrov", OTHER_PASSWORD)
    assert again.must_change_password is False
    assert [(r.outcome, r.detail) for r in records(store, "user.reset")] == [("ok", "temporary password")]
    assert [r.object_id for r in records(store, "user.password")] == [signed.actor.user_id]


def test_reset_without_password_leaves_the_account_to_a_code(users, admin):
    add(users, admin, "petrov", "student")
    reset = users.reset(admin, "petrov", temporary_password=False)
    assert reset.password is None
    detail = users.show(admin, "petrov")
    assert not detail.has_password and detail.must_change_password


def test_reset_refusals_are_audited_and_change_nothing(users, admin, store):
    with pytest.raises(PermissionDenied, match="Свой пароль"):
        users.reset(admin, ADMIN_LOGIN)
    add(users, admin, "petrov", "teacher")
    users.lock(admin, "petrov")
    before = row(store, "petrov").password_hash
    with pytest.raises(Conflict, match="отключена"):
        users.reset(admin, "petrov")
    assert row(store, "petrov").password_hash == before
    assert outcomes(store, "user.reset") == [("denied", "own account"), ("failed", "disabled")]


# --------------------------------------------------------------------------------------- change_password


def test_change_password_checks_the_old_one_and_the_policy(users, auth, admin, store):
    add(users, admin, "petrov", "teacher")
    actor = signed_in(auth, "petrov")
    before = row(store, "petrov").password_hash
    with pytest.raises(AuthenticationFailed, match="текущий"):
        users.change_password(actor, "not the password", OTHER_PASSWORD)
    with pytest.raises(ValidationFailed) as weak:
        users.change_password(actor, PASSWORD, "short")
    with pytest.raises(ValidationFailed, match="отличаться"):
        users.change_password(actor, PASSWORD, PASSWORD)
    assert [p.field for p in weak.value.problems] == ["password"]
    assert row(store, "petrov").password_hash == before
    assert outcomes(store, "auth.reauth")[1:] == [("failed", "wrong password")]  # the first: adding the role
    users.change_password(actor, PASSWORD, OTHER_PASSWORD)
    assert signed_in(auth, "petrov", OTHER_PASSWORD).login == "petrov"


def test_an_administrator_changes_to_15_characters_at_least(users, admin):
    with pytest.raises(ValidationFailed, match="15"):
        users.change_password(admin, ADMIN_PASSWORD, "fourteen chars")


def test_reauthenticate(users, admin, store):
    assert users.reauthenticate(admin, ADMIN_PASSWORD) is None
    with pytest.raises(AuthenticationFailed):
        users.reauthenticate(admin, "wrong")
    assert outcomes(store, "auth.reauth") == [("ok", None), ("failed", "wrong password")]


def test_wrong_confirmations_count_towards_the_lock_out(users, auth, admin):
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            users.reauthenticate(admin, "wrong")
    with pytest.raises(AuthenticationFailed, match="заблокирована"):
        auth.login(ADMIN_LOGIN, ADMIN_PASSWORD)


# ---------------------------------------------------------------------------------------------------- roles


def test_grant_and_revoke_per_school(users, admin, school, store):
    add(users, admin, "petrov", "teacher")
    change = users.grant(admin, "petrov", "class_teacher", confirmed_password=ADMIN_PASSWORD)
    assert (change.granted, change.roles) == (("class_teacher",), ("teacher", "class_teacher"))
    assert grants(store, "petrov") == {("teacher", school.school_id), ("class_teacher", school.school_id)}
    assert users.grant(admin, "petrov", "teacher", confirmed_password=ADMIN_PASSWORD).granted == ()
    change = users.revoke(admin, "petrov", "teacher", confirmed_password=ADMIN_PASSWORD)
    assert (change.revoked, change.roles) == (("teacher",), ("class_teacher",))
    assert users.roles_of(admin, "petrov") == ("class_teacher",)
    assert outcomes(store, "role.grant")[-1] == ("ok", "class_teacher")
    assert outcomes(store, "role.revoke") == [("ok", "teacher")]
    change = users.change_roles(admin, "petrov", grant=["parent", "student"], revoke=["class_teacher"],
                                confirmed_password=ADMIN_PASSWORD)
    assert change.roles == ("student", "parent")


def test_nobody_changes_their_own_roles(users, admin, store):
    for method in (users.grant, users.revoke):
        with pytest.raises(PermissionDenied, match="самому себе"):
            method(admin, ADMIN_LOGIN, "admin", confirmed_password=ADMIN_PASSWORD)
    assert grants(store, ADMIN_LOGIN) == {("admin", admin.school_id)}
    assert outcomes(store, "role.grant")[-1] == ("denied", "admin")
    assert outcomes(store, "role.revoke") == [("denied", "admin")]


def test_a_deputy_assigns_teaching_roles_but_not_admin(users, auth, admin, store):
    add(users, admin, "deputy", "deputy")
    add(users, admin, "petrov", "teacher")
    deputy = signed_in(auth, "deputy")
    assert users.grant(deputy, "petrov", "class_teacher", confirmed_password=PASSWORD).granted == ("class_teacher",)
    for role in ("admin", "deputy", "auditor"):
        with pytest.raises(PermissionDenied, match=role):
            users.grant(deputy, "petrov", role, confirmed_password=PASSWORD)
    with pytest.raises(PermissionDenied):
        users.revoke(deputy, ADMIN_LOGIN, "admin", confirmed_password=PASSWORD)
    with pytest.raises(PermissionDenied):
        users.add(deputy, "sidorov", roles=["teacher"], password=PASSWORD, confirmed_password=PASSWORD)
    assert grants(store, "petrov") == {("teacher", admin.school_id), ("class_teacher", admin.school_id)}
    assert ("admin", admin.school_id) in grants(store, ADMIN_LOGIN)
    assert outcomes(store, "role.grant")[-3:] == [("denied", "admin"), ("denied", "deputy"), ("denied", "auditor")]
    assert outcomes(store, "role.revoke") == [("denied", "admin")]
    assert [r.outcome for r in records(store, "user.add")] == ["denied"]  # refused by the decorator


def test_a_deputy_finds_accounts_but_changes_none(users, auth, admin, store):
    # roles.assign reads the account list and one account (to grant roles); changing an account itself stays
    # with accounts.manage, refused and audited by the decorator.
    add(users, admin, "deputy", "deputy")
    add(users, admin, "petrov", "teacher")
    deputy = signed_in(auth, "deputy")
    assert "petrov" in [r.login for r in users.list(deputy, text="petr").rows]
    assert users.show(deputy, "petrov").roles == ("teacher",)
    for change in (users.lock, users.unlock, users.reset):
        with pytest.raises(PermissionDenied):
            change(deputy, "petrov")
    assert [r.outcome for r in records(store, "user.reset")] == ["denied"]
    assert row(store, "petrov").is_active
    add(users, admin, "ivanov", "teacher")
    with pytest.raises(PermissionDenied):
        users.list(signed_in(auth, "ivanov"))


def test_role_changes_need_the_password_again(users, admin, store):
    add(users, admin, "petrov", "teacher")
    with pytest.raises(AuthenticationFailed, match="Неверный пароль"):
        users.grant(admin, "petrov", "admin", confirmed_password="not my password")
    assert grants(store, "petrov") == {("teacher", admin.school_id)}
    assert outcomes(store, "auth.reauth") == [("ok", None), ("failed", "wrong password")]


def test_role_change_refusals(users, admin, store):
    add(users, admin, "petrov", "teacher")
    with pytest.raises(ValidationFailed) as unknown:
        users.grant(admin, "petrov", "director", confirmed_password=ADMIN_PASSWORD)
    assert [p.field for p in unknown.value.problems] == ["grant"]
    with pytest.raises(ValidationFailed):
        users.change_roles(admin, "petrov", grant=["parent"], revoke=["parent"], confirmed_password=ADMIN_PASSWORD)
    with pytest.raises(NotFound):
        users.grant(admin, "nobody", "teacher", confirmed_password=ADMIN_PASSWORD)
    users.lock(admin, "petrov")
    with pytest.raises(Conflict, match="отключена"):
        users.grant(admin, "petrov", "parent", confirmed_password=ADMIN_PASSWORD)
    assert outcomes(store, "role.grant")[-1] == ("failed", "parent")
    assert users.revoke(admin, "petrov", "teacher", confirmed_password=ADMIN_PASSWORD).roles == ()


def test_district_wide_grant_is_not_revoked_by_a_school(users, admin, store):
    add(users, admin, "petrov", "teacher")
    with store.session() as s:
        s.add(RoleGrant(user_id=row(store, "petrov").id, role="auditor", school_id=None))
        s.commit()
    assert users.roles_of(admin, "petrov") == ("teacher", "auditor")
    with pytest.raises(Conflict, match="района"):
        users.revoke(admin, "petrov", "auditor", confirmed_password=ADMIN_PASSWORD)
    assert users.grant(admin, "petrov", "auditor", confirmed_password=ADMIN_PASSWORD).granted == ()


def test_check_assign_follows_assignable():
    deputy = Actor(1, "d", 1, frozenset({"deputy"}))
    check_assign(deputy, "teacher")
    with pytest.raises(PermissionDenied):
        check_assign(deputy, "admin")
    with pytest.raises(PermissionDenied):
        check_assign(Actor(2, "t", 1, frozenset({"teacher"})), "student")
    with pytest.raises(ValueError):
        check_assign(deputy, "director")


def test_the_audit_chain_holds_after_account_work(users, auth, admin, store):
    add(users, admin, "petrov", "teacher")
    users.lock(admin, "petrov")
    users.unlock(admin, "petrov")
    users.reset(admin, "petrov")
    with pytest.raises(PermissionDenied):
        users.grant(admin, ADMIN_LOGIN, "teacher", confirmed_password=ADMIN_PASSWORD)
    with store.session() as s:
        assert verify_chain(s).ok
