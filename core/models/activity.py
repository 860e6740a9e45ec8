"""Daily roll-up of activity events: what the quarterly report reads.

Every event recorded also bumps its roll-up row in the same transaction, so the report aggregates a table
about ten times smaller than the events, and purging old events (the retention setting) keeps every figure
a report has shown. `class_id` and `lag` use 0 rather than NULL so the row's key is one unique constraint
on every engine (PostgreSQL treats NULLs as distinct).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhurnal.core.models.base import Base

# Days between a journal entry and its lesson are kept up to this many (more counts as this many); -1 is an
# entry made ahead of the lesson (a topic planned in advance).
MAX_LAG = 60


class ActivityDaily(Base):
    __tablename__ = "activity_daily"
    __table_args__ = (
        UniqueConstraint("school_id", "kind", "day", "user_id", "class_id", "lag"),
        Index("ix_activity_daily_user", "user_id", "kind", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    class_id: Mapped[int] = mapped_column(Integer, default=0)  # 0: none (a login)
    lag: Mapped[int] = mapped_column(Integer, default=0)  # days from the lesson to the entry, -1..MAX_LAG
    events: Mapped[int] = mapped_column(Integer, default=1)
