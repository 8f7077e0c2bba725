"""The fixed parts of a handout page: geometry, the clinic's header band and the footer.

None of this depends on the body size, so it is computed once per handout and drawn on
the final page only. Right-to-left languages get the page mirrored: logo and text on
the right, phone number and QR code on the left.
"""

from __future__ import annotations

import itertools
from functools import cached_property, lru_cache
from typing import Any

import zxingcpp
from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject
from reportlab.platypus import Flowable

from handout.colours import Palette, palette_for
from handout.fonts import Script
from handout.resolve import Handout
from handout.schema import SMALLEST_PRINT
from handout.text import TextSetter, natural_width, plain_run

PAGE_SIZES = {"letter": letter, "a4": A4}
MUTED = HexColor("#444444")
GAP = 10.0  # space between the header, title block, body and footer, in points
QR_SIZE = 50.0
QR_LABEL_WIDTH = 60.0
MAX_LOGO_HEIGHT = 72.0
MIN_NAME_SIZE = 10.0  # the clinic's name is not printed smaller while the address can make room
SMALLEST_TEXT = SMALLEST_PRINT  # nothing in the header is printed smaller: a longer name or health system does not fit
SEPARATOR = " \u00b7 "


@lru_cache(maxsize=16)  # the last few clinics': each clinic of a roster may have a page, so a code, of its own
def qr_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    """The dark and light modules of the QR code for ``url`` (error correction level M), one pixel each."""
    symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    pixels = symbol.to_image(scale=1, add_quiet_zones=False)
    rows, columns = pixels.shape
    buffer = memoryview(pixels)  # type: ignore[arg-type]  # zxing-cpp's Image is a buffer; its stubs do not say so
    dark = [value == 0 for value in buffer.cast("B")]
    return tuple(tuple(dark[row * columns : (row + 1) * columns]) for row in range(rows))


def footer_style(text: TextSetter, size: float, bold: bool = False, **attributes: object) -> ParagraphStyle:
    return text.style(
        "footer", bold=bold, fontSize=size, leading=size * 1.3, textColor=MUTED, spaceAfter=size * 0.3, **attributes
    )


@lru_cache(maxsize=64)
def _contact_line(contact: tuple[tuple[str, bool], ...], script: Script, size: float) -> Flowable:
    """The clinic's name, phone, address and website: the same in every language that shares the font."""
    text = TextSetter(script)
    return text.paragraph(list(contact), footer_style(text, size), data=True)


@lru_cache(maxsize=256)
def _footer_note(note: str, script: Script, size: float, bold: bool, width: float) -> Flowable:
    """A footer line that is the same for every clinic (review date, sources, translation): made and
    broken into lines once per language and width (with or without a QR code beside it), and drawn
    for every clinic."""
    text = TextSetter(script)
    return text.paragraph(plain_run(note, bold), footer_style(text, size, bold))


@lru_cache(maxsize=16)
def qr_path(url: str, left: float, top: float) -> PDFPathObject:
    """The dark modules of the QR code for ``url`` as one path, its top left corner at (left, top)."""
    modules = qr_modules(url)
    quiet = 4  # the blank border, in modules, that scanners need
    box = QR_SIZE / (len(modules) + 2 * quiet)
    path = PDFPathObject()
    for row, cells in enumerate(modules):
        column = 0
        for dark, run in itertools.groupby(cells):
            count = len(list(run))
            if dark:
                path.rect(left + (column + quiet) * box, top - (row + quiet + 1) * box, count * box, box)
            column += count
    return path


def stack_height(flowables: list[Flowable], width: float) -> float:
    """Height of flowables stacked in a frame of ``width``, with the space after each."""
    return sum(float(f.wrap(width, 1e6)[1]) + float(f.getSpaceAfter()) for f in flowables)


