"""The audit trail: append-only, hash-chained records of every change and every read of personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhurnal.core.models.base import Base, UTCDateTime


class AuditRecord(Base):
    """One audited event. `hash` covers every other column and `prev_hash`, so any edit breaks the chain.

    Values are never stored: `fields` holds only the names of the fields that changed.
    """

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_person", "person_id", "seq"),
        Index("ix_audit_records_user", "user_id", "seq"),
        Index("ix_audit_records_at", "at"),
    )

    # The position in the chain; the primary key makes a fork (two records after one head) impossible.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                      autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    login: Mapped[str | None] = mapped_column(String(80))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # ok | denied | failed
    fields: Mapped[str | None] = mapped_column(Text)  # JSON list of field names, never values
    detail: Mapped[str | None] = mapped_column(Text)  # non-personal detail (counts, order number, reason code)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
