"""Invitation letters as PDF (fpdf2): one A4 page per person, Cyrillic in the bundled DejaVu fonts.

Speed: fpdf2's `multi_cell` re-measures the growing line for every character (quadratic), which made a
school's 2,700 letters take 20 s. Here text is placed with `text()` at computed positions, and paragraphs are
wrapped by our own greedy word wrap whose results are cached: the instructions are the same on every page, so
they are measured once per document.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from importlib import resources
from typing import TYPE_CHECKING

from zhurnal.core.letters import Letter
from zhurnal.core.validation import format_date

if TYPE_CHECKING:
    from fpdf import FPDF

Wrap = Callable[[str, str, float, float], tuple[str, ...]]

FONT_FILES = {("sans", ""): "DejaVuSans.ttf", ("sans", "B"): "DejaVuSans-Bold.ttf",
              ("mono", ""): "DejaVuSansMono.ttf"}

LEFT = 20.0  # mm
WIDTH = 170.0  # A4 is 210 mm wide
VALUE_X = 64.0
BOTTOM = 282.0

TITLE = {"invite": "Приглашение в электронный журнал", "reset": "Новый код входа в электронный журнал"}
SUBTITLE = {"student": "для обучающегося", "parent": "для родителя (законного представителя)",
            "staff": "для сотрудника"}
PERSON = {"student": "Обучающийся", "parent": "Родитель", "staff": "Сотрудник"}
STEPS = (
    "Откройте электронный журнал школы и выберите вход по коду. Где и как открыть журнал, подскажет "
    "классный руководитель или администратор журнала.",
    "Введите имя входа и код, как они напечатаны выше. Буквы можно набирать строчными, дефисы — "
    "не обязательно.",
    "Придумайте свой пароль не короче {length} символов — удобнее всего фраза из нескольких слов. Пароль не "
    "должен содержать имя входа.",
    "Дальше входите по имени входа и своему паролю. Код больше не понадобится.",
)
ONCE = ("Код одноразовый: как только вы зададите пароль, он перестаёт действовать. Если срок истёк или код "
        "не подходит, попросите новый у классного руководителя или администратора журнала — прежний код при "
        "этом отменяется.")
FOR_WHOM = {
    "student": "Не показывайте код и пароль другим, даже друзьям и одноклассникам.",
    "staff": "Не показывайте код и пароль другим, даже коллегам.",
    "parent": "Этот код — для родителя (законного представителя): он открывает вашу учётную запись, а не "
              "учётную запись ребёнка. Не передавайте его ребёнку — у ребёнка свой код и своё письмо.",
}


def _wrapper(pdf: FPDF) -> Wrap:
    """A cached greedy word wrap for `pdf`: (font key, text, size, width) -> lines."""

    @functools.cache
    def wrap(font: str, text: str, size: float, width: float) -> tuple[str, ...]:
        family, style = font.split(":")
        pdf.set_font(family, style, size)
        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if current and pdf.get_string_width(candidate) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        if current:
            lines.append(current)
        return tuple(lines) or ("",)

    return wrap


def render_pdf(letters: Sequence[Letter]) -> bytes:
    """One page per letter, in the order given."""
    from fpdf import FPDF

    with contextlib.ExitStack() as stack:
        fonts = resources.files("zhurnal.core.data").joinpath("fonts")
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(LEFT, 20, 210 - LEFT - WIDTH)
        for (family, style), name in FONT_FILES.items():
            # fpdf2 reads the font lazily until output: keep the file path valid until then.
            path = stack.enter_context(resources.as_file(fonts.joinpath(name)))
            pdf.add_font(family, style, str(path))
        pdf.set_creator("zhurnal")
        pdf.set_title(TITLE["invite"])
        pdf.set_lang("ru")
        wrap = _wrapper(pdf)
        for letter in letters:
            _page(pdf, wrap, letter)
        return bytes(pdf.output())


def _page(pdf: FPDF, wrap: Wrap, letter: Letter) -> None:
    pdf.add_page()
    y = 24.0

    def lines(font: str, size: float, text: str, *, x: float = LEFT, width: float = WIDTH,
              step: float | None = None) -> None:
        nonlocal y
        family, style = font.split(":")
        pdf.set_font(family, style, size)
        for line in wrap(font, text, size, width - (x - LEFT)):
            pdf.text(x, y, line)
            y += step or size * 0.5

    pdf.set_text_color(90)
    lines("sans:B", 11, letter.school_name, step=5.5)
    y += 8
    pdf.set_text_color(0)
    lines("sans:B", 18, TITLE.get(letter.purpose, TITLE["invite"]), step=8)
    lines("sans:", 12, SUBTITLE.get(letter.kind, ""), step=6)
    y += 6

    def row(label: str, value: str, font: str = "sans:B", size: float = 12) -> None:
        nonlocal y
        pdf.set_text_color(90)
        pdf.set_font("sans", "", 11)
        pdf.text(LEFT, y, label)
        pdf.set_text_color(0)
        lines(font, size, value, x=VALUE_X, step=6.5)
        y += 1.5

    row(PERSON.get(letter.kind, "Кому"), letter.full_name)
    if letter.kind == "parent":
        row("Ребёнок" if len(letter.children) == 1 else "Дети", ", ".join(letter.children) or "—")
    elif letter.kind == "student":
        row("Класс", letter.class_name or "—")
    row("Имя входа", letter.login, "mono:", 14)
    y += 5

    pdf.set_font("sans", "", 12)
    pdf.text(LEFT, y, "Код для первого входа:" if letter.purpose == "invite" else "Код для входа:")
    y += 4
    pdf.set_fill_color(238)
    pdf.set_draw_color(120)
    pdf.rect(LEFT, y, WIDTH, 22, style="DF")
    pdf.set_font("mono", "", 30)
    pdf.text(LEFT + (WIDTH - pdf.get_string_width(letter.code)) / 2, y + 14.5, letter.code)
    y += 31
    lines("sans:B", 12, f"Код действует до {format_date(letter.valid_until)} включительно и только один раз.",
          step=6)
    y += 7

    lines("sans:B", 13, "Как войти", step=7)
    for number, text in enumerate(STEPS, 1):
        pdf.set_font("sans", "", 11)
        pdf.text(LEFT, y, f"{number}.")
        # staff accounts may be administrators' (15 characters); the policy itself is checked on redeeming
        lines("sans:", 11, text.format(length="12 (администраторам — 15)" if letter.kind == "staff" else "12"),
              x=LEFT + 6, step=5.6)
        y += 1.5
    y += 4
    lines("sans:", 11, ONCE, step=5.6)
    y += 3
    lines("sans:B", 11, FOR_WHOM.get(letter.kind, ""), step=5.6)

    pdf.set_text_color(120)
    pdf.set_font("sans", "", 8)
    pdf.text(LEFT, BOTTOM, "Письмо содержит одноразовый код входа. После использования или окончания срока его "
                           "можно выбросить.")
    pdf.set_text_color(0)
