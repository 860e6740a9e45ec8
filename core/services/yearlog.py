"""The record of a rollover run (what it created and changed), and undoing the last run exactly.

Opening and closing a year write through a `Recorder`: every created row and every changed row (with its old
values) becomes a RolloverItem. Undo walks the items backwards: changed rows get their old values back,
created rows are deleted. A row changed by someone since the run (its version moved on) stops the undo with
a Conflict naming it, since putting it back would throw that later work away; the automatic backup taken
before the run is then the way back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, exists, insert, or_, select
from sqlalchemy.exc import IntegrityError

from zhurnal.core.errors import Conflict, NotFound
from zhurnal.core.models import (
    AcademicYear,
    Attendance,
    CurriculumItem,
    Enrolment,
    Lesson,
    Mark,
    Order,
    Person,
    RolloverItem,
    RolloverRun,
    SchoolClass,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    Term,
    TermMark,
    YearArchiveFile,
    utcnow,
)
from zhurnal.core.uow import UnitOfWork

# Tables a run may touch, by name (RolloverItem.table_name).
MODELS: dict[str, Any] = {m.__tablename__: m for m in (
    AcademicYear, Term, SchoolClass, CurriculumItem, TeachingAssignment, Order, Enrolment, SubgroupMember,
    YearArchiveFile)}
KIND_NAMES = {"open": "открытие учебного года", "close": "закрытие учебного года"}
# One encoder for the thousands of old-value records of a run (json.dumps with options builds one per call).
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _decode(model: Any, field: str, value: Any) -> Any:
    if value is None:
        return None
    column_type = model.__table__.columns[field].type
    python_type = getattr(column_type, "python_type", None)
    if python_type is date:
        return date.fromisoformat(value)
    return value


class Recorder:
    """Collects the items of one run; `save` writes the run and its items (bulk) at the end of the apply."""

    def __init__(self, uow: UnitOfWork, kind: str, from_year_id: int | None) -> None:
        self.uow = uow
        self.kind = kind
        self.from_year_id = from_year_id
        self.items: list[dict[str, Any]] = []
        self.updated: list[tuple[str, Any, dict[str, Any]]] = []

    def created(self, row: Any) -> None:
        """A row this run inserted (flushed, so it has its id)."""
        self.items.append({"action": "create", "table_name": row.__tablename__, "row_id": row.id, "row": row})

    def created_row(self, table_name: str, row_id: int, version: int | None) -> None:
        """A row this run inserted in bulk (outside the mapper), by table, id and version."""
        self.items.append({"action": "create", "table_name": table_name, "row_id": row_id, "row": None,
                           "version": version})

    def changing(self, row: Any, fields: list[str]) -> None:
        """Call before changing `fields` of `row`: keeps their current values."""
        before = {f: _encode(getattr(row, f)) for f in [*fields, "version"]}
        self.items.append({"action": "update", "table_name": row.__tablename__, "row_id": row.id, "row": row,
                           "before": json.dumps(before, ensure_ascii=False, sort_keys=True)})

    def changed(self, table_name: str, row_id: int, before: dict[str, Any], version_after: int) -> None:
        """A row changed outside the mapper (in bulk): its old values (version included) and new version."""
        self.items.append({"action": "update", "table_name": table_name, "row_id": row_id, "row": None,
                           "version": version_after,
                           "before": _JSON.encode({f: _encode(v) for f, v in before.items()})})

    def save(self, to_year_id: int | None, summary: dict[str, Any]) -> RolloverRun:
        """Write the run and its items; call after the last change has been flushed (versions are final)."""
        uow = self.uow
        run = RolloverRun(school_id=uow.school_id, kind=self.kind, from_year_id=self.from_year_id,
                          to_year_id=to_year_id, user_id=uow.actor.user_id, login=uow.actor.login,
                          summary=json.dumps(summary, ensure_ascii=False, sort_keys=True))
        uow.session.add(run)
        uow.session.flush()
        rows = [{"run_id": run.id, "seq": seq, "action": item["action"], "table_name": item["table_name"],
                 "row_id": item["row_id"],
                 "version": item["version"] if "version" in item else getattr(item["row"], "version", None),
                 "before": item.get("before")} for seq, item in enumerate(self.items)]
        for start in range(0, len(rows), 1000):  # into the table: the ORM's bulk path costs a state per row
            uow.session.execute(insert(cast(Table, RolloverItem.__table__)), rows[start:start + 1000])
        return run


@dataclass(frozen=True)
class RunView:
    id: int
    kind: str  # open | close
    from_year_id: int | None
    to_year_id: int | None
    login: str
    created_at: datetime
    undone_at: datetime | None
    summary: dict[str, Any]
    items: int


@dataclass(frozen=True)
class UndoReport:
    run: RunView
    deleted: dict[str, int]  # table -> rows removed
    restored: dict[str, int]  # table -> rows given their old values back
    dry_run: bool


def last_run(uow: UnitOfWork) -> RolloverRun | None:
    """The school's newest run that is not undone."""
    return uow.session.scalars(select(RolloverRun).where(RolloverRun.school_id == uow.school_id,
                                                         RolloverRun.undone_at.is_(None))
                               .order_by(RolloverRun.id.desc())).first()