class Page:
    """Geometry, palette, header and footer of one handout."""

    def __init__(self, handout: Handout) -> None:
        self.handout = handout
        self.layout = handout.layout.layout
        self.clinic = handout.clinic.clinic
        self.text = TextSetter(handout.script)
        self.rtl = handout.script.rtl
        self.width, self.height = (float(length) for length in PAGE_SIZES[self.clinic.page_size])
        margins = self.layout.margins
        self.left = margins.left
        self.right = self.width - margins.right
        self.top = self.height - margins.top
        self.bottom = margins.bottom
        self.palette: Palette = palette_for(self.clinic.colors, self.layout.colors)

    @property
    def content_width(self) -> float:
        return self.right - self.left

    @property
    def column_width(self) -> float:
        columns = self.layout.columns
        return (self.content_width - (columns - 1) * self.layout.column_gap) / columns

    def column_left(self, index: int) -> float:
        """Left edge of the index-th column in reading order (right to left for RTL languages)."""
        position = self.layout.columns - 1 - index if self.rtl else index
        return self.left + position * (self.column_width + self.layout.column_gap)

    @property
    def body_top(self) -> float:
        return self.top - self.layout.header_height - GAP

    @property
    def body_bottom(self) -> float:
        return self.bottom + self.footer_height + GAP

    def draw_chrome(self, canvas: Canvas, _doc: object = None) -> None:
        canvas.saveState()
        self.draw_header(canvas)
        self.draw_footer(canvas)
        canvas.restoreState()

    # ------------------------------------------------------------ footer

    @cached_property
    def footer_paragraphs(self) -> list[Flowable]:
        handout, labels = self.handout, self.handout.labels
        reviewed = labels("Last reviewed: {date}", date=labels.date(handout.topic.review.last_reviewed))
        sources = "; ".join(source.title for source in handout.topic.sources)
        size, width = self.layout.type.footer, self.footer_text_width
        paragraphs = [
            self._contact_paragraph(size, width),
            _footer_note(f"{reviewed}{SEPARATOR}{labels('Sources:')} {sources}", handout.script, size, False, width),
        ]
        note = self.translation_note()
        if note:
            paragraphs.append(_footer_note(note, handout.script, size, True, width))
        return paragraphs

    def _contact_paragraph(self, size: float, width: float) -> Flowable:
        """The clinic's name, phone number, address (when the header has no room for it) and website.
        A long name, which the header prints large already, is left out when it would take a line more."""
        details = [self.clinic.phone]
        if not self.address_in_header:
            details.append(", ".join(self.clinic.address))
        if self.clinic.website:
            details.append(self.clinic.website)
        runs = [(SEPARATOR.join(details), False)]
        named = _contact_line(((self.clinic.name, True), (SEPARATOR, False), *runs), self.handout.script, size)
        unnamed = _contact_line(tuple(runs), self.handout.script, size)
        return unnamed if _heights([named], width)[0] > _heights([unnamed], width)[0] else named

    def translation_note(self) -> str:
        translation = self.handout.document.translation
        if translation is None:
            return ""
        labels, language = self.handout.labels, self.handout.source_language_name
        if translation.reviewed:
            return labels("Translated from {language} and checked by a qualified translator.", language=language)
        if translation.method == "machine":
            return labels(
                "Machine translation from {language}, not yet checked by a qualified translator.", language=language
            )
        return labels("Translated from {language}, not yet checked by a qualified translator.", language=language)

    @property
    def _qr_block_width(self) -> float:
        return QR_SIZE + QR_LABEL_WIDTH + GAP if self.clinic.website else 0.0

    @property
    def footer_text_width(self) -> float:
        return self.content_width - self._qr_block_width

    @cached_property
    def footer_height(self) -> float:
        text = stack_height(self.footer_paragraphs, self.footer_text_width)
        qr = QR_SIZE - GAP / 2 if self.clinic.website else 0  # the code's own blank border may overlap the gap
        return max(text, qr) + GAP / 2

    def draw_footer(self, canvas: Canvas) -> None:
        top = self.bottom + self.footer_height
        canvas.setStrokeColor(self.palette.highlight_border)
        canvas.setLineWidth(1.2)
        canvas.line(self.left, top, self.right, top)
        y = top - GAP / 2
        text_left = self.left + (self._qr_block_width if self.rtl else 0)
        for paragraph in self.footer_paragraphs:
            _, height = paragraph.wrap(self.footer_text_width, 1e6)
            paragraph.drawOn(canvas, text_left, y - height)
            y -= height + paragraph.style.spaceAfter
        if self.clinic.website:
            self._draw_qr(canvas, self.clinic.website, top - GAP / 2)

    def _draw_qr(self, canvas: Canvas, url: str, top: float) -> None:
        left = self.left if self.rtl else self.right - QR_SIZE
        canvas.setFillColor(black)
        canvas.drawPath(qr_path(url, left, top), stroke=0, fill=1)
        size = self.layout.type.footer
        label = _block(self.handout.labels("Scan for more"), self.handout.script, "footer", fontSize=size,
                       leading=size * 1.3, textColor=MUTED, spaceAfter=size * 0.3,
                       alignment=TA_LEFT if self.rtl else TA_RIGHT)  # fmt: skip
        _, height = label.wrap(QR_LABEL_WIDTH, QR_SIZE)
        label_left = left + QR_SIZE if self.rtl else left - QR_LABEL_WIDTH
        label.drawOn(canvas, label_left, top - QR_SIZE / 2 - height / 2)

    # ------------------------------------------------------------ header

    @property
    def _header_pad(self) -> float:
        return min(10.0, self.layout.header_height / 6)

    @cached_property
    def _logo_box(self) -> tuple[float, float]:
        """Width and height of the white tile behind the logo (0, 0 without a logo)."""
        logo = self.handout.clinic.logo
        if logo is None:
            return 0.0, 0.0
        tile = min(self.layout.header_height - 2 * self._header_pad, MAX_LOGO_HEIGHT)
        return min(tile * logo.width / logo.height + 8, tile * 3, self.content_width / 4), tile

    @cached_property
    def _phone_width(self) -> float:
        return min(self.content_width / 3, max(natural_width(block) for block in self._phone_blocks))

    @cached_property
    def _name_box(self) -> tuple[float, float]:
        """Left and right edge of the clinic's name, between the logo and the phone number."""
        pad, (tile_width, _) = self._header_pad, self._logo_box
        logo_side = tile_width + pad if tile_width else 0.0
        if self.rtl:
            return self.left + pad + self._phone_width + pad, self.right - pad - logo_side
        return self.left + pad + logo_side, self.right - pad - self._phone_width - pad

    @cached_property
    def _name_layout(self) -> tuple[float, bool, list[Flowable]]:
        """The name's size, whether the address fits under it, and the blocks that print them."""
        left, right = self._name_box
        clinic, labels = self.clinic, self.handout.labels
        system = labels("Part of {health_system}", health_system=clinic.health_system) if clinic.health_system else ""
        room = self.layout.header_height - 2 * self._header_pad
        return _fitted_name(clinic.name, system, ", ".join(clinic.address), self.handout.script,
                            self.palette.header_text, right - left, room, self.layout.type.header * 1.25)  # fmt: skip

    @property
    def address_in_header(self) -> bool:
        return self._name_layout[1]

    def draw_header(self, canvas: Canvas) -> None:
        height, pad = self.layout.header_height, self._header_pad
        bottom = self.top - height
        canvas.setFillColor(self.palette.header_fill)
        canvas.roundRect(self.left, bottom, self.content_width, height, radius=6, stroke=0, fill=1)
        logo, (tile_width, tile) = self.handout.clinic.logo, self._logo_box
        if logo is not None:
            x = self.right - pad - tile_width if self.rtl else self.left + pad
            tile_bottom = bottom + (height - tile) / 2
            canvas.setFillColor(white)
            canvas.roundRect(x, tile_bottom, tile_width, tile, radius=4, stroke=0, fill=1)
            logo.draw(canvas, x + 4, tile_bottom + 4, tile_width - 8, tile - 8, self.handout.fonts.regular)
        phone_left = self.left + pad if self.rtl else self.right - pad - self._phone_width
        self._draw_stack(canvas, self._phone_blocks, phone_left, self._phone_width, bottom, height)
        left, right = self._name_box
        self._draw_stack(canvas, self._name_layout[2], left, right - left, bottom, height)

    @property
    def header_fits(self) -> bool:
        """Whether the name and phone blocks stay inside the header band (a very long one may not)."""
        left, right = self._name_box
        stacks = ((self._phone_blocks, self._phone_width), (self._name_layout[2], right - left))
        return all(sum(_heights(blocks, width)) <= self.layout.header_height for blocks, width in stacks)

    @staticmethod
    def _draw_stack(canvas: Canvas, blocks: list[Flowable], left: float, width: float, bottom: float,
                    height: float) -> None:  # fmt: skip
        """Draw blocks one under the other, centred in the band's height."""
        heights = _heights(blocks, width)
        y = bottom + height / 2 + sum(heights) / 2
        for block, block_height in zip(blocks, heights, strict=True):
            y -= block_height
            block.drawOn(canvas, left, y)

    @cached_property
    def _phone_blocks(self) -> list[Flowable]:
        """'Questions? Call' and the number, the number as large as the header's height allows."""
        size, script = self.layout.type.header, self.handout.script
        alignment = TA_LEFT if self.rtl else TA_RIGHT
        colour = self.palette.header_text
        label_size = max(size * 0.85, SMALLEST_TEXT)
        label = _block(self.handout.labels("Questions? Call"), script, "phone-label", fontSize=label_size,
                       leading=max(size, label_size * 1.15), textColor=colour, alignment=alignment)  # fmt: skip
        room = self.layout.header_height - 2 * self._header_pad
        shrink = 1.0
        while True:
            number_size = max(size * 1.35 * shrink, SMALLEST_TEXT)
            number = _block(self.clinic.phone, script, "phone", bold=True, data=True, fontSize=number_size,
                            leading=max(size * 1.5 * shrink, SMALLEST_TEXT / 1.35 * 1.5), textColor=colour,
                            alignment=alignment)  # fmt: skip
            blocks = [label, number]
            width = min(self.content_width / 3, max(natural_width(block) for block in blocks))
            # A long number wraps in the third of the width it may take: smaller, it keeps to the header.
            if sum(_heights(blocks, width)) <= room or shrink <= 0.65:
                return blocks
            shrink -= 0.05


