"""Paragraphs in any script: one factory that knows direction, shaping and line breaking.

Text is passed around as runs, ``(text, bold)`` pairs in logical order, so that it is
never parsed as markup. Left-to-right text becomes a ReportLab Paragraph (its markup is
built here, escaped); right-to-left text becomes a :class:`~handout.bidi.BidiParagraph`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph
from reportlab.platypus import paragraph as _rl_paragraph

from handout import shaping
from handout.bidi import BidiParagraph
from handout.fonts import Script, fallback_segments
from handout.inline import BOLD, fill

Runs = Sequence[tuple[str, bool]]
BULLET = "\u2022"

# ReportLab keeps a closing mark from starting a CJK line only if it is in this list, which has the
# Japanese marks but not the full-width Chinese ones. Chinese typesetting forbids those at a line start too.
_rl_paragraph.ALL_CANNOT_START += "\uff0c\uff1b\uff1a\uff1f\uff01\uff05\u300b\u3009\u201d\u2019\uff5d\u3017\u3019"
shaping.install()


def runs_of(text: str, values: Mapping[str, str]) -> list[tuple[str, bool]]:
    """Content text as runs: placeholders filled, ``**bold**`` marks turned into bold runs."""
    parts = fill(text, values).split(BOLD)
    return [(part, index % 2 == 1) for index, part in enumerate(parts) if part]


def plain_run(text: str, bold: bool = False) -> list[tuple[str, bool]]:
    return [(text, bold)]


def markup_of(runs: Runs, script: Script | None = None, bold_style: bool = False) -> str:
    """ReportLab markup for ``runs``, escaped. Characters the script's family lacks are set in its fallback,
    bold in bold runs and in a bold style (``bold_style``)."""
    return "".join(
        f"<b>{_escaped(text, script, True)}</b>" if bold else _escaped(text, script, bold_style) for text, bold in runs
    )


def _escaped(text: str, script: Script | None, bold: bool) -> str:
    if script is None or script.fallback is None:
        return escape(text)
    face = script.fallback.bold if bold else script.fallback.regular  # a font tag sets the weight too
    return "".join(f'<font face="{face}">{escape(part)}</font>' if fallback else escape(part)
                   for part, fallback in fallback_segments(text, script))  # fmt: skip


@dataclass(frozen=True)
class TextSetter:
    """Makes styles and paragraphs for one script."""

    script: Script

    @property
    def rtl(self) -> bool:
        return self.script.rtl

    def style(
        self, name: str, parent: ParagraphStyle | None = None, bold: bool = False, **attributes: Any
    ) -> ParagraphStyle:
        family = self.script.family
        if parent is None:
            attributes.setdefault("fontName", family.bold if bold else family.regular)
            attributes.setdefault("alignment", TA_RIGHT if self.rtl else TA_LEFT)
            attributes.setdefault("shaping", 1 if self.script.shaping else 0)
            if self.script.cjk:
                attributes.setdefault("wordWrap", "CJK")
        elif bold:
            attributes.setdefault("fontName", family.bold)
        return ParagraphStyle(name, parent=parent, **attributes)

    def paragraph(self, runs: Runs, style: ParagraphStyle, bullet: bool = False, data: bool = False) -> Flowable:
        """A paragraph of ``runs``. ``data`` marks names, addresses and phone numbers: on a right-to-left
        page they keep a left-to-right reading order unless they start with a right-to-left letter
        (rule P2), so "(541) 555-0142" never turns into "555-0142 (541)"."""
        if self.rtl and not (data and _first_strong_is_ltr(runs)):
            return BidiParagraph(runs, style, self.script.family.bold, BULLET if bullet else None)
        if style.wordWrap == "CJK" and not any(_is_wide(char) for text, _ in runs for char in text):
            style = ParagraphStyle(style.name, parent=style, wordWrap=None)  # e.g. a clinic's Latin name
        markup = markup_of(runs, self.script, bold_style=style.fontName == self.script.family.bold)
        return _Paragraph(markup, style, bulletText=BULLET if bullet else None)


class _Paragraph(Paragraph):  # type: ignore[misc]
    """A Paragraph that breaks its lines once per width: the title block, the frames and box tables
    each measure it, a batch draws it for many clinics, and the lines depend on nothing but the width.
    A header or footer block is measured at more than one width on every page (its natural width, then
    the width it gets), so the lines of the last few widths are kept."""

    WIDTHS_KEPT = 4
    width: float
    height: float
    blPara: Any  # ReportLab's lines, and the widths it broke them for
    _wrapWidths: list[float]

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        kept: dict[float, tuple[Any, ...]] = self.__dict__.setdefault("_lines_by_width", {})
        if available_width not in kept:
            if len(kept) >= self.WIDTHS_KEPT:
                kept.clear()
            super().wrap(available_width, available_height)
            kept[available_width] = (self.width, self._wrapWidths, self.blPara, self.height)
        # Given back every time: split() may have dropped the lines, another width may have replaced them.
        self.width, self._wrapWidths, self.blPara, self.height = kept[available_width]
        return self.width, self.height


def _first_strong_is_ltr(runs: Runs) -> bool:
    for text, _ in runs:
        for char in text:
            kind = unicodedata.bidirectional(char)
            if kind in ("R", "AL"):
                return False
            if kind == "L":
                return True
    return True


def _is_wide(char: str) -> bool:
    """Han, kana and other characters set on a grid, which may break between any two of them."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def natural_width(block: Flowable) -> float:
    """The width a short paragraph needs on one line."""
    block.wrap(10_000, 1e6)
    if isinstance(block, BidiParagraph):
        return block.natural_width()
    return float(max(block.getActualLineWidths0(), default=0))
