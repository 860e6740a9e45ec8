"""What the administrator's dashboard asks about that no other service answers: the things that need attention
(classes without a class teacher, students left without a class, accounts never activated) and the state of
the audit chain, and the last verified backup in the backup folder. Read-only; counts, class names and file
names only, no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, exists, func, not_, or_, select

from zhurnal.core.audit import verify_chain
from zhurnal.core.backup.service import backup_dir, list_backups
from zhurnal.core.models import AcademicYear, Enrolment, Guardianship, Person, SchoolClass, StaffPosition, User
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import letter_order
from zhurnal.core.services.enrolments import DEPART_REASONS
from zhurnal.core.uow import UnitOfWork


@dataclass(frozen=True)
class Attention:
    """Counts of what is out of order in the acting user's school on one date."""

    classes_without_teacher: list[str]  # names of the classes of the year(s) covering the date, in order
    students_without_class: int  # last enrolment ended without a departure, none running or planned
    persons_unplaced: int  # registered, but never enrolled, employed or linked to a student
    accounts_never_activated: int  # enabled accounts of the school that have never signed in


@dataclass(frozen=True)
class AuditChainState:
    """The audit chain walked end to end (what `zhurnal audit verify` reports)."""

    records: int
    ok: bool
    problem: str | None


@dataclass(frozen=True)
class VerifiedBackup:
    """The newest backup file whose `.verified` sidecar says it verified OK (and still matches the file)."""

    name: str
    created: datetime  # UTC, from the file name
    verified_at: datetime
    age: timedelta  # since `created`

    @property
    def days(self) -> int:
        return self.age.days

    @property
    def hours(self) -> int:
        return int(self.age.total_seconds() // 3600)


@dataclass(frozen=True)
class BackupState:
    """The backup folder as the dashboard sees it: how many complete backups, the newest verified one."""

    backups: int
    verified: VerifiedBackup | None


class DashboardService(Service):
    """Read-only questions of the dashboard."""

    area = "dashboard"

    @service("stats.read", write=False)
    def attention(self, uow: UnitOfWork, on: date | None = None) -> Attention:
        """What needs the administrator's attention in the school on `on` (today by default)."""
        day = on or date.today()
        school = uow.school_id
        session = uow.session

        classes = session.execute(
            select(SchoolClass.name, SchoolClass.parallel, SchoolClass.letter)
            .join(AcademicYear, AcademicYear.id == SchoolClass.year_id)
            .where(SchoolClass.school_id == school, SchoolClass.class_teacher_id.is_(None),
                   AcademicYear.start_date <= day, AcademicYear.end_date >= day)).all()
        without_teacher = [c.name for c in sorted(classes, key=lambda c: (c.parallel, letter_order(c.letter)))]

        # Students whose every enrolment here is over, the latest one ended without a departure (graduation,
        # transfer out...): nothing runs or is planned for them, yet no order let them go.
        ended = (select(Enrolment.person_id, func.max(Enrolment.end_date).label("last_day"))
                 .where(Enrolment.school_id == school).group_by(Enrolment.person_id)
                 .having(func.count(Enrolment.end_date) == func.count(), func.max(Enrolment.end_date) < day)
                 .subquery())
        students_without_class = session.scalar(
            select(func.count(func.distinct(Enrolment.person_id)))
            .join(ended, and_(ended.c.person_id == Enrolment.person_id, ended.c.last_day == Enrolment.end_date))
            .where(Enrolment.school_id == school,
                   or_(Enrolment.end_reason.is_(None), Enrolment.end_reason.not_in(list(DEPART_REASONS)))))

        unplaced = session.scalar(select(func.count()).select_from(Person).where(
            Person.school_id == school,
            not_(exists().where(Enrolment.person_id == Person.id)),
            not_(exists().where(StaffPosition.person_id == Person.id)),
            not_(exists().where(or_(Guardianship.parent_id == Person.id, Guardianship.student_id == Person.id))),
        ))

        never = session.scalar(select(func.count()).select_from(User).where(
            User.school_id == school, User.is_active.is_(True), User.last_login_at.is_(None)))
        return Attention(without_teacher, int(students_without_class or 0), int(unplaced or 0), int(never or 0))

    @service("audit.read", write=False)
    def audit_chain(self, uow: UnitOfWork) -> AuditChainState:
        """Walk the whole audit chain (it is one chain for the database) and say whether it is intact."""
        report = verify_chain(uow.session)
        return AuditChainState(report.count, report.ok, report.problem)


    @service("backup.create", write=False)
    def last_verified_backup(self, uow: UnitOfWork, folder: Path | None = None,
                             now: datetime | None = None) -> BackupState:
        """The newest backup in `folder` (the default backup folder) verified OK, with its age at `now`.
        Reads the folder and the sidecars only: nothing is decrypted, the database is not touched."""
        backups = list_backups(folder or backup_dir())  # newest first
        found = next((b for b in backups if b.state == "verified"), None)
        if found is None or found.verification is None:
            return BackupState(len(backups), None)
        age = max((now or datetime.now(UTC)) - found.created, timedelta(0))
        return BackupState(len(backups), VerifiedBackup(found.name, found.created,
                                                        found.verification.verified_at, age))
