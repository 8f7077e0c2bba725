"""Shaped Devanagari draws HarfBuzz's glyphs and copies as the text it was made from."""

from __future__ import annotations

import io
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import uharfbuzz
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import shapeStr
from reportlab.platypus import SimpleDocTemplate
from reportlab.platypus import paragraph as _rl_paragraph

from handout.fonts import script_for
from handout.resolve import load_content
from handout.shaping import Glyph, glyph_clusters, glyphs_of, meaning, respell
from handout.text import TextSetter

HINDI = script_for("hi")
SAMPLES = {
    "i-matra": "कि",  # the vowel sign is drawn before its consonant
    "conjunct": "क्षति",  # a glyph with no code point of its own, then a reordered i-matra
    "reph": "स्पर्श",  # a half form, and a reph drawn after the consonant it precedes in the text
    "nukta": "फ़िज़ियोथेरेपी",
    "stacked": "हड्डी",
    "ai-matra": "कैल्शियम",
    "two-glyph-vowel": "ऐसा",  # ऐ is drawn as ए and a vowel sign
    "mark-without-base": "ा",  # HarfBuzz adds a dotted circle
    "half-form-zwj": "क्\u200dष",
    "no-conjunct-zwnj": "क्\u200cष",
}
WORDS = list(SAMPLES.values())


def harfbuzz_glyphs(text: str, font_name: str) -> list[int]:
    buffer = uharfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    uharfbuzz.shape(pdfmetrics.getFont(font_name).hbFont(12), buffer, {"kern": True, "liga": True, "dlig": True})
    return [info.codepoint for info in buffer.glyph_infos]


def reportlab_glyphs(text: str, font_name: str) -> list[Glyph]:
    """The glyphs as ReportLab shapes them (a glyph's own or a private code point)."""
    return glyphs_of(shapeStr(text, font_name, 12), font_name)


@pytest.mark.parametrize("word", WORDS, ids=list(SAMPLES))
def test_respelled_codes_draw_the_same_glyphs_and_mean_the_text(word: str) -> None:
    font_name = HINDI.family.regular
    spelled = respell(word, reportlab_glyphs(word, font_name), glyph_clusters(word, font_name, 12))

    face = pdfmetrics.getFont(font_name).face
    assert [face.charToGlyph[ord(code)] for code in spelled] == harfbuzz_glyphs(word, font_name)
    assert meaning(spelled) == word


def test_a_vowel_sign_shifted_over_its_consonant_reaches_to_the_next_glyph() -> None:
    font_name = HINDI.family.regular
    glyphs = reportlab_glyphs("कैल्शियम", font_name)
    shifted = [glyph for glyph in glyphs if glyph.width is not None]
    assert shifted, "the vowel sign of कै is drawn with an offset"
    spelled = respell("कैल्शियम", glyphs, glyph_clusters("कैल्शियम", font_name, 12))

    face = pdfmetrics.getFont(font_name).face
    assert [face.charWidths[ord(code)] for code, glyph in zip(spelled, glyphs, strict=True) if glyph.width] == [
        glyph.width for glyph in shifted
    ]


def test_a_shaping_it_was_not_made_for_is_left_alone() -> None:
    glyph = Glyph("x", HINDI.family.regular)
    assert respell("कि", [glyph], [0, 0]) == "x"


def paragraph_pdf(runs: list[tuple[str, bool]]) -> bytes:
    setter = TextSetter(HINDI)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build([setter.paragraph(runs, setter.style("body", fontSize=14))])
    return buffer.getvalue()


SENTENCE = " ".join(WORDS) + " मांसपेशी में हड्डी या कैल्शियम बन सकता है।"
RUNS = {
    "regular": [(SENTENCE, False)],
    "bold-conjunct": [("कि ", False), ("क्षति", True), ("स्पर्श ", False), ("कैल्शियम", True)],
    "bold-punctuation": [("क्या है? यह कैंसर नहीं है। फेफड़ों", True)],  # the bold vowel sign of है shifts right
}


@pytest.mark.parametrize("runs", RUNS.values(), ids=list(RUNS))
def test_text_extracted_from_a_shaped_paragraph_is_its_text_word_for_word(runs: list[tuple[str, bool]]) -> None:
    text = "".join(part for part, _ in runs)
    reader = PdfReader(io.BytesIO(paragraph_pdf(runs)))
    assert reader.pages[0].extract_text().split() == unicodedata.normalize("NFC", text).split()


