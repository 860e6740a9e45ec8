"""The academic-year life cycle: what each rollover (opening or closing a year) did, and the year archive.

A rollover run lists every row it created and every row it changed (with the values before), so undoing the
last run is exact instead of a guess. The archive keeps the documents produced at closing (movement book as
XLSX and PDF, the SHA-256 manifest) as rows, so every backup carries them (the backup dumps tables only).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhurnal.core.models.base import Base, UTCDateTime, utcnow


class RolloverRun(Base):
    """One applied opening ("open") or closing ("close") of a year; `undone_at` is set by its undo."""

    __tablename__ = "rollover_runs"
    __table_args__ = (Index("ix_rollover_runs_school", "school_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(10))  # open | close
    from_year_id: Mapped[int | None] = mapped_column(ForeignKey("academic_years.id"))
    # The year opened (kind "open") or the year students moved into (kind "close"). No foreign key: undoing
    # an opening removes that year while this row stays as history.
    to_year_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    login: Mapped[str] = mapped_column(String(80))
    # JSON of the counts reported to the user (never personal data).
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RolloverItem(Base):
    """One row a run created ("create") or changed ("update", `before` = JSON of the old values)."""

    __tablename__ = "rollover_items"
    __table_args__ = (Index("ix_rollover_items_run", "run_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rollover_runs.id"))
    seq: Mapped[int] = mapped_column(Integer)  # order of the changes; undo walks it backwards
    action: Mapped[str] = mapped_column(String(10))  # create | update
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(Integer)
    # The row's version right after the run: undo refuses a row changed since (restore the backup instead).
    version: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)


class YearArchiveFile(Base):
    """One document of a closed year's archive; the content is base64 text (the backup format has no bytes)."""

    __tablename__ = "year_archive_files"
    __table_args__ = (UniqueConstraint("year_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_years.id"))
    name: Mapped[str] = mapped_column(String(120))  # "movement-book.xlsx", "manifest.json", ...
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
