"""Choose the largest body size at which the handout fits on exactly one page."""

from __future__ import annotations

from dataclasses import dataclass

from handout.errors import DoesNotFitError
from handout.page import Page
from handout.render import render


@dataclass(frozen=True)
class Fit:
    body_size: float


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
    scale = page.layout.type
    sizes = candidate_sizes(scale.body_max, scale.body_min, scale.step)
    low, high = 0, len(sizes) - 1  # once checked, sizes[high] is known to fit
    known = False
    if hint in sizes:
        at = sizes.index(hint)
        if _fits(page, hint):
            if at == 0 or not _fits(page, sizes[at - 1]):
                return Fit(hint)
            low, high, known = 0, at - 1, True
        else:
            low = at + 1
    if not known:
        smallest = render(page, sizes[-1], trial=True)
        if smallest.pages > 1:
            raise _does_not_fit(page, smallest.overflow)
    while low < high:
        middle = (low + high) // 2
        if _fits(page, sizes[middle]):
            high = middle
        else:
            low = middle + 1
    return Fit(sizes[high])


def _fits(page: Page, size: float) -> bool:
    return render(page, size, trial=True).pages == 1


def _does_not_fit(page: Page, overflow: float) -> DoesNotFitError:
    handout = page.handout
    lines = max(1, round(overflow / (page.layout.type.body_min * page.layout.type.leading)))
    return DoesNotFitError(
        f"topic '{handout.topic.id}' in '{handout.language}' does not fit on one page with layout "
        f"'{handout.layout.name}' ({page.clinic.page_size}) even at the smallest body size "
        f"{page.layout.type.body_min:g} pt: it is about {overflow / 72 * 25.4:.0f} mm (~{lines} lines) too long. "
        f"Shorten the text of this language: {handout.content_file}:{handout.document_line}"
    )
