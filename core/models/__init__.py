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
    SubgroupMember,
    Subject,
    TeachingAssignment,
    Term,
)
from zhurnal.core.models.year import RolloverItem, RolloverRun, YearArchiveFile

__all__ = [
    "ACTIVITY_KINDS",
    "ATTENDANCE_STATUSES",
    "AUDIENCE_KINDS",
    "MAX_LAG",
    "ORDER_KINDS",
    "TERMS_PER_KIND",
    "TERM_KINDS",
    "TICKET_STATUSES",
    "AcademicYear",
    "ActivityDaily",
    "ActivityEvent",
    "Announcement",
    "AnnouncementRead",
    "AnnouncementTarget",
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
    "RolloverItem",
    "RolloverRun",
    "School",
    "SchoolClass",
    "Setting",
    "StaffPosition",
    "SubgroupMember",
    "Subject",
    "SupportMessage",
    "SupportTicket",
    "TeachingAssignment",
    "Term",
    "TermMark",
    "User",
    "WorkType",
    "YearArchiveFile",
    "utcnow",
]
