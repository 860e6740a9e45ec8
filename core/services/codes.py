"""Login codes for students and parents: issue for a class, a parallel or the whole school, redeem to set
one's own password, and invitation letters (PDF or XLSX) carrying them.

A code is `readable_secret(groups=3)`: 15 characters from a 31-letter alphabet without look-alikes, about
74 random bits. Only the SHA-256 of the typed-normalised code is stored (the code is found by its hash); the
plain code exists only in the value `issue` returns and in the letters made from it. A code is single use,
expires at the end of its last day, belongs to one account (a parent's code never opens the child's login),
and issuing again revokes the unused code the account had.
"""

from __future__ import annotations

import hashlib
import os
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from zhurnal.core import audit, permissions
from zhurnal.core.audit import AuditEvent
from zhurnal.core.codes import entropy_bits, normalise_typed, readable_secret
from zhurnal.core.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.letters import FORMATS, Letter, format_of
from zhurnal.core.letters import write as write_letters
from zhurnal.core.models import Enrolment, Guardianship, LoginCode, Person, RoleGrant, School, SchoolClass, User
from zhurnal.core.models.base import utcnow
from zhurnal.core.passwords import hash_password, password_problems
from zhurnal.core.permissions import Actor
from zhurnal.core.services.accounts import DISABLED, LOCKED, AuthService, find_user, growing_delay
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import active_on, full_name, get_class, grade_level, letter_order
from zhurnal.core.services.common import invalid
from zhurnal.core.store import Store
from zhurnal.core.uow import UnitOfWork, record_outside
from zhurnal.core.validation import Problem, format_date

CODE_GROUPS = 3  # 3 x 5 characters of a 31-letter alphabet: ~74 bits
CODE_BITS = entropy_bits(CODE_GROUPS)
INVITE_VALID_DAYS = 14  # a constant, not a school setting: the settings keys are fixed (docs/codes.md)
RESET_VALID_DAYS = 3
MAX_VALID_DAYS = 90
BAD_CODE = "Код неверен или устарел"
KIND_ROLES = {"student": "student", "parent": "parent"}
_CHUNK = 500  # ids per IN (...) list

# Cyrillic capitals that look like the Latin letters and digits of the code alphabet (А→A, З→3, ...).
_CYRILLIC_LOOKALIKES = str.maketrans("АВЕКМНОРСТХУЗ", "ABEKMHOPCTXY3")
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ("a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
                      "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"),
                     strict=True))


@dataclass(frozen=True)
class IssuedCode:
    """One issued code. `code` is the plain code: it exists only here, never in the database or the audit."""

    user_id: int
    person_id: int | None
    full_name: str
    class_name: str  # students: their class; parents: their children's classes ("5А, 7Б")
    login: str
    code: str = field(repr=False)
    expires_at: datetime  # UTC: the end of the last day, local time
    kind: str  # "student" | "parent" | "staff" (a reset code of a staff account)
    children: tuple[str, ...] = ()  # parents: "Фамилия Имя (5А)" of the children the letter is about
    school_name: str = ""
    purpose: str = "invite"

    @property
    def valid_until(self) -> date:
        """The last day the code works, as printed in the letter (local date)."""
        return self.expires_at.astimezone().date()


@dataclass(frozen=True)
class Skipped:
    """A person of the selection who got no code, and why."""

    person_id: int
    full_name: str
    login: str
    reason: str


class IssuedBatch(list[IssuedCode]):
    """The codes of one `issue` call (a list) and the people skipped (`skipped`)."""

    def __init__(self, codes: Iterable[IssuedCode] = (), skipped: Iterable[Skipped] = ()) -> None:
        super().__init__(codes)
        self.skipped: list[Skipped] = list(skipped)


@dataclass(frozen=True)
class Redeemed:
    user_id: int
    login: str
    person_id: int | None


@dataclass(frozen=True)
class _Account:
    id: int
    login: str


@dataclass
class _Target:
    person_id: int
    last_name: str
    first_name: str
    full_name: str
    name_key: str
    class_name: str
    order: tuple[Any, ...]
    children: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- helpers


