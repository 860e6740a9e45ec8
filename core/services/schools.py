"""Creating a school (the first step of `zhurnal init`) and reading or changing its profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import AcademicYear, GradeLevel, RoleGrant, School, Term, User
from zhurnal.core.passwords import hash_password, password_problems
from zhurnal.core.permissions import Actor
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.calendar import default_terms, school_year_start, year_bounds, year_name
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, clean_text

FINAL_GRADE = 11
BASIC_GRADE = 9


@dataclass(frozen=True)
class InitialisedSchool:
    school_id: int
    year_id: int
    admin: Actor


@dataclass(frozen=True)
class SchoolView:
    id: int
    code: str
    name: str
    short_name: str | None
    address: str | None
    term_kind: str
    version: int


def _view(school: School) -> SchoolView:
    return SchoolView(school.id, school.code, school.name, school.short_name, school.address,
                      school.term_kind, school.version)


def create_school_rows(uow: UnitOfWork, *, name: str, code: str, term_kind: str = "quarter",
                       today: date | None = None) -> tuple[School, AcademicYear]:
    """Insert a school, its grade levels 1..11 with their progression, and the current year with terms."""
    session = uow.session
    school = School(code=code, name=name, term_kind=term_kind)
    session.add(school)
    session.flush()
    levels: dict[int, GradeLevel] = {}
    for number in range(FINAL_GRADE, 0, -1):
        completes = {BASIC_GRADE: "basic", FINAL_GRADE: "secondary"}.get(number)
        level = GradeLevel(school_id=school.id, number=number, name=f"{number} класс",
                           next_level_id=levels[number + 1].id if number < FINAL_GRADE else None,
                           is_terminal=completes is not None, completes=completes)
        session.add(level)
        session.flush()
        levels[number] = level
    start_year = school_year_start(today or date.today())
    start, end = year_bounds(start_year)
    year = AcademicYear(school_id=school.id, name=year_name(start_year), start_date=start, end_date=end,
                        status="open")
    session.add(year)
    session.flush()
    for number, (term_name, term_start, term_end) in enumerate(default_terms(start_year, term_kind), 1):
        session.add(Term(school_id=school.id, year_id=year.id, kind=term_kind, number=number, name=term_name,
                         start_date=term_start, end_date=term_end))
    uow.audit("school.create", object_type="school", object_id=school.id)
    uow.audit("year.create", object_type="academic_year", object_id=year.id)
    return school, year


class SchoolService(Service):
    """The school itself: initialisation and profile."""

    area = "school"

    def initialise(self, *, name: str, code: str, admin_login: str, admin_password: str,
                   term_kind: str = "quarter", today: date | None = None) -> InitialisedSchool:
        """Create a school and its first administrator (`zhurnal init`). Runs as the bootstrap actor."""
        clean_name, problems = clean_text(name, "school_name", required=True, max_len=300)
        login = admin_login.strip().lower()  # logins are case-insensitive and stored in lower case
        if not login or not login.isascii() or " " in login:
            problems.append(Problem("login", "bad_format", "Имя входа: латинские буквы, цифры, точка, дефис"))
        problems += [Problem("password", "weak", m) for m in
                     password_problems(admin_password, login=login, school_name=clean_name, is_admin=True)]
        if problems:
            raise ValidationFailed(problems)
        assert clean_name is not None
        system = Actor.system("init")
        with UnitOfWork(self.store, system) as uow:
            if uow.session.scalar(select(School.id).where(School.code == code)) is not None:
                raise Conflict(f"Школа с кодом «{code}» уже есть")
            if uow.session.scalar(select(User.id).where(User.login == login)) is not None:
                raise Conflict(f"Имя входа «{login}» уже занято")
            school, year = create_school_rows(uow, name=clean_name, code=code, term_kind=term_kind,
                                              today=today)
            user = User(login=login, school_id=school.id, password_hash=hash_password(admin_password))
            uow.session.add(user)
            uow.session.flush()
            uow.session.add(RoleGrant(user_id=user.id, role="admin", school_id=school.id))
            uow.audit("user.create", object_type="user", object_id=user.id)
            uow.audit("role.grant", object_type="user", object_id=user.id, detail="admin")
            uow.commit()
            admin = Actor(user.id, login, school.id, frozenset({"admin"}))
            return InitialisedSchool(school.id, year.id, admin)

    @service("school.read")
    def get(self, uow: UnitOfWork) -> SchoolView:
        """The acting user's current school."""
        school = uow.session.get(School, uow.school_id)
        if school is None:
            raise NotFound("Школа не найдена")
        return _view(school)

    @service("school.read")
    def list(self, uow: UnitOfWork) -> list[SchoolView]:
        """Every school in the database (a district holds many)."""
        return [_view(s) for s in uow.session.scalars(select(School).order_by(School.id))]