@lru_cache(maxsize=1024)
def _block(text: str, script: Script, name: str, bold: bool = False, data: bool = False, **style: Any) -> Flowable:
    """A short paragraph of the header or footer, made once and drawn on every page that prints it: a
    label for every clinic, a clinic's name or phone number in every language that shares the font."""
    setter = TextSetter(script)
    return setter.paragraph(plain_run(text), setter.style(name, bold=bold, **style), data=data)


def _heights(blocks: list[Flowable], width: float) -> list[float]:
    return [float(block.wrap(width, 1e6)[1]) for block in blocks]


NAME_SIZES_KEPT = 4096
_name_sizes: dict[tuple[object, ...], float] = {}


@lru_cache(maxsize=64)
def _fitted_name(name: str, system: str, address: str, script: Script, colour: Color, width: float, room: float,
                 largest: float) -> tuple[float, bool, list[Flowable]]:  # fmt: skip
    """The clinic's name at the largest size that fits the header, with its health system and address.

    The name never shrinks below MIN_NAME_SIZE while the address could make room: a long name
    drops the address, which then goes to the footer. The same for every language that shares the
    font and the health system's label, so kept.
    """

    def blocks(size: float, with_address: bool) -> list[Flowable]:
        details = SEPARATOR.join(part for part in (system, address if with_address else "") if part)
        made = [_block(name, script, "name", bold=True, data=True, fontSize=size, leading=size * 1.15,
                       textColor=colour)]  # fmt: skip
        if details:
            detail = max(size * 0.7, SMALLEST_TEXT)
            made.append(_block(details, script, "detail", data=not system, fontSize=detail,
                               leading=detail * 1.2, textColor=colour))  # fmt: skip
        return made

    def largest_fitting(with_address: bool, smallest: float) -> tuple[float, list[Flowable]] | None:
        # A bisection over the half-point sizes: a stack only grows taller with the size. The size the
        # name got in another language (another phone label beside it, another health system label
        # under it) is tried first, then the next one up.
        sizes = [largest - step / 2 for step in range(int((largest - smallest) * 2) + 1)]
        like = (name, address, script, colour, room, largest, with_address)
        hint = _name_sizes.get(like)
        probes = [sizes.index(hint), sizes.index(hint) - 1] if hint in sizes else []
        low, high, found = 0, len(sizes), None
        while low < high:
            probes = [probe for probe in probes if low <= probe < high]
            middle = probes.pop(0) if probes else (low + high) // 2
            made = blocks(sizes[middle], with_address)
            if sum(_heights(made, width)) <= room:
                found, high = (sizes[middle], made), middle
            else:
                low = middle + 1
        if found is not None:
            if len(_name_sizes) >= NAME_SIZES_KEPT:
                _name_sizes.clear()
            _name_sizes[like] = found[0]
        return found

    for with_address, smallest in ((True, MIN_NAME_SIZE), (False, SMALLEST_TEXT)):
        found = largest_fitting(with_address, smallest)
        if found is not None:
            return found[0], with_address, found[1]
    return SMALLEST_TEXT, False, blocks(SMALLEST_TEXT, False)
