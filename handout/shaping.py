"""Shaped text that copies, searches and reads aloud as the text it was made from.

HarfBuzz turns Devanagari text into glyphs in visual order: the vowel sign of "कि" is drawn
before its consonant, and "क्ष" becomes one conjunct glyph that has no code point of its own.
ReportLab writes each glyph's own code point (or a private one) into the PDF's ToUnicode map,
so a PDF reader extracts "िक" and private-use characters instead of the words on the page.

Here every shaped word is mapped back to its text one HarfBuzz cluster at a time. Where a
cluster's glyphs do not spell its text, each glyph gets a code of its own that draws the same
glyph and stands, in the ToUnicode map, for its share of the cluster's text. Read in the
order they are drawn, the glyphs then give back the text in logical order.

A vowel sign that HarfBuzz shifts left over its consonant ("कै") has no width, so after it
ReportLab moves the pen right again, and PDF readers take that gap for a space ("कै ल्शियम").
Such a glyph gets a code whose PDF width reaches to where the next glyph starts: the page
looks the same, and there is no gap.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import uharfbuzz
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.platypus import paragraph as _rl_paragraph

_FIRST_PRIVATE, _LAST_PRIVATE = 0xE000, 0xF8FF  # where ReportLab numbers glyphs that have no code point
# Codes for glyphs standing in for text lie in a supplementary private use plane, where ReportLab never looks.
_FIRST_CODE = 0xF0000
_LAST_CODE = 0xFFFFD
_next_code = itertools.count(_FIRST_CODE)
_Meaning = tuple[str, int, str, float]  # (font, glyph, text, width)
_code_for: dict[_Meaning, int] = {}
_meaning_of: dict[int, _Meaning] = {}  # code -> what it stands for

# ReportLab's own settings for the words of a Paragraph (ttfonts.shapeFragWord).
_FEATURES = {"kern": True, "liga": True, "dlig": True}


def install() -> None:
    """Make ReportLab's Paragraph words and ToUnicode maps use logical text. Safe to call again."""
    if getattr(_rl_paragraph.shapeFragWord, "_logical", False):
        return
    _rl_paragraph.shapeFragWord = _logical_shaper(_rl_paragraph.shapeFragWord)
    ttfonts.makeToUnicodeCMap = _logical_cmap(ttfonts.makeToUnicodeCMap)


def _logical_shaper(shape: Callable[..., Any]) -> Callable[..., Any]:
    def shape_logically(word: Any, *args: Any, **kwargs: Any) -> Any:
        key = _memo_key(word) if not (args or kwargs) else None
        if key is not None and key in _memo:
            return _from_memo(word, _memo[key])
        shaped = shape(word, *args, **kwargs)
        if shaped is not word:
            shaped = _respelled(word, shaped)
        if key is not None and _can_keep(word, shaped):
            if len(_memo) >= MEMO_SIZE:
                _memo.clear()
            _memo[key] = _for_memo(word, shaped)
        return shaped

    shape_logically._logical = True  # type: ignore[attr-defined]
    return shape_logically


# A paragraph is laid out several times (every size tried while fitting, then for every clinic),
# and HarfBuzz is its most expensive step: shaped words are kept, by font, size and text.
MEMO_SIZE = 20_000  # about 0.8 kB each
_Memo = tuple[type, float, tuple[tuple[int, str], ...]] | None  # None: the word needs no shaping
_memo: dict[tuple[Any, ...], _Memo] = {}


def _memo_key(word: Any) -> tuple[Any, ...] | None:
    if any(hasattr(frag, "cbDefn") for frag, _ in word[1:]):
        return None
    return (type(word), *((frag.fontName, frag.fontSize, string) for frag, string in word[1:]))


def _can_keep(word: Any, shaped: Any) -> bool:
    frags = {id(frag) for frag, _ in word[1:]}
    return shaped is word or all(id(frag) in frags and isinstance(string, str) for frag, string in shaped[1:])


def _for_memo(word: Any, shaped: Any) -> _Memo:
    """The shaped word with each piece's frag given by its place in ``word``."""
    if shaped is word:
        return None
    places = {id(frag): place for place, (frag, _) in enumerate(word[1:], 1)}
    return type(shaped), shaped[0], tuple((places[id(frag)], string) for frag, string in shaped[1:])


def _from_memo(word: Any, kept: _Memo) -> Any:
    if kept is None:
        return word
    kind, width, pieces = kept
    return kind([width, *((word[place][0], string) for place, string in pieces)])


@dataclass(frozen=True)
class Glyph:
    """A glyph as ReportLab draws it: its code in ``font``, and the PDF width it needs (None: its own)."""

    code: str
    font: str
    width: float | None = None


