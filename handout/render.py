"""Lay out and draw one handout page with ReportLab.

The page has a fixed frame: the clinic's header band at the top and a footer with the
clinic's details, review date, sources and QR code at the bottom. Between them go the
title block across the full width and then the body in the layout's columns. Only the
body size changes when fitting, so :func:`render` can be called once per candidate size.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from functools import cache, cached_property
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, FrameBreak, PageTemplate, Paragraph, Table
from reportlab.platypus.doctemplate import ActionFlowable, LayoutError

from handout.colours import Palette, palette_for
from handout.inline import fill, plain, to_markup
from handout.resolve import Handout
from handout.schema import Section

PAGE_SIZES = {"letter": letter, "a4": A4}


@cache
def qr_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    """The dark and light modules of the QR code for ``url`` (error correction level M)."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(url)
    code.make()
    return tuple(tuple(bool(cell) for cell in row) for row in code.modules)


TEXT = HexColor("#1A1A1A")
MUTED = HexColor("#444444")
BULLET = "\u2022"
GAP = 10.0  # space between the header, title block, body and footer, in points
QR_SIZE = 50.0
QR_LABEL_WIDTH = 60.0


@dataclass(frozen=True)
class Rendered:
    """A rendered handout: the PDF bytes (empty for a trial), its page count and how much did not fit."""

    pdf: bytes
    pages: int
    overflow: float


class _MeasuringCanvas(Canvas):  # type: ignore[misc]
    """A canvas for trial layouts: everything is laid out, nothing is assembled into a file."""

    def save(self) -> None:
        pass


class _HandoutDoc(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, buffer: io.BytesIO, body_width: float, **kwargs: object) -> None:
        super().__init__(buffer, **kwargs)
        self.body_width = body_width
        self.overflow = 0.0

    def afterFlowable(self, flowable: Flowable) -> None:
        if self.page > 1 and not isinstance(flowable, ActionFlowable):
            self.overflow += flowable.wrap(self.body_width, 1e6)[1]


