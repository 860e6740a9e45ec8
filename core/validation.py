"""Проверка и нормализация вводимых данных (чистые функции, без базы данных).

Every ``clean_*`` / ``normalize_*`` function returns ``(value, problems)``: the cleaned value (or ``None``
when the field is empty or could not be parsed at all) and a list of :class:`Problem`.  A problem with
``severity == "error"`` must refuse the save; a ``"warning"`` is shown to the user but the save is allowed.
Use :func:`errors` to pick out the blocking ones.  ``check_*`` functions only return problems.

Every message is in Russian and starts with the Russian label of the field followed by ``": "``, e.g.
``"Фамилия: буквы кириллицы и латиницы в одном слове «Иванoв» (латинские буквы: o)"``.

Problem codes used here:

``required``        an obligatory field is empty;
``too_long``        the value is longer than allowed;
``control_char``    an invisible/control character (Cc, Cf, bidi controls, zero-width characters,
                    U+2028/U+2029, lone surrogates) — the message names it as ``U+XXXX`` and gives
                    its 1-based position;
``bad_format``      the value cannot be understood (wrong characters, wrong date, wrong number of digits ...);
``mixed_scripts``   one word mixes letters of different alphabets (Latin ``o`` inside a Cyrillic name);
``bad_checksum``    the SNILS control number does not match;
``out_of_range``    a date outside the allowed period (in the future, before 1900, outside a school year ...);
``implausible``     a birth date that does not fit the student's grade;
``unusual_phone``   a phone number that is not a Russian +7 number (warning only).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

__all__ = [
    "FIELD_LABELS",
    "Problem",
    "check_birth_date",
    "check_date_in_range",
    "clean_email",
    "clean_multiline",
    "clean_name",
    "clean_phone",
    "clean_text",
    "errors",
    "field_label",
    "fold",
    "format_date",
    "format_snils",
    "normalize_snils",
    "parse_date",
    "snils_checksum",
]


@dataclass(frozen=True)
class Problem:
    """One finding about one field.

    ``field`` is the machine name of the field (``"last_name"``), ``code`` a machine code (see the module
    docstring), ``message`` a Russian text for the user that starts with the field label, ``severity`` is
    ``"error"`` (refuses the save) or ``"warning"`` (shown, the save is allowed).
    """

    field: str
    code: str
    message: str
    severity: str = "error"


FIELD_LABELS: dict[str, str] = {
    "last_name": "Фамилия",
    "first_name": "Имя",
    "middle_name": "Отчество",
    "birth_date": "Дата рождения",
    "sex": "Пол",
    "snils": "СНИЛС",
    "phone": "Телефон",
    "email": "Эл. почта",
    "address": "Адрес",
}


def field_label(field: str) -> str:
    """Russian label of ``field`` from :data:`FIELD_LABELS`, or the field name itself when it is unknown."""
    return FIELD_LABELS.get(field, field)


def _problem(field: str, code: str, text: str, severity: str = "error") -> Problem:
    return Problem(field=field, code=code, message=f"{field_label(field)}: {text}", severity=severity)


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Only the problems that refuse the save (``severity == "error"``)."""
    return [p for p in problems if p.severity == "error"]


# --------------------------------------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_LINE_SEPARATORS = frozenset("\u2028\u2029")
_CONTROL_NAMES = {"\t": "табуляция", "\n": "перевод строки", "\r": "возврат каретки"}
# Characters silently removed at the edges of a value (ordinary whitespace a copy-paste leaves behind).
_EDGE_WHITESPACE = frozenset("\t\n\r\f\v")
_SPACE_RUN = re.compile(r"[^\S\n]+")  # runs of whitespace except the line feed (only spaces are left by then)
# Characters that need none of clean_text's per-character checks: printable ASCII and the Russian alphabet.
_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")
_PLAIN = frozenset(map(chr, range(0x20, 0x7F))) | _RUSSIAN


def _is_space(ch: str) -> bool:
    return unicodedata.category(ch) == "Zs"


def _is_edge_whitespace(ch: str) -> bool:
    return ch in _EDGE_WHITESPACE or _is_space(ch)


