"""What ReportLab reads from a TrueType file when it opens it, held compactly and kept on disk.

ReportLab parses a font's character map and metrics in Python each time a process opens the
font: 30-90 ms a face for the CJK and Arabic fonts. What it reads depends only on the file and
on ReportLab's version, so the first process to open a face keeps what was read in the cache
folder, and later ones read it back in a few milliseconds.

They are kept in the cache folder (:mod:`handout.cache`), with one file for each font file. A cache
file that is missing, unreadable, or read from another version of the font file or by another
version of ReportLab or Python is read from the font again and replaced; one that cannot be
written is not kept.
"""

from __future__ import annotations

import bisect
import itertools
import marshal
import os
import sys
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reportlab import Version as REPORTLAB_VERSION
from reportlab.pdfbase.ttfonts import TTFNameBytes, TTFontFace, TTFontFile

from handout.cache import cached_file, digest, keep, read_kept

FORMAT = 2  # raise when what is stored changes


class Metrics:
    """A face's (advance, left side bearing) per glyph, as ReportLab's list of pairs reads, in two arrays."""

    def __init__(self, advances: array[float], bearings: array[float]) -> None:
        self.advances, self.bearings = advances, bearings

    @classmethod
    def of(cls, pairs: list[tuple[float, float]]) -> Metrics:
        return cls(array("d", (pair[0] for pair in pairs)), array("d", (pair[1] for pair in pairs)))

    def __getitem__(self, glyph: int) -> tuple[float, float]:
        return self.advances[glyph], self.bearings[glyph]

    def __len__(self) -> int:
        return len(self.advances)


class GlyphToChar(dict[int, list[int]]):
    """ReportLab's map from a glyph to its characters, each glyph's list made when it is first looked up.

    Only shaping looks glyphs up, a few hundred of them, and making all the lists of a pan-Unicode face
    (19,000 glyphs) took 6-20 ms in every process that printed Arabic. ``glyphs`` is sorted; the
    characters of ``glyphs[i]`` are ``chars[ends[i - 1]:ends[i]]``.
    """

    def __init__(self, glyphs: array[int], ends: array[int], chars: array[int]) -> None:
        super().__init__()
        self.glyphs, self.ends, self.chars = glyphs, ends, chars

    def __missing__(self, glyph: int) -> list[int]:
        at = bisect.bisect_left(self.glyphs, glyph)
        if at == len(self.glyphs) or self.glyphs[at] != glyph:
            raise KeyError(glyph)
        self[glyph] = chars = self.chars[self.ends[at - 1] if at else 0 : self.ends[at]].tolist()
        return chars


@contextmanager
def cached_tables(glyph_maps: bool) -> Iterator[None]:
    """Within, a TrueType face that ReportLab opens reads its tables from the cache when it can.

    The per-glyph tables are kept as arrays: a CJK face has 20,000-30,000 glyphs, each entry a
    Python object of its own in ReportLab's lists (3-5 MB a face). Without ``glyph_maps`` the face
    has no map from glyphs to characters: only shaping looks glyphs up (3-6 MB a CJK face).
    ReportLab parses in its face's constructor, with no hook of its own, hence the method replaced
    for the time of the block.
    """

    def extract_info(face: TTFontFace, charInfo: int = 1) -> None:
        _read_tables(face, charInfo, glyph_maps)

    TTFontFace.extractInfo = extract_info
    try:
        yield
    finally:
        del TTFontFace.extractInfo  # ReportLab's own, inherited, again


def _read_tables(face: TTFontFace, char_info: int, glyph_maps: bool) -> None:
    entry = _cache_entry(face.filename) if char_info else None
    stored = _load(*entry) if entry is not None else None
    if stored is not None and _restored(face, stored, glyph_maps):
        return
    before = dict(face.__dict__)
    TTFontFile.extractInfo(face, char_info)
    face.hmetrics = Metrics.of(face.hmetrics)
    face.glyphPos = array("q", face.glyphPos)
    if entry is not None:
        read = {name: value for name, value in face.__dict__.items() if before.get(name, _UNSET) is not value}
        _keep(*entry, read)
    if not glyph_maps:
        del face.glyphToChar


_UNSET = object()