def run_view(uow: UnitOfWork, run: RolloverRun) -> RunView:
    count = len(uow.session.scalars(select(RolloverItem.id).where(RolloverItem.run_id == run.id)).all())
    return RunView(run.id, run.kind, run.from_year_id, run.to_year_id, run.login, run.created_at,
                   run.undone_at, json.loads(run.summary or "{}"), count)


def _journal_under(uow: UnitOfWork, enrolment_ids: list[int]) -> bool:
    """Whether a mark, an attendance record or a term mark was recorded for a student in the class of one of
    the enrolments since it started. Nothing refers to an enrolment by key (marks belong to the student and
    the lesson), so deleting it would leave them out of every journal without any constraint noticing."""
    for start in range(0, len(enrolment_ids), 1000):
        chunk = enrolment_ids[start:start + 1000]
        journal = (select(Enrolment.id).join(Lesson, and_(
            Lesson.class_id == Enrolment.class_id, Lesson.day >= Enrolment.start_date, Lesson.deleted_at.is_(None)))
            .where(Enrolment.id.in_(chunk), or_(
                exists().where(Mark.lesson_id == Lesson.id, Mark.student_id == Enrolment.person_id,
                               Mark.deleted_at.is_(None)),
                exists().where(Attendance.lesson_id == Lesson.id, Attendance.student_id == Enrolment.person_id))))
        term_marks = select(Enrolment.id).where(Enrolment.id.in_(chunk), exists().where(
            TermMark.student_id == Enrolment.person_id, TermMark.class_id == Enrolment.class_id))
        for query in (journal, term_marks):
            if uow.session.scalar(query.limit(1)) is not None:
                return True
    return False


def _later_members(uow: UnitOfWork, items: list[RolloverItem]) -> list[str]:
    """Subgroup places the run did not make that undoing it would leave behind, as "6А, Английский язык:
    Иванов Иван, …": any in a class the run created (an opening), and those of a student in the class an
    enrolment of the run started (a closing). Such a place was set by hand after the run — later work, like a
    mark — so undo names it instead of throwing it away (docs/year.md, "Subgroups")."""
    ours = {i.row_id for i in items if i.table_name == SubgroupMember.__tablename__}
    classes = [i.row_id for i in items if i.action == "create" and i.table_name == SchoolClass.__tablename__]
    started = [i.row_id for i in items if i.action == "create" and i.table_name == Enrolment.__tablename__]
    columns = (SubgroupMember.id, SchoolClass.name.label("class_name"), Subject.name.label("subject_name"),
               Person.last_name, Person.first_name)
    base = (select(*columns).join(SchoolClass, SchoolClass.id == SubgroupMember.class_id)
            .join(Subject, Subject.id == SubgroupMember.subject_id)
            .join(Person, Person.id == SubgroupMember.student_id))
    rows: list[Any] = []
    for start in range(0, len(classes), 1000):
        rows += uow.session.execute(base.where(SubgroupMember.class_id.in_(classes[start:start + 1000]))).all()
    for start in range(0, len(started), 1000):
        rows += uow.session.execute(base.join(Enrolment, and_(
            Enrolment.class_id == SubgroupMember.class_id, Enrolment.person_id == SubgroupMember.student_id))
            .where(Enrolment.id.in_(started[start:start + 1000]))).all()
    grouped: dict[tuple[str, str], list[str]] = {}
    seen: set[int] = set()
    for r in rows:
        if r.id in ours or r.id in seen:
            continue
        seen.add(r.id)
        grouped.setdefault((r.class_name, r.subject_name), []).append(f"{r.last_name} {r.first_name}")
    return [f"{class_name}, {subject}: " + ", ".join(sorted(names)[:5]) + (f" и ещё {len(names) - 5}"
                                                                         if len(names) > 5 else "")
            for (class_name, subject), names in sorted(grouped.items())]


