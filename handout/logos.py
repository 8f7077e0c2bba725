"""Clinic logos: PNG or SVG files inside the clinic's own asset folder, checked before use."""

from __future__ import annotations

import copy
import hashlib
import io
import math
import re
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from PIL import Image, UnidentifiedImageError
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.utils import ImageReader, _digester
from reportlab.pdfbase.pdfdoc import PDFImageXObject, PDFObjectReference
from reportlab.pdfgen.canvas import Canvas
from svglib.fonts import FontMap
from svglib.svglib import svg2rlg

from handout.embedding import resources

MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 16_000_000
# The logo prints at most 64 pt (0.9 inch) high: 600 pixels are over 650 dots per inch.
PRINT_PIXELS_HIGH = 600
# A logo longer than this many times its height (or taller than its width) prints as a hairline.
MAX_LOGO_RATIO = 100
# An SVG's width and height, in points: from 1 pt to the largest page a PDF may have (200 inches).
SVG_POINTS = (1.0, 14_400.0)


class LogoProblem(Exception):
    """Why a logo cannot be used; the caller adds the file and line."""


@dataclass(frozen=True)
class EmbeddedImage:
    """A PNG logo made into PDF image objects (compressed pixels, and alpha as a soft mask) once:
    every handout of the clinic embeds the same objects, as ReportLab's drawImage would make them."""

    name: str
    image: PDFImageXObject
    mask: PDFImageXObject | None

    @classmethod
    def of(cls, reader: ImageReader) -> EmbeddedImage:
        pixels = reader.getRGBData()  # also splits off the alpha channel, as _dataA
        alpha = reader._dataA
        name = _digester(pixels + (alpha.getRGBData() if alpha else b"auto"))
        image = PDFImageXObject(name, reader, mask="auto")
        image.name = name
        mask = image.__dict__.pop("_smask", None)
        if mask is not None:
            image.smask = PDFObjectReference(_xobject_name(mask.name))
        return cls(name, image, mask)

    def draw(self, canvas: Canvas, x: float, y: float, width: float, height: float) -> None:
        doc = canvas._doc
        registered = _xobject_name(self.name)
        if registered not in doc.idToObject:
            # A document marks the objects it registers: each gets its own shallow copies.
            image = copy.copy(self.image)
            doc.Reference(image, registered)
            doc.addForm(self.name, image)
            if self.mask is not None and _xobject_name(self.mask.name) not in doc.idToObject:
                doc.Reference(copy.copy(self.mask), _xobject_name(self.mask.name))
        canvas.saveState()
        canvas.translate(x, y)
        canvas.scale(width, height)
        canvas._code.append(f"/{registered} Do")
        canvas.restoreState()
        canvas._formsinuse.append(self.name)
        canvas._currentPageHasImages = 1


def _xobject_name(name: str) -> str:
    return f"FormXob.{name}"  # as PDFDocument.getXObjectName names it


@dataclass(frozen=True)
class Logo:
    path: Path
    width: float
    height: float
    image: Drawing | EmbeddedImage
    # An SVG logo's operators as drawn on the clinic's first page, if they can be drawn again on the others.
    drawn: list[tuple[str, ...]] = field(default_factory=list, compare=False, repr=False)
    # An SVG logo's text, drawn in the page's font, so checked like the clinic's name; and for such a logo its
    # SVG, laid out again for each page's font (svglib places each piece of text by the widths of its font).
    texts: tuple[str, ...] = ()
    svg: bytes = field(default=b"", repr=False)
    laid_out: dict[str, Drawing] = field(default_factory=dict, compare=False, repr=False)

    def draw(self, canvas: Canvas, x: float, y: float, max_width: float, max_height: float, font: str) -> float:
        """Draw the logo scaled into the box whose lower-left corner is (x, y); ``font`` is the page's font."""
        scale = min(max_width / self.width, max_height / self.height)
        width, height = self.width * scale, self.height * scale
        top = y + (max_height - height) / 2
        if isinstance(self.image, Drawing):
            canvas.saveState()
            canvas.translate(x, top)
            canvas.scale(scale, scale)
            self._draw_drawing(self._in_font(self.image, font), canvas, font)
            canvas.restoreState()
        else:
            self.image.draw(canvas, x, top, width, height)
        return width

    def _in_font(self, drawing: Drawing, font: str) -> Drawing:
        """The drawing, its text (if any) laid out and drawn in ``font``, never a font of the machine's."""
        if not self.texts:
            return drawing
        if font not in self.laid_out:
            # The same bytes gave a drawing when the logo was read.
            self.laid_out[font] = _svg_drawing(self.svg, self.path, font) or drawing
        return self.laid_out[font]

    def _draw_drawing(self, drawing: Drawing, canvas: Canvas, font: str) -> None:
        """Walking an SVG's drawing takes ReportLab 0.5 ms for a few shapes, and more for a detailed logo:
        the operators it gave are drawn again on the clinic's later pages. Not those of a drawing that
        needed objects of its own in the PDF (an image, a transparency) or drew text, whose character
        codes are the document's own."""
        if self.drawn:
            canvas._code.extend(self.drawn[0])
            return
        start, before = len(canvas._code), (resources(canvas), len(canvas._doc.fontMapping))
        drawing.initialFontName = font  # else the renderer selects (and references) Helvetica
        renderPDF.draw(drawing, canvas, 0, 0)
        operators = tuple(canvas._code[start:])
        if (resources(canvas), len(canvas._doc.fontMapping)) == before and not _has_text(operators):
            self.drawn.append(operators)


