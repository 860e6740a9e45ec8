"""Informing and helping users: announcements with their audiences and read marks, and problem reports
(support tickets) with the administrator's answers.

An announcement goes to everyone, to holders of some roles, or to the people of some classes (students, their
parents, their teachers); who sees it is resolved when a user looks, so a student enrolled later sees it too.
Nothing is deleted: an announcement is withdrawn (soft), a ticket is closed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhurnal.core.models.base import Base, UTCDateTime, Versioned, utcnow

AUDIENCE_KINDS = ("role", "class")
TICKET_STATUSES = ("open", "answered", "closed")


class Announcement(Versioned, Base):
    """One announcement of a school; `everyone` or its AnnouncementTarget rows say who sees it."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_school_posted", "school_id", "posted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    everyone: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_login: Mapped[str] = mapped_column(String(80))  # also names the bootstrap actors (system:...)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Shown up to and including this day; NULL: until withdrawn.
    expires_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AnnouncementTarget(Base):
    """One audience of an announcement: the holders of a role, or the people of a class."""

    __tablename__ = "announcement_targets"
    __table_args__ = (
        CheckConstraint("(kind = 'role' AND role IS NOT NULL AND class_id IS NULL) OR "
                        "(kind = 'class' AND class_id IS NOT NULL AND role IS NULL)", name="one_audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # role | class
    role: Mapped[str | None] = mapped_column(String(40))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"))


class AnnouncementRead(Base):
    """A user has read (dismissed) an announcement: it is no longer shown at login or on the start screen."""

    __tablename__ = "announcement_reads"
    __table_args__ = (UniqueConstraint("announcement_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupportTicket(Versioned, Base):
    """A problem report: who sent it, from which screen, the text, and where it stands."""

    __tablename__ = "support_tickets"
    __table_args__ = (
        Index("ix_support_tickets_school_status", "school_id", "status", "id"),
        Index("ix_support_tickets_author", "author_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    screen: Mapped[str | None] = mapped_column(String(80))  # the screen the report was sent from
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | answered | closed
    # The author has not yet read the latest answer (set by an answer, cleared when the author opens it).
    unread_by_author: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupportMessage(Base):
    """One message on a ticket after the report itself: an answer of the support staff, or the author's reply."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_login: Mapped[str] = mapped_column(String(80))
    from_support: Mapped[bool] = mapped_column(Boolean, default=True)  # False: the ticket's author replied
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
