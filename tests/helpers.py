"""Small helpers the service tests share: rows made directly where the service under test is not the point."""

from __future__ import annotations

from sqlalchemy import select

from zhurnal.core.models import AcademicYear, AuditRecord, GradeLevel, SchoolClass, User


def make_class(store, school_id: int, parallel: int, letter: str, year_id: int | None = None) -> int:
    with store.session() as s:
        level = s.scalars(select(GradeLevel).where(GradeLevel.school_id == school_id,
                                                   GradeLevel.number == parallel)).one()
        year_id = year_id or s.scalars(select(AcademicYear.id).where(AcademicYear.school_id == school_id)).first()
        row = SchoolClass(school_id=school_id, year_id=year_id, grade_level_id=level.id, parallel=parallel,
                          letter=letter, name=f"{parallel}{letter}")
        s.add(row)
        s.commit()
        return row.id


def make_user(store, school_id: int, person_id: int, login: str) -> int:
    with store.session() as s:
        user = User(login=login, person_id=person_id, school_id=school_id)
        s.add(user)
        s.commit()
        return user.id


def user_active(store, user_id: int) -> bool:
    with store.session() as s:
        return bool(s.get(User, user_id).is_active)


def records(store, action: str) -> list[AuditRecord]:
    with store.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)))
