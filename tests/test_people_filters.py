"""PersonService.search's list filters on both engines: status (current, former, all) for students and staff,
the year filter for students, and the sort by birth date with keyset pages (unknown dates last)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.helpers import make_class
from tests.test_enrolments import current_year, make_order
from zhurnal.core.services.enrolments import EnrolmentService
from zhurnal.core.services.persons import PersonInput, PersonService
from zhurnal.core.services.staff import StaffService


def person(store, admin, last: str, birth: date | None) -> int:
    return PersonService(store).create(admin, PersonInput(last, "Анна", None, birth, "F")).person.id


def names(page) -> list[str]:
    return [row.full_name.split()[0] for row in page.rows]


def test_students_by_status_and_year(store, school, admin):
    year = current_year(store, school.school_id)
    start = year.start_date
    class_id = make_class(store, school.school_id, 5, "А")
    staying, leaving = person(store, admin, "Аксёнова", None), person(store, admin, "Белова", None)
    person(store, admin, "Волкова", None)  # never enrolled
    order = make_order(store, admin, "enrolment", "1-у", start)
    departure = make_order(store, admin, "departure", "2-у", start + timedelta(days=30))
    for student in (staying, leaving):
        EnrolmentService(store).enrol(admin, student, class_id, start, order)
    EnrolmentService(store).depart(admin, leaving, start + timedelta(days=30), departure, "transfer_out", "СОШ № 2",
                                   today=start + timedelta(days=40))
    on = start + timedelta(days=40)
    search = PersonService(store).search
    assert names(search(admin, kind="student", on=on)) == ["Аксёнова"]
    assert names(search(admin, kind="student", on=on, status="former")) == ["Белова"]
    assert names(search(admin, kind="student", on=on, status="all")) == ["Аксёнова", "Белова"]
    assert names(search(admin, kind="student", on=on, status="all", year_id=year.id)) == ["Аксёнова", "Белова"]
    assert names(search(admin, kind="student", on=start + timedelta(days=10), status="former")) == []
    assert names(search(admin, kind="student", on=on, class_id=class_id)) == ["Аксёнова"]
    assert names(search(admin, kind="student", on=on, class_id=class_id, status="all")) == ["Аксёнова", "Белова"]
    with pytest.raises(ValueError):
        search(admin, kind="student", status="gone")


def test_staff_by_status(store, school, admin):
    year = current_year(store, school.school_id)
    start = year.start_date
    working, left = person(store, admin, "Громова", None), person(store, admin, "Дроздова", None)
    hire = make_order(store, admin, "hire", "1-к", start)
    dismissal = make_order(store, admin, "dismissal", "2-к", start + timedelta(days=20))
    StaffService(store).hire(admin, working, "Учитель", start, hire)
    position = StaffService(store).hire(admin, left, "Учитель", start, hire)
    StaffService(store).dismiss(admin, position.id, start + timedelta(days=20), dismissal,
                                today=start + timedelta(days=30))
    on = start + timedelta(days=30)
    search = PersonService(store).search
    assert names(search(admin, kind="staff", on=on)) == ["Громова"]
    assert names(search(admin, kind="staff", on=on, status="former")) == ["Дроздова"]
    assert names(search(admin, kind="staff", on=on, status="all")) == ["Громова", "Дроздова"]


def test_sort_by_birth_date_pages_by_keyset(store, admin):
    births = {"Андреева": date(2012, 5, 1), "Борисова": None, "Васильева": date(2011, 1, 9),
              "Голубева": date(2012, 5, 1), "Данилова": date(2010, 3, 3)}
    ids = {last: person(store, admin, last, birth) for last, birth in births.items()}
    search = PersonService(store).search
    seen, after = [], None
    while True:
        page = search(admin, sort="birth", after=after, limit=2)
        seen += names(page)
        after = page.next_after
        if after is None:
            break
    same_day = sorted(["Андреева", "Голубева"], key=lambda last: ids[last])
    assert seen == ["Данилова", "Васильева", *same_day, "Борисова"]  # unknown birth dates last
    assert names(search(admin, "анна", sort="birth")) == seen  # a search keeps the order
    with pytest.raises(ValueError):
        search(admin, sort="age")
