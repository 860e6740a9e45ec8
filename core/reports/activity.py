"""The activity report as files: XLSX (formatted tables with native Excel bar charts), PDF (tables and bars
drawn in the bundled DejaVu font) and CSV (UTF-8 with BOM, `;`, for Excel).

All three are written from the same tables (`tables(report)`), so they always agree; a cell that could be
taken for a formula is neutralised as in every other export.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from zhurnal.core.letters.xlsx import neutralise
from zhurnal.core.services.activity_report import ActivityReport, RoleRow
from zhurnal.core.validation import format_date

FORMATS = ("xlsx", "pdf", "csv")
GROUP_TITLES = {"staff": "Сотрудники", "teachers": "Учителя", "students": "Обучающиеся", "parents": "Родители",
                "total": "Всего (каждый один раз)"}

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """One table of the report: title, header, rows, and the column its bar chart shows (None: no chart)."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    chart_column: int | None = None  # index into header; the first column labels the bars


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def _role_rows(rows: list[RoleRow], previous: list[RoleRow] | None) -> list[tuple[Cell, ...]]:
    before = {r.group: r.share_active for r in previous or []}
    return [(GROUP_TITLES.get(r.group, r.group), r.accounts, r.activated, r.active, r.logins, r.share_active,
             _change(r.share_active, before.get(r.group))) for r in rows]


def tables(report: ActivityReport) -> list[Table]:
    """The report's tables in the order every format shows them."""
    role_header = ("Роль", "Учётных записей", "Активировано", "Активных", "Входов", "Доля активных, %",
                   "Изменение, п.п.")
    result: list[Table] = []
    if report.district_roles:
        result.append(Table("Район: по ролям", role_header, _role_rows(report.district_roles, None), 5))
        result.append(Table("Район: по школам", ("Школа", "Учётных записей", "Активных", "Доля активных, %"),
                            [(s.school_name, s.roles[-1].accounts, s.roles[-1].active,
                              s.roles[-1].share_active) for s in report.schools], 3))
        return result
    school = report.school
    previous = report.previous.school if report.previous else None
    result.append(Table("По ролям", role_header, _role_rows(school.roles, previous.roles if previous else None), 5))
    before_fill = {t.person_id: t.fill_rate for t in previous.teachers} if previous else {}
    result.append(Table(
        "По учителям", ("Учитель", "Уроков", "С темой", "С д/з", "Отметок", "В срок", "С опозданием",
                        "Заполнение, %", "Изменение, п.п."),
        [(t.name, t.lessons, t.with_topic, t.with_homework, t.marks, t.marks_on_time, t.marks_late, t.fill_rate,
          _change(t.fill_rate, before_fill.get(t.person_id))) for t in school.teachers], 7))
    result.append(Table(
        "По классам", ("Класс", "Учеников", "Активных учеников", "Родителей с доступом", "Смотрели дневник",
                       "Уроков", "С посещаемостью", "Посещаемость отмечена, %"),
        [(c.name, c.students, c.students_active, c.parents, c.parents_viewed, c.lessons, c.attendance_taken,
          c.attendance_rate) for c in school.classes], 4))
    return result


def heading(report: ActivityReport) -> str:
    school = "Район" if report.district_roles else report.school.school_name
    return (f"Отчёт об использовании электронного журнала — {school}, {report.title} "
            f"({format_date(report.start)}–{format_date(report.end)})")


def _text(value: Cell) -> Cell:
    return neutralise(value) if isinstance(value, str) else value


def render_csv(report: ActivityReport) -> bytes:
    """Every table one after another, each under its title line; UTF-8 with BOM and `;` for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(heading(report))])
    for table in tables(report):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.header)
        for row in table.rows:
            writer.writerow(["" if v is None else _text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def render_xlsx(report: ActivityReport) -> bytes:
    """One sheet per table, header styled and frozen, and a native bar chart of the table's chart column."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for table in tables(report):
        sheet = book.create_sheet(table.title[:31])
        sheet.append([heading(report)])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(list(table.header))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE6F0")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in table.rows:
            sheet.append([_text(v) for v in row])
        sheet.freeze_panes = "B3"
        for index, title in enumerate(table.header, 1):
            longest = max([len(str(title))] + [len(str(r[index - 1] or "")) for r in table.rows])
            sheet.column_dimensions[get_column_letter(index)].width = min(45, max(10, longest + 2))
        if table.chart_column is not None and table.rows:
            chart = BarChart()
            chart.type = "bar"
            chart.title = f"{table.title}: {table.header[table.chart_column]}"
            chart.legend = None
            chart.height = max(7.5, 0.5 * len(table.rows) + 3)
            last = 2 + len(table.rows)
            data = Reference(sheet, min_col=table.chart_column + 1, min_row=2, max_row=last)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=last))
            sheet.add_chart(chart, f"{get_column_letter(len(table.header) + 2)}2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_pdf(report: ActivityReport) -> bytes:
    """A4 landscape: each table with a horizontal bar beside the chart column's value."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    fonts = resources.files("zhurnal.core.data").joinpath("fonts")
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
        with resources.as_file(fonts.joinpath(name)) as path:
            pdf.add_font("sans", style, str(path))
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("sans", "B", 12)
    pdf.multi_cell(0, 7, heading(report))
    for table in tables(report):
        pdf.ln(3)
        pdf.set_font("sans", "B", 10)
        pdf.cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
        first_width = 60.0
        bar_width = 50.0 if table.chart_column is not None else 0.0
        rest = (pdf.epw - first_width - bar_width) / max(1, len(table.header) - 1)
        widths = [first_width] + [rest] * (len(table.header) - 1)
        pdf.set_font("sans", "B", 7)
        height = 4.0
        top = pdf.get_y()
        x = pdf.l_margin
        for width, title in zip(widths, table.header, strict=True):
            pdf.set_xy(x, top)
            pdf.multi_cell(width, height, title, border=0)
            x += width
        pdf.set_y(top + 3 * height)
        pdf.set_font("sans", "", 8)
        values = [r[table.chart_column] for r in table.rows] if table.chart_column is not None else []
        top_value = max([float(v) for v in values if isinstance(v, int | float)] + [1.0])
        for row in table.rows:
            if pdf.get_y() > pdf.h - 20:
                pdf.add_page()
            y = pdf.get_y()
            for width, value in zip(widths, row, strict=True):
                pdf.cell(width, 5, "" if value is None else str(value))
            if table.chart_column is not None:
                value = row[table.chart_column]
                if isinstance(value, int | float) and value > 0:
                    pdf.set_fill_color(80, 120, 180)
                    pdf.rect(pdf.get_x() + 2, y + 1, (bar_width - 4) * float(value) / top_value, 3, style="F")
            pdf.ln(5)
    return bytes(pdf.output())


def render(report: ActivityReport, fmt: str) -> bytes:
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "pdf":
        return render_pdf(report)
    if fmt == "csv":
        return render_csv(report)
    raise ValueError(f"unknown format {fmt!r}")


def format_of(path: str | Path) -> str | None:
    """The format a file name asks for by its extension, or None."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None
