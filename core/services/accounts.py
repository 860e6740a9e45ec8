"""Signing in: password check with throttling and lock-out, peer login for cron, the acting user, and asking a
signed-in user for their password again before a sensitive operation.

The audit trail is the record of attempts: failures since the last success or unlock within the window
count towards the lock, so no extra state can drift out of step with what was logged.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhurnal.core import activity, audit
from zhurnal.core.audit import AuditEvent
from zhurnal.core.errors import AuthenticationFailed
from zhurnal.core.messages import DISABLED as DISABLED  # re-exported: the services and tests import them here
from zhurnal.core.messages import LOCKED as LOCKED
from zhurnal.core.messages import WRONG_CREDENTIALS as WRONG_CREDENTIALS
from zhurnal.core.models import AuditRecord, RoleGrant, School, User, utcnow
from zhurnal.core.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from zhurnal.core.permissions import Actor
from zhurnal.core.store import Store
from zhurnal.core.validation import fold

LOCK_AFTER_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
# Audited attempts that count towards the lock-out when "failed" (a wrong password at sign-in, at a repeated
# password check, or a wrong login code)...
FAILURE_ACTIONS = ("auth.login", "auth.reauth", "code.redeem")
# ...counted since the last of these with outcome "ok": a proven secret, an administrator's unlock or reset.
RESET_ACTIONS = (*FAILURE_ACTIONS, "user.unlock", "user.reset")


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    must_change_password: bool


def find_user(session: Session, login: str) -> User | None:
    """The account with this login; logins are case-insensitive (an exact match wins over a folded one)."""
    user = session.scalar(select(User).where(User.login == login))
    if user is None and login:
        user = session.scalar(select(User).where(func.lower(User.login) == login.lower()).order_by(User.id))
    return user


def recent_failures(session: Session, user_id: int) -> int:
    """Failures that count towards the lock-out now: since the last proven secret, unlock or reset, within
    the window."""
    since = utcnow() - FAILURE_WINDOW
    reset = session.scalar(select(func.max(AuditRecord.seq)).where(
        AuditRecord.object_id == user_id, AuditRecord.object_type == "user",
        AuditRecord.action.in_(RESET_ACTIONS), AuditRecord.outcome == "ok")) or 0
    return session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.object_id == user_id, AuditRecord.object_type == "user",
        AuditRecord.action.in_(FAILURE_ACTIONS), AuditRecord.outcome == "failed",
        AuditRecord.seq > reset, AuditRecord.at >= since)) or 0


def unknown_login_bucket(login: str) -> str:
    """One of 256 buckets for a login that matches no account.

    Failures of unknown logins are counted per bucket so that they slow down exactly like a known account's
    (same message, same time). Two hex digits of a hash keep the typed text unrecoverable: a password typed
    into the login field shares its bucket with 1/256 of every possible string.
    """
    return hashlib.sha256(fold(login).encode("utf-8")).hexdigest()[:2]


def recent_unknown_failures(session: Session, bucket: str) -> int:
    """Failed logins of unknown logins in this bucket within the window."""
    return session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.action == "auth.login", AuditRecord.outcome == "failed", AuditRecord.user_id.is_(None),
        AuditRecord.detail == f"unknown login #{bucket}", AuditRecord.at >= utcnow() - FAILURE_WINDOW)) or 0


def growing_delay(failures: int) -> float:
    """Seconds to wait after the n-th consecutive failure: 0.5, 1, 2, 4, 4, ..."""
    return 0.0 if failures <= 0 else min(0.5 * 2 ** (failures - 1), 4.0)


class AuthService:
    """Turns credentials into an Actor. Not permission-checked: it is how one gets an actor."""

    def __init__(self, store: Store, sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.sleep = sleep

    def _record(self, user: User | None, login: str, action: str, outcome: str, detail: str | None = None,
                school_id: int | None = None) -> None:
        with self.store.session() as session:
            audit.append(session, user_id=user.id if user else None, login=login,
                         school_id=school_id if school_id is not None else (user.school_id if user else None),
                         events=[AuditEvent(action, "user", user.id if user else None, outcome=outcome,
                                            detail=detail)])
            session.commit()

    def _recent_failures(self, user_id: int) -> int:
        with self.store.session(write=False) as session:
            return recent_failures(session, user_id)

    def _fail(self, user: User, login: str, action: str, detail: str) -> None:
        """Record a wrong password, lock the account at the limit, and wait the growing delay."""
        self._record(user, login, action, "failed", detail)
        failures = self._recent_failures(user.id)
        if failures >= LOCK_AFTER_FAILURES:
            with self.store.session() as session:
                locked = session.get(User, user.id)
                assert locked is not None
                locked.locked_until = utcnow() + LOCK_DURATION
                session.commit()
            self._record(user, login, "user.lock", "ok", f"after {failures} failures")
        self.sleep(growing_delay(failures))

    def login(self, login: str, password: str, *, school_code: str | None = None) -> SignedIn:
        """Check the password; lock the account after 5 failures in 15 minutes. An unknown login costs the
        same time and gets the same message as a wrong password."""
        with self.store.session(write=False) as session:
            user = find_user(session, login)
        if user is None:
            verify_password(dummy_hash(), password)
            # The typed login is not kept (people type passwords into the login field), only its bucket.
            bucket = unknown_login_bucket(login)
            self._record(None, "", "auth.login", "failed", f"unknown login #{bucket}")
            with self.store.session(write=False) as session:
                failures = recent_unknown_failures(session, bucket)
            self.sleep(growing_delay(failures))
            raise AuthenticationFailed(WRONG_CREDENTIALS)
        login = user.login  # as stored: the typed spelling may differ in case
        now = utcnow()
        if user.locked_until is not None and user.locked_until > now:
            verify_password(dummy_hash(), password)
            self._record(user, login, "auth.login", "denied", "locked")
            raise AuthenticationFailed(LOCKED)
        if not verify_password(user.password_hash, password):
            self._fail(user, login, "auth.login", "wrong password")
            raise AuthenticationFailed(WRONG_CREDENTIALS)
        if not user.is_active:
            self._record(user, login, "auth.login", "denied", "disabled")
            raise AuthenticationFailed(DISABLED)
        actor = self._actor(user, school_code)
        with self.store.session() as session:
            fresh = session.get(User, user.id)
            assert fresh is not None
            fresh.last_login_at = now
            fresh.locked_until = None
            if user.password_hash and needs_rehash(user.password_hash):
                fresh.password_hash = hash_password(password)
            if actor.school_id is not None:  # a login is an activity event of the quarterly report
                activity.record(session, school_id=actor.school_id, user_id=user.id, kind="login",
                                day=date.today(), at=now)
            session.commit()
        self._record(user, login, "auth.login", "ok", school_id=actor.school_id)
        return SignedIn(actor, user.must_change_password)

    def peer(self, login: str, os_user: str, *, school_code: str | None = None) -> Actor:
        """The actor for a configured peer mapping (the caller has checked the config file's trust)."""
        with self.store.session(write=False) as session:
            user = find_user(session, login)
        if user is None or not user.is_active:
            self._record(user, login, "auth.peer", "failed", f"os user {os_user}")
            raise AuthenticationFailed(f"Вход по имени ОС «{os_user}»: учётная запись «{login}» не найдена "
                                       "или отключена")
        actor = self._actor(user, school_code)
        self._record(user, login, "auth.peer", "ok", f"os user {os_user}", school_id=actor.school_id)
        return actor

    def confirm(self, user_id: int | None, password: str, *,
                wrong: str = "Неверный пароль: повторите свой пароль") -> None:
        """Ask a signed-in user for their password again (before changing roles, exporting personal data,
        restoring). A wrong password counts towards the lock-out exactly like a failed login; a disabled or
        locked account is refused. Audited as auth.reauth."""
        with self.store.session(write=False) as session:
            user = session.get(User, user_id) if user_id is not None else None
        if user is None:
            verify_password(dummy_hash(), password)
            raise AuthenticationFailed("Пароль можно подтвердить только от имени своей учётной записи")
        if not user.is_active:
            self._record(user, user.login, "auth.reauth", "denied", "disabled")
            raise AuthenticationFailed(DISABLED)
        if user.locked_until is not None and user.locked_until > utcnow():
            verify_password(dummy_hash(), password)
            self._record(user, user.login, "auth.reauth", "denied", "locked")
            raise AuthenticationFailed(LOCKED)
        if not verify_password(user.password_hash, password):
            self._fail(user, user.login, "auth.reauth", "wrong password")
            raise AuthenticationFailed(wrong)
        self._record(user, user.login, "auth.reauth", "ok")

    def _actor(self, user: User, school_code: str | None) -> Actor:
        with self.store.session(write=False) as session:
            if school_code:
                school_id = session.scalar(select(School.id).where(School.code == school_code))
                if school_id is None:
                    raise AuthenticationFailed(f"Школа «{school_code}» не найдена")
            else:
                school_id = user.school_id or session.scalar(select(func.min(School.id)))
            grants = session.scalars(select(RoleGrant.role).where(
                RoleGrant.user_id == user.id,
                (RoleGrant.school_id == school_id) | RoleGrant.school_id.is_(None)))
            roles = frozenset(grants)
        if user.school_id is not None and school_id != user.school_id and not roles:
            raise AuthenticationFailed(f"Нет доступа к школе «{school_code}»")
        return Actor(user.id, user.login, school_id, roles, user.person_id)
