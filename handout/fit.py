"""Choose the largest body size at which the handout fits on exactly one page."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

from handout.cache import cached_file, digest, keep, read_kept
from handout.errors import DoesNotFitError
from handout.page import Page
from handout.render import render


@dataclass(frozen=True)
class Fit:
    body_size: float


def fit_key(page: Page) -> tuple[object, ...]:
    """What the chosen size depends on: the document, layout, paper, footer height and the placeholder values
    printed, not the rest of the clinic. Its first four parts name the same document on the same paper."""
    handout = page.handout
    return (handout.topic.id, handout.language, handout.layout.name, page.clinic.page_size,
            round(page.footer_height, 2), handout.used_values())  # fmt: skip


KEPT_FITS_FORMAT = 2  # raise when what a kept fit means changes


def remembered_size(page: Page, sources: str) -> float | None:
    """The body size a fit found for a like page in an earlier run, from the cache folder (:mod:`handout.cache`).

    ``sources`` names the versions of all else the size depends on besides :func:`fit_key`: the
    document's text, the layout file and the tool (its code, fonts and ReportLab). A batch that
    rebuilds one clinic's handouts, or all of them with ``--force``, then fits none again.
    """
    kept = _kept_fit(page)
    data = read_kept(kept) if kept is not None else None
    fitted_for, _, size_text = (data or b"").partition(b" ")
    if fitted_for != digest(sources).encode():
        return None
    try:
        size = float(size_text)
    except ValueError:
        return None
    scale = page.layout.type
    return size if size in candidate_sizes(scale.body_max, scale.body_min, scale.step) else None


def remember_size(page: Page, sources: str, size: float) -> None:
    """Keep ``size`` for later runs; it replaces the size kept for this page from other sources (an
    earlier version of the text, the layout or the tool), so the cache does not grow with them."""
    kept = _kept_fit(page)
    if kept is not None:
        keep(kept, f"{digest(sources)} {size!r}".encode())


def _kept_fit(page: Page) -> Path | None:
    return cached_file("fits", digest(f"{KEPT_FITS_FORMAT}|{fit_key(page)!r}"))


def candidate_sizes(largest: float, smallest: float, step: float) -> list[float]:
    """Sizes from ``largest`` down to ``smallest`` in ``step`` points; ``smallest`` always included."""
    sizes = []
    size = largest
    while size > smallest + 1e-9:
        sizes.append(round(size, 2))
        size -= step
    return [*sizes, smallest]


def fit(page: Page, hint: float | None = None) -> Fit:
    """Binary search over the candidate sizes with trial layouts; raise if even the smallest overflows.

    ``hint`` is the size a like page got (the same document on a page whose footer is a little
    taller or shorter): it is tried first, with the next size up, and is most often the answer.
    """
    check_header(page)
    scale = page.layout.type
    sizes = candidate_sizes(scale.body_max, scale.body_min, scale.step)
    # The answer's index is in [low, high]; high == len(sizes) stands for "none fits".
    low, high = 0, len(sizes)
    if hint in sizes:
        at = sizes.index(hint)
        if _fits(page, hint):
            if at == 0 or not _fits(page, sizes[at - 1]):
                return Fit(hint)
            high = at - 1
        else:
            low = at + 1
    while low < high:
        middle = (low + high) // 2
        if _fits(page, sizes[middle]):
            high = middle
        else:
            low = middle + 1
    if high == len(sizes):
        raise _does_not_fit(page)
    return Fit(sizes[high])


def _fits(page: Page, size: float) -> bool:
    return render(page, size, trial=True).pages == 1


def height_needed(page: Page, size: float) -> float:
    """How much taller each column must be for the handout to fit at ``size``, to a point; negative when it
    fits with room to spare (the columns could be that much shorter)."""
    fitting = _fits(page, size)
    step = -8.0 if fitting else 8.0  # in points: look for the other side, doubling the distance
    known = 0.0
    while _fits(_taller(page, known + step), size) == fitting and abs(step) < page.height:
        known, step = known + step, step * 2
    short, enough = sorted((known, known + step))
    while enough - short > 1:  # short does not fit, enough does
        middle = (short + enough) / 2
        short, enough = (short, middle) if _fits(_taller(page, middle), size) else (middle, enough)
    return enough


def _taller(page: Page, extra: float) -> Page:
    """The page with its footer moved down by ``extra`` points: its columns are that much taller."""
    taller = copy.copy(page)
    taller.bottom -= extra
    return taller


def _does_not_fit(page: Page) -> DoesNotFitError:
    handout, scale = page.handout, page.layout.type
    short = height_needed(page, scale.body_min)
    # The columns are filled one after the other: a line cut anywhere gives every column one line's height.
    lines = max(1, math.ceil(short * page.layout.columns / (scale.body_min * scale.leading) - 0.05))
    clinic = handout.clinic
    return DoesNotFitError(
        f"topic '{handout.topic.id}' in '{handout.language}' does not fit on one page with layout "
        f"'{handout.layout.name}' ({page.clinic.page_size}) even at the smallest body size "
        f"{scale.body_min:g} pt: it is about {lines} line{'s' if lines > 1 else ''} too long (each column "
        f"needs {short / 72 * 25.4:.0f} mm more). Shorten the text of this language: "
        f"{handout.content_file}:{handout.document_line}; or, if it fits for other clinics, this clinic's "
        f"name, address or website, which its page's footer prints: {clinic.source.path}:"
        f"{clinic.source.locate(('name',)).line}"
    )


def check_header(page: Page) -> None:
    """Raise if the clinic's name or phone number would overflow the header. The body size found for one
    clinic serves others (see fit_key), so whoever reuses it asks this of each clinic's page."""
    if page.header_fits:
        return
    layout, clinic = page.handout.layout, page.handout.clinic
    name_line = clinic.source.locate(("name",)).line
    raise DoesNotFitError(
        f"the clinic's name or phone number does not fit in the header of layout '{layout.name}' "
        f"(header_height {page.layout.header_height:g} pt), so it would be cut off: shorten the clinic's name "
        f"or health system ({clinic.source.path}:{name_line}), or raise header_height in "
        f"{layout.source.path}:{layout.source.locate(('header_height',)).line}"
    )
