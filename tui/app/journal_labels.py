"""Catalogue texts of the journal and the diary formed from codes (attendance statuses, months), each written
as a literal `t("...")` call so the catalogue test finds every key."""

from __future__ import annotations

from zhurnal.tui.i18n import t


def attendance_letters() -> dict[str, str]:
    """status -> the letter typed and shown on the grid (Russian: н, б, о, у, п)."""
    return {"absent": t("journal.letter.absent"), "sick": t("journal.letter.sick"), "late": t("journal.letter.late"),
            "excused": t("journal.letter.excused"), "present": t("journal.letter.present")}


def attendance_name(status: str | None) -> str:
    names = {"absent": t("journal.status.absent"), "sick": t("journal.status.sick"),
             "late": t("journal.status.late"), "excused": t("journal.status.excused"),
             "present": t("journal.status.present")}
    return "" if status is None else names.get(status, status)


def month_short(month: int) -> str:
    """Three letters of a month, over the first lesson of the month in the grid's header."""
    names = (t("journal.month.1"), t("journal.month.2"), t("journal.month.3"), t("journal.month.4"),
             t("journal.month.5"), t("journal.month.6"), t("journal.month.7"), t("journal.month.8"),
             t("journal.month.9"), t("journal.month.10"), t("journal.month.11"), t("journal.month.12"))
    return names[month - 1]


def weekday(number: int) -> str:
    """The day of the week (0 Monday) in the diary."""
    names = (t("diary.weekday.0"), t("diary.weekday.1"), t("diary.weekday.2"), t("diary.weekday.3"),
             t("diary.weekday.4"), t("diary.weekday.5"), t("diary.weekday.6"))
    return names[number]
