"""Signing in: throttling, lock-out, the same answer for unknown logins, re-hash of weaker hashes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
from zhurnal.core.errors import AuthenticationFailed
from zhurnal.core.models import AuditRecord, User
from zhurnal.core.services.accounts import WRONG_CREDENTIALS, AuthService, growing_delay


@pytest.fixture
def auth(store):
    delays: list[float] = []
    service = AuthService(store, sleep=delays.append)
    service.delays = delays  # type: ignore[attr-defined]
    return service


def outcomes(store, action="auth.login"):
    with store.session() as s:
        return list(s.scalars(select(AuditRecord.outcome).where(AuditRecord.action == action)
                              .order_by(AuditRecord.seq)))


def test_good_password_gives_the_admin_actor(auth, school):
    signed = auth.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    assert signed.actor.school_id == school.school_id and "admin" in signed.actor.roles
    assert "people.write" in signed.actor.actions
    assert outcomes(auth.store) == ["ok"]


def test_unknown_login_and_wrong_password_get_the_same_message(auth):
    with pytest.raises(AuthenticationFailed) as unknown:
        auth.login("nobody", "whatever password")
    with pytest.raises(AuthenticationFailed) as wrong:
        auth.login(ADMIN_LOGIN, "whatever password")
    assert str(unknown.value) == str(wrong.value) == WRONG_CREDENTIALS
    with auth.store.session() as s:
        logins = list(s.scalars(select(AuditRecord.login).where(AuditRecord.action == "auth.login")))
    assert "nobody" not in logins  # a mistyped password in the login field is never kept


def test_five_failures_lock_the_account_even_for_the_right_password(auth):
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login(ADMIN_LOGIN, "not the password at all")
    assert auth.delays == [growing_delay(n) for n in range(1, 6)] and auth.delays[-1] > auth.delays[0]
    assert outcomes(auth.store, "user.lock") == ["ok"]
    with pytest.raises(AuthenticationFailed, match="заблокирована"):
        auth.login(ADMIN_LOGIN, ADMIN_PASSWORD)


def test_success_resets_the_failure_count(auth):
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            auth.login(ADMIN_LOGIN, "not the password at all")
    auth.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    with pytest.raises(AuthenticationFailed, match="Неверное"):
        auth.login(ADMIN_LOGIN, "not the password at all")
    auth.login(ADMIN_LOGIN, ADMIN_PASSWORD)


def test_weaker_hash_is_upgraded_on_login(auth):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(ADMIN_PASSWORD)
    with auth.store.session() as s:
        user = s.scalar(select(User).where(User.login == ADMIN_LOGIN))
        user.password_hash = weak
        s.commit()
    auth.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    with auth.store.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.login == ADMIN_LOGIN))
    assert stored != weak and "m=65536,t=3,p=1" in stored


def test_disabled_account_is_refused(auth):
    with auth.store.session() as s:
        s.scalar(select(User).where(User.login == ADMIN_LOGIN)).is_active = False
        s.commit()
    with pytest.raises(AuthenticationFailed, match="отключена"):
        auth.login(ADMIN_LOGIN, ADMIN_PASSWORD)


def test_an_unknown_login_slows_down_like_a_known_one(auth):
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            auth.login(ADMIN_LOGIN, "not the password at all")
    known = list(auth.delays)
    auth.delays.clear()
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            auth.login("nobody-here", "not the password at all")
    assert auth.delays == known == [growing_delay(n) for n in (1, 2, 3)]
