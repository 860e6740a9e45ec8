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
from itertools import pairwise
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
    ActivityDaily,
    ActivityEvent,
    Attendance,
    AuditRecord,
    CurriculumItem,
    Enrolment,
    Guardianship,
    Lesson,
    Mark,
    MarkHistory,
    Order,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    StaffPosition,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    Term,
    TermMark,
    TermMarkHistory,
    User,
    WorkType,
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


def journal(store: Store) -> list[list[tuple[Any, ...]]]:
    """The first quarter's rows that the seed decides (not the moment of the build)."""
    queries = (
        select(Lesson.assignment_id, Lesson.day, Lesson.number, Lesson.topic, Lesson.homework, Lesson.created_at),
        select(Mark.lesson_id, Mark.student_id, Mark.value, Mark.work_type_id, Mark.entered_at),
        select(Attendance.lesson_id, Attendance.student_id, Attendance.status),
        select(TermMark.student_id, TermMark.subject_id, TermMark.value, TermMark.suggested, TermMark.confirmed_at),
        select(ActivityEvent.user_id, ActivityEvent.at, ActivityEvent.kind, ActivityEvent.lesson_id),
        select(User.login, User.person_id, User.last_login_at, User.password_hash.is_(None))
        .where(User.person_id.is_not(None)),
    )
    return [sorted(tuple(r) for r in rows(store, query)) for query in queries]


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
    others = [u for u in users if u is not admin]
    assert len(others) == demo.summary.accounts and len({u.login for u in users}) == len(users)
    assert all(u.person_id is not None and u.school_id == school_id and u.is_active for u in others)
    roles: dict[int, set[str]] = defaultdict(set)
    for g in [r.RoleGrant for r in rows(store, select(RoleGrant))]:
        assert g.school_id == school_id
        roles[g.user_id].add(g.role)
    assert roles[admin.id] == {"admin"}
    by_person = {u.person_id: u for u in others}
    teachers = {r[0] for r in rows(store, select(StaffPosition.person_id).where(StaffPosition.position == "Учитель"))}
    class_teachers = {r[0] for r in rows(store, select(SchoolClass.class_teacher_id))}
    students = {r[0] for r in rows(store, select(Enrolment.person_id))}
    parents = {r[0] for r in rows(store, select(Guardianship.parent_id))}
    for person in teachers:
        expected = {"teacher", "class_teacher"} if person in class_teachers else {"teacher"}
        assert roles[by_person[person].id] == expected
    assert all(roles[by_person[p].id] == {"student"} for p in students)
    assert all(roles[by_person[p].id] == {"parent"} for p in parents)
    assert sum(1 for u in others if roles[u.id] == {"deputy"}) == 4  # the director and the three deputies
    # Accounts that signed in have a (secret) password and their last login; the others were never activated.
    last_login = dict(rows(store, select(ActivityEvent.user_id, func.max(ActivityEvent.at))
                           .where(ActivityEvent.kind == "login").group_by(ActivityEvent.user_id)))
    for u in others:
        assert u.last_login_at == last_login.get(u.id)
        assert (u.password_hash is not None) == (u.id in last_login) != u.must_change_password
    assert all(by_person[p].id in last_login for p in teachers)
    never_students = [p for p in students if by_person[p].id not in last_login]
    never_parents = [p for p in parents if by_person[p].id not in last_login]
    assert 0.1 * len(students) < len(never_students) < 0.5 * len(students)
    assert 0.15 * len(parents) < len(never_parents) < 0.5 * len(parents)


# ---- the first quarter ---------------------------------------------------------------------------------

Q1 = (date(2026, 9, 1), date(2026, 10, 26))


def local_hour(at: Any) -> int:
    return (at + timedelta(hours=3)).hour  # the demo school's clock is Moscow time


