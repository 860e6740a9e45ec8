"""The import log: one row per import attempt (applied, dry run or refused), with the column mapping used.

The mapping of the latest run per (school, format, entity) is what the next import of that kind starts from
("the last mapping is remembered"), so no second table is needed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhurnal.core.models.base import Base, UTCDateTime, utcnow


class ImportRun(Base):
    """Who imported which file (name and SHA-256), in which format, for which entity, and what came of it."""

    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_school_format_entity", "school_id", "format", "entity", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    login: Mapped[str] = mapped_column(String(80))  # also names the bootstrap actors (system:...)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(20))  # add_update | add_only | update_only
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(20))  # applied | dry_run | refused
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    count_new: Mapped[int] = mapped_column(Integer, default=0)
    count_changed: Mapped[int] = mapped_column(Integer, default=0)
    count_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    count_skipped: Mapped[int] = mapped_column(Integer, default=0)
    count_rejected: Mapped[int] = mapped_column(Integer, default=0)
    # JSON {column header: field name} of the mapping used; the next import of this format and entity
    # starts from it.
    mapping: Mapped[str | None] = mapped_column(Text)
    # JSON of what the reader detected or was told (encoding, delimiter, ...), never personal data.
    details: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
