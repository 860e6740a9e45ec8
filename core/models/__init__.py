"""Typed SQLAlchemy models of the school store; import them from here."""

from zhurnal.core.models.accounts import LoginCode, RoleGrant, User
from zhurnal.core.models.audit import AuditRecord
from zhurnal.core.models.base import Base, utcnow
from zhurnal.core.models.imports import ImportRun
from zhurnal.core.models.messages import (
    AUDIENCE_KINDS,
    TICKET_STATUSES,
    Announcement,
    AnnouncementRead,
    AnnouncementTarget,
    SupportMessage,
    SupportTicket,
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
    "AUDIENCE_KINDS",
    "ORDER_KINDS",
    "TERMS_PER_KIND",
    "TERM_KINDS",
    "TICKET_STATUSES",
    "AcademicYear",
    "Announcement",
    "AnnouncementRead",
    "AnnouncementTarget",
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
    "School",
    "SchoolClass",
    "Setting",
    "StaffPosition",
    "Subject",
    "SupportMessage",
    "SupportTicket",
    "TeachingAssignment",
    "Term",
    "User",
    "utcnow",
]
