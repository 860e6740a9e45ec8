"""Tests for zhurnal.core.validation: names, invisible characters, SNILS, dates, contacts."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from zhurnal.core.validation import (
    FIELD_LABELS,
    Problem,
    check_birth_date,
    check_date_in_range,
    clean_email,
    clean_multiline,
    clean_name,
    clean_phone,
    clean_text,
    errors,
    field_label,
    fold,
    format_snils,
    normalize_snils,
    parse_date,
    snils_checksum,
)

LATIN_O = "\u006f"  # Latin small o, looks exactly like Cyrillic о (U+043E)
ZWJ = "\u200d"
RLO = "\u202e"


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


# --------------------------------------------------------------------------------------------------------
# Problem / labels
# --------------------------------------------------------------------------------------------------------


def test_errors_keeps_only_errors() -> None:
    e = Problem("x", "bad_format", "x: плохо")
    w = Problem("x", "unusual_phone", "x: странно", "warning")
    assert errors([e, w]) == [e]
    assert errors([w]) == []


def test_problem_is_frozen() -> None:
    p = Problem("snils", "bad_checksum", "СНИЛС: ...")
    assert p.severity == "error"
    with pytest.raises(AttributeError):
        setattr(p, "code", "other")  # noqa: B010 - frozen dataclass must refuse


def test_field_labels_and_fallback() -> None:
    assert FIELD_LABELS["last_name"] == "Фамилия"
    assert FIELD_LABELS["email"] == "Эл. почта"
    assert field_label("middle_name") == "Отчество"
    assert field_label("order_no") == "order_no"
    _, problems = clean_text("", "order_no", required=True)
    assert problems[0].message.startswith("order_no: ")


# --------------------------------------------------------------------------------------------------------
# clean_text / clean_multiline
# --------------------------------------------------------------------------------------------------------


def test_clean_text_strips_and_collapses_spaces() -> None:
    assert clean_text("  Школа   №\u00a0 5  ", "school") == ("Школа № 5", [])


def test_clean_text_empty_and_required() -> None:
    assert clean_text("   ", "address") == (None, [])
    assert clean_text(None, "address") == (None, [])
    value, problems = clean_text(" ", "last_name", required=True)
    assert value is None
    assert codes(problems) == ["required"]
    assert problems[0].message.startswith("Фамилия: ")


def test_clean_text_too_long() -> None:
    value, problems = clean_text("а" * 11, "address", max_len=10)
    assert value == "а" * 11
    assert codes(problems) == ["too_long"]
    assert problems[0].message.startswith("Адрес: ")
    assert clean_text("а" * 10, "address", max_len=10) == ("а" * 10, [])


def test_clean_text_refuses_inner_tab_and_newline_but_strips_edges() -> None:
    assert clean_text("\tИванов\r\n", "last_name") == ("Иванов", [])
    _, problems = clean_text("Иванов\tПётр", "last_name")
    assert codes(problems) == ["control_char"]
    assert "U+0009" in problems[0].message
    assert "позиция 7" in problems[0].message
    _, problems = clean_text("Иванов\nПётр", "last_name")
    assert codes(problems) == ["control_char"]
    assert "U+000A" in problems[0].message


@pytest.mark.parametrize(
    "char",
    [
        "\u0000",
        "\u0007",
        "\u007f",
        "\u200b",
        "\u200c",
        ZWJ,
        "\u2060",
        "\ufeff",
        RLO,
        "\u202a",
        "\u2066",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
        "\u00ad",
        "\u2028",
    ],
)
def test_clean_text_refuses_invisible_characters(char: str) -> None:
    _, problems = clean_text(f"Пет{char}ров", "last_name")
    assert codes(problems) == ["control_char"]
    assert errors(problems) == problems
    assert f"U+{ord(char):04X}" in problems[0].message
    assert "позиция 4" in problems[0].message
    assert problems[0].message.startswith("Фамилия: ")


def test_clean_text_bom_at_start_is_refused_not_stripped() -> None:
    _, problems = clean_text("\ufeffИванов", "last_name")
    assert codes(problems) == ["control_char"]
    assert "позиция 1" in problems[0].message


def test_clean_text_position_counts_from_original_start() -> None:
    _, problems = clean_text("  ab\u200bc", "x")
    assert "позиция 5" in problems[0].message


def test_clean_text_reports_count_of_several_bad_characters() -> None:
    _, problems = clean_text(f"a{ZWJ}b{RLO}c", "x")
    assert len(problems) == 1
    assert "U+200D" in problems[0].message
    assert "2" in problems[0].message.split("всего")[1]


def test_clean_text_nfc() -> None:
    decomposed = "Ии\u0306"  # "Ий" with и + combining breve
    assert len(decomposed) == 3
    value, problems = clean_text(decomposed, "x")
    assert problems == []
    assert value == "Ий"
    assert value is not None and len(value) == 2
    assert unicodedata.is_normalized("NFC", value)


def test_clean_multiline() -> None:
    value, problems = clean_multiline("  ул. Ленина,  д. 5\r\nкв.\t12  \r\n\r\n\r\n\r\nПриказ  ", "address")
    assert problems == []
    assert value == "ул. Ленина, д. 5\nкв. 12\n\nПриказ"


def test_clean_multiline_still_refuses_invisible_characters() -> None:
    _, problems = clean_multiline(f"строка 1\nстро{RLO}ка 2", "address")
    assert codes(problems) == ["control_char"]
    assert "U+202E" in problems[0].message
    _, problems = clean_multiline("a\u0000b", "address")
    assert codes(problems) == ["control_char"]


def test_clean_multiline_too_long_and_empty() -> None:
    assert clean_multiline(" \r\n ", "address") == (None, [])
    _, problems = clean_multiline("x" * 2001, "address")
    assert codes(problems) == ["too_long"]


# --------------------------------------------------------------------------------------------------------
# clean_name
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Иванов",
        "Smith",
        "Анна-Мария",
        "Д'Артаньян",
        "Д’Артаньян",
        "O'Connor",
        "Петров-Водкин",
        "ван дер Берг",
        "А. С.",
        "Ёлкина",
        "Müller",
        "Салтыков-Щедрин",
    ],
)
def test_clean_name_accepts_real_names(name: str) -> None:
    assert clean_name(name, "last_name") == (name, [])


def test_clean_name_mixed_scripts_latin_o() -> None:
    name = f"Иван{LATIN_O}в"
    assert name != "Иванов"
    value, problems = clean_name(name, "last_name")
    assert value == name
    assert codes(problems) == ["mixed_scripts"]
    assert problems[0].severity == "error"
    message = problems[0].message
    assert message.startswith("Фамилия: ")
    assert f"«{name}»" in message
    assert "латинские буквы: o" in message
    assert "кириллицы" in message and "латиницы" in message


def test_clean_name_mixed_scripts_in_one_part_of_double_name() -> None:
    name = "Анна-М\u0061рия"  # Latin a in the second word
    _, problems = clean_name(name, "first_name")
    assert codes(problems) == ["mixed_scripts"]
    assert "«Мaрия»" in problems[0].message
    assert problems[0].message.startswith("Имя: ")


def test_clean_name_mixed_scripts_lists_all_latin_letters() -> None:
    name = "\u0421\u0435\u0440\u0433\u0435\u0435\u0432".replace("\u0435", "e").replace(
        "\u0440", "p"
    )  # Сергеев
    _, problems = clean_name(name, "last_name")
    assert codes(problems) == ["mixed_scripts"]
    assert "латинские буквы: e, p" in problems[0].message


def test_clean_name_mostly_latin_word_lists_cyrillic_letter() -> None:
    _, problems = clean_name("Smith\u0435", "last_name")  # Cyrillic е at the end
    assert codes(problems) == ["mixed_scripts"]
    assert "кириллические буквы: е" in problems[0].message


def test_clean_name_latin_word_with_cyrillic_lookalike() -> None:
    _, problems = clean_name("P\u0430vel", "first_name")  # Cyrillic а inside a Latin name
    assert codes(problems) == ["mixed_scripts"]
    assert "кириллические буквы: а" in problems[0].message


def test_clean_name_greek_letter_in_cyrillic_word() -> None:
    _, problems = clean_name("Ива\u03bdов", "last_name")  # Greek nu
    assert codes(problems) == ["mixed_scripts"]
    assert "греческие буквы: \u03bd" in problems[0].message


def test_clean_name_latin_and_cyrillic_words_separately_are_fine() -> None:
    assert clean_name("Иванов John", "last_name") == ("Иванов John", [])


def test_clean_name_zero_width_joiner_refused() -> None:
    value, problems = clean_name(f"Ива{ZWJ}нов", "last_name")
    assert value == f"Ива{ZWJ}нов"  # returned for re-display, but the error refuses the save
    assert codes(problems) == ["control_char"]  # no extra bad_format for the same character
    assert "U+200D" in problems[0].message
    assert "нулевой ширины" in problems[0].message
    assert "позиция 4" in problems[0].message


def test_clean_name_rlo_refused() -> None:
    _, problems = clean_name(f"{RLO}вонавИ", "last_name")
    assert codes(problems) == ["control_char"]
    assert "U+202E" in problems[0].message
    assert "направлением текста" in problems[0].message
    assert "позиция 1" in problems[0].message


def test_clean_name_nfd_input_is_normalised() -> None:
    nfd = "Андреи\u0306"  # "Андрей" typed as и + combining breve
    value, problems = clean_name(nfd, "first_name")
    assert problems == []
    assert value == "Андрей"
    assert value is not None and "\u0306" not in value


@pytest.mark.parametrize("name", ["Иванов2", "Иван@ов", "Петров_", "Петров (мл.)", "Ива/нов"])
def test_clean_name_digits_and_symbols_refused(name: str) -> None:
    _, problems = clean_name(name, "last_name")
    assert codes(problems) == ["bad_format"]
    assert problems[0].message.startswith("Фамилия: ")


def test_clean_name_bad_format_names_the_symbol() -> None:
    _, problems = clean_name("Иванов2", "last_name")
    assert "«2»" in problems[0].message


@pytest.mark.parametrize("name", ["-Иванов", "Иванов-", "Анна--Мария", "'Анна", "...", "Анна - Мария"])
def test_clean_name_badly_placed_separators(name: str) -> None:
    _, problems = clean_name(name, "first_name")
    assert codes(problems) == ["bad_format"]


def test_clean_name_required_by_default() -> None:
    assert codes(clean_name("", "last_name")[1]) == ["required"]
    assert clean_name("", "middle_name", required=False) == (None, [])


def test_clean_name_unicode_hyphen_becomes_ascii() -> None:
    assert clean_name("Анна\u2010Мария", "first_name") == ("Анна-Мария", [])


def test_clean_name_collapses_spaces() -> None:
    assert clean_name("  ван   дер  Берг ", "last_name") == ("ван дер Берг", [])


def test_clean_name_too_long() -> None:
    assert "too_long" in codes(clean_name("а" * 101, "last_name")[1])


# --------------------------------------------------------------------------------------------------------
# fold
# --------------------------------------------------------------------------------------------------------


def test_fold() -> None:
    assert fold("Семёнов  Пётр") == fold("семенов петр")
    assert fold("Семёнов  Пётр") == "семенов петр"
    assert fold("ЁЛКИНА") == "елкина"
    assert fold("  Анна\u00a0Мария ") == "анна мария"
    assert fold("Пе\u0308тр") == "петр"  # NFD ё
    assert fold("Д’Артаньян") == fold("д'артаньян")
    assert fold("Straße") == fold("STRASSE")
    assert fold("Иванов") != fold("Иванова")


# --------------------------------------------------------------------------------------------------------
# СНИЛС
# --------------------------------------------------------------------------------------------------------


def test_snils_published_example() -> None:
    # 1·9 + 1·8 + 2·7 + 2·6 + 3·5 + 3·4 + 4·3 + 4·2 + 5·1 = 95 < 100 -> control 95
    assert snils_checksum("112233445") == 95
    assert normalize_snils("112-233-445 95") == ("11223344595", [])
    assert normalize_snils("11223344595") == ("11223344595", [])
    assert normalize_snils(" 112 233 445 95 ") == ("11223344595", [])
    assert normalize_snils("112-233-445-95") == ("11223344595", [])


@pytest.mark.parametrize(
    ("nine", "expected"),
    [
        ("112233445", 95),  # sum 95
        ("100427626", 99),  # sum 99
        ("100356355", 0),  # sum 100
        ("100079190", 0),  # sum 101
        ("342932447", 76),  # sum 177 -> 177 % 101
        ("087654303", 0),  # sum 202 -> 202 % 101 = 0
        ("106897449", 0),  # sum 201 -> 201 % 101 = 100 -> 0
    ],
)
def test_snils_checksum_branches(nine: str, expected: int) -> None:
    assert snils_checksum(nine) == expected
    digits = f"{nine}{expected:02d}"
    assert normalize_snils(format_snils(digits)) == (digits, [])


def test_snils_checksum_rejects_bad_input() -> None:
    for bad in ("12345678", "1234567890", "12345678a", "١٢٣٤٥٦٧٨٩"):
        with pytest.raises(ValueError):
            snils_checksum(bad)


def test_snils_bad_checksum() -> None:
    digits, problems = normalize_snils("112-233-445 96")
    assert digits == "11223344596"
    assert codes(problems) == ["bad_checksum"]
    assert problems[0].message.startswith("СНИЛС: ")
    assert "95" in problems[0].message
    assert "96" in problems[0].message


def test_snils_bad_checksum_expected_with_leading_zero() -> None:
    _, problems = normalize_snils("087-654-303 01")
    assert codes(problems) == ["bad_checksum"]
    assert "должно быть 00" in problems[0].message


def test_snils_small_numbers_have_no_checksum() -> None:
    # sum for 001001998 is 64, yet any control number is accepted up to 001-001-998 inclusive
    assert normalize_snils("001-001-998 00") == ("00100199800", [])
    assert normalize_snils("000-000-001 42") == ("00000000142", [])
    # 001-001-999: sum 65, checked
    assert codes(normalize_snils("001-001-999 00")[1]) == ["bad_checksum"]
    assert normalize_snils("001-001-999 65") == ("00100199965", [])


@pytest.mark.parametrize("value", ["112-233-445", "112-233-445 9", "112-233-445 955", "1122334459", "1"])
def test_snils_wrong_length(value: str) -> None:
    digits, problems = normalize_snils(value)
    assert digits is None
    assert codes(problems) == ["bad_format"]
    assert "11 цифр" in problems[0].message


@pytest.mark.parametrize("value", ["112-233-445 9O", "112/233/445 95", "СНИЛС 11223344595"])
def test_snils_bad_characters(value: str) -> None:
    digits, problems = normalize_snils(value)
    assert digits is None
    assert codes(problems) == ["bad_format"]


def test_snils_empty() -> None:
    assert normalize_snils(None) == (None, [])
    assert normalize_snils("  ") == (None, [])


def test_format_snils() -> None:
    assert format_snils("11223344595") == "112-233-445 95"
    with pytest.raises(ValueError):
        format_snils("112233445")


# --------------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-02-29", date(2020, 2, 29)),
        ("29.02.2020", date(2020, 2, 29)),
        ("1.9.2024", date(2024, 9, 1)),
        ("01.09.2024", date(2024, 9, 1)),
        (" 2024-09-01 ", date(2024, 9, 1)),
    ],
)
def test_parse_date_valid(text: str, expected: date) -> None:
    assert parse_date(text, "birth_date") == (expected, [])


@pytest.mark.parametrize(
    "text",
    ["31.02.2020", "29.02.2021", "2021-13-01", "2021-1-1", "01/09/2024", "1.9.24", "вчера", "2024.09.01"],
)
def test_parse_date_invalid(text: str) -> None:
    value, problems = parse_date(text, "birth_date")
    assert value is None
    assert codes(problems) == ["bad_format"]
    assert problems[0].message.startswith("Дата рождения: ")


def test_parse_date_empty() -> None:
    assert parse_date("", "birth_date") == (None, [])
    assert codes(parse_date(" ", "birth_date", required=True)[1]) == ["required"]


def test_check_date_in_range() -> None:
    start, end = date(2024, 9, 1), date(2025, 5, 31)
    assert check_date_in_range(date(2024, 9, 1), start, end, "date", "учебный год 2024/2025") == []
    assert check_date_in_range(date(2025, 5, 31), start, end, "date", "учебный год 2024/2025") == []
    problems = check_date_in_range(date(2025, 6, 1), start, end, "date", "учебный год 2024/2025")
    assert codes(problems) == ["out_of_range"]
    message = problems[0].message
    assert message.startswith("date: ")
    for part in ("01.06.2025", "01.09.2024", "31.05.2025", "учебный год 2024/2025"):
        assert part in message
    assert codes(check_date_in_range(date(2024, 8, 31), start, end, "date", "x")) == ["out_of_range"]


TODAY = date(2024, 10, 15)  # school year 2024/2025, reference date 01.09.2024


def test_birth_date_future_and_ancient() -> None:
    future = check_birth_date(date(2024, 10, 16), today=TODAY)
    assert codes(future) == ["out_of_range"]
    assert future[0].message.startswith("Дата рождения: ")
    assert codes(check_birth_date(date(1899, 12, 31), today=TODAY)) == ["out_of_range"]
    assert check_birth_date(date(1900, 1, 1), today=TODAY) == []
    assert check_birth_date(TODAY, today=TODAY) == []
    assert check_birth_date(None, today=TODAY) == []


@pytest.mark.parametrize(
    ("birth", "severity"),
    [
        (date(2017, 5, 10), None),  # 7 on 01.09.2024
        (date(2018, 9, 1), None),  # 6 exactly on 01.09.2024
        (date(2018, 9, 2), "warning"),  # 5
        (date(2019, 3, 1), "warning"),  # 5
        (date(2020, 3, 1), "error"),  # 4
        (date(2015, 9, 1), None),  # 9
        (date(2014, 6, 1), "warning"),  # 10
        (date(2013, 6, 1), "warning"),  # 11
        (date(2012, 6, 1), "error"),  # 12
    ],
)
def test_birth_date_grade_1(birth: date, severity: str | None) -> None:
    problems = check_birth_date(birth, today=TODAY, grade=1)
    if severity is None:
        assert problems == []
    else:
        assert codes(problems) == ["implausible"]
        assert problems[0].severity == severity


@pytest.mark.parametrize(
    ("birth", "severity"),
    [
        (date(2007, 5, 1), None),  # 17
        (date(2008, 9, 1), None),  # 16
        (date(2008, 10, 1), "warning"),  # 15
        (date(2010, 1, 1), "error"),  # 14
        (date(2005, 1, 1), None),  # 19
        (date(2003, 1, 1), "warning"),  # 21
        (date(2002, 1, 1), "error"),  # 22
    ],
)
def test_birth_date_grade_11(birth: date, severity: str | None) -> None:
    problems = check_birth_date(birth, today=TODAY, grade=11)
    if severity is None:
        assert problems == []
    else:
        assert codes(problems) == ["implausible"]
        assert problems[0].severity == severity


def test_birth_date_message() -> None:
    problems = check_birth_date(date(2020, 3, 1), today=TODAY, grade=1)
    message = problems[0].message
    assert message.startswith("Дата рождения: ")
    assert "01.09.2024" in message
    assert "4 года" in message
    assert "1 класса" in message


def test_birth_date_school_year_starts_on_1_september() -> None:
    born = date(2019, 6, 1)
    # On 31.08.2025 the school year is still 2024/2025: 5 years on 01.09.2024 -> warning for grade 1.
    assert codes(check_birth_date(born, today=date(2025, 8, 31), grade=1)) == ["implausible"]
    # From 01.09.2025 the reference date is 01.09.2025: 6 years -> fine.
    assert check_birth_date(born, today=date(2025, 9, 1), grade=1) == []


def test_birth_date_without_grade_or_unusual_grade() -> None:
    assert check_birth_date(date(2020, 3, 1), today=TODAY) == []
    assert check_birth_date(date(2020, 3, 1), today=TODAY, grade=0) == []


def test_birth_date_uses_field_label() -> None:
    problems = check_birth_date(date(2030, 1, 1), today=TODAY, field="x_date")
    assert problems[0].field == "x_date"
    assert problems[0].message.startswith("x_date: ")


# --------------------------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+7 (912) 345-67-89",
        "8 912 345 67 89",
        "89123456789",
        "79123456789",
        "+79123456789",
        "8(912)345-67-89",
    ],
)
def test_phone_russian_numbers(raw: str) -> None:
    assert clean_phone(raw) == ("+7 912 345-67-89", [])


def test_phone_unusual_numbers_are_warnings() -> None:
    value, problems = clean_phone("+44 20 7946 0958")
    assert value == "+44 20 7946 0958"
    assert codes(problems) == ["unusual_phone"]
    assert problems[0].severity == "warning"
    assert errors(problems) == []
    assert problems[0].message.startswith("Телефон: ")
    value, problems = clean_phone("12-34-5")  # a short local number
    assert value == "12-34-5"
    assert codes(problems) == ["unusual_phone"]


@pytest.mark.parametrize("raw", ["8 912 ABC 67 89", "тел. 89123456789", "8912345678доб"])
def test_phone_letters_are_errors(raw: str) -> None:
    _, problems = clean_phone(raw)
    assert codes(problems) == ["bad_format"]
    assert problems[0].severity == "error"


@pytest.mark.parametrize(
    "raw", ["1234", "1234567890123456", "8/912/345", "++79123456789", "8 912 345 67 89 #"]
)
def test_phone_bad_format(raw: str) -> None:
    assert codes(clean_phone(raw)[1]) == ["bad_format"]


def test_phone_empty() -> None:
    assert clean_phone("  ") == (None, [])
    assert codes(clean_phone(None, required=True)[1]) == ["required"]


def test_email() -> None:
    assert clean_email("  Ivan.Petrov@Example.COM ") == ("Ivan.Petrov@example.com", [])
    assert clean_email("director@школа.рф") == ("director@школа.рф", [])
    assert clean_email(None) == (None, [])


@pytest.mark.parametrize(
    "raw",
    [
        "ivan",
        "ivan@",
        "@example.com",
        "ivan@example",
        "ivan@@example.com",
        "iv an@example.com",
        "a@b@c.ru",
        "ivan@.example.com",
        "ivan@example.com.",
        "ivan@example..com",
    ],
)
def test_email_bad_format(raw: str) -> None:
    _, problems = clean_email(raw)
    assert codes(problems) == ["bad_format"]
    assert problems[0].message.startswith("Эл. почта: ")


def test_email_invisible_character() -> None:
    _, problems = clean_email(f"ivan{ZWJ}@example.com")
    assert codes(problems) == ["control_char"]
