"""The demo generator: a realistic Russian school, deterministic, written in one transaction.

The read-only checks share one built database per engine (built lazily, once per module); the tests that
need a fresh database build into `empty_store`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from zhurnal.core.audit import verify_chain
from zhurnal.core.demo import names
from zhurnal.core.demo.generator import (
    DEPARTURE_COUNTERPART,
    END_REASON_ORDER_KIND,
    START_REASON_ORDER_KIND,
    DemoSummary,
    build_demo,
)
from zhurnal.core.models import (
    AuditRecord,
    CurriculumItem,
    Enrolment,
    Guardianship,
    Order,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    StaffPosition,
    TeachingAssignment,
    User,
)
from zhurnal.core.services.enrolments import DEPART_REASONS, ENROL_REASONS, TRANSFER
from zhurnal.core.store import Store
from zhurnal.core.validation import check_birth_date, normalize_snils

pytestmark = pytest.mark.xdist_group("demo")

TODAY = date(2026, 11, 28)
ADMIN_HASH = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHRzYWx0$ZmFrZWhhc2hmYWtlaGFzaGZha2VoYXNoZmFrZWg"


@dataclass
class Demo:
    store: Store
    summary: DemoSummary


class _DemoCache:
    """One seed-1 demo school per engine, built on first use and dropped at the end of the module."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp = tmp_path_factory
        self.built: dict[str, Demo] = {}
        self.drops: list[Any] = []

    def get(self, engine_name: str, request: pytest.FixtureRequest) -> Demo:
        if engine_name not in self.built:
            if engine_name == "sqlite":
                store = Store(f"sqlite:///{self.tmp.mktemp('demo') / 'demo.sqlite3'}")
            else:
                server = request.getfixturevalue("pg_server")
                name = server.create()
                store = Store(server.url_for(name))
                self.drops.append(lambda: server.drop(name))
            store.upgrade()
            summary = build_demo(store, seed=1, today=TODAY, admin_password_hash=ADMIN_HASH)
            self.built[engine_name] = Demo(store, summary)
        return self.built[engine_name]

    def close(self) -> None:
        for demo in self.built.values():
            demo.store.dispose()
        for drop in self.drops:
            drop()


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_DemoCache]:
    cache = _DemoCache(tmp_path_factory)
    yield cache
    cache.close()


@pytest.fixture
def demo(engine_name: str, request: pytest.FixtureRequest, demo_cache: _DemoCache) -> Demo:
    return demo_cache.get(engine_name, request)