def test_lessons_follow_a_weekly_timetable_from_the_curriculum(demo: Demo) -> None:
    store = demo.store
    assignments = {r.id: r for r in rows(store, select(TeachingAssignment.id, TeachingAssignment.class_id,
                                                       TeachingAssignment.subject_id, TeachingAssignment.subgroup,
                                                       SchoolClass.parallel, Subject.name)
                                          .join(SchoolClass).join(Subject))}
    lessons = rows(store, select(Lesson.assignment_id, Lesson.class_id, Lesson.day, Lesson.number, Lesson.topic,
                                 Lesson.homework, Lesson.subgroup, Lesson.attendance_taken))
    assert len(lessons) == demo.summary.lessons > 5000
    hours = {(s.name, g): h for s in names.SUBJECTS for g, h in s.hours.items()}
    weeks = len({lesson.day.isocalendar()[1] for lesson in lessons})
    per_assignment = Counter(lesson.assignment_id for lesson in lessons)
    assert set(per_assignment) == set(assignments)  # every teaching assignment keeps its journal
    for aid, count in per_assignment.items():
        a = assignments[aid]
        assert hours[(a.name, a.parallel)] * (weeks - 2) <= count <= hours[(a.name, a.parallel)] * weeks
    slots: dict[tuple[int, date, int], set[str | None]] = defaultdict(set)
    for lesson in lessons:
        a = assignments[lesson.assignment_id]
        assert Q1[0] <= lesson.day <= Q1[1] and lesson.day.weekday() < 5
        assert (lesson.class_id, lesson.subgroup) == (a.class_id, a.subgroup) and lesson.attendance_taken
        assert lesson.topic and 1 <= lesson.number <= 8
        assert (lesson.homework is None) if a.parallel == 1 else True
        key = (lesson.class_id, lesson.day, lesson.number)
        assert lesson.subgroup not in slots[key]  # a class has one lesson at a time (a split subject: two groups)
        slots[key].add(lesson.subgroup)
    assert 0.5 < sum(1 for lesson in lessons if lesson.homework) / len(lessons) < 0.9
    assert sum(1 for lesson in lessons if lesson.topic.startswith("Контрольная")) > 100


