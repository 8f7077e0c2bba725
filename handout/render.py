"""Lay out and draw one handout page with ReportLab.

The page (:mod:`handout.page`) has a fixed frame: the clinic's header band at the top and
the footer at the bottom. Between them go the title block across the full width and then
the body (:mod:`handout.compose`) in the layout's columns. Only the body size changes
when fitting, so :func:`render` can be called once per candidate size.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, fields
from typing import Any

from reportlab import rl_config
from reportlab.pdfbase.pdfdoc import PDFArrayCompact, PDFStream, PDFZCompress
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, FrameBreak, PageTemplate
from reportlab.platypus.doctemplate import ActionFlowable, LayoutError

from handout.compose import Composer
from handout.embedding import FontUse, Kept, ReusedFlate, fonts_used, resources, start_new_subsets, use_fonts
from handout.inline import plain
from handout.page import GAP, Page, stack_height

# Compressed streams stay binary: ASCII85 on top makes them a quarter bigger and slower to write.
rl_config.useA85 = 0


@dataclass(frozen=True)
class BodyBand:
    """The band of the page between header and footer, where only the body draws.

    Pages with the same ``drawing`` look the same in this band, whichever clinic they are for.
    Heights are in points from the bottom of the page.
    """

    drawing: int
    bottom: float
    top: float


@dataclass(frozen=True)
class Rendered:
    """A rendered handout: the PDF bytes (empty for a trial), its page count and how much did not fit.

    ``body`` is set when the page's body is a kept drawing that other clinics' pages share.
    """

    pdf: bytes
    pages: int
    overflow: float
    body: BodyBand | None = None


class _MeasuringCanvas(Canvas):  # type: ignore[misc]
    """A canvas for trial layouts: everything is laid out, nothing is assembled into a file."""

    def save(self) -> None:
        pass


class _HandoutDoc(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, buffer: io.BytesIO, body_width: float, **kwargs: object) -> None:
        super().__init__(buffer, **kwargs)
        self.body_width = body_width
        self.overflow = 0.0
        # ReportLab's record of what a build changes in the flowables (keepWithNext, _postponed),
        # as multiBuild keeps it, so the same story can be built again.
        self._edits: list[tuple[Any, ...]] = []
        self._multiBuildEdits = self._edits.append
        self.keep_body = False
        self.drawn_body: _Body | None = None
        self.page_start, self.fonts_at_start = 0, 0
        self.resources_at_start: tuple[int, ...] = ()

    def handle_pageBegin(self) -> None:
        super().handle_pageBegin()
        self.page_start, self.fonts_at_start = len(self.canv._code), len(self.canv._doc.fontMapping)
        self.resources_at_start = resources(self.canv)

    def body_as_drawn(self, canvas: Canvas) -> _Body | None:
        """The first page's body as drawn so far, if it is only operators and fonts, which can be drawn again."""
        if self.page != 1 or self.page_start or self.fonts_at_start or resources(canvas) != self.resources_at_start:
            return None
        return _Body(tuple(canvas._code), fonts_used(canvas._doc))

    def undo_edits(self) -> None:
        for undo, *arguments in self._edits:
            undo(*arguments)
        self._edits.clear()

    def afterFlowable(self, flowable: Flowable) -> None:
        if self.page > 1 and not isinstance(flowable, ActionFlowable):
            self.overflow += flowable.wrap(self.body_width, 1e6)[1]


class _Frame(Frame):  # type: ignore[misc]
    """A frame with no padding: the page's geometry already leaves the gaps."""

    def __init__(self, x: float, y: float, width: float, height: float, id: str) -> None:
        super().__init__(x, y, width, height, id=id, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)


class _MeasuringFrame(_Frame):
    """A frame for trial layouts: it places each flowable and does not draw it."""

    def add(self, flowable: Flowable, canvas: Canvas, trySplit: int = 0) -> int:
        flowable.drawOn = _not_drawn
        try:
            return int(super().add(flowable, canvas, trySplit))
        finally:
            del flowable.drawOn


def _not_drawn(*_: object, **__: object) -> None:
    pass