def _has_text(operators: tuple[str, ...]) -> bool:
    return any(token in ("BT", "Tf") for operator in operators for token in operator.split())


def read_logo(asset_dir: Path, relative: str) -> Logo:
    path = _inside(asset_dir, relative)
    if path.stat().st_size > MAX_LOGO_BYTES:
        raise LogoProblem(f"logo {relative} is larger than {MAX_LOGO_BYTES // 1024 // 1024} MB: use a smaller file")
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise LogoProblem(f"logo {relative} must be a .png or .svg file")
    # The clinics of a health system mostly share a logo: a file with the same bytes as one read
    # before is not decoded, checked and made into PDF objects again (2-5 ms each).
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LogoProblem(f"logo {relative} cannot be read ({exc.strerror or exc}): check that the file can be "
                          "read by the account that runs handout") from None  # fmt: skip
    key = (suffix, hashlib.sha256(data).digest())
    read = _read_logos.get(key)
    if read is None:
        read = _read_png(path, relative) if suffix == ".png" else _read_svg(path, relative, data)
        _read_logos[key] = read
        if len(_read_logos) > LOGOS_KEPT:
            _read_logos.popitem(last=False)
    _read_logos.move_to_end(key)
    # The same drawing: the same operators.
    return Logo(path, read.width, read.height, read.image, read.drawn, read.texts, read.svg, read.laid_out)


LOGOS_KEPT = 16
_read_logos: OrderedDict[tuple[str, bytes], Logo] = OrderedDict()


def _inside(asset_dir: Path, relative: str) -> Path:
    if Path(relative).is_absolute():
        raise LogoProblem(f"logo path {relative} is absolute: give a path inside {asset_dir}")
    folder = asset_dir.resolve()
    path = (asset_dir / relative).resolve()
    if not path.is_relative_to(folder):
        raise LogoProblem(f"logo path {relative} leads outside the clinic's folder {asset_dir}: move the logo into it")
    if not path.is_file():
        raise LogoProblem(f"logo file {asset_dir / relative} does not exist: add it or fix the path")
    return path


def _read_png(path: Path, relative: str) -> Logo:
    try:
        with warnings.catch_warnings():  # the size is checked here, with a message that says what to do
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = _loaded_png(path, relative)
    except Image.DecompressionBombError:
        raise LogoProblem(f"logo {relative} has far too many pixels: use an image under 4000x4000") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise LogoProblem(f"logo {relative} is not a readable PNG image ({exc}): export it again") from None
    _check_shape(relative, image.width, image.height, "pixels")
    if image.height > PRINT_PIXELS_HIGH:
        image = _at_print_resolution(image)
    return Logo(path, float(image.width), float(image.height), EmbeddedImage.of(ImageReader(image)))


def _loaded_png(path: Path, relative: str) -> Image.Image:
    with Image.open(path) as probe:
        if probe.format != "PNG":
            raise LogoProblem(f"logo {relative} is not a PNG image (it is {probe.format})")
        if probe.width * probe.height > MAX_LOGO_PIXELS:
            raise LogoProblem(f"logo {relative} is {probe.width}x{probe.height} pixels: use an image under 4000x4000")
        probe.verify()
    image: Image.Image = Image.open(path)
    image.load()
    return image


def _at_print_resolution(image: Image.Image) -> Image.Image:
    """The image scaled down to PRINT_PIXELS_HIGH: more pixels would only make every handout bigger."""
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    width = max(1, round(image.width * PRINT_PIXELS_HIGH / image.height))
    return image.convert("RGBA" if transparent else "RGB").resize((width, PRINT_PIXELS_HIGH), Image.Resampling.LANCZOS)


_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!#)", re.IGNORECASE)


