"""The one-page fit picks the largest body size that fits, between the layout's limits."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
from conftest import REPO

from handout import fit as fitting
from handout.cache import CACHE_FOLDER_VARIABLE
from handout.errors import DoesNotFitError
from handout.fit import candidate_sizes, fit, height_needed, remember_size, remembered_size
from handout.page import Page
from handout.render import render
from handout.resolve import Project, load_content, resolve


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


def test_the_search_finds_every_largest_size_in_few_trials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against a page that fits from each size down (or at none): the largest fitting size, whatever the hint,
    and no more trials than a bisection of the sizes and "none fits" needs, without a hint."""
    page = Page(resolve(Project.at(REPO / "content.yaml"), "muscle-calcification", "en", "riverside-family",
                        "standard"))  # fmt: skip
    scale = page.layout.type
    sizes = candidate_sizes(scale.body_max, scale.body_min, scale.step)
    bisection = math.ceil(math.log2(len(sizes) + 1))
    trials: list[float] = []
    largest: list[float | None] = [None]

    def fits(page: Page, size: float) -> bool:
        trials.append(size)
        return largest[0] is not None and size <= largest[0]

    monkeypatch.setattr(fitting, "_fits", fits)
    monkeypatch.setattr(fitting, "_does_not_fit", lambda page: DoesNotFitError("none fits"))
    for answer in [*sizes, None]:
        largest[0] = answer
        for hint in [None, *sizes]:
            trials.clear()
            if answer is None:
                with pytest.raises(DoesNotFitError):
                    fit(page, hint)
            else:
                assert fit(page, hint).body_size == answer, (answer, hint)
            assert len(trials) <= (bisection if hint is None else bisection + 1), (answer, hint, trials)
            if hint == answer:
                assert len(trials) <= 2


def test_overflow_at_the_minimum_is_an_error(project: Path) -> None:
    layout = project.parent / "layouts" / "standard.yaml"
    layout.write_text(
        layout.read_text().replace("body_max: 14", "body_max: 30").replace("body_min: 12", "body_min: 30")
    )
    page = Page(resolve(Project.at(project), "muscle-calcification", "en", "riverside-family", "standard"))
    for hint in (None, 30.0):
        with pytest.raises(DoesNotFitError, match=r"about \d+ lines too long \(each column needs \d+ mm more\)"):
            fit(page, hint)


@pytest.mark.parametrize("clinic", ["riverside-family", "costa-azul", "okafor-community"])
def test_the_shortfall_is_what_the_columns_lack(project: Path, clinic: str) -> None:
    """A coordinator shortens the text by what the message says: the measure must be the page's, not a guess."""
    layout = project.parent / "layouts" / "standard.yaml"
    layout.write_text(  # at 13 pt only English fits: the test does not depend on how long the text is
        layout.read_text().replace("body_max: 14", "body_max: 13").replace("body_min: 12", "body_min: 13")
    )
    page = Page(resolve(Project.at(project), "muscle-calcification", "es", clinic, "standard"))
    short = height_needed(page, 13)
    assert 1 < short < page.height / 2
    taller, not_enough = copy.copy(page), copy.copy(page)
    taller.bottom -= short
    not_enough.bottom -= short - 1.5
    assert render(taller, 13, trial=True).pages == 1
    assert render(not_enough, 13, trial=True).pages > 1
    lines = round(short * 2 / (13 * 1.25) + 0.45)
    with pytest.raises(DoesNotFitError, match=rf"about {lines} lines? too long") as raised:
        fit(page)
    clinic_file = project.parent / "clinics" / f"{clinic}.yaml"
    assert str(raised.value).endswith(f"which its page's footer prints: {clinic_file}:3"), "names the clinic's file"


@pytest.mark.parametrize(("language", "clinic"), [("en", "riverside-family"), ("tl", "costa-azul")])
def test_the_room_to_spare_is_measured_too(language: str, clinic: str) -> None:
    page = Page(resolve(Project.at(REPO / "content.yaml"), "muscle-calcification", language, clinic, "standard"))
    size = fit(page).body_size
    spare = -height_needed(page, size)
    assert spare >= 0
    shorter, too_short = copy.copy(page), copy.copy(page)
    shorter.bottom += spare
    too_short.bottom += spare + 1.5
    assert render(shorter, size, trial=True).pages == 1
    assert render(too_short, size, trial=True).pages > 1


