"""The movement book (книга движения) and the outcome lists, read from the order ledger for any period.

Arrivals are enrolments that started in the period from outside the school (admission, transfer in,
reinstatement); departures are enrolments that ended in the period with a leaving reason (transfer out,
graduation, ...). The lists of promoted, conditionally promoted, retained and graduated students are
enrolments that ended in the period with that reason (closing a year writes them). Moves between classes
inside the school and the yearly promotion are not arrivals or departures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from zhurnal.core.errors import ValidationFailed
from zhurnal.core.models import Enrolment, Order, Person, SchoolClass
from zhurnal.core.services.base import Service, service
from zhurnal.core.services.classes import full_name
from zhurnal.core.services.common import plain_rows
from zhurnal.core.services.enrolments import DEPART_REASONS
from zhurnal.core.uow import UnitOfWork
from zhurnal.core.validation import Problem, format_date

ARRIVAL_REASONS = ("admission", "transfer_in", "reinstatement")
REASON_NAMES = {
    "admission": "зачислен", "transfer_in": "прибыл из другой школы", "reinstatement": "восстановлен",
    "transfer_out": "выбыл в другую школу", "family_education": "семейное образование", "expelled": "отчислен",
    "graduated": "выпущен", "moved_abroad": "выезд за рубеж", "deceased": "смерть", "other": "иное",
    "promotion": "переведён", "conditional": "переведён условно", "retention": "оставлен на повторное обучение",
}
LISTS = {"promoted": "promotion", "conditional": "conditional", "retained": "retention", "graduated": "graduated"}
LIST_TITLES = {"promoted": "Переведены", "conditional": "Переведены условно", "retained": "Оставлены на повторное "
               "обучение", "graduated": "Выпущены"}


@dataclass(frozen=True)
class MovementRow:
    """One line of the movement book or of an outcome list."""

    person_id: int
    full_name: str
    birth_date: dt.date | None
    direction: str  # arrived | left | promoted | conditional | retained | graduated
    date: dt.date
    class_name: str
    order_number: str
    order_date: dt.date
    reason: str
    counterpart: str | None  # from where (arrivals) or to where (departures, or the next class)


@dataclass(frozen=True)
class MovementBook:
    date_from: dt.date
    date_to: dt.date
    arrivals: tuple[MovementRow, ...]
    departures: tuple[MovementRow, ...]
    lists: dict[str, tuple[MovementRow, ...]]  # promoted | conditional | retained | graduated

    def sections(self) -> list[tuple[str, tuple[MovementRow, ...]]]:
        """(title, rows) in the order the book prints them."""
        return [("Прибыли", self.arrivals), ("Выбыли", self.departures),
                *[(LIST_TITLES[k], self.lists.get(k, ())) for k in LISTS]]


def movement_book(uow: UnitOfWork, date_from: dt.date, date_to: dt.date) -> MovementBook:
    """The book for [date_from, date_to] (both included)."""
    if date_from > date_to:
        raise ValidationFailed([Problem("date_to", "out_of_range", f"Период: {format_date(date_from)} позже "
                                                                   f"{format_date(date_to)}")])
    # Plain columns, not mapped objects: a year's book is thousands of rows.
    start_order, end_order = aliased(Order), aliased(Order)
    base = (select(Enrolment.id, Enrolment.person_id, Enrolment.start_date, Enrolment.end_date,
                   Enrolment.start_reason, Enrolment.end_reason, Enrolment.came_from, Enrolment.went_to,
                   Person.last_name, Person.first_name, Person.middle_name, Person.birth_date,
                   SchoolClass.name.label("class_name"), start_order.number.label("start_number"),
                   start_order.order_date.label("start_day"), end_order.number.label("end_number"),
                   end_order.order_date.label("end_day"))
            .join(Person, Person.id == Enrolment.person_id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .join(start_order, start_order.id == Enrolment.start_order_id)
            .outerjoin(end_order, end_order.id == Enrolment.end_order_id)
            .where(Enrolment.school_id == uow.school_id))
    arrived = plain_rows(uow, base.where(Enrolment.start_date.between(date_from, date_to),
                                         Enrolment.start_reason.in_(ARRIVAL_REASONS))
                         .order_by(Enrolment.start_date, Person.name_key, Enrolment.id))
    ended = plain_rows(uow, base.where(Enrolment.end_date.between(date_from, date_to),
                                       Enrolment.end_reason.in_([*DEPART_REASONS, *LISTS.values()]))
                       .order_by(Enrolment.end_date, SchoolClass.parallel, SchoolClass.letter, Person.name_key,
                                 Enrolment.id))
    arrivals = tuple(MovementRow(r.person_id, full_name(r.last_name, r.first_name, r.middle_name), r.birth_date,
                                 "arrived", r.start_date, r.class_name, r.start_number, r.start_day,
                                 REASON_NAMES.get(r.start_reason, r.start_reason), r.came_from) for r in arrived)
    following = _next_classes(uow, [(r.id, r.person_id, r.end_date) for r in ended
                                    if r.end_reason in LISTS.values()])
    departures: list[MovementRow] = []
    lists: dict[str, list[MovementRow]] = {k: [] for k in LISTS}
    for r in ended:
        name = full_name(r.last_name, r.first_name, r.middle_name)
        number, day = (r.end_number, r.end_day) if r.end_number is not None else ("", r.end_date)
        reason = REASON_NAMES.get(r.end_reason, r.end_reason)
        if r.end_reason in DEPART_REASONS:
            departures.append(MovementRow(r.person_id, name, r.birth_date, "left", r.end_date, r.class_name, number,
                                          day, reason, r.went_to))
        for key, end_reason in LISTS.items():
            if r.end_reason == end_reason:
                lists[key].append(MovementRow(r.person_id, name, r.birth_date, key, r.end_date, r.class_name,
                                              number, day, reason, following.get(r.id, r.went_to)))
    return MovementBook(date_from, date_to, arrivals, tuple(departures), {k: tuple(v) for k, v in lists.items()})


def _next_classes(uow: UnitOfWork, ended: list[tuple[int, int, dt.date]]) -> dict[int, str]:
    """Enrolment id -> the class of the same person's enrolment starting right after it (promotions), for
    (enrolment id, person id, end date) triples."""
    result: dict[int, str] = {}
    after: dict[int, list[tuple[int, dt.date]]] = {}
    for enrolment_id, person_id, end in ended:
        after.setdefault(person_id, []).append((enrolment_id, end))
    ids = list(after)
    for start in range(0, len(ids), 1000):
        rows = plain_rows(uow, select(Enrolment.person_id, Enrolment.start_date, SchoolClass.name)
                          .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
                          .where(and_(Enrolment.school_id == uow.school_id,
                                      Enrolment.person_id.in_(ids[start:start + 1000])))
                          .order_by(Enrolment.start_date))
        for person_id, start_date, name in rows:  # by start date: the first one after each end wins
            for enrolment_id, end in after[person_id]:
                if start_date > end and enrolment_id not in result:
                    result[enrolment_id] = name
    return result


# ---------------------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------------------

HEADERS = ("ФИО", "Дата рождения", "Дата", "Класс", "Приказ №", "Дата приказа", "Основание", "Откуда / куда")
WIDTHS_MM = (62, 22, 20, 14, 22, 22, 46, 59)  # landscape A4: 277 mm between the margins


def book_xlsx(book: MovementBook, school_name: str = "") -> bytes:
    """One sheet per section (arrivals, departures, the four lists); dates as dates (дд.мм.гггг)."""
    from zhurnal.core.letters.xlsx import neutralise
    from zhurnal.core.services.sheets import Sheet, write_xlsx

    sheets = []
    period = f"{format_date(book.date_from)}–{format_date(book.date_to)}"
    for title, rows in book.sections():
        body = [[neutralise(r.full_name), r.birth_date, r.date, neutralise(r.class_name), neutralise(r.order_number),
                 r.order_date, r.reason, neutralise(r.counterpart or "")] for r in rows]
        heading = f"{title}: {period}" + (f", {neutralise(school_name)}" if school_name else "")
        sheets.append(Sheet(title[:31], [[heading], list(HEADERS), *body], (36, 14, 12, 8, 12, 14, 28, 34), 2))
    return write_xlsx(sheets)


def book_pdf(book: MovementBook, school_name: str = "") -> bytes:
    """The movement book proper (arrivals and departures, graduates among them) as a landscape A4 PDF in the
    bundled DejaVu fonts, with the number of promoted, retained ... students at the end; rows are placed
    with text() (multi_cell is far slower)."""
    from zhurnal.core.services.pdfdoc import FAMILY, ArchivePdf, render

    def draw(pdf: ArchivePdf) -> None:
        left, bottom, step = 10.0, 200.0, 5.0

        widths: dict[tuple[str, str], float] = {}

        def measure(text: str) -> float:
            # get_string_width is slow per call; characters of one font are measured once
            total = 0.0
            for ch in text:
                key = (pdf.font_style, ch)
                if key not in widths:
                    widths[key] = pdf.get_string_width(ch)
                total += widths[key]
            return total

        fitted: dict[tuple[str, float, float], str] = {}

        def fit(text: str, width: float) -> str:
            # dates, classes, orders and reasons repeat from row to row: each is fitted once
            key = (text, width, pdf.font_size_pt)
            done = fitted.get(key)
            if done is None:
                done = fitted[key] = _fit(text, width)
            return done

        def _fit(text: str, width: float) -> str:
            if measure(text) <= width - 1:
                return text
            while text and measure(text + "…") > width - 1:
                text = text[:-1]
            return text + "…"

        def header(title: str) -> float:
            pdf.add_page()
            pdf.set_font(FAMILY, "", 12)
            pdf.text(left, 14, f"Книга движения обучающихся: {format_date(book.date_from)}–"
                               f"{format_date(book.date_to)}" + (f". {school_name}" if school_name else ""))
            pdf.text(left, 21, title)
            pdf.set_font(FAMILY, "", 8)
            x = left
            for text, width in zip(HEADERS, WIDTHS_MM, strict=True):
                pdf.text(x, 28, fit(text, width))
                x += width
            pdf.line(left, 29.5, left + sum(WIDTHS_MM), 29.5)
            pdf.set_font(FAMILY, "", 8)
            return 34.0

        y = header(f"Прибыли ({len(book.arrivals)})")
        for title, rows in book.sections()[:2]:
            if rows is book.departures:
                y = header(f"Выбыли ({len(rows)})")
            for r in rows:
                if y > bottom:
                    y = header(f"{title} (продолжение)")
                values = (r.full_name, format_date(r.birth_date) if r.birth_date else "", format_date(r.date),
                          r.class_name, r.order_number, format_date(r.order_date), r.reason, r.counterpart or "")
                x = left
                for text, width in zip(values, WIDTHS_MM, strict=True):
                    pdf.text(x, y, fit(text, width))
                    x += width
                y += step
        # The lists (promoted, retained, ...) are reports of their own, in the XLSX; the book counts them.
        y = min(y, bottom) + step
        pdf.set_font(FAMILY, "", 9)
        pdf.text(left, y, "; ".join(f"{LIST_TITLES[k]}: {len(book.lists.get(k, ()))}" for k in LISTS))

    return render("Книга движения обучающихся", draw)


class MovementService(Service):
    """The movement book and the outcome lists for any period, on screen and as XLSX."""

    area = "movement"

    @service("people.read")
    def book(self, uow: UnitOfWork, date_from: dt.date, date_to: dt.date) -> MovementBook:
        """Arrivals, departures and the lists of promoted, conditionally promoted, retained and graduated
        students for the period (both ends included)."""
        uow.audit("movement.read", detail=f"{format_date(date_from)}–{format_date(date_to)}")
        return movement_book(uow, date_from, date_to)

    @service("export.personal_data")
    def export_xlsx(self, uow: UnitOfWork, date_from: dt.date, date_to: dt.date) -> bytes:
        """The book for the period as an XLSX workbook (one sheet per section)."""
        from zhurnal.core.models import School

        school = uow.session.get(School, uow.school_id)
        uow.audit("movement.export", detail=f"{format_date(date_from)}–{format_date(date_to)}")
        return book_xlsx(movement_book(uow, date_from, date_to), school.name if school else "")
