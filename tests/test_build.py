"""Every shipped handout, checked from the PDF itself: one page, all the text, fonts, metadata, reproducible."""

from __future__ import annotations

import itertools
import re
import unicodedata
from pathlib import Path

import pytest
from conftest import REPO, build_args, run_cli
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from handout.fonts import script_for
from handout.inline import plain
from handout.resolve import Project, load_clinic, load_content, load_layout, placeholder_values

PROJECT = Project.at(REPO / "content.yaml")
CONTENT = load_content(PROJECT.content_path).content
MATRIX = [
    (topic.id, language, clinic, layout)
    for topic in CONTENT.topics
    for language, clinic, layout in itertools.product(topic.documents, PROJECT.clinic_ids(), PROJECT.layout_names())
]


def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def compact(text: str) -> str:
    """Text with Unicode compatibility forms folded and no white space: CJK lines break without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str, str], Path]:
    out = tmp_path_factory.mktemp("out")
    paths = {}
    for topic, language, clinic, layout in MATRIX:
        target = out / f"{topic}-{language}-{clinic}-{layout}.pdf"
        result = run_cli(*build_args(topic, language, clinic, target, layout))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == str(target)
        paths[(topic, language, clinic, layout)] = target
    return paths


def test_matrix_covers_every_shipped_combination() -> None:
    assert len(MATRIX) == sum(len(t.documents) for t in CONTENT.topics) * len(PROJECT.clinic_ids()) * 2


@pytest.mark.parametrize("key", MATRIX, ids=["-".join(k) for k in MATRIX])
def test_handout_is_exactly_one_page(
    built: dict[tuple[str, str, str, str], Path], key: tuple[str, str, str, str]
) -> None:
    assert len(PdfReader(built[key], strict=True).pages) == 1


LTR_KEYS = [key for key in MATRIX if not script_for(key[1]).rtl]  # RTL pages: see test_languages.py


@pytest.mark.parametrize(
    "key",
    LTR_KEYS,
    ids=["-".join(k) for k in LTR_KEYS],
)
def test_extracted_text_contains_the_whole_document(
    built: dict[tuple[str, str, str, str], Path], key: tuple[str, str, str, str]
) -> None:
    topic_id, language, clinic_id, layout_name = key
    text = compact(PdfReader(built[key], strict=True).pages[0].extract_text())

    topic = next(t for t in CONTENT.topics if t.id == topic_id)
    document = topic.documents[language]
    clinic = load_clinic(PROJECT, clinic_id).clinic
    values = placeholder_values(clinic)
    expected = [document.title, document.summary]
    if load_layout(PROJECT, layout_name).layout.content == "full":
        for section in document.sections:
            expected += [section.heading, *section.paragraphs, *section.bullets]
    else:
        expected += document.key_points
    for item in expected:
        assert compact(plain(item, values)) in text, f"missing from the PDF: {item!r}"
    assert compact(clinic.phone) in text
    assert compact(clinic.name) in text


@pytest.mark.parametrize("key", MATRIX, ids=["-".join(k) for k in MATRIX])
def test_fonts_are_embedded_subset_truetype(
    built: dict[tuple[str, str, str, str], Path], key: tuple[str, str, str, str]
) -> None:
    page = PdfReader(built[key]).pages[0]
    fonts = page["/Resources"]["/Font"]
    assert fonts, "the page uses no fonts"
    for font in fonts.values():
        font = font.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor: DictionaryObject = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not an embedded TrueType font"
        assert re.match(r"^/[A-Z]{6}\+", str(font["/BaseFont"])), f"{font['/BaseFont']} is not a subset"


@pytest.mark.parametrize("key", MATRIX, ids=["-".join(k) for k in MATRIX])
def test_metadata_and_language(built: dict[tuple[str, str, str, str], Path], key: tuple[str, str, str, str]) -> None:
    topic_id, language, clinic_id, _ = key
    reader = PdfReader(built[key])
    topic = next(t for t in CONTENT.topics if t.id == topic_id)
    document = topic.documents[language]
    info = reader.metadata
    assert info is not None
    assert info.title == plain(document.title, {})
    assert info.author == load_clinic(PROJECT, clinic_id).clinic.name
    assert info.subject == plain(document.subtitle or document.title, {})
    for code in topic.codes:
        assert code.code in str(info["/Keywords"])
    assert reader.trailer["/Root"]["/Lang"] == language


def test_footer_prints_review_date_and_sources(built: dict[tuple[str, str, str, str], Path]) -> None:
    text = normalized(
        PdfReader(built[(CONTENT.topics[0].id, "en", "riverside-family", "standard")]).pages[0].extract_text()
    )
    topic = CONTENT.topics[0]
    assert f"Last reviewed: {topic.review.last_reviewed:%B} {topic.review.last_reviewed.day}, " in text
    for source in topic.sources:
        assert normalized(source.title) in text


def test_spanish_handout_has_spanish_labels_and_translation_note(
    built: dict[tuple[str, str, str, str], Path],
) -> None:
    text = normalized(
        PdfReader(built[(CONTENT.topics[0].id, "es", "riverside-family", "standard")]).pages[0].extract_text()
    )
    assert "¿Preguntas? Llame al" in text
    assert "Última revisión: 25 de noviembre de 2026" in text
    assert "Traducido del inglés, aún no revisado por un traductor calificado." in text
    assert "Questions?" not in text


def test_emergency_number_comes_from_the_clinic(built: dict[tuple[str, str, str, str], Path]) -> None:
    topic = CONTENT.topics[0].id
    spain = normalized(PdfReader(built[(topic, "en", "costa-azul", "standard")]).pages[0].extract_text())
    us = normalized(PdfReader(built[(topic, "en", "riverside-family", "standard")]).pages[0].extract_text())
    assert "Call 112" in spain and "Call 911" not in spain
    assert "Call 911" in us


def test_page_size_follows_the_clinic(built: dict[tuple[str, str, str, str], Path]) -> None:
    topic = CONTENT.topics[0].id
    a4 = PdfReader(built[(topic, "en", "costa-azul", "standard")]).pages[0].mediabox
    letter = PdfReader(built[(topic, "en", "riverside-family", "standard")]).pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    outputs = []
    for name in ("first.pdf", "second.pdf"):
        result = run_cli(*build_args(CONTENT.topics[0].id, "es", "costa-azul", tmp_path / name))
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]


def test_default_output_path_and_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        "build",
        "--topic",
        CONTENT.topics[0].id,
        "--lang",
        "es",
        "--clinic",
        "riverside-family",
        "--content",
        PROJECT.content_path,
    )
    assert result.exit_code == 0, result.output
    expected = Path("out/riverside-family/es") / f"{CONTENT.topics[0].id}-standard.pdf"
    assert result.stdout.strip() == str(expected)
    assert (tmp_path / expected).is_file()
    assert "draft" in result.stderr and "not yet checked by a qualified translator" in result.stderr


def test_a_missing_content_file_is_named_before_the_clinics_looked_for_beside_it(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    result = run_cli(*build_args("muscle-calcification", "en", "costa-azul", tmp_path / "a.pdf", content=missing))
    assert result.exit_code == 2
    assert f"{missing}:1:1: file not found" in result.stderr and "no clinic" not in result.stderr
