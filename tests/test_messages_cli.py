"""`zhurnal announce ...` and `zhurnal support ...` in process, on both engines: texts from stdin (after the
password) or --file, never from arguments; refusals exit 2."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import ADMIN_LOGIN, ADMIN_PASSWORD
from tests.helpers import make_class, make_user
from zhurnal.core.permissions import Actor
from zhurnal.core.services.announcements import AnnouncementService
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.support import SupportService
from zhurnal.tui.cli import main


def run(store, *args: str, text: str = "", login: str = ADMIN_LOGIN,
        password: str = ADMIN_PASSWORD) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--db", store.url, "--user", login, "--password-stdin", *args],
                stdin=io.StringIO(f"{password}\n{text}"), stdout=out)
    return code, out.getvalue()


@pytest.fixture
def teacher(store, school, admin) -> Actor:
    person = PersonService(store).create(admin, PersonInput("Петрова", "Анна", None, date(1980, 1, 1))).person.id
    return Actor(make_user(store, school.school_id, person, "petrova"), "petrova", school.school_id,
                 frozenset({"teacher"}), person)


def test_post_list_and_withdraw(store, school, admin, tmp_path: Path):
    make_class(store, school.school_id, 5, "А")
    code, out = run(store, "announce", "post", "--title", "Собрание", "--role", "parent", "--class", "5а",
                    "--until", "31.12.2026", text="В четверг в 18:00.\nАктовый зал.\n")
    assert code == 0 and "кому: роли: parent; классы: 5А" in out and "31.12.2026" in out
    body = tmp_path / "body.txt"
    body.write_text("Каникулы с 29 декабря.", encoding="utf-8")
    code, out = run(store, "announce", "post", "--title", "Каникулы", "--all", "--file", str(body))
    assert code == 0 and "кому: все" in out
    posted = AnnouncementService(store).list(admin)
    assert [(a.title, a.body) for a in posted] == [("Каникулы", "Каникулы с 29 декабря."),
                                                   ("Собрание", "В четверг в 18:00.\nАктовый зал.")]

    code, out = run(store, "announce", "withdraw", str(posted[1].id))
    assert code == 0 and "снято" in out
    code, out = run(store, "announce", "list")
    lines = out.splitlines()
    assert len(lines) == 2 and "\tпоказывается\t" in lines[0] and "\tснято\t" in lines[1]
    code, out = run(store, "announce", "list", "--active")
    assert [line.rsplit("\t", 1)[-1] for line in out.splitlines()] == ["Каникулы"]


def test_post_refusals(store, teacher, capsys):
    code, _ = run(store, "announce", "post", "--title", "Пусто", "--all", text="")
    assert code == 1 and "Текст" in capsys.readouterr().err
    code, _ = run(store, "announce", "post", "--title", "Без адресата", text="Текст")
    assert code == 1 and "Кому" in capsys.readouterr().err
    code, _ = run(store, "announce", "post", "--title", "Т", "--all", "--until", "завтра", text="Текст")
    assert code == 2 and "--until" in capsys.readouterr().err


def test_support_queue_show_answer_close(store, admin, teacher):
    ticket = SupportService(store).report(teacher, "Не сохраняется оценка", screen="JournalScreen").row.id
    code, out = run(store, "support", "list", "--status", "open")
    assert code == 0 and out.startswith(f"{ticket}\t") and "petrova (Петрова Анна)" in out
    assert "JournalScreen" in out and "Не сохраняется оценка" in out
    code, out = run(store, "support", "answer", str(ticket), text="Исправлено, попробуйте снова.\n")
    assert code == 0 and f"№ {ticket}" in out
    assert SupportService(store).unread_answers(teacher) == 1
    code, out = run(store, "support", "show", str(ticket))
    assert code == 0 and "есть ответ" in out and "Исправлено, попробуйте снова." in out
    code, out = run(store, "support", "close", str(ticket))
    assert code == 0 and "закрыто" in out
    code, out = run(store, "support", "list", "--status", "open")
    assert out.strip() == "Обращений нет"
    code, _ = run(store, "support", "close", str(ticket))
    assert code == 1


def test_a_user_without_the_right_is_refused(store, admin, school, capsys):
    from zhurnal.core.services.users import UserService

    password = "a teacher passphrase 77"
    UserService(store).add(admin, "teacher2", roles=["teacher"], password=password,
                           confirmed_password=ADMIN_PASSWORD)
    for args in (("announce", "list"), ("support", "list")):
        code, _ = run(store, *args, login="teacher2", password=password)
        assert code == 2 and "Недостаточно прав" in capsys.readouterr().err
