"""Fonts and text direction per language, from the data file ``handout/scripts.yaml``.

Fonts come from pip-installed packages; nothing is downloaded. ReportLab embeds and
subsets TrueType fonts; its base-14 fonts (Helvetica...) are never used because they
are not embedded and cover Latin-1 only.
"""

from __future__ import annotations

import gc
import importlib.util
import mmap
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import uharfbuzz
from babel.core import get_global
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

from handout.embedding import reuse_subsets
from handout.errors import NotFoundError
from handout.font_cache import cached_tables
from handout.loading import load_yaml, validate
from handout.locales import babel_locale
from handout.schema import FontFiles, ScriptTable

SCRIPTS_FILE = Path(__file__).parent / "scripts.yaml"


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


@dataclass(frozen=True)
class Script:
    """How text in one writing system is printed."""

    code: str
    family: FontFamily
    shaping: bool
    rtl: bool
    cjk: bool
    fallback: FontFamily | None = None  # for characters the family lacks; right-to-left text has none


@cache
def script_table() -> ScriptTable:
    return validate(load_yaml(SCRIPTS_FILE), ScriptTable)


def script_code(language: str) -> str:
    """The ISO 15924 script of a language: named in its code (zh-Hant) or its usual one (ru -> Cyrl)."""
    locale = babel_locale(language)
    if locale.script:
        return str(locale.script)
    likely = get_global("likely_subtags").get(locale.language, "")
    parts = [part for part in str(likely).split("_") if len(part) == 4 and part.istitle()]
    return parts[0] if parts else "Latn"


@cache
def script_for(language: str) -> Script:
    """The script of ``language`` with its fonts registered with ReportLab."""
    table, code = script_table(), script_code(language)
    style = table.scripts.get(code)
    if style is None:
        raise NotFoundError(
            f"language '{language}' is written in the {code} script, which has no font yet: add it to {SCRIPTS_FILE}"
        )
    family = _registered(style.family, table.families[style.family])
    rtl = style.direction == "rtl"
    fallback = None
    # Right-to-left text is drawn run by run (handout.bidi) in one family: it has no fallback.
    if not rtl and table.fallback != style.family:
        fallback = _registered(table.fallback, table.families[table.fallback])
    return Script(code, family, style.shaping, rtl, style.line_breaking == "cjk", fallback)


def _font_files(files: FontFiles) -> tuple[Path, Path]:
    spec = importlib.util.find_spec(files.package)
    if spec is None or spec.origin is None:
        raise NotFoundError(f"font package '{files.package}' is not installed: reinstall handout")
    root = Path(spec.origin).parent
    return root / files.regular, root / files.bold


@dataclass(frozen=True)
class FamilyWeight:
    """What printing a language costs a process, known without loading its fonts."""

    family: str
    font_bytes: int
    shaping: bool


@cache
def family_of(language: str) -> FamilyWeight:
    table = script_table()
    style = table.scripts.get(script_code(language))
    if style is None:
        return FamilyWeight("", 0, False)
    size = sum(path.stat().st_size for path in _font_files(table.families[style.family]))
    return FamilyWeight(style.family, size, style.shaping)


@cache
def _registered(name: str, files: FontFiles) -> FontFamily:
    family = FontFamily(name, *_font_files(files))
    for face, path in ((family.regular, family.regular_file), (family.bold, family.bold_file)):
        font = _mapped_font(face, path, glyph_maps=_shaped(name))
        reuse_subsets(font)
        pdfmetrics.registerFont(font)
    # <b> inside a paragraph switches to the bold face; there is no italic in a handout.
    for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
        addMapping(family.name, bold, italic, family.bold if bold else family.regular)
    # A font's tables live as long as the process: leave them out of every later full garbage
    # collection. Only the young generations are collected first (a full collection took 14 ms
    # here, once per family): the garbage that is older, a few hundred objects, stays frozen.
    gc.collect(1)
    gc.freeze()
    return family


def _shaped(family: str) -> bool:
    table = script_table()
    return any(style.shaping for style in table.scripts.values() if style.family == family)


class _MappedFile:
    """A font file that ReportLab reads as a memory map instead of a copy in the process's memory."""

    def __init__(self, path: Path) -> None:
        self.name = str(path)

    def read(self) -> mmap.mmap:
        with open(self.name, "rb") as file:
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)


class _Window:
    """Part of a mapped file, sliced like the bytes ReportLab expects."""

    def __init__(self, data: mmap.mmap, start: int) -> None:
        self.data, self.start = data, start

    def __getitem__(self, part: slice) -> bytes:
        return self.data[self.start + part.start : self.start + part.stop]


def _mapped_font(name: str, path: Path, glyph_maps: bool) -> TTFont:
    """A TrueType font whose file is mapped, not read: of a CJK font's 5-10 MB only the pages of the
    tables parsed and the glyphs printed are ever in memory, and the workers of a batch share them."""
    with cached_tables(glyph_maps):
        font = TTFont(name, _MappedFile(path))
    face: TTFontFace = font.face
    read_table = face.get_table

    def get_table(tag: str) -> bytes | _Window:
        # ReportLab copies the whole glyf table to cut each subset out of it (9 MB for Chinese).
        return _Window(face._ttf_data, face.get_table_pos(tag)[0]) if tag == "glyf" else read_table(tag)

    face.get_table = get_table
    # ReportLab gives HarfBuzz the font's bytes; HarfBuzz maps the file itself. These are the
    # attributes TTFont.hbFace sets on first use.
    font.__dict__.update(
        {
            "__hbFace__": uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(path))),
            "_TTFont__hbUnis": {},
            "_TTFont__hbPrivate": 0xE000,
        }
    )
    return font


@cache
def _covered(family: FontFamily) -> frozenset[int]:
    """The characters both faces of the family have glyphs for."""
    faces = [frozenset(pdfmetrics.getFont(face).face.charToGlyph) for face in (family.regular, family.bold)]
    return faces[0] & faces[1]


def unprintable_characters(text: str, script: Script) -> tuple[str, ...]:
    """Characters of ``text`` neither the script's family nor its fallback can draw."""
    missing = missing_glyphs(text, script.family)
    if missing and script.fallback is not None:
        return missing_glyphs("".join(missing), script.fallback)
    return missing


def fallback_segments(text: str, script: Script) -> list[tuple[str, bool]]:
    """``text`` cut where it changes between the family and the fallback: (segment, in the fallback)."""
    missing = set(missing_glyphs(text, script.family)) if script.fallback is not None else set()
    if not missing:
        return [(text, False)]
    segments: list[tuple[str, bool]] = []
    for char in text:
        fallback = char in missing
        if segments and segments[-1][1] == fallback:
            segments[-1] = (segments[-1][0] + char, fallback)
        else:
            segments.append((char, fallback))
    return segments


@lru_cache(maxsize=16_384)
def missing_glyphs(text: str, family: FontFamily) -> tuple[str, ...]:
    """Characters of ``text`` the family cannot draw (white space and invisible format marks aside).

    Cached: a batch checks the same document texts once per clinic.
    """
    covered = _covered(family)
    return tuple(
        sorted({c for c in text if ord(c) not in covered and not c.isspace() and unicodedata.category(c) != "Cf"})
    )
