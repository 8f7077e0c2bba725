"""The staff catalog: ``out/index.html`` and a page in each clinic's folder, static pages with a thumbnail
and a link per handout.

It opens from a file share with no server and no network: no external scripts, styles or
fonts; thumbnails are JPEG files beside it; links are relative. Handouts are grouped by topic
and, within a topic, by language. A filter box narrows the list by any word (topic, code,
language, clinic, layout).
"""

from __future__ import annotations

import contextlib
import html
import io
import itertools
import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import pypdfium2 as pdfium
from PIL import Image

from handout.cache import cached_file, digest, keep, read_kept
from handout.inline import plain
from handout.locales import labels_for
from handout.output import write_atomic
from handout.render import BodyBand, DrawingName, without_body
from handout.schema import Topic

THUMBNAILS = ".thumbs"
THUMBNAIL_WIDTH = 180
STAFF_LANGUAGE = "en"  # the language the page itself is written in


class Entry(Protocol):
    clinic: str
    language: str
    topic: str
    layout: str
    path: str
    title: str
    clinic_name: str
    language_name: str


def thumbnail_path(relative_pdf: str) -> str:
    return f"{THUMBNAILS}/{relative_pdf.removesuffix('.pdf')}.jpg"


def thumbnail_jpeg(pdf: bytes, body: BodyBand | None = None, kept: DrawingName | None = None) -> bytes:
    """The thumbnail's file. Not flushed to disk when written (0.4 ms each): one that a power cut
    left empty counts as missing, and its handout is made again."""
    buffer = io.BytesIO()
    # JPEG: a tenth of PNG's encoding time and smaller; at this size the picture looks the same.
    picture = thumbnail(pdf, body, kept)
    picture.save(buffer, format="JPEG", quality=90, subsampling=0)  # 4:4:4 keeps coloured text crisp
    return buffer.getvalue()


def thumbnail(pdf: bytes, body: BodyBand | None = None, kept: DrawingName | None = None) -> Image.Image:
    """The picture of a one-page PDF, THUMBNAIL_WIDTH pixels wide.

    With ``body``, the body's band comes from the last page that drew the same body: pdfium then
    reads and draws only the header and footer (:func:`without_body`), which skips most of the
    page's text, and the kept band is laid over the body's rows, blank there. With ``kept``, the drawing's
    name, the band outlives the run: the first such page of a later run takes it from the cache folder.
    """
    band = _band(body, kept) if body is not None else None
    image, scale, height = _drawn(without_body(pdf) if band is not None else pdf)
    if body is None:
        return image
    # Whole rows of pixels inside the band, which no stroke of the header or footer reaches. A drawing
    # is of one page size and one set of frames, so they are the same on every page that draws it.
    top, bottom = math.ceil((height - body.top) * scale), math.floor((height - body.bottom) * scale)
    if band is not None and band.size == (image.width, bottom - top):
        image.paste(band, (0, top))
        return image
    if band is not None:  # a kept band of another size, from a damaged file: the whole page is drawn
        image, scale, height = _drawn(pdf)
    _keep_band(body, image.crop((0, top, image.width, bottom)), kept)
    return image