class _TwoStreamCanvas(Canvas):  # type: ignore[misc]
    """A canvas whose first page's content is two streams, the header and footer, then the body.

    The body's stream is the same bytes on every page that draws the same body, so it is
    compressed once; and the page without its body stream is the header and footer alone, which
    is all a thumbnail needs drawn once it has the body's pixels (:func:`without_body`).
    """

    body_starts: int | None = None  # where the body's operators start in the page's code

    def showPage(self) -> None:
        code, preamble, starts = self._code, self._preamble, self.body_starts
        super().showPage()  # puts the page in the document and starts a new page's code
        if starts is None:
            return
        self.body_starts = None
        page = self._doc.Pages.pages[-1]
        chrome = "\n".join([*self._psCommandsBeforePage, preamble, *code[:starts]]) + "\n"
        body = "\n".join([*code[starts:], *self._psCommandsAfterPage]) + "\n"
        page.Contents = PDFArrayCompact([PDFStream(content=chrome, filters=[PDFZCompress]),
                                         PDFStream(content=body, filters=[_BODY_FLATE])])  # fmt: skip


# Page bodies, compressed once for every page that draws the same body.
_BODY_FLATE = ReusedFlate(Kept(8 * 1024 * 1024))
_CONTENTS = re.compile(rb"/Contents (\d+) 0 R")


def without_body(pdf: bytes) -> bytes:
    """The one-page PDF with its body's stream left out: only the header and footer draw. The same
    length, so the file's cross-reference table still holds."""
    for contents in _CONTENTS.finditer(pdf):  # the page's, even if the bytes of another object look alike
        streams = re.compile(rb"\n%s 0 obj\n\[ \d+ 0 R( \d+ 0 R) \]\nendobj" % contents[1]).search(pdf)
        if streams:
            start, end = streams.span(1)
            return pdf[:start] + b" " * (end - start) + pdf[end:]
    raise ValueError("the page's content is not a header stream and a body stream")


def render(page: Page, size: float, *, trial: bool = False) -> Rendered:
    """Lay the handout out at body ``size``; a trial only measures and returns no PDF.

    A final render keeps the body it drew: the next clinic's page with the same story in the
    same frames gets the same operators and font subsets, without laying the story out again.
    """
    inputs, key = _story_key(page, size)
    story = None if key in _heights and not trial else _story(page, size, inputs, key)
    heights = story.heights if story is not None else _heights[key][1]
    frame_class = _MeasuringFrame if trial else _Frame
    frames = _frames(page, heights, frame_class)
    if frames is None:
        return Rendered(b"", 2, -_column_height(page, heights))
    body_key = _body_key(key, frames)
    drawn = None if trial else _bodies.get(body_key)
    if drawn is not None:
        _bodies.move_to_end(body_key)
        flowables: list[Flowable] = [_DrawnBody(drawn[1])]
    else:
        story = story or _story(page, size, inputs, key)
        flowables = _flowables(story)
    # Whatever does not fit goes to a plain second page, only to be measured and reported.
    spill = frame_class(page.left, page.bottom, page.column_width, page.top - page.bottom, id="overflow")
    buffer = io.BytesIO()
    doc = _HandoutDoc(buffer, page.column_width, **_document_info(page))
    doc.keep_body = not trial and drawn is None
    on_page_end = _chrome_in_front(page) if not trial else (lambda canvas, doc: None)
    doc.addPageTemplates(
        [
            PageTemplate("handout", frames=frames, onPageEnd=on_page_end, autoNextPageTemplate="overflow"),
            PageTemplate("overflow", frames=[spill]),
        ]
    )
    try:
        doc.build(flowables, canvasmaker=_MeasuringCanvas if trial else _TwoStreamCanvas)
    except LayoutError:
        return Rendered(b"", 2, _column_height(page, heights))
    finally:
        doc.undo_edits()
    if doc.page == 1 and doc.drawn_body is not None:
        drawn = (inputs, doc.drawn_body)
        _keep(_bodies, body_key, drawn)
    if trial:
        return Rendered(b"", doc.page, doc.overflow)
    return Rendered(buffer.getvalue(), doc.page, doc.overflow, _band(page, drawn[1] if drawn else None))


@dataclass(frozen=True)
class StoryHeights:
    """How tall the title block and the pinned warnings are (0 when none are pinned): with the page, they
    place the frames."""

    title: float
    pinned: float


def _column_height(page: Page, heights: StoryHeights) -> float:
    return _columns_top(page, heights) - _columns_bottom(page, heights)


