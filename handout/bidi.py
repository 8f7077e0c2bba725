"""Right-to-left paragraphs (Arabic, Persian) for ReportLab.

ReportLab shapes Arabic with HarfBuzz but orders the words of a line only with ``rlbidi``,
which is not on PyPI. So lines are broken here in logical order, and each line is then
laid out by the Unicode Bidirectional Algorithm: python-bidi resolves the embedding level
of every character, the line is cut into runs of one level and weight, each run is shaped
by HarfBuzz (through ReportLab), and the runs are placed right to left by rule L2.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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

Runs = Sequence[tuple[str, bool]]  # (text, bold) in logical order
Piece = tuple[str, bool]
Word = tuple[Piece, ...]


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


def visual_runs(pieces: Sequence[Piece], base_level: int = 1) -> list[Run]:
    """Split a line into runs and put them in display order, left to right (rule L2)."""
    text = "".join(text for text, _ in pieces)
    weights = [bold for piece_text, bold in pieces for _ in piece_text]
    levels = embedding_levels(text, base_level)
    runs: list[Run] = []
    for index, char in enumerate(text):
        key = (levels[index], weights[index])
        if runs and (runs[-1].level, runs[-1].bold) == key:
            runs[-1] = Run(runs[-1].text + char, *key)
        else:
            runs.append(Run(char, *key))
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
    """The line as characters in display order: what python-bidi's ``get_display`` gives."""
    return "".join(run.visual_text for run in visual_runs(pieces, base_level))


class _Fonts:
    def __init__(self, style: ParagraphStyle, bold_font: str) -> None:
        self.size = float(style.fontSize)
        self.regular = style.fontName
        self.bold = bold_font

    def face(self, bold: bool) -> str:
        return str(self.bold if bold else self.regular)

    def shaped(self, text: str, bold: bool) -> tuple[Any, float]:
        """Text shaped by HarfBuzz (joined letters, visual order within the run) and its width."""
        shaped = shapeStr(text, self.face(bold), self.size)
        if isinstance(shaped, ShapedStr):
            return shaped, sum(d.x_advance for d in shaped.__shapeData__) * self.size / 1000
        return shaped, float(stringWidth(text, self.face(bold), self.size))

    def width(self, pieces: Sequence[Piece]) -> float:
        return sum(self.shaped(text, bold)[1] for text, bold in pieces)


def words_of(runs: Runs) -> list[Word]:
    """Split runs at spaces into words; a word may change weight in the middle."""
    words: list[list[Piece]] = [[]]
    for text, bold in runs:
        for index, part in enumerate(text.split(" ")):
            if index:
                words.append([])
            if part:
                words[-1].append((part, bold))
    return [tuple(word) for word in words if word]


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
        space = self.fonts.width([(" ", False)])
        line: list[Word] = []
        used = 0.0
        for word in words_of(self.runs):
            for part in self._fit_long_word(word, width):
                size = self.fonts.width(part)
                if line and used + space + size > width:
                    yield line
                    line, used = [], 0.0
                used += (space if line else 0) + size
                line.append(part)
        if line:
            yield line

    def _fit_long_word(self, word: Word, width: float) -> Iterator[Word]:
        """A word wider than the line is cut into pieces that fit, as ReportLab does for LTR text."""
        if self.fonts.width(word) <= width:
            yield word
            return
        chunk: list[Piece] = []
        for text, bold in word:
            for char in text:
                trial = [*chunk, (char, bold)]
                if chunk and self.fonts.width(trial) > width:
                    yield tuple(chunk)
                    trial = [(char, bold)]
                chunk = trial
        if chunk:
            yield tuple(chunk)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.height = len(self.lines(available_width)) * self.leading
        return self.width, self.height

    def natural_width(self) -> float:
        """The widest line when the paragraph is given all the room it wants."""
        space = self.fonts.width([(" ", False)])
        lines = self.lines(10_000)
        return max((sum(self.fonts.width(w) for w in line) + space * (len(line) - 1) for line in lines), default=0.0)

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
        pieces: list[Piece] = []
        for index, word in enumerate(line):
            if index:
                pieces.append((" ", word[0][1] and line[index - 1][-1][1]))
            pieces += word
        placed = [
            (self.fonts.shaped(run.visual_text if not run.has_strong_rtl else run.text, run.bold), run.bold)
            for run in visual_runs(pieces)
        ]
        x = right - sum(width for (_, width), _ in placed)
        for (shaped, width), bold in placed:
            self.canv.setFont(self.fonts.face(bold), self.fonts.size)
            self.canv.drawString(x, baseline, shaped)
            x += width
