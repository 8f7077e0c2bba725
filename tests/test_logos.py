"""Clinic logos in the PDF: a PNG is embedded once per document, at no more pixels than print needs."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import warnings
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import Run, build_args
from PIL import Image, ImageDraw
from pypdf import PdfReader
from reportlab.pdfbase import pdfdoc

from handout import logos
from handout.fit import fit
from handout.page import Page
from handout.render import render
from handout.resolve import Project, assemble, load_clinic, load_content, load_layout

TOPIC = "muscle-calcification"


@pytest.fixture(autouse=True)
def no_logo_read_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test counts what it reads and draws itself: no logo with the same bytes was read by another."""
    monkeypatch.setattr(logos, "_read_logos", OrderedDict())


def test_clinics_whose_logos_are_the_same_bytes_share_what_was_made_of_them(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A health system's clinics mostly have the same logo: it is decoded, checked and made into PDF objects
    once. A logo with other bytes is read again, and a broken one is refused each time it is read."""
    clinics = project.parent / "clinics"
    made: list[Path] = []
    read_png, read_svg = logos._read_png, logos._read_svg
    monkeypatch.setattr(logos, "_read_png", lambda path, *a: made.append(path) or read_png(path, *a))
    monkeypatch.setattr(logos, "_read_svg", lambda path, *a: made.append(path) or read_svg(path, *a))
    shutil.copytree(clinics / "riverside-family", tmp_path / "twin")
    first = logos.read_logo(clinics / "riverside-family", "logo.png")
    twin = logos.read_logo(tmp_path / "twin", "logo.png")
    assert made == [clinics / "riverside-family" / "logo.png"]
    assert twin.path == tmp_path / "twin" / "logo.png" and twin.image is first.image
    assert (twin.width, twin.height) == (first.width, first.height)
    svg = logos.read_logo(clinics / "costa-azul", "logo.svg")
    assert logos.read_logo(clinics / "costa-azul", "logo.svg").image is svg.image and len(made) == 2

    with Image.open(tmp_path / "twin" / "logo.png") as image:
        image.save(tmp_path / "twin" / "logo.png", compress_level=1)  # the same picture in other bytes
    assert logos.read_logo(tmp_path / "twin", "logo.png").image is not first.image and len(made) == 3
    (tmp_path / "twin" / "logo.png").write_bytes(b"not a picture")
    for _ in range(2):
        with pytest.raises(logos.LogoProblem, match="not a readable PNG"):
            logos.read_logo(tmp_path / "twin", "logo.png")


def images(pdf: Path | bytes) -> list[dict[str, object]]:
    reader = PdfReader(pdf if isinstance(pdf, Path) else io.BytesIO(pdf))
    xobjects = reader.pages[0]["/Resources"].get("/XObject", {})
    return [dict(xobject.get_object()) for xobject in xobjects.values()]


def test_a_png_logo_is_made_into_pdf_objects_once_for_all_of_a_clinics_handouts(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = Project.at(project)
    content, layout = load_content(scratch.content_path), load_layout(scratch, "standard")
    clinic = load_clinic(scratch, "riverside-family")
    made: list[object] = []
    original = pdfdoc.PDFImageXObject
    for module in (logos, pdfdoc):  # ours, and the one ReportLab's drawImage uses
        monkeypatch.setattr(module, "PDFImageXObject", lambda *a, **k: made.append(a) or original(*a, **k))
    pdfs = {}
    for language in ("en", "es"):
        page = Page(assemble(content, clinic, layout, TOPIC, language))
        pdfs[language] = render(page, fit(page).body_size).pdf
    assert made == [], "the clinic's logo was made into PDF objects when the clinic was loaded"
    for pdf in pdfs.values():
        [image] = images(pdf)
        assert image["/Subtype"] == "/Image" and (image["/Width"], image["/Height"]) == (360, 120)
        assert "/SMask" in image, "the logo's transparency is kept"
    # The same bytes as a process that draws the logo for the first time.
    fresh = tmp_path / "fresh.pdf"
    arguments = build_args(TOPIC, "es", "riverside-family", fresh, content=project)
    subprocess.run([sys.executable, "-m", "handout", *map(str, arguments)], check=True, capture_output=True)
    assert pdfs["es"] == fresh.read_bytes()


def test_a_large_logo_is_embedded_at_print_resolution(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    logo = Image.new("RGBA", (3000, 1000), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((100, 100, 900, 900), fill=(0xC0, 0x1F, 0x5A, 255))
    logo.save(project.parent / "clinics" / "riverside-family" / "logo.png")
    output = tmp_path / "large-logo.pdf"
    result = cli(*build_args(TOPIC, "en", "riverside-family", output, content=project))
    assert result.exit_code == 0, result.output
    [image] = images(output)
    assert (image["/Width"], image["/Height"]) == (1800, logos.PRINT_PIXELS_HIGH)
    assert output.stat().st_size < 200_000
    picture = pdfium.PdfDocument(output)[0].render(scale=2).to_pil().convert("RGB")
    header = picture.crop((0, 0, picture.width // 3, 200))
    colours = header.getcolors(header.width * header.height) or []
    assert any(abs(r - 0xC0) < 12 and abs(g - 0x1F) < 12 and abs(b - 0x5A) < 12 for _, (r, g, b) in colours)


def test_a_logo_with_far_too_many_pixels_is_one_message_and_no_python_warning(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    Image.new("1", (10_000, 9_000)).save(folder / "huge.png")  # past Pillow's own warning, at 1 bit a pixel
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(logos.LogoProblem, match=r"10000x9000 pixels: use an image under 4000x4000"):
            logos.read_logo(folder, "huge.png")


SVG = '<svg xmlns="http://www.w3.org/2000/svg" {size}><rect width="5" height="5" fill="#C01F5A"/></svg>'


@pytest.mark.parametrize(
    ("size", "told"),
    [
        ('width="nan" height="10"', "is nan x 7.5 points"),
        ('width="-100" height="-50"', "is -75 x -37.5 points"),
        ('width="inf" height="10"', "is inf x 7.5 points"),
        ('width="0" height="10"', "is 0 x 7.5 points"),
        ('viewBox="0 0 nan 10"', "is nan x 7.5 points"),
        ('width="1e300" height="1e300"', "is 7.5e+299 x 7.5e+299 points"),
        ('width="1e-30" height="1e-30"', "is 7.5e-31 x 7.5e-31 points"),
        ("", "is 0 x 0 points"),
    ],
)
def test_an_svg_logo_whose_size_is_no_real_size_is_refused(tmp_path: Path, size: str, told: str) -> None:
    (tmp_path / "logo.svg").write_text(SVG.format(size=size), encoding="utf-8")
    with pytest.raises(logos.LogoProblem, match=r"^logo logo\.svg ") as refused:
        logos.read_logo(tmp_path, "logo.svg")
    assert told in str(refused.value)
    assert str(refused.value).endswith("each must be a number from 1 to 14,400 points (200 inches); export it again "
                                       "with its real size")  # fmt: skip


@pytest.mark.parametrize("size", ['width="1000" height="5"', 'width="5" height="1000"'])
def test_a_logo_that_would_print_as_a_hairline_is_refused(tmp_path: Path, size: str) -> None:
    (tmp_path / "logo.svg").write_text(SVG.format(size=size), encoding="utf-8")
    with pytest.raises(logos.LogoProblem, match=r"more than 100 times the other, so it would print as a hairline"):
        logos.read_logo(tmp_path, "logo.svg")
    Image.new("RGB", (5000, 10)).save(tmp_path / "logo.png")
    with pytest.raises(logos.LogoProblem, match=r"^logo logo\.png is 5000 x 10 pixels: one side is more than 100"):
        logos.read_logo(tmp_path, "logo.png")
    Image.new("RGB", (1000, 10)).save(tmp_path / "logo.png")  # 100 to 1: a long word mark
    assert logos.read_logo(tmp_path, "logo.png").width == 1000


@pytest.mark.parametrize(
    "shape",
    [
        '<rect width="nan" height="5"/>',
        '<rect width="5" height="5" stroke="red" stroke-width="inf"/>',
        '<g transform="scale(nan)"><rect width="5" height="5"/></g>',
    ],
)
def test_an_svg_logo_drawing_with_a_coordinate_that_is_no_number_is_refused(tmp_path: Path, shape: str) -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40">{shape}</svg>'
    (tmp_path / "logo.svg").write_text(svg, encoding="utf-8")
    with pytest.raises(logos.LogoProblem, match=r"^logo logo\.svg has a coordinate, size or colour that is not a "):
        logos.read_logo(tmp_path, "logo.svg")


def test_a_build_with_a_degenerate_logo_is_one_message_and_no_pdf(cli: Callable[..., Run], project: Path,
                                                                  tmp_path: Path) -> None:  # fmt: skip
    """It used to print: a NaN in the PDF's content stream, or the logo drawn outside its tile."""
    clinic = project.parent / "clinics" / "costa-azul"
    output = tmp_path / "costa.pdf"
    for size in ('width="nan" height="10"', 'width="-100" height="-50"'):
        (clinic / "logo.svg").write_text(SVG.format(size=size), encoding="utf-8")
        result = cli(*build_args(TOPIC, "es", "costa-azul", output, content=project))
        assert result.exit_code == 2, result.output
        line = next(n for n, text in enumerate((clinic.parent / "costa-azul.yaml").read_text().splitlines(), 1)
                    if text.startswith("logo:"))  # fmt: skip
        assert f"costa-azul.yaml:{line}:1: logo logo.svg is " in result.stderr and "Traceback" not in result.output
        assert not output.exists()


@pytest.mark.parametrize(
    "shape",
    [
        '<rect width="10" height="10" stroke="black" stroke-width="1e308"/>',
        '<g transform="scale(1e300)"><rect width="5" height="5"/></g>',
        '<circle cx="5" cy="5" r="1e300"/>',
    ],
)
def test_an_svg_logo_with_a_number_too_large_for_a_pdf_fails_its_clinic_alone(
    cli: Callable[..., Run], project: Path, tmp_path: Path, shape: str
) -> None:
    """It used to end a whole batch with a traceback, half-way through drawing a page."""
    (tmp_path / "logo.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40">{shape}</svg>')
    with pytest.raises(logos.LogoProblem, match=r"^logo logo\.svg cannot be drawn \(.*\): export it again"):
        logos.read_logo(tmp_path, "logo.svg")
    shutil.copy(tmp_path / "logo.svg", project.parent / "clinics" / "costa-azul" / "logo.svg")
    out = tmp_path / "out"
    result = cli("batch", "--content", project, "--out", out, "--langs", "en,es", "--layouts", "standard")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "failed: costa-azul" in result.stderr and "cannot be drawn" in result.stderr
    assert {path.parent.parent.name for path in out.glob("*/*/*.pdf")} == {"okafor-community", "riverside-family"}


@pytest.mark.parametrize(
    ("logo", "drawn_again"),
    [
        (None, True),  # the shipped logo: shapes in solid colours
        ('<rect width="80" height="30" fill="#1D5FA8" fill-opacity="0.5"/>', False),  # a transparency: an object
        ('<rect width="80" height="30" fill="#1D5FA8"/><text x="5" y="20">Costa</text>', False),  # text
    ],
)
def test_an_svg_logo_is_walked_once_for_all_of_a_clinics_handouts_when_it_can_be(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logo: str | None, drawn_again: bool
) -> None:
    if logo is not None:
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40">{logo}</svg>'
        (project.parent / "clinics" / "costa-azul" / "logo.svg").write_text(svg, encoding="utf-8")
    scratch = Project.at(project)
    content, layout = load_content(scratch.content_path), load_layout(scratch, "standard")
    clinic = load_clinic(scratch, "costa-azul")
    walks: list[object] = []
    original = logos.renderPDF.draw
    monkeypatch.setattr(logos.renderPDF, "draw", lambda *a, **k: walks.append(a) or original(*a, **k))
    pdfs = {}
    for language in ("en", "zh-Hans", "es"):  # another font on the second page
        page = Page(assemble(content, clinic, layout, TOPIC, language))
        pdfs[language] = render(page, fit(page).body_size).pdf
    assert len(walks) == (1 if drawn_again else 3)
    # The same bytes as a process that draws the logo for the first time.
    fresh = tmp_path / "fresh.pdf"
    arguments = build_args(TOPIC, "es", "costa-azul", fresh, content=project)
    subprocess.run([sys.executable, "-m", "handout", *map(str, arguments)], check=True, capture_output=True)
    assert pdfs["es"] == fresh.read_bytes()


TEXT_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60"><text x="4" y="40"{font}>{text}</text></svg>'
)


def test_an_svg_logo_s_text_is_drawn_in_the_page_s_font_never_a_font_of_the_machine(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """svglib would look the SVG's font up among the machine's fonts (fc-match), or fall back to Helvetica,
    which has no 'ễ': the logo printed 'Nguy▯n'. The page's own font prints it, the same on every machine."""
    clinic = project.parent / "clinics" / "costa-azul"
    (clinic / "logo.svg").write_text(TEXT_LOGO.format(font=' font-family="Verdana"', text="Phòng khám Nguyễn"))
    output = tmp_path / "costa.pdf"
    result = cli(*build_args(TOPIC, "es", "costa-azul", output, content=project))
    assert result.exit_code == 0, result.output
    page = PdfReader(output).pages[0]
    assert "Phòng khám Nguyễn" in page.extract_text()
    fonts = {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in page["/Resources"]["/Font"].values()}
    assert fonts <= {"NotoSans-Regular", "NotoSans-Bold"}, fonts


@pytest.mark.parametrize(
    ("text", "language", "told"),
    [
        (
            "عيادة",
            "es",
            "has text that must be shaped or written right to left (ا ة د ع ي): export it again with "
            "its text converted to outlines (paths)",
        ),
        ("诊所 Clinic", "es", "the text of the logo: character '诊' (U+8BCA) cannot be printed"),
    ],
)
def test_an_svg_logo_s_text_that_the_page_cannot_print_is_refused(
    cli: Callable[..., Run], project: Path, tmp_path: Path, text: str, language: str, told: str
) -> None:
    clinic = project.parent / "clinics" / "costa-azul"
    (clinic / "logo.svg").write_text(TEXT_LOGO.format(font="", text=text), encoding="utf-8")
    output = tmp_path / "costa.pdf"
    result = cli(*build_args(TOPIC, language, "costa-azul", output, content=project))
    assert result.exit_code == 2 and told in result.stderr and "Traceback" not in result.output
    assert "costa-azul.yaml:" in result.stderr and not output.exists()


def test_an_svg_logo_s_pieces_of_text_are_laid_out_in_the_font_they_are_drawn_in(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """svglib places a <tspan> after the width of the text before it: in the page's font, as it is drawn, or
    the pieces overlap or leave a gap. A decomposed accent (as some tools export it) is printed composed."""
    clinic = project.parent / "clinics" / "costa-azul"
    clinic_file = clinic.parent / "costa-azul.yaml"
    clinic_file.write_text(clinic_file.read_text(encoding="utf-8").replace("languages: [", "languages: [ru, "))

    def gap_between_the_pieces(text: str, name: str) -> float:
        (clinic / "logo.svg").write_text(TEXT_LOGO.format(font=' font-size="20"', text=text), encoding="utf-8")
        output = tmp_path / f"{name}.pdf"
        result = cli(*build_args(TOPIC, "ru", "costa-azul", output, content=project))
        assert result.exit_code == 0, result.output
        text_page = pdfium.PdfDocument(output)[0].get_textpage()
        start = text_page.get_text_range().index("КлиникаРивер Café")
        return float(text_page.get_charbox(start + 7)[0] - text_page.get_charbox(start + 6)[2])

    whole = gap_between_the_pieces("КлиникаРивер Café", "whole")
    assert abs(gap_between_the_pieces("Клиника<tspan>Ривер</tspan> Cafe\u0301", "pieces") - whole) < 0.05
