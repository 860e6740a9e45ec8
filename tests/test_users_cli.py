"""`zhurnal user ...` as an administrator runs it: real processes, secrets one per stdin line in order."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.test_cli import PASSWORD, zhurnal

TEACHER_PASSWORD = "a teacher's passphrase 7"


def as_director(data: Path, *args: str, lines: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """A command signed in as the school's administrator; `lines` follow the administrator's password."""
    stdin = "".join(f"{line}\n" for line in (PASSWORD, *lines))
    return zhurnal(data, "--user", "director", "--password-stdin", *args, stdin=stdin)


def as_user(data: Path, login: str, *args: str, lines: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    return zhurnal(data, "--user", login, "--password-stdin", *args, stdin="".join(f"{x}\n" for x in lines))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    result = zhurnal(tmp_path, "init", "--school", "МБОУ «СОШ № 3»", "--admin", "director", "--password-stdin",
                     stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_add_with_a_temporary_password_then_the_person_changes_it(data):
    added = as_director(data, "user", "add", "Ivanov", "--role", "class_teacher", "--temporary",
                        lines=(TEACHER_PASSWORD, PASSWORD))
    assert added.returncode == 0, added.stderr
    assert "ivanov" in added.stdout and "временный" in added.stdout
    listed = as_director(data, "user", "list")
    assert "ivanov\t\tclass_teacher\tактивна\tникогда" in listed.stdout.splitlines()
    shown = as_director(data, "user", "show", "IVANOV")
    assert "Роли: class_teacher" in shown.stdout and "временный" in shown.stdout
    refused = as_user(data, "ivanov", "people", "search", lines=(TEACHER_PASSWORD,))
    assert refused.returncode == 2 and "user password" in refused.stderr
    new = "the teacher's own passphrase"
    changed = as_user(data, "ivanov", "user", "password", lines=(TEACHER_PASSWORD, new))
    assert changed.returncode == 0, changed.stderr
    assert as_user(data, "ivanov", "people", "search", lines=(new,)).returncode == 0


def test_lock_unlock_and_reset(data):
    assert as_director(data, "user", "add", "petrov", lines=(TEACHER_PASSWORD,)).returncode == 0
    assert as_director(data, "user", "lock", "petrov").returncode == 0
    disabled = as_user(data, "petrov", "user", "password", lines=(TEACHER_PASSWORD, "x"))
    assert disabled.returncode == 2 and "отключена" in disabled.stderr
    own = as_director(data, "user", "lock", "director")
    assert own.returncode == 2 and "собственную" in own.stderr
    assert as_director(data, "user", "unlock", "petrov").returncode == 0
    reset = as_director(data, "user", "reset", "petrov")
    assert reset.returncode == 0, reset.stderr
    temporary = reset.stdout.strip().rsplit(" ", 1)[-1]
    assert len(temporary) == 23  # four groups of five, hyphenated
    old = as_user(data, "petrov", "user", "password", lines=(TEACHER_PASSWORD, "x"))
    assert old.returncode == 2 and "Неверное" in old.stderr
    changed = as_user(data, "petrov", "user", "password", lines=(temporary, "a brand new passphrase 9"))
    assert changed.returncode == 0, changed.stderr


def test_role_changes_ask_for_the_password_again(data):
    assert as_director(data, "user", "add", "petrov", "--role", "teacher",
                       lines=(TEACHER_PASSWORD, PASSWORD)).returncode == 0
    wrong = as_director(data, "user", "roles", "petrov", "--grant", "class_teacher", lines=("not it",))
    assert wrong.returncode == 2 and "Неверный пароль" in wrong.stderr
    missing = as_director(data, "user", "roles", "petrov", "--grant", "class_teacher")
    assert missing.returncode == 2 and "строки 2" in missing.stderr
    assert as_director(data, "user", "roles", "petrov").stdout.strip() == "petrov: teacher"
    granted = as_director(data, "user", "roles", "petrov", "--grant", "class_teacher", "--revoke", "teacher",
                          lines=(PASSWORD,))
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.splitlines()[-1] == "petrov: class_teacher"
    own = as_director(data, "user", "roles", "director", "--grant", "teacher", lines=(PASSWORD,))
    assert own.returncode == 2 and "самому себе" in own.stderr


def test_never_used_listing_and_bad_input(data):
    assert as_director(data, "user", "add", "sidorov", "--no-password").returncode == 0
    # The school's setting (30 days): nobody is that old yet; 0 days: every account never signed in to.
    assert as_director(data, "user", "list", "--never-used").stdout == ""
    never = as_director(data, "user", "list", "--never-used", "0")
    assert [line.split("\t")[0] for line in never.stdout.splitlines()] == ["sidorov"]
    bad = as_director(data, "user", "add", "ив", lines=(TEACHER_PASSWORD,))
    assert bad.returncode == 1 and "Имя входа" in bad.stderr
    unknown_role = as_director(data, "user", "add", "x.y.z", "--role", "director")
    assert unknown_role.returncode == 2


def test_disable_due_switches_off_accounts_whose_last_day_has_come(data):
    from datetime import date, timedelta

    from tests.helpers import make_class
    from zhurnal.core.models import User
    from zhurnal.core.services.accounts import AuthService
    from zhurnal.core.services.enrolments import EnrolmentService
    from zhurnal.core.services.orders import OrderService
    from zhurnal.core.services.persons import PersonInput, PersonService
    from zhurnal.core.services.years import YearService
    from zhurnal.core.store import Store

    store = Store(f"sqlite:///{data / 'zhurnal.sqlite3'}")
    admin = AuthService(store).login("director", PASSWORD).actor
    year = YearService(store).current(admin)
    class_id = make_class(store, admin.school_id, 5, "А", year.id)
    pupil = PersonService(store).create(admin, PersonInput("Лебедева", "Ольга", None, date(2015, 2, 2), "F")).person
    start = year.start
    enrol = OrderService(store).create(admin, "1-у", start, "enrolment", "О зачислении").id
    leave = OrderService(store).create(admin, "2-у", start, "departure", "Об отчислении").id
    EnrolmentService(store).enrol(admin, pupil.id, class_id, start, enrol)
    with store.session() as s:
        s.add(User(login="lebedeva.o", person_id=pupil.id, school_id=admin.school_id))
        s.commit()
    # Recorded the day before the last day: the account stays on until cron runs on or after that day.
    EnrolmentService(store).depart(admin, pupil.id, start, leave, "family_education",
                                   today=start - timedelta(days=1))
    with store.session() as s:
        assert s.query(User).filter_by(login="lebedeva.o").one().is_active
    store.dispose()
    result = as_director(data, "user", "disable-due")
    assert result.returncode == 0, result.stderr
    assert "Отключена учётная запись lebedeva.o" in result.stdout
    assert "Отключено учётных записей: 0" in as_director(data, "user", "disable-due").stdout
