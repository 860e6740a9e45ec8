"""User accounts: create, list and show them, disable and re-enable, reset a forgotten password, change one's own
password, and grant or revoke roles.

Rules that hold for every method:
- an operator works on the accounts of their current school (home school there, or a role held there);
  account-wide changes (disable, re-enable, reset) only on accounts whose home school it is;
- roles are granted per school, only those the operator may assign (`permissions.ASSIGNABLE`), never to or
  from the operator themselves, and only after the operator typed their password again;
- a refusal (a role one may not assign, one's own account, a disabled account, a wrong password) gets a
  clear message, is audited, and changes nothing else.

Logins are case-insensitive: they are stored in lower case, and signing in folds case too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import ColumnElement, delete, exists, func, or_, select

from zhurnal.core.codes import readable_secret
from zhurnal.core.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import AuditRecord, Person, RoleGrant, School, User, utcnow
from zhurnal.core.passwords import hash_password, password_problems
from zhurnal.core.permissions import ROLES, check_assign
from zhurnal.core.services.accounts import AuthService, find_user, recent_failures
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.codes import revoke_pending_codes
from zhurnal.core.services.common import flush, invalid
from zhurnal.core.store import Store
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, fold

LOGIN_MIN, LOGIN_MAX = 3, 60
_LOGIN_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
RECENT_EVENTS = timedelta(days=30)
MAX_LIST = 1000
_ROLE_ORDER = {role: n for n, role in enumerate(ROLES)}


# ---------------------------------------------------------------------------------------------------------
# What the methods return
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UserRow:
    """One line of the account list."""

    id: int
    login: str
    full_name: str | None  # the linked person, if any
    roles: tuple[str, ...]  # held in the operator's school (or in every school)
    active: bool
    locked: bool  # a lock-out after failed logins is running
    last_login_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class UserPage:
    rows: list[UserRow]
    next_after: str | None  # pass back as `after_login` for the next page; None at the end


@dataclass(frozen=True)
class UserDetail:
    """One account as the administrator sees it (never the password hash)."""

    id: int
    login: str
    person_id: int | None
    full_name: str | None
    school_id: int | None  # home school; None for a district account
    roles: tuple[str, ...]
    active: bool
    locked_until: datetime | None  # only while a lock-out runs
    must_change_password: bool
    has_password: bool  # False: waits for a login code
    last_login_at: datetime | None
    created_at: datetime
    recent_failures: int  # wrong passwords that count towards the lock-out now
    recent_auth_events: int  # sign-ins, failures, confirmations and code use in the last 30 days
    version: int

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


@dataclass(frozen=True)
class AccountState:
    """An account after disable or re-enable; `changed` is False when it already was so."""

    user_id: int
    login: str
    active: bool
    locked: bool
    changed: bool


@dataclass(frozen=True)
class TemporaryPassword:
    """The result of a reset: the temporary password, shown once (None when the password was removed and the
    person is to get a login code instead)."""

    user_id: int
    login: str
    password: str | None = field(repr=False)
    must_change_password: bool = True


@dataclass(frozen=True)
class RoleChange:
    """What a grant or revoke did: roles actually added and removed, and the roles held afterwards."""

    user_id: int
    login: str
    granted: tuple[str, ...]
    revoked: tuple[str, ...]
    roles: tuple[str, ...]


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------

def clean_login(value: str) -> str:
    """The login in lower case, or ValidationFailed naming "login"."""
    login = (value or "").strip().lower()
    label = "Имя входа"
    if not login:
        raise invalid("login", label, "обязательно", "required")
    if not LOGIN_MIN <= len(login) <= LOGIN_MAX:
        raise invalid("login", label, f"от {LOGIN_MIN} до {LOGIN_MAX} символов", "bad_format")
    if not login.isascii() or not _LOGIN_RE.fullmatch(login):
        raise invalid("login", label, "латинские буквы, цифры, точка, дефис и подчёркивание; начинается с буквы "
                                      "или цифры", "bad_format")
    return login


def clean_roles(values: Iterable[str], field_name: str = "roles") -> tuple[str, ...]:
    """Known role names without repeats, in the order of permissions.ROLES; else ValidationFailed."""
    wanted = {str(v).strip() for v in values}
    unknown = sorted(wanted - set(ROLES))
    if unknown:
        raise invalid(field_name, "Роли", f"неизвестны: {', '.join(unknown)}; есть {', '.join(ROLES)}", "unknown")
    return tuple(sorted(wanted, key=_ROLE_ORDER.__getitem__))


def _ordered(roles: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(roles), key=lambda r: (_ROLE_ORDER.get(r, len(_ROLE_ORDER)), r)))


def _full_name(last: str | None, first: str | None, middle: str | None) -> str | None:
    return " ".join(p for p in (last, first, middle) if p) or None


def _visible(school_id: int) -> ColumnElement[bool]:
    """Accounts an operator of `school_id` works with: home school there, or a role held there."""
    return or_(User.school_id == school_id,
               exists().where(RoleGrant.user_id == User.id, RoleGrant.school_id == school_id))


def _roles_here(uow: UnitOfWork, user_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """user id -> roles held in the operator's school (grants for every school included)."""
    found: dict[int, set[str]] = {uid: set() for uid in user_ids}
    if user_ids:
        rows = uow.session.execute(select(RoleGrant.user_id, RoleGrant.role).where(
            RoleGrant.user_id.in_(user_ids),
            or_(RoleGrant.school_id == uow.school_id, RoleGrant.school_id.is_(None))))
        for user_id, role in rows:
            found[user_id].add(role)
    return {uid: _ordered(roles) for uid, roles in found.items()}


