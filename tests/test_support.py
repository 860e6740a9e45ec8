"""Problem reports: a user sends one with the screen's name, the administrator's queue filters by status, an
answer is unread by the author until opened, replies reopen, closing ends it; users see only their own
tickets; the audit trail names the ticket and never carries the text."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers import make_user, records
from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.permissions import Actor
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.support import SupportService

REPORT = "Не открывается журнал 5А:\nпустой экран после F6."


@pytest.fixture
def service(store):
    return SupportService(store)


@pytest.fixture
def users(store, school, admin):
    persons = PersonService(store)
    made = {}
    for login, last, first, role in (("teacher1", "Петрова", "Анна", "teacher"), ("parent1", "Сидоров", "Олег",
                                                                                   "parent")):
        person_id = persons.create(admin, PersonInput(last, first, None, date(1980, 1, 1))).person.id
        user_id = make_user(store, school.school_id, person_id, login)
        made[login] = Actor(user_id, login, school.school_id, frozenset({role}), person_id)
    return made


def test_report_answer_read_reply_close(service, admin, users):
    teacher = users["teacher1"]
    sent = service.report(teacher, REPORT, screen="ClassesScreen")
    assert sent.row.status == "open" and sent.row.screen == "ClassesScreen"
    assert sent.row.author_name == "Петрова Анна" and sent.row.preview == "Не открывается журнал 5А:"
    assert [row.id for row in service.queue(admin, "open")] == [sent.row.id]

    answered = service.answer(admin, sent.row.id, "Обновите экран клавишей Ctrl+R.")
    assert answered.row.status == "answered" and answered.row.unread_by_author
    assert service.unread_answers(teacher) == 1
    assert service.queue(admin, "open") == []
    assert [row.id for row in service.queue(admin, "answered")] == [sent.row.id]

    opened = service.open_mine(teacher, sent.row.id)
    assert opened.text == REPORT
    assert [(m.author_login, m.from_support, m.text) for m in opened.messages] == [
        ("admin", True, "Обновите экран клавишей Ctrl+R.")]
    assert not opened.row.unread_by_author and service.unread_answers(teacher) == 0

    replied = service.reply(teacher, sent.row.id, "Не помогло.")
    assert replied.row.status == "open" and replied.row.messages == 2
    closed = service.close(admin, sent.row.id)
    assert closed.row.status == "closed" and closed.closed_at is not None
    for refused in (lambda: service.close(admin, sent.row.id), lambda: service.answer(admin, sent.row.id, "Ещё"),
                    lambda: service.reply(teacher, sent.row.id, "Ещё")):
        with pytest.raises(Conflict):
            refused()
    assert [row.id for row in service.queue(admin, "closed")] == [sent.row.id]


def test_users_see_only_their_own_tickets(service, admin, users):
    teacher, parent = users["teacher1"], users["parent1"]
    mine = service.report(teacher, REPORT, screen="DashboardScreen")
    theirs = service.report(parent, "Не вижу оценок ребёнка", screen=None)
    assert [row.id for row in service.mine(teacher)] == [mine.row.id]
    assert [row.id for row in service.mine(parent)] == [theirs.row.id]
    with pytest.raises(NotFound):
        service.open_mine(teacher, theirs.row.id)
    with pytest.raises(NotFound):
        service.reply(teacher, theirs.row.id, "Чужое")
    for refused in (lambda: service.queue(teacher), lambda: service.get(teacher, mine.row.id),
                    lambda: service.answer(teacher, mine.row.id, "Сам себе"), lambda: service.close(parent, 1)):
        with pytest.raises(PermissionDenied):
            refused()


def test_the_queue_puts_the_longest_waiting_first_and_filters(service, admin, users):
    first = service.report(users["teacher1"], "Первое", screen="A")
    second = service.report(users["parent1"], "Второе", screen="B")
    third = service.report(users["teacher1"], "Третье", screen="C")
    service.answer(admin, second.row.id, "Ответ")
    assert [row.id for row in service.queue(admin, "open")] == [first.row.id, third.row.id]
    assert [row.id for row in service.queue(admin)] == [third.row.id, second.row.id, first.row.id]
    with pytest.raises(ValidationFailed):
        service.queue(admin, "lost")
    assert service.get(admin, second.row.id).messages[0].text == "Ответ"


def test_reports_are_validated(service, admin, users):
    teacher = users["teacher1"]
    with pytest.raises(ValidationFailed):
        service.report(teacher, "   \n ", screen="A")
    with pytest.raises(ValidationFailed):
        service.report(teacher, "x" * 5001, screen="A")
    with pytest.raises(ValidationFailed):
        service.report(Actor.system("test", admin.school_id), REPORT, screen="A")  # no account to answer to
    sent = service.report(teacher, REPORT, screen="A")
    with pytest.raises(ValidationFailed):
        service.answer(admin, sent.row.id, "")
    with pytest.raises(NotFound):
        service.get(admin, 999_999)


def test_the_audit_names_the_ticket_and_never_the_text(store, service, admin, users):
    teacher = users["teacher1"]
    sent = service.report(teacher, REPORT, screen="ClassesScreen")
    service.answer(admin, sent.row.id, "Секретный совет")
    service.reply(teacher, sent.row.id, "Тайная подробность")
    service.close(admin, sent.row.id)
    actions = ("support.report", "support.answer", "support.reply", "support.close")
    found = {action: records(store, action) for action in actions}
    assert all(len(rows) == 1 and rows[0].object_id == sent.row.id for rows in found.values())
    assert found["support.report"][0].detail == "ClassesScreen"
    assert found["support.report"][0].user_id == teacher.user_id
    for rows in found.values():
        detail = rows[0].detail or ""
        assert not any(secret in detail for secret in ("журнал", "Секретный", "Тайная"))
