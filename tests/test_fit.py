"""The one-page fit picks the largest body size that fits, between the layout's limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from handout.errors import DoesNotFitError
from handout.fit import candidate_sizes, fit
from handout.page import Page
from handout.render import render
from handout.resolve import Project, resolve


def test_candidate_sizes() -> None:
    assert candidate_sizes(14, 12, 0.5) == [14, 13.5, 13, 12.5, 12]
    assert candidate_sizes(13, 12, 0.75) == [13, 12.25, 12]
    assert candidate_sizes(12, 12, 0.5) == [12]


@pytest.mark.parametrize(
    ("language", "clinic", "layout"),
    [
        ("en", "riverside-family", "standard"),
        ("es", "costa-azul", "large-print"),
        ("zh-Hans", "riverside-family", "standard"),
        ("ar", "okafor-community", "large-print"),
    ],
)
def test_chosen_size_is_the_largest_that_fits(language: str, clinic: str, layout: str) -> None:
    page = Page(resolve(Project.at(REPO / "content.yaml"), "muscle-calcification", language, clinic, layout))
    chosen = fit(page).body_size
    scale = page.layout.type
    assert scale.body_min <= chosen <= scale.body_max
    assert render(page, chosen).pages == 1
    if chosen < scale.body_max:  # trials only place the flowables: a drawn page must agree with them
        assert render(page, chosen + scale.step).pages > 1


def test_overflow_at_the_minimum_is_an_error(project: Path) -> None:
    layout = project.parent / "layouts" / "standard.yaml"
    layout.write_text(
        layout.read_text().replace("body_max: 14", "body_max: 30").replace("body_min: 12", "body_min: 30")
    )
    page = Page(resolve(Project.at(project), "muscle-calcification", "en", "riverside-family", "standard"))
    with pytest.raises(DoesNotFitError, match=r"about \d+ mm \(~\d+ lines\) too long"):
        fit(page)
