"""The end of a demo year: a confirmed year mark for every student, so a closing can be tried or measured.

The demo's journal covers the first quarter only, and closing a year refuses while final marks are missing;
the tests of the year's life cycle and bench/bench_year.py start from this state.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from zhurnal.core.models import Enrolment, SchoolClass, Subject, TeachingAssignment, TermMark, utcnow
from zhurnal.core.store import Store

CHUNK = 20_000  # rows per INSERT: a district has about 700,000 year marks


def give_year_marks(store: Store) -> int:
    """A confirmed year mark (5, or 4 for every third student) for every active student in every subject
    taught to their class, in every school, inserted in bulk; returns how many."""
    with store.session() as session:
        taught = session.execute(
            select(SchoolClass.id, SchoolClass.school_id, SchoolClass.year_id, SchoolClass.name, Subject.id,
                   Subject.name).distinct()
            .join(TeachingAssignment, TeachingAssignment.class_id == SchoolClass.id)
            .join(Subject, Subject.id == TeachingAssignment.subject_id)
            .where(TeachingAssignment.deleted_at.is_(None))).all()
        students: dict[int, list[int]] = {}
        for class_id, person_id in session.execute(select(Enrolment.class_id, Enrolment.person_id).where(
                Enrolment.end_date.is_(None))):
            students.setdefault(class_id, []).append(person_id)
        now = utcnow()
        rows = [{"school_id": school_id, "year_id": year_id, "term_kind": "year", "term_number": 0,
                 "student_id": student, "subject_id": subject_id, "class_id": class_id, "subject_name": subject,
                 "class_name": class_name, "value": "5" if student % 3 else "4", "confirmed_at": now,
                 "version": 1}
                for class_id, school_id, year_id, class_name, subject_id, subject in taught
                for student in students.get(class_id, [])]
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(TermMark), rows[start:start + CHUNK])
        session.commit()
    return len(rows)