def test_marks_follow_ability_work_types_and_hours(demo: Demo) -> None:
    store = demo.store
    work_types = dict(rows(store, select(WorkType.id, WorkType.name)))
    assert set(work_types.values()) == {"Работа на уроке", "Домашняя работа", "Самостоятельная работа",
                                        "Проверочная работа", "Контрольная работа"}
    marks = rows(store, select(Mark.student_id, Mark.value, Mark.work_type_id, Mark.entered_at, Lesson.day,
                               Lesson.class_id, Lesson.id.label("lesson_id"), SchoolClass.parallel, Subject.name)
                 .join(Lesson, Lesson.id == Mark.lesson_id).join(SchoolClass, SchoolClass.id == Lesson.class_id)
                 .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
                 .join(Subject, Subject.id == TeachingAssignment.subject_id))
    assert len(marks) == demo.summary.marks > 30_000
    values = Counter(m.value for m in marks)
    assert set(values) <= {"2", "3", "4", "5"}
    assert values["4"] > values["3"] > values["2"] and values["2"] < 0.1 * len(marks) < values["5"]
    assert set(Counter(work_types[m.work_type_id] for m in marks)) == set(work_types.values())
    assert len({(m.lesson_id, m.student_id, m.work_type_id) for m in marks}) == len(marks)  # as set_mark keeps it
    assert not [m for m in marks if m.parallel == 1 or m.name == "Основы религиозных культур и светской этики"]
    # Marks only for students of the class on the lesson day, and not while they were away.
    stints = defaultdict(list)
    for person_id, class_id, start, end in rows(store, select(Enrolment.person_id, Enrolment.class_id,
                                                              Enrolment.start_date, Enrolment.end_date)):
        stints[person_id].append((class_id, start, end))
    away = {(r.lesson_id, r.student_id) for r in rows(store, select(Attendance.lesson_id, Attendance.student_id)
                                                      .where(Attendance.status != "late"))}
    for m in marks:
        assert any(c == m.class_id and s <= m.day and (e is None or e >= m.day) for c, s, e in stints[m.student_id])
        assert (m.lesson_id, m.student_id) not in away
        assert (m.entered_at + timedelta(hours=3)).date() >= m.day
    # More marks in a subject with more hours: Russian (4-5 h) against music (1 h) in grades 2-4.
    per_student = Counter((m.student_id, m.name) for m in marks if 2 <= m.parallel <= 4)
    russian = [n for (_, name), n in per_student.items() if name == "Русский язык"]
    music = [n for (_, name), n in per_student.items() if name == "Музыка"]
    assert sum(russian) / len(russian) > 2 * sum(music) / len(music)
    # A student's marks follow their ability: the best and the weakest students stay apart across subjects.
    by_student: dict[int, list[int]] = defaultdict(list)
    for m in marks:
        by_student[m.student_id].append(int(m.value))
    means = sorted(sum(v) / len(v) for v in by_student.values() if len(v) >= 20)
    assert means[len(means) // 10] < 3.6 < 4.3 < means[-len(means) // 10]
    # Corrected marks carry their history: the slip and its correction.
    history = rows(store, select(MarkHistory.mark_id, MarkHistory.old_value, MarkHistory.new_value))
    corrected = Counter(h.mark_id for h in history)
    assert history and set(corrected.values()) == {2}
    assert sum(1 for h in history if h.old_value is None) == len(corrected)


def test_attendance_mostly_present_with_illness_in_streaks(demo: Demo) -> None:
    store = demo.store
    records = rows(store, select(Attendance.student_id, Attendance.status, Lesson.day, Lesson.number)
                   .join(Lesson, Lesson.id == Attendance.lesson_id))
    assert len(records) == demo.summary.attendance
    statuses = Counter(r.status for r in records)
    assert set(statuses) == {"sick", "absent", "late", "excused"}
    assert statuses["sick"] > statuses["late"] > 0 and statuses["sick"] > statuses["absent"] > 0
    assert all(r.number == 1 for r in records if r.status == "late")
    seats = rows(store, select(func.count()).select_from(Lesson))[0][0] * 40  # lessons × about 40 students
    assert len(records) < 0.1 * seats
    sick_days: dict[int, set[date]] = defaultdict(set)
    for r in records:
        if r.status == "sick":
            sick_days[r.student_id].add(r.day)
    longest = []
    for days in sick_days.values():
        run = best = 1
        ordered = sorted(days)
        for a, b in pairwise(ordered):
            run = run + 1 if (b - a).days == 1 or ((b - a).days == 3 and a.weekday() == 4) else 1
            best = max(best, run)
        longest.append(best)
    assert sum(1 for n in longest if n >= 3) > 0.5 * len(longest)


def test_term_marks_confirm_the_suggestion(demo: Demo) -> None:
    from zhurnal.core.permissions import Actor
    from zhurnal.core.services.term_marks import TermMarkService, nearest_mark

    store, school_id = demo.store, demo.summary.school_ids[0]
    marks = rows(store, select(TermMark))
    assert len(marks) == demo.summary.term_marks > 5000
    term = [r.TermMark for r in marks]
    assert {(t.term_kind, t.term_number) for t in term} == {("quarter", 1)}
    overridden = [t for t in term if t.value != "н/а" and t.value != nearest_mark(t.suggested, "2345")]
    assert 0 < len(overridden) < 0.08 * len(term)
    assert 0 < sum(1 for t in term if t.value == "н/а") < 0.05 * len(term)
    # Most assignments with marks are confirmed; some late teachers left theirs.
    with_marks = {r[0] for r in rows(store, select(Lesson.assignment_id).join(Mark, Mark.lesson_id == Lesson.id)
                                     .distinct())}
    confirmed = {(t.class_id, t.subject_id) for t in term}
    pairs = {r.id: (r.class_id, r.subject_id) for r in rows(store, select(
        TeachingAssignment.id, TeachingAssignment.class_id, TeachingAssignment.subject_id))}
    done = [aid for aid in with_marks if pairs[aid] in confirmed]
    assert 0.7 * len(with_marks) < len(done) < len(with_marks)
    # The stored suggestion is the core service's.
    admin = Actor.system("test", school_id)
    term_id = rows(store, select(Term.id).where(Term.number == 1))[0][0]
    aid = sorted(done)[0]
    column = TermMarkService(store).suggestions(admin, aid, term_id)
    by_student = {t.student_id: t for t in term if (t.class_id, t.subject_id) == pairs[aid]}
    assert column and all(row.confirmed == by_student[row.student_id].value for row in column)
    assert all(row.average == by_student[row.student_id].suggested for row in column)
    # Each confirmation is the first entry of the mark's history, as confirming in the journal leaves it.
    student = column[0].student_id
    history = TermMarkService(store).history(admin, aid, term_id, student)
    assert [(h.old_value, h.new_value) for h in history] == [(None, by_student[student].value)]
    assert rows(store, select(func.count()).select_from(TermMarkHistory))[0][0] == len(term)


def test_subjects_taught_in_subgroups_split_the_class_as_the_journal_does(demo: Demo) -> None:
    from zhurnal.core.permissions import Actor
    from zhurnal.core.services.journal import JournalService

    store = demo.store
    members = {(r.class_id, r.subject_id, r.student_id): r.subgroup for r in rows(store, select(
        SubgroupMember.class_id, SubgroupMember.subject_id, SubgroupMember.student_id, SubgroupMember.subgroup))}
    split = {(r.class_id, r.subject_id) for r in rows(store, select(
        TeachingAssignment.class_id, TeachingAssignment.subject_id).where(TeachingAssignment.subgroup.is_not(None)))}
    assert split and {(c, s) for c, s, _ in members} == split
    sizes = Counter((c, s, g) for (c, s, _), g in members.items())
    assert all(0 <= sizes[(c, s, "1 группа")] - sizes[(c, s, "2 группа")] <= 1 for c, s in split)  # halves
    # Every mark of a subgroup's lesson is of a member of that subgroup: the same split the quarter used.
    marked = rows(store, select(Lesson.class_id, TeachingAssignment.subject_id, Lesson.subgroup, Mark.student_id)
                  .join(Mark, Mark.lesson_id == Lesson.id)
                  .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
                  .where(Lesson.subgroup.is_not(None)).distinct())
    assert marked and all(members[(c, s, student)] == group for c, s, group, student in marked)
    # A subgroup journal opens with its members only.
    aid, class_id, subject_id, group = rows(store, select(
        TeachingAssignment.id, TeachingAssignment.class_id, TeachingAssignment.subject_id, TeachingAssignment.subgroup)
        .where(TeachingAssignment.subgroup.is_not(None)).order_by(TeachingAssignment.id))[0]
    view = JournalService(store).open(Actor.system("test", demo.summary.school_ids[0]), aid, today=TODAY)
    assert view.students and not view.subgroups_unset
    assert all(members[(class_id, subject_id, s.id)] == group for s in view.students)


def test_activity_has_late_teachers_quiet_parents_and_evening_students(demo: Demo) -> None:
    store = demo.store
    events = rows(store, select(ActivityEvent))
    events = [r.ActivityEvent for r in events]
    assert len(events) == demo.summary.activity_events
    assert {e.kind for e in events} == {"login", "diary_view", "mark", "topic", "homework", "attendance"}
    assert all(Q1[0] <= e.day <= TODAY and (e.at + timedelta(hours=3)).date() == e.day for e in events)
    entries = [e for e in events if e.kind == "mark"]
    assert all(e.lesson_id is not None and e.lesson_day <= e.day <= e.lesson_day + timedelta(days=7)
               for e in entries)
    late: dict[int, list[bool]] = defaultdict(list)
    for e in entries:
        late[e.user_id].append(e.day > e.lesson_day)
    share = {user: sum(flags) / len(flags) for user, flags in late.items()}
    assert any(s > 0.6 for s in share.values())  # a teacher who fills the journal days later
    assert sum(1 for s in share.values() if s < 0.2) > len(share) / 2  # most do it on the day
    roles = defaultdict(set)
    for user_id, role in rows(store, select(RoleGrant.user_id, RoleGrant.role)):
        roles[user_id].add(role)
    student_logins = [e for e in events if e.kind == "login" and roles[e.user_id] == {"student"}]
    assert sum(1 for e in student_logins if local_hour(e.at) >= 16) > 0.95 * len(student_logins)
    # A class whose parents never signed in.
    user_of = dict(rows(store, select(User.person_id, User.id)))
    logged_in = {e.user_id for e in events if e.kind == "login"}
    parents_of: dict[int, set[int]] = defaultdict(set)
    for parent_id, class_id in rows(store, select(Guardianship.parent_id, Enrolment.class_id)
                                    .join(Enrolment, Enrolment.person_id == Guardianship.student_id)):
        parents_of[class_id].add(parent_id)
    quiet = [c for c, parents in parents_of.items() if not any(user_of[p] in logged_in for p in parents)]
    assert len(quiet) >= 1 and len(quiet) < len(parents_of)
    views = [e for e in events if e.kind == "diary_view"]
    assert views and all(e.class_id is not None for e in views)
    # The daily roll-up the activity report reads counts every event.
    assert rows(store, select(func.sum(ActivityDaily.events)))[0][0] == len(events)


def test_stats_counts_the_journal(demo: Demo) -> None:
    import io
    import json

    from zhurnal.tui.cli import main

    out = io.StringIO()
    assert main(["--db", demo.store.url, "stats", "--json"], stdout=out) == 0
    stats = json.loads(out.getvalue())
    s = demo.summary
    assert (stats["lessons"], stats["marks"], stats["attendance"]) == (s.lessons, s.marks, s.attendance)
    out = io.StringIO()
    assert main(["--db", demo.store.url, "stats"], stdout=out) == 0
    assert f"Уроков в журналах: {s.lessons}" in out.getvalue() and f"Отметок: {s.marks}" in out.getvalue()
    assert f"Записей посещаемости: {s.attendance}" in out.getvalue()


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
    assert journal(empty_store) == journal(demo.store)
    another_store.upgrade()
    build_demo(another_store, seed=2, today=TODAY)
    assert people(another_store) != people(demo.store)


def test_district_of_two_schools(demo: Demo, empty_store: Store) -> None:
    empty_store.upgrade()
    summary = build_demo(empty_store, seed=1, schools=2, today=TODAY, admin_login="district")
    assert summary.schools == 2 and len(summary.school_ids) == 2
    assert summary.journal_schools == 1 and summary.lessons > 0  # the journal: school 1 only (docs/demo.md)
    lessons = dict(rows(empty_store, select(Lesson.school_id, func.count()).group_by(Lesson.school_id)))
    assert set(lessons) == {summary.school_ids[0]}
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
