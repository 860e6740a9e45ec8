"""The summary of final marks of a year (сводная ведомость итоговых отметок): per class, a table of students by
subjects with each term's mark and the year mark.

Read from the confirmed term marks alone, with the class name and subject title copied into each mark when it
was given: a subject renamed or removed later, or a class renamed, keeps the title it had that year. A student
moved between classes during the year appears under each class they got marks in. Built at closing for the
year archive (core/services/yeararchive.py) as XLSX and PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from zhurnal.core.letters.xlsx import neutralise
from zhurnal.core.models import AcademicYear, Person, SchoolClass, TermMark
from zhurnal.core.services.classes import full_name
from zhurnal.core.services.common import plain_result
from zhurnal.core.services.sheets import Sheet, write_xlsx
from zhurnal.core.uow import UnitOfWork

YEAR = 0  # term_number of the year mark
FIGURE_SPACE = "\u2007"
TERM_ABBREV = {"quarter": "ч", "trimester": "тр", "half": "пг"}


@dataclass(frozen=True)
class SummaryRow:
    student_id: int
    full_name: str
    # per subject (in the order of ClassSummary.subjects): the term marks by term number, 0 = the year mark
    marks: tuple[dict[int, str], ...]


@dataclass(frozen=True)
class ClassSummary:
    class_name: str
    subjects: tuple[str, ...]
    terms: tuple[int, ...]  # the term numbers with any mark in the class, the year mark (0) not among them
    term_kind: str
    rows: tuple[SummaryRow, ...]


def _class_key(name: str) -> tuple[int, str]:
    digits = re.match(r"\d+", name)
    return (int(digits.group()) if digits else 0, name)


def summary(uow: UnitOfWork, year: AcademicYear) -> list[ClassSummary]:
    """The year's final marks per class (one query for the marks, one per 1,000 students for the names),
    classes by grade then letter, students by name."""
    # Through the index on the mark's class (every mark of the year was given in one of the year's classes):
    # school and year alone scan every school's marks, which made a district's closings quadratic.
    marks = plain_result(uow, select(TermMark.class_name, TermMark.subject_name, TermMark.term_kind,
                                     TermMark.term_number, TermMark.student_id, TermMark.value)
                         .where(TermMark.class_id.in_(select(SchoolClass.id).where(SchoolClass.year_id == year.id)),
                                TermMark.school_id == uow.school_id, TermMark.year_id == year.id))
    # class name -> subject title -> student -> term number -> value
    table: dict[str, dict[str, dict[int, dict[int, str]]]] = {}
    terms: dict[str, set[int]] = {}
    kinds: dict[str, str] = {}
    for class_name, subject_name, kind, number, student_id, value in marks:
        by_subject = table.get(class_name)
        if by_subject is None:
            by_subject = table[class_name] = {}
            terms[class_name] = set()
        by_student = by_subject.get(subject_name)
        if by_student is None:
            by_student = by_subject[subject_name] = {}
        by_student.setdefault(student_id, {})[number] = value
        if number != YEAR:
            terms[class_name].add(number)
            kinds[class_name] = kind
    ids = sorted({sid for by_subject in table.values() for by_student in by_subject.values() for sid in by_student})
    students: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        students.update((pid, full_name(last, first, middle)) for pid, last, first, middle in plain_result(
            uow, select(Person.id, Person.last_name, Person.first_name, Person.middle_name)
            .where(Person.id.in_(ids[start:start + 1000]))))
    result = []
    for name in sorted(table, key=_class_key):
        by_subject = table[name]
        subjects = sorted(by_subject)
        ids = sorted({sid for by_student in by_subject.values() for sid in by_student},
                     key=lambda i: (students.get(i, "").casefold(), i))
        columns = [by_subject[subject] for subject in subjects]
        rows = tuple(SummaryRow(sid, students.get(sid, ""), tuple(column.get(sid, {}) for column in columns))
                     for sid in ids)
        result.append(ClassSummary(name, tuple(subjects), tuple(sorted(terms[name])), kinds.get(name, ""), rows))
    return result


def _columns(c: ClassSummary) -> list[str]:
    abbrev = TERM_ABBREV.get(c.term_kind, "")
    return [f"{t} {abbrev}".strip() for t in c.terms] + ["год"]


def summary_xlsx(classes: list[ClassSummary], year_name: str, school_name: str = "") -> bytes:
    """One sheet per class: a two-row header (subject, then its terms and the year), one row per student."""
    sheets = []
    for c in classes:
        columns = _columns(c)
        top: list[str | None] = ["№", "ФИО обучающегося"]
        sub: list[str | None] = [None, None]
        for subject in c.subjects:
            top += [neutralise(subject)] + [None] * (len(columns) - 1)
            sub += columns
        body = []
        for n, row in enumerate(c.rows, 1):
            line: list[str | int | None] = [n, neutralise(row.full_name)]
            for marks in row.marks:
                line += [_value(marks.get(t)) for t in (*c.terms, YEAR)]
            body.append(line)
        title = f"Сводная ведомость итоговых отметок, {c.class_name}, {year_name}"
        if school_name:
            title += f", {neutralise(school_name)}"
        widths = (5, 36) + (6,) * (len(c.subjects) * len(columns))
        sheets.append(Sheet(c.class_name[:31], [[title], top, sub, *body], widths, 3))
    return write_xlsx(sheets or [Sheet("—", [["Итоговых отметок нет"]])])


def _value(value: str | None) -> str | int | None:
    # whole-number marks as numbers (sums and averages work in a spreadsheet), the rest (зач, н/а) as text
    return int(value) if value is not None and value.isdigit() else value


def summary_pdf(classes: list[ClassSummary], year_name: str, school_name: str = "") -> bytes:
    """The year marks per class as a landscape A4 PDF (term marks are in the XLSX: a page fits only so many
    columns); subjects are numbered in the header and named in a legend under the table."""
    from zhurnal.core.services.pdfdoc import FAMILY, ArchivePdf, render

    def draw(pdf: ArchivePdf) -> None:
        left, bottom, step, name_w = 10.0, 195.0, 5.0, 62.0
        pdf.set_font(FAMILY, "", 8)
        # Digits and the figure space have one width in DejaVu Sans: a row of one-digit marks (a figure space
        # where there is none), a figure space between two (text taken from the PDF keeps them apart), is a
        # single text() call, the character spacing (Tc, in points) set to put each mark at the start of its
        # column (a call per cell, then padding with figure spaces, were most of this document's time: fpdf2
        # encodes text character by character).
        figure = pdf.get_string_width("0")
        # The row number, right-aligned in figure spaces, and the name are one call too; the name starts four
        # figures in.
        name_x = left + 4 * figure
        if not classes:
            pdf.add_page()
            pdf.set_font(FAMILY, "", 12)
            pdf.text(left, 14, f"Сводная ведомость итоговых отметок, {year_name}: итоговых отметок нет")
        for c in classes:
            per_col = max(1, int(min(12.0, (277.0 - 8 - name_w) / max(len(c.subjects), 1)) // figure))
            col = per_col * figure
            gap = FIGURE_SPACE if per_col > 1 else ""
            spacing = round((col - figure * (1 + len(gap))) / (1 + len(gap)) * pdf.k, 2)

            def header(c: ClassSummary = c, col: float = col, per_col: int = per_col) -> float:
                pdf.add_page()
                pdf.set_font(FAMILY, "", 12)
                pdf.text(left, 14, f"Сводная ведомость итоговых (годовых) отметок, {c.class_name}, {year_name}"
                         + (f". {school_name}" if school_name else ""))
                pdf.set_font(FAMILY, "", 8)
                pdf.text(left, 22, "№")
                pdf.text(name_x, 22, "ФИО обучающегося")
                numbers = [str(i) for i in range(1, len(c.subjects) + 1)]
                if all(len(number) <= per_col for number in numbers):  # one call, as the marks
                    pdf.text(left + 8 + name_w, 22, "".join(number.ljust(per_col, FIGURE_SPACE) for number in numbers))
                else:
                    for i, number in enumerate(numbers):
                        pdf.text(left + 8 + name_w + i * col, 22, number)
                pdf.line(left, 23.5, left + 8 + name_w + len(c.subjects) * col, 23.5)
                return 28.0

            y = header()
            for n, row in enumerate(c.rows, 1):
                if y > bottom:
                    y = header()
                pdf.text(left, y, f"{n:>3}".replace(" ", FIGURE_SPACE) + FIGURE_SPACE + row.full_name[:40])
                values = [marks.get(YEAR, "") for marks in row.marks]
                if all(len(v) <= 1 and (not v or v.isdigit()) for v in values):
                    pdf.set_char_spacing(spacing)
                    pdf.text(left + 8 + name_w, y, gap.join(v or FIGURE_SPACE for v in values).rstrip(FIGURE_SPACE))
                    pdf.set_char_spacing(0)
                else:
                    for i, value in enumerate(values):
                        pdf.text(left + 8 + name_w + i * col, y, value)
                y += step
            legend = "; ".join(f"{i}. {s}" for i, s in enumerate(c.subjects, 1))
            y = min(y, bottom) + step
            for start in range(0, len(legend), 180):
                if y > 205:
                    y = header() - 5
                pdf.text(left, y, legend[start:start + 180])
                y += step - 1

    return render("Сводная ведомость итоговых отметок", draw)