class Page:
    """The fixed parts of one handout's page: geometry, palette, header and footer."""

    def __init__(self, handout: Handout) -> None:
        self.handout = handout
        self.layout = handout.layout.layout
        self.clinic = handout.clinic.clinic
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

    # ------------------------------------------------------------ footer

    def _footer_style(self, bold: bool = False) -> ParagraphStyle:
        size = self.layout.type.footer
        fonts = self.handout.fonts
        return ParagraphStyle(
            "footer",
            fontName=fonts.bold if bold else fonts.regular,
            fontSize=size,
            leading=size * 1.3,
            textColor=MUTED,
            spaceAfter=size * 0.3,
        )

    @cached_property
    def footer_paragraphs(self) -> list[Paragraph]:
        handout, labels = self.handout, self.handout.labels
        contact = [f"<b>{escape(self.clinic.name)}</b>", escape(self.clinic.phone)]
        if self.clinic.website:
            contact.append(escape(self.clinic.website))
        sources = "; ".join(escape(source.title) for source in handout.topic.sources)
        reviewed = labels("Last reviewed: {date}", date=labels.date(handout.topic.review.last_reviewed))
        paragraphs = [
            Paragraph(" \u00b7 ".join(contact), self._footer_style()),
            Paragraph(f"{escape(reviewed)} {escape(labels('Sources:'))} {sources}", self._footer_style()),
        ]
        note = self.translation_note()
        if note:
            paragraphs.append(Paragraph(escape(note), self._footer_style(bold=True)))
        return paragraphs

    def translation_note(self) -> str:
        translation = self.handout.document.translation
        if translation is None:
            return ""
        labels, language = self.handout.labels, self.handout.source_language_name
        if translation.reviewed:
            return labels("Translated from {language} and checked by a qualified translator.", language=language)
        if translation.method == "machine":
            return labels(
                "Machine translation from {language}, not yet checked by a qualified translator.",
                language=language,
            )
        return labels("Translated from {language}, not yet checked by a qualified translator.", language=language)

    @property
    def footer_text_width(self) -> float:
        return self.content_width - (QR_SIZE + QR_LABEL_WIDTH + GAP if self.clinic.website else 0)

    @cached_property
    def footer_height(self) -> float:
        text = _stack_height(self.footer_paragraphs, self.footer_text_width)
        qr = QR_SIZE - GAP / 2 if self.clinic.website else 0  # the code's own blank border may overlap the gap
        return max(text, qr) + GAP / 2

    def draw_footer(self, canvas: Canvas) -> None:
        top = self.bottom + self.footer_height
        canvas.setStrokeColor(self.palette.highlight_border)
        canvas.setLineWidth(1.2)
        canvas.line(self.left, top, self.right, top)
        y = top - GAP / 2
        for paragraph in self.footer_paragraphs:
            _, height = paragraph.wrap(self.footer_text_width, 1e6)
            paragraph.drawOn(canvas, self.left, y - height)
            y -= height + paragraph.style.spaceAfter
        if self.clinic.website:
            self._draw_qr(canvas, self.clinic.website, top - GAP / 2)

    def _draw_qr(self, canvas: Canvas, url: str, top: float) -> None:
        modules = qr_modules(url)
        quiet = 4  # the blank border, in modules, that scanners need
        box = QR_SIZE / (len(modules) + 2 * quiet)
        left = self.right - QR_SIZE
        path = canvas.beginPath()
        for row, cells in enumerate(modules):
            column = 0
            for dark, run in itertools.groupby(cells):
                count = len(list(run))
                if dark:
                    path.rect(left + (column + quiet) * box, top - (row + quiet + 1) * box, count * box, box)
                column += count
        canvas.setFillColor(black)
        canvas.drawPath(path, stroke=0, fill=1)
        label = Paragraph(
            escape(self.handout.labels("Scan for more")), ParagraphStyle("qr", parent=self._footer_style(), alignment=2)
        )
        _, height = label.wrap(QR_LABEL_WIDTH, QR_SIZE)
        label.drawOn(canvas, left - QR_LABEL_WIDTH, top - QR_SIZE / 2 - height / 2)

    # ------------------------------------------------------------ header

    def draw_header(self, canvas: Canvas) -> None:
        height = self.layout.header_height
        bottom = self.top - height
        canvas.setFillColor(self.palette.header_fill)
        canvas.roundRect(self.left, bottom, self.content_width, height, radius=6, stroke=0, fill=1)
        pad = min(10.0, height / 6)
        x = self.left + pad
        logo = self.handout.clinic.logo
        if logo is not None:
            tile = height - 2 * pad
            tile_width = min(tile * logo.width / logo.height + 8, tile * 3)
            canvas.setFillColor(white)
            canvas.roundRect(x, bottom + pad, tile_width, tile, radius=4, stroke=0, fill=1)
            logo.draw(canvas, x + 4, bottom + pad + 4, tile_width - 8, tile - 8, self.handout.fonts.regular)
            x += tile_width + pad
        phone_left = self._draw_phone(canvas, bottom, height, pad)
        self._draw_clinic_name(canvas, x, phone_left - pad, bottom, height, pad)

    def _draw_phone(self, canvas: Canvas, bottom: float, height: float, pad: float) -> float:
        fonts, size = self.handout.fonts, self.layout.type.header
        label = self.handout.labels("Questions? Call")
        phone = self.clinic.phone
        label_size, phone_size = size * 0.85, size * 1.35
        width = float(max(stringWidth(label, fonts.regular, label_size), stringWidth(phone, fonts.bold, phone_size)))
        right = self.right - pad
        middle = bottom + height / 2
        canvas.setFillColor(self.palette.header_text)
        canvas.setFont(fonts.regular, label_size)
        canvas.drawRightString(right, middle + phone_size * 0.25, label)
        canvas.setFont(fonts.bold, phone_size)
        canvas.drawRightString(right, middle - phone_size * 0.95, phone)
        return right - width

    def _draw_clinic_name(
        self, canvas: Canvas, left: float, right: float, bottom: float, height: float, pad: float
    ) -> None:
        fonts, labels = self.handout.fonts, self.handout.labels
        width, room = right - left, height - 2 * pad
        size = self.layout.type.header * 1.25
        while True:
            name = ParagraphStyle(
                "name",
                fontName=fonts.bold,
                fontSize=size,
                leading=size * 1.15,
                textColor=self.palette.header_text,
            )
            blocks = [Paragraph(escape(self.clinic.name), name)]
            if self.clinic.health_system:
                small = ParagraphStyle(
                    "system",
                    parent=name,
                    fontName=fonts.regular,
                    fontSize=size * 0.72,
                    leading=size * 0.72 * 1.2,
                )
                part_of = labels("Part of {health_system}", health_system=self.clinic.health_system)
                blocks.append(Paragraph(escape(part_of), small))
            detail = ParagraphStyle(
                "address",
                parent=name,
                fontName=fonts.regular,
                fontSize=size * 0.68,
                leading=size * 0.68 * 1.2,
            )
            blocks.append(Paragraph(escape(", ".join(self.clinic.address)), detail))
            heights = [block.wrap(width, 1e6)[1] for block in blocks]
            if sum(heights) <= room or size <= 7:
                break
            size -= 0.5
        y = bottom + height / 2 + sum(heights) / 2
        for block, block_height in zip(blocks, heights, strict=True):
            y -= block_height
            block.drawOn(canvas, left, y)

    def draw_chrome(self, canvas: Canvas, _doc: object = None) -> None:
        canvas.saveState()
        self.draw_header(canvas)
        self.draw_footer(canvas)
        canvas.restoreState()

    # ------------------------------------------------------------ body

    @property
    def body_top(self) -> float:
        return self.top - self.layout.header_height - GAP

    @property
    def body_bottom(self) -> float:
        return self.bottom + self.footer_height + GAP