@pytest.fixture
def another_store(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A second fresh database on the same engine as `empty_store`."""
    if engine_name == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'another.sqlite3'}")
        yield store
        store.dispose()
        return
    server = request.getfixturevalue("pg_server")
    name = server.create()
    store = Store(server.url_for(name))
    yield store
    store.dispose()
    server.drop(name)


def rows(store: Store, query: Any) -> list[Any]:
    with store.session(write=False) as session:
        return list(session.execute(query).all())


def people(store: Store, school_id: int | None = None) -> list[tuple[Any, ...]]:
    query = select(Person.last_name, Person.first_name, Person.middle_name, Person.birth_date, Person.snils)
    if school_id is not None:
        query = query.where(Person.school_id == school_id)
    return [tuple(r) for r in rows(store, query.order_by(Person.id))]


def current_parallel(store: Store) -> dict[int, int]:
    """Student id -> parallel of the class of the student's latest enrolment."""
    latest: dict[int, tuple[date, int]] = {}
    for person_id, start, parallel in rows(store, select(Enrolment.person_id, Enrolment.start_date,
                                                        SchoolClass.parallel).join(SchoolClass)):
        if person_id not in latest or start > latest[person_id][0]:
            latest[person_id] = (start, parallel)
    return {pid: parallel for pid, (_, parallel) in latest.items()}


# ---- one school ----------------------------------------------------------------------------------------


def test_counts_are_those_of_a_big_school(demo: Demo) -> None:
    s, store = demo.summary, demo.store
    assert (s.schools, s.staff, s.classes, s.subjects) == (1, 80, 22, len(names.SUBJECTS))
    assert 1050 <= s.students <= 1150
    assert 1500 <= s.parents <= 1700
    assert s.year_name == "2026/2027"
    students = {r[0] for r in rows(store, select(Enrolment.person_id))}
    parents = {r[0] for r in rows(store, select(Guardianship.parent_id))}
    staff = {r[0] for r in rows(store, select(StaffPosition.person_id))}
    assert (len(students), len(parents), len(staff)) == (s.students, s.parents, s.staff)
    assert not (students & parents or students & staff or parents & staff)
    assert rows(store, select(func.count(Person.id)))[0][0] == s.students + s.parents + s.staff
    assert rows(store, select(func.count(Order.id)))[0][0] == s.orders
    class_names = [r[0] for r in rows(store, select(SchoolClass.name).order_by(SchoolClass.parallel,
                                                                               SchoolClass.letter))]
    assert class_names == [f"{g}{letter}" for g in range(1, 12) for letter in "АБ"]


def test_every_snils_is_valid_and_unique(demo: Demo) -> None:
    values = [r[0] for r in rows(demo.store, select(Person.snils).where(Person.snils.is_not(None)))]
    assert len(values) == len(set(values)) > demo.summary.students + demo.summary.staff
    for value in values:
        assert normalize_snils(value) == (value, []), value
        assert not re.search(r"(\d)\1\1", value[:9]), value
    no_snils = rows(demo.store, select(func.count(Person.id)).join(Enrolment, Enrolment.person_id == Person.id)
                    .where(Person.snils.is_(None)))
    assert no_snils[0][0] == 0


def test_names_agree_with_the_family(demo: Demo) -> None:
    store = demo.store
    persons = {r.Person.id: r.Person for r in rows(store, select(Person))}
    links = rows(store, select(Guardianship.student_id, Guardianship.parent_id, Guardianship.relation))
    fathers = mothers = 0
    for student_id, parent_id, relation in links:
        child, parent = persons[student_id], persons[parent_id]
        if relation == "father":
            fathers += 1
            assert parent.sex == "M"
            expected = parent.last_name if child.sex == "M" else names.feminine_surname(parent.last_name)
            assert child.last_name == expected
            if child.middle_name is not None:
                assert child.middle_name == names.patronymic(parent.first_name, child.sex)
        else:
            mothers += 1
            assert (relation, parent.sex) == ("mother", "F")
            if child.sex == "F":
                assert child.last_name == parent.last_name
        assert parent.birth_date is not None and child.birth_date is not None
        assert parent.birth_date < child.birth_date - timedelta(days=20 * 365)
    assert fathers > 500 and mothers > 800
    students = {sid for sid, _, _ in links}
    without_middle = sum(1 for sid in students if persons[sid].middle_name is None)
    assert 1 <= without_middle <= 0.05 * len(students)
    sexes = Counter(persons[sid].sex for sid in students)
    assert 0.4 < sexes["F"] / len(students) < 0.6


def test_birth_dates_fit_the_grade(demo: Demo) -> None:
    parallel = current_parallel(demo.store)
    births = dict(rows(demo.store, select(Person.id, Person.birth_date).where(Person.id.in_(parallel))))
    for person_id, grade in parallel.items():
        assert check_birth_date(births[person_id], today=TODAY, grade=grade) == [], (person_id, grade)


def test_every_movement_references_an_order_of_the_right_kind(demo: Demo) -> None:
    store = demo.store
    kinds = {r.id: (r.kind, r.school_id) for r in rows(store, select(Order.id, Order.kind, Order.school_id))}
    enrolments = [r.Enrolment for r in rows(store, select(Enrolment))]
    # The reasons and order kinds the enrolment service itself accepts.
    starts = {TRANSFER: (TRANSFER,), **ENROL_REASONS}
    ends = {TRANSFER: (TRANSFER,), **DEPART_REASONS}
    for e in enrolments:
        assert kinds[e.start_order_id] == (START_REASON_ORDER_KIND[e.start_reason], e.school_id)
        assert kinds[e.start_order_id][0] in starts[e.start_reason]
        if e.end_date is None:
            assert e.end_reason is None and e.end_order_id is None
        else:
            assert kinds[e.end_order_id] == (END_REASON_ORDER_KIND[e.end_reason], e.school_id)
            assert kinds[e.end_order_id][0] in ends[e.end_reason]
    for p in [r.StaffPosition for r in rows(store, select(StaffPosition))]:
        assert kinds[p.start_order_id] == ("hire", p.school_id)
        assert p.start_date <= date(2026, 8, 31)
    reasons = Counter(e.start_reason for e in enrolments)
    assert set(reasons) == set(START_REASON_ORDER_KIND)
    assert reasons["promotion"] > 700
    departures = [e for e in enrolments if e.end_reason == "transfer_out"]
    assert 3 <= len(departures) <= 6
    assert all(e.went_to == DEPARTURE_COUNTERPART and e.end_date <= TODAY for e in departures)
    arrivals = [e for e in enrolments if e.start_reason == "transfer_in"]
    assert arrivals and all(e.came_from and date(2026, 9, 1) < e.start_date <= TODAY for e in arrivals)
    assert all(e.came_from is None for e in enrolments if e.start_reason != "transfer_in")
    # A move to the parallel class ends one enrolment the day before the next one starts.
    by_person: dict[int, list[Enrolment]] = defaultdict(list)
    for e in enrolments:
        by_person[e.person_id].append(e)
    moves = [sorted(es, key=lambda e: e.start_date) for es in by_person.values() if len(es) > 1]
    assert 3 <= len(moves) <= 6
    for old, new in moves:
        assert (old.end_reason, new.start_reason, old.end_order_id) == ("transfer", "transfer", new.start_order_id)
        assert old.end_date == new.start_date - timedelta(days=1) and new.end_date is None
    # Numbers restart each calendar year and are unique in it: "45-у" for students, "12-к" for staff.
    orders = rows(store, select(Order.number, Order.order_year, Order.order_date, Order.kind))
    assert len({(o.number, o.order_year) for o in orders}) == len(orders)
    for o in orders:
        assert re.fullmatch(r"[1-9][0-9]*-[ук]", o.number) and o.order_year == o.order_date.year <= 2026
        assert o.number.endswith("-к") == (o.kind == "hire") and o.order_date <= TODAY


def test_every_student_has_a_guardian_and_siblings_share_parents(demo: Demo) -> None:
    store = demo.store
    students = {r[0] for r in rows(store, select(Enrolment.person_id))}
    parents_of: dict[int, set[int]] = defaultdict(set)
    for student_id, parent_id in rows(store, select(Guardianship.student_id, Guardianship.parent_id)):
        parents_of[student_id].add(parent_id)
    assert set(parents_of) == students
    families = Counter(frozenset(p) for p in parents_of.values())
    two_children = sum(1 for n in families.values() if n == 2)
    assert set(families.values()) <= {1, 2}
    assert 0.12 <= two_children / len(families) <= 0.28


def test_teaching_covers_the_curriculum(demo: Demo) -> None:
    store = demo.store
    teachers = {r[0] for r in rows(store, select(StaffPosition.person_id).where(StaffPosition.position == "Учитель"))}
    assert len(teachers) == dict(names.STAFF_POSITIONS)["Учитель"]
    taught: dict[tuple[int, int], set[int]] = defaultdict(set)
    for class_id, subject_id, teacher_id in rows(store, select(
            TeachingAssignment.class_id, TeachingAssignment.subject_id, TeachingAssignment.teacher_id)):
        assert teacher_id in teachers
        taught[(class_id, subject_id)].add(teacher_id)
    planned = rows(store, select(SchoolClass.id, CurriculumItem.subject_id, SchoolClass.class_teacher_id,
                                 SchoolClass.parallel)
                   .join(CurriculumItem, CurriculumItem.grade_level_id == SchoolClass.grade_level_id))
    assert set(taught) == {(c, s) for c, s, _, _ in planned}
    assert len(planned) == 2 * sum(len(names.subjects_for_grade(g)) for g in names.GRADES)
    class_teachers = [ct for _, _, ct, _ in planned]
    assert set(class_teachers) <= teachers and len(set(class_teachers)) == 22
    # Grades 1-4: most subjects come from the class teacher.
    for grade in range(1, 5):
        mine = [(c, s, ct) for c, s, ct, g in planned if g == grade]
        by_ct = sum(1 for c, s, ct in mine if taught[(c, s)] == {ct})
        assert by_ct / len(mine) > 0.6


def test_accounts(demo: Demo) -> None:
    store, school_id = demo.store, demo.summary.school_ids[0]
    users = [r.User for r in rows(store, select(User).order_by(User.id))]
    admin = next(u for u in users if u.login == "admin")
    assert (admin.school_id, admin.password_hash, admin.person_id) == (school_id, ADMIN_HASH, None)
    staff_accounts = [u for u in users if u is not admin]
    assert 6 <= len(staff_accounts) <= 10
    assert all(u.password_hash is None and u.person_id is not None and u.school_id == school_id
               for u in staff_accounts)
    grants = {(g.user_id, g.role, g.school_id) for g in [r.RoleGrant for r in rows(store, select(RoleGrant))]}
    assert grants == {(admin.id, "admin", school_id)} | {(u.id, "teacher", school_id) for u in staff_accounts}


def test_audit_chain_holds_a_record_per_person(demo: Demo) -> None:
    with demo.store.session(write=False) as session:
        assert verify_chain(session).ok
        created = session.scalar(select(func.count()).select_from(AuditRecord)
                                 .where(AuditRecord.action == "person.create"))
    s = demo.summary
    assert created == s.students + s.parents + s.staff


def test_a_second_build_is_refused_and_changes_nothing(demo: Demo) -> None:
    before = rows(demo.store, select(func.count(Person.id)))[0][0]
    with pytest.raises(ValueError, match="уже есть школы"):
        build_demo(demo.store, today=TODAY)
    assert rows(demo.store, select(func.count(Person.id)))[0][0] == before


# ---- fresh databases -----------------------------------------------------------------------------------


def test_same_seed_same_people_other_seed_other_people(demo: Demo, empty_store: Store,
                                                       another_store: Store) -> None:
    empty_store.upgrade()
    build_demo(empty_store, seed=1, today=TODAY)
    assert people(empty_store) == people(demo.store)
    another_store.upgrade()
    build_demo(another_store, seed=2, today=TODAY)
    assert people(another_store) != people(demo.store)


def test_district_of_two_schools(demo: Demo, empty_store: Store) -> None:
    empty_store.upgrade()
    summary = build_demo(empty_store, seed=1, schools=2, today=TODAY, admin_login="district")
    assert summary.schools == 2 and len(summary.school_ids) == 2
    store = empty_store
    schools = rows(store, select(School.id, School.code, School.name).order_by(School.id))
    assert [(s.code, s.name) for s in schools] == [("school-1", names.SCHOOL_NAMES[0]),
                                                   ("school-2", names.SCHOOL_NAMES[1])]
    school_of = dict(rows(store, select(Person.id, Person.school_id)))
    for model, columns in ((Enrolment, ("person_id",)), (Guardianship, ("parent_id", "student_id")),
                           (StaffPosition, ("person_id",)), (TeachingAssignment, ("teacher_id",))):
        for row in rows(store, select(model.school_id, *(getattr(model, c) for c in columns))):
            assert all(school_of[pid] == row[0] for pid in row[1:]), model
    snils = [r[0] for r in rows(store, select(Person.snils).where(Person.snils.is_not(None)))]
    assert len(snils) == len(set(snils))
    # School 1 of a district is the very school a one-school build makes with the same seed.
    assert people(store, summary.school_ids[0]) == people(demo.store)
    assert people(store, summary.school_ids[1]) != people(demo.store)
    admin = rows(store, select(User.id, User.school_id).where(User.login == "district"))[0]
    assert admin.school_id is None
    assert rows(store, select(RoleGrant.role, RoleGrant.school_id).where(RoleGrant.user_id == admin.id)) == [
        ("admin", None)]
    with store.session(write=False) as session:
        assert verify_chain(session).ok


def test_all_or_nothing(empty_store: Store) -> None:
    empty_store.upgrade()

    def progress(message: str) -> None:
        if message.startswith("Школа 2"):
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        build_demo(empty_store, schools=2, today=TODAY, progress=progress)
    for model in (School, Person, Order, AuditRecord, User):
        assert rows(empty_store, select(func.count()).select_from(model))[0][0] == 0


def test_refuses_a_database_without_schema(empty_store: Store) -> None:
    with pytest.raises(ValueError, match="схем"):
        build_demo(empty_store, today=TODAY)
