"""Subgroups on both engines: the split of a class in a subject, who may set it, and the subgroup journals that
follow it (the grid's students, refusals for the other subgroup, the term-marks column)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from tests.helpers import make_class, make_user, records
from tests.test_structure_services import add_staff, enrol
from zhurnal.core.errors import PermissionDenied, ValidationFailed
from zhurnal.core.models import SubgroupMember
from zhurnal.core.permissions import Actor
from zhurnal.core.services.assignments import AssignmentService
from zhurnal.core.services.diary import DiaryService
from zhurnal.core.services.journal import JournalService
from zhurnal.core.services.subgroups import SubgroupService
from zhurnal.core.services.subjects import SubjectService
from zhurnal.core.services.term_marks import TermMarkService

TODAY = date(2026, 11, 27)
LESSON_DAY = date(2026, 11, 24)
ONE, TWO = "1 группа", "2 группа"


@dataclass
class Split:
    class_id: int
    subject_id: int
    first: int  # assignment of "1 группа"
    second: int  # assignment of "2 группа"
    teacher_one: Actor
    teacher_two: Actor
    outsider: Actor  # teaches another subject in the class
    students: list[int]  # Андреев, Борисова, Васильев, Григорьева


def _actor(store, school_id: int, person_id: int, login: str) -> Actor:
    return Actor(make_user(store, school_id, person_id, login), login, school_id, frozenset({"teacher"}), person_id)


@pytest.fixture
def split(store, school, admin) -> Split:
    sid = school.school_id
    class_id = make_class(store, sid, 5, "А")
    english = SubjectService(store).create(admin, "Иностранный язык (английский)")
    maths = SubjectService(store).create(admin, "Математика")
    one, two, other = (add_staff(store, sid, last) for last in ("Смирнова", "Орлова", "Кузнецов"))
    assignments = AssignmentService(store)
    first = assignments.assign(admin, class_id, english.id, one, ONE, today=TODAY)
    second = assignments.assign(admin, class_id, english.id, two, TWO, today=TODAY)
    assignments.assign(admin, class_id, maths.id, other, today=TODAY)
    students = [enrol(store, sid, class_id, last, first_name, start=date(2026, 9, 1))
                for last, first_name in (("Андреев", "Пётр"), ("Борисова", "Анна"), ("Васильев", "Иван"),
                                         ("Григорьева", "Ольга"))]
    return Split(class_id, english.id, first.id, second.id, _actor(store, sid, one, "smirnova"),
                 _actor(store, sid, two, "orlova"), _actor(store, sid, other, "kuznetsov"), students)


def _names(view) -> list[str]:
    return [s.full_name for s in view.students]


def test_a_subgroup_journal_lists_the_whole_class_until_the_class_is_split(store, admin, split):
    journal = JournalService(store)
    grid = journal.open(split.teacher_one, split.first, today=TODAY)
    assert grid.subgroups_unset and len(grid.students) == 4
    view = SubgroupService(store).members(split.teacher_one, split.class_id, split.subject_id)
    assert view.subgroups == (ONE, TWO) and view.writable
    assert [(s.full_name, s.subgroup) for s in view.students[:1]] == [("Андреев Пётр", None)]
    # A whole-class journal never says anything about subgroups.
    maths = journal.list_journals(split.outsider)[0]
    assert not journal.open(split.outsider, maths.assignment_id, today=TODAY).subgroups_unset


def test_the_teacher_splits_the_class_and_each_journal_follows(store, admin, split):
    a, b, c, d = split.students
    groups = SubgroupService(store)
    view = groups.set_members(split.teacher_one, split.class_id, split.subject_id,
                              {a: ONE, b: ONE, c: " 2 ГРУППА ", d: None})  # spelled loosely: the name is matched
    assert {s.student_id: s.subgroup for s in view.students} == {a: ONE, b: ONE, c: TWO, d: None}
    journal = JournalService(store)
    first = journal.open(split.teacher_one, split.first, today=TODAY)
    second = journal.open(split.teacher_two, split.second, today=TODAY)
    assert _names(first) == ["Андреев Пётр", "Борисова Анна"] and not first.subgroups_unset
    assert _names(second) == ["Васильев Иван"] and second.unplaced == 1  # Григорьева is in no subgroup
    # The second teacher moves Григорьева into her group; Андреев's entry is unchanged, so it is not audited.
    groups.set_members(split.teacher_two, split.class_id, split.subject_id, {d: TWO, a: ONE})
    assert _names(journal.open(split.teacher_two, split.second, today=TODAY)) == ["Васильев Иван",
                                                                                   "Григорьева Ольга"]
    audited = records(store, "subgroup.set")
    assert [(r.person_id, r.fields, r.detail) for r in audited][-1] == (
        d, '["subgroup"]', f"class={split.class_id} subject={split.subject_id}")
    assert len(audited) == 4
    for record in audited:  # ids and the field's name only: no names of people, no subgroups in the trail
        assert "Андреев" not in (record.detail or "") and "Григорьева" not in (record.detail or "")
        assert TWO not in (record.detail or "") and ONE not in (record.detail or "")
    # Taking a student out of every subgroup removes the row.
    groups.set_members(admin, split.class_id, split.subject_id, {d: None})
    with store.session() as s:
        assert s.scalar(select(SubgroupMember).where(SubgroupMember.student_id == d)) is None


def test_the_other_subgroup_is_refused_by_name(store, split):
    a, b, c, d = split.students
    SubgroupService(store).set_members(split.teacher_one, split.class_id, split.subject_id,
                                       {a: ONE, b: ONE, c: TWO, d: TWO})
    journal, terms = JournalService(store), TermMarkService(store)
    lesson = journal.add_lesson(split.teacher_one, split.first, LESSON_DAY, 2, today=TODAY)
    journal.set_mark(split.teacher_one, lesson.id, a, "5", today=TODAY)
    journal.set_mark(split.teacher_one, lesson.id, b, "3", today=TODAY)
    with pytest.raises(ValidationFailed, match="Васильев Иван занимается в подгруппе «2 группа», а этот журнал — "
                                               "подгруппы «1 группа»"):
        journal.set_mark(split.teacher_one, lesson.id, c, "5", today=TODAY)
    with pytest.raises(ValidationFailed, match="Григорьева Ольга занимается в подгруппе «2 группа»"):
        journal.set_attendance(split.teacher_one, lesson.id, d, "absent", today=TODAY)
    grid = journal.open(split.teacher_one, split.first, today=TODAY)
    assert grid.term_id is not None
    with pytest.raises(ValidationFailed, match="Васильев Иван занимается в подгруппе"):
        terms.confirm(split.teacher_one, split.first, grid.term_id, c, "4")
    # The column of suggestions covers the subgroup's members only.
    rows = terms.suggestions(split.teacher_one, split.first, grid.term_id)
    assert [(r.full_name, r.suggested) for r in rows] == [("Андреев Пётр", "5"), ("Борисова Анна", "3")]
    assert terms.confirm(split.teacher_one, split.first, grid.term_id, a, "5").confirmed == "5"
    # The diary is unaffected: the student sees the subgroup's lesson and mark.
    student = Actor(make_user(store, split.teacher_one.school_id or 0, a, "andreev"), "andreev",
                    split.teacher_one.school_id, frozenset({"student"}), a)
    week = DiaryService(store).week(student, a, LESSON_DAY, today=TODAY)
    assert [m.value for lesson_ in week.lessons for m in lesson_.marks] == ["5"]


def test_bad_splits_are_refused_whole_and_named(store, admin, split):
    a, b = split.students[:2]
    stranger = enrol(store, split.teacher_one.school_id or 0, make_class(store, split.teacher_one.school_id or 0,
                                                                          6, "Б"), "Дмитриев", "Егор",
                     start=date(2026, 9, 1))
    groups = SubgroupService(store)
    with pytest.raises(ValidationFailed) as caught:
        groups.set_members(admin, split.class_id, split.subject_id, {a: ONE, b: "3 группа", stranger: ONE})
    messages = [p.message for p in caught.value.problems]
    assert messages == ["Подгруппа «3 группа» (Борисова Анна): в 5А по предмету «Иностранный язык (английский)» "
                        "есть только «1 группа», «2 группа»",
                        "Ученик Дмитриев Егор не учится в 5А в 2026/2027"]
    assert {p.field for p in caught.value.problems} == {"subgroup", "student_id"}
    assert groups.members(admin, split.class_id, split.subject_id).students[0].subgroup is None  # nothing saved
    maths = JournalService(store).list_journals(split.outsider)[0]
    view = JournalService(store).open(split.outsider, maths.assignment_id, today=TODAY)
    with pytest.raises(ValidationFailed, match="по предмету «Математика» нет подгрупп"):
        groups.set_members(admin, split.class_id, view.subject_id, {a: ONE})


def test_who_may_read_and_set_the_split(store, admin, split):
    a = split.students[0]
    groups = SubgroupService(store)
    with pytest.raises(PermissionDenied, match="распределяет его учитель или администрация"):
        groups.set_members(split.outsider, split.class_id, split.subject_id, {a: ONE})
    with pytest.raises(PermissionDenied, match="чужого класса"):
        groups.members(split.outsider, split.class_id, split.subject_id)
    denied = [r for r in records(store, "subgroup.set_members") if r.outcome == "denied"]
    assert len(denied) == 1
    assert groups.members(admin, split.class_id, split.subject_id).writable  # managers may set it
    # A teacher change makes a new assignment; the split stays with the class and subject.
    groups.set_members(admin, split.class_id, split.subject_id, {a: TWO})
    assignments = AssignmentService(store)
    current = assignments.get(admin, split.second)
    newcomer = add_staff(store, split.teacher_one.school_id or 0, "Новикова")
    change = assignments.change_teacher(admin, split.second, current.version, newcomer, today=TODAY)
    teacher = _actor(store, split.teacher_one.school_id or 0, newcomer, "novikova")
    assert _names(JournalService(store).open(teacher, change.assignment.id, today=TODAY)) == ["Андреев Пётр"]
