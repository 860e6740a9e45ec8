"""Landscape A4 PDFs of the year archive (the summary of final marks, the movement book) in the bundled DejaVu
Sans, with the font prepared once per process.

fpdf2 parses the whole TrueType font (about 6,000 glyphs) for every document and subsets it again when writing
it; for a district's closings (two PDFs per school) that was most of the PDF time. The part of the font these
documents use — Latin, Cyrillic, punctuation, №, currency signs — is cut out once per process (fontTools, about
a tenth of a second) into a private temporary file, and each document loads that (about 1,100 glyphs). A
document that draws a character outside it is drawn again with the whole font, so nothing is lost.
"""

from __future__ import annotations

import atexit
import functools
import io
import shutil
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fpdf import FPDF

FAMILY = "sans"
_FONT = "DejaVuSans.ttf"
# Basic Latin to Latin Extended-B, Greek and Cyrillic with its supplement, general punctuation (dashes, quotes,
# …, figure space), currency signs, letterlike symbols (№).
_RANGES = ((0x20, 0x24F), (0x370, 0x52F), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F))


@functools.cache
def _common_part() -> tuple[Path, frozenset[str]] | None:
    """The common part of the font as a file, and the characters it has; None when no temporary file can be
    written (the documents then use the whole font, as before)."""
    from fontTools import subset, ttLib

    options = subset.Options()
    options.layout_features = []  # fpdf2 drops the layout tables (GSUB, GPOS) from what it embeds anyway
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM"]
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.glyph_names = True
    options.name_IDs = ["*"]
    with resources.as_file(resources.files("zhurnal.core.data").joinpath("fonts", _FONT)) as whole:
        font = ttLib.TTFont(whole, recalcTimestamp=False, recalcBBoxes=False, lazy=True)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[c for first, last in _RANGES for c in range(first, last + 1)])
        subsetter.subset(font)
        data = io.BytesIO()
        font.save(data)
        covered = frozenset(chr(c) for c in font.getBestCmap())
    try:
        folder = Path(tempfile.mkdtemp(prefix="zhurnal-fonts-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "DejaVuSans-common.ttf"
        path.write_bytes(data.getvalue())
    except OSError:
        return None
    return path, covered


class ArchivePdf(FPDF):
    """Landscape A4 with the font FAMILY; notes every character drawn with `text()`."""

    def __init__(self, title: str, font: Path) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.drawn: set[str] = set()
        self.set_auto_page_break(False)
        self.add_font(FAMILY, "", str(font))
        # The glyphs' boxes in the file are right (the common part was cut without changing an outline): without
        # this, fontTools unpacks and recompiles every embedded glyph to recompute them on output.
        ttfont = getattr(self.fonts.get(FAMILY), "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False
        self.set_creator("zhurnal")
        self.set_title(title)
        self.set_lang("ru")

    def text(self, x: float, y: float, text: str = "", *args: Any, **kwargs: Any) -> None:
        self.drawn.update(text)
        super().text(x, y, text, *args, **kwargs)


def render(title: str, draw: Callable[[ArchivePdf], None]) -> bytes:
    """The document `draw` puts on an ArchivePdf, as bytes: in the common part of the font, or in the whole
    font when it drew a character the common part lacks."""
    common = _common_part()
    if common is not None:
        pdf = ArchivePdf(title, common[0])
        draw(pdf)
        if pdf.drawn <= common[1]:
            return bytes(pdf.output())
    with resources.as_file(resources.files("zhurnal.core.data").joinpath("fonts", _FONT)) as whole:
        pdf = ArchivePdf(title, whole)
        draw(pdf)
        return bytes(pdf.output())
