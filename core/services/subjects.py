"""Subjects of a school: create, rename, archive and bring back, list.

Names are unique per school with case and ё folded ("Алгебра" and "АЛГЕБРА" are one subject). Archiving
hides a subject from new curricula and assignments; nothing that already refers to it changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from zhurnal.core.errors import Conflict, NotFound
from zhurnal.core.models import Subject
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.common import check_version, clean_label, flush, refuse
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import fold


@dataclass(frozen=True)
class SubjectView:
    id: int
    name: str
    short_name: str | None
    archived: bool
    version: int


def subject_view(row: Subject) -> SubjectView:
    """The plain view of a subject row."""
    return SubjectView(row.id, row.name, row.short_name, row.archived, row.version)


def get_subject(uow: UnitOfWork, subject_id: int) -> Subject:
    """The subject if it belongs to the acting user's school, else NotFound."""
    row = uow.session.get(Subject, subject_id)
    if row is None or row.school_id != uow.school_id:
        raise NotFound(f"Предмет № {subject_id} не найден")
    return row


def _clean(name: str, short_name: str | None) -> tuple[str, str | None]:
    clean_name, problems = clean_label(name, "name", "Название предмета", required=True, max_len=200)
    clean_short, found = clean_label(short_name, "short_name", "Краткое название", max_len=40)
    refuse(problems + found)
    assert clean_name is not None
    return clean_name, clean_short


def _refuse_same_name(uow: UnitOfWork, name: str, exclude_id: int | None = None) -> None:
    key = fold(name)
    for row in uow.session.scalars(select(Subject).where(Subject.school_id == uow.school_id)):
        if row.id != exclude_id and fold(row.name) == key:
            where = " (в архиве — верните его оттуда)" if row.archived else ""
            raise Conflict(f"Предмет «{row.name}» уже есть{where}")


class SubjectService(Service):
    """The school's subjects."""

    area = "subject"

    @service("school.write")
    def create(self, uow: UnitOfWork, name: str, short_name: str | None = None) -> SubjectView:
        """Add a subject; a name already used (case and ё folded, archived included) is a Conflict."""
        clean_name, clean_short = _clean(name, short_name)
        _refuse_same_name(uow, clean_name)
        row = Subject(school_id=uow.school_id, name=clean_name, short_name=clean_short, archived=False)
        uow.session.add(row)
        flush(uow, f"Предмет «{clean_name}»")
        uow.audit("subject.create", object_type="subject", object_id=row.id,
                  fields=["name"] + (["short_name"] if clean_short else []))
        return subject_view(row)

    @service("school.write")
    def rename(self, uow: UnitOfWork, subject_id: int, expected_version: int, name: str,
               short_name: str | None = None) -> SubjectView:
        """Set the name and short name (None clears it). Final marks keep the title they were given under."""
        row = get_subject(uow, subject_id)
        check_version(row, expected_version, f"Предмет «{row.name}»")
        clean_name, clean_short = _clean(name, short_name)
        _refuse_same_name(uow, clean_name, exclude_id=row.id)
        changed = [f for f, v in (("name", clean_name), ("short_name", clean_short)) if getattr(row, f) != v]
        if changed:
            row.name, row.short_name = clean_name, clean_short
            flush(uow, f"Предмет «{clean_name}»")
            uow.audit("subject.update", object_type="subject", object_id=row.id, fields=changed)
        return subject_view(row)

    @service("school.write")
    def archive(self, uow: UnitOfWork, subject_id: int, expected_version: int) -> SubjectView:
        """Hide the subject from lists, new curricula and new assignments."""
        return self._set_archived(uow, subject_id, expected_version, True)

    @service("school.write")
    def unarchive(self, uow: UnitOfWork, subject_id: int, expected_version: int) -> SubjectView:
        """Bring an archived subject back."""
        return self._set_archived(uow, subject_id, expected_version, False)

    @staticmethod
    def _set_archived(uow: UnitOfWork, subject_id: int, expected_version: int, archived: bool) -> SubjectView:
        row = get_subject(uow, subject_id)
        check_version(row, expected_version, f"Предмет «{row.name}»")
        if row.archived != archived:
            row.archived = archived
            flush(uow, f"Предмет «{row.name}»")
            uow.audit("subject.archive" if archived else "subject.unarchive", object_type="subject",
                      object_id=row.id, fields=["archived"])
        return subject_view(row)

    @service("school.read")
    def get(self, uow: UnitOfWork, subject_id: int) -> SubjectView:
        """One subject of the school."""
        return subject_view(get_subject(uow, subject_id))

    @service("school.read")
    def list(self, uow: UnitOfWork, include_archived: bool = False) -> list[SubjectView]:
        """Subjects by name (folded, the same order on every engine); archived ones only when asked."""
        query = select(Subject).where(Subject.school_id == uow.school_id)
        if not include_archived:
            query = query.where(Subject.archived.is_(False))
        return sorted((subject_view(r) for r in uow.session.scalars(query)), key=lambda s: (fold(s.name), s.id))
