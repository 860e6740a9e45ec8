"""Announcements: the administrator (or the deputy director) posts a notice to everyone, to the holders of some
roles or to the people of some classes; each addressed user sees it at login and on the start screen until
they mark it read, it expires or it is withdrawn.

Who is addressed is resolved when a user looks, on that day: a class reaches its students enrolled on the day,
the parents of those students, its class teacher and the teachers with a teaching assignment in it. A role
reaches the holders of the role in the school. Posting and withdrawing are audited (the audience, never the
text); reading one's own announcements is not personal data of anyone else and is not audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import (
    AcademicYear,
    Announcement,
    AnnouncementRead,
    AnnouncementTarget,
    Enrolment,
    Guardianship,
    SchoolClass,
    TeachingAssignment,
    utcnow,
)
from zhurnal.core.permissions import ROLES
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import letter_order
from zhurnal.core.services.common import clean_label, refuse, relabel
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_multiline, format_date

TITLE_MAX = 200
BODY_MAX = 10_000
MAX_LIST = 500


@dataclass(frozen=True)
class Audience:
    """Who an announcement goes to: everyone, or the holders of `roles` and the people of `classes`."""

    everyone: bool = False
    roles: tuple[str, ...] = ()
    class_ids: tuple[int, ...] = ()
    class_names: tuple[str, ...] = ()  # filled in by the service, in the order of `class_ids`

    def describe(self) -> str:
        """A short Russian summary ("все", "роли: учителя; классы: 5А, 6Б") for lists and the audit detail."""
        if self.everyone:
            return "все"
        parts = []
        if self.roles:
            parts.append("роли: " + ", ".join(self.roles))
        if self.class_names:
            parts.append("классы: " + ", ".join(self.class_names))
        return "; ".join(parts)


@dataclass(frozen=True)
class AnnouncementView:
    """An announcement as its authors see it, with how many users have read it."""

    id: int
    title: str
    body: str
    audience: Audience
    author_login: str
    posted_at: datetime
    expires_on: date | None
    withdrawn_at: datetime | None
    reads: int

    def active_on(self, day: date) -> bool:
        return self.withdrawn_at is None and (self.expires_on is None or self.expires_on >= day)


@dataclass(frozen=True)
class MyAnnouncement:
    """An announcement addressed to the acting user; `read` once they dismissed it."""

    id: int
    title: str
    body: str
    author_login: str
    posted_at: datetime
    expires_on: date | None
    read: bool


def _running(start: InstrumentedAttribute[date], end: InstrumentedAttribute[date | None],
             day: date) -> ColumnElement[bool]:
    return (start <= day) & or_(end.is_(None), end >= day)


def my_class_ids(uow: UnitOfWork, person_id: int | None, day: date) -> set[int]:
    """The classes the person belongs to on `day`: as a student, as a parent of a student, as their class teacher
    or as a teacher with a teaching assignment in them (classes of a year covering the day)."""
    if person_id is None:
        return set()
    session, school = uow.session, uow.school_id
    own = select(Enrolment.class_id).where(
        Enrolment.school_id == school, Enrolment.person_id == person_id,
        _running(Enrolment.start_date, Enrolment.end_date, day))
    children = select(Guardianship.student_id).where(
        Guardianship.school_id == school, Guardianship.parent_id == person_id,
        _running(Guardianship.start_date, Guardianship.end_date, day))
    of_children = select(Enrolment.class_id).where(
        Enrolment.school_id == school, Enrolment.person_id.in_(children),
        _running(Enrolment.start_date, Enrolment.end_date, day))
    in_year = (select(SchoolClass.id).join(AcademicYear, AcademicYear.id == SchoolClass.year_id)
               .where(SchoolClass.school_id == school, AcademicYear.start_date <= day, AcademicYear.end_date >= day))
    led = in_year.where(SchoolClass.class_teacher_id == person_id)
    taught = select(TeachingAssignment.class_id).where(
        TeachingAssignment.school_id == school, TeachingAssignment.teacher_id == person_id,
        TeachingAssignment.deleted_at.is_(None), TeachingAssignment.class_id.in_(in_year))
    ids: set[int] = set()
    for query in (own, of_children, led, taught):
        ids.update(session.scalars(query))
    return ids


def _addressed(uow: UnitOfWork, day: date) -> ColumnElement[bool]:
    """The condition on Announcement for "addressed to the acting user on `day` and still shown"."""
    actor = uow.actor
    roles = sorted(actor.roles)
    classes = sorted(my_class_ids(uow, actor.person_id, day))
    target = AnnouncementTarget
    by_role = exists().where(target.announcement_id == Announcement.id, target.kind == "role",
                             target.role.in_(roles)) if roles else None
    by_class = exists().where(target.announcement_id == Announcement.id, target.kind == "class",
                              target.class_id.in_(classes)) if classes else None
    audience = or_(Announcement.everyone.is_(True), *(c for c in (by_role, by_class) if c is not None))
    return (Announcement.school_id == uow.school_id) & Announcement.withdrawn_at.is_(None) & or_(
        Announcement.expires_on.is_(None), Announcement.expires_on >= day) & audience


def _audiences(uow: UnitOfWork, ids: Sequence[int], everyone: dict[int, bool]) -> dict[int, Audience]:
    roles: dict[int, list[str]] = {i: [] for i in ids}
    classes: dict[int, list[tuple[int, str, int, int]]] = {i: [] for i in ids}
    if ids:
        rows = uow.session.execute(
            select(AnnouncementTarget.announcement_id, AnnouncementTarget.kind, AnnouncementTarget.role,
                   SchoolClass.id, SchoolClass.name, SchoolClass.parallel, SchoolClass.letter)
            .outerjoin(SchoolClass, SchoolClass.id == AnnouncementTarget.class_id)
            .where(AnnouncementTarget.announcement_id.in_(ids)).order_by(AnnouncementTarget.id)).all()
        for ann_id, kind, role, class_id, name, parallel, letter in rows:
            if kind == "role" and role is not None:
                roles[ann_id].append(role)
            elif class_id is not None:
                classes[ann_id].append((class_id, name, parallel, letter_order(letter)))
    result = {}
    for ann_id in ids:
        ordered = sorted(classes[ann_id], key=lambda c: (c[2], c[3]))
        role_order = sorted(roles[ann_id], key=list(ROLES).index)
        result[ann_id] = Audience(everyone[ann_id], tuple(role_order), tuple(c[0] for c in ordered),
                                  tuple(c[1] for c in ordered))
    return result


def _views(uow: UnitOfWork, *conditions: ColumnElement[bool]) -> list[AnnouncementView]:
    reads = (select(AnnouncementRead.announcement_id, func.count().label("n"))
             .group_by(AnnouncementRead.announcement_id).subquery())
    rows = uow.session.execute(
        select(Announcement, func.coalesce(reads.c.n, 0))
        .outerjoin(reads, reads.c.announcement_id == Announcement.id)
        .where(Announcement.school_id == uow.school_id, *conditions)
        .order_by(Announcement.posted_at.desc(), Announcement.id.desc()).limit(MAX_LIST)).all()
    audiences = _audiences(uow, [a.id for a, _ in rows], {a.id: a.everyone for a, _ in rows})
    return [AnnouncementView(a.id, a.title, a.body, audiences[a.id], a.author_login, a.posted_at, a.expires_on,
                             a.withdrawn_at, int(n)) for a, n in rows]


def _clean_audience(uow: UnitOfWork, audience: Audience) -> tuple[Audience, list[Problem]]:
    """The audience with duplicates dropped and class names filled in, and what is wrong with it."""
    problems: list[Problem] = []
    unknown = [r for r in audience.roles if r not in ROLES]
    if unknown:
        problems.append(Problem("roles", "unknown", f"Роли: неизвестные роли {', '.join(unknown)}; "
                                                    f"допустимы: {', '.join(ROLES)}"))
    class_ids = tuple(dict.fromkeys(audience.class_ids))
    found = {row.id: row for row in uow.session.execute(
        select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school_id == uow.school_id,
                                                       SchoolClass.id.in_(class_ids)))} if class_ids else {}
    missing = [str(c) for c in class_ids if c not in found]
    if missing:
        problems.append(Problem("classes", "not_found", f"Классы: в школе нет классов с номерами записей "
                                                        f"{', '.join(missing)}"))
    if not audience.everyone and not audience.roles and not class_ids:
        problems.append(Problem("audience", "required", "Кому: выберите всех, роли или классы"))
    if audience.everyone:
        return Audience(everyone=True), problems
    names = tuple(found[c].name if c in found else "" for c in class_ids)
    return Audience(False, tuple(dict.fromkeys(audience.roles)), class_ids, names), problems


class AnnouncementService(Service):
    """Post, list and withdraw announcements; read one's own and mark them read.

    `list` comes last: inside the class body its name would shadow the built-in in later annotations."""

    area = "announcement"

    @service("announcements.post")
    def post(self, uow: UnitOfWork, title: str, body: str, audience: Audience, *, expires_on: date | None = None,
             today: date | None = None) -> AnnouncementView:
        """Post an announcement to `audience` (everyone, roles, classes of this school), shown from now until
        `expires_on` inclusive (None: until withdrawn). The audience is audited, the text is not."""
        clean_title, problems = clean_label(title, "title", "Заголовок", required=True, max_len=TITLE_MAX)
        clean_body, body_problems = clean_multiline(body, "body", required=True, max_len=BODY_MAX)
        problems += relabel(body_problems, "body", "Текст")
        day = today or date.today()
        if expires_on is not None and expires_on < day:
            problems.append(Problem("expires_on", "out_of_range",
                                    f"Показывать до: {format_date(expires_on)} уже прошло"))
        clean, audience_problems = _clean_audience(uow, audience)
        refuse(problems + audience_problems)
        assert clean_title is not None and clean_body is not None
        row = Announcement(school_id=uow.school_id, title=clean_title, body=clean_body, everyone=clean.everyone,
                           author_id=uow.actor.user_id, author_login=uow.actor.login, expires_on=expires_on)
        uow.session.add(row)
        uow.session.flush()
        uow.session.add_all([AnnouncementTarget(announcement_id=row.id, kind="role", role=r) for r in clean.roles])
        uow.session.add_all([AnnouncementTarget(announcement_id=row.id, kind="class", class_id=c)
                             for c in clean.class_ids])
        uow.session.flush()
        posted = _views(uow, Announcement.id == row.id)[0]
        uow.audit("announcement.post", object_type="announcement", object_id=row.id,
                  fields=["title", "body", "audience", *(["expires_on"] if expires_on else [])],
                  detail=posted.audience.describe())
        return posted

    @service("announcements.post")
    def withdraw(self, uow: UnitOfWork, announcement_id: int) -> AnnouncementView:
        """Stop showing an announcement to anyone (it stays in the list, marked withdrawn)."""
        row = uow.session.get(Announcement, announcement_id, with_for_update=True)
        if row is None or row.school_id != uow.school_id:
            raise NotFound(f"Объявление с номером {announcement_id} не найдено")
        if row.withdrawn_at is not None:
            raise Conflict(f"Объявление «{row.title}» уже снято")
        row.withdrawn_at = utcnow()
        row.withdrawn_by = uow.actor.user_id
        uow.session.flush()
        uow.audit("announcement.withdraw", object_type="announcement", object_id=row.id, fields=["withdrawn_at"])
        return _views(uow, Announcement.id == row.id)[0]

    @service("announcements.post", write=False)
    def get(self, uow: UnitOfWork, announcement_id: int) -> AnnouncementView:
        """One announcement of the school."""
        found = _views(uow, Announcement.id == announcement_id)
        if not found:
            raise NotFound(f"Объявление с номером {announcement_id} не найдено")
        return found[0]

    @service("self.messages", write=False)
    def mine(self, uow: UnitOfWork, *, on: date | None = None, unread_only: bool = False) -> list[MyAnnouncement]:
        """The announcements addressed to the acting user and shown on `on` (today by default), newest first."""
        if uow.actor.user_id is None or uow.actor.school_id is None:
            return []  # the bootstrap actor, or a district account outside any school: nothing is addressed
        day = on or date.today()
        read = exists().where(AnnouncementRead.announcement_id == Announcement.id,
                              AnnouncementRead.user_id == uow.actor.user_id)
        query = select(Announcement, read).where(_addressed(uow, day))
        if unread_only:
            query = query.where(~read)
        rows = uow.session.execute(query.order_by(Announcement.posted_at.desc(), Announcement.id.desc())
                                   .limit(MAX_LIST)).all()
        return [MyAnnouncement(a.id, a.title, a.body, a.author_login, a.posted_at, a.expires_on, bool(is_read))
                for a, is_read in rows]

    @service("self.messages")
    def mark_read(self, uow: UnitOfWork, announcement_ids: Iterable[int], *, on: date | None = None) -> int:
        """Mark announcements addressed to the acting user as read; returns how many were unread. Ids not
        addressed to the user (or already read) are skipped."""
        user_id = uow.actor.user_id
        if user_id is None:
            raise ValidationFailed([Problem("user", "no_account", "Отметить прочитанным может только "
                                                                  "вошедший пользователь")])
        wanted = set(announcement_ids)
        if not wanted:
            return 0
        day = on or date.today()
        already = exists().where(AnnouncementRead.announcement_id == Announcement.id,
                                 AnnouncementRead.user_id == user_id)
        ids = list(uow.session.scalars(select(Announcement.id).where(
            _addressed(uow, day), Announcement.id.in_(wanted), ~already)))
        uow.session.add_all([AnnouncementRead(announcement_id=i, user_id=user_id) for i in sorted(ids)])
        uow.session.flush()
        return len(ids)

    @service("announcements.post", write=False)
    def list(self, uow: UnitOfWork, *, include_withdrawn: bool = True) -> list[AnnouncementView]:
        """The school's announcements, newest first (the latest MAX_LIST), with the number of users who read
        each."""
        conditions = [] if include_withdrawn else [Announcement.withdrawn_at.is_(None)]
        return _views(uow, *conditions)