def _respelled(word: Any, shaped: Any) -> Any:
    """``shaped`` (ReportLab's shaped frag word for ``word``) with glyph codes that spell the word's text,
    each glyph's shape data agreeing with the PDF width of its code."""
    text, font_name, size = _word_text(word)
    if not text:
        return shaped
    pieces = [(index, piece) for index, piece in enumerate(shaped[1:], 1) if isinstance(piece[1], str)]
    glyphs = [glyph for _, (frag, string) in pieces for glyph in glyphs_of(string, frag.fontName)]
    for glyph in glyphs:
        _settle_private_width(glyph)
    strings = [string for _, (_, string) in pieces]
    if all(isinstance(string, ttfonts.ShapedStr) for string in strings):  # ReportLab kept HarfBuzz's clusters
        clusters = [data.cluster for string in strings for data in string.__shapeData__]
    else:
        clusters = glyph_clusters(text, font_name, size)
    spelled = respell(text, glyphs, clusters)
    result = shaped.__class__(shaped)
    offset = 0
    for index, (frag, string) in pieces:
        end = offset + len(string)
        new = spelled[offset:end]
        if isinstance(string, ttfonts.ShapedStr):
            data = [
                _fitted(data, glyph, code)
                for data, glyph, code in zip(string.__shapeData__, glyphs[offset:end], new, strict=True)
            ]
            new = ttfonts.ShapedStr(new, shapeData=data)
        offset = end
        result[index] = (frag, new)
    return result


def spelled(text: str, font: str, shaped: str) -> str:
    """What ReportLab's ``shapeStr`` made of ``text`` in ``font``, with codes that spell ``text`` cluster by
    cluster: a joined Arabic letter copies as the letter, not as a presentation form, a ligature as its
    letters, and a glyph that has no code point as what it stands for, not a private-use character."""
    if not isinstance(shaped, ttfonts.ShapedStr):
        return shaped
    glyphs = glyphs_of(shaped, font)
    for glyph in glyphs:
        _settle_private_width(glyph)
    codes = respell(text, glyphs, [data.cluster for data in shaped.__shapeData__])
    data = [_fitted(data, glyph, code) for data, glyph, code in zip(shaped.__shapeData__, glyphs, codes, strict=True)]
    drawn: str = ttfonts.ShapedStr(codes, shapeData=data)
    return drawn


def glyphs_of(string: str, font: str) -> list[Glyph]:
    """The glyphs of a string ReportLab shaped with ``font``."""
    if not isinstance(string, ttfonts.ShapedStr):
        return [Glyph(code, font) for code in string]
    return [Glyph(code, font, _reach(data)) for code, data in zip(string, string.__shapeData__, strict=True)]


def _reach(data: Any) -> float | None:
    """The width from a glyph shifted left to where the next glyph starts (None: not shifted left)."""
    return data.x_advance - data.x_offset if data.x_offset < 0 else None


def _fitted(data: Any, glyph: Glyph, code: str) -> Any:
    """Shape data whose width is the PDF width of the glyph's code: ReportLab moves the pen by the
    difference between the two, so they must agree for the glyph to sit where HarfBuzz put it."""
    width = pdfmetrics.getFont(glyph.font).face.charWidths[ord(code)]
    return data if data.width == width else data._replace(width=width)


def _settle_private_width(glyph: Glyph) -> None:
    """Give a glyph that ReportLab numbered privately its own advance as its PDF width.

    ReportLab takes the advance of the glyph's first appearance, which kerning may have changed,
    so the PDF bytes of a handout would depend on what the process shaped before it.
    """
    code = ord(glyph.code)
    if _FIRST_PRIVATE <= code <= _LAST_PRIVATE:
        font = pdfmetrics.getFont(glyph.font)
        face = font.face
        advance = font.pdfScale(_harfbuzz_font(glyph.font).get_glyph_h_advance(face.charToGlyph[code]))
        face.charWidths[code] = advance


@functools.cache
def _harfbuzz_font(font_name: str) -> Any:
    return pdfmetrics.getFont(font_name).hbFont(10)


def _word_text(word: Any) -> tuple[str, str, float]:
    """The logical text of a ReportLab frag word, and the font it is shaped with (its first frag's)."""
    frags = [(frag, string) for frag, string in word[1:] if not hasattr(frag, "cbDefn")]
    if not frags:
        return "", "", 0.0
    first = frags[0][0]
    return "".join(string for _, string in frags), first.fontName, first.fontSize


