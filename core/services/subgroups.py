"""Subgroups: which students of a class learn a subject in which subgroup ("1 группа", "2 группа").

A subject taught in subgroups has one teaching assignment per subgroup; the split of the class is kept per class
and subject (SubgroupMember), not per assignment, so a teacher change (a new assignment) keeps it. A subgroup
journal lists its members once the class is split, the whole class before that (docs/journal.md, "Subgroups").
Those who manage assignments (`school.write`) and the teachers of the subject in the class (`journal.write` on
their own assignment) set the split; whoever may read one of the class's journals of the subject reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select

from zhurnal.core.errors import PermissionDenied
from zhurnal.core.models import Person, SchoolClass, SubgroupMember, Subject, TeachingAssignment
from zhurnal.core.services import yearlog
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import full_name, get_class
from zhurnal.core.services.common import flush, plain_rows, refuse
from zhurnal.core.services.journal import _students
from zhurnal.core.services.journal_rules import memberships, require_year_open, scope
from zhurnal.core.services.subjects import get_subject
from zhurnal.core.services.years import get_year
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, fold


@dataclass(frozen=True)
class SubgroupStudent:
    student_id: int
    full_name: str
    subgroup: str | None  # None: in no subgroup yet


@dataclass(frozen=True)
class SubgroupsView:
    """The split of one class in one subject."""

    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    subgroups: tuple[str, ...]  # the subgroups the class's live assignments of the subject name, sorted
    students: list[SubgroupStudent]  # everyone enrolled in the class during its year, in class-list order
    writable: bool


def _access(uow: UnitOfWork, school_class: SchoolClass, subject: Subject, *, write: bool) -> bool:
    """Whether the actor may change the split (PermissionDenied when they may not even read it, or `write` is
    asked of a reader): assignment managers, and the teacher of a live assignment of the class's subject."""
    actor = uow.actor
    if "school.write" in actor.actions:
        return True
    assignments = list(uow.session.scalars(select(TeachingAssignment).where(
        TeachingAssignment.class_id == school_class.id, TeachingAssignment.subject_id == subject.id)
        .order_by(TeachingAssignment.id)))
    readable = "journal.read" in actor.actions
    for assignment in assignments:
        try:
            if scope(uow, assignment, write=False).writable:
                return True
            readable = True
        except PermissionDenied:
            continue
    if write:
        raise PermissionDenied("journal.write", f"Недостаточно прав: подгруппы по предмету «{subject.name}» в "
                                                f"{school_class.name} распределяет его учитель или администрация")
    if not readable:
        raise PermissionDenied("journal.read", "Недостаточно прав: это журнал чужого класса")
    return False


def _subgroups(uow: UnitOfWork, class_id: int, subject_id: int) -> tuple[str, ...]:
    names = uow.session.scalars(select(TeachingAssignment.subgroup).where(
        TeachingAssignment.class_id == class_id, TeachingAssignment.subject_id == subject_id,
        TeachingAssignment.deleted_at.is_(None), TeachingAssignment.subgroup.is_not(None)).distinct())
    return tuple(sorted({n for n in names if n}, key=fold))


def _view(uow: UnitOfWork, school_class: SchoolClass, subject: Subject, writable: bool) -> SubgroupsView:
    year = get_year(uow, school_class.year_id)
    members = memberships(uow, school_class.id, subject.id)
    students = [SubgroupStudent(s.id, s.full_name, members.get(s.id))
                for s in _students(uow, school_class.id, year.start_date, year.end_date)]
    return SubgroupsView(school_class.id, school_class.name, subject.id, subject.name,
                         _subgroups(uow, school_class.id, subject.id), students,
                         writable and year.status != "closed")


def _name(uow: UnitOfWork, student_id: int) -> str:
    person = uow.session.get(Person, student_id)
    if person is None or person.school_id != uow.school_id:
        return f"№ {student_id}"
    return full_name(person.last_name, person.first_name, person.middle_name)


