"""School settings (grading scale, lock period, term structure, account and activity periods) and the profile.

Settings are typed: each key has a validator and a default, values are stored as JSON in `settings` rows
(one per school and key); the term kinds live on the School and GradeLevel rows they belong to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from zhurnal.core.errors import NotFound, ValidationFailed
from zhurnal.core.models import TERM_KINDS, AcademicYear, GradeLevel, School, Setting, Term
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import grade_level
from zhurnal.core.services.common import check_version, clean_label, flush, refuse
from zhurnal.core.services.schools import SchoolView
from zhurnal.core.services.years import KIND_NAMES
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, fold

GRADING_KINDS = ("five_point", "ten_point", "hundred_point", "custom")
DEFAULT_GRADING_SCALE: dict[str, Any] = {"kind": "five_point", "marks": ["1", "2", "3", "4", "5"],
                                         "pass_fail": False, "allow_na": True}
MAX_MARKS, MAX_MARK_LEN = 101, 8
# key -> (Russian label, default, lowest, highest)
INT_SETTINGS: dict[str, tuple[str, int, int, int]] = {
    "grade_lock_days": ("Срок, после которого отметки закрываются (дней)", 7, 0, 60),
    "inactive_account_days": ("Учётная запись неактивна после (дней без входа)", 30, 1, 365),
    "activity_retention_days": ("Срок хранения журнала активности (дней)", 365, 90, 3650),
}
KEYS = ("grading_scale", *INT_SETTINGS, "term_kind")
# field, Russian label, required, longest length
PROFILE_FIELDS = (("name", "Название школы", True, 300), ("short_name", "Краткое название", False, 120),
                  ("address", "Адрес", False, 500))
_SCALE_LABEL = "Шкала оценивания"
_TERM_LABEL = "Деление учебного года"


@dataclass(frozen=True)
class GradingScale:
    kind: str
    marks: tuple[str, ...]
    pass_fail: bool
    allow_na: bool


@dataclass(frozen=True)
class SchoolSettings:
    """Every setting of the school, defaults filled in."""

    grading_scale: GradingScale
    grade_lock_days: int
    term_kind: str  # the school's default
    inactive_account_days: int
    activity_retention_days: int
    grade_term_kinds: dict[int, str | None] = field(default_factory=dict)  # grade -> override or None

    def term_kind_for(self, grade: int) -> str:
        """The term kind a grade uses: its own override, else the school's default."""
        return self.grade_term_kinds.get(grade) or self.term_kind


def _bad(key: str, code: str, text: str) -> ValidationFailed:
    return ValidationFailed([Problem(key, code, text)])


def clean_scale(value: object) -> dict[str, Any]:
    """A grading scale dict (missing keys take the default's values); ValidationFailed naming what is wrong."""
    if not isinstance(value, dict):
        raise _bad("grading_scale", "bad_format", f"{_SCALE_LABEL}: ожидается набор полей kind, marks, "
                                                  "pass_fail, allow_na")
    unknown = sorted(set(value) - set(DEFAULT_GRADING_SCALE))
    if unknown:
        raise _bad("grading_scale", "bad_format", f"{_SCALE_LABEL}: неизвестные поля {', '.join(unknown)}")
    scale = {**DEFAULT_GRADING_SCALE, **value}
    problems: list[Problem] = []
    if scale["kind"] not in GRADING_KINDS:
        problems.append(Problem("grading_scale", "bad_format", f"{_SCALE_LABEL}: вид «{scale['kind']}» "
                                                               f"неизвестен; допустимы {', '.join(GRADING_KINDS)}"))
    for flag in ("pass_fail", "allow_na"):
        if not isinstance(scale[flag], bool):
            problems.append(Problem("grading_scale", "bad_format", f"{_SCALE_LABEL}: {flag} — ожидается "
                                                                   "да/нет (true/false)"))
    marks = scale["marks"]
    if not isinstance(marks, list | tuple) or not 1 <= len(marks) <= MAX_MARKS:
        problems.append(Problem("grading_scale", "bad_format", f"{_SCALE_LABEL}: marks — список от 1 до "
                                                               f"{MAX_MARKS} отметок"))
    else:
        cleaned = []
        for mark in marks:
            text, found = clean_label(mark if isinstance(mark, str) else None, "grading_scale",
                                      f"{_SCALE_LABEL}: отметка «{mark}»", required=True, max_len=MAX_MARK_LEN)
            problems += found
            cleaned.append(text or "")
        repeated = sorted({m for m in cleaned if m and [fold(c) for c in cleaned].count(fold(m)) > 1})
        if repeated:
            problems.append(Problem("grading_scale", "duplicate", f"{_SCALE_LABEL}: отметки повторяются: "
                                                                  f"{', '.join(repeated)}"))
        scale["marks"] = cleaned
    refuse(problems)
    return scale


def clean_int(key: str, value: object) -> int:
    """An integer setting inside its range (a string of digits is accepted)."""
    label, _, low, high = INT_SETTINGS[key]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdecimal():
        number = int(value.strip())
    if number is None:
        raise _bad(key, "bad_format", f"{label}: «{value}» — ожидается целое число от {low} до {high}")
    if not low <= number <= high:
        raise _bad(key, "out_of_range", f"{label}: {number} — допускается от {low} до {high}")
    return number


def clean_term_kind(value: object) -> str:
    """One of TERM_KINDS, else ValidationFailed."""
    if isinstance(value, str) and value in TERM_KINDS:
        return value
    raise _bad("term_kind", "bad_format", f"{_TERM_LABEL}: «{value}» — допустимы quarter (четверти), "
                                          "trimester (триместры), half (полугодия)")


