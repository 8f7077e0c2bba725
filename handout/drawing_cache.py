"""Drawn bodies kept in the cache folder (:mod:`handout.cache`), so a later batch does not lay out and draw
again a story that an earlier one drew on a like page.

A batch draws each story once per look (paper, colours, footer height) and puts that drawing on every
clinic's page of the look (:mod:`handout.render`). The first page of each look is still drawn in every
run, and in every worker: at 20 clinics that is a sixth of the run. A kept drawing is its operators and
the code each character got in the fonts' subsets, with the heights that placed its frames; it is one
file for each like page, which records the versions of the document, the layout and the tool it was
drawn with (a new version replaces it, so the folder does not grow with them).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from pathlib import Path

from reportlab.pdfbase import pdfmetrics

from handout.cache import cached_file, digest, keep, read_kept
from handout.embedding import FontUse
from handout.page import Page
from handout.render import Drawing, DrawingName, StoryHeights, keep_drawing, kept_drawing
from handout.shaping import code_for, meaning_of

KEPT_DRAWINGS_FORMAT = 1  # raise when what a kept drawing holds, or means, changes


def remembered_drawing(page: Page, size: float, name: DrawingName) -> bool:
    """Ready the drawing an earlier run kept under ``name`` for a like page, if it was drawn from the same
    versions (of the document's text, the layout file and the tool); :func:`render` then puts it on
    ``page`` at ``size`` without drawing it."""
    path = _kept_path(name)
    data = read_kept(path) if path is not None else None
    drawn_from, _, packed = (data or b"").partition(b"\n")
    if not packed or drawn_from != digest(name.sources).encode():
        return False
    drawing = _unpacked(packed)
    if drawing is None:
        return False
    keep_drawing(page, size, drawing)
    return True


def remember_drawing(page: Page, size: float, name: DrawingName) -> None:
    """Keep the drawing this process made for ``page`` at ``size`` under ``name`` for later runs, if it made
    one that another process can draw again."""
    path = _kept_path(name)
    drawing = kept_drawing(page, size) if path is not None else None
    packed = _packed(drawing) if drawing is not None else None
    if path is not None and packed is not None:
        keep(path, digest(name.sources).encode() + b"\n" + packed)


def _kept_path(name: DrawingName) -> Path | None:
    return cached_file("drawings", digest(f"{KEPT_DRAWINGS_FORMAT}|{name.key}"))


def _packed(drawing: Drawing) -> bytes | None:
    """The drawing as a file, or None if another process could not draw it again.

    Shaped text (Arabic, Hindi) is drawn with private-use characters that this process numbered in the
    order it met them (:func:`handout.shaping.code_for`): the file says what each stands for, and a
    process that reads it numbers them its own way. ReportLab's own private numbering of glyphs has no
    such record: a drawing that uses it is not kept.
    """
    characters = {character for font in drawing.fonts for character in font.assignments}
    if any(0xE000 <= character <= 0xF8FF for character in characters):
        return None
    meanings = [[character, *meaning] for character in sorted(characters) if (meaning := meaning_of(character))]
    fonts = [[font.name, font.internal_name, font.embedded, sorted(font.assignments.items()),
              [list(subset) for subset in font.subsets], font.next_code] for font in drawing.fonts]  # fmt: skip
    record = {"title": drawing.heights.title, "pinned": drawing.heights.pinned, "code": drawing.code,
              "fonts": fonts, "meanings": meanings}  # fmt: skip
    return zlib.compress(json.dumps(record, separators=(",", ":")).encode(), 1)


def _unpacked(packed: bytes) -> Drawing | None:
    """The drawing, its shaped text numbered as this process numbers it; None if the file is damaged or
    names a font this process has not registered."""
    try:
        record = json.loads(zlib.decompress(packed))
        fonts = [_font_use(*font) for font in record["fonts"]]
        meanings = {int(character): (str(font), int(glyph), str(text), float(width))
                    for character, font, glyph, text, width in record["meanings"]}  # fmt: skip
        heights = StoryHeights(float(record["title"]), float(record["pinned"]))
        code = tuple(str(line) for line in record["code"])
    except (ValueError, KeyError, TypeError, zlib.error):
        return None
    registered = set(pdfmetrics.getRegisteredFontNames())
    if not all(name in registered for name in [font.name for font in fonts] + [m[0] for m in meanings.values()]):
        return None
    ours = {character: code_for(*meaning) for character, meaning in meanings.items()}
    return Drawing(heights, code, tuple(_renumbered(font, ours) for font in fonts))


def _font_use(name: str, internal_name: str, embedded: bool, assignments: list[list[int]],
              subsets: list[list[int]], next_code: int) -> FontUse:  # fmt: skip
    return FontUse(str(name), str(internal_name), bool(embedded), {int(k): int(v) for k, v in assignments},
                   tuple(tuple(int(c) for c in subset) for subset in subsets), int(next_code))  # fmt: skip


def _renumbered(font: FontUse, ours: dict[int, int]) -> FontUse:
    if not ours:
        return font
    assignments = {ours.get(character, character): code for character, code in font.assignments.items()}
    subsets = tuple(tuple(ours.get(character, character) for character in subset) for subset in font.subsets)
    return replace(font, assignments=assignments, subsets=subsets)