class SubgroupService(Service):
    """Read and set the split of a class into subgroups in a subject."""

    area = "subgroup"

    @service("school.write", "journal.read", "journal.write", write=False)
    def members(self, uow: UnitOfWork, class_id: int, subject_id: int) -> SubgroupsView:
        """The class's students with their subgroup in the subject, and the subgroups there are."""
        school_class, subject = get_class(uow, class_id), get_subject(uow, subject_id)
        return _view(uow, school_class, subject, _access(uow, school_class, subject, write=False))

    @service("school.write", "journal.write")
    def set_members(self, uow: UnitOfWork, class_id: int, subject_id: int,
                    members: Mapping[int, str | None]) -> SubgroupsView:
        """Put each student given into a subgroup (None: into none); students not given keep theirs.

        All or nothing: a student not of the class, or a subgroup no live assignment of the class's subject
        names, refuses the whole change with every problem named. Each change is audited (ids and subgroup
        names only).
        """
        school_class, subject = get_class(uow, class_id), get_subject(uow, subject_id)
        _access(uow, school_class, subject, write=True)
        year = get_year(uow, school_class.year_id)
        require_year_open(year, "class_id")
        known = {fold(name): name for name in _subgroups(uow, school_class.id, subject.id)}
        enrolled = {s.id for s in _students(uow, school_class.id, year.start_date, year.end_date)}
        problems: list[Problem] = []
        wanted: dict[int, str | None] = {}
        for student_id, subgroup in members.items():
            if student_id not in enrolled:
                problems.append(Problem("student_id", "not_enrolled", f"Ученик {_name(uow, student_id)} не учится "
                                                                      f"в {school_class.name} в {year.name}"))
                continue
            if subgroup is None or not subgroup.strip():
                wanted[student_id] = None
                continue
            found = known.get(fold(subgroup.strip()))
            if found is None:
                offered = ", ".join(f"«{n}»" for n in known.values())
                where = f"в {school_class.name} по предмету «{subject.name}»"
                problems.append(Problem("subgroup", "unknown", f"Подгруппа «{subgroup.strip()}» "
                                        f"({_name(uow, student_id)}): " + (f"{where} есть только {offered}" if offered
                                                                            else f"{where} нет подгрупп")))
                continue
            wanted[student_id] = found
        refuse(problems)
        rows = {row.student_id: row for row in uow.session.scalars(select(SubgroupMember).where(
            SubgroupMember.class_id == school_class.id, SubgroupMember.subject_id == subject.id))}
        changes: list[tuple[SubgroupMember, int]] = []
        for student_id, subgroup in wanted.items():
            row = rows.get(student_id)
            old = row.subgroup if row is not None else None
            if old == subgroup:
                continue
            if row is None:
                assert subgroup is not None
                row = SubgroupMember(school_id=uow.school_id, class_id=school_class.id, subject_id=subject.id,
                                     student_id=student_id, subgroup=subgroup)
                uow.session.add(row)
            elif subgroup is None:
                uow.session.delete(row)  # in no subgroup: the audit record keeps the trace (ids, no group)
            else:
                row.subgroup = subgroup
            changes.append((row, student_id))
        flush(uow, "Подгруппы")
        for row, student_id in changes:
            # Ids and the field's name only: which group a child is in is the child's data, not the trail's.
            uow.audit("subgroup.set", object_type="subgroup_member", object_id=row.id, person_id=student_id,
                      fields=["subgroup"], detail=f"class={school_class.id} subject={subject.id}")
        return _view(uow, school_class, subject, True)


@dataclass(frozen=True)
class CarriedPlace:
    """A subgroup place the closing of a year would write: the student into `subgroup` of the new class."""

    class_id: int
    subject_id: int
    student_id: int
    subgroup: str


def split_to_carry(uow: UnitOfWork, moves: Iterable[tuple[int, int, int]]) -> list[CarriedPlace]:
    """What `carry_split` would write for `moves`, writing nothing (the closing's preview counts it).

    `moves` holds (student id, old class id, new class id): each student moving on into their old class's twin
    (5А -> 6А) gets the subgroup they had there, subject by subject. A subgroup is carried when a live
    assignment of the subject in the new class names it (case and ё folded; the new class's spelling is kept),
    so groups the school dropped or renamed over the summer are not guessed at; a student who already has a
    subgroup in the new class keeps it (docs/year.md, "Subgroups").
    """
    to_class = {(student_id, old): new for student_id, old, new in moves}
    if not to_class:
        return []
    old_ids = sorted({old for _, old in to_class})
    new_ids = sorted(set(to_class.values()))
    names: dict[tuple[int, int], dict[str, str]] = {}
    for class_id, subject_id, subgroup in plain_rows(uow, select(
            TeachingAssignment.class_id, TeachingAssignment.subject_id, TeachingAssignment.subgroup).where(
            TeachingAssignment.class_id.in_(new_ids), TeachingAssignment.deleted_at.is_(None),
            TeachingAssignment.subgroup.is_not(None))):
        if subgroup:
            names.setdefault((class_id, subject_id), {})[fold(subgroup)] = subgroup
    if not names:
        return []
    placed = {(r.class_id, r.subject_id, r.student_id) for r in plain_rows(uow, select(
        SubgroupMember.class_id, SubgroupMember.subject_id, SubgroupMember.student_id).where(
        SubgroupMember.class_id.in_(new_ids)))}
    places: list[CarriedPlace] = []
    for r in plain_rows(uow, select(SubgroupMember.class_id, SubgroupMember.subject_id, SubgroupMember.student_id,
                                    SubgroupMember.subgroup).where(SubgroupMember.class_id.in_(old_ids))
                        .order_by(SubgroupMember.class_id, SubgroupMember.subject_id, SubgroupMember.id)):
        new = to_class.get((r.student_id, r.class_id))
        if new is None or (new, r.subject_id, r.student_id) in placed:
            continue
        subgroup = names.get((new, r.subject_id), {}).get(fold(r.subgroup))
        if subgroup is None:
            continue
        placed.add((new, r.subject_id, r.student_id))
        places.append(CarriedPlace(new, r.subject_id, r.student_id, subgroup))
    return places


def carry_split(uow: UnitOfWork, moves: Iterable[tuple[int, int, int]], recorder: yearlog.Recorder) -> int:
    """At the closing of a year: write the subgroup places `split_to_carry` selects for `moves`; returns how
    many rows were written. The rows are written in bulk and recorded for undo."""
    rows: list[dict[str, Any]] = [
        {"school_id": uow.school_id, "class_id": p.class_id, "subject_id": p.subject_id,
         "student_id": p.student_id, "subgroup": p.subgroup, "version": 1} for p in split_to_carry(uow, moves)]
    # One batched INSERT like the closing's enrolments (rows as the mapper would write them, version 1).
    table = cast(Table, SubgroupMember.__table__)
    for start in range(0, len(rows), 1000):
        for (row_id,) in uow.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                             rows[start:start + 1000]):
            recorder.created_row(SubgroupMember.__tablename__, row_id, 1)
    return len(rows)