def _stored(uow: UnitOfWork) -> dict[str, Setting]:
    return {s.key: s for s in uow.session.scalars(select(Setting).where(Setting.school_id == uow.school_id))}


def _school(uow: UnitOfWork) -> School:
    school = uow.session.get(School, uow.school_id)
    if school is None:
        raise NotFound("Школа не найдена")
    return school


def _read(rows: dict[str, Setting], key: str) -> Any:
    """A stored value, or the default when absent or unreadable (a hand-edited row never breaks the app)."""
    default = DEFAULT_GRADING_SCALE if key == "grading_scale" else INT_SETTINGS[key][1]
    if key not in rows:
        return default
    try:
        value = json.loads(rows[key].value)
        return clean_scale(value) if key == "grading_scale" else clean_int(key, value)
    except (ValueError, ValidationFailed):
        return default


def _settings(uow: UnitOfWork) -> SchoolSettings:
    rows = _stored(uow)
    scale = _read(rows, "grading_scale")
    levels = uow.session.scalars(select(GradeLevel).where(GradeLevel.school_id == uow.school_id))
    return SchoolSettings(
        GradingScale(scale["kind"], tuple(scale["marks"]), scale["pass_fail"], scale["allow_na"]),
        _read(rows, "grade_lock_days"), _school(uow).term_kind, _read(rows, "inactive_account_days"),
        _read(rows, "activity_retention_days"), {lv.number: lv.term_kind for lv in levels})


def _require_terms(uow: UnitOfWork, kind: str, today: date) -> None:
    """Every year still running or ahead must have terms of `kind` before a grade switches to it."""
    years = uow.session.scalars(select(AcademicYear).where(
        AcademicYear.school_id == uow.school_id, AcademicYear.status != "closed", AcademicYear.end_date >= today)
        .order_by(AcademicYear.start_date))
    for year in years:
        if uow.session.scalar(select(Term.id).where(Term.year_id == year.id, Term.kind == kind).limit(1)) is None:
            raise _bad("term_kind", "no_terms", f"{_TERM_LABEL}: в учебном году {year.name} не заданы "
                                                f"{KIND_NAMES[kind][0]} — сначала задайте их даты")


class SettingsService(Service):
    """Typed school settings and the school profile."""

    area = "settings"

    @service("school.read")
    def get_all(self, uow: UnitOfWork) -> SchoolSettings:
        """Every setting, defaults filled in."""
        return _settings(uow)

    @service("settings.write")
    def set(self, uow: UnitOfWork, key: str, value: object, *, grade: int | None = None,
            today: date | None = None) -> SchoolSettings:
        """Change one setting. `grade` is only for "term_kind": it sets that grade's own kind (None clears
        the override, so the grade follows the school); without it "term_kind" is the school's default."""
        if key not in KEYS:
            raise _bad("key", "unknown", f"Настройка «{key}» неизвестна; допустимы: {', '.join(KEYS)}")
        if grade is not None and key != "term_kind":
            raise _bad("grade", "bad_format", f"Настройка «{key}» общая для школы, класс для неё не указывают")
        if key == "term_kind":
            self._set_term_kind(uow, value, grade, today or date.today())
            return _settings(uow)
        clean = clean_scale(value) if key == "grading_scale" else clean_int(key, value)
        rows = _stored(uow)
        text = json.dumps(clean, ensure_ascii=False, sort_keys=True)
        row = rows.get(key)
        if row is None:
            row = Setting(school_id=uow.school_id, key=key, value=text)
            uow.session.add(row)
        elif row.value != text:
            row.value = text
        else:
            return _settings(uow)
        flush(uow, f"Настройка «{key}»")
        uow.audit("settings.update", object_type="setting", object_id=row.id, fields=[key])
        return _settings(uow)

    @staticmethod
    def _set_term_kind(uow: UnitOfWork, value: object, grade: int | None, today: date) -> None:
        school = _school(uow)
        if grade is None:
            kind = clean_term_kind(value)
            if school.term_kind != kind:
                _require_terms(uow, kind, today)
                school.term_kind = kind
                flush(uow, _TERM_LABEL)
                uow.audit("settings.update", object_type="school", object_id=school.id, fields=["term_kind"])
            return
        level = grade_level(uow, grade, field="grade")
        override = None if value is None else clean_term_kind(value)
        if level.term_kind != override:
            _require_terms(uow, override or school.term_kind, today)
            level.term_kind = override
            flush(uow, _TERM_LABEL)
            uow.audit("settings.update", object_type="grade_level", object_id=level.id, fields=["term_kind"],
                      detail=f"grade {grade}")

    @service("settings.write")
    def update_profile(self, uow: UnitOfWork, expected_version: int, name: str, short_name: str | None,
                       address: str | None) -> SchoolView:
        """Change the school's name, short name and address."""
        school = _school(uow)
        check_version(school, expected_version, "Профиль школы")
        given = {"name": name, "short_name": short_name, "address": address}
        values: dict[str, str | None] = {}
        problems: list[Problem] = []
        for key, label, required, max_len in PROFILE_FIELDS:
            values[key], found = clean_label(given[key], key, label, required=required, max_len=max_len)
            problems += found
        refuse(problems)
        changed = [key for key, value in values.items() if getattr(school, key) != value]
        if changed:
            for key in changed:
                setattr(school, key, values[key])
            flush(uow, "Профиль школы")
            uow.audit("school.update", object_type="school", object_id=school.id, fields=changed)
        return SchoolView(school.id, school.code, school.name, school.short_name, school.address,
                          school.term_kind, school.version)