@pytest.mark.parametrize("runs", RUNS.values(), ids=list(RUNS))
def test_the_page_looks_as_reportlab_alone_draws_it(
    runs: list[tuple[str, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = render(paragraph_pdf(runs))
    monkeypatch.setattr(_rl_paragraph, "shapeFragWord", ttfonts.shapeFragWord)
    reportlabs = render(paragraph_pdf(runs))
    assert ImageChops.difference(ours, reportlabs).getbbox() is None


def render(pdf: bytes) -> Image.Image:
    return pdfium.PdfDocument(pdf)[0].render(scale=3).to_pil().convert("L")


def test_a_word_shaped_before_keeps_the_look_of_its_own_paragraph() -> None:
    setter = TextSetter(HINDI)
    text = "क्षति स्पर्श कैल्शियम"
    pages = {}
    for colour in ("#000000", "#c00000"):  # the second paragraph's words come from the shaping memo
        buffer = io.BytesIO()
        style = setter.style(f"body-{colour}", fontSize=24, textColor=colour)
        SimpleDocTemplate(buffer, pagesize=A4).build([setter.paragraph([(text, False)], style)])
        pages[colour] = pdfium.PdfDocument(buffer.getvalue())[0].render(scale=1).to_pil().convert("RGB")
        assert PdfReader(buffer).pages[0].extract_text().split() == text.split()

    image = pages["#c00000"]
    inked = [image.getpixel((x, y)) for x in range(image.width) for y in range(image.height // 4)]
    dark = [(r, g) for r, g, _ in inked if r + g < 400]
    assert dark and all(r > g + 60 for r, g in dark), "the memo must not bring back the first paragraph's colour"


# Without ZWJ and ZWNJ: ReportLab draws a word that is only a joiner as a space glyph and then loses
# the real space after it, so its page cannot be the reference there (the joiners are tested in SAMPLES).
DEVANAGARI = st.text(st.sampled_from([*map(chr, range(0x0900, 0x0980)), " ", " ", "1", "."]), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(text=DEVANAGARI)
def test_any_devanagari_draws_as_reportlab_would_and_copies_as_written(text: str) -> None:
    covered = pdfmetrics.getFont(HINDI.family.regular).face.charToGlyph
    text = "".join(char for char in text if ord(char) in covered) or "क"
    runs = [(text, False)]
    ours = paragraph_pdf(runs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_rl_paragraph, "shapeFragWord", ttfonts.shapeFragWord)
        reportlabs = paragraph_pdf(runs)
    assert ImageChops.difference(render(ours), render(reportlabs)).getbbox() is None

    def comparable(value: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFC", value) if not c.isspace())

    assert comparable(PdfReader(io.BytesIO(ours)).pages[0].extract_text()) == comparable(text)


# ---------------------------------------------------------------- right-to-left pages

RIGHT_TO_LEFT_BUILD = """
import sys
from pathlib import Path
from handout.build import BuildRequest, build_handout
from handout.resolve import Project
project = Project.at(Path("content.yaml"))
for language, output in zip(sys.argv[1::2], sys.argv[2::2]):
    build_handout(project, BuildRequest("muscle-calcification", language, "riverside-family", output=Path(output)))
"""


def build_in_one_process(*pairs: str) -> None:
    subprocess.run([sys.executable, "-c", RIGHT_TO_LEFT_BUILD, *pairs], cwd=REPO, check=True)


@pytest.mark.parametrize("language", ["ar", "fa"])
def test_a_right_to_left_page_copies_as_its_text_with_no_private_use_characters(language: str, tmp_path: Path) -> None:
    """Joined letters copy as letters (not presentation forms), the 'fi' ligature of an English source
    title as 'fi', and glyphs without a code point as what they stand for."""
    output = tmp_path / f"{language}.pdf"
    build_in_one_process(language, str(output))
    text = PdfReader(output).pages[0].extract_text()
    private = sorted({f"U+{ord(c):04X}" for c in text if 0xE000 <= ord(c) <= 0xF8FF or ord(c) >= 0xF0000})
    forms = sorted({f"U+{ord(c):04X}" for c in text if 0xFB50 <= ord(c) <= 0xFDFF or 0xFE70 <= ord(c) <= 0xFEFF})
    assert not private and not forms, (private, forms)
    assert "ossification" in text
    document = load_content(REPO / "content.yaml").content.topics[0].documents[language]
    flat = " ".join(text.split())
    assert all(" ".join(section.heading.split()) in flat for section in document.sections)


def test_a_persian_page_is_the_same_bytes_whether_or_not_arabic_was_shaped_before_it(tmp_path: Path) -> None:
    """Both are set in one family: a batch worker prints them one after the other."""
    alone, after = tmp_path / "alone.pdf", tmp_path / "after.pdf"
    build_in_one_process("fa", str(alone))
    build_in_one_process("ar", str(tmp_path / "ar.pdf"), "fa", str(after))
    assert alone.read_bytes() == after.read_bytes()
