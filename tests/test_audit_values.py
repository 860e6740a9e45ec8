"""The audit trail names what changed, never the values: marks, attendance, term marks, a person's data and a
lesson's texts written through the services leave no trace of their values in any audit column (both engines).
The values are in their own tables (mark_history, term_mark_history, the rows themselves)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, Text, select

from tests.test_journal import TODAY, World, world  # noqa: F401  (the fixture)
from zhurnal.core.models import AuditRecord
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.guardianship import GuardianshipService
from zhurnal.core.services.journal import JournalService
from zhurnal.core.services.orders import OrderService
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.staff import StaffService
from zhurnal.core.services.term_marks import TermMarkService

LESSON_DAY = date(2026, 11, 24)
# Distinctive values: none of them can turn up in an audit column by accident.
PERSON = PersonInput("Щедрина", "Виолетта", "Эдуардовна", date(2014, 3, 2), "F", "112-233-445 95",
                     "+7 912 345-67-89", "viothe@example.org", "ул. Заречная, д. 17")
EDITED = PersonInput("Щедрина-Лопухина", "Виолетта", "Эдуардовна", date(2014, 3, 3), "F", "112-233-445 95",
                     "+7 913 222-11-00", "violetta@example.org", "пр. Победы, д. 4")
SECRETS = ("Щедрин", "Виолетт", "Эдуардовн", "Лопухин", "2014", "03.2014", "112-233", "11223344595",
           "912 345", "913 222", "vioth", "violetta@", "Заречн", "Победы",
           "Теорема Пифагора", "упражнение 481", "Признаки подобия", "параграф 12",
           "н/а", "sick", "absent", "late", "guardian", "expelled", "deceased", "->", "→")


def _audit_texts(store, after: int) -> list[tuple[str, str]]:
    """(action, text) of every string column of the audit records after `after` but the fixed names."""
    columns = [c for c in AuditRecord.__table__.columns
               if isinstance(c.type, String | Text) and c.name not in ("action", "object_type", "hash", "prev_hash")]
    with store.session() as s:
        rows = s.execute(select(AuditRecord.action, *columns).where(AuditRecord.seq > after)).all()
    return [(row[0], str(v)) for row in rows for v in row[1:] if v is not None]


def _records(store, after: int) -> list[AuditRecord]:
    with store.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.seq > after).order_by(AuditRecord.seq)))


def test_no_value_written_through_the_services_reaches_the_audit_trail(store, admin, world: World):  # noqa: F811
    with store.session() as s:
        start = s.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1)) or 0
    people = PersonService(store)
    saved = people.create(admin, PERSON, today=TODAY)
    people.update(admin, saved.person.id, saved.person.version, EDITED, today=TODAY)
    people.get(admin, saved.person.id)
    GuardianshipService(store).link(admin, saved.person.id, world.students[1], "guardian", date(2026, 9, 1))
    journal, terms = JournalService(store), TermMarkService(store)
    lesson = journal.add_lesson(world.teacher, world.assignment_id, LESSON_DAY, 3, "Теорема Пифагора",
                                "упражнение 481", today=TODAY)
    journal.update_lesson(world.teacher, lesson.id, lesson.version, topic="Признаки подобия",
                          homework="параграф 12", today=TODAY)
    student = world.students[0]
    journal.set_mark(world.teacher, lesson.id, student, "4", today=TODAY)
    journal.set_mark(world.teacher, lesson.id, student, "н/а", today=TODAY)
    journal.set_mark(world.teacher, lesson.id, student, "", today=TODAY)
    journal.set_attendance(world.teacher, lesson.id, student, "sick", today=TODAY)
    journal.set_attendance(world.teacher, lesson.id, student, "late", today=TODAY)
    journal.set_attendance(world.teacher, lesson.id, student, "absent", today=TODAY)
    term_id = journal.open(world.teacher, world.assignment_id, today=TODAY).term_id
    for value in ("3", "5", ""):
        terms.confirm(world.teacher, world.assignment_id, term_id, student, value)
    terms.confirm(world.teacher, world.assignment_id, None, student, "4")
    # Reasons of a departure or a dismissal are the person's data too (the order is the detail).
    orders = OrderService(store)
    departure = orders.create(admin, "77-в", TODAY, "departure", "Об отчислении")
    EnrolmentService(store).depart(admin, world.students[2], TODAY, departure.id, "expelled", today=TODAY)
    staff = StaffService(store)
    hired = staff.hire(admin, saved.person.id, "Библиотекарь", date(2026, 9, 1),
                       orders.create(admin, "5-к", date(2026, 9, 1), "hire", "О приёме").id)
    staff.dismiss(admin, hired.id, TODAY, orders.create(admin, "78-к", TODAY, "dismissal", "Об увольнении").id,
                  "deceased", today=TODAY)

    records = _records(store, start)
    actions = {r.action for r in records}
    assert {"person.create", "person.update", "person.read", "guardianship.create", "lesson.create",
            "lesson.update", "mark.create", "mark.update", "mark.remove", "attendance.set", "term_mark.set",
            "term_mark.withdraw", "enrolment.end", "staff.dismiss"} <= actions, actions
    leaks = [(action, text) for action, text in _audit_texts(store, start)
             if any(secret in text for secret in SECRETS)]
    assert leaks == []
    # A mark's digits need care ("quarter 2" holds one): the journal's records carry exactly these details.
    details: dict[str, set[str | None]] = {}
    for r in records:
        if r.action.split(".")[0] in ("mark", "attendance", "term_mark"):
            details.setdefault(r.action, set()).add(r.detail)
    assert details == {"mark.create": {None}, "mark.update": {None}, "mark.remove": {None},
                       "attendance.set": {None, "changed"}, "term_mark.set": {"quarter 2", "year 0"},
                       "term_mark.withdraw": {"quarter 2"}}
    assert {r.fields for r in records if r.action.startswith(("mark.", "term_mark."))} == {'["value"]'}
    assert {r.fields for r in records if r.action == "attendance.set"} == {'["status"]'}
    edited = next(r for r in records if r.action == "person.update")
    assert edited.fields is not None and {"last_name", "phone", "email", "address", "birth_date"} <= set(
        edited.fields.strip("[]").replace('"', "").split(", "))
