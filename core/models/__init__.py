"""Typed SQLAlchemy models of the school store; import them from here."""

from zhurnal.core.models.accounts import LoginCode, RoleGrant, User
from zhurnal.core.models.activity import MAX_LAG, ActivityDaily
from zhurnal.core.models.audit import AuditRecord
from zhurnal.core.models.base import Base, utcnow
from zhurnal.core.models.imports import ImportRun
from zhurnal.core.models.journal import (
    ACTIVITY_KINDS,
    ATTENDANCE_STATUSES,
    ActivityEvent,
    Attendance,
    Lesson,
    LockException,
    Mark,
    MarkHistory,
    TermMark,
    WorkType,
)
from zhurnal.core.models.people import ORDER_KINDS, Enrolment, Guardianship, Order, Person, StaffPosition
from zhurnal.core.models.school import (
    TERM_KINDS,
    TERMS_PER_KIND,
    AcademicYear,
    CurriculumItem,
    GradeLevel,
    School,
    SchoolClass,
    Setting,
    Subject,
    TeachingAssignment,
    Term,
)

__all__ = [
    "ACTIVITY_KINDS",
    "ATTENDANCE_STATUSES",
    "MAX_LAG",
    "ORDER_KINDS",
    "TERMS_PER_KIND",
    "TERM_KINDS",
    "AcademicYear",
    "ActivityDaily",
    "ActivityEvent",
    "Attendance",
    "AuditRecord",
    "Base",
    "CurriculumItem",
    "Enrolment",
    "GradeLevel",
    "Guardianship",
    "ImportRun",
    "Lesson",
    "LockException",
    "LoginCode",
    "Mark",
    "MarkHistory",
    "Order",
    "Person",
    "RoleGrant",
    "School",
    "SchoolClass",
    "Setting",
    "StaffPosition",
    "Subject",
    "TeachingAssignment",
    "Term",
    "TermMark",
    "User",
    "WorkType",
    "utcnow",
]