def code_hash(code: str) -> str:
    """What is stored for a code: SHA-256 of the code as typed-normalised (case, spaces, hyphens dropped;
    Cyrillic look-alikes typed on a Russian keyboard layout read as the Latin letters they look like)."""
    typed = normalise_typed(code.upper().translate(_CYRILLIC_LOOKALIKES))
    return hashlib.sha256(typed.encode("ascii", "replace")).hexdigest()


def transliterate(text: str) -> str:
    """Lower-case ASCII for a Russian name: "Щукина-Ёлкина" -> "shchukina-elkina"."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text).lower():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        elif ch in "- ":
            out.append("-")
        else:  # a Latin letter with a diacritic keeps its base letter; anything else is dropped
            out.append("".join(c for c in unicodedata.normalize("NFKD", ch) if c.isascii() and c.isalnum()))
    return "-".join(part for part in "".join(out).split("-") if part)


def login_base(last_name: str, first_name: str) -> str:
    """"ivanova.a": the transliterated surname, a dot and the first name's initial (transliterated)."""
    last = transliterate(last_name)[:40] or "user"
    initial = transliterate(first_name.strip()[:1]) if first_name.strip() else ""
    return f"{last}.{initial}" if initial else last


def expiry(now: datetime, days: int) -> datetime:
    """The end (23:59:59, local time) of the day `days` days after `now`'s local date, as UTC."""
    local = now.astimezone()
    last_day = local.date() + timedelta(days=days)
    return datetime.combine(last_day, day_time(23, 59, 59), tzinfo=local.tzinfo).astimezone(UTC)


def _valid_days(value: int | None, default: int) -> int:
    days = default if value is None else value
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_VALID_DAYS:
        raise invalid("valid_days", "Срок действия кода", f"«{value}» — от 1 до {MAX_VALID_DAYS} дней",
                      "out_of_range")
    return days


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _guardianship_on(day: date) -> ColumnElement[bool]:
    return (Guardianship.start_date <= day) & or_(Guardianship.end_date.is_(None), Guardianship.end_date >= day)


def _user_roles(uow: UnitOfWork, user_id: int) -> set[str]:
    return set(uow.session.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user_id)))


# ---------------------------------------------------------------------------------------------- service


def revoke_pending_codes(uow: UnitOfWork, user_ids: Sequence[int], moment: datetime) -> set[int]:
    """Revoke the unused, unrevoked codes of these accounts; returns the accounts that had one."""
    had: set[int] = set()
    for chunk in _chunks(list(user_ids)):
        pending = (LoginCode.user_id.in_(chunk), LoginCode.used_at.is_(None), LoginCode.revoked_at.is_(None))
        found = set(uow.session.scalars(select(LoginCode.user_id).where(*pending)))
        if found:
            uow.session.execute(update(LoginCode).where(*pending).values(revoked_at=moment)
                                .execution_options(synchronize_session=False))
        had |= found
    return had


