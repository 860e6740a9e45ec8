"""People and their dated memberships: enrolments, staff positions, guardianship; and directors' orders.

A person never has a "current class" column: the class on any date comes from enrolments.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhurnal.core.models.base import Base, UTCDateTime, Versioned, utcnow

ORDER_KINDS = ("enrolment", "transfer", "departure", "hire", "dismissal", "promotion", "graduation", "other")


class Person(Versioned, Base):
    """Anyone the school knows: student, staff member or parent (the roles come from memberships)."""

    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_school_name_key", "school_id", "name_key", "id"),
        Index("ix_persons_snils", "snils"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The school that registered the person; a district keeps one row per person per school.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    # Folded "last first middle" (casefold, ё→е): duplicate checks and indexed search by prefix.
    name_key: Mapped[str] = mapped_column(String(310))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))  # "M" | "F"
    snils: Mapped[str | None] = mapped_column(String(11))  # 11 digits, formatted on display
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Order(Versioned, Base):
    """A director's order (приказ): every movement of a student or employee refers to one."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("school_id", "order_year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    order_date: Mapped[date] = mapped_column(Date)
    # Numbers restart every calendar year, so uniqueness is per year of the order's date.
    order_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Enrolment(Versioned, Base):
    """A student's membership of one class from start_date to end_date (inclusive; open while NULL)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        Index("ix_enrolments_class_dates", "class_id", "start_date", "end_date"),
        Index("ix_enrolments_person", "person_id", "start_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    start_reason: Mapped[str] = mapped_column(String(30))
    end_reason: Mapped[str | None] = mapped_column(String(30))
    start_order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    end_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    # For the movement book: the school a student arrived from, and where they left to.
    came_from: Mapped[str | None] = mapped_column(String(300))
    went_to: Mapped[str | None] = mapped_column(String(300))


class StaffPosition(Versioned, Base):
    """An employee's position (hired and dismissed by order), dated like an enrolment."""

    __tablename__ = "staff_positions"
    __table_args__ = (
        Index("ix_staff_positions_person", "person_id", "start_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    position: Mapped[str] = mapped_column(String(200))
    rate: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("1.00"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    start_order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    end_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    end_reason: Mapped[str | None] = mapped_column(String(30))


class Guardianship(Versioned, Base):
    """A parent or guardian of a student, dated."""

    __tablename__ = "guardianships"
    __table_args__ = (
        Index("ix_guardianships_student", "student_id"),
        Index("ix_guardianships_parent", "parent_id"),
        CheckConstraint("parent_id <> student_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    relation: Mapped[str] = mapped_column(String(20))  # mother | father | guardian | other
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