def _columns_top(page: Page, heights: StoryHeights) -> float:
    return page.body_top - heights.title - GAP / 2


def _columns_bottom(page: Page, heights: StoryHeights) -> float:
    return page.body_bottom + (heights.pinned + GAP / 2 if heights.pinned else 0)


def _frames(page: Page, heights: StoryHeights, frame: type[_Frame]) -> list[_Frame] | None:
    """The title frame, the pinned frame if any, then the columns; None when no room is left for the columns."""
    columns_top, columns_bottom = _columns_top(page, heights), _columns_bottom(page, heights)
    column_height = columns_top - columns_bottom
    if column_height <= 0:
        return None
    # The pinned frame comes before the columns so that text overflowing the columns never lands in it.
    frames = [frame(page.left, columns_top + GAP / 2, page.content_width, heights.title, id="title")]
    if heights.pinned:
        frames.append(frame(page.left, page.body_bottom, page.content_width, heights.pinned, id="pinned"))
    frames += [
        frame(page.column_left(i), columns_bottom, page.column_width, column_height, id=f"column-{i + 1}")
        for i in range(page.layout.columns)
    ]
    return frames


def _flowables(story: _Story) -> list[Flowable]:
    flowables = [*story.title_block, FrameBreak()]
    if story.pinned:
        flowables += [*story.pinned, FrameBreak()]
    return flowables + story.body


def _body_key(key: _StoryKey, frames: list[_Frame]) -> _StoryKey:
    return (*key, tuple((frame._x1, frame._y1, frame._width, frame._height) for frame in frames))


def _band(page: Page, body: _Body | None) -> BodyBand | None:
    """The body's band, if the body is a kept drawing and the header's text stays in the header."""
    if body is None or not page.header_fits:
        return None
    return BodyBand(body.drawing, page.body_bottom - GAP / 2, page.body_top + GAP / 2)


def _chrome_in_front(page: Page) -> Callable[[Canvas, _HandoutDoc], None]:
    """Draw the header and footer after the body, and put them in front of it in the page's content.

    Drawn last, the clinic's characters come after the body's in the fonts' subsets (and, see
    :func:`start_new_subsets`, in subsets of their own), so the body draws the same bytes for
    every clinic. Put first, they are what a reader extracting the text meets first.
    """

    def draw(canvas: Canvas, doc: _HandoutDoc) -> None:
        if doc.keep_body:
            doc.drawn_body = doc.body_as_drawn(canvas)
        start_new_subsets(canvas._doc)
        code = canvas._code
        body_end = len(code)
        page.draw_chrome(canvas)
        code[doc.page_start :] = code[body_end:] + code[doc.page_start : body_end]
        canvas.body_starts = doc.page_start + len(code) - body_end

    return draw


@dataclass(frozen=True)
class _Story:
    """The flowables of a handout at one body size, laid out (their line breaks kept) and reusable."""

    title_block: list[Flowable]
    pinned: list[Flowable]
    body: list[Flowable]
    heights: StoryHeights


_drawings = itertools.count(1)


@dataclass(frozen=True)
class _Body:
    """A page's body as drawn: its operators, and the fonts they use with the code of each character."""

    code: tuple[str, ...]
    fonts: tuple[FontUse, ...]
    drawing: int = field(default_factory=lambda: next(_drawings))  # never reused, unlike an id()


class _DrawnBody(Flowable):  # type: ignore[misc]
    """A body drawn for an earlier clinic, put on this clinic's page as it was drawn there."""

    def __init__(self, body: _Body) -> None:
        super().__init__()
        self.body = body

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0.0, 0.0

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        canvas._code.extend(self.body.code)
        use_fonts(canvas._doc, self.body.fonts)


# A story depends on the document, layout, page size, colours, the placeholder values it prints and
# the body size, not on the rest of the clinic: a batch lays each document out once and draws it
# for every clinic, and a final render reuses the story of the fitting's last trial at that size.
STORIES_KEPT = 24
_StoryKey = tuple[Hashable, ...]
_Inputs = tuple[object, ...]  # kept alive with what is kept by their ids, so the ids stay theirs
_stories: OrderedDict[_StoryKey, tuple[_Inputs, _Story]] = OrderedDict()
_heights: OrderedDict[_StoryKey, tuple[_Inputs, StoryHeights]] = OrderedDict()
_bodies: OrderedDict[_StoryKey, tuple[_Inputs, _Body]] = OrderedDict()


