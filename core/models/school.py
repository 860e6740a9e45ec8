"""The school and its year-scoped structure: years, terms, grade levels, classes, subjects, curriculum."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhurnal.core.models.base import Base, UTCDateTime, Versioned, utcnow

# Term kinds a school (or one grade level) divides its year into.
TERM_KINDS = ("quarter", "trimester", "half")
TERMS_PER_KIND = {"quarter": 4, "trimester": 3, "half": 2}


class School(Versioned, Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(500))
    term_kind: Mapped[str] = mapped_column(String(20), default="quarter")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(Versioned, Base):
    """One school setting as JSON text (grading scale, lock period, ...), validated by the settings service."""

    __tablename__ = "settings"
    __table_args__ = (UniqueConstraint("school_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(Text)


class AcademicYear(Versioned, Base):
    __tablename__ = "academic_years"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))  # "2026/2027"
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # planned | open | closed
    previous_year_id: Mapped[int | None] = mapped_column(ForeignKey("academic_years.id"))


class Term(Versioned, Base):
    """A quarter, trimester or half-year; a year holds one set per term kind in use."""

    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("year_id", "kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_years.id"))
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)


class GradeLevel(Versioned, Base):
    """A parallel (1..11) with its progression: the next level, and whether finishing it completes a stage."""

    __tablename__ = "grade_levels"
    __table_args__ = (UniqueConstraint("school_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    next_level_id: Mapped[int | None] = mapped_column(ForeignKey("grade_levels.id"))
    is_terminal: Mapped[bool] = mapped_column(Boolean, default=False)
    # "basic" after grade 9, "secondary" after 11, None otherwise: what a graduate of this level completes.
    completes: Mapped[str | None] = mapped_column(String(20))
    term_kind: Mapped[str | None] = mapped_column(String(20))  # overrides the school's term kind


class SchoolClass(Versioned, Base):
    """A class in one academic year: parallel + letter ("5А"), with its class teacher and last year's twin."""

    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("year_id", "parallel", "letter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_years.id"))
    grade_level_id: Mapped[int] = mapped_column(ForeignKey("grade_levels.id"))
    parallel: Mapped[int] = mapped_column(Integer)
    letter: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(12))
    class_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    previous_class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"))


class Subject(Versioned, Base):
    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(40))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class CurriculumItem(Versioned, Base):
    """Weekly hours of one subject in one grade level in one year."""

    __tablename__ = "curriculum_items"
    __table_args__ = (UniqueConstraint("year_id", "grade_level_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_years.id"))
    grade_level_id: Mapped[int] = mapped_column(ForeignKey("grade_levels.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    hours_per_week: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("curriculum_items.id"))


class TeachingAssignment(Versioned, Base):
    """A teacher teaches a subject to a class (or one subgroup of it) in a year; soft-deleted, never removed."""

    __tablename__ = "teaching_assignments"
    __table_args__ = (Index("ix_teaching_assignments_class_subject", "class_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_years.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    subgroup: Mapped[str | None] = mapped_column(String(40))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("teaching_assignments.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubgroupMember(Versioned, Base):
    """A student's subgroup in one subject of a class ("1 группа"): the subgroup journals list these students.

    Keyed by class and subject rather than by assignment: a teacher change retires the assignment and creates
    a new one, and the split of the class must outlive it. `subgroup` is spelled as TeachingAssignment.subgroup.
    """

    __tablename__ = "subgroup_members"
    __table_args__ = (UniqueConstraint("class_id", "subject_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    subgroup: Mapped[str] = mapped_column(String(40))
