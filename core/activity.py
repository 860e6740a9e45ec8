"""Recording activity events (logins, diary views, journal entries) and their daily roll-up.

`record` is the one way an event is written: the event row (append-only) and the bump of its roll-up row go
into the caller's transaction together. `rebuild_rollup` recomputes the roll-up from the events (bulk loads,
and a check that the two agree); `purge_before` removes old events and leaves the roll-up alone, so what
was reported stays reportable — and notes the purge (`activity_purges`), after which `rebuild_rollup` refuses
that school.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from zhurnal.core.errors import ZhurnalError
from zhurnal.core.models import MAX_LAG, ActivityDaily, ActivityEvent, ActivityPurge, utcnow
from zhurnal.core.validation import format_date

JOURNAL_KINDS = ("mark", "topic", "homework", "attendance")


class EventsPurged(ZhurnalError):
    """The roll-up of a school whose old events were purged cannot be recomputed from the events left."""


def lag_of(day: date, lesson_day: date | None) -> int:
    """Days from the lesson to the entry, clamped to -1..MAX_LAG; 0 for events without a lesson."""
    if lesson_day is None:
        return 0
    return max(-1, min(MAX_LAG, (day - lesson_day).days))


def _upsert(session: Session, values: dict[str, object]) -> None:
    keys = ["school_id", "kind", "day", "user_id", "class_id", "lag"]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    statement = dialect_insert(ActivityDaily).values(**values)
    statement = statement.on_conflict_do_update(index_elements=keys,
                                                set_={"events": ActivityDaily.events + statement.excluded.events})
    session.execute(statement)


def record(session: Session, *, school_id: int, user_id: int, kind: str, day: date, class_id: int | None = None,
           lesson_id: int | None = None, lesson_day: date | None = None, at: datetime | None = None) -> None:
    """Append one event and count it in its day's roll-up row."""
    session.add(ActivityEvent(school_id=school_id, user_id=user_id, at=at or utcnow(), day=day, kind=kind,
                              class_id=class_id, lesson_id=lesson_id, lesson_day=lesson_day))
    _upsert(session, {"school_id": school_id, "kind": kind, "day": day, "user_id": user_id,
                      "class_id": class_id or 0, "lag": lag_of(day, lesson_day), "events": 1})


def rebuild_rollup(session: Session, school_id: int | None = None) -> int:
    """Recompute the roll-up from the events (of one school, or all); returns the roll-up rows written.

    Only for bulk loads and checks: in normal work `record` keeps the roll-up current. Events purged earlier
    are no longer there to recount, so this refuses to run over a school whose events were ever purged
    (its roll-up holds more than the events can give back): EventsPurged, naming the school and the day.
    """
    purged = (select(ActivityPurge.school_id, func.max(ActivityPurge.purged_before))
              .group_by(ActivityPurge.school_id))
    if school_id is not None:
        purged = purged.where(ActivityPurge.school_id == school_id)
    refused = session.execute(purged.order_by(ActivityPurge.school_id)).all()
    if refused:
        schools = ", ".join(f"№ {school} (до {format_date(day)})" for school, day in refused)
        raise EventsPurged(f"Сводку активности нельзя пересчитать из событий: у школы {schools} старые события "
                           "удалены по сроку хранения, а сводка хранит их счёт и потеряла бы его")
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        days: ColumnElement[int] = type_coerce(ActivityEvent.day - ActivityEvent.lesson_day, Integer)
    else:
        julian = func.julianday(ActivityEvent.day, type_=Float) - func.julianday(ActivityEvent.lesson_day,
                                                                                 type_=Float)
        days = cast(julian, Integer)
    lag = case((ActivityEvent.lesson_day.is_(None), literal(0)), (days < -1, literal(-1)),
               (days > MAX_LAG, literal(MAX_LAG)), else_=days)
    where = [] if school_id is None else [ActivityEvent.school_id == school_id]
    clear = delete(ActivityDaily)
    if school_id is not None:
        clear = clear.where(ActivityDaily.school_id == school_id)
    session.execute(clear)
    grouped = (select(ActivityEvent.school_id, ActivityEvent.kind, ActivityEvent.day, ActivityEvent.user_id,
                      func.coalesce(ActivityEvent.class_id, 0), lag, func.count())
               .where(*where)
               # By position: PostgreSQL does not match the bound constants of a repeated expression.
               .group_by(*(literal_column(str(n)) for n in range(1, 7))))
    session.execute(insert(ActivityDaily).from_select(
        ["school_id", "kind", "day", "user_id", "class_id", "lag", "events"], grouped))
    # Counted, not the INSERT's rowcount: psycopg reports -1 for INSERT ... SELECT. The rows of the scope were
    # all deleted above, so what is there now is what was written.
    written = select(func.count()).select_from(ActivityDaily)
    if school_id is not None:
        written = written.where(ActivityDaily.school_id == school_id)
    return int(session.scalar(written) or 0)


def purge_before(session: Session, school_id: int, before: date) -> int:
    """Delete the school's events dated before `before`; their roll-up rows stay. Returns events removed.

    A purge that removed any is noted in `activity_purges` in the same transaction: from then on the roll-up
    counts more than the events, and `rebuild_rollup` refuses the school."""
    result = session.execute(delete(ActivityEvent).where(ActivityEvent.school_id == school_id,
                                                         ActivityEvent.day < before))
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        session.add(ActivityPurge(school_id=school_id, purged_before=before, events=removed, at=utcnow()))
    return removed
