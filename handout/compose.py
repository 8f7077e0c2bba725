"""Turn a document into ReportLab flowables at one body size: title block, sections, boxes."""

from __future__ import annotations

from typing import Any

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Table

from handout.inline import fill
from handout.page import MUTED, SEPARATOR, Page
from handout.schema import Section
from handout.text import BULLET, plain_run, runs_of

TEXT = HexColor("#1A1A1A")


class Styles:
    """Paragraph styles of the title block and body at one body size."""

    def __init__(self, page: Page, size: float) -> None:
        scale, palette, text = page.layout.type, page.palette, page.text
        self.size = size
        self.body = text.style(
            "body", fontSize=size, leading=size * scale.leading, textColor=TEXT, spaceAfter=size * 0.4
        )
        # The dot's centre sits at 0.4 em whatever its width (Noto Sans SC's is a full em), and the
        # text at ReportLab's own first-line position after a bullet (its end plus 0.6 em), so that
        # the lines after the first line up with it.
        bullet_width = stringWidth(BULLET, self.body.fontName, size)
        bullet_indent = size * 0.4 - bullet_width / 2
        self.bullet = text.style(
            "bullet",
            parent=self.body,
            leftIndent=bullet_indent + bullet_width + size * 0.6,
            bulletIndent=bullet_indent,
            bulletFontName=self.body.fontName,
            bulletFontSize=size,
            spaceAfter=size * 0.2,
        )

        def display(name: str, font_size: float, leading: float, space_after: float, **extra: Any) -> ParagraphStyle:
            """A bold style in the brand's heading colour: the title and the section headings."""
            return text.style(name, parent=self.body, bold=True, fontSize=font_size, leading=font_size * leading,
                              textColor=palette.heading_text, spaceAfter=space_after, **extra)  # fmt: skip

        self.heading = display("heading", size * scale.heading, 1.2, size * 0.25, spaceBefore=size * 0.45,
                               keepWithNext=1)  # fmt: skip
        self.box_heading = text.style("box-heading", parent=self.heading, spaceBefore=0)
        self.title = display("title", size * scale.title, 1.15, size * 0.2)
        self.subtitle = text.style(
            "subtitle",
            parent=self.body,
            fontSize=size * 0.85,
            leading=size * 0.85 * 1.3,
            textColor=MUTED,
            spaceAfter=size * 0.5,
        )
        self.summary = text.style("summary", parent=self.body, bold=True, spaceAfter=0)


class Composer:
    """Turns the document into flowables at one body size."""

    def __init__(self, page: Page, size: float) -> None:
        self.page = page
        self.handout = page.handout
        self.text = page.text
        self.styles = Styles(page, size)

    def paragraph(self, content: str, style: ParagraphStyle, bullet: bool = False) -> Flowable:
        return self.text.paragraph(runs_of(content, self.handout.values), style, bullet)

    def title_block(self) -> list[Flowable]:
        document, styles, palette = self.handout.document, self.styles, self.page.palette
        codes = SEPARATOR.join(f"{code.system} {code.code}" for code in self.handout.topic.codes)
        subtitle = f"{fill(document.subtitle, {})}{SEPARATOR}{codes}" if document.subtitle else codes
        summary = self.paragraph(document.summary, styles.summary)
        return [
            self.paragraph(document.title, styles.title),
            self.text.paragraph(plain_run(subtitle), styles.subtitle),
            self._box([summary], palette.summary_fill, palette.highlight_border, self.page.content_width),
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
        sections = self.handout.document.sections
        return [self._warning(section, self.page.content_width) for section in sections if self._pinned(section)]

    def _pinned(self, section: Section) -> bool:
        return section.kind == "warning" and self.page.layout.pin_warnings

    def _key_points(self) -> list[Flowable]:
        heading = self.text.paragraph(plain_run(self.handout.labels("Key points")), self.styles.heading)
        return [
            heading,
            *(self.paragraph(p, self.styles.bullet, bullet=True) for p in self.handout.document.key_points),
        ]

    def _items(self, section: Section) -> list[Flowable]:
        items = [self.paragraph(p, self.styles.body) for p in section.paragraphs]
        return items + [self.paragraph(b, self.styles.bullet, bullet=True) for b in section.bullets]

    def _section(self, section: Section) -> list[Flowable]:
        if section.kind == "normal":
            return [self.paragraph(section.heading, self.styles.heading), *self._items(section)]
        if section.kind == "warning":
            box = self._warning(section, self.page.column_width)
        else:
            palette = self.page.palette
            box = self._boxed(
                section, palette.highlight_fill, palette.highlight_border, palette.heading_text, self.page.column_width
            )
        return [_Spacer(self.styles.size * 0.6), box]

    def _warning(self, section: Section, width: float) -> Table:
        palette = self.page.palette
        return self._boxed(section, palette.warning_fill, palette.warning_border, palette.warning_border, width)

    def _boxed(self, section: Section, background: Color, border: Color, heading_colour: Color, width: float) -> Table:
        heading_style = self.text.style("box-heading", parent=self.styles.box_heading, textColor=heading_colour)
        content = [self.paragraph(section.heading, heading_style), *self._items(section)]
        return self._box(content, background, border, width)

    def _box(self, content: list[Flowable], background: Color, border: Color, width: float) -> Table:
        """A tinted box with a coloured bar at the start of the line (left, or right for RTL).

        Each item is a row, so a long box may continue in the next column between items.
        """
        pad = self.styles.size * 0.6
        table = Table([[item] for item in content], colWidths=[width])
        last = len(content) - 1
        bar, start, end = (
            ("LINEAFTER", "RIGHTPADDING", "LEFTPADDING")
            if self.text.rtl
            else ("LINEBEFORE", "LEFTPADDING", "RIGHTPADDING")
        )
        table.setStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), self.handout.fonts.regular),  # else ReportLab sets Helvetica
                ("BACKGROUND", (0, 0), (-1, -1), background),
                (bar, (0, 0), (0, -1), 4, border),
                (start, (0, 0), (-1, -1), pad + 2),
                (end, (0, 0), (-1, -1), pad),
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