def get_user(uow: UnitOfWork, user: int | str) -> User:
    """The account by id or login if the operator's school sees it, else NotFound."""
    row: User | None = None
    if isinstance(user, int) and not isinstance(user, bool):
        row = uow.session.get(User, user)
    elif isinstance(user, str) and user.strip():
        row = find_user(uow.session, user.strip())
    if row is not None and row.school_id != uow.school_id:
        held_here = uow.session.scalar(select(RoleGrant.id).where(
            RoleGrant.user_id == row.id, RoleGrant.school_id == uow.school_id).limit(1))
        if held_here is None:
            row = None
    if row is None:
        raise NotFound(f"Учётная запись «{user}» не найдена")
    return row


def _locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def refuse_audited(uow: UnitOfWork, error: Exception, action: str, user: User | None, *,
                   detail: str | None = None, outcome: str = "denied") -> NoReturn:
    """Audit a refusal and raise `error`. Nothing has been changed yet, so the unit of work commits only the
    audit record (a refusal must stay on the record while the work is not done)."""
    uow.audit(action, object_type="user", object_id=user.id if user else None,
              person_id=user.person_id if user else None, detail=detail, outcome=outcome)
    uow.commit()
    if isinstance(error, PermissionDenied):
        error.audited = True
    raise error


def _require_home(uow: UnitOfWork, user: User, action: str) -> None:
    """Account-wide changes belong to the account's home school (a district account to the district)."""
    if user.school_id != uow.school_id:
        error = PermissionDenied("accounts.manage", f"Учётная запись «{user.login}» принадлежит другой школе или "
                                                    "району: её отключает, включает и сбрасывает администратор там")
        refuse_audited(uow, error, action, user, detail="other school")


def _school_name(uow: UnitOfWork) -> str | None:
    school = uow.session.get(School, uow.school_id)
    return school.name if school else None


def _password_refused(problems: list[str]) -> ValidationFailed:
    return ValidationFailed([Problem("password", "weak", message) for message in problems])


# ---------------------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------------------

