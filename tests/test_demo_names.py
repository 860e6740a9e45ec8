"""Tests for the reference data of the demo-school generator (``zhurnal.core.demo.names``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import pytest

from zhurnal.core.demo.names import (
    ADULT_FEMALE_FIRST_NAMES,
    ADULT_MALE_FIRST_NAMES,
    CITY,
    FEMALE_FIRST_NAMES,
    GRADE_BANDS,
    GRADES,
    MALE_FIRST_NAMES,
    RELATIONS,
    SCHOOL_NAMES,
    STAFF_POSITIONS,
    STREETS,
    SUBJECTS,
    SUBJECTS_BY_BAND,
    SURNAMES,
    Subject,
    band_of,
    feminine_surname,
    patronymic,
    subjects_for_grade,
    weekly_hours,
)

WEIGHTED_LISTS = {
    "MALE_FIRST_NAMES": MALE_FIRST_NAMES,
    "FEMALE_FIRST_NAMES": FEMALE_FIRST_NAMES,
    "ADULT_MALE_FIRST_NAMES": ADULT_MALE_FIRST_NAMES,
    "ADULT_FEMALE_FIRST_NAMES": ADULT_FEMALE_FIRST_NAMES,
}
ALL_MALE_NAMES = sorted({name for name, _ in MALE_FIRST_NAMES} | {name for name, _ in ADULT_MALE_FIRST_NAMES})
LATIN = re.compile(r"[A-Za-z]")


def _russian_strings() -> Iterator[str]:
    """Every human-readable string of the module (RELATIONS are identifiers, not text)."""
    for pairs in WEIGHTED_LISTS.values():
        yield from (name for name, _ in pairs)
    yield from SURNAMES
    yield from (feminine_surname(s) for s in SURNAMES)
    for name in ALL_MALE_NAMES:
        yield patronymic(name, "M")
        yield patronymic(name, "F")
    for subject in SUBJECTS:
        yield subject.name
        yield subject.short_name
    yield from (title for title, _ in STAFF_POSITIONS)
    yield from STREETS
    yield from SCHOOL_NAMES
    yield CITY


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize("list_name", sorted(WEIGHTED_LISTS))
def test_weighted_name_lists_are_well_formed(list_name: str) -> None:
    pairs = WEIGHTED_LISTS[list_name]
    assert len(pairs) >= 40
    names = [name for name, _ in pairs]
    assert len(names) == len(set(names)), "duplicate names"
    for name, weight in pairs:
        assert isinstance(weight, int) and weight > 0, name
        assert name[0].isupper() and name.isalpha(), name


def test_child_lists_have_the_expected_popular_names() -> None:
    boys = {name for name, _ in MALE_FIRST_NAMES}
    girls = {name for name, _ in FEMALE_FIRST_NAMES}
    assert {"Александр", "Максим", "Артём", "Михаил", "Иван", "Матвей", "Лев", "Фёдор"} <= boys
    assert {"Анастасия", "Мария", "Анна", "София", "Алиса", "Варвара", "Ульяна"} <= girls
    assert len(boys) >= 70
    adult_men = {name for name, _ in ADULT_MALE_FIRST_NAMES}
    adult_women = {name for name, _ in ADULT_FEMALE_FIRST_NAMES}
    assert {"Сергей", "Андрей", "Игорь", "Олег", "Юрий", "Виктор"} <= adult_men
    assert {"Елена", "Ольга", "Наталья", "Татьяна", "Людмила", "Галина"} <= adult_women


def test_surnames_are_unique_and_plenty() -> None:
    assert len(SURNAMES) >= 200
    assert len(SURNAMES) == len(set(SURNAMES))
    assert all(s[0].isupper() and s.isalpha() for s in SURNAMES)


@pytest.mark.parametrize(
    ("masculine", "feminine"),
    [
        ("Иванов", "Иванова"),
        ("Семёнов", "Семёнова"),
        ("Соловьёв", "Соловьёва"),
        ("Алиев", "Алиева"),
        ("Никитин", "Никитина"),
        ("Синицын", "Синицына"),
        ("Хабибуллин", "Хабибуллина"),
        ("Гарипов", "Гарипова"),
        ("Покровский", "Покровская"),
        ("Высоцкий", "Высоцкая"),
        ("Толстой", "Толстая"),
        ("Донской", "Донская"),
        ("Горький", "Горькая"),
        ("Белый", "Белая"),
        ("Черных", "Черных"),
        ("Долгих", "Долгих"),
        ("Шевченко", "Шевченко"),
        ("Бондаренко", "Бондаренко"),
        ("Ковальчук", "Ковальчук"),
        ("Ким", "Ким"),
        ("Цой", "Цой"),
        ("Петросян", "Петросян"),
        ("Кавтарадзе", "Кавтарадзе"),
    ],
)
def test_feminine_surname(masculine: str, feminine: str) -> None:
    assert feminine_surname(masculine) == feminine


def test_every_surname_has_a_plausible_feminine_form() -> None:
    for surname in SURNAMES:
        female = feminine_surname(surname)
        assert female == surname or female.endswith("а") or female.endswith("ая"), surname


@pytest.mark.parametrize("name", ALL_MALE_NAMES)
def test_patronymic_for_every_male_name(name: str) -> None:
    male, female = patronymic(name, "M"), patronymic(name, "F")
    assert male.endswith("ич"), male
    assert female.endswith(("вна", "ична")), female
    assert female.endswith("на")
    assert male[:2] == female[:2]


@pytest.mark.parametrize(
    ("name", "male", "female"),
    [
        ("Иван", "Иванович", "Ивановна"),
        ("Сергей", "Сергеевич", "Сергеевна"),
        ("Андрей", "Андреевич", "Андреевна"),
        ("Алексей", "Алексеевич", "Алексеевна"),
        ("Николай", "Николаевич", "Николаевна"),
        ("Юрий", "Юрьевич", "Юрьевна"),
        ("Георгий", "Георгиевич", "Георгиевна"),
        ("Дмитрий", "Дмитриевич", "Дмитриевна"),
        ("Василий", "Васильевич", "Васильевна"),
        ("Анатолий", "Анатольевич", "Анатольевна"),
        ("Виталий", "Витальевич", "Витальевна"),
        ("Евгений", "Евгеньевич", "Евгеньевна"),
        ("Валерий", "Валерьевич", "Валерьевна"),
        ("Арсений", "Арсеньевич", "Арсеньевна"),
        ("Илья", "Ильич", "Ильинична"),
        ("Никита", "Никитич", "Никитична"),
        ("Фома", "Фомич", "Фоминична"),
        ("Лев", "Львович", "Львовна"),
        ("Павел", "Павлович", "Павловна"),
        ("Пётр", "Петрович", "Петровна"),
        ("Яков", "Яковлевич", "Яковлевна"),
        ("Михаил", "Михайлович", "Михайловна"),
        ("Кузьма", "Кузьмич", "Кузьминична"),
        ("Лука", "Лукич", "Лукинична"),
        ("Савва", "Саввич", "Саввична"),
        ("Артём", "Артёмович", "Артёмовна"),
        ("Семён", "Семёнович", "Семёновна"),
        ("Максим", "Максимович", "Максимовна"),
        ("Тимофей", "Тимофеевич", "Тимофеевна"),
        ("Матвей", "Матвеевич", "Матвеевна"),
        ("Игорь", "Игоревич", "Игоревна"),
        ("Олег", "Олегович", "Олеговна"),
        ("Руслан", "Русланович", "Руслановна"),
        ("Даниил", "Даниилович", "Данииловна"),
        ("Данила", "Данилович", "Даниловна"),
    ],
)
def test_patronymic_rules_and_exceptions(name: str, male: str, female: str) -> None:
    assert patronymic(name, "M") == male
    assert patronymic(name, "F") == female


def test_patronymic_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        patronymic("Иван", "X")
    with pytest.raises(ValueError):
        patronymic("", "M")


# --- curriculum ------------------------------------------------------------------------------


def test_subjects_are_well_formed() -> None:
    names = [s.name for s in SUBJECTS]
    assert len(names) == len(set(names))
    assert len({s.short_name for s in SUBJECTS}) == len(SUBJECTS)
    for subject in SUBJECTS:
        assert isinstance(subject, Subject)
        assert subject.hours, subject.name
        for grade, hours in subject.hours.items():
            assert grade in GRADES, subject.name
            assert hours > 0, subject.name


@pytest.mark.parametrize("grade", GRADES)
def test_weekly_load_per_grade_is_realistic(grade: int) -> None:
    total = sum(s.hours[grade] for s in SUBJECTS if grade in s.hours)
    assert 20 <= total <= 37
    assert weekly_hours(grade) == total
    assert subjects_for_grade(grade)


def test_expected_subjects_are_present() -> None:
    names = {s.name for s in SUBJECTS}
    for expected in (
        "Русский язык",
        "Литературное чтение",
        "Литература",
        "Математика",
        "Алгебра",
        "Геометрия",
        "Вероятность и статистика",
        "Информатика",
        "Окружающий мир",
        "История",
        "Обществознание",
        "Физика",
        "Химия",
        "Физическая культура",
        "Основы безопасности и защиты Родины",
        "Индивидуальный проект",
    ):
        assert expected in names
    orkse = next(s for s in SUBJECTS if s.short_name == "ОРКСЭ")
    assert orkse.grades == (4,)
    project = next(s for s in SUBJECTS if s.name == "Индивидуальный проект")
    assert 10 in project.hours


def test_bands() -> None:
    assert sorted(g for grades in GRADE_BANDS.values() for g in grades) == list(GRADES)
    assert band_of(1) == "primary" and band_of(9) == "basic" and band_of(11) == "secondary"
    with pytest.raises(ValueError):
        band_of(12)
    primary = {s.name for s in SUBJECTS_BY_BAND["primary"]}
    assert "Окружающий мир" in primary and "Химия" not in primary
    assert "Химия" in {s.name for s in SUBJECTS_BY_BAND["secondary"]}


def test_subject_is_frozen_and_hashable() -> None:
    subject = SUBJECTS[0]
    with pytest.raises(AttributeError):
        setattr(subject, "name", "x")  # noqa: B010 - the assignment itself is what is tested
    assert len(set(SUBJECTS)) == len(SUBJECTS)


# --- staff, places, families -----------------------------------------------------------------


def test_staff_positions_sum_to_80() -> None:
    assert sum(count for _, count in STAFF_POSITIONS) == 80
    titles = [title for title, _ in STAFF_POSITIONS]
    assert len(titles) == len(set(titles))
    counts = dict(STAFF_POSITIONS)
    assert counts["Директор"] == 1
    assert counts["Учитель"] >= 45
    assert all(count > 0 for count in counts.values())


def test_places_and_relations() -> None:
    assert len(STREETS) >= 25 and len(set(STREETS)) == len(STREETS)
    assert len(SCHOOL_NAMES) >= 50 and len(set(SCHOOL_NAMES)) == len(SCHOOL_NAMES)
    assert all("№" in name for name in SCHOOL_NAMES)
    assert CITY.startswith("г. ")
    assert RELATIONS == ("mother", "father", "guardian")


# --- text hygiene ----------------------------------------------------------------------------


def test_no_latin_letters_and_all_nfc() -> None:
    for text in _russian_strings():
        assert not LATIN.search(text), text
        assert unicodedata.normalize("NFC", text) == text, text
        assert text == text.strip(), text