class Styles:
    """Paragraph styles of the title block and body at one body size."""

    def __init__(self, page: Page, size: float) -> None:
        fonts, scale, palette = page.handout.fonts, page.layout.type, page.palette
        leading = size * scale.leading
        self.size = size
        self.body = ParagraphStyle(
            "body",
            fontName=fonts.regular,
            fontSize=size,
            leading=leading,
            textColor=TEXT,
            spaceAfter=size * 0.4,
        )
        self.bullet = ParagraphStyle(
            "bullet",
            parent=self.body,
            leftIndent=size * 1.1,
            bulletIndent=size * 0.2,
            bulletFontName=fonts.regular,
            bulletFontSize=size,
            spaceAfter=size * 0.2,
        )
        heading_size = size * scale.heading
        self.heading = ParagraphStyle(
            "heading",
            parent=self.body,
            fontName=fonts.bold,
            fontSize=heading_size,
            leading=heading_size * 1.2,
            textColor=palette.heading_text,
            spaceBefore=size * 0.45,
            spaceAfter=size * 0.25,
            keepWithNext=1,
        )
        self.box_heading = ParagraphStyle("box-heading", parent=self.heading, spaceBefore=0)
        title_size = size * scale.title
        self.title = ParagraphStyle(
            "title",
            parent=self.body,
            fontName=fonts.bold,
            fontSize=title_size,
            leading=title_size * 1.15,
            textColor=palette.heading_text,
            spaceAfter=size * 0.2,
        )
        self.subtitle = ParagraphStyle(
            "subtitle",
            parent=self.body,
            fontSize=size * 0.85,
            leading=size * 0.85 * 1.3,
            textColor=MUTED,
            spaceAfter=size * 0.5,
        )
        self.summary = ParagraphStyle("summary", parent=self.body, fontName=fonts.bold, spaceAfter=0)


