"""Drawn bodies kept between runs: found only for a like page drawn from the same sources, and drawn again
by another process, which numbers shaped text its own way, into the same bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections import OrderedDict
from pathlib import Path

import pytest
from conftest import forget_drawn_stories

from handout import render as rendering
from handout.cache import CACHE_FOLDER_VARIABLE
from handout.drawing_cache import remember_drawing, remembered_drawing
from handout.fit import fit
from handout.page import Page
from handout.render import DrawingName, drawing_key, render
from handout.resolve import Project, resolve

REPO = Path(__file__).resolve().parent.parent
TOPIC = "muscle-calcification"


def found(page: Page, size: float, sources: str) -> bool:
    """Whether a drawing kept for ``page`` at ``size`` from ``sources`` is found, and readied for it."""
    return remembered_drawing(page, size, DrawingName(drawing_key(page, size), sources))


def kept_for(page: Page, size: float, sources: str) -> None:
    remember_drawing(page, size, DrawingName(drawing_key(page, size), sources))


def test_a_kept_drawing_is_found_only_for_the_same_page_and_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(tmp_path))
    project = Project.at(REPO / "content.yaml")

    def page(language: str = "en", clinic: str = "riverside-family") -> Page:
        return Page(resolve(project, TOPIC, language, clinic, "standard"))

    english = page()  # the same loaded inputs throughout, as in a batch's worker
    size = fit(english).body_size
    sources = "document 1|layout 1|tool 1"
    forget_drawn_stories(monkeypatch)
    assert not found(english, size, sources)
    drawn = render(english, size).pdf
    kept_for(english, size, sources)
    (kept,) = (tmp_path / "drawings").iterdir()

    forget_drawn_stories(monkeypatch)
    assert not found(english, size, "document 2|layout 1|tool 1")
    assert not found(english, size + 0.5, sources)
    assert not found(page("es"), size, sources)
    assert not found(page(clinic="costa-azul"), size, sources)  # A4, other colours
    assert not found(page(clinic="okafor-community"), size, sources)  # no QR code: a lower footer
    assert rendering._bodies == OrderedDict()

    drawn_from, packed = kept.read_bytes().split(b"\n", 1)
    record = json.loads(zlib.decompress(packed))
    unknown_font = {**record, "fonts": [["NoSuchFont", *record["fonts"][0][1:]]]}
    for damaged in (b"", drawn_from, drawn_from + b"\n" + packed[:-9], drawn_from + b"\n" + b"x" + packed,
                    drawn_from + b"\n" + zlib.compress(b'{"code": []}'),
                    drawn_from + b"\n" + zlib.compress(json.dumps(unknown_font).encode())):  # fmt: skip
        kept.write_bytes(damaged)
        assert not found(english, size, sources), damaged[:80]
    assert rendering._bodies == OrderedDict()

    kept.write_bytes(drawn_from + b"\n" + packed)
    assert found(english, size, sources)
    monkeypatch.setattr(rendering, "Composer", None)  # a story laid out now would fail
    assert render(english, size).pdf == drawn

    kept_for(english, size, "document 2|layout 1|tool 1")  # a new version of the text replaces the old one's
    assert list((tmp_path / "drawings").iterdir()) == [kept]
    forget_drawn_stories(monkeypatch)
    assert found(english, size, "document 2|layout 1|tool 1")
    assert not found(english, size, sources)


def test_with_no_cache_folder_no_drawing_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, "relative/folder")  # as for an account with no home folder
    monkeypatch.chdir(tmp_path)
    page = Page(resolve(Project.at(REPO / "content.yaml"), TOPIC, "en", "riverside-family", "standard"))
    size = fit(page).body_size
    render(page, size)
    kept_for(page, size, "sources")
    forget_drawn_stories(monkeypatch)
    assert not found(page, size, "sources") and list(tmp_path.iterdir()) == []


# Run in a process of its own. "keep" draws the page and keeps its drawing. "reuse" first lays out and
# draws a page in another shaped script, so that it numbers shaped glyphs otherwise than "keep" did,
# then draws the page from the kept drawing with no story laid out. Each prints the private codes its
# drawing of the page uses, and writes the PDF.
SCRIPT = """
import sys
from pathlib import Path
from handout import render as rendering
from handout.drawing_cache import remember_drawing, remembered_drawing
from handout.fit import fit
from handout.page import Page
from handout.render import DrawingName, drawing_key
from handout.resolve import Project, resolve

def named(page, size, sources):
    return DrawingName(drawing_key(page, size), sources)

mode, content, language, out = sys.argv[1:5]
project = Project.at(Path(content))
pages = {}
def page(language):  # one page for each language, of inputs loaded once, as in a batch's worker
    if language not in pages:
        pages[language] = Page(resolve(project, "muscle-calcification", language, "okafor-community", "standard"))
    return pages[language]
if mode == "keep":
    size = fit(page(language)).body_size
    rendered = rendering.render(page(language), size)
    remember_drawing(page(language), size, named(page(language), size, "sources"))
else:
    size = float(mode)
    other = page("ar" if language == "hi" else "hi")
    rendering.render(other, fit(other).body_size)
    assert remembered_drawing(page(language), size, named(page(language), size, "sources")), "no kept drawing"
    rendering.Composer = None  # a story laid out now would fail
    rendered = rendering.render(page(language), size)
Path(out).write_bytes(rendered.pdf)
drawing = rendering.kept_drawing(page(language), size)
print(size, sorted(c for font in drawing.fonts for c in font.assignments if c >= 0xF0000))
"""


@pytest.mark.parametrize("language", ["en", "ar", "hi", "zh-Hans"])
def test_a_drawing_kept_by_one_process_makes_the_same_bytes_in_another_that_numbers_shaped_text_its_own_way(
    tmp_path: Path, language: str
) -> None:
    def run(mode: str, out: Path) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(REPO / "content.yaml"), language, str(out)],
                              check=True, capture_output=True, text=True,
                              env={**os.environ, CACHE_FOLDER_VARIABLE: str(tmp_path / "cache")})  # fmt: skip
        size, codes = done.stdout.strip().split(" ", 1)
        return size, codes

    size, kept_codes = run("keep", tmp_path / "kept.pdf")
    assert len(list((tmp_path / "cache" / "drawings").iterdir())) == 1
    _, reused_codes = run(size, tmp_path / "reused.pdf")
    if language in ("ar", "hi"):
        assert kept_codes != "[]" and reused_codes != kept_codes, "the second process should number them otherwise"
    assert (tmp_path / "reused.pdf").read_bytes() == (tmp_path / "kept.pdf").read_bytes()