def _keep(kept: OrderedDict[_StoryKey, Any], key: _StoryKey, value: tuple[_Inputs, Any]) -> None:
    kept[key] = value
    kept.move_to_end(key)
    if len(kept) > STORIES_KEPT:
        kept.popitem(last=False)


def _story_key(page: Page, size: float) -> tuple[_Inputs, _StoryKey]:
    handout = page.handout
    inputs = (handout.topic, handout.document, page.layout)
    return inputs, (*map(id, inputs), *_printed_as(page, size))


def _printed_as(page: Page, size: float) -> tuple[Hashable, ...]:
    """What a story depends on besides its document and layout: the paper, the colours, the placeholder
    values it prints and the body size."""
    palette = tuple(getattr(page.palette, part.name).hexvala() for part in fields(page.palette))
    return page.width, page.height, palette, page.handout.used_values(), size


@dataclass(frozen=True)
class DrawingName:
    """A drawn body as a batch names it in the cache folder: what it depends on (:func:`drawing_key`) and
    the versions of the document's text, the layout file and the tool it is drawn from."""

    key: str
    sources: str


def drawing_key(page: Page, size: float) -> str:
    """What the body drawn on ``page`` at ``size`` depends on, named the same in every process: the story's
    key by the names of the topic, language and layout, and the footer's height, which moves the frames.
    The versions of the document's text, the layout file and the tool are not in it."""
    handout = page.handout
    return repr((handout.topic.id, handout.language, handout.layout.name, *_printed_as(page, size), page.body_bottom))


def _story(page: Page, size: float, inputs: _Inputs, key: _StoryKey) -> _Story:
    if key in _stories:
        _stories.move_to_end(key)
        return _stories[key][1]
    composer = Composer(page, size)
    title_block, pinned = composer.title_block(), composer.pinned()
    heights = StoryHeights(stack_height(title_block, page.content_width) + 1,
                           stack_height(pinned, page.content_width) + 1 if pinned else 0.0)  # fmt: skip
    story = _Story(title_block, pinned, composer.body(), heights)
    _keep(_stories, key, (inputs, story))
    _keep(_heights, key, (inputs, heights))
    return story


@dataclass(frozen=True)
class Drawing:
    """A page's body as drawn, and the heights that placed its frames: all another process needs to put
    it on a like page (the same story on the same paper, with the same footer height) without drawing it."""

    heights: StoryHeights
    code: tuple[str, ...]
    fonts: tuple[FontUse, ...]


def kept_drawing(page: Page, size: float) -> Drawing | None:
    """The body this process keeps as drawn for ``page`` at ``size``, if any."""
    _, key = _story_key(page, size)
    heights = _heights.get(key)
    frames = _frames(page, heights[1], _Frame) if heights is not None else None
    body = _bodies.get(_body_key(key, frames)) if frames is not None else None
    if heights is None or body is None:
        return None
    return Drawing(heights[1], body[1].code, body[1].fonts)


def keep_drawing(page: Page, size: float, drawing: Drawing) -> None:
    """Keep ``drawing``, made for a like page, as if this process had drawn it for ``page`` at ``size``."""
    inputs, key = _story_key(page, size)
    frames = _frames(page, drawing.heights, _Frame)
    if frames is None:
        return
    _keep(_heights, key, (inputs, drawing.heights))
    _keep(_bodies, _body_key(key, frames), (inputs, _Body(drawing.code, drawing.fonts)))


def _document_info(page: Page) -> dict[str, object]:
    handout = page.handout
    document = handout.document
    return {
        "pagesize": (page.width, page.height),
        "leftMargin": page.left,
        "rightMargin": page.width - page.right,
        "topMargin": page.height - page.top,
        "bottomMargin": page.bottom,
        "title": plain(document.title, handout.values),
        "author": page.clinic.name,
        "subject": plain(document.subtitle or document.title, handout.values),
        "keywords": [code.code for code in handout.topic.codes],
        "creator": f"handout {handout.version}",
        "producer": f"handout {handout.version}",
        "lang": handout.language,
        "invariant": 1,
        "initialFontName": handout.fonts.regular,
        "initialFontSize": 10,
    }
