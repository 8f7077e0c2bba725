"""The staff catalog: ``out/index.html``, one static page with a thumbnail and a link per handout.

It opens from a file share with no server and no network: no external scripts, styles or
fonts; thumbnails are JPEG files beside it; links are relative. A filter box narrows the
list by any word (topic, language, clinic, layout).
"""

from __future__ import annotations

import html
import io
import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import pypdfium2 as pdfium
from PIL import Image

from handout.inline import plain
from handout.locales import labels_for
from handout.output import write_atomic
from handout.render import BodyBand
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


def thumbnail_jpeg(pdf: bytes, body: BodyBand | None = None) -> bytes:
    """The thumbnail's file. Not flushed to disk when written (0.4 ms each): one that a power cut
    left empty counts as missing, and its handout is made again."""
    buffer = io.BytesIO()
    # JPEG: a tenth of PNG's encoding time and smaller; at this size the picture looks the same.
    thumbnail(pdf, body).save(buffer, format="JPEG", quality=90, subsampling=0)  # 4:4:4 keeps coloured text crisp
    return buffer.getvalue()


def thumbnail(pdf: bytes, body: BodyBand | None = None) -> Image.Image:
    """The picture of a one-page PDF, THUMBNAIL_WIDTH pixels wide.

    With ``body``, the body's band comes from the last page that drew the same body: pdfium then
    draws only the header and footer, which skips most of the page's text.
    """
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        image = _picture(page, body)
        page.close()
    finally:
        document.close()  # pdfium's memory is its own: free it now, not when Python collects
    return image


def _picture(page: pdfium.PdfPage, body: BodyBand | None) -> Image.Image:
    scale = THUMBNAIL_WIDTH / page.get_width()
    height = math.ceil(page.get_height() * scale)
    if body is None:
        whole: Image.Image = page.render(scale=scale).to_pil()
        return whole
    # Whole rows of pixels inside the band: no stroke of the header or footer reaches them.
    band_top = math.ceil((page.get_height() - body.top) * scale)
    band_bottom = math.floor((page.get_height() - body.bottom) * scale)
    key = (body.drawing, scale, band_top, band_bottom)
    band = _bands.get(key)
    if band is None:
        image: Image.Image = page.render(scale=scale).to_pil()
        _keep(key, image.crop((0, band_top, image.width, band_bottom)))
        return image
    _bands.move_to_end(key)
    # pypdfium2 rounds a crop up to whole pixels: half a pixel less lands on the row wanted.
    header = page.render(scale=scale, crop=(0, (height - band_top - 0.5) / scale, 0, 0)).to_pil()
    footer = page.render(scale=scale, crop=(0, 0, 0, (band_bottom - 0.5) / scale)).to_pil()
    composed = Image.new(header.mode, (header.width, height))
    composed.paste(header, (0, 0))
    composed.paste(band, (0, band_top))
    composed.paste(footer, (0, band_bottom))
    return composed


BANDS_KEPT = 32  # about 100 kB each
_bands: OrderedDict[tuple[int, float, int, int], Image.Image] = OrderedDict()


def _keep(key: tuple[int, float, int, int], band: Image.Image) -> None:
    _bands[key] = band
    if len(_bands) > BANDS_KEPT:
        _bands.popitem(last=False)


def _href(relative: str) -> str:
    return "/".join(quote(part) for part in relative.split("/"))


def staff_titles(topics: Iterable[Topic]) -> dict[str, str]:
    """Each topic's title as staff read it: in the page's language, or else in the topic's source language."""
    titles = {}
    for topic in topics:
        document = topic.documents.get(STAFF_LANGUAGE) or topic.documents.get(topic.source_language)
        if document is not None:
            titles[topic.id] = plain(document.title, {})
    return titles


def _item(entry: Entry, staff_title: str) -> str:
    """A handout's card: its title and language as the patient reads them, and, where they differ, the
    topic's title and the language's name as staff read them (those who do not read Arabic still find
    the Arabic handout, by its language or by its topic)."""
    e = html.escape
    language_name = labels_for(STAFF_LANGUAGE).language_name(entry.language)
    search = " ".join([entry.title, staff_title, entry.topic, entry.language, entry.language_name, language_name,
                       entry.clinic, entry.clinic_name, entry.layout]).lower()  # fmt: skip
    also_titled = f'<span class="staff" lang="{STAFF_LANGUAGE}">{e(staff_title)}</span>' if (
        staff_title and staff_title != entry.title) else ""  # fmt: skip
    return (
        f'<li data-search="{e(search)}">'
        f'<a href="{_href(entry.path)}" target="_blank" rel="noopener">'
        f'<img src="{_href(thumbnail_path(entry.path))}" alt="" loading="lazy" width="{THUMBNAIL_WIDTH}">'
        f'<span class="title" lang="{e(entry.language)}" dir="auto">{e(entry.title)}</span>{also_titled}'
        f'<span class="meta"><span lang="{e(entry.language)}" dir="auto">{e(entry.language_name)}</span>'
        f"{f' ({e(language_name)})' if language_name != entry.language_name else ''}"
        f" · {e(entry.clinic_name)} · {e(entry.layout)}</span></a></li>"
    )


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Patient handouts</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }}
h1 {{ font-size: 1.6rem; margin: 0 0 .5rem; }}
input {{ font-size: 1.2rem; padding: .4rem .6rem; width: min(40rem, 100%); margin-bottom: 1rem; }}
ul {{ list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
     gap: 1rem; }}
li a {{ display: flex; flex-direction: column; gap: .3rem; text-decoration: none; color: inherit;
       border: 1px solid #ccc; border-radius: 6px; padding: .6rem; }}
li a:hover, li a:focus {{ border-color: #0b6e4f; outline: 2px solid #0b6e4f; }}
img {{ width: 100%; height: auto; border: 1px solid #eee; }}
.title {{ font-weight: bold; }}
.staff {{ font-size: .9rem; }}
.meta {{ font-size: .9rem; color: #444; }}
#count {{ color: #444; }}
</style>
</head>
<body>
<h1>Patient handouts</h1>
<label for="filter">Find a handout (topic, language, clinic):</label><br>
<input id="filter" type="search" autocomplete="off" placeholder="e.g. Spanish, Riverside, large-print">
<p id="count">{count} handouts</p>
<ul id="handouts">
{items}
</ul>
<script>
const input = document.getElementById("filter");
const items = Array.from(document.querySelectorAll("#handouts li"));
const count = document.getElementById("count");
function narrow() {{
  const words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
  let shown = 0;
  for (const item of items) {{
    const match = words.every(word => item.dataset.search.includes(word));
    item.hidden = !match;
    if (match) shown += 1;
  }}
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


def write_catalog(out: Path, entries: Sequence[Entry], titles: Mapping[str, str]) -> Path:
    """The page listing ``entries``; ``titles`` are the topics' titles as staff read them (staff_titles)."""
    ordered = sorted(entries, key=lambda e: (e.topic, e.language, e.clinic, e.layout))
    target = out / "index.html"
    write_atomic(target, _page(ordered, titles))
    return target


def _page(entries: Sequence[Entry], titles: Mapping[str, str]) -> Iterator[bytes]:
    """The page, an item at a time: a health system's lists every handout."""
    head, tail = PAGE.split("{items}")
    yield head.format(count=len(entries)).encode("utf-8")
    for index, entry in enumerate(entries):
        yield (("\n" if index else "") + _item(entry, titles.get(entry.topic, ""))).encode("utf-8")
    yield tail.format().encode("utf-8")