class CodeService(Service):
    """Login codes and invitation letters. `redeem` is not permission-checked: it is how one gets in."""

    area = "code"

    def __init__(self, store: Store, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(store)
        self.sleep = sleep

    # ---- issuing ------------------------------------------------------------------------------------

    @service("accounts.manage")
    def issue(self, uow: UnitOfWork, *, class_id: int | None = None, parallel: int | None = None,
              whole_school: bool = False, parents: bool = False, on: date | None = None,
              valid_days: int | None = None, include_active: bool = False,
              now: datetime | None = None) -> IssuedBatch:
        """A new code for every student enrolled on `on` (today) in the class, the parallel's classes or the
        whole school — or, with `parents`, for every parent or guardian (link in force on `on`) of those
        students: one account and one code per person however many children they have.

        A person without an account gets one (login from the name, "ivanova.a", a number added on a clash;
        no password) with the role "student" or "parent" in this school; an account lacking that role gets it.
        An account that already has a password is skipped unless `include_active` (its owner already gets in;
        a new code would let whoever holds the letter replace the password); a disabled account is skipped.
        The unused code an account had is revoked. All in one transaction; one "code.issue" audit record per
        account, never the code. Returns the codes (a list) with `.skipped`.
        """
        if sum((class_id is not None, parallel is not None, bool(whole_school))) != 1:
            raise invalid("scope", "Кому выдать коды", "укажите что-то одно: класс, параллель или всю школу",
                          "required")
        days = _valid_days(valid_days, INVITE_VALID_DAYS)
        day = on or date.today()
        moment = now or utcnow()
        kind = "parent" if parents else "student"
        school = uow.session.get(School, uow.school_id)
        if school is None:
            raise NotFound("Школа не найдена")
        conditions: list[ColumnElement[bool]] = [SchoolClass.school_id == uow.school_id, active_on(Enrolment, day)]
        if class_id is not None:
            conditions.append(SchoolClass.id == get_class(uow, class_id).id)
        elif parallel is not None:
            grade_level(uow, parallel)
            conditions.append(SchoolClass.parallel == parallel)
        students = self._students(uow, conditions)
        targets = self._parents(uow, conditions, day, students) if parents else list(students.values())
        targets.sort(key=lambda t: t.order)
        users, skipped = self._accounts(uow, targets, kind, include_active)
        expires_at = expiry(moment, days)
        revoked = revoke_pending_codes(uow, [u.id for u, _ in users], moment)
        codes: list[IssuedCode] = []
        rows: list[dict[str, Any]] = []
        for user, target in users:
            code = readable_secret(groups=CODE_GROUPS)
            rows.append({"school_id": uow.school_id, "user_id": user.id, "code_hash": code_hash(code),
                         "purpose": "invite", "issued_by": uow.actor.user_id, "issued_at": moment,
                         "expires_at": expires_at, "used_at": None, "revoked_at": None})
            codes.append(IssuedCode(user.id, target.person_id, target.full_name, target.class_name, user.login,
                                    code, expires_at, kind, target.children, school.name))
            detail = f"invite until {format_date(codes[-1].valid_until)}"
            uow.audit("code.issue", object_type="user", object_id=user.id, person_id=target.person_id,
                      detail=detail + ("; previous code revoked" if user.id in revoked else ""))
        self._insert(uow, LoginCode, rows, "Коды входа")
        return IssuedBatch(codes, skipped)

    @staticmethod
    def _students(uow: UnitOfWork, conditions: list[ColumnElement[bool]]) -> dict[int, _Target]:
        query = (select(Person.id, Person.last_name, Person.first_name, Person.middle_name, Person.name_key,
                        SchoolClass.name, SchoolClass.parallel, SchoolClass.letter)
                 .join(Enrolment, Enrolment.person_id == Person.id)
                 .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
                 .where(Person.school_id == uow.school_id, *conditions))
        found: dict[int, _Target] = {}
        for row in uow.session.execute(query):
            order = (row.parallel, letter_order(row.letter), row.letter, row.name_key, row.id)
            if row.id in found:  # two enrolments on one day should not happen; show both classes
                found[row.id].class_name += f", {row.name}"
                continue
            found[row.id] = _Target(row.id, row.last_name, row.first_name,
                                    full_name(row.last_name, row.first_name, row.middle_name), row.name_key,
                                    row.name, order)
        return found

    @staticmethod
    def _parents(uow: UnitOfWork, conditions: list[ColumnElement[bool]], day: date,
                 students: dict[int, _Target]) -> list[_Target]:
        in_scope = (select(Enrolment.person_id).join(SchoolClass, SchoolClass.id == Enrolment.class_id)
                    .where(*conditions))
        links = uow.session.execute(
            select(Guardianship.parent_id, Guardianship.student_id, Person.last_name, Person.first_name,
                   Person.middle_name, Person.name_key)
            .join(Person, Person.id == Guardianship.parent_id)
            .where(Guardianship.school_id == uow.school_id, _guardianship_on(day),
                   Guardianship.student_id.in_(in_scope))).all()
        parents: dict[int, _Target] = {}
        children: dict[int, list[_Target]] = {}
        for link in links:
            child = students.get(link.student_id)
            if child is None:
                continue
            if link.parent_id not in parents:
                parents[link.parent_id] = _Target(
                    link.parent_id, link.last_name, link.first_name,
                    full_name(link.last_name, link.first_name, link.middle_name), link.name_key, "", ())
            if all(c.person_id != child.person_id for c in children.setdefault(link.parent_id, [])):
                children[link.parent_id].append(child)
        for parent_id, target in parents.items():
            kids = sorted(children[parent_id], key=lambda c: c.order)
            target.children = tuple(f"{_short_name(c.full_name)} ({c.class_name})" for c in kids)
            target.class_name = ", ".join(dict.fromkeys(c.class_name for c in kids))
            # grouped under the first child's class, then by the parent's name
            target.order = (*kids[0].order[:3], target.name_key, parent_id)
        return list(parents.values())

    def _accounts(self, uow: UnitOfWork, targets: list[_Target], kind: str,
                  include_active: bool) -> tuple[list[tuple[_Account, _Target]], list[Skipped]]:
        """Each target's account (created when missing) with the kind's role; the skipped ones apart."""
        session = uow.session
        existing: dict[int, tuple[int, str, bool, bool]] = {}
        for chunk in _chunks([t.person_id for t in targets]):
            query = (select(User.person_id, User.id, User.login, User.password_hash.is_not(None), User.is_active)
                     .where(User.person_id.in_(chunk)).order_by(User.id))
            for person_id, user_id, login, has_password, active in session.execute(query):
                existing.setdefault(cast(int, person_id), (user_id, login, bool(has_password), bool(active)))
        chosen: list[tuple[_Account, _Target]] = []
        skipped: list[Skipped] = []
        missing: list[_Target] = []
        for target in targets:
            found = existing.get(target.person_id)
            if found is None:
                missing.append(target)
                continue
            user_id, login, has_password, active = found
            if not active:
                skipped.append(Skipped(target.person_id, target.full_name, login, "учётная запись отключена"))
            elif has_password and not include_active:
                skipped.append(Skipped(target.person_id, target.full_name, login, "уже входит со своим паролем"))
            else:
                chosen.append((_Account(user_id, login), target))
        if missing:
            chosen += self._create_users(uow, missing)
            chosen.sort(key=lambda pair: pair[1].order)
        role = KIND_ROLES[kind]
        holding: set[int] = set()
        for chunk in _chunks([account.id for account, _ in chosen]):
            holding.update(session.scalars(select(RoleGrant.user_id).where(
                RoleGrant.user_id.in_(chunk), RoleGrant.role == role,
                or_(RoleGrant.school_id == uow.school_id, RoleGrant.school_id.is_(None)))))
        now = utcnow()
        grants = [(account, target) for account, target in chosen if account.id not in holding]
        self._insert(uow, RoleGrant, [{"user_id": account.id, "role": role, "school_id": uow.school_id,
                                       "granted_by": uow.actor.user_id, "granted_at": now}
                                      for account, _ in grants], "Роли")
        for account, target in grants:
            uow.audit("role.grant", object_type="user", object_id=account.id, person_id=target.person_id,
                      detail=role)
        return chosen, skipped

    def _create_users(self, uow: UnitOfWork, missing: list[_Target]) -> list[tuple[_Account, _Target]]:
        """Accounts without a password for `missing`; logins "ivanova.a", "ivanova.a2", ... unique."""
        session = uow.session
        taken = set(session.scalars(select(User.login)))
        rows: list[dict[str, Any]] = []
        now = utcnow()
        for target in missing:
            base = login_base(target.last_name, target.first_name)
            login, number = base, 1
            while login in taken:
                number += 1
                login = f"{base}{number}"
            taken.add(login)
            rows.append({"login": login, "person_id": target.person_id, "school_id": uow.school_id,
                         "password_hash": None, "must_change_password": True, "is_active": True,
                         "failed_logins": 0, "locked_until": None, "last_login_at": None, "created_at": now,
                         "version": 1})
        self._insert(uow, User, rows, "Учётные записи")
        ids: dict[str, int] = {}
        logins = [r["login"] for r in rows]
        for start in range(0, len(logins), _CHUNK):
            ids.update(session.execute(select(User.login, User.id).where(
                User.login.in_(logins[start:start + _CHUNK]))).all())
        created: list[tuple[_Account, _Target]] = []
        for row, target in zip(rows, missing, strict=True):
            account = _Account(ids[row["login"]], row["login"])
            created.append((account, target))
            uow.audit("user.create", object_type="user", object_id=account.id, person_id=target.person_id,
                      fields=["login", "person_id", "school_id"], detail="for a login code")
        return created

    @staticmethod
    def _insert(uow: UnitOfWork, model: type[Any], rows: list[dict[str, Any]], what: str) -> None:
        """Core executemany in batches (the bulk path the design asks for); a lost race becomes Conflict."""
        if not rows:
            return
        statement = insert(cast(Table, model.__table__))
        try:
            for start in range(0, len(rows), 1000):
                uow.session.execute(statement, rows[start:start + 1000])
        except IntegrityError as exc:
            raise Conflict(f"{what}: такая запись уже есть (её только что сохранил другой пользователь); "
                           "повторите выдачу кодов") from exc

    @service("accounts.manage")
    def reset_code(self, uow: UnitOfWork, user_id: int, *, valid_days: int | None = None,
                   now: datetime | None = None) -> IssuedCode:
        """Reset one account's access with a new code (purpose "reset"): the password is cleared (it no
        longer works), the unused older codes are revoked, the lock is lifted, and the owner sets a new
        password by redeeming the code. Expires after `valid_days` (3 by default)."""
        days = _valid_days(valid_days, RESET_VALID_DAYS)
        moment = now or utcnow()
        user = uow.session.get(User, user_id)
        if user is None or user.school_id != uow.school_id:
            raise NotFound(f"Учётная запись № {user_id} не найдена")
        if user.id == uow.actor.user_id:
            raise invalid("user_id", "Учётная запись", "свой пароль сбросить кодом нельзя", "self")
        if not user.is_active:
            raise invalid("user_id", "Учётная запись", f"«{user.login}» отключена; сначала включите её",
                          "disabled")
        school = uow.session.get(School, uow.school_id)
        assert school is not None
        roles = _user_roles(uow, user.id)
        kind = "student" if "student" in roles else "parent" if "parent" in roles else "staff"
        person = uow.session.get(Person, user.person_id) if user.person_id is not None else None
        name = full_name(person.last_name, person.first_name, person.middle_name) if person else user.login
        class_name = ""
        children: tuple[str, ...] = ()
        if person is not None and kind == "student":
            class_name = ", ".join(uow.session.scalars(
                select(SchoolClass.name).join(Enrolment, Enrolment.class_id == SchoolClass.id)
                .where(Enrolment.person_id == person.id, active_on(Enrolment, moment.astimezone().date()))))
        elif person is not None and kind == "parent":
            day = moment.astimezone().date()
            kids = uow.session.execute(
                select(Person.last_name, Person.first_name, SchoolClass.name)
                .join(Guardianship, Guardianship.student_id == Person.id)
                .outerjoin(Enrolment, (Enrolment.person_id == Person.id) & active_on(Enrolment, day))
                .outerjoin(SchoolClass, SchoolClass.id == Enrolment.class_id)
                .where(Guardianship.parent_id == person.id, _guardianship_on(day))
                .order_by(Person.name_key)).all()
            children = tuple(f"{k.last_name} {k.first_name}" + (f" ({k.name})" if k.name else "") for k in kids)
            class_name = ", ".join(dict.fromkeys(k.name for k in kids if k.name))
        revoked = revoke_pending_codes(uow, [user.id], moment)
        code = readable_secret(groups=CODE_GROUPS)
        expires_at = expiry(moment, days)
        uow.session.add(LoginCode(school_id=uow.school_id, user_id=user.id, code_hash=code_hash(code),
                                  purpose="reset", issued_by=uow.actor.user_id, issued_at=moment,
                                  expires_at=expires_at))
        changed = [name for name, value in (("password_hash", None), ("must_change_password", True),
                                            ("locked_until", None)) if getattr(user, name) != value]
        user.password_hash = None
        user.must_change_password = True
        user.locked_until = None
        uow.session.flush()
        issued = IssuedCode(user.id, user.person_id, name, class_name, user.login, code, expires_at, kind,
                            children, school.name, "reset")
        uow.audit("user.reset", object_type="user", object_id=user.id, person_id=user.person_id, fields=changed,
                  detail="login code")
        uow.audit("code.issue", object_type="user", object_id=user.id, person_id=user.person_id,
                  detail=f"reset until {format_date(issued.valid_until)}"
                         + ("; previous code revoked" if revoked else ""))
        return issued

    # ---- letters ------------------------------------------------------------------------------------

    @service("export.personal_data")
    def letters(self, uow: UnitOfWork, issued: Sequence[IssuedCode], path: str | os.PathLike[str],
                fmt: str | None = None) -> Path:
        """Write invitation letters for `issued` to `path` as "pdf" or "xlsx" (by default from the
        extension): one page (one row) per person; students and parents never in one document. The file is
        created mode 0600 through a temporary file. Audited as "letters.export" with format and count."""
        chosen = _letter_format(path, fmt)
        if not issued:
            raise invalid("issued", "Письма", "нет ни одного кода — писать нечего", "required")
        kinds = {i.kind for i in issued}
        if len(kinds) > 1:
            raise invalid("issued", "Письма", "письма обучающимся и родителям выгружаются в разные файлы",
                          "mixed")
        _check_folder(path)
        try:
            written = write_letters([_letter(i) for i in issued], path, chosen)
        except OSError as exc:
            raise invalid("path", "Файл писем", f"{path}: {exc.strerror or exc}", "io") from exc
        uow.audit("letters.export", object_type="letters",
                  detail=f"format={chosen} count={len(issued)} kind={kinds.pop()}")
        return written

    def issue_letters(self, actor: Actor, path: str | os.PathLike[str], *, fmt: str | None = None,
                      **selection: Any) -> IssuedBatch:
        """`issue` then `letters` into `path`, for the command line and the app. Everything that could stop
        the letters (format, folder, the export permission) is checked before any code is issued, so old codes
        are never revoked for letters that cannot be written. `selection` takes issue()'s keywords."""
        _letter_format(path, fmt)
        _check_folder(path)
        try:
            permissions.check(actor, "export.personal_data")
        except PermissionDenied:
            record_outside(self.store, actor, AuditEvent("letters.export", outcome="denied",
                                                         detail="export.personal_data"))
            raise
        batch = self.issue(actor, **selection)
        if batch:
            self.letters(actor, batch, path, fmt)
        return batch

    # ---- redeeming ----------------------------------------------------------------------------------

    def check(self, login: str, code: str, *, now: datetime | None = None) -> None:
        """Whether `code` would open `login` now, before the person chooses a password (the console asks for the
        code first, then the new password). Nothing is used up. Refused exactly as `redeem` refuses, with the
        same audit records, so a failed check counts towards the lock-out as a failed redemption does."""
        self._usable(login, code, now or utcnow())

    def _usable(self, login: str, code: str, moment: datetime) -> tuple[User, LoginCode, str | None, bool]:
        """(account, code row, school name, whether the account is an administrator's) when the code opens the
        account now; AuthenticationFailed (audited as a failed code.redeem) otherwise."""
        auth = AuthService(self.store, sleep=self.sleep)
        with self.store.session(write=False) as session:
            user = find_user(session, login.strip())
            row = session.scalar(select(LoginCode).where(LoginCode.code_hash == code_hash(code)))
            school_name = session.scalar(select(School.name).where(School.id == user.school_id)) \
                if user is not None and user.school_id is not None else None
            is_admin = user is not None and session.scalar(select(exists().where(
                RoleGrant.user_id == user.id, RoleGrant.role == "admin"))) is True
        if user is None:
            # The typed login is not kept: people type secrets into the login field.
            auth._record(None, "", "code.redeem", "failed", "unknown login")
            self.sleep(growing_delay(1))
            raise AuthenticationFailed(BAD_CODE)
        if user.locked_until is not None and user.locked_until > moment:
            auth._record(user, user.login, "code.redeem", "denied", "locked")
            raise AuthenticationFailed(LOCKED)
        problem = _code_problem(row, user, moment)
        if problem is not None:
            auth._fail(user, user.login, "code.redeem", problem)
            raise AuthenticationFailed(BAD_CODE)
        assert row is not None
        if not user.is_active:
            auth._record(user, user.login, "code.redeem", "denied", "disabled")
            raise AuthenticationFailed(DISABLED)
        return user, row, school_name, is_admin

    def redeem(self, login: str, code: str, new_password: str, *, now: datetime | None = None) -> Redeemed:
        """Set one's own password with a login code. Not permission-checked: the code is the credential.

        Refused with the same message (AuthenticationFailed "Код неверен или устарел") when the login is
        unknown, the code is unknown, used, revoked, expired or belongs to another account; such failures
        count towards the same lock-out as wrong passwords. A weak password is refused with ValidationFailed
        naming "password" and leaves the code unused. Audited as "code.redeem".
        """
        moment = now or utcnow()
        auth = AuthService(self.store, sleep=self.sleep)
        user, row, school_name, is_admin = self._usable(login, code, moment)
        problems = password_problems(new_password, login=user.login, school_name=school_name, is_admin=is_admin)
        if problems:
            auth._record(user, user.login, "code.redeem", "denied", "weak password")
            raise ValidationFailed([Problem("password", "weak", message) for message in problems])
        hashed = hash_password(new_password)  # slow: outside the write transaction
        with self.store.session() as session:
            taken = cast(CursorResult[Any], session.execute(
                update(LoginCode).where(LoginCode.id == row.id, LoginCode.user_id == user.id,
                                        LoginCode.used_at.is_(None), LoginCode.revoked_at.is_(None),
                                        LoginCode.expires_at > moment)
                .values(used_at=moment).execution_options(synchronize_session=False)))
            if taken.rowcount != 1:  # redeemed or revoked meanwhile
                session.rollback()
                auth._fail(user, user.login, "code.redeem", "used meanwhile")
                raise AuthenticationFailed(BAD_CODE)
            fresh = session.get(User, user.id)
            assert fresh is not None
            fresh.password_hash = hashed
            fresh.must_change_password = False
            fresh.locked_until = None
            session.flush()
            audit.append(session, user_id=user.id, login=user.login, school_id=user.school_id, events=[
                AuditEvent("code.redeem", "user", user.id, user.person_id, fields=["password_hash"],
                           detail=row.purpose)])
            session.commit()
        return Redeemed(user.id, user.login, user.person_id)


def _code_problem(row: LoginCode | None, user: User, moment: datetime) -> str | None:
    """Why the code cannot be used by `user` now (for the audit detail), or None."""
    if row is None:
        return "unknown code"
    if row.user_id != user.id:
        return "code of another account"
    if row.used_at is not None:
        return "code already used"
    if row.revoked_at is not None:
        return "code revoked"
    if row.expires_at <= moment:
        return "code expired"
    return None


def _short_name(name: str) -> str:
    return " ".join(name.split()[:2])


def _letter(issued: IssuedCode) -> Letter:
    return Letter(school_name=issued.school_name, kind=issued.kind, full_name=issued.full_name,
                          class_name=issued.class_name, login=issued.login, code=issued.code,
                          valid_until=issued.valid_until, children=issued.children, purpose=issued.purpose)


def _letter_format(path: str | os.PathLike[str], fmt: str | None) -> str:
    chosen = fmt.lower().lstrip(".") if fmt else format_of(path)
    if chosen not in FORMATS:
        raise invalid("format", "Формат писем", f"«{Path(path).suffix or fmt or path}» — ожидается .pdf или "
                                                ".xlsx", "bad_format")
    return chosen


def _check_folder(path: str | os.PathLike[str]) -> None:
    folder = Path(path).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise invalid("path", "Файл писем", f"папка {folder} не существует или закрыта для записи", "io")
