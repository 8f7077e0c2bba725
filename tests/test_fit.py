"""The one-page fit picks the largest body size that fits, between the layout's limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from handout import fit as fitting
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


@pytest.mark.parametrize(("language", "layout"), [("en", "standard"), ("hi", "large-print")])
def test_a_hint_gives_the_same_size_and_a_good_one_saves_trials(
    language: str, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch passes the size a like page got; whatever the hint, the answer is the plain search's."""
    page = Page(
        resolve(Project.at(REPO / "content.yaml"), "muscle-calcification", language, "okafor-community", layout)
    )
    scale = page.layout.type
    sizes = candidate_sizes(scale.body_max, scale.body_min, scale.step)
    chosen = fit(page).body_size
    trials: list[float] = []
    monkeypatch.setattr(
        fitting, "render", lambda page, size, trial: trials.append(size) or render(page, size, trial=trial)
    )
    for hint in [*sizes, 99.0, None]:
        assert fit(page, hint).body_size == chosen, hint
    trials.clear()
    fit(page, chosen)
    assert len(trials) <= 2, trials


def test_overflow_at_the_minimum_is_an_error(project: Path) -> None:
    layout = project.parent / "layouts" / "standard.yaml"
    layout.write_text(
        layout.read_text().replace("body_max: 14", "body_max: 30").replace("body_min: 12", "body_min: 30")
    )
    page = Page(resolve(Project.at(project), "muscle-calcification", "en", "riverside-family", "standard"))
    for hint in (None, 30.0):
        with pytest.raises(DoesNotFitError, match=r"about \d+ mm \(~\d+ lines\) too long"):
            fit(page, hint)