def _drawn(pdf: bytes) -> tuple[Image.Image, float, float]:
    """The page drawn by pdfium, THUMBNAIL_WIDTH pixels wide; the scale, and the page's height in points."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        scale, height = THUMBNAIL_WIDTH / page.get_width(), page.get_height()
        image: Image.Image = page.render(scale=scale).to_pil()
        page.close()
    finally:
        document.close()  # pdfium's memory is its own: free it now, not when Python collects
    return image, scale, height


BANDS_KEPT = 32  # about 100 kB each
_bands: OrderedDict[int, Image.Image] = OrderedDict()  # by the drawing of the body


def _band(body: BodyBand, kept: DrawingName | None) -> Image.Image | None:
    band = _bands.get(body.drawing)
    if band is None and kept is not None:
        band = _remembered_band(kept)
        if band is not None:
            _keep_band(body, band)
    if band is not None:
        _bands.move_to_end(body.drawing)
    return band


def _keep_band(body: BodyBand, band: Image.Image, kept: DrawingName | None = None) -> None:
    _bands[body.drawing] = band
    if len(_bands) > BANDS_KEPT:
        _bands.popitem(last=False)
    if kept is not None:
        _remember_band(kept, band)


KEPT_BANDS_FORMAT = 1  # raise when what a kept band holds, or means, changes


def _kept_band_path(kept: DrawingName) -> Path | None:
    return cached_file("bands", digest(f"{KEPT_BANDS_FORMAT}|{THUMBNAIL_WIDTH}|{kept.key}"))


def _remembered_band(kept: DrawingName) -> Image.Image | None:
    """The band kept for the drawing, if it was drawn from the same versions: a PNG file after their digest."""
    path = _kept_band_path(kept)
    data = read_kept(path) if path is not None else None
    drawn_from, _, picture = (data or b"").partition(b"\n")
    if not picture or drawn_from != digest(kept.sources).encode():
        return None
    try:
        with Image.open(io.BytesIO(picture), formats=["PNG"]) as image:
            band = image.convert("RGB") if image.mode != "RGB" else image.copy()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return band


def _remember_band(kept: DrawingName, band: Image.Image) -> None:
    path = _kept_band_path(kept)
    if path is not None:
        buffer = io.BytesIO()
        band.save(buffer, format="PNG", compress_level=1)  # lossless: the same pixels as drawn
        keep(path, digest(kept.sources).encode() + b"\n" + buffer.getvalue())


def _href(relative: str) -> str:
    return "/".join(_quoted(part) for part in relative.split("/"))


@lru_cache(maxsize=4096)
def _quoted(part: str) -> str:
    """A part of a link: clinic ids, language codes and file names repeat across a health system's page."""
    return quote(part)


@dataclass(frozen=True)
class StaffTopic:
    """A topic as staff look for it: its title in the page's language (or else in the topic's source
    language, ``language``) and its codes (``ICD-10-CM M61.9``)."""

    title: str
    language: str
    codes: tuple[str, ...]


def staff_topics(topics: Iterable[Topic], listed: Iterable[Entry] = ()) -> dict[str, StaffTopic]:
    """Each topic as staff know it, by its id. A topic a batch left out for its problems, whose earlier
    handouts are still ``listed``, goes by the title they print (in the staff's language if one does)."""
    found = {}
    for topic in topics:
        language = STAFF_LANGUAGE if STAFF_LANGUAGE in topic.documents else topic.source_language
        codes = tuple(f"{code.system} {code.code}" for code in topic.codes)
        found[topic.id] = StaffTopic(plain(topic.documents[language].title, {}), language, codes)
    for entry in sorted(listed, key=lambda entry: entry.language != STAFF_LANGUAGE):
        found.setdefault(entry.topic, StaffTopic(entry.title, entry.language, ()))
    return found


# A card's HTML in three parts, joined by the path from its page's folder to the output folder: each card
# is on two pages, the clinic's and the whole health system's, and is made once for both.
_Card = tuple[str, str, str]