def glyph_clusters(text: str, font_name: str, size: float) -> list[int]:
    """For each glyph HarfBuzz makes of ``text``, the index in ``text`` where its cluster starts."""
    font = pdfmetrics.getFont(font_name)
    buffer = uharfbuzz.Buffer()
    buffer.cluster_level = uharfbuzz.BufferClusterLevel.MONOTONE_CHARACTERS
    buffer.add_str(text)
    buffer.guess_segment_properties()
    uharfbuzz.shape(font.hbFont(size), buffer, _FEATURES)
    return [info.cluster for info in buffer.glyph_infos]


def respell(text: str, glyphs: Sequence[Glyph], clusters: Sequence[int]) -> str:
    """Codes for ``glyphs`` that draw the same glyphs and, cluster by cluster, spell ``text``."""
    if len(glyphs) != len(clusters):
        return "".join(glyph.code for glyph in glyphs)  # not the shaping this was made for
    out: list[str] = []
    for start, end, group in _clusters(text, clusters, glyphs):
        meant = text[start:end]
        if len(group) > len(meant):  # ऐ drawn as ए and a vowel sign: the first glyph stands for it all
            shares = [meant, *[""] * (len(group) - 1)]
        else:
            shares = [*meant[: len(group) - 1], meant[len(group) - 1 :]]
        out.extend(_standing_for(glyph, share) for glyph, share in zip(group, shares, strict=True))
    return "".join(out)


def _clusters(text: str, clusters: Sequence[int], glyphs: Sequence[Glyph]) -> Iterator[tuple[int, int, list[Glyph]]]:
    """(start, end, glyphs) of each cluster, in glyph order."""
    starts = sorted(set(clusters))
    ends = dict(zip(starts, [*starts[1:], len(text)], strict=True))
    for start, group in itertools.groupby(zip(clusters, glyphs, strict=True), key=lambda pair: pair[0]):
        yield start, ends[start], [glyph for _, glyph in group]


def meaning(codes: str) -> str:
    """The text that shaped glyph ``codes`` stand for in the PDF's ToUnicode map."""
    return "".join(_meaning_of[ord(code)][2] if ord(code) in _meaning_of else code for code in codes)


def _standing_for(glyph: Glyph, text: str) -> str:
    """A code that draws ``glyph`` with its width and stands for ``text``."""
    if glyph.code == text and glyph.width is None:
        return glyph.code
    face = pdfmetrics.getFont(glyph.font).face
    glyph_id = face.charToGlyph[ord(glyph.code)]
    width = face.charWidths[ord(glyph.code)] if glyph.width is None else glyph.width
    return chr(code_for(glyph.font, glyph_id, text, width))


def code_for(font: str, glyph_id: int, text: str, width: float) -> int:
    """The code that draws glyph ``glyph_id`` of ``font`` with PDF width ``width`` and stands for ``text``;
    given out in the order a process asks, so the same in no two processes (see :func:`meaning_of`)."""
    key = (font, glyph_id, text, width)
    code = _code_for.get(key)
    if code is None:
        code = next(_next_code)
        if code > _LAST_CODE:
            raise RuntimeError("out of private codes for shaped text")
        face = pdfmetrics.getFont(font).face
        face.charToGlyph[code] = glyph_id
        face.charWidths[code] = width
        _code_for[key] = code
        _meaning_of[code] = key
    return code


def meaning_of(code: int) -> _Meaning | None:
    """What a code :func:`code_for` gave out stands for, as every process names it: (font, glyph, text,
    width). None for any other character."""
    return _meaning_of.get(code)


def _logical_cmap(make_cmap: Callable[[str, list[int]], str]) -> Callable[[str, list[int]], str]:
    # Made once per font and subset: a batch embeds the same body subsets in every clinic's handout.
    # (What a code stands for never changes once the code is given out.)
    @functools.lru_cache(maxsize=1024)
    def made(font_name: str, subset: tuple[int, ...]) -> str:
        if not any(code in _meaning_of for code in subset):
            return make_cmap(font_name, list(subset))
        lines = make_cmap(font_name, [0 if code in _meaning_of else code for code in subset]).split("\n")
        for slot, code in enumerate(subset):
            if code in _meaning_of:
                entry = f"<{slot:02X}> <{_utf16_hex(_meaning_of[code][2])}>"
                lines[lines.index(f"<{slot:02X}> <0000>")] = entry
        return "\n".join(lines)

    def cmap_with_logical_text(font_name: str, subset: list[int]) -> str:
        return made(font_name, tuple(subset))

    cmap_with_logical_text._logical = True  # type: ignore[attr-defined]
    return cmap_with_logical_text


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()
