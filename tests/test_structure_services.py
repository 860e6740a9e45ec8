"""School structure services: years and terms, classes, subjects, curriculum, teaching assignments, settings.

Behaviour is checked through the services; staff, students and enrolments (whose services are written
elsewhere) are inserted directly. Every test runs on SQLite and, with ZHURNAL_TEST_PG, on PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from zhurnal.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhurnal.core.models import AuditRecord, Enrolment, Order, Person, StaffPosition, TeachingAssignment
from zhurnal.core.permissions import Actor
from zhurnal.core.services.assignments import AssignmentService
from zhurnal.core.services.calendar import default_terms, year_bounds
from zhurnal.core.services.classes import ClassService
from zhurnal.core.services.curriculum import CurriculumService
from zhurnal.core.services.schools import SchoolService
from zhurnal.core.services.settings import SettingsService
from zhurnal.core.services.subjects import SubjectService
from zhurnal.core.services.years import TermInput, YearService, YearView
from zhurnal.core.validation import fold

OTHER_PASSWORD = "another long school password 7"
_numbers = itertools.count(1)


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------

def add_person(store, school_id: int, last: str, first: str, birth: date | None = None) -> int:
    with store.session() as s:
        person = Person(school_id=school_id, last_name=last, first_name=first, name_key=fold(f"{last} {first}"),
                        birth_date=birth)
        s.add(person)
        s.commit()
        return person.id


def _order(s, school_id: int, kind: str, day: date) -> Order:
    order = Order(school_id=school_id, number=f"{kind[:1]}-{next(_numbers)}", order_date=day,
                  order_year=day.year, kind=kind, title="Приказ")
    s.add(order)
    s.flush()
    return order


def add_staff(store, school_id: int, last: str, first: str = "Анна", *, start: date = date(2010, 9, 1),
              end: date | None = None) -> int:
    """A person hired by order, with a staff position from `start` to `end`."""
    person_id = add_person(store, school_id, last, first)
    with store.session() as s:
        order = _order(s, school_id, "hire", start)
        s.add(StaffPosition(school_id=school_id, person_id=person_id, position="Учитель", start_date=start,
                            end_date=end, start_order_id=order.id))
        s.commit()
    return person_id


def enrol(store, school_id: int, class_id: int, last: str, first: str, *, start: date,
          end: date | None = None, birth: date = date(2015, 5, 1)) -> int:
    person_id = add_person(store, school_id, last, first, birth)
    with store.session() as s:
        order = _order(s, school_id, "enrolment", start)
        s.add(Enrolment(school_id=school_id, person_id=person_id, class_id=class_id, start_date=start,
                        end_date=end, start_reason="enrolment", start_order_id=order.id))
        s.commit()
    return person_id


def audit_records(store, after: int = 0) -> list[AuditRecord]:
    with store.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.seq > after).order_by(AuditRecord.seq)))


def audit_head(store) -> int:
    records = audit_records(store)
    return records[-1].seq if records else 0


def seeded_year(store, admin) -> YearView:
    return YearService(store).list(admin)[0]


def quarters(start_year: int) -> list[TermInput]:
    return [TermInput("quarter", n, name, start, end)
            for n, (name, start, end) in enumerate(default_terms(start_year, "quarter"), 1)]


def terms_of(kind: str, start_year: int) -> list[TermInput]:
    return [TermInput(kind, n, name, start, end)
            for n, (name, start, end) in enumerate(default_terms(start_year, kind), 1)]


def create_next_year(store, admin) -> YearView:
    current = seeded_year(store, admin)
    y = current.start.year + 1
    start, end = year_bounds(y)
    return YearService(store).create(admin, f"{y}/{y + 1}", start, end, quarters(y), previous_year_id=current.id)


@pytest.fixture
def other(store):
    """A second school in the same database, with its own administrator."""
    return SchoolService(store).initialise(name="МБОУ «СОШ № 2»", code="school-2", admin_login="admin2",
                                           admin_password=OTHER_PASSWORD)


@pytest.fixture
def teacher(school) -> Actor:
    return Actor(user_id=None, login="teacher", school_id=school.school_id, roles=frozenset({"teacher"}))


def messages(failure: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return " | ".join(p.message for p in failure.value.problems)


# ---------------------------------------------------------------------------------------------------------
# Years and terms
# ---------------------------------------------------------------------------------------------------------

def test_seeded_year_is_current_and_has_four_quarters(store, admin):
    service = YearService(store)
    year = seeded_year(store, admin)
    assert service.current(admin, year.start + timedelta(days=40)) == year
    assert [t.number for t in service.terms(admin, year.id, kind="quarter")] == [1, 2, 3, 4]
    assert service.terms(admin, year.id, kind="half") == []
    with pytest.raises(NotFound, match=r"01\.01\.2099"):
        service.current(admin, date(2099, 1, 1))


def test_create_year_with_terms_is_audited_by_field_names(store, admin):
    head = audit_head(store)
    year = create_next_year(store, admin)
    assert year.status == "planned" and year.previous_year_id == seeded_year(store, admin).id
    terms = YearService(store).terms(admin, year.id)
    assert [(t.kind, t.number) for t in terms] == [("quarter", n) for n in range(1, 5)]
    records = audit_records(store, head)
    assert [r.action for r in records] == ["year.create"] + ["term.create"] * 4
    assert json.loads(records[0].fields) == sorted(["name", "start_date", "end_date", "status",
                                                    "previous_year_id"])
    assert year.name not in (records[0].fields or "")


def test_create_year_refuses_bad_input_naming_the_field(store, admin):
    service = YearService(store)
    y = seeded_year(store, admin).start.year + 1
    start, end = year_bounds(y)
    with pytest.raises(ValidationFailed) as failure:
        service.create(admin, f"{y}-{y + 1}", start, end, quarters(y))
    assert failure.value.problems[0].field == "name" and "Название года" in messages(failure)
    with pytest.raises(ValidationFailed, match="Конец года"):
        service.create(admin, f"{y}/{y + 1}", start, start, quarters(y))
    with pytest.raises(ValidationFailed, match="пронумерованы 1–4"):
        service.create(admin, f"{y}/{y + 1}", start, end, quarters(y)[:3])
    outside = [*quarters(y)[:3], TermInput("quarter", 4, "4 четверть", date(y + 1, 4, 1), date(y + 1, 9, 5))]
    with pytest.raises(ValidationFailed, match=r"«4 четверть».*выходит за границы"):
        service.create(admin, f"{y}/{y + 1}", start, end, outside)
    overlapping = quarters(y)
    overlapping[1] = TermInput("quarter", 2, "2 четверть", date(y, 10, 20), date(y, 12, 28))
    with pytest.raises(ValidationFailed) as failure:
        service.create(admin, f"{y}/{y + 1}", start, end, overlapping)
    assert "«2 четверть»" in messages(failure) and "пересекается с «1 четверть»" in messages(failure)
    with pytest.raises(ValidationFailed, match="не заданы четверти"):
        service.create(admin, f"{y}/{y + 1}", start, end, terms_of("half", y))
    with pytest.raises(ValidationFailed, match="неизвестный вид «week»"):
        service.create(admin, f"{y}/{y + 1}", start, end, [*quarters(y), TermInput("week", 1, "x", start, end)])
    assert len(service.list(admin)) == 1


def test_duplicate_or_overlapping_year_is_refused(store, admin):
    service = YearService(store)
    current = seeded_year(store, admin)
    y = current.start.year
    with pytest.raises(ValidationFailed, match=f"пересекаются с учебным годом {current.name}"):
        service.create(admin, f"{y}/{y + 1}", current.start, current.end, quarters(y))
    year = create_next_year(store, admin)
    with pytest.raises((Conflict, ValidationFailed), match=year.name):
        service.create(admin, year.name, year.start, year.end, quarters(year.start.year))


def test_update_term_checks_version_neighbours_and_audits(store, admin):
    service = YearService(store)
    year = seeded_year(store, admin)
    first, second = service.terms(admin, year.id, kind="quarter")[:2]
    head = audit_head(store)
    saved = service.update_term(admin, first.id, first.version, first.start, first.end - timedelta(days=1),
                                first.name)
    assert saved.end == first.end - timedelta(days=1) and saved.version == first.version + 1
    assert [(r.action, json.loads(r.fields)) for r in audit_records(store, head)] == [("term.update",
                                                                                       ["end_date"])]
    with pytest.raises(Conflict):
        service.update_term(admin, first.id, first.version, first.start, first.end, first.name)
    with pytest.raises(ValidationFailed) as failure:
        service.update_term(admin, first.id, saved.version, first.start, second.start + timedelta(days=3),
                            first.name)
    assert "«2 четверть»" in messages(failure) and "«1 четверть»" in messages(failure)
    with pytest.raises(ValidationFailed, match="название: обязательное поле"):
        service.update_term(admin, first.id, saved.version, first.start, first.end, "  ")


def test_years_of_another_school_are_not_found(store, admin, other):
    service = YearService(store)
    year = seeded_year(store, admin)
    assert [y.id for y in service.list(other.admin)] == [other.year_id]
    term = service.terms(admin, year.id)[0]
    with pytest.raises(NotFound):
        service.terms(other.admin, year.id)
    with pytest.raises(NotFound):
        service.update_term(other.admin, term.id, term.version, term.start, term.end, "x")


# ---------------------------------------------------------------------------------------------------------
# Classes
# ---------------------------------------------------------------------------------------------------------

def test_create_class_normalises_letter_and_refuses_duplicates(store, admin):
    service = ClassService(store)
    year = seeded_year(store, admin)
    created = service.create(admin, year.id, 5, " а ")
    assert (created.name, created.parallel, created.letter) == ("5А", 5, "А")
    records = audit_records(store)
    assert records[-1].action == "class.create" and "letter" in json.loads(records[-1].fields)
    with pytest.raises(Conflict, match="Класс 5А уже есть"):
        service.create(admin, year.id, 5, "А")


@pytest.mark.parametrize(("parallel", "letter", "field", "text"), [
    (5, "A", "letter", "латинская буква; наберите русскую «А»"),
    (5, "d", "letter", "нужна русская заглавная буква"),
    (5, "АБ", "letter", "нужна одна буква"),
    (5, "", "letter", "обязательное поле"),
    (12, "А", "parallel", "от 1 до 11"),
    (0, "А", "parallel", "от 1 до 11"),
])
def test_create_class_bad_input_names_the_field(store, admin, parallel, letter, field, text):
    with pytest.raises(ValidationFailed) as failure:
        ClassService(store).create(admin, seeded_year(store, admin).id, parallel, letter)
    assert failure.value.problems[0].field == field and text in messages(failure)


def test_list_counts_students_on_a_date_and_roster_is_ordered(store, admin, school):
    service = ClassService(store)
    year = seeded_year(store, admin)
    five_b = service.create(admin, year.id, 5, "Б")
    five_a = service.create(admin, year.id, 5, "А")
    service.create(admin, year.id, 10, "А")
    start = year.start
    left = start + timedelta(days=30)
    enrol(store, school.school_id, five_a.id, "Яковлев", "Иван", start=start)
    enrol(store, school.school_id, five_a.id, "Ёлкина", "Мария", start=start)
    enrol(store, school.school_id, five_a.id, "Елисеев", "Пётр", start=start, end=left)
    enrol(store, school.school_id, five_a.id, "Абрамов", "Лев", start=left + timedelta(days=1))
    rows = service.list(admin, year.id, on=start + timedelta(days=5))
    assert [(r.name, r.student_count) for r in rows] == [("5А", 3), ("5Б", 0), ("10А", 0)]
    later_rows = service.list(admin, year.id, on=left + timedelta(days=2))
    assert later_rows[0].student_count == 3  # Елисеев left, Абрамов came
    roster = service.roster(admin, five_a.id, start + timedelta(days=5))
    assert [r.full_name for r in roster] == ["Елисеев Пётр", "Ёлкина Мария", "Яковлев Иван"]
    assert roster[1].birth_date == date(2015, 5, 1)
    later = service.roster(admin, five_a.id, left + timedelta(days=2))
    assert [r.full_name.split()[0] for r in later] == ["Абрамов", "Ёлкина", "Яковлев"]
    assert service.roster(admin, five_b.id, start) == []


def test_class_teacher_must_be_current_staff_of_the_school(store, admin, school, other):
    service = ClassService(store)
    year = seeded_year(store, admin)
    created = service.create(admin, year.id, 7, "В")
    teacher_id = add_staff(store, school.school_id, "Смирнова", "Ольга")
    stranger = add_person(store, school.school_id, "Прохожий", "Пётр")
    dismissed = add_staff(store, school.school_id, "Уволенная", end=date.today() - timedelta(days=1))
    foreign = add_staff(store, other.school_id, "Чужая")
    for person_id, text in ((stranger, "не работает в школе"), (dismissed, "не работает в школе"),
                            (foreign, "не найден в школе")):
        with pytest.raises(ValidationFailed) as failure:
            service.set_class_teacher(admin, created.id, created.version, person_id)
        assert failure.value.problems[0].field == "class_teacher_id"
        assert "Классный руководитель" in messages(failure) and text in messages(failure)
    saved = service.set_class_teacher(admin, created.id, created.version, teacher_id)
    assert saved.class_teacher_name == "Смирнова Ольга" and saved.version == created.version + 1
    assert audit_records(store)[-1].action == "class.update"
    with pytest.raises(Conflict):
        service.set_class_teacher(admin, created.id, created.version, None)
    assert service.list(admin, year.id)[0].class_teacher_name == "Смирнова Ольга"
    cleared = service.set_class_teacher(admin, created.id, saved.version, None)
    assert cleared.class_teacher_id is None


def test_create_class_with_teacher_and_previous_class(store, admin, school):
    service = ClassService(store)
    year = seeded_year(store, admin)
    teacher_id = add_staff(store, school.school_id, "Петрова")
    four_a = service.create(admin, year.id, 4, "А", class_teacher_id=teacher_id)
    assert four_a.class_teacher_id == teacher_id
    next_year = create_next_year(store, admin)
    five_a = service.create(admin, next_year.id, 5, "А", previous_class_id=four_a.id)
    assert five_a.previous_class_id == four_a.id
    with pytest.raises(ValidationFailed) as failure:
        service.create(admin, year.id, 4, "Б", previous_class_id=four_a.id)
    assert failure.value.problems[0].field == "previous_class_id"


def test_find_by_name_accepts_spellings(store, admin):
    service = ClassService(store)
    year = seeded_year(store, admin)
    created = service.create(admin, year.id, 5, "А")
    for spelling in ("5А", "5а", "5 А", " 5-а ", "5A"):
        assert service.find_by_name(admin, year.id, spelling).id == created.id
    with pytest.raises(NotFound, match="5Б"):
        service.find_by_name(admin, year.id, "5б")
    with pytest.raises(ValidationFailed, match="например 5А"):
        service.find_by_name(admin, year.id, "пятый")


def test_classes_are_isolated_and_teacher_cannot_write(store, admin, other, teacher):
    service = ClassService(store)
    year = seeded_year(store, admin)
    created = service.create(admin, year.id, 5, "А")
    with pytest.raises(NotFound):
        service.get(other.admin, created.id)
    with pytest.raises(NotFound):
        service.create(other.admin, year.id, 6, "А")
    assert service.list(other.admin, other.year_id) == []
    with pytest.raises(PermissionDenied):
        service.create(teacher, year.id, 6, "А")
    last = audit_records(store)[-1]
    assert (last.action, last.outcome) == ("class.create", "denied")
    assert [r.name for r in service.list(teacher, year.id)] == ["5А"]


# ---------------------------------------------------------------------------------------------------------
# Subjects
# ---------------------------------------------------------------------------------------------------------

def test_subject_names_are_unique_with_case_and_yo_folded(store, admin):
    service = SubjectService(store)
    created = service.create(admin, "  Счёт и  письмо ", "Счёт")
    assert created.name == "Счёт и письмо"
    with pytest.raises(Conflict, match="«Счёт и письмо» уже есть"):
        service.create(admin, "СЧЕТ И ПИСЬМО")
    with pytest.raises(ValidationFailed) as failure:
        service.create(admin, "   ")
    assert failure.value.problems[0].field == "name" and "Название предмета" in messages(failure)
    assert audit_records(store)[-1].action == "subject.create"  # refusals write nothing


def test_rename_archive_and_list(store, admin, teacher):
    service = SubjectService(store)
    algebra = service.create(admin, "Алгебра")
    geometry = service.create(admin, "Геометрия")
    renamed = service.rename(admin, algebra.id, algebra.version, "Алгебра и начала анализа", "Алгебра")
    assert renamed.version == algebra.version + 1
    assert json.loads(audit_records(store)[-1].fields) == ["name", "short_name"]
    with pytest.raises(Conflict):
        service.rename(admin, algebra.id, algebra.version, "Алгебра 2")
    with pytest.raises(Conflict, match="Геометрия"):
        service.rename(admin, algebra.id, renamed.version, "геометрия")
    archived = service.archive(admin, geometry.id, geometry.version)
    assert archived.archived and [s.name for s in service.list(admin)] == ["Алгебра и начала анализа"]
    assert [s.name for s in service.list(admin, include_archived=True)] == ["Алгебра и начала анализа",
                                                                             "Геометрия"]
    with pytest.raises(Conflict, match="в архиве"):
        service.create(admin, "ГЕОМЕТРИЯ")
    with pytest.raises(PermissionDenied):
        service.unarchive(teacher, geometry.id, archived.version)
    assert not service.unarchive(admin, geometry.id, archived.version).archived
    assert [(r.action, r.outcome) for r in audit_records(store)[-3:]] == [
        ("subject.archive", "ok"), ("subject.unarchive", "denied"), ("subject.unarchive", "ok")]


def test_subjects_of_another_school(store, admin, other):
    service = SubjectService(store)
    mine = service.create(admin, "Физика")
    assert service.create(other.admin, "Физика").name == "Физика"  # names are unique per school only
    with pytest.raises(NotFound):
        service.rename(other.admin, mine.id, mine.version, "Астрономия")
    assert [s.id for s in service.list(admin)] == [mine.id]


# ---------------------------------------------------------------------------------------------------------
# Curriculum
# ---------------------------------------------------------------------------------------------------------

def test_set_hours_upserts_removes_and_totals(store, admin):
    subjects, plan = SubjectService(store), CurriculumService(store)
    year = seeded_year(store, admin)
    russian = subjects.create(admin, "Русский язык")
    maths = subjects.create(admin, "Математика")
    row = plan.set_hours(admin, year.id, 5, russian.id, 5)
    assert row is not None and row.hours == Decimal("5.0") and row.subject_name == "Русский язык"
    assert plan.set_hours(admin, year.id, 5, russian.id, "4,5").hours == Decimal("4.5")
    plan.set_hours(admin, year.id, 5, maths.id, Decimal(5))
    plan.set_hours(admin, year.id, 6, maths.id, 0.5)
    assert [(r.grade, r.subject_name, r.hours) for r in plan.list(admin, year.id)] == [
        (5, "Математика", Decimal("5.0")), (5, "Русский язык", Decimal("4.5")), (6, "Математика", Decimal("0.5"))]
    assert [r.grade for r in plan.list(admin, year.id, grade=6)] == [6]
    assert plan.totals(admin, year.id) == {5: Decimal("9.5"), 6: Decimal("0.5")}
    assert plan.set_hours(admin, year.id, 6, maths.id, 0) is None
    assert plan.totals(admin, year.id) == {5: Decimal("9.5")}
    actions = [r.action for r in audit_records(store) if r.action.startswith("curriculum.")]
    assert actions == ["curriculum.create", "curriculum.update", "curriculum.create", "curriculum.create",
                       "curriculum.delete"]


@pytest.mark.parametrize(("hours", "text"), [
    (13, "от 0,5 до 12"), (-1, "от 0,5 до 12"), ("0.3", "шаг 0,5"), ("много", "не число"), (True, "не число"),
])
def test_bad_hours_name_the_field(store, admin, hours, text):
    subject = SubjectService(store).create(admin, "Музыка")
    with pytest.raises(ValidationFailed) as failure:
        CurriculumService(store).set_hours(admin, seeded_year(store, admin).id, 5, subject.id, hours)
    assert failure.value.problems[0].field == "hours" and text in messages(failure)
    assert "Часов в неделю" in messages(failure)


def test_curriculum_refuses_archived_subject_bad_grade_and_other_school(store, admin, other):
    subjects, plan = SubjectService(store), CurriculumService(store)
    year = seeded_year(store, admin)
    old = subjects.create(admin, "Черчение")
    subjects.archive(admin, old.id, old.version)
    with pytest.raises(ValidationFailed, match="в архиве"):
        plan.set_hours(admin, year.id, 8, old.id, 1)
    art = subjects.create(admin, "ИЗО")
    with pytest.raises(ValidationFailed) as failure:
        plan.set_hours(admin, year.id, 12, art.id, 1)
    assert failure.value.problems[0].field == "grade"
    with pytest.raises(NotFound):
        plan.set_hours(other.admin, year.id, 5, art.id, 1)
    with pytest.raises(NotFound):
        plan.set_hours(other.admin, other.year_id, 5, art.id, 1)


# ---------------------------------------------------------------------------------------------------------
# Teaching assignments
# ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def setup(store, admin, school):
    """A class 5А, the subject Математика and two teachers of the seeded school."""
    year = seeded_year(store, admin)
    school_class = ClassService(store).create(admin, year.id, 5, "А")
    subject = SubjectService(store).create(admin, "Математика")
    first = add_staff(store, school.school_id, "Иванова", "Мария")
    second = add_staff(store, school.school_id, "Кузнецов", "Олег")
    return year, school_class, subject, first, second


def test_assign_refuses_twins_and_non_staff(store, admin, school, setup):
    service = AssignmentService(store)
    year, school_class, subject, first, _ = setup
    made = service.assign(admin, school_class.id, subject.id, first)
    assert (made.year_id, made.class_name, made.subject_name, made.teacher_name) == (
        year.id, "5А", "Математика", "Иванова Мария")
    with pytest.raises(Conflict, match="Иванова Мария — «Математика» в 5А"):
        service.assign(admin, school_class.id, subject.id, first)
    service.assign(admin, school_class.id, subject.id, first, subgroup="1 группа")
    with pytest.raises(Conflict, match="группа «1 ГРУППА»"):
        service.assign(admin, school_class.id, subject.id, first, subgroup="1 ГРУППА")
    nobody = add_person(store, school.school_id, "Родитель", "Иван")
    with pytest.raises(ValidationFailed) as failure:
        service.assign(admin, school_class.id, subject.id, nobody)
    assert failure.value.problems[0].field == "teacher_id" and "Учитель" in messages(failure)
    assert [a.subgroup for a in service.list(admin, class_id=school_class.id)] == [None, "1 группа"]
    assert audit_records(store)[-1].action == "assignment.create"


def test_remove_is_a_soft_delete_with_a_report(store, admin, setup):
    service = AssignmentService(store)
    _, school_class, subject, first, _ = setup
    made = service.assign(admin, school_class.id, subject.id, first)
    assert service.impact(admin, made.id).marks_touched == 0
    with pytest.raises(Conflict):
        service.remove(admin, made.id, made.version + 1)
    report = service.remove(admin, made.id, made.version)
    assert (report.assignment_id, report.lessons_touched, report.marks_touched) == (made.id, 0, 0)
    assert service.list(admin) == []
    with store.session() as s:
        row = s.get(TeachingAssignment, made.id)
        assert row is not None and row.deleted_at is not None
    with pytest.raises(NotFound):
        service.remove(admin, made.id, made.version + 1)
    last = audit_records(store)[-1]
    assert (last.action, json.loads(last.fields)) == ("assignment.remove", ["deleted_at"])
    again = service.assign(admin, school_class.id, subject.id, first)  # a removed twin does not block
    assert again.id != made.id


def test_change_teacher_retires_the_old_assignment(store, admin, setup):
    service = AssignmentService(store)
    year, school_class, subject, first, second = setup
    made = service.assign(admin, school_class.id, subject.id, first, subgroup="2 группа")
    with pytest.raises(ValidationFailed, match="тот же учитель"):
        service.change_teacher(admin, made.id, made.version, first)
    change = service.change_teacher(admin, made.id, made.version, second)
    assert change.old_assignment_id == made.id and change.assignment.teacher_name == "Кузнецов Олег"
    assert change.assignment.subgroup == "2 группа" and change.marks_touched == 0
    assert [a.id for a in service.list(admin, year_id=year.id)] == [change.assignment.id]
    assert service.list(admin, teacher_id=first) == []
    with pytest.raises(NotFound):
        service.change_teacher(admin, made.id, made.version, second)


def test_assignments_are_isolated_and_teacher_cannot_assign(store, admin, other, teacher, setup):
    service = AssignmentService(store)
    _, school_class, subject, first, _ = setup
    made = service.assign(admin, school_class.id, subject.id, first)
    assert service.list(other.admin) == []
    with pytest.raises(NotFound):
        service.assign(other.admin, school_class.id, subject.id, first)
    with pytest.raises(NotFound):
        service.remove(other.admin, made.id, made.version)
    with pytest.raises(PermissionDenied):
        service.remove(teacher, made.id, made.version)
    assert [a.id for a in service.list(teacher)] == [made.id]


# ---------------------------------------------------------------------------------------------------------
# Settings and the school profile
# ---------------------------------------------------------------------------------------------------------

def test_defaults_and_typed_changes(store, admin, other):
    service = SettingsService(store)
    defaults = service.get_all(admin)
    assert defaults.grading_scale.marks == ("1", "2", "3", "4", "5") and defaults.grading_scale.allow_na
    assert (defaults.grade_lock_days, defaults.inactive_account_days, defaults.activity_retention_days) == (
        7, 30, 365)
    assert defaults.term_kind == "quarter" and defaults.term_kind_for(5) == "quarter"
    assert service.set(admin, "grade_lock_days", 10).grade_lock_days == 10
    assert service.set(admin, "inactive_account_days", "45").inactive_account_days == 45
    last = audit_records(store)[-1]
    assert (last.action, json.loads(last.fields)) == ("settings.update", ["inactive_account_days"])
    assert "45" not in (last.fields or "") and last.detail is None
    scale = service.set(admin, "grading_scale", {"kind": "custom", "marks": ["зач", "незач"], "pass_fail": True})
    assert scale.grading_scale.marks == ("зач", "незач") and scale.grading_scale.pass_fail
    assert service.get_all(other.admin) == defaults  # another school keeps its own settings


@pytest.mark.parametrize(("key", "value", "text"), [
    ("grade_lock_days", 61, "Срок, после которого отметки закрываются (дней): 61 — допускается от 0 до 60"),
    ("grade_lock_days", True, "ожидается целое число"),
    ("activity_retention_days", "год", "Срок хранения журнала активности"),
    ("grading_scale", {"marks": ["5", "5"]}, "отметки повторяются: 5"),
    ("grading_scale", {"colour": "red"}, "неизвестные поля colour"),
    ("grading_scale", {"kind": "stars"}, "вид «stars» неизвестен"),
    ("grading_scale", "пятибалльная", "Шкала оценивания"),
    ("term_kind", "month", "Деление учебного года: «month»"),
    ("font_size", 12, "Настройка «font_size» неизвестна"),
])
def test_bad_settings_are_refused_with_the_setting_named(store, admin, key, value, text):
    with pytest.raises(ValidationFailed) as failure:
        SettingsService(store).set(admin, key, value)
    assert text in messages(failure)


def test_term_kind_needs_terms_of_that_kind(store, admin):
    service, years = SettingsService(store), YearService(store)
    year = seeded_year(store, admin)
    with pytest.raises(ValidationFailed, match=f"в учебном году {year.name} не заданы триместры"):
        service.set(admin, "term_kind", "trimester", grade=5)
    years.add_terms(admin, year.id, terms_of("trimester", year.start.year))
    with pytest.raises(ValidationFailed, match="уже"):
        years.add_terms(admin, year.id, terms_of("trimester", year.start.year))
    assert service.set(admin, "term_kind", "trimester", grade=5).term_kind_for(5) == "trimester"
    last = audit_records(store)[-1]
    assert (last.action, last.object_type, last.detail) == ("settings.update", "grade_level", "grade 5")
    # The next year must now give trimesters too, since grade 5 uses them.
    y = year.start.year + 1
    start, end = year_bounds(y)
    with pytest.raises(ValidationFailed, match="не заданы триместры"):
        years.create(admin, f"{y}/{y + 1}", start, end, quarters(y))
    assert service.set(admin, "term_kind", None, grade=5).term_kind_for(5) == "quarter"
    with pytest.raises(ValidationFailed, match="полугодия"):
        service.set(admin, "term_kind", "half")
    with pytest.raises(ValidationFailed) as failure:
        service.set(admin, "grade_lock_days", 5, grade=5)
    assert failure.value.problems[0].field == "grade"


def test_update_profile(store, admin, teacher):
    service = SettingsService(store)
    current = SchoolService(store).get(admin)
    saved = service.update_profile(admin, current.version, " МБОУ  «СОШ № 1» ", "СОШ № 1", "г. Энск, ул. Мира, 1")
    assert saved.short_name == "СОШ № 1" and saved.name == "МБОУ «СОШ № 1»"
    last = audit_records(store)[-1]
    assert (last.action, json.loads(last.fields)) == ("school.update", ["address", "short_name"])
    with pytest.raises(Conflict):
        service.update_profile(admin, current.version, "Другое", None, None)
    with pytest.raises(ValidationFailed) as failure:
        service.update_profile(admin, saved.version, "", None, "ул.\u200bМира")
    assert [p.field for p in failure.value.problems] == ["name", "address"]
    assert "Название школы" in messages(failure) and "Адрес" in messages(failure)
    with pytest.raises(PermissionDenied):
        service.update_profile(teacher, saved.version, "Школа", None, None)
    with pytest.raises(PermissionDenied):
        service.set(teacher, "grade_lock_days", 3)