class Composer:
    """Turns the document into flowables at one body size."""

    def __init__(self, page: Page, size: float) -> None:
        self.page = page
        self.handout = page.handout
        self.styles = Styles(page, size)

    def markup(self, text: str) -> str:
        return to_markup(text, self.handout.values)

    def title_block(self) -> list[Flowable]:
        document, styles = self.handout.document, self.styles
        codes = " \u00b7 ".join(f"{code.system} {code.code}" for code in self.handout.topic.codes)
        subtitle = f"{fill(document.subtitle, {})} \u00b7 {codes}" if document.subtitle else codes
        summary = Paragraph(self.markup(document.summary), styles.summary)
        return [
            Paragraph(self.markup(document.title), styles.title),
            Paragraph(escape(subtitle), styles.subtitle),
            self._box(
                [summary],
                self.page.palette.summary_fill,
                self.page.palette.highlight_border,
                self.page.content_width,
            ),
        ]

    def body(self) -> list[Flowable]:
        """The flowing part of the body, in the columns."""
        if self.page.layout.content == "key_points":
            return self._key_points()
        flowables: list[Flowable] = []
        for section in self.handout.document.sections:
            if not self._pinned(section):
                flowables += self._section(section)
        return flowables

    def pinned(self) -> list[Flowable]:
        """Warning boxes the layout pins across the full width at the foot of the page."""
        if self.page.layout.content == "key_points":
            return []
        return [
            self._warning(section, self.page.content_width)
            for section in self.handout.document.sections
            if self._pinned(section)
        ]

    def _pinned(self, section: Section) -> bool:
        return section.kind == "warning" and self.page.layout.pin_warnings

    def _key_points(self) -> list[Flowable]:
        heading = Paragraph(escape(self.handout.labels("Key points")), self.styles.heading)
        return [heading, *(self._bullet(point) for point in self.handout.document.key_points)]

    def _bullet(self, text: str) -> Paragraph:
        return Paragraph(self.markup(text), self.styles.bullet, bulletText=BULLET)

    def _items(self, section: Section) -> list[Flowable]:
        items: list[Flowable] = [Paragraph(self.markup(p), self.styles.body) for p in section.paragraphs]
        return items + [self._bullet(b) for b in section.bullets]

    def _section(self, section: Section) -> list[Flowable]:
        if section.kind == "normal":
            return [Paragraph(self.markup(section.heading), self.styles.heading), *self._items(section)]
        if section.kind == "warning":
            box = self._warning(section, self.page.column_width)
        else:
            palette = self.page.palette
            box = self._boxed(
                section,
                palette.highlight_fill,
                palette.highlight_border,
                palette.heading_text,
                self.page.column_width,
            )
        return [_Spacer(self.styles.size * 0.6), box]

    def _warning(self, section: Section, width: float) -> Table:
        palette = self.page.palette
        return self._boxed(section, palette.warning_fill, palette.warning_border, palette.warning_border, width)

    def _boxed(self, section: Section, background: Color, border: Color, heading_colour: Color, width: float) -> Table:
        heading_style = ParagraphStyle("box-heading", parent=self.styles.box_heading, textColor=heading_colour)
        content = [Paragraph(self.markup(section.heading), heading_style), *self._items(section)]
        return self._box(content, background, border, width)

    def _box(self, content: list[Flowable], background: Color, border: Color, width: float) -> Table:
        """A tinted box with a coloured bar on its left; it may continue in the next column between items."""
        pad = self.styles.size * 0.6
        table = Table([[item] for item in content], colWidths=[width])
        last = len(content) - 1
        table.setStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), self.handout.fonts.regular),  # else ReportLab sets Helvetica
                ("BACKGROUND", (0, 0), (-1, -1), background),
                ("LINEBEFORE", (0, 0), (0, -1), 4, border),
                ("LEFTPADDING", (0, 0), (-1, -1), pad + 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), self.styles.size * 0.25),
                ("TOPPADDING", (0, 0), (-1, 0), pad * 0.8),
                ("BOTTOMPADDING", (0, last), (-1, last), pad * 0.6),
                ("NOSPLIT", (0, 0), (0, min(1, last))),  # never a heading alone at the foot of a column
            ]
        )
        return table