def _card(entry: Entry, topic: StaffTopic) -> _Card:
    """A handout's card: its title as the patient reads it, its clinic and layout. Its topic and language
    head its group; the filter finds it by them as the patient and as staff read them (those who do not
    read Arabic still find the Arabic handout, by its language, its topic or the topic's code)."""
    e = html.escape
    search = " ".join([entry.title, topic.title, *topic.codes, entry.topic, entry.language, entry.language_name,
                       _staff_language_name(entry.language), entry.clinic, entry.clinic_name,
                       entry.layout]).lower()  # fmt: skip
    return (
        f'<li data-search="{e(search)}"><a href="',
        f'{_href(entry.path)}" target="_blank" rel="noopener"><img src="',
        f'{_href(thumbnail_path(entry.path))}" alt="" loading="lazy" width="{THUMBNAIL_WIDTH}">'
        f'<span class="title" lang="{e(entry.language)}" dir="auto">{e(entry.title)}</span>'
        f'<span class="meta">{e(entry.clinic_name)} · {e(entry.layout)}</span></a></li>',
    )


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{generator}
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }}
h1 {{ font-size: 1.6rem; margin: 0 0 .5rem; }}
h2 {{ font-size: 1.4rem; margin: 1.5rem 0 .5rem; padding-bottom: .2rem; border-bottom: 2px solid #0b6e4f; }}
h3 {{ font-size: 1.15rem; margin: 1rem 0 .5rem; }}
.codes {{ font-size: 1rem; font-weight: normal; color: #444; }}
section.language {{ content-visibility: auto; contain-intrinsic-size: auto 600px; }}  /* thousands of cards */
input {{ font-size: 1.2rem; padding: .4rem .6rem; width: min(40rem, 100%); margin-bottom: 1rem; }}
#handouts ul {{ list-style: none; padding: 0; display: grid; gap: 1rem;
               grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); }}
#handouts li a {{ display: flex; flex-direction: column; gap: .3rem; text-decoration: none; color: inherit;
                 border: 1px solid #ccc; border-radius: 6px; padding: .6rem; }}
#handouts li a:hover, #handouts li a:focus {{ border-color: #0b6e4f; outline: 2px solid #0b6e4f; }}
img {{ width: 100%; height: auto; border: 1px solid #eee; }}
.title {{ font-weight: bold; }}
.meta {{ font-size: .9rem; color: #444; }}
nav {{ margin-bottom: 1rem; }}
nav ul {{ columns: 16rem; }}
#count {{ color: #444; }}
</style>
</head>
<body>
<h1>{title}</h1>
{navigation}
<label for="filter">Find a handout (topic, code, language, clinic):</label><br>
<input id="filter" type="search" autocomplete="off" placeholder="e.g. Spanish, Riverside, M61.9, large-print">
<p id="count">{count} handouts</p>
<div id="handouts">
{groups}
</div>
<script>
const input = document.getElementById("filter");
const items = Array.from(document.querySelectorAll("#handouts li"));
const groups = Array.from(document.querySelectorAll("#handouts section"));
const count = document.getElementById("count");
function narrow() {{
  const words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
  let shown = 0;
  for (const item of items) {{
    const match = words.every(word => item.dataset.search.includes(word));
    item.hidden = !match;
    if (match) shown += 1;
  }}
  for (const group of groups) group.hidden = !group.querySelector("li:not([hidden])");
  count.textContent = shown + " of " + items.length + " handouts";
}}
// The filter is kept in the page's address: a bookmark of index.html#riverside opens it filtered.
function fromAddress() {{
  let text = location.hash.slice(1);
  try {{ text = decodeURIComponent(text); }} catch (error) {{}}  // a typed "%" that escapes nothing
  input.value = text;
  narrow();
}}
input.addEventListener("input", () => {{
  narrow();
  history.replaceState(null, "", "#" + encodeURIComponent(input.value));
}});
window.addEventListener("hashchange", fromAddress);
if (location.hash.length > 1) fromAddress();
</script>
</body>
</html>
"""


TITLE = "Patient handouts"
CLINIC_PAGE = "index.html"  # in each clinic's folder: the page a front desk bookmarks
GENERATOR = '<meta name="generator" content="handout">'


def write_catalog(out: Path, entries: Sequence[Entry], topics: Mapping[str, StaffTopic]) -> Path:
    """``index.html``, listing ``entries`` by topic and language, and in each clinic's folder a page of
    its own handouts, which opens at once however many clinics the health system has; ``topics`` are
    the topics as staff know them (staff_topics).

    A clinic's page is not flushed to disk: every run writes them all again.
    """
    by_clinic: dict[str, list[Entry]] = {}
    cards: dict[int, _Card] = {}  # by the entry's id: entries live as long as this call
    for entry in entries:
        by_clinic.setdefault(entry.clinic, []).append(entry)
        cards[id(entry)] = _card(entry, topics[entry.topic])
    back = f'<nav><a href="../{CLINIC_PAGE}">Every clinic\'s handouts</a></nav>'
    names = {}
    for clinic, handouts in by_clinic.items():
        names[clinic] = handouts[0].clinic_name
        title = f"{TITLE}: {handouts[0].clinic_name}"
        write_atomic(out / clinic / CLINIC_PAGE, _page(handouts, topics, cards, title, back, "../"), durable=False)
    for folder in out.iterdir():
        if folder.name not in by_clinic and folder.is_dir():
            _remove_clinic_page(folder / CLINIC_PAGE)
    target = out / "index.html"
    write_atomic(target, _page(entries, topics, cards, TITLE, _clinic_links(names), ""))
    return target


def _remove_clinic_page(page: Path) -> None:
    """The page of a clinic none of whose handouts is listed any more (a retired topic), if this tool wrote
    it: the output folder may hold folders of other tools, with pages of their own."""
    try:
        with page.open("rb") as file:
            ours = GENERATOR.encode() in file.read(1024)
    except OSError:
        return
    if ours:
        with contextlib.suppress(OSError):  # its links lead nowhere now; the staff page does not link to it
            page.unlink(missing_ok=True)


def _clinic_links(names: Mapping[str, str]) -> str:
    """The clinics' own pages, by name: folded away, as a health system may have thousands."""
    if not names:
        return ""
    e = html.escape
    by_name = sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
    links = "\n".join(
        f'<li><a href="{_href(f"{clinic}/{CLINIC_PAGE}")}">{e(name)}</a></li>' for clinic, name in by_name
    )
    clinics = f"{len(names)} clinic{'s' if len(names) > 1 else ''}"
    return (f"<nav><details><summary>One clinic's handouts, on a page of its own ({clinics})</summary>"
            f"\n<ul>\n{links}\n</ul></details></nav>")  # fmt: skip


def _page(entries: Sequence[Entry], topics: Mapping[str, StaffTopic], cards: Mapping[int, _Card], title: str,
          navigation: str, root: str) -> Iterator[bytes]:  # fmt: skip
    """A page, an item at a time: a health system's lists every handout. Topics come in the order of
    their titles, and within a topic the languages in the order of their names, as staff read them.
    ``root`` leads from the page's folder to the output folder, which the handouts' paths start from."""

    def order(entry: Entry) -> tuple[str, ...]:
        return (topics[entry.topic].title.casefold(), entry.topic, _staff_language_name(entry.language).casefold(),
                entry.language, entry.clinic, entry.layout)  # fmt: skip

    head, tail = PAGE.split("{groups}")
    fields = {"generator": GENERATOR, "title": html.escape(title), "navigation": navigation, "count": len(entries)}
    yield head.format(**fields).encode("utf-8")
    for _, in_topic in itertools.groupby(sorted(entries, key=order), key=lambda entry: entry.topic):
        handouts = list(in_topic)
        topic = topics[handouts[0].topic]
        yield f'<section class="topic">\n{_topic_heading(topic)}\n'.encode()
        for _, in_language in itertools.groupby(handouts, key=lambda entry: entry.language):
            group = list(in_language)
            yield f'<section class="language">\n{_language_heading(group[0])}\n<ul>\n'.encode()
            yield "\n".join(root.join(cards[id(entry)]) for entry in group).encode("utf-8")
            yield b"\n</ul>\n</section>\n"
        yield b"</section>\n"
    yield tail.format().encode("utf-8")


def _topic_heading(topic: StaffTopic) -> str:
    e = html.escape
    codes = f'<span class="codes" lang="{STAFF_LANGUAGE}">{e(", ".join(topic.codes))}</span>'
    return f'<h2><span lang="{e(topic.language)}" dir="auto">{e(topic.title)}</span> {codes}</h2>'


def _language_heading(entry: Entry) -> str:
    """The language's name as staff read it, by which the groups are in order, and, where it differs, its
    own name, to show the patient: ``Arabic · العربية``."""
    e, staff_name = html.escape, _staff_language_name(entry.language)
    own = entry.language_name
    also = f' · <span lang="{e(entry.language)}" dir="auto">{e(own)}</span>' if own != staff_name else ""
    return f'<h3 data-language="{e(entry.language)}">{e(staff_name)}{also}</h3>'


@cache
def _staff_language_name(language: str) -> str:
    return labels_for(STAFF_LANGUAGE).language_name(language)
