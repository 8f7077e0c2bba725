"""How a handout's fonts are embedded, so that what every clinic shares is made once.

ReportLab embeds a TrueType font as subsets of up to 256 characters, numbered in the order
the document first uses them. A page draws its body first, then, in subsets of their own
(:func:`start_new_subsets`), the clinic's header and footer: the body's subsets are then the
same for every clinic. A batch cuts, compresses and formats each of them once
(:func:`reuse_subsets`), and :mod:`handout.render` reuses a drawn body with the code each
character got (:func:`fonts_used`, :func:`use_fonts`). Operators that refer to no object of
their own document (:func:`resources`) can be drawn again in another.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import cast

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDocument
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace
from reportlab.pdfgen.canvas import Canvas


def start_new_subsets(doc: PDFDocument) -> None:
    """Put characters assigned from now on in new subsets of every embedded font used so far."""
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


def resources(canvas: Canvas) -> tuple[int, ...]:
    """How many images, forms, annotations, colour spaces and graphics states the document has so far:
    operators drawn while these stay the same refer to none of their own, and can be drawn again in
    another document that has the same fonts."""
    return (len(canvas._doc.idToObject), len(canvas._formsinuse), len(canvas._annotationrefs),
            len(canvas._colorsUsed), len(canvas._shadingUsed), len(canvas._extgstate._c))  # fmt: skip


class Kept:
    """The most recently used byte strings, up to a total size."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.items: OrderedDict[Hashable, tuple[bytes, int]] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], bytes], extra: int = 0) -> bytes:
        """The kept value for ``key``, or ``make()`` kept; ``extra`` bytes are kept alive with it."""
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key][0]
        value = make()
        self.items[key] = (value, len(value) + extra)
        self.size += len(value) + extra
        while self.size > self.limit and len(self.items) > 1:
            _, (_, size) = self.items.popitem(last=False)
            self.size -= size
        return value


# The body's subsets of all the languages a worker prints: a few MB. The clinics' own subsets are
# small and pass through.
_programs = Kept(24 * 1024 * 1024)  # font programs cut from the font files, and compressed
_widths = Kept(2 * 1024 * 1024)  # widths arrays, formatted


def reuse_subsets(font: TTFont) -> None:
    """Cut, compress and format each subset of ``font`` once; every later document gets the same bytes."""
    face = font.face
    add_subset_objects, add_objects = face.addSubsetObjects, font.addObjects

    def make_subset(subset: list[int]) -> bytes:
        codes = tuple(subset)
        return _programs.get((face.filename, codes), lambda: cast(bytes, TTFontFace.makeSubset(face, subset)))

    def add_reused_subset(doc: PDFDocument, name: str, subset: list[int]) -> object:
        reference = add_subset_objects(doc, name, subset)
        program = doc.idToObject[f"fontFile:{face.filename}({name})"]
        if program.filters:
            program.filters = [_REUSED_FLATE]
        return reference

    def add_objects_with_reused_widths_and_maps(doc: PDFDocument) -> None:
        state = font.state.get(doc)
        names = [f"{state.internalName}+{n}" for n in range(len(state.subsets))] if state else []
        add_objects(doc)
        for name in names:
            subset_font = doc.idToObject[name]
            subset_font.Widths = _formatted(subset_font.Widths)
            to_unicode = doc.idToObject[subset_font.ToUnicode.name]
            if to_unicode.filters:
                to_unicode.filters = [_REUSED_FLATE]

    face.makeSubset = make_subset
    face.addSubsetObjects = add_reused_subset
    font.addObjects = add_objects_with_reused_widths_and_maps  # ReportLab writes bytes as they are


def _formatted(widths: PDFArray) -> bytes:
    return _widths.get(tuple(widths.sequence), lambda: cast(bytes, widths.format(None)))


class ReusedFlate:
    """ReportLab's Flate filter, with what it compressed kept in ``kept``: a stream that many documents
    share is compressed once."""

    pdfname = "FlateDecode"

    def __init__(self, kept: Kept) -> None:
        self.kept = kept

    def encode(self, stream: bytes | str) -> bytes:
        data = stream.encode("utf-8") if isinstance(stream, str) else stream
        return self.kept.get(("flate", data), lambda: zlib.compress(data), extra=len(data))


_REUSED_FLATE = ReusedFlate(_programs)  # font programs and character maps