def _forbidden_kind(ch: str, *, multiline: bool) -> str | None:
    """Russian description of why ``ch`` is refused, or ``None`` when it is acceptable."""
    if multiline and ch in "\n\t":
        return None
    if ch in _BIDI_CONTROLS:
        return "символ управления направлением текста"
    if ch in _ZERO_WIDTH:
        return "невидимый символ нулевой ширины"
    if ch in _LINE_SEPARATORS:
        return "разделитель строк" if not multiline else None
    category = unicodedata.category(ch)
    if category == "Cc":
        return _CONTROL_NAMES.get(ch, "управляющий символ")
    if category == "Cf":
        return "невидимый символ форматирования"
    if category == "Cs":
        return "повреждённый символ (одиночный суррогат)"
    return None


def _describe_char(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    try:
        return f"{code} ({unicodedata.name(ch)})"
    except ValueError:
        return code


def _forbidden_problem(text: str, offset: int, field: str, *, multiline: bool) -> Problem | None:
    """One ``control_char`` problem for the forbidden characters of ``text`` (positions are 1-based)."""
    found: list[tuple[int, str, str]] = []
    for index, ch in enumerate(text):
        kind = _forbidden_kind(ch, multiline=multiline)
        if kind is not None:
            found.append((offset + index + 1, ch, kind))
    if not found:
        return None
    position, ch, kind = found[0]
    message = f"недопустимый символ {_describe_char(ch)} — {kind}, позиция {position}"
    if len(found) > 1:
        message += f" (всего недопустимых символов: {len(found)})"
    return _problem(field, "control_char", message)


def _strip_edges(text: str) -> tuple[str, int]:
    """Strip edge whitespace; return the stripped text and how many characters were removed on the left."""
    start, end = 0, len(text)
    while start < end and _is_edge_whitespace(text[start]):
        start += 1
    while end > start and _is_edge_whitespace(text[end - 1]):
        end -= 1
    return text[start:end], start


def _finish(
    text: str, field: str, problems: list[Problem], *, required: bool, max_len: int
) -> tuple[str | None, list[Problem]]:
    if not text:
        if required:
            problems.append(_problem(field, "required", "обязательное поле не заполнено"))
        return None, problems
    if len(text) > max_len:
        problems.append(
            _problem(
                field,
                "too_long",
                f"слишком длинное значение ({len(text)} симв., допускается не более {max_len})",
            )
        )
    return text, problems


def clean_text(
    value: str | None, field: str, *, required: bool = False, max_len: int = 200
) -> tuple[str | None, list[Problem]]:
    """Clean a single-line text field.

    NFC-normalises, strips surrounding whitespace, collapses internal runs of spaces (any Unicode space,
    e.g. a no-break space) to one ordinary space.  An empty result becomes ``None`` (with a ``required``
    error when ``required``).  Control characters (tab and line feed included), bidi controls, zero-width
    and other invisible format characters inside the value are a ``control_char`` error naming the first
    one as ``U+XXXX`` and its position (counted in the NFC-normalised input, from 1).  Longer than
    ``max_len`` characters is a ``too_long`` error.  The cleaned value is returned even when there are
    errors (for re-display); it must not be saved then.
    """
    if value is None:
        return _finish("", field, [], required=required, max_len=max_len)
    if _PLAIN.issuperset(value):
        # The common case (an import cleans millions of cells): printable ASCII and the Russian alphabet are
        # NFC already, hold no control, invisible or exotic space characters; only ordinary spaces to tidy.
        plain = value.strip(" ")
        return _finish(_SPACE_RUN.sub(" ", plain) if "  " in plain else plain, field, [], required=required,
                       max_len=max_len)
    text = unicodedata.normalize("NFC", value)
    stripped, offset = _strip_edges(text)
    problems: list[Problem] = []
    bad = _forbidden_problem(stripped, offset, field, multiline=False)
    if bad is not None:
        problems.append(bad)
    collapsed = _SPACE_RUN.sub(" ", "".join(" " if _is_space(ch) else ch for ch in stripped))
    return _finish(collapsed, field, problems, required=required, max_len=max_len)


def clean_multiline(
    value: str | None, field: str, *, required: bool = False, max_len: int = 2000
) -> tuple[str | None, list[Problem]]:
    """Clean a multi-line text field (order text, address).

    Like :func:`clean_text`, but line breaks are allowed: ``\\r\\n``, ``\\r``, U+2028 and U+2029 become
    ``\\n``; a tab is treated as a space.  Spaces are collapsed and trailing spaces removed within each line,
    more than one empty line in a row is reduced to one, and the whole text is stripped.
    """
    if value is None:
        return _finish("", field, [], required=required, max_len=max_len)
    text = unicodedata.normalize("NFC", value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    stripped, offset = _strip_edges(text)
    problems: list[Problem] = []
    bad = _forbidden_problem(stripped, offset, field, multiline=True)
    if bad is not None:
        problems.append(bad)
    lines = []
    for line in stripped.split("\n"):
        spaced = "".join(" " if ch == "\t" or _is_space(ch) else ch for ch in line)
        lines.append(_SPACE_RUN.sub(" ", spaced).strip(" "))
    joined = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return _finish(joined, field, problems, required=required, max_len=max_len)


# --------------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------------

_APOSTROPHES = frozenset("'\u2019\u02bc")  # ' ’ ʼ
_HYPHEN_VARIANTS = {"\u2010": "-", "\u2011": "-"}  # hyphen, non-breaking hyphen -> hyphen-minus
_NAME_SEPARATORS = re.compile(r"[ .\-]+")

# Letters that look the same (or nearly) in Cyrillic and Latin.
_CYRILLIC_LOOKALIKES = frozenset("аеорсхуіјѕһԁАВЕКМНОРСТХУІЈЅ")
_LATIN_LOOKALIKES = frozenset("aeopcxyijshdABEKMHOPCTXYIJS")

_LATIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_JOINERS = frozenset("-'\u2019\u02bc")
_NAME_PUNCTUATION = frozenset(" .-") | _APOSTROPHES  # a name of only these has no letter
_BAD_JOIN = re.compile(r"[\-'\u2019\u02bc]{2}|[\-'\u2019\u02bc] | [\-'\u2019\u02bc]")
# A name made only of these, in one alphabet, needs no per-character or mixed-alphabet check.
_PLAIN_NAME = _RUSSIAN | _LATIN | frozenset(" .-'")

_SCRIPT_GENITIVE = {"CYRILLIC": "кириллицы", "LATIN": "латиницы", "GREEK": "греческого алфавита"}
_SCRIPT_LETTERS = {"CYRILLIC": "кириллические буквы", "LATIN": "латинские буквы", "GREEK": "греческие буквы"}


def _script(ch: str) -> str | None:
    """Alphabet of a letter by its Unicode name (``"CYRILLIC"``, ``"LATIN"``...), ``None`` for non-letters."""
    if not ch.isalpha() or ch in _APOSTROPHES or unicodedata.category(ch) == "Lm":
        return None
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return None


def _mixed_scripts_problem(word: str, field: str) -> Problem | None:
    letters_by_script: dict[str, list[str]] = {}
    for ch in word:
        script = _script(ch)
        if script is not None:
            bucket = letters_by_script.setdefault(script, [])
            if ch not in bucket:
                bucket.append(ch)
    if len(letters_by_script) < 2:
        return None
    if set(letters_by_script) == {"CYRILLIC", "LATIN"}:
        # A Cyrillic word with Latin look-alikes typed in, unless every Cyrillic letter of it has a Latin
        # look-alike while some Latin letter has none ("Smithе" with a Cyrillic е is a Latin word).
        cyrillic_only_lookalikes = all(ch in _CYRILLIC_LOOKALIKES for ch in letters_by_script["CYRILLIC"])
        latin_only_lookalikes = all(ch in _LATIN_LOOKALIKES for ch in letters_by_script["LATIN"])
        main = "LATIN" if cyrillic_only_lookalikes and not latin_only_lookalikes else "CYRILLIC"
    else:
        # The main alphabet is the most frequent one; on a tie Cyrillic wins (a Russian journal).
        counts = {s: sum(1 for ch in word if _script(ch) == s) for s in letters_by_script}
        main = max(counts, key=lambda s: (counts[s], s == "CYRILLIC"))
    scripts = [main, *sorted(s for s in letters_by_script if s != main)]
    names = " и ".join(_SCRIPT_GENITIVE.get(s, s.lower()) for s in scripts)
    details = "; ".join(
        f"{_SCRIPT_LETTERS.get(s, 'буквы ' + s.lower())}: {', '.join(letters_by_script[s])}"
        for s in scripts[1:]
    )
    return _problem(field, "mixed_scripts", f"буквы {names} в одном слове «{word}» ({details})")


def clean_name(
    value: str | None, field: str, *, required: bool = True, max_len: int = 100
) -> tuple[str | None, list[Problem]]:
    """Clean a personal name (фамилия, имя, отчество).

    :func:`clean_text` plus: the allowed characters are letters (with combining marks), hyphen, apostrophe
    (``'``, ``’``, ``ʼ``), space and dot (for initials); U+2010/U+2011 hyphens become ``-``.  Anything else
    (digits, other symbols) is a ``bad_format`` error, as is a name without letters or one that starts or
    ends with a hyphen/apostrophe.  A word (split on spaces, hyphens and dots) that mixes letters of
    different alphabets — the classic Latin ``a/e/o/p/c/x/y`` typed for their Cyrillic look-alikes — is a
    ``mixed_scripts`` error quoting the word and listing the foreign letters.  Pure Latin names are fine.
    """
    text, problems = clean_text(value, field, required=required, max_len=max_len)
    if text is None or any(p.code == "control_char" for p in problems):
        return text, problems
    if _PLAIN_NAME.issuperset(text) and (_RUSSIAN.isdisjoint(text) or _LATIN.isdisjoint(text)):
        return text, _name_shape(text, field, problems)  # one alphabet, only allowed characters: the shape only
    text = "".join(_HYPHEN_VARIANTS.get(ch, ch) for ch in text)

    bad_chars: list[str] = []
    base = ""  # the last non-combining character
    for ch in text:
        if unicodedata.category(ch).startswith("M"):
            ok = base.isalpha()  # a combining mark is fine only on a letter
        else:
            ok = ch.isalpha() or ch in _APOSTROPHES or ch in " .-"
            base = ch
        if not ok and ch not in bad_chars:
            bad_chars.append(ch)
    allowed = "допускаются только буквы, дефис, апостроф, пробел и точка"
    if bad_chars:
        shown = ", ".join(f"«{ch}»" if ch.isprintable() else _describe_char(ch) for ch in bad_chars)
        problems.append(_problem(field, "bad_format", f"недопустимые символы {shown} — {allowed}"))
        return text, problems
    if not any(ch.isalpha() for ch in text):
        problems.append(_problem(field, "bad_format", f"нет ни одной буквы — {allowed}"))
        return text, problems
    _name_shape(text, field, problems)
    for word in _NAME_SEPARATORS.split(text):
        mixed = _mixed_scripts_problem(word, field)
        if mixed is not None:
            problems.append(mixed)
    return text, problems


def _name_shape(text: str, field: str, problems: list[Problem]) -> list[Problem]:
    """A name's letters, hyphens and apostrophes in a sensible order (clean_name's last checks but one)."""
    if _NAME_PUNCTUATION.issuperset(text):
        allowed = "допускаются только буквы, дефис, апостроф, пробел и точка"
        problems.append(_problem(field, "bad_format", f"нет ни одной буквы — {allowed}"))
    elif text[0] in "-." or text[0] in _APOSTROPHES or text[-1] == "-" or text[-1] in _APOSTROPHES:
        problems.append(
            _problem(
                field, "bad_format", "не может начинаться или заканчиваться дефисом, апострофом или точкой"
            )
        )
    elif not _JOINERS.isdisjoint(text) and _BAD_JOIN.search(text):
        problems.append(_problem(field, "bad_format", "дефис и апостроф должны стоять между буквами"))
    return problems


def fold(value: str) -> str:
    """Matching key for names and other texts: NFC, casefold, ``ё``→``е``, collapsed whitespace, stripped.

    Apostrophe variants (``’``, ``ʼ``) fold to ``'`` and U+2010/U+2011 hyphens to ``-`` as well, so
    ``fold("Семёнов  Пётр") == fold("семенов петр")``.
    """
    text = unicodedata.normalize("NFC", value).casefold()
    text = text.replace("ё", "е").replace("\u2019", "'").replace("\u02bc", "'")
    text = text.replace("\u2010", "-").replace("\u2011", "-")
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------------------
# СНИЛС
# --------------------------------------------------------------------------------------------------------

_SNILS_CHECK_FROM = 1_001_998  # the checksum is only defined for numbers greater than 001-001-998
_SNILS_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013]+")


def snils_checksum(nine_digits: str) -> int:
    """Control number (0..99) of a SNILS for its first nine digits.

    Sum of digit × weight with weights 9..1 from the left; below 100 the sum itself, 100 and 101 give 0,
    above 101 the remainder of division by 101 (a remainder of 100 gives 0).
    Raises ``ValueError`` unless ``nine_digits`` is exactly nine ASCII digits.
    """
    if not re.fullmatch(r"[0-9]{9}", nine_digits):
        raise ValueError(f"expected nine digits, got {nine_digits!r}")
    total = sum(int(digit) * weight for digit, weight in zip(nine_digits, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    remainder = total % 101
    return 0 if remainder == 100 else remainder


def format_snils(digits: str) -> str:
    """``"11223344595"`` → ``"112-233-445 95"``.  Raises ``ValueError`` unless given eleven ASCII digits."""
    if not re.fullmatch(r"[0-9]{11}", digits):
        raise ValueError(f"expected eleven digits, got {digits!r}")
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


_ASCII_DIGITS = re.compile(r"[0-9]+")


def normalize_snils(value: str | None) -> tuple[str | None, list[Problem]]:
    """Parse a SNILS typed with or without spaces/hyphens into its eleven digits.

    Empty input gives ``(None, [])``.  Anything but digits, spaces and hyphens, or not exactly eleven digits,
    is a ``bad_format`` error (value ``None``).  A control number that does not match
    :func:`snils_checksum` is a ``bad_checksum`` error naming the expected number (the digits are still
    returned).  Numbers up to 001-001-998 have no checksum and are accepted with any control number.
    """
    field = "snils"
    if value is None:
        return None, []
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        return None, []
    digits = _SNILS_SEPARATORS.sub("", text)
    if not _ASCII_DIGITS.fullmatch(digits):
        return None, [_problem(field, "bad_format", f"допускаются только цифры, пробелы и дефисы («{text}»)")]
    if len(digits) != 11:
        return None, [
            _problem(field, "bad_format", f"должен состоять из 11 цифр, а введено {len(digits)} («{text}»)")
        ]
    if int(digits[:9]) > _SNILS_CHECK_FROM:
        expected = snils_checksum(digits[:9])
        if int(digits[9:]) != expected:
            message = (
                f"неверное контрольное число {digits[9:]} в номере {format_snils(digits)}: "
                f"для {digits[0:3]}-{digits[3:6]}-{digits[6:9]} должно быть {expected:02d} — "
                "проверьте, не допущена ли опечатка"
            )
            return digits, [_problem(field, "bad_checksum", message)]
    return digits, []


# --------------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_RU_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_MIN_BIRTH = date(1900, 1, 1)


def format_date(value: date) -> str:
    """A date as ``дд.мм.гггг``."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def parse_date(value: str | None, field: str, *, required: bool = False) -> tuple[date | None, list[Problem]]:
    """Parse ``гггг-мм-дд`` (ISO) or ``дд.мм.гггг`` (also ``д.м.гггг``).

    Empty input gives ``None`` (with a ``required`` error when ``required``).  Any other format, or a date
    that does not exist in the calendar (``31.02.2020``), is a ``bad_format`` error.
    """
    text = unicodedata.normalize("NFC", value).strip() if value is not None else ""
    if not text:
        if required:
            return None, [_problem(field, "required", "обязательное поле не заполнено")]
        return None, []
    iso = _ISO_DATE.fullmatch(text)
    ru = _RU_DATE.fullmatch(text)
    if iso is not None:
        year, month, day = (int(g) for g in iso.groups())
    elif ru is not None:
        day, month, year = (int(g) for g in ru.groups())
    else:
        return None, [
            _problem(field, "bad_format", f"«{text}» — не дата, ожидается дд.мм.гггг или гггг-мм-дд")
        ]
    try:
        return date(year, month, day), []
    except ValueError:
        return None, [_problem(field, "bad_format", f"такой даты нет в календаре («{text}»)")]


def check_date_in_range(value: date, start: date, end: date, field: str, what: str) -> list[Problem]:
    """``out_of_range`` error unless ``start <= value <= end`` (both ends included).

    ``what`` names the period in the message, e.g. ``"учебный год 2024/2025"``.
    """
    if start > end:
        raise ValueError(f"empty range: {start} > {end}")
    if start <= value <= end:
        return []
    return [
        _problem(
            field,
            "out_of_range",
            f"дата {format_date(value)} вне периода «{what}» (с {format_date(start)} по {format_date(end)})",
        )
    ]


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _years(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        word = "год"
    elif n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        word = "года"
    else:
        word = "лет"
    return f"{n} {word}"


def check_birth_date(
    birth: date | None, *, today: date, grade: int | None = None, field: str = "birth_date"
) -> list[Problem]:
    """Plausibility of a birth date.

    ``out_of_range`` error for a date in the future or before 1900.  For a student of grade 1..11 the age on
    1 September of the school year containing ``today`` (a school year starts on 1 September) is expected
    to be ``grade + 6``: outside ``[grade + 5, grade + 8]`` it is an ``implausible`` warning, outside
    ``[grade + 4, grade + 10]`` an ``implausible`` error.  Other grades (0, None) only get the basic checks.
    ``None`` gives no problems (whether the field is required is the caller's business).
    """
    if birth is None:
        return []
    if birth > today:
        return [_problem(field, "out_of_range", f"{format_date(birth)} — дата в будущем")]
    if birth < _MIN_BIRTH:
        return [_problem(field, "out_of_range", f"{format_date(birth)} — раньше 1900 года")]
    if grade is None or not 1 <= grade <= 11:
        return []
    sept1 = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    age = _age_on(birth, sept1)
    if grade + 5 <= age <= grade + 8:
        return []
    severity = "warning" if grade + 4 <= age <= grade + 10 else "error"
    age_text = (
        f"ученику {grade} класса {_years(age)}" if age >= 0 else f"ученик {grade} класса ещё не родился"
    )
    message = (
        f"на {format_date(sept1)} {age_text}, а обычно в этом классе {grade + 5}–{grade + 8} лет — "
        "проверьте дату рождения и класс"
    )
    return [_problem(field, "implausible", message, severity)]


# --------------------------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------------------------

_EMAIL_MAX = 254


def clean_email(
    value: str | None, field: str = "email", *, required: bool = False
) -> tuple[str | None, list[Problem]]:
    """Sanity-check an e-mail address and lowercase its domain part.

    Exactly one ``@``, a non-empty local part, a domain with a dot (not at its edges, no ``..``), no
    whitespace; otherwise a ``bad_format`` error.  The local part keeps its case.
    """
    text, problems = clean_text(value, field, required=required, max_len=_EMAIL_MAX)
    if text is None or errors(problems):
        return text, problems
    if any(ch.isspace() for ch in text):
        return text, [
            *problems,
            _problem(field, "bad_format", f"адрес не может содержать пробелы («{text}»)"),
        ]
    if text.count("@") != 1:
        return text, [
            *problems,
            _problem(field, "bad_format", f"в адресе должен быть ровно один знак @ («{text}»)"),
        ]
    local, domain = text.split("@")
    domain = domain.lower()
    if not local:
        return text, [*problems, _problem(field, "bad_format", f"нет имени перед @ («{text}»)")]
    if "." not in domain or domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return text, [*problems, _problem(field, "bad_format", f"неверный домен после @ («{text}»)")]
    return f"{local}@{domain}", problems


_PHONE_STRIP = re.compile(r"[\s\-()\u2010\u2011\u2012\u2013]+")


def clean_phone(
    value: str | None, field: str = "phone", *, required: bool = False
) -> tuple[str | None, list[Problem]]:
    """Normalise a phone number.

    Spaces, hyphens and parentheses are ignored.  ``+7XXXXXXXXXX``, ``8XXXXXXXXXX`` and ``7XXXXXXXXXX``
    become ``"+7 912 345-67-89"``.  Other numbers of 5..15 digits (optionally with a leading ``+``) are kept
    as typed with an ``unusual_phone`` warning.  Letters, other symbols or other lengths are a
    ``bad_format`` error.
    """
    text, problems = clean_text(value, field, required=required, max_len=40)
    if text is None or errors(problems):
        return text, problems
    compact = _PHONE_STRIP.sub("", text)
    if any(ch.isalpha() for ch in compact):
        return text, [*problems, _problem(field, "bad_format", f"в номере не должно быть букв («{text}»)")]
    match = re.fullmatch(r"(\+?)([0-9]+)", compact)
    if match is None:
        return text, [
            *problems,
            _problem(
                field, "bad_format", f"допускаются цифры, «+» в начале, пробелы, дефисы и скобки («{text}»)"
            ),
        ]
    plus, digits = match.groups()
    national: str | None = None
    if len(digits) == 11 and (digits[0] == "7" or (digits[0] == "8" and not plus)):
        national = digits[1:]
    if national is not None:
        return f"+7 {national[0:3]} {national[3:6]}-{national[6:8]}-{national[8:10]}", problems
    if 5 <= len(digits) <= 15:
        warning = _problem(
            field,
            "unusual_phone",
            f"номер «{text}» не похож на российский (+7 и 10 цифр) — проверьте",
            "warning",
        )
        return text, [*problems, warning]
    return text, [
        *problems,
        _problem(
            field, "bad_format", f"в номере должно быть от 5 до 15 цифр, а введено {len(digits)} («{text}»)"
        ),
    ]
