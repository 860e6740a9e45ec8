"""Work types a school gives marks for (classwork, test, ...) and their weights in the average."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from zhurnal.core.errors import Conflict, NotFound, ValidationFailed
from zhurnal.core.models import WorkType
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.common import check_version, clean_label, flush, refuse
from zhurnal.core.services.journal_rules import ensure_work_types
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, fold

MIN_WEIGHT, MAX_WEIGHT = Decimal("0.1"), Decimal("10")


@dataclass(frozen=True)
class WorkTypeInfo:
    id: int
    name: str
    weight: Decimal
    is_default: bool
    archived: bool
    version: int


def _info(row: WorkType) -> WorkTypeInfo:
    return WorkTypeInfo(row.id, row.name, Decimal(row.weight), row.is_default, row.archived, row.version)


def _weight(value: object) -> Decimal:
    try:
        weight = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        weight = Decimal(-1)
    if not weight.is_finite() or not MIN_WEIGHT <= weight <= MAX_WEIGHT or weight != round(weight, 2):
        raise ValidationFailed([Problem("weight", "out_of_range", f"Вес: «{value}» — ожидается число от "
                                                                  f"{MIN_WEIGHT} до {MAX_WEIGHT}, до сотых")])
    return weight


class WorkTypeService(Service):
    """The school's work types; the defaults appear the first time they are needed."""

    area = "work_type"

    @service("settings.write")
    def list(self, uow: UnitOfWork) -> list[WorkTypeInfo]:
        """Every work type, archived ones included (creating the defaults on first use)."""
        return [_info(row) for row in ensure_work_types(uow)]

    @service("settings.write")
    def save(self, uow: UnitOfWork, name: str, weight: object, *, work_type_id: int | None = None,
             expected_version: int | None = None, is_default: bool = False,
             archived: bool = False) -> WorkTypeInfo:
        """Create a work type, or change one (`work_type_id` with its `expected_version`). Making one the
        default takes the flag from the others; the default cannot be archived."""
        rows = ensure_work_types(uow)
        clean, problems = clean_label(name, "name", "Вид работы", required=True, max_len=100)
        refuse(problems)
        assert clean is not None
        value = _weight(weight)
        if is_default and archived:
            raise ValidationFailed([Problem("archived", "default", "Вид работы по умолчанию нельзя убрать в "
                                                                   "архив")])
        row = None
        if work_type_id is not None:
            row = next((r for r in rows if r.id == work_type_id), None)
            if row is None:
                raise NotFound(f"Вид работы № {work_type_id} не найден")
            check_version(row, expected_version if expected_version is not None else -1, "Вид работы")
            if row.is_default and (archived or not is_default):
                raise ValidationFailed([Problem("is_default", "needed", "Нужен вид работы по умолчанию: "
                                                                        "назначьте другой, а этот оставьте")])
        if any(fold(r.name) == fold(clean) and r is not row for r in rows):
            raise Conflict(f"Вид работы «{clean}» уже есть")
        if is_default:
            for other in rows:
                if other is not row and other.is_default:
                    other.is_default = False
        if row is None:
            row = WorkType(school_id=uow.school_id, name=clean, weight=value, is_default=is_default,
                           archived=archived)
            uow.session.add(row)
        else:
            row.name, row.weight, row.is_default, row.archived = clean, value, is_default, archived
        flush(uow, "Вид работы")
        uow.audit("work_type.save", object_type="work_type", object_id=row.id,
                  fields=["name", "weight", "is_default", "archived"])
        return _info(row)


