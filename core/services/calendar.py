"""Default Russian school calendar: the academic year containing a date and its standard term dates.

Used when a school is initialised or the demo is built; a school edits its own terms afterwards.
"""

from __future__ import annotations

from datetime import date


def school_year_start(today: date) -> int:
    """The calendar year in which the academic year containing `today` began (it begins on 1 September)."""
    return today.year if today.month >= 9 else today.year - 1


def year_name(start_year: int) -> str:
    return f"{start_year}/{start_year + 1}"


def year_bounds(start_year: int) -> tuple[date, date]:
    return date(start_year, 9, 1), date(start_year + 1, 8, 31)


def default_terms(start_year: int, kind: str) -> list[tuple[str, date, date]]:
    """(name, start, end) of each term of the given kind, with the usual holiday breaks."""
    y, n = start_year, start_year + 1
    if kind == "quarter":
        return [("1 четверть", date(y, 9, 1), date(y, 10, 26)),
                ("2 четверть", date(y, 11, 5), date(y, 12, 28)),
                ("3 четверть", date(n, 1, 9), date(n, 3, 21)),
                ("4 четверть", date(n, 3, 31), date(n, 5, 26))]
    if kind == "trimester":
        return [("1 триместр", date(y, 9, 1), date(y, 11, 30)),
                ("2 триместр", date(y, 12, 1), date(n, 2, 28)),
                ("3 триместр", date(n, 3, 1), date(n, 5, 26))]
    if kind == "half":
        return [("1 полугодие", date(y, 9, 1), date(y, 12, 28)),
                ("2 полугодие", date(n, 1, 9), date(n, 5, 26))]
    raise ValueError(f"unknown term kind {kind!r}")
