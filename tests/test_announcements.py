"""Announcements: posting to everyone, roles and classes; who sees what on a day (students enrolled then, their
parents, the class teacher, teachers with an assignment); read marks; expiry and withdrawal; the audit trail
keeps the audience and never the text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import SEED_TODAY
from tests.helpers import make_class, make_user, records
from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import AcademicYear, SchoolClass, Subject, TeachingAssignment
from zhurnal.core.permissions import Actor
from zhurnal.core.services.announcements import AnnouncementService, Audience
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.guardianship import GuardianshipService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.persons import PersonInput, PersonService

ON = SEED_TODAY
BODY = "Родительское собрание в четверг в 18:00,\nактовый зал."


@pytest.fixture
def service(store):
    return AnnouncementService(store)


@pytest.fixture
def people(store, school, admin):
    """5А: student Анна (parent Елена), class teacher Ольга; 6А: student Борис, Пётр teaches there; a student
    Глеб who joins 5А only after ON. Every one has an account; actors carry the role they would hold."""
    with store.session() as s:
        year = s.scalars(select(AcademicYear).where(AcademicYear.school_id == school.school_id)).one()
    start = year.start_date
    order = OrderService(store).create(admin, "1-у", start, "enrolment", "О зачислении").id
    classes = {name: make_class(store, school.school_id, int(name[0]), name[1]) for name in ("5А", "6А")}
    persons = PersonService(store)
    ids = {}
    for key, last, first, birth in (("anna", "Иванова", "Анна", date(2015, 3, 3)),
                                    ("boris", "Борисов", "Борис", date(2014, 3, 3)),
                                    ("gleb", "Глебов", "Глеб", date(2015, 4, 4)),
                                    ("elena", "Иванова", "Елена", date(1985, 1, 1)),
                                    ("olga", "Ольгина", "Ольга", date(1980, 1, 1)),
                                    ("petr", "Петров", "Пётр", date(1979, 1, 1))):
        ids[key] = persons.create(admin, PersonInput(last, first, None, birth)).person.id
    enrol = EnrolmentService(store)
    enrol.enrol(admin, ids["anna"], classes["5А"], start, order)
    enrol.enrol(admin, ids["boris"], classes["6А"], start, order)
    enrol.enrol(admin, ids["gleb"], classes["5А"], ON + timedelta(days=3), order)
    GuardianshipService(store).link(admin, ids["elena"], ids["anna"], "mother", start)
    with store.session() as s:
        s.get(SchoolClass, classes["5А"]).class_teacher_id = ids["olga"]
        subject = Subject(school_id=school.school_id, name="Физика")
        s.add(subject)
        s.flush()
        s.add(TeachingAssignment(school_id=school.school_id, year_id=year.id, class_id=classes["6А"],
                                 subject_id=subject.id, teacher_id=ids["petr"]))
        s.commit()
    roles = {"anna": "student", "boris": "student", "gleb": "student", "elena": "parent", "olga": "class_teacher",
             "petr": "teacher"}
    actors = {key: Actor(make_user(store, school.school_id, ids[key], key), key, school.school_id,
                         frozenset({roles[key]}), ids[key]) for key in ids}
    return {"classes": classes, "actors": actors}


def seen(service, actor, on=ON) -> list[str]:
    return [a.title for a in service.mine(actor, on=on)]


def test_everyone_roles_and_classes_reach_the_right_people(service, admin, people):
    classes, actors = people["classes"], people["actors"]
    service.post(admin, "Всем", BODY, Audience(everyone=True), today=ON)
    service.post(admin, "Родителям", BODY, Audience(roles=("parent",)), today=ON)
    service.post(admin, "Пятый А", BODY, Audience(class_ids=(classes["5А"],)), today=ON)
    service.post(admin, "Шестой А и учителя", BODY, Audience(roles=("teacher",), class_ids=(classes["6А"],)),
                 today=ON)

    assert seen(service, actors["anna"]) == ["Пятый А", "Всем"]
    assert seen(service, actors["elena"]) == ["Пятый А", "Родителям", "Всем"]  # parent of a 5А student
    assert seen(service, actors["olga"]) == ["Пятый А", "Всем"]  # class teacher of 5А
    assert seen(service, actors["petr"]) == ["Шестой А и учителя", "Всем"]  # role and assignment in 6А
    assert seen(service, actors["boris"]) == ["Шестой А и учителя", "Всем"]
    assert seen(service, actors["gleb"]) == ["Всем"]  # not yet enrolled on ON
    assert seen(service, actors["gleb"], on=ON + timedelta(days=3)) == ["Пятый А", "Всем"]
    assert seen(service, admin) == ["Всем"]  # the administrator is in no class and holds neither role
    district = Actor(admin.user_id, admin.login, None, admin.roles)
    assert seen(service, district) == []  # outside any school nothing is addressed


def test_read_marks_hide_an_announcement_until_read_only_for_that_user(service, admin, people):
    anna, boris = people["actors"]["anna"], people["actors"]["boris"]
    first = service.post(admin, "Первое", BODY, Audience(everyone=True), today=ON)
    service.post(admin, "Второе", BODY, Audience(everyone=True), today=ON)
    assert [a.read for a in service.mine(anna, on=ON)] == [False, False]

    assert service.mark_read(anna, [first.id], on=ON) == 1
    assert service.mark_read(anna, [first.id], on=ON) == 0  # marking twice changes nothing
    assert [a.title for a in service.mine(anna, on=ON, unread_only=True)] == ["Второе"]
    assert [(a.title, a.read) for a in service.mine(anna, on=ON)] == [("Второе", False), ("Первое", True)]
    assert len(service.mine(boris, on=ON, unread_only=True)) == 2
    assert service.get(admin, first.id).reads == 1


def test_a_user_cannot_mark_what_is_not_addressed_to_them(service, admin, people):
    classes, actors = people["classes"], people["actors"]
    other = service.post(admin, "Шестой А", BODY, Audience(class_ids=(classes["6А"],)), today=ON)
    assert service.mark_read(actors["anna"], [other.id, 999_999], on=ON) == 0
    assert service.get(admin, other.id).reads == 0


def test_expiry_and_withdrawal_stop_the_showing(service, admin, people):
    anna = people["actors"]["anna"]
    short = service.post(admin, "До завтра", BODY, Audience(everyone=True), expires_on=ON + timedelta(days=1),
                         today=ON)
    gone = service.post(admin, "Снимут", BODY, Audience(everyone=True), today=ON)
    assert seen(service, anna, on=ON + timedelta(days=1)) == ["Снимут", "До завтра"]
    assert seen(service, anna, on=ON + timedelta(days=2)) == ["Снимут"]

    withdrawn = service.withdraw(admin, gone.id)
    assert withdrawn.withdrawn_at is not None and not withdrawn.active_on(ON)
    assert seen(service, anna) == ["До завтра"]
    with pytest.raises(Conflict):
        service.withdraw(admin, gone.id)
    assert [a.title for a in service.list(admin)] == ["Снимут", "До завтра"]  # withdrawn ones stay listed
    assert [a.title for a in service.list(admin, include_withdrawn=False)] == ["До завтра"]
    assert short.active_on(ON) and not short.active_on(ON + timedelta(days=2))


def test_posting_is_validated(service, admin, people):
    with pytest.raises(ValidationFailed) as caught:
        service.post(admin, " ", "", Audience(), expires_on=ON - timedelta(days=1), today=ON)
    fields = {p.field for p in caught.value.problems}
    assert {"title", "body", "expires_on"} <= fields
    with pytest.raises(ValidationFailed) as caught:
        service.post(admin, "Кому-то", BODY, Audience(), today=ON)
    assert [p.field for p in caught.value.problems] == ["audience"]
    with pytest.raises(ValidationFailed) as caught:
        service.post(admin, "Кому-то", BODY, Audience(roles=("janitor",), class_ids=(999_999,)), today=ON)
    assert {p.field for p in caught.value.problems} == {"roles", "classes"}
    with pytest.raises(ValidationFailed):
        service.post(admin, "Скрытый\u200bсимвол", BODY, Audience(everyone=True), today=ON)
    with pytest.raises(NotFound):
        service.withdraw(admin, 999_999)


def test_the_audience_is_described_and_audited_but_never_the_text(store, service, admin, people):
    classes = people["classes"]
    posted = service.post(admin, "Собрание", BODY, Audience(roles=("parent", "teacher"),
                                                            class_ids=(classes["6А"], classes["5А"])), today=ON)
    assert posted.audience.roles == ("teacher", "parent")  # in the order of the roles list
    assert posted.audience.class_names == ("5А", "6А")
    assert posted.audience.describe() == "роли: teacher, parent; классы: 5А, 6А"
    service.withdraw(admin, posted.id)
    (post,) = records(store, "announcement.post")
    (withdraw,) = records(store, "announcement.withdraw")
    assert post.object_id == withdraw.object_id == posted.id
    assert post.detail == posted.audience.describe()
    for record in (post, withdraw):
        assert "Собрание" not in (record.detail or "") and "актовый" not in (record.detail or "")


def test_only_announcers_post_and_everyone_reads_their_own(service, admin, people):
    anna = people["actors"]["anna"]
    with pytest.raises(PermissionDenied):
        service.post(anna, "Я тоже", BODY, Audience(everyone=True), today=ON)
    with pytest.raises(PermissionDenied):
        service.list(anna)
    deputy = Actor(admin.user_id, "deputy", admin.school_id, frozenset({"deputy"}))
    assert service.post(deputy, "От завуча", BODY, Audience(everyone=True), today=ON).author_login == "deputy"
    assert seen(service, anna) == ["От завуча"]
