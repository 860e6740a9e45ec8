"""The journal: lessons of a teaching assignment, marks with their history, attendance, term and year marks,
work types, grade-lock exceptions, and the activity events the quarterly report counts.

Nothing here is deleted by the application: lessons and marks are soft-deleted (`deleted_at`), a mark change
appends to `mark_history`, and activity events are only ever inserted (purged by the retention setting, each
purge noted in `activity_purges`). The one exception is a withdrawn term mark, whose row goes while its
`term_mark_history` stays.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhurnal.core.models.base import Base, UTCDateTime, Versioned, utcnow

# One status code per student per lesson; "present" is also what a missing row means once the lesson's
# attendance has been taken (see Lesson.attendance_taken).
ATTENDANCE_STATUSES = ("present", "absent", "sick", "late", "excused")
ACTIVITY_KINDS = ("login", "diary_view", "mark", "topic", "homework", "attendance")


class WorkType(Versioned, Base):
    """A kind of work a mark is given for (classwork, test, ...) with its weight in the average."""

    __tablename__ = "work_types"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class Lesson(Versioned, Base):
    """One lesson of a teaching assignment: date, number in the day, topic and homework."""

    __tablename__ = "lessons"
    __table_args__ = (
        Index("ix_lessons_assignment_day", "assignment_id", "day", "number"),
        Index("ix_lessons_class_day", "class_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("teaching_assignments.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"))  # the assignment's, for diary queries
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)  # lesson number in the day, 1..12
    topic: Mapped[str | None] = mapped_column(String(500))
    homework: Mapped[str | None] = mapped_column(Text)
    subgroup: Mapped[str | None] = mapped_column(String(40))
    # Set when the teacher takes attendance: from then on a student without a row was present.
    attendance_taken: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# A live mark: one not removed. Spelled once for both engines' partial indexes.
_LIVE_MARK = text("deleted_at IS NULL")


class Mark(Versioned, Base):
    """A student's mark for one kind of work in one lesson; changes append to MarkHistory.

    At most one live mark per lesson, student and kind of work (`uq_marks_live`, a partial unique index): two
    teachers' sessions saving the first mark of a cell at the same moment cannot both insert one (the later
    save is refused, docs/journal.md). Removed marks are kept, any number of them.
    """

    __tablename__ = "marks"
    __table_args__ = (
        Index("ix_marks_lesson_student", "lesson_id", "student_id"),
        Index("ix_marks_student", "student_id", "lesson_id"),
        Index("uq_marks_live", "lesson_id", "student_id", "work_type_id", unique=True,
              sqlite_where=_LIVE_MARK, postgresql_where=_LIVE_MARK),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_types.id"))
    value: Mapped[str] = mapped_column(String(8))
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MarkHistory(Base):
    """Who changed a mark, when, from what to what (None: the mark did not exist / was removed)."""

    __tablename__ = "mark_history"
    __table_args__ = (Index("ix_mark_history_mark", "mark_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mark_id: Mapped[int] = mapped_column(ForeignKey("marks.id"))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_value: Mapped[str | None] = mapped_column(String(8))
    new_value: Mapped[str | None] = mapped_column(String(8))


class Attendance(Versioned, Base):
    """One status code per student per lesson."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("lesson_id", "student_id"), Index("ix_attendance_student", "student_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    status: Mapped[str] = mapped_column(String(10))
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TermMark(Versioned, Base):
    """A confirmed term mark (term_number 1..4) or year mark (term_number 0) of a student in a subject.

    The subject title and class name are copied in as they were, so renaming or removing either later never
    changes the record (history is a snapshot).
    """

    __tablename__ = "term_marks"
    __table_args__ = (
        UniqueConstraint("student_id", "subject_id", "year_id", "term_kind", "term_number"),
        Index("ix_term_marks_class", "class_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_years.id"))
    term_kind: Mapped[str] = mapped_column(String(20))  # quarter | trimester | half | year
    term_number: Mapped[int] = mapped_column(Integer)  # 0 for the year mark
    student_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"))
    subject_name: Mapped[str] = mapped_column(String(200))
    class_name: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(8))
    suggested: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TermMarkHistory(Base):
    """Who confirmed, changed or withdrew a term or year mark, when, from what to what (None: no mark).

    Keyed by what the mark is of (student, subject, year, term) rather than by the term_marks row: a withdrawn
    mark's row is deleted (so the unique key is free for a later confirmation), and its history must outlive
    it. The subject title and class name are the snapshot the mark carried.
    """

    __tablename__ = "term_mark_history"
    __table_args__ = (Index("ix_term_mark_history_student", "student_id", "year_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_years.id"))
    term_kind: Mapped[str] = mapped_column(String(20))
    term_number: Mapped[int] = mapped_column(Integer)
    student_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"))
    subject_name: Mapped[str] = mapped_column(String(200))
    class_name: Mapped[str] = mapped_column(String(12))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_value: Mapped[str | None] = mapped_column(String(8))
    new_value: Mapped[str | None] = mapped_column(String(8))


class LockException(Versioned, Base):
    """A teacher's request to change marks of an assignment's locked lessons, and its decision."""

    __tablename__ = "lock_exceptions"
    __table_args__ = (Index("ix_lock_exceptions_assignment", "assignment_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("teaching_assignments.id"))
    from_day: Mapped[date] = mapped_column(Date)
    to_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[date | None] = mapped_column(Date)


class ActivityEvent(Base):
    """One use of the journal (a login, a diary view, a journal entry) for the quarterly activity report.

    Only ever inserted; the retention setting purges old rows (an audited action, also noted in ActivityPurge).
    `day` is the school-local date, so a report by day or term needs no time-zone arithmetic.
    """

    __tablename__ = "activity_events"
    __table_args__ = (
        Index("ix_activity_school_day_kind", "school_id", "day", "kind"),
        Index("ix_activity_user_day", "user_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    # The lesson's date for journal entries: "entered on the lesson day versus late" needs both days.
    lesson_day: Mapped[date | None] = mapped_column(Date)


class ActivityPurge(Base):
    """One purge of a school's old activity events that removed any: the roll-up still counts them, so
    `activity.rebuild_rollup` refuses to recompute that school's roll-up from the events left."""

    __tablename__ = "activity_purges"
    __table_args__ = (Index("ix_activity_purges_school", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    purged_before: Mapped[date] = mapped_column(Date)  # events dated before this day were removed
    events: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