class UserService(Service):
    """User accounts and the roles they hold in the operator's school."""

    area = "user"

    def __init__(self, store: Store, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(store)
        self.sleep = sleep

    def _confirm(self, uow: UnitOfWork, password: str | None, wrong: str | None = None) -> None:
        """The operator's password typed again. Runs before the unit of work touches the database, since the
        check writes its own audit records (and, on SQLite, one writer holds the file at a time)."""
        if password is None:
            raise AuthenticationFailed("Смена ролей: подтвердите её своим паролем")
        auth = AuthService(self.store, sleep=self.sleep)
        if wrong is None:
            auth.confirm(uow.actor.user_id, password)
        else:
            auth.confirm(uow.actor.user_id, password, wrong=wrong)

    @service("accounts.manage")
    def add(self, uow: UnitOfWork, login: str, *, person_id: int | None = None, roles: Iterable[str] = (),
            password: str | None = None, temporary: bool = False,
            confirmed_password: str | None = None) -> UserDetail:
        """Create an account in the operator's school.

        `login`: 3–60 Latin letters, digits, ".", "_", "-", unique regardless of case (Conflict otherwise).
        `password` must pass the password policy (15 characters for an administrator); without one the
        account waits for a login code. `temporary` makes the person change the password at first login.
        `roles` are granted by the same rules as `grant`, so they need `confirmed_password` (the operator's
        own password typed again).
        """
        clean = clean_login(login)
        wanted = clean_roles(roles)
        if temporary and password is None:
            raise invalid("temporary", "Временный пароль", "задайте пароль или создайте учётную запись без "
                                                          "пароля (её откроет код входа)")
        for role in wanted:
            try:
                check_assign(uow.actor, role)
            except PermissionDenied as exc:
                refuse_audited(uow, exc, "role.grant", None, detail=role)
        if wanted:
            self._confirm(uow, confirmed_password)
        if uow.session.scalar(select(User.id).where(func.lower(User.login) == clean)) is not None:
            raise Conflict(f"Имя входа «{clean}» уже занято")
        if person_id is not None:
            person = uow.session.get(Person, person_id)
            if person is None or person.school_id != uow.school_id:
                raise invalid("person_id", "Человек", f"№ {person_id} не найден в этой школе", "not_found")
            taken = uow.session.scalar(select(User.login).where(User.person_id == person_id).limit(1))
            if taken is not None:
                raise Conflict(f"У этого человека уже есть учётная запись «{taken}»; одна запись на человека, "
                               "роли добавляются к ней")
        password_hash = None
        if password is not None:
            problems = password_problems(password, login=clean, school_name=_school_name(uow),
                                         is_admin="admin" in wanted)
            if problems:
                raise _password_refused(problems)
            password_hash = hash_password(password)
        user = User(login=clean, person_id=person_id, school_id=uow.school_id, password_hash=password_hash,
                    must_change_password=temporary, is_active=True, failed_logins=0)
        uow.session.add(user)
        flush(uow, f"Учётная запись «{clean}»")
        uow.audit("user.create", object_type="user", object_id=user.id, person_id=person_id,
                  fields=["login", *(["person_id"] if person_id else []), *(["password_hash"] if password else []),
                          *(["must_change_password"] if temporary else [])])
        for role in wanted:
            uow.session.add(RoleGrant(user_id=user.id, role=role, school_id=uow.school_id,
                                      granted_by=uow.actor.user_id))
            uow.audit("role.grant", object_type="user", object_id=user.id, person_id=person_id, detail=role)
        flush(uow, f"Роли учётной записи «{clean}»")
        return self._detail(uow, user)

    # Reading accounts is open to `roles.assign` too: the deputy director grants roles and needs to find the
    # account; every change of an account itself stays with accounts.manage.
    @service("accounts.manage", "roles.assign", write=False)
    def show(self, uow: UnitOfWork, user: int | str) -> UserDetail:
        """One account by id or login: person, roles here, state, lock-out and recent sign-in activity."""
        return self._detail(uow, get_user(uow, user))

    @staticmethod
    def _detail(uow: UnitOfWork, user: User) -> UserDetail:
        now = utcnow()
        person = uow.session.get(Person, user.person_id) if user.person_id else None
        on_user = (AuditRecord.object_type == "user", AuditRecord.object_id == user.id)
        events = uow.session.scalar(select(func.count()).select_from(AuditRecord).where(
            *on_user, or_(AuditRecord.action.like("auth.%"), AuditRecord.action == "code.redeem"),
            AuditRecord.at >= now - RECENT_EVENTS)) or 0
        failures = recent_failures(uow.session, user.id)
        return UserDetail(
            user.id, user.login, user.person_id,
            _full_name(person.last_name, person.first_name, person.middle_name) if person else None,
            user.school_id, _roles_here(uow, [user.id])[user.id], bool(user.is_active),
            user.locked_until if _locked(user, now) else None, bool(user.must_change_password),
            user.password_hash is not None, user.last_login_at, user.created_at, failures, events, user.version)

    @service("accounts.manage")
    def lock(self, uow: UnitOfWork, user: int | str) -> AccountState:
        """Disable the account (it keeps its data and roles; audited as user.disable). Refused for one's own
        account and for an account of another school."""
        row = get_user(uow, user)
        if row.id == uow.actor.user_id:
            refuse_audited(uow, PermissionDenied("accounts.manage", "Нельзя отключить собственную учётную запись"),
                           "user.disable", row, detail="own account")
        _require_home(uow, row, "user.disable")
        if not row.is_active:
            return AccountState(row.id, row.login, False, _locked(row, utcnow()), False)
        row.is_active = False
        flush(uow, f"Учётная запись «{row.login}»")
        uow.audit("user.disable", object_type="user", object_id=row.id, person_id=row.person_id,
                  fields=["is_active"], detail="by administrator")
        return AccountState(row.id, row.login, False, _locked(row, utcnow()), True)

    @service("accounts.manage")
    def unlock(self, uow: UnitOfWork, user: int | str) -> AccountState:
        """Lift a lock-out after failed logins and re-enable a disabled account. Always audited as user.unlock,
        which also restarts the count of failed logins; re-enabling is audited as user.enable too."""
        row = get_user(uow, user)
        _require_home(uow, row, "user.unlock")
        changed = [name for name, differs in (("locked_until", row.locked_until is not None),
                                              ("is_active", not row.is_active)) if differs]
        enabled = not row.is_active
        row.locked_until = None
        row.is_active = True
        flush(uow, f"Учётная запись «{row.login}»")
        uow.audit("user.unlock", object_type="user", object_id=row.id, person_id=row.person_id,
                  fields=changed or None)
        if enabled:
            uow.audit("user.enable", object_type="user", object_id=row.id, person_id=row.person_id,
                      fields=["is_active"])
        return AccountState(row.id, row.login, True, False, bool(changed))

    @service("accounts.manage")
    def reset(self, uow: UnitOfWork, user: int | str, *, temporary_password: bool = True) -> TemporaryPassword:
        """Recover access for someone else: a new temporary password (returned once, to be changed at the next
        login), or with `temporary_password=False` no password at all, so that a login code opens the account.
        Lifts a lock-out. Refused for one's own account (change it knowing the old one) and for a disabled
        account (re-enable it first)."""
        secret = readable_secret(groups=4) if temporary_password else None
        password_hash = hash_password(secret) if secret else None
        row = get_user(uow, user)
        if row.id == uow.actor.user_id:
            own = PermissionDenied("accounts.manage", "Свой пароль сбросить нельзя: смените его, зная прежний")
            refuse_audited(uow, own, "user.reset", row, detail="own account")
        _require_home(uow, row, "user.reset")
        if not row.is_active:
            disabled = Conflict(f"Учётная запись «{row.login}» отключена: сначала включите её (zhurnal user unlock)")
            refuse_audited(uow, disabled, "user.reset", row, detail="disabled", outcome="failed")
        row.password_hash = password_hash
        row.must_change_password = True
        row.locked_until = None
        # A code handed out earlier must not open the account behind the new temporary password.
        revoke_pending_codes(uow, [row.id], utcnow())
        flush(uow, f"Учётная запись «{row.login}»")
        uow.audit("user.reset", object_type="user", object_id=row.id, person_id=row.person_id,
                  fields=["locked_until", "must_change_password", "password_hash"],
                  detail="temporary password" if secret else "password removed")
        return TemporaryPassword(row.id, row.login, secret, True)

    @service("self.password")
    def change_password(self, uow: UnitOfWork, old: str, new: str) -> None:
        """Change one's own password: the old one is checked (a wrong one counts towards the lock-out), the new
        one must pass the policy and differ from the old. Clears "must change at next login"."""
        user_id = uow.actor.user_id
        if user_id is None:
            raise AuthenticationFailed("Пароль меняют от имени своей учётной записи")
        with self.store.session(write=False) as session:
            current = session.get(User, user_id)
            if current is None:
                raise NotFound("Учётная запись не найдена")
            login = current.login
            school = session.get(School, uow.actor.school_id) if uow.actor.school_id else None
            is_admin = session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user_id,
                                                                 RoleGrant.role == "admin").limit(1)) is not None
        problems = password_problems(new, login=login, school_name=school.name if school else None,
                                     is_admin=is_admin)
        if new == old:
            problems.append("Пароль: новый пароль должен отличаться от прежнего")
        if problems:
            raise _password_refused(problems)
        self._confirm(uow, old, wrong="Неверный текущий пароль")
        password_hash = hash_password(new)
        row = uow.session.get(User, user_id)
        assert row is not None
        row.password_hash = password_hash
        row.must_change_password = False
        flush(uow, "Учётная запись")
        uow.audit("user.password", object_type="user", object_id=row.id, person_id=row.person_id,
                  fields=["must_change_password", "password_hash"])

    @service("self.password", write=False)
    def reauthenticate(self, uow: UnitOfWork, password: str) -> None:
        """Check the operator's own password again before a sensitive operation (exporting personal data,
        restoring a backup, changing roles). AuthenticationFailed when wrong; a wrong one counts towards the
        lock-out like a failed login. Audited as auth.reauth."""
        self._confirm(uow, password)

    @service("roles.assign", write=False)
    def roles_of(self, uow: UnitOfWork, user: int | str) -> tuple[str, ...]:
        """The roles an account holds in the operator's school."""
        row = get_user(uow, user)
        return _roles_here(uow, [row.id])[row.id]

    @service("roles.assign")
    def grant(self, uow: UnitOfWork, user: int | str, role: str, *, confirmed_password: str) -> RoleChange:
        """Grant `role` in the operator's school (no change when already held). See `change_roles`."""
        return self._change_roles(uow, user, (role,), (), confirmed_password)

    @service("roles.assign")
    def revoke(self, uow: UnitOfWork, user: int | str, role: str, *, confirmed_password: str) -> RoleChange:
        """Revoke `role` in the operator's school (no change when not held). See `change_roles`."""
        return self._change_roles(uow, user, (), (role,), confirmed_password)

    @service("roles.assign")
    def change_roles(self, uow: UnitOfWork, user: int | str, *, grant: Iterable[str] = (),
                     revoke: Iterable[str] = (), confirmed_password: str) -> RoleChange:
        """Grant and revoke several roles at once, all or nothing.

        The operator's password is checked first (`confirmed_password`). Every role must exist and be one the
        operator may assign (`permissions.ASSIGNABLE`); nobody changes their own roles; a disabled account gets
        no new role. Grants are per school. Each change is audited as role.grant / role.revoke with the role
        name; each refusal is audited with outcome "denied" (or "failed" for a disabled account).
        """
        return self._change_roles(uow, user, tuple(grant), tuple(revoke), confirmed_password)

    def _change_roles(self, uow: UnitOfWork, user: int | str, grant: tuple[str, ...], revoke: tuple[str, ...],
                      confirmed_password: str | None) -> RoleChange:
        self._confirm(uow, confirmed_password)
        to_grant, to_revoke = clean_roles(grant, "grant"), clean_roles(revoke, "revoke")
        if not to_grant and not to_revoke:
            raise invalid("roles", "Роли", "укажите, какие роли выдать или снять", "required")
        both = sorted(set(to_grant) & set(to_revoke))
        if both:
            raise invalid("roles", "Роли", f"одну роль нельзя сразу выдать и снять: {', '.join(both)}")
        row = get_user(uow, user)
        changes = [("role.grant", r) for r in to_grant] + [("role.revoke", r) for r in to_revoke]
        actor = uow.actor
        if row.id == actor.user_id or (row.person_id is not None and row.person_id == actor.person_id):
            own = PermissionDenied("roles.assign", "Нельзя выдавать или снимать роли самому себе: попросите "
                                                   "другого администратора")
            refuse_audited(uow, own, changes[0][0], row, detail=changes[0][1])
        for action, role in changes:
            try:
                check_assign(actor, role)
            except PermissionDenied as exc:
                refuse_audited(uow, exc, action, row, detail=role)
        if to_grant and not row.is_active:
            disabled = Conflict(f"Учётная запись «{row.login}» отключена: роли ей не выдаются, пока её не включат "
                                "(zhurnal user unlock)")
            refuse_audited(uow, disabled, "role.grant", row, detail=to_grant[0], outcome="failed")
        grants = list(uow.session.scalars(select(RoleGrant).where(
            RoleGrant.user_id == row.id,
            or_(RoleGrant.school_id == uow.school_id, RoleGrant.school_id.is_(None)))))
        here = {g.role for g in grants if g.school_id is not None}
        everywhere = {g.role for g in grants if g.school_id is None}
        district_only = [r for r in to_revoke if r in everywhere and r not in here]
        if district_only:
            district = Conflict(f"Роль «{district_only[0]}» выдана учётной записи «{row.login}» во всех школах "
                                "района; снимают её в районе")
            refuse_audited(uow, district, "role.revoke", row, detail=district_only[0], outcome="failed")
        granted = tuple(r for r in to_grant if r not in here and r not in everywhere)
        revoked = tuple(r for r in to_revoke if r in here)
        for role in granted:
            uow.session.add(RoleGrant(user_id=row.id, role=role, school_id=uow.school_id,
                                      granted_by=actor.user_id))
            uow.audit("role.grant", object_type="user", object_id=row.id, person_id=row.person_id, detail=role)
        if revoked:
            uow.session.execute(delete(RoleGrant).where(RoleGrant.user_id == row.id,
                                                        RoleGrant.school_id == uow.school_id,
                                                        RoleGrant.role.in_(revoked)))
            for role in revoked:
                uow.audit("role.revoke", object_type="user", object_id=row.id, person_id=row.person_id,
                          detail=role)
        flush(uow, f"Роли учётной записи «{row.login}»")
        return RoleChange(row.id, row.login, granted, revoked, _ordered((here | everywhere | set(granted))
                                                                         - set(revoked)))

    # `list` last: inside the class body its name hides the built-in for the annotations below it.
    @service("accounts.manage", "roles.assign", write=False)
    def list(self, uow: UnitOfWork, *, role: str | None = None, active: bool | None = None,
             never_used_days: int | None = None, after_login: str | None = None, limit: int = 100,
             text: str = "") -> UserPage:
        """Accounts of the operator's school ordered by login, a page at a time (`after_login` from the
        previous page's `next_after`).

        `role`: only holders of that role here; `active`: only enabled (True) or disabled (False) accounts;
        `never_used_days=N`: only accounts never signed in to and created at least N days ago (the settings
        key inactive_account_days is the usual N); `text`: logins starting with it, or accounts whose person
        has a name word starting with it (case and ё folded, as the people lists search).
        """
        now = utcnow()
        query = (select(User, Person.last_name, Person.first_name, Person.middle_name)
                 .outerjoin(Person, Person.id == User.person_id).where(_visible(uow.school_id)))
        needle = fold(text or "")
        if needle:
            like = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(or_(User.login.like(f"{like}%", escape="\\"),
                                    Person.name_key.like(f"{like}%", escape="\\"),
                                    Person.name_key.like(f"% {like}%", escape="\\")))
        if role is not None:
            (role,) = clean_roles([role], "role")
            query = query.where(exists().where(
                RoleGrant.user_id == User.id, RoleGrant.role == role,
                or_(RoleGrant.school_id == uow.school_id, RoleGrant.school_id.is_(None))))
        if active is not None:
            query = query.where(User.is_active.is_(active))
        if never_used_days is not None:
            if never_used_days < 0:
                raise invalid("never_used_days", "Дней без входа", "не может быть отрицательным",
                              "out_of_range")
            query = query.where(User.last_login_at.is_(None),
                                User.created_at <= now - timedelta(days=never_used_days))
        if after_login is not None:
            query = query.where(User.login > after_login)
        size = max(1, min(limit, MAX_LIST))
        found = uow.session.execute(query.order_by(User.login).limit(size + 1)).all()
        more = len(found) > size
        found = found[:size]
        roles = _roles_here(uow, [r[0].id for r in found])
        rows = [UserRow(user.id, user.login, _full_name(last, first, middle), roles[user.id], bool(user.is_active),
                        _locked(user, now), user.last_login_at, user.created_at)
                for user, last, first, middle in found]
        return UserPage(rows, rows[-1].login if more and rows else None)
