"""Right-to-left paragraphs (Arabic, Persian) for ReportLab.

ReportLab shapes Arabic with HarfBuzz but orders the words of a line only with ``rlbidi``,
which is not on PyPI. So lines are broken here in logical order, and each line is then
laid out by the Unicode Bidirectional Algorithm: python-bidi resolves the embedding level
of every character, the line is cut into runs of one level and weight, each run is shaped
by HarfBuzz (through ReportLab), and the runs are placed right to left by rule L2.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bidi.algorithm import (
    explicit_embed_and_overrides,
    get_embedding_levels,
    get_empty_storage,
    resolve_implicit_levels,
    resolve_neutral_types,
    resolve_weak_types,
)
from bidi.mirror import MIRRORED
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import ShapedStr, shapeStr
from reportlab.platypus import Flowable

from handout.shaping import spelled

Runs = Sequence[tuple[str, bool]]  # (text, bold) in logical order
EMBEDDING_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e")
Piece = tuple[str, bool]
Char = tuple[str, bool, int]  # a character, whether it is bold, its resolved bidi level
Word = tuple[Char, ...]  # with the space after it, if any


def embedding_levels(text: str, base_level: int = 1) -> list[int]:
    """The resolved bidi level of each character of one line (rules X1-I2 of UAX #9)."""
    storage = get_empty_storage()
    storage["base_level"] = base_level
    storage["base_dir"] = "R" if base_level % 2 else "L"
    get_embedding_levels(text, storage, False, False)
    explicit_embed_and_overrides(storage, False)
    resolve_weak_types(storage, False)
    resolve_neutral_types(storage, False)
    resolve_implicit_levels(storage, False)
    # Rule X9 drops boundary-neutral characters (ZWNJ, used in Persian); they take the level before them.
    levels, resolved = [], iter(storage["chars"])
    pending = next(resolved, None)
    for char in text:
        if pending is not None and pending["ch"] == char:
            levels.append(int(pending["level"]))
            pending = next(resolved, None)
        else:
            levels.append(levels[-1] if levels else base_level)
    return levels


@dataclass(frozen=True)
class Run:
    """Characters of one level and weight, in logical order."""

    text: str
    level: int
    bold: bool

    @property
    def visual_text(self) -> str:
        """The run's characters left to right, as a reader sees them (rule L4 mirrors brackets)."""
        if self.level % 2 == 0:
            return self.text
        return "".join(MIRRORED.get(char, char) for char in reversed(self.text))

    @property
    def has_strong_rtl(self) -> bool:
        return any(unicodedata.bidirectional(char) in ("R", "AL") for char in self.text)

    @property
    def shaping_text(self) -> str:
        """What to hand HarfBuzz, which guesses the direction from the script: right-to-left runs in
        logical order; left-to-right runs of Arabic-script digits reversed, because HarfBuzz
        would lay them out right to left; other runs already in display order."""
        if self.has_strong_rtl:
            return self.text
        if self.level % 2 == 0 and any("\u0600" <= char <= "\u06ff" for char in self.text):
            return self.text[::-1]
        return self.visual_text


def resolved_chars(pieces: Sequence[Piece], base_level: int = 1) -> list[Char]:
    """Every character of a paragraph with its weight and level (levels are resolved per paragraph)."""
    text = "".join(text for text, _ in pieces)
    weights = [bold for piece_text, bold in pieces for _ in piece_text]
    return list(zip(text, weights, embedding_levels(text, base_level), strict=True))


def visual_runs(chars: Sequence[Char], base_level: int = 1) -> list[Run]:
    """Cut one line into runs of one level and weight and put them in display order (rule L2)."""
    runs: list[Run] = []
    for char, bold, level in chars:
        if char in EMBEDDING_CONTROLS:
            continue  # they set levels and are not drawn
        if runs and (runs[-1].level, runs[-1].bold) == (level, bold):
            runs[-1] = Run(runs[-1].text + char, level, bold)
        else:
            runs.append(Run(char, level, bold))
    highest = max((run.level for run in runs), default=base_level)
    lowest_odd = min((run.level for run in runs if run.level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        runs = _reverse_runs_at_or_above(runs, level)
    return runs


def _reverse_runs_at_or_above(runs: list[Run], level: int) -> list[Run]:
    result: list[Run] = []
    stretch: list[Run] = []
    for run in runs:
        if run.level >= level:
            stretch.append(run)
        else:
            result += reversed(stretch)
            stretch = []
            result.append(run)
    return result + list(reversed(stretch))


def display_text(pieces: Sequence[Piece], base_level: int = 1) -> str:
    """A one-line paragraph as characters in display order: what python-bidi's ``get_display`` gives."""
    return "".join(run.visual_text for run in visual_runs(resolved_chars(pieces, base_level), base_level))


# HarfBuzz's advances are in thousandths of the font size, so a text is shaped once for every size:
# fitting a page tries several. (A font's size would matter only to a font with a tracking table, 'trak'.)
SHAPING_SIZE = 10.0


@lru_cache(maxsize=8192)
def _shaped(text: str, face: str) -> tuple[Any, float | None]:
    """Text shaped by HarfBuzz (joined letters, visual order within the run) and the sum of its glyphs'
    advances in thousandths of the size; None when shaping changed nothing, and the text is measured as is."""
    shaped = shapeStr(text, face, SHAPING_SIZE)
    if isinstance(shaped, ShapedStr):
        return shaped, sum(d.x_advance for d in shaped.__shapeData__)
    return shaped, None


@lru_cache(maxsize=8192)
def _drawn(text: str, face: str) -> Any:
    """The shaped text as drawn: its codes copy and search as ``text`` (see handout.shaping.spelled)."""
    return spelled(text, face, _shaped(text, face)[0])


class _Fonts:
    def __init__(self, style: ParagraphStyle, bold_font: str) -> None:
        self.size = float(style.fontSize)
        self.regular = style.fontName
        self.bold = bold_font

    def face(self, bold: bool) -> str:
        return str(self.bold if bold else self.regular)

    def shaped(self, text: str, bold: bool) -> tuple[Any, float]:
        """The text shaped, and its width at this size."""
        face = self.face(bold)
        shaped, advances = _shaped(text, face)
        if advances is None:
            return shaped, float(stringWidth(text, face, self.size))
        return shaped, advances * self.size / 1000

    def width(self, chars: Sequence[Char]) -> float:
        """Width of characters in logical order (shaping changes widths, not their sum's order)."""
        total = 0.0
        for bold, group in itertools.groupby(chars, key=lambda c: c[1]):
            text = "".join(c[0] for c in group if c[0] not in EMBEDDING_CONTROLS)
            if text:
                total += self.shaped(text, bold)[1]
        return total


def words_of(runs: Runs) -> list[Word]:
    """The paragraph's words, each character with its weight and its level in the whole paragraph.

    Each word but the last keeps the space after it, so that a line's spaces have their levels too.
    """
    chars = resolved_chars([(" ".join(text.split(" ")), bold) for text, bold in runs])
    words: list[list[Char]] = [[]]
    for char in chars:
        words[-1].append(char)
        if char[0] == " ":
            words.append([])
    return [tuple(word) for word in words if any(c[0] != " " for c in word)]


def _chars(line: Sequence[Word]) -> list[Char]:
    return list(itertools.chain.from_iterable(line))


def _without_trailing_spaces(chars: Sequence[Char]) -> Sequence[Char]:
    end = len(chars)
    while end and chars[end - 1][0] == " ":
        end -= 1
    return chars[:end]


class BidiParagraph(Flowable):  # type: ignore[misc]
    """A right-aligned, right-to-left paragraph; ``style.leftIndent`` is applied on the right."""

    def __init__(
        self,
        runs: Runs,
        style: ParagraphStyle,
        bold_font: str,
        bullet: str | None = None,
        lines: list[list[Word]] | None = None,
    ) -> None:
        super().__init__()
        self.runs = list(runs)
        self.style = style
        self.bold_font = bold_font
        self.bullet = bullet
        self._lines = lines
        self._wrapped_width: float | None = None if lines is None else -1.0
        self.fonts = _Fonts(style, bold_font)

    @property
    def leading(self) -> float:
        return float(self.style.leading)

    def getSpaceBefore(self) -> float:
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:
        return float(self.style.spaceAfter)

    def lines(self, width: float) -> list[list[Word]]:
        if self._lines is None or (self._wrapped_width not in (-1.0, width)):
            self._lines = list(self._break(width - self.style.leftIndent - self.style.rightIndent))
            self._wrapped_width = width
        return self._lines

    def _break(self, width: float) -> Iterator[list[Word]]:
        """Greedy line breaking in logical order; a word's width is measured once."""
        line: list[Word] = []
        used = 0.0  # width of the line so far, spaces between its words included
        for word in words_of(self.runs):
            for part in self._fit_long_word(word, width):
                ink = self.fonts.width(_without_trailing_spaces(part))
                if line and used + ink > width:
                    yield line
                    line, used = [], 0.0
                line.append(part)
                used += self.fonts.width(part)  # with its trailing space, for the next word
        if line:
            yield line

    def _fit_long_word(self, word: Word, width: float) -> Iterator[Word]:
        """A word wider than the line is cut into pieces that fit, as ReportLab does for LTR text."""
        if self.fonts.width(_without_trailing_spaces(word)) <= width:
            yield word
            return
        chunk: list[Char] = []
        for char in word:
            if chunk and self.fonts.width(_without_trailing_spaces([*chunk, char])) > width:
                yield tuple(chunk)
                chunk = []
            chunk.append(char)
        if chunk:
            yield tuple(chunk)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.height = len(self.lines(available_width)) * self.leading
        return self.width, self.height

    def natural_width(self) -> float:
        """The widest line when the paragraph is given all the room it wants."""
        lines = self.lines(10_000)
        return max((self.fonts.width(_without_trailing_spaces(_chars(line))) for line in lines), default=0.0)

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        lines = self.lines(available_width)
        fitting = int(available_height // self.leading)
        if fitting <= 0 or fitting >= len(lines):
            return [] if fitting <= 0 else [self]
        first = BidiParagraph(self.runs, self.style, self.bold_font, self.bullet, lines[:fitting])
        rest = BidiParagraph(self.runs, self.style, self.bold_font, None, lines[fitting:])
        return [first, rest]

    def draw(self) -> None:
        canvas, style = self.canv, self.style
        canvas.setFillColor(style.textColor)
        right = self.width - style.leftIndent
        for index, line in enumerate(self.lines(self.width)):
            baseline = self.height - self.fonts.size - index * self.leading
            self._draw_line(line, right, baseline)
        if self.bullet:
            canvas.setFont(style.bulletFontName, style.bulletFontSize)
            canvas.drawRightString(self.width - style.bulletIndent, self.height - self.fonts.size, self.bullet)

    def _draw_line(self, line: list[Word], right: float, baseline: float) -> None:
        runs = visual_runs(_without_trailing_spaces(_chars(line)))
        placed = [(run.shaping_text, self.fonts.shaped(run.shaping_text, run.bold)[1], run.bold) for run in runs]
        x = right - sum(width for _, width, _ in placed)
        for text, width, bold in placed:
            face = self.fonts.face(bold)
            self.canv.setFont(face, self.fonts.size)
            self.canv.drawString(x, baseline, _drawn(text, face))
            x += width