def undo(uow: UnitOfWork, *, dry_run: bool = False) -> UndoReport:
    """Reverse the last run of the school. NotFound when there is none; Conflict when a row it touched was
    changed since (the message names it and points at the automatic backup)."""
    run = last_run(uow)
    if run is None:
        raise NotFound("Нет операции открытия или закрытия года, которую можно отменить")
    items = uow.session.scalars(select(RolloverItem).where(RolloverItem.run_id == run.id)
                                .order_by(RolloverItem.seq.desc())).all()
    by_table: dict[str, list[RolloverItem]] = {}
    for item in items:
        by_table.setdefault(item.table_name, []).append(item)
    loaded: dict[tuple[str, int], Any] = {}
    for table, group in by_table.items():
        model = MODELS[table]
        ids = [i.row_id for i in group]
        for start in range(0, len(ids), 1000):
            for row in uow.session.scalars(select(model).where(model.id.in_(ids[start:start + 1000]))):
                loaded[(table, row.id)] = row
    what = KIND_NAMES.get(run.kind, run.kind)
    for item in items:
        row = loaded.get((item.table_name, item.row_id))
        if row is None:
            raise Conflict(f"Отменить {what} нельзя: запись {item.table_name} № {item.row_id} уже удалена; "
                           "восстановите автоматическую резервную копию, сделанную перед операцией")
        if item.version is not None and getattr(row, "version", None) != item.version:
            raise Conflict(f"Отменить {what} нельзя: запись {item.table_name} № {item.row_id} изменена после "
                           "операции; восстановите автоматическую резервную копию, сделанную перед операцией")
    started = [i.row_id for i in items if i.action == "create" and i.table_name == Enrolment.__tablename__]
    if _journal_under(uow, started):
        raise Conflict(f"Отменить {what} нельзя: в журнале уже есть отметки или посещаемость обучающихся, "
                       "зачисленных этой операцией; восстановите автоматическую резервную копию, сделанную "
                       "перед операцией")
    later = _later_members(uow, list(items))
    if later:
        raise Conflict(f"Отменить {what} нельзя: после операции учеников распределили по подгруппам — "
                       + "; ".join(later[:5]) + (f"; и ещё в {len(later) - 5}" if len(later) > 5 else "")
                       + ". Уберите их из подгрупп или восстановите автоматическую резервную копию, сделанную "
                         "перед операцией")
    deleted: dict[str, int] = {}
    restored: dict[str, int] = {}
    for item in items:
        if item.action == "update":
            restored[item.table_name] = restored.get(item.table_name, 0) + 1
        else:
            deleted[item.table_name] = deleted.get(item.table_name, 0) + 1
    report = UndoReport(run_view(uow, run), deleted, restored, dry_run)
    if dry_run:
        return report
    try:
        # Updates first (they may point away from rows about to go), then deletes newest first, table by
        # table. Plain Core statements in bulk: a whole school stays fast, and the version column gets its
        # old value back too, so the rows are exactly as before the run.
        updates: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
        for item in items:
            if item.action == "update":
                model = MODELS[item.table_name]
                values = {f: _decode(model, f, v) for f, v in json.loads(item.before or "{}").items()}
                updates.setdefault((item.table_name, tuple(sorted(values))), []).append(
                    {"_id": item.row_id, **{f"_{f}": v for f, v in values.items()}})
        for key in list(loaded):
            uow.session.expunge(loaded[key])
        for (table_name, fields), params in updates.items():
            table = MODELS[table_name].__table__
            statement = (table.update().where(table.c.id == bindparam("_id"))
                         .values({f: bindparam(f"_{f}") for f in fields}))
            uow.session.execute(statement, params)
        pending: list[tuple[str, list[int]]] = []
        for item in items:
            if item.action != "create":
                continue
            if pending and pending[-1][0] == item.table_name:
                pending[-1][1].append(item.row_id)
            else:
                pending.append((item.table_name, [item.row_id]))
        for table, ids in pending:
            model = MODELS[table]
            for start in range(0, len(ids), 1000):
                uow.session.execute(delete(model).where(model.id.in_(ids[start:start + 1000]))
                                    .execution_options(synchronize_session=False))
        run.undone_at = utcnow()
        uow.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Отменить {what} нельзя: на созданные записи уже ссылаются другие данные "
                       "(например, зачисления или оценки); восстановите автоматическую резервную копию") from exc
    uow.audit(f"year.undo_{run.kind}", object_type="rollover_run", object_id=run.id,
              detail=f"удалено {sum(deleted.values())}, восстановлено {sum(restored.values())}")
    return report
