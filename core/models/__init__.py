"""Typed SQLAlchemy models of the school store; import them from here."""

from zhurnal.core.models.accounts import LoginCode, RoleGrant, User
from zhurnal.core.models.audit import AuditRecord
from zhurnal.core.models.base import Base, utcnow
from zhurnal.core.models.imports import ImportRun
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
from zhurnal.core.models.year import RolloverItem, RolloverRun, YearArchiveFile

__all__ = [
    "ORDER_KINDS",
    "TERMS_PER_KIND",
    "TERM_KINDS",
    "AcademicYear",
    "AuditRecord",
    "Base",
    "CurriculumItem",
    "Enrolment",
    "GradeLevel",
    "Guardianship",
    "ImportRun",
    "LoginCode",
    "Order",
    "Person",
    "RoleGrant",
    "RolloverItem",
    "RolloverRun",
    "School",
    "SchoolClass",
    "Setting",
    "StaffPosition",
    "Subject",
    "TeachingAssignment",
    "Term",
    "User",
    "YearArchiveFile",
    "utcnow",
]