class _Spacer(Flowable):  # type: ignore[misc]
    """Vertical space that disappears at the top of a column."""

    def __init__(self, height: float) -> None:
        super().__init__()
        self.space = height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        at_top = getattr(getattr(self, "_frame", None), "_atTop", False)
        self.height = 0.0 if at_top else min(self.space, available_height)
        return available_width, self.height

    def draw(self) -> None:
        pass


def _frame(x: float, y: float, width: float, height: float, name: str) -> Frame:
    return Frame(x, y, width, height, id=name, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)


def _stack_height(flowables: list[Flowable], width: float) -> float:
    return sum(float(f.wrap(width, 1e6)[1]) + _space_after(f) for f in flowables)


def render(page: Page, size: float, *, trial: bool = False) -> Rendered:
    """Lay the handout out at body ``size``; a trial only measures and returns no PDF."""
    composer = Composer(page, size)
    title_block, pinned = composer.title_block(), composer.pinned()
    title_height = _stack_height(title_block, page.content_width) + 1
    pinned_height = _stack_height(pinned, page.content_width) + 1 if pinned else 0.0
    columns_top = page.body_top - title_height - GAP / 2
    columns_bottom = page.body_bottom + (pinned_height + GAP / 2 if pinned else 0)
    column_height = columns_top - columns_bottom
    if column_height <= 0:
        return Rendered(b"", 2, -column_height)
    gap = page.layout.column_gap
    # The pinned frame comes before the columns so that text overflowing the columns never lands in it.
    frames = [_frame(page.left, columns_top + GAP / 2, page.content_width, title_height, "title")]
    story = [*title_block, FrameBreak()]
    if pinned:
        frames.append(_frame(page.left, page.body_bottom, page.content_width, pinned_height, "pinned"))
        story += [*pinned, FrameBreak()]
    frames += [
        _frame(
            page.left + i * (page.column_width + gap),
            columns_bottom,
            page.column_width,
            column_height,
            f"column-{i + 1}",
        )
        for i in range(page.layout.columns)
    ]
    story += composer.body()
    # Whatever does not fit goes to a plain second page, only to be measured and reported.
    spill = _frame(page.left, page.bottom, page.column_width, page.top - page.bottom, "overflow")
    buffer = io.BytesIO()
    doc = _HandoutDoc(buffer, page.column_width, **_document_info(page))
    on_page = page.draw_chrome if not trial else (lambda canvas, doc: None)
    doc.addPageTemplates(
        [
            PageTemplate("handout", frames=frames, onPage=on_page, autoNextPageTemplate="overflow"),
            PageTemplate("overflow", frames=[spill]),
        ]
    )
    try:
        doc.build(story, canvasmaker=_MeasuringCanvas if trial else Canvas)
    except LayoutError:
        return Rendered(b"", 2, column_height)
    return Rendered(b"" if trial else buffer.getvalue(), doc.page, doc.overflow)


def _space_after(flowable: Flowable) -> float:
    style = getattr(flowable, "style", None)
    return float(getattr(style, "spaceAfter", 0) or 0)


def _document_info(page: Page) -> dict[str, object]:
    handout = page.handout
    document = handout.document
    codes = [code.code for code in handout.topic.codes]
    return {
        "pagesize": (page.width, page.height),
        "leftMargin": page.left,
        "rightMargin": page.width - page.right,
        "topMargin": page.height - page.top,
        "bottomMargin": page.bottom,
        "title": plain(document.title, handout.values),
        "author": page.clinic.name,
        "subject": plain(document.subtitle or document.title, handout.values),
        "keywords": codes,
        "creator": f"handout {handout.version}",
        "producer": f"handout {handout.version}",
        "lang": handout.language,
        "invariant": 1,
        "initialFontName": handout.fonts.regular,
        "initialFontSize": 10,
    }
