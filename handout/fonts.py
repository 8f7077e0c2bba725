"""Fonts and text direction per language, from the data file ``handout/scripts.yaml``.

Fonts come from pip-installed packages; nothing is downloaded. ReportLab embeds and
subsets TrueType fonts; its base-14 fonts (Helvetica...) are never used because they
are not embedded and cover Latin-1 only.
"""

from __future__ import annotations

import gc
import importlib.util
import unicodedata
import zlib
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import cast

from babel.core import get_global
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDocument
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

from handout.errors import NotFoundError
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
    return Script(code, family, style.shaping, style.direction == "rtl", style.line_breaking == "cjk")


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
        font = TTFont(face, str(path))
        _reuse_subsets(font)
        pdfmetrics.registerFont(font)
    # <b> inside a paragraph switches to the bold face; there is no italic in a handout.
    for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
        addMapping(family.name, bold, italic, family.bold if bold else family.regular)
    # A font's tables are tens of thousands of objects that live as long as the process: leave them
    # out of every later garbage collection (a full one took 35 ms with the CJK fonts loaded).
    gc.collect()
    gc.freeze()
    return family


# A batch embeds the same subsets of a font (the body's characters, see start_new_subsets) in the
# handouts of every clinic: each is cut from the font file and compressed once. A subset is at most
# a few hundred kB, mostly far less; the clinics' own small subsets pass through.
SUBSETS_KEPT = 128


def _reuse_subsets(font: TTFont) -> None:
    """Cut, compress and format each subset of ``font`` once; every later document gets the same bytes."""
    face = font.face

    @lru_cache(maxsize=SUBSETS_KEPT)
    def subset_of(codes: tuple[int, ...]) -> bytes:
        return cast(bytes, TTFontFace.makeSubset(face, list(codes)))

    add_subset_objects = face.addSubsetObjects

    def add_reused_subset(doc: PDFDocument, name: str, subset: list[int]) -> object:
        reference = add_subset_objects(doc, name, subset)
        program = doc.idToObject[f"fontFile:{face.filename}({name})"]
        if program.filters:
            program.filters = [_REUSED_FLATE]
        return reference

    face.makeSubset = lambda subset: subset_of(tuple(subset))
    face.addSubsetObjects = add_reused_subset
    add_objects = font.addObjects

    def add_objects_with_reused_widths(doc: PDFDocument) -> None:
        state = font.state.get(doc)
        names = [f"{state.internalName}+{n}" for n in range(len(state.subsets))] if state else []
        add_objects(doc)
        for name in names:
            subset_font = doc.idToObject[name]
            subset_font.Widths = _formatted_widths(tuple(subset_font.Widths.sequence))

    font.addObjects = add_objects_with_reused_widths


@lru_cache(maxsize=SUBSETS_KEPT)
def _formatted_widths(widths: tuple[int, ...]) -> bytes:
    """A subset's widths as the PDF array ReportLab writes (bytes are written as they are)."""
    return cast(bytes, PDFArray(list(widths)).format(None))


class _ReusedFlate:
    """ReportLab's Flate filter, with the compressed font programs kept: the same bytes come every time."""

    pdfname = "FlateDecode"

    @staticmethod
    @lru_cache(maxsize=SUBSETS_KEPT)
    def encode(program: bytes) -> bytes:
        return zlib.compress(program)


_REUSED_FLATE = _ReusedFlate()


@cache
def _covered(face: str) -> frozenset[int]:
    return frozenset(pdfmetrics.getFont(face).face.charToGlyph)


@lru_cache(maxsize=16_384)
def missing_glyphs(text: str, family: FontFamily) -> tuple[str, ...]:
    """Characters of ``text`` the family cannot draw (white space and invisible format marks aside).

    Cached: a batch checks the same document texts once per clinic.
    """
    covered = _covered(family.regular) & _covered(family.bold)
    return tuple(
        sorted({c for c in text if ord(c) not in covered and not c.isspace() and unicodedata.category(c) != "Cf"})
    )


def start_new_subsets(doc: PDFDocument) -> None:
    """Put characters assigned from now on in new subsets of every embedded font used so far.

    The body of a handout is the same for every clinic and the header is not: with the
    clinic's characters in subsets of their own, the body's subsets are the same bytes in
    every clinic's PDF (see :func:`handout.render.render`).
    """
    for font in doc.delayedFonts:
        state = font.state.get(doc) if isinstance(font, TTFont) else None
        if state is not None and state.nextCode & 0xFF:
            state.nextCode = (state.nextCode | 0xFF) + 1


@dataclass(frozen=True)
class FontUse:
    """A font as drawing left it in one document: its name and, if embedded, the code each character got."""

    name: str
    internal_name: str
    embedded: bool
    assignments: dict[int, int] = field(default_factory=dict)
    subsets: tuple[tuple[int, ...], ...] = ()
    next_code: int = 0


def fonts_used(doc: PDFDocument) -> tuple[FontUse, ...]:
    """The fonts drawn with in ``doc`` so far, in the order they were first used."""
    uses = []
    for name, internal_name in doc.fontMapping.items():
        font = pdfmetrics.getFont(name)
        state = font.state.get(doc) if isinstance(font, TTFont) else None
        if state is None:
            uses.append(FontUse(name, internal_name, embedded=False))
        else:
            subsets = tuple(tuple(subset) for subset in state.subsets)
            uses.append(FontUse(name, internal_name, True, dict(state.assignments), subsets, state.nextCode))
    return tuple(uses)


def use_fonts(doc: PDFDocument, uses: tuple[FontUse, ...]) -> None:
    """Leave the fonts of ``doc``, which has used none yet, as drawing left them in another document."""
    for use in uses:
        font = pdfmetrics.getFont(use.name)
        if not use.embedded:
            doc.getInternalFontName(use.name)
            continue
        font.getSubsetInternalName(0, doc)  # registers the font under the document's next internal name
        state = font.state[doc]
        state.assignments = dict(use.assignments)
        state.subsets = [list(subset) for subset in use.subsets]
        state.nextCode = use.next_code
    if list(doc.fontMapping.items()) != [(use.name, use.internal_name) for use in uses]:
        raise AssertionError("fonts got other internal names than where they were drawn")