def _refuse_external_references(svg: bytes, relative: str) -> None:
    """A logo must be self-contained: no entities, no links to files or addresses (they leak or hang)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.fromstring(svg, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        raise LogoProblem(f"logo {relative} is not a readable SVG image ({exc.msg}): export it again") from None
    if tree.docinfo.internalDTD is not None and list(tree.docinfo.internalDTD.iterentities()):
        raise LogoProblem(f"logo {relative} declares XML entities: export it again as a plain SVG")
    for element in tree.iter():
        for name in ("href", _XLINK_HREF):
            target = (element.get(name) or "").strip()
            if target and not target.startswith(("#", "data:image/")):
                raise LogoProblem(f"logo {relative} refers to {target[:60]!r}: embed the image in the SVG")
        style = (element.text or "") if str(element.tag).endswith("style") else ""
        if _CSS_URL.search(style + (element.get("style") or "")):
            raise LogoProblem(f"logo {relative} loads a file or address from its style: remove it")


def _read_svg(path: Path, relative: str, svg: bytes) -> Logo:
    _refuse_external_references(svg, relative)
    try:
        drawing = _svg_drawing(svg, path, "Helvetica")
    except Exception as exc:  # svglib raises many kinds of errors on broken files
        raise LogoProblem(
            f"logo {relative} is not a readable SVG image ({type(exc).__name__}): export it again"
        ) from None
    if drawing is None:
        raise LogoProblem(f"logo {relative} is not a readable SVG image: export it again")
    width, height = float(drawing.width or 0), float(drawing.height or 0)
    low, high = SVG_POINTS
    if not all(math.isfinite(side) and low <= side <= high for side in (width, height)):
        raise LogoProblem(f"logo {relative} is {_points(width)} x {_points(height)} points (from its width, height "
                          f"and viewBox): each must be a number from {low:g} to {high:,g} points (200 inches); "
                          "export it again with its real size")  # fmt: skip
    _check_shape(relative, width, height, "points")
    if not _all_finite(drawing):
        raise LogoProblem(f"logo {relative} has a coordinate, size or colour that is not a number (such as NaN or "
                          "infinity): export it again")  # fmt: skip
    _check_drawable(drawing, relative)
    texts = tuple(string.text for string in _strings(drawing) if string.text.strip())
    _check_text_needs_no_shaping(texts, relative)
    return Logo(path, width, height, drawing, texts=texts, svg=svg if texts else b"")


def _svg_drawing(svg: bytes, path: Path, font: str) -> Drawing | None:
    """The SVG as a drawing whose text is in ``font``, in composed form (a decomposed accent would be drawn
    beside its letter)."""
    drawing = svg2rlg(io.BytesIO(svg), external_reference_root=str(path.parent.resolve()), font_map=_PageFonts(font))
    for string in _strings(drawing):
        string.text = unicodedata.normalize("NFC", string.text)
    return drawing


class _PageFonts(FontMap):
    """svglib's fonts for an SVG's text, which it would otherwise look for among the machine's (fc-match) and
    register: every piece of a logo's text is laid out and drawn in the page's own font."""

    def __init__(self, font: str) -> None:
        super().__init__()
        self.font = font

    def find_font(self, font_name: str, weight: str = "normal", style: str = "normal") -> tuple[str, bool]:
        return self.font, True


def _strings(node: object) -> Iterator[String]:
    if isinstance(node, String):
        yield node
    for child in getattr(node, "contents", None) or []:
        yield from _strings(child)


def _check_text_needs_no_shaping(texts: tuple[str, ...], relative: str) -> None:
    """A logo's text is drawn a character at a time: a script whose letters join, or that is written right to
    left, would come out wrong."""
    complex_ = sorted({char for text in texts for char in text if unicodedata.bidirectional(char) in ("R", "AL")
                       or unicodedata.category(char) in ("Mn", "Mc")})  # fmt: skip
    if complex_:
        shown = " ".join(complex_[:8])
        raise LogoProblem(f"logo {relative} has text that must be shaped or written right to left ({shown}): "
                          "export it again with its text converted to outlines (paths)")  # fmt: skip


def _check_drawable(drawing: Drawing, relative: str) -> None:
    """Draw the logo once, into nothing, when the clinic is loaded: a number too large for a PDF (a stroke
    1e308 wide) is then the clinic's problem, not an error in the middle of a batch."""
    try:
        renderPDF.draw(drawing, Canvas(io.BytesIO()), 0, 0)
    except Exception as exc:  # ReportLab's number formatting and renderers raise several kinds
        what = "a number too large for a PDF" if "number too large" in str(exc) else "a size or coordinate out of range"
        raise LogoProblem(f"logo {relative} cannot be drawn ({what}): export it again with ordinary sizes") from None


def _points(side: float) -> str:
    return f"{side:g}" if math.isfinite(side) else str(side)


def _check_shape(relative: str, width: float, height: float, unit: str) -> None:
    if max(width / height, height / width) > MAX_LOGO_RATIO:
        raise LogoProblem(f"logo {relative} is {width:g} x {height:g} {unit}: one side is more than {MAX_LOGO_RATIO} "
                          "times the other, so it would print as a hairline; crop it to the logo")  # fmt: skip


def _all_finite(drawing: Drawing) -> bool:
    """Whether every number in the drawing is finite: NaN or infinity would be written into the PDF as is."""
    pending: list[object] = [drawing]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif type(item).__module__.startswith("reportlab.") and hasattr(item, "__dict__") and id(item) not in seen:
            seen.add(id(item))  # shapes, groups, paths, colours
            pending.extend(vars(item).values())
    return True
