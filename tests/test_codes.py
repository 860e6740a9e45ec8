"""Login codes: issue for a class, a parallel or the school; redeem once; expiry, revocation, lock-out; the
whole batch in one transaction; letters need export.personal_data."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import String, Text, func, select

from tests.conftest import SEED_TODAY
from tests.helpers import make_class, records
from zhurnal.core import codes as code_module
from zhurnal.core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import AcademicYear, AuditRecord, LoginCode, RoleGrant, User, utcnow
from zhurnal.core.permissions import Actor
from zhurnal.core.services.accounts import LOCKED, AuthService
from zhurnal.core.services.codes import BAD_CODE, CODE_BITS, CodeService, code_hash, login_base, transliterate
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.guardianship import GuardianshipService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.persons import PersonInput, PersonService

ON = SEED_TODAY
PASSWORD = "a long family phrase"
LOOK_ALIKES = set("0O1IL")
CODE_SHAPE = re.compile(r"^[2-9A-Z]{5}-[2-9A-Z]{5}-[2-9A-Z]{5}$")


@pytest.fixture
def service(store):
    return CodeService(store, sleep=lambda _seconds: None)


def person(store, admin, last: str, first: str, birth: date, middle: str | None = None) -> int:
    return PersonService(store).create(admin, PersonInput(last, first, middle, birth)).person.id


@pytest.fixture
def world(store, school, admin):
    """5А: Иванова Анна, Иванова Алла, Петров Пётр; 5Б: Сидорова Мария; 6А: Иванов Борис; a departed pupil.
    Parents: Иванова Елена (of Анна in 5А and Борис in 6А), Петров Олег (of Пётр), Сидоров Сергей (link
    ended before ON), Смирнова Вера (of the departed pupil)."""
    with store.session() as s:
        year = s.scalars(select(AcademicYear).where(AcademicYear.school_id == school.school_id)).one()
    start = year.start_date
    order = OrderService(store).create(admin, "1-у", start - timedelta(days=3), "enrolment", "О зачислении").id
    leave = OrderService(store).create(admin, "2-у", start + timedelta(days=20), "departure", "Об отчислении").id
    classes = {name: make_class(store, school.school_id, int(name[0]), name[1]) for name in ("5А", "5Б", "6А")}
    enrol = EnrolmentService(store)
    ids: dict[str, int] = {}
    for key, last, first, klass in (("anna", "Иванова", "Анна", "5А"), ("alla", "Иванова", "Алла", "5А"),
                                    ("petr", "Петров", "Пётр", "5А"), ("maria", "Сидорова", "Мария", "5Б"),
                                    ("boris", "Иванов", "Борис", "6А"), ("gone", "Уехавший", "Глеб", "5Б")):
        ids[key] = person(store, admin, last, first, date(2015, 3, 3), "Иванович" if key == "boris" else None)
        enrol.enrol(admin, ids[key], classes[klass], start, order)
    enrol.depart(admin, ids["gone"], start + timedelta(days=20), leave, "transfer_out",
                 counterpart="МБОУ СОШ № 7")
    links = GuardianshipService(store)
    for key, last, first, children in (("elena", "Иванова", "Елена", ("anna", "boris")),
                                       ("oleg", "Петров", "Олег", ("petr",)),
                                       ("sergey", "Сидоров", "Сергей", ("maria",)),
                                       ("vera", "Смирнова", "Вера", ("gone",))):
        ids[key] = person(store, admin, last, first, date(1985, 1, 1))
        for child in children:
            link = links.link(admin, ids[key], ids[child], "mother" if first in ("Елена", "Вера") else "father",
                              start)
            if key == "sergey":
                links.end(admin, link.id, start + timedelta(days=10))
    return {"classes": classes, **ids}


def by_name(batch) -> dict[str, object]:
    return {issued.full_name: issued for issued in batch}


# ---- codes ----------------------------------------------------------------------------------------------


def test_codes_have_enough_entropy_and_no_look_alikes(service, admin, world):
    bits = 3 * 5 * math.log2(len(code_module.ALPHABET))
    assert bits >= 50 and pytest.approx(bits) == CODE_BITS and bits > 74
    assert not LOOK_ALIKES & set(code_module.ALPHABET)
    batch = service.issue(admin, whole_school=True, on=ON)
    for issued in batch:
        assert CODE_SHAPE.match(issued.code), issued.code
        assert not LOOK_ALIKES & set(issued.code)
        assert issued.code not in repr(issued)  # never in a log line by accident
    assert len({issued.code for issued in batch}) == len(batch)


def test_issue_picks_the_class_the_parallel_or_the_school(service, admin, world):
    assert set(by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))) == {
        "Иванова Анна", "Иванова Алла", "Петров Пётр"}
    assert set(by_name(service.issue(admin, parallel=5, on=ON))) == {
        "Иванова Анна", "Иванова Алла", "Петров Пётр", "Сидорова Мария"}
    school = service.issue(admin, whole_school=True, on=ON)
    assert [(i.class_name, i.full_name) for i in school] == [  # by class, then by name; the leaver is not there
        ("5А", "Иванова Алла"), ("5А", "Иванова Анна"), ("5А", "Петров Пётр"), ("5Б", "Сидорова Мария"),
        ("6А", "Иванов Борис Иванович")]
    assert {i.kind for i in school} == {"student"} and school[0].school_name == "МБОУ «СОШ № 1»"
    # before the departure the leaver was in 5Б
    early = service.issue(admin, class_id=world["classes"]["5Б"], on=ON.replace(month=9, day=5))
    assert set(by_name(early)) == {"Сидорова Мария", "Уехавший Глеб"}


def test_parents_get_one_account_and_one_code_however_many_children(service, admin, world):
    school = by_name(service.issue(admin, whole_school=True, parents=True, on=ON))
    assert set(school) == {"Иванова Елена", "Петров Олег"}  # Сидоров's link ended; Смирнова's child left
    elena = school["Иванова Елена"]
    assert elena.kind == "parent" and elena.children == ("Иванова Анна (5А)", "Иванов Борис (6А)")
    assert elena.class_name == "5А, 6А" and elena.login == "ivanova.e"
    only_5a = by_name(service.issue(admin, class_id=world["classes"]["5А"], parents=True, on=ON))
    assert only_5a["Иванова Елена"].children == ("Иванова Анна (5А)",)
    assert only_5a["Иванова Елена"].user_id == elena.user_id  # the same account, a new code


def test_new_accounts_have_generated_logins_roles_and_no_password(store, service, admin, school, world):
    batch = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))
    assert sorted(i.login for i in batch.values()) == ["ivanova.a", "ivanova.a2", "petrov.p"]
    with store.session() as s:
        user = s.get(User, batch["Петров Пётр"].user_id)
        assert user.person_id == world["petr"] and user.school_id == school.school_id
        assert user.password_hash is None and user.is_active
        assert s.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user.id,
                                                      RoleGrant.school_id == school.school_id)).all() == ["student"]
    assert len(records(store, "user.create")) == 1 + 3  # the seeded admin and the three pupils


def test_transliteration():
    assert transliterate("Щукина-Ёлкина") == "shchukina-elkina"
    assert login_base("Иванова", "Анна") == "ivanova.a"
    assert login_base("Юдина", "Юлия") == "yudina.yu"
    assert login_base("Müller", "Жанна") == "muller.zh"
    assert login_base("Ъ", "") == "user"


def test_codes_are_stored_hashed_and_never_audited(store, service, admin, world):
    batch = service.issue(admin, whole_school=True, on=ON)
    parents = service.issue(admin, whole_school=True, parents=True, on=ON)
    secrets = {i.code for i in [*batch, *parents]}
    secrets |= {code_module.normalise_typed(c) for c in secrets}
    texts: list[str] = []
    with store.session() as s:
        for model in (LoginCode, AuditRecord):
            columns = [c for c in model.__table__.columns if isinstance(c.type, String | Text)]
            for row in s.execute(select(*columns)):
                texts += [str(v) for v in row if v is not None]
        hashes = set(s.scalars(select(LoginCode.code_hash)))
    assert texts and not [t for t in texts if any(secret in t for secret in secrets)]
    assert hashes == {code_hash(i.code) for i in [*batch, *parents]}
    issued = records(store, "code.issue")
    assert len(issued) == len(batch) + len(parents)
    assert {r.person_id for r in issued} == {i.person_id for i in [*batch, *parents]}


def test_redeem_sets_the_password_once(store, service, admin, world):
    anna = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Иванова Анна"]
    typed = anna.code.lower().replace("-", " ")  # case, spaces and hyphens do not matter
    redeemed = service.redeem(anna.login, typed, PASSWORD)
    assert redeemed.user_id == anna.user_id
    signed = AuthService(store, sleep=lambda _s: None).login(anna.login, PASSWORD)
    assert signed.actor.person_id == world["anna"] and "student" in signed.actor.roles
    assert signed.must_change_password is False
    with pytest.raises(AuthenticationFailed) as again:
        service.redeem(anna.login, anna.code, "another long phrase")
    assert str(again.value) == BAD_CODE
    assert [(r.outcome, r.detail) for r in records(store, "code.redeem")] == [
        ("ok", "invite"), ("failed", "code already used")]
    with store.session() as s:
        assert s.scalars(select(LoginCode.used_at).where(LoginCode.user_id == anna.user_id)).one() is not None


def test_cyrillic_look_alikes_typed_for_latin_letters_are_accepted():
    assert code_hash("K7M2Q-9TXAF-H3R8W") == code_hash("к7м2q 9тхаf н3r8w") == code_hash("K7M2Q9TXAFH3R8W")
    assert code_hash("ABCDE-FGHJK-MNPQR") != code_hash("ABCDE-FGHJK-MNPQS")


def test_expired_code_is_refused(service, admin, world):
    petr = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON, valid_days=1))["Петров Пётр"]
    assert petr.valid_until == (utcnow().astimezone().date() + timedelta(days=1))
    with pytest.raises(AuthenticationFailed, match=BAD_CODE):
        service.redeem(petr.login, petr.code, PASSWORD, now=utcnow() + timedelta(days=3))
    service.redeem(petr.login, petr.code, PASSWORD, now=utcnow() + timedelta(hours=1))  # still in time


def test_valid_days_and_scope_are_checked(service, admin, world):
    for bad in (0, 91):
        with pytest.raises(ValidationFailed) as failure:
            service.issue(admin, whole_school=True, valid_days=bad)
        assert failure.value.problems[0].field == "valid_days"
    for scope in ({}, {"whole_school": True, "parallel": 5}):
        with pytest.raises(ValidationFailed) as failure:
            service.issue(admin, **scope)
        assert failure.value.problems[0].field == "scope"
    with pytest.raises(ValidationFailed) as failure:
        service.issue(admin, parallel=12)
    assert failure.value.problems[0].field == "parallel"
    with pytest.raises(NotFound):
        service.issue(admin, class_id=999_999)


def test_reissue_revokes_the_old_code(store, service, admin, world):
    first = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Петров Пётр"]
    second = by_name(service.issue(admin, parallel=5, on=ON))["Петров Пётр"]
    assert second.user_id == first.user_id and second.code != first.code
    with pytest.raises(AuthenticationFailed, match=BAD_CODE):
        service.redeem(first.login, first.code, PASSWORD)
    assert records(store, "code.redeem")[-1].detail == "code revoked"
    service.redeem(second.login, second.code, PASSWORD)
    details = [r.detail for r in records(store, "code.issue") if r.object_id == first.user_id]
    assert details[0].startswith("invite until ") and details[1].endswith("; previous code revoked")


def test_a_parents_code_never_opens_the_childs_account(store, service, admin, world):
    child = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Иванова Анна"]
    mother = by_name(service.issue(admin, class_id=world["classes"]["5А"], parents=True, on=ON))["Иванова Елена"]
    with pytest.raises(AuthenticationFailed, match=BAD_CODE):
        service.redeem(child.login, mother.code, PASSWORD)
    assert records(store, "code.redeem")[-1].detail == "code of another account"
    with store.session() as s:
        assert s.get(User, child.user_id).password_hash is None
    service.redeem(mother.login, mother.code, PASSWORD)  # the failed attempt did not use the code up
    service.redeem(child.login, child.code, "the childs own long phrase")


def test_unknown_login_gets_the_same_answer_and_is_not_recorded(store, service, admin, world):
    anna = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Иванова Анна"]
    with pytest.raises(AuthenticationFailed) as unknown:
        service.redeem("nobody.x", anna.code, PASSWORD)
    with pytest.raises(AuthenticationFailed) as wrong:
        service.redeem(anna.login, "AAAAA-BBBBB-CCCCC", PASSWORD)
    assert str(unknown.value) == str(wrong.value) == BAD_CODE
    assert [(r.login, r.detail) for r in records(store, "code.redeem")] == [
        ("", "unknown login"), (anna.login, "unknown code")]


def test_failed_redemptions_count_towards_the_lock_out(store, admin, world):
    delays: list[float] = []
    service = CodeService(store, sleep=delays.append)
    petr = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Петров Пётр"]
    for _ in range(5):
        with pytest.raises(AuthenticationFailed, match=BAD_CODE):
            service.redeem(petr.login, "ZZZZZ-ZZZZZ-ZZZZZ", PASSWORD)
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [r.object_id for r in records(store, "user.lock")] == [petr.user_id]
    with pytest.raises(AuthenticationFailed) as locked:
        service.redeem(petr.login, petr.code, PASSWORD)  # even the right code, while locked
    assert str(locked.value) == LOCKED
    with store.session() as s:
        assert s.get(User, petr.user_id).password_hash is None
        assert s.scalars(select(LoginCode.used_at).where(LoginCode.user_id == petr.user_id)).one() is None


def test_check_uses_nothing_up_and_its_failures_count_like_redemptions(store, admin, world):
    delays: list[float] = []
    service = CodeService(store, sleep=delays.append)
    batch = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))
    anna, petr = batch["Иванова Анна"], batch["Петров Пётр"]
    service.check(anna.login, anna.code.lower())  # the console asks for the code before the new password
    service.check(anna.login, anna.code)
    with store.session() as s:
        assert s.scalars(select(LoginCode.used_at).where(LoginCode.user_id == anna.user_id)).one() is None
    with pytest.raises(AuthenticationFailed, match=BAD_CODE):
        service.check(petr.login, anna.code)  # another account's code
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match=BAD_CODE):
            service.check(petr.login, "ZZZZZ-ZZZZZ-ZZZZZ")
    assert [r.object_id for r in records(store, "user.lock")] == [petr.user_id]  # five failures lock, as ever
    with pytest.raises(AuthenticationFailed) as locked:
        service.check(petr.login, petr.code)
    assert str(locked.value) == LOCKED
    service.redeem(anna.login, anna.code, PASSWORD)  # checked twice, still usable once
    with pytest.raises(AuthenticationFailed, match=BAD_CODE):
        service.check(anna.login, anna.code)


def test_a_weak_password_is_refused_naming_the_field_and_keeps_the_code(store, service, admin, world):
    alla = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Иванова Алла"]
    for weak in ("short pass", f"my {alla.login} forever"):
        with pytest.raises(ValidationFailed) as failure:
            service.redeem(alla.login, alla.code, weak)
        assert {p.field for p in failure.value.problems} == {"password"}
    service.redeem(alla.login, alla.code, PASSWORD)
    assert [r.outcome for r in records(store, "code.redeem")] == ["denied", "denied", "ok"]


def test_accounts_that_already_have_a_password_are_skipped_unless_asked(service, admin, world):
    petr = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Петров Пётр"]
    service.redeem(petr.login, petr.code, PASSWORD)
    again = service.issue(admin, class_id=world["classes"]["5А"], on=ON)
    assert "Петров Пётр" not in by_name(again)
    assert [(s.full_name, s.reason) for s in again.skipped] == [("Петров Пётр", "уже входит со своим паролем")]
    forced = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON, include_active=True))
    assert forced["Петров Пётр"].user_id == petr.user_id


def test_the_whole_batch_is_one_transaction(store, service, admin, world, monkeypatch):
    first = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Петров Пётр"]

    def counts():
        with store.session() as s:
            return {model.__name__: s.scalar(select(func.count()).select_from(model))
                    for model in (User, RoleGrant, LoginCode, AuditRecord)}

    before = counts()
    calls = {"n": 0}
    real = code_module.readable_secret

    def failing(groups: int = 3) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(groups)

    monkeypatch.setattr("zhurnal.core.services.codes.readable_secret", failing)
    with pytest.raises(RuntimeError):
        service.issue(admin, whole_school=True, on=ON)  # new accounts for 5Б and 6А, revokes 5А's codes
    assert calls["n"] == 3
    assert counts() == before
    with store.session() as s:
        assert s.scalars(select(LoginCode.revoked_at).where(LoginCode.user_id == first.user_id)).one() is None
    monkeypatch.undo()
    service.redeem(first.login, first.code, PASSWORD)


def test_issuing_needs_accounts_manage(store, service, school, world):
    teacher = Actor(None, "teacher", school.school_id, frozenset({"teacher"}))
    with pytest.raises(PermissionDenied):
        service.issue(teacher, whole_school=True)
    assert [(r.outcome, r.detail) for r in records(store, "code.issue")] == [("denied", "accounts.manage")]


# ---- reset --------------------------------------------------------------------------------------------


def test_reset_code_replaces_the_password(store, service, admin, world):
    petr = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Петров Пётр"]
    service.redeem(petr.login, petr.code, PASSWORD)
    reset = service.reset_code(admin, petr.user_id)
    assert reset.purpose == "reset" and reset.kind == "student" and reset.class_name == "5А"
    assert reset.valid_until == utcnow().astimezone().date() + timedelta(days=3)
    auth = AuthService(store, sleep=lambda _s: None)
    with pytest.raises(AuthenticationFailed):
        auth.login(petr.login, PASSWORD)  # the old password no longer works
    service.redeem(petr.login, reset.code, "a brand new long phrase")
    assert auth.login(petr.login, "a brand new long phrase").must_change_password is False
    assert [r.detail for r in records(store, "user.reset")] == ["login code"]
    with pytest.raises(ValidationFailed) as own:
        service.reset_code(admin, admin.user_id)
    assert own.value.problems[0].code == "self"


def test_a_reset_code_of_an_administrator_needs_an_administrators_password(store, service, admin, school):
    with store.session() as s:
        other = User(login="deputy.admin", school_id=school.school_id)
        s.add(other)
        s.flush()
        s.add(RoleGrant(user_id=other.id, role="admin", school_id=school.school_id))
        s.commit()
        other_id = other.id
    reset = service.reset_code(admin, other_id)
    assert reset.kind == "staff" and reset.full_name == "deputy.admin"
    with pytest.raises(ValidationFailed, match="15"):
        service.redeem("deputy.admin", reset.code, "thirteen char")
    service.redeem("deputy.admin", reset.code, "fifteen chars ok!")


# ---- letters ------------------------------------------------------------------------------------------


def test_letters_are_written_and_audited(store, service, admin, world, tmp_path):
    tmp_path = tmp_path / "letters"  # the SQLite database lives in the test's folder
    tmp_path.mkdir()
    batch = service.issue(admin, class_id=world["classes"]["5А"], on=ON)
    path = service.letters(admin, batch, tmp_path / "5А.pdf")
    reader = PdfReader(path)
    assert len(reader.pages) == len(batch)
    text = reader.pages[0].extract_text()
    assert batch[0].full_name in text and batch[0].code in text and batch[0].login in text
    assert (path.stat().st_mode & 0o777) == 0o600
    [record] = records(store, "letters.export")
    assert record.detail == "format=pdf count=3 kind=student" and record.outcome == "ok"
    parents = service.issue(admin, whole_school=True, parents=True, on=ON)
    with pytest.raises(ValidationFailed) as mixed:
        service.letters(admin, [*batch, *parents], tmp_path / "all.xlsx")
    assert mixed.value.problems[0].code == "mixed"
    with pytest.raises(ValidationFailed) as wrong:
        service.letters(admin, batch, tmp_path / "5А.docx")
    assert wrong.value.problems[0].field == "format"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["5А.pdf"]


def test_letters_without_export_permission_are_refused_and_audited(store, service, admin, school, world,
                                                                    tmp_path):
    tmp_path = tmp_path / "letters"
    tmp_path.mkdir()
    batch = service.issue(admin, class_id=world["classes"]["5А"], on=ON)
    deputy = Actor(None, "deputy", school.school_id, frozenset({"deputy"}))
    with pytest.raises(PermissionDenied):
        service.letters(deputy, batch, tmp_path / "5А.pdf")
    assert [(r.outcome, r.detail) for r in records(store, "code.letters")] == [("denied", "export.personal_data")]
    # an operator who may issue codes but not export them: refused before any code is issued or revoked
    operator = Actor(admin.user_id, "operator", school.school_id, frozenset(),
                     actions=frozenset({"accounts.manage", "school.read"}))
    issued_before = len(records(store, "code.issue"))
    with pytest.raises(PermissionDenied):
        service.issue_letters(operator, tmp_path / "5А.pdf", class_id=world["classes"]["5А"], on=ON)
    assert len(records(store, "code.issue")) == issued_before
    assert [(r.outcome, r.detail) for r in records(store, "letters.export")] == [
        ("denied", "export.personal_data")]
    assert not list(tmp_path.iterdir())
    service.redeem(batch[0].login, batch[0].code, PASSWORD)  # the earlier codes still work


def test_issue_letters_writes_xlsx(service, admin, world, tmp_path):
    from python_calamine import CalamineWorkbook

    batch = service.issue_letters(admin, tmp_path / "parents.xlsx", parallel=5, parents=True, on=ON)
    rows = CalamineWorkbook.from_path(str(tmp_path / "parents.xlsx")).get_sheet_by_name("Письма").to_python()
    assert rows[0] == ["Класс", "ФИО", "Логин", "Код", "Действует до", "Для кого"]
    assert [(r[1], r[3]) for r in rows[1:]] == [(i.full_name, i.code) for i in batch]
    assert rows[1][5] == "родителю: Иванова Анна (5А)"


def test_a_temporary_password_reset_revokes_the_outstanding_code(store, service, admin, world):
    from zhurnal.core.services.users import UserService

    anna = by_name(service.issue(admin, class_id=world["classes"]["5А"], on=ON))["Иванова Анна"]
    UserService(store, sleep=lambda _s: None).reset(admin, anna.login)
    with pytest.raises(AuthenticationFailed, match=BAD_CODE):
        service.redeem(anna.login, anna.code, PASSWORD)
