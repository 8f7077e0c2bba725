"""Embedded TrueType fonts, chosen per language, and the glyph check that keeps empty boxes off the page.

Fonts come from pip-installed packages; nothing is downloaded. ReportLab embeds and
subsets TrueType fonts; its base-14 fonts (Helvetica...) are never used because they
are not embedded and cover Latin-1 only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import rendercv_fonts
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_FONT_ROOT = Path(rendercv_fonts.__file__).parent


@dataclass(frozen=True)
class FontFamily:
    """A regular and a bold face registered with ReportLab under ``name``."""

    name: str
    regular_file: Path
    bold_file: Path

    @property
    def regular(self) -> str:
        return self.name

    @property
    def bold(self) -> str:
        return f"{self.name}-Bold"


NOTO_SANS = FontFamily(
    "NotoSans",
    _FONT_ROOT / "Noto Sans" / "NotoSans-Regular.ttf",
    _FONT_ROOT / "Noto Sans" / "NotoSans-Bold.ttf",
)


def family_for(language: str) -> FontFamily:
    """The font family that prints ``language``; registered with ReportLab on first use."""
    del language  # every language shipped so far is written in the Latin script
    return _registered(NOTO_SANS)


@cache
def _registered(family: FontFamily) -> FontFamily:
    for face, path in ((family.regular, family.regular_file), (family.bold, family.bold_file)):
        pdfmetrics.registerFont(TTFont(face, str(path)))
    # <b> inside a paragraph switches to the bold face; there is no italic in a handout.
    for bold, italic, face in (
        (0, 0, family.regular),
        (1, 0, family.bold),
        (0, 1, family.regular),
        (1, 1, family.bold),
    ):
        addMapping(family.name, bold, italic, face)
    return family


@cache
def _covered(face: str) -> frozenset[int]:
    font = pdfmetrics.getFont(face)
    return frozenset(font.face.charToGlyph)


def missing_glyphs(text: str, family: FontFamily) -> list[str]:
    """Characters of ``text`` that the family's fonts cannot draw (white space aside)."""
    covered = _covered(family.regular) & _covered(family.bold)
    return sorted({c for c in text if not c.isspace() and ord(c) not in covered})