def test_every_shipped_language_fits_a_clinic_whose_footer_takes_a_line_more(project: Path) -> None:
    """A real clinic's name, address and website are often long: the address then leaves the header, the
    footer's contact line takes two lines, and the shipped text must still fit a letter page beside the QR
    code, in every language."""
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    long = {
        "website: https://riverside.example.org/handouts": "website: https://www.northvalleyhealth.example.org/handouts",
        "name: Riverside Family Clinic": "name: Dr. Martin Luther King Jr. Community Health Center, Eastside",
        "  - 1200 River Road, Suite 4\n": "  - 4400 North Lake Shore Drive\n  - Suite 1200, Building C\n"
        "  - Patient Services Entrance\n",
    }
    text = clinic.read_text()
    for shipped_value, long_value in long.items():
        text = text.replace(shipped_value, long_value)
    clinic.write_text(text)
    scratch = Project.at(project)
    taller_footer = None
    for language in load_content(scratch.content_path).content.topics[0].documents:
        page = Page(resolve(scratch, "muscle-calcification", language, "riverside-family", "standard"))
        assert render(page, fit(page).body_size).pages == 1, language
        taller_footer = taller_footer or page.footer_height
    shipped = Page(resolve(Project.at(REPO / "content.yaml"), "muscle-calcification", "en", "riverside-family",
                           "standard"))  # fmt: skip
    assert taller_footer and taller_footer > shipped.footer_height + 5, "the footer takes a line more"


def test_a_header_too_low_for_its_text_is_an_error_not_clipped_text(project: Path) -> None:
    layout = project.parent / "layouts" / "standard.yaml"
    layout.write_text(layout.read_text().replace("header_height: 54", "header_height: 24").replace(
        "  header: 12", "  header: 24"))  # fmt: skip
    page = Page(resolve(Project.at(project), "muscle-calcification", "en", "riverside-family", "standard"))
    assert not page.header_fits
    line = next(n for n, row in enumerate(layout.read_text().splitlines(), 1) if row.startswith("header_height:"))
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    name_line = next(n for n, row in enumerate(clinic.read_text().splitlines(), 1) if row.startswith("name:"))
    with pytest.raises(DoesNotFitError, match=rf"shorten the clinic's name or health system \({clinic}:{name_line}\)"
                       rf", or raise header_height in {layout}:{line}$"):  # fmt: skip
        fit(page)


def test_a_kept_size_is_found_only_for_the_same_page_and_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(tmp_path))
    project = Project.at(REPO / "content.yaml")
    page = Page(resolve(project, "muscle-calcification", "en", "riverside-family", "standard"))
    sources = "document 1|layout 1|tool 1"
    assert remembered_size(page, sources) is None
    remember_size(page, sources, 12.5)
    assert remembered_size(page, sources) == 12.5
    assert remembered_size(page, "document 2|layout 1|tool 1") is None
    other_language = Page(resolve(project, "muscle-calcification", "es", "riverside-family", "standard"))
    other_paper = Page(resolve(project, "muscle-calcification", "en", "costa-azul", "standard"))  # A4
    assert remembered_size(other_language, sources) is None and remembered_size(other_paper, sources) is None
    (kept,) = (tmp_path / "fits").iterdir()
    fitted_for = kept.read_bytes().split(b" ")[0]
    for damaged in (b"", b"12.5", fitted_for, fitted_for + b" twelve", fitted_for + b" 12.3", fitted_for + b" 1e400"):
        kept.write_bytes(damaged)  # empty, no sources, no size, not a number, no size the layout tries
        assert remembered_size(page, sources) is None
    remember_size(page, "document 2|layout 1|tool 1", 13.0)  # a new version of the text replaces the old one's
    assert list((tmp_path / "fits").iterdir()) == [kept]
    assert remembered_size(page, "document 2|layout 1|tool 1") == 13.0 and remembered_size(page, sources) is None


def test_with_no_cache_folder_no_size_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, "relative/folder")  # as for an account with no home folder
    monkeypatch.chdir(tmp_path)
    project = Project.at(REPO / "content.yaml")
    page = Page(resolve(project, "muscle-calcification", "en", "riverside-family", "standard"))
    remember_size(page, "sources", 12.5)
    assert remembered_size(page, "sources") is None and list(tmp_path.iterdir()) == []