def _cache_entry(font_file: str) -> tuple[Path, str] | None:
    """Where the tables of ``font_file`` are kept, one file for each font file, and what they must have
    been read from: the file as it is now (its size and time), by these versions of what reads them."""
    try:
        stat = os.stat(font_file)
    except (OSError, TypeError, ValueError):  # not a file's name
        return None
    path = os.path.abspath(font_file)
    kept = cached_file("fonts", f"{digest(path)}.tables")
    identity = f"{FORMAT}|{REPORTLAB_VERSION}|{sys.version}|{path}|{stat.st_size}|{stat.st_mtime_ns}"
    return (kept, identity) if kept is not None else None


# What is stored: (what the tables were read from, attributes marshal writes as they are, names of those
# that are ReportLab's name strings, the character maps and per-glyph tables as arrays).
_Stored = tuple[str, dict[str, Any], list[str], dict[str, tuple[tuple[str, bytes], ...]]]


def _keep(path: Path, identity: str, read: dict[str, Any]) -> None:
    plain = {name: value for name, value in read.items() if name not in _TABLES and name != "_pdfScale"}
    names = [name for name, value in plain.items() if isinstance(value, TTFNameBytes)]
    plain |= {name: bytes(plain[name]) for name in names}
    tables = {name: _arrays(name, read[name]) for name in _TABLES if name in read}
    try:
        data = marshal.dumps((identity, plain, names, tables))
    except ValueError:  # a value of a kind marshal cannot write: leave the face uncached
        return
    keep(path, data)


def _load(path: Path, identity: str) -> _Stored | None:
    """The stored tables, if they were read from the font file as it is now; else the caller reads them
    and writes them over these (a new version of the font, ReportLab or Python)."""
    data = read_kept(path)
    try:
        stored = marshal.loads(data) if data is not None else None
    except (EOFError, ValueError, TypeError):
        return None
    if not (isinstance(stored, tuple) and len(stored) == 4 and stored[0] == identity):
        return None
    return stored


def _restored(face: TTFontFace, stored: _Stored, glyph_maps: bool) -> bool:
    """Whether ``face`` got its tables from ``stored``; if not (a file damaged in a way marshal still
    reads), it is parsed, which sets every attribute again."""
    try:
        _restore(face, stored, glyph_maps)
    except (ValueError, TypeError, KeyError, AttributeError):
        return False
    return True


def _restore(face: TTFontFace, stored: _Stored, glyph_maps: bool) -> None:
    _, plain, names, tables = stored
    if set(tables) != set(_TABLES):
        raise KeyError("tables missing")
    face.__dict__.update(plain)
    face.__dict__.update({name: TTFNameBytes(plain[name]) for name in names})
    units = face.unitsPerEm
    face._pdfScale = (lambda x: x) if units == 1000 else (lambda x, factor=1000 / units: x * factor)
    for name, parts in tables.items():
        if name != "glyphToChar" or glyph_maps:
            setattr(face, name, _table(name, [_array(*part) for part in parts]))


_TABLES = ("charToGlyph", "charWidths", "glyphToChar", "hmetrics", "glyphPos")


def _arrays(name: str, table: Any) -> tuple[tuple[str, bytes], ...]:
    parts: tuple[array[Any], ...]
    if name == "glyphToChar":
        glyphs = array("I", sorted(table))
        ends = array("I", itertools.accumulate(len(table[glyph]) for glyph in glyphs))
        chars = array("I", (char for glyph in glyphs for char in table[glyph]))
        parts = (glyphs, ends, chars)
    elif name == "hmetrics":
        parts = (table.advances, table.bearings)
    elif name == "glyphPos":
        parts = (table,)
    else:
        values = list(table.values())
        parts = (array("I", table), array("q", values) if all(type(v) is int for v in values) else array("d", values))
    return tuple((part.typecode, part.tobytes()) for part in parts)


def _array(typecode: str, data: bytes) -> array[Any]:
    part = array(typecode)
    part.frombytes(data)
    return part


def _table(name: str, parts: list[array[Any]]) -> Any:
    if name == "glyphToChar":
        glyphs, ends, chars = parts
        if len(glyphs) != len(ends) or (ends and ends[-1] != len(chars)):
            raise ValueError("glyph map damaged")
        return GlyphToChar(glyphs, ends, chars)
    if name == "hmetrics":
        return Metrics(*parts)
    if name == "glyphPos":
        return parts[0]
    return dict(zip(*parts, strict=True))
