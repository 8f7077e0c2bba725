"""The look of the page, checked on rendered pixels: brand colour, logo, header text, pinned warning."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from conftest import REPO, Run, add_twin, build_args, renderer
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFontFace

from handout import render as rendering
from handout.compose import Composer
from handout.page import GAP
from handout.resolve import Project, load_clinic, load_content, load_layout

PROJECT = Project.at(REPO / "content.yaml")
SCALE = 2.0  # pixels per point
TOPIC = "muscle-calcification"


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def close(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def render(cli: Callable[..., Run], tmp_path: Path, clinic: str, layout: str = "standard") -> Image.Image:
    output = tmp_path / f"{clinic}-{layout}.pdf"
    result = cli(*build_args(TOPIC, "en", clinic, output, layout))
    assert result.exit_code == 0, result.output
    return pdfium.PdfDocument(output)[0].render(scale=SCALE).to_pil().convert("RGB")


def header_box(layout_name: str) -> tuple[int, int, int, int]:
    """The header band in pixels: left, top, right, bottom (from the layout file, not hard-coded)."""
    layout = load_layout(PROJECT, layout_name).layout
    return (
        int(layout.margins.left * SCALE),
        int(layout.margins.top * SCALE),
        int(layout.margins.right * SCALE),
        int((layout.margins.top + layout.header_height) * SCALE),
    )


def pixels(image: Image.Image, box: tuple[int, int, int, int]) -> list[tuple[int, int, int]]:
    data = image.crop(box).tobytes()
    return list(zip(data[0::3], data[1::3], data[2::3], strict=True))


def share(
    image: Image.Image, box: tuple[int, int, int, int], colour: tuple[int, int, int], tolerance: int = 12
) -> float:
    found = pixels(image, box)
    return sum(close(p, colour, tolerance) for p in found) / len(found)


@pytest.mark.parametrize("clinic", ["riverside-family", "costa-azul", "okafor-community"])
@pytest.mark.parametrize("layout", ["standard", "large-print"])
def test_header_band_is_filled_with_the_brand_colour(
    cli: Callable[..., Run], tmp_path: Path, clinic: str, layout: str
) -> None:
    image = render(cli, tmp_path, clinic, layout)
    left, top, right_margin, bottom = header_box(layout)
    band = (left, top, image.width - right_margin, bottom)
    primary = hex_rgb(load_clinic(PROJECT, clinic).clinic.colors.primary)
    assert share(image, band, primary) > 0.5
    # Outside the band, just above it, the page is white.
    assert share(image, (left, 0, image.width - right_margin, top - 2), (255, 255, 255)) > 0.99


@pytest.mark.parametrize("layout", ["standard", "large-print"])
def test_a_long_phone_number_stays_inside_the_header(
    cli: Callable[..., Run], project: Path, tmp_path: Path, layout: str
) -> None:
    """The longest phone number a clinic file allows: it wraps, and is made smaller rather than spill out."""
    clinic = project.parent / "clinics" / "okafor-community.yaml"
    phone = "+1 (555) 555-0100 555-0100 55"
    text = clinic.read_text().replace('primary: "#14213D"', 'primary: "#F2C94C"')  # dark text shows on white
    clinic.write_text(re.sub(r"(?m)^phone: .*$", f'phone: "{phone}"', text))
    output = tmp_path / "long-phone.pdf"
    result = cli(*build_args(TOPIC, "en", "okafor-community", output, layout, content=project))
    assert result.exit_code == 0, result.output
    assert phone.replace(" ", "") in PdfReader(output).pages[0].extract_text().replace(" ", "").replace("\n", "")
    image = pdfium.PdfDocument(output)[0].render(scale=SCALE).to_pil().convert("RGB")
    left, top, right_margin, bottom = header_box(layout)
    right = image.width - right_margin
    assert share(image, (left, 0, right, top - 2), (255, 255, 255)) == 1.0, "text above the header"
    below = (left, bottom + 2, right, bottom + int(GAP * SCALE) - 2)  # the gap before the title
    assert share(image, below, (255, 255, 255)) == 1.0, "text below the header"


@pytest.mark.parametrize(
    ("clinic", "logo_colours"),
    [
        ("riverside-family", ["#0B6E4F", "#78C8AA"]),  # PNG: dark green disc, light green bar
        ("costa-azul", ["#1D5FA8", "#7FC4F2"]),  # SVG: blue disc, light blue wave
    ],
)
def test_logo_is_drawn_on_a_white_tile_at_the_left_of_the_header(
    cli: Callable[..., Run], tmp_path: Path, clinic: str, logo_colours: list[str]
) -> None:
    image = render(cli, tmp_path, clinic)
    left, top, _, bottom = header_box("standard")
    height = bottom - top
    tile = (left + height // 6, top + height // 6, left + height * 2, bottom - height // 6)
    assert share(image, tile, (255, 255, 255)) > 0.25, "no white logo tile"
    for colour in logo_colours:
        assert share(image, tile, hex_rgb(colour)) > 0.01, f"logo colour {colour} not in the logo tile"


def test_a_clinic_without_logo_has_no_tile(cli: Callable[..., Run], tmp_path: Path) -> None:
    image = render(cli, tmp_path, "okafor-community")
    left, top, _, bottom = header_box("standard")
    height = bottom - top
    tile = (left + height // 6, top + height // 6, left + height * 2, bottom - height // 6)
    assert share(image, tile, (255, 255, 255)) < 0.2, "only the clinic's name may be white here"
    assert share(image, tile, hex_rgb("#14213D")) > 0.6


def test_dark_brand_colour_gets_white_header_text(cli: Callable[..., Run], tmp_path: Path) -> None:
    image = render(cli, tmp_path, "okafor-community")
    left, top, right_margin, bottom = header_box("standard")
    band = (left, top, image.width - right_margin, bottom)
    assert share(image, band, (255, 255, 255)) > 0.03, "clinic name and phone should be white on navy"


def test_light_header_text_is_dark_when_the_brand_colour_is_light(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    clinic = project.parent / "clinics" / "okafor-community.yaml"
    clinic.write_text(clinic.read_text().replace('primary: "#14213D"', 'primary: "#F2C94C"'))
    output = tmp_path / "light.pdf"
    result = cli(*build_args(TOPIC, "en", "okafor-community", output, content=project))
    assert result.exit_code == 0, result.output
    image = pdfium.PdfDocument(output)[0].render(scale=SCALE).to_pil().convert("RGB")
    left, top, right_margin, bottom = header_box("standard")
    band = (left, top, image.width - right_margin, bottom)
    assert share(image, band, (0x1A, 0x1A, 0x1A), 40) > 0.02
    assert share(image, band, (255, 255, 255)) < 0.01


def test_warning_box_is_pinned_above_the_footer_across_the_page(cli: Callable[..., Run], tmp_path: Path) -> None:
    image = render(cli, tmp_path, "riverside-family")
    warning_fill = hex_rgb(load_layout(PROJECT, "standard").layout.colors.warning_fill)
    rows = [y for y in range(image.height) if close(image.getpixel((image.width // 2, y)), warning_fill, 4)]
    assert rows, "no warning box across the middle of the page"
    assert min(rows) > image.height * 0.7, "the warning box should sit near the foot of the page"
    across = [
        y
        for y in rows
        if close(image.getpixel((image.width // 5, y)), warning_fill, 4)
        and close(image.getpixel((image.width * 4 // 5, y)), warning_fill, 4)
    ]
    assert len(across) > 10, "the warning box should span both columns"


@pytest.mark.parametrize("clinic", ["riverside-family", "costa-azul"])
def test_qr_code_opens_the_clinic_website(cli: Callable[..., Run], tmp_path: Path, clinic: str) -> None:
    image = render(cli, tmp_path, clinic)
    footer = image.crop((image.width * 3 // 4, image.height * 4 // 5, image.width, image.height))
    decoded = [result.text for result in zxingcpp.read_barcodes(footer)]
    assert decoded == [load_clinic(PROJECT, clinic).clinic.website]


@pytest.mark.parametrize("language", ["en", "ar", "hi", "zh-Hans"])
def test_a_body_laid_out_for_one_clinic_is_drawn_unchanged_for_the_next(
    project: Path, tmp_path: Path, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clinics with the same page size, colours and emergency number share the body's layout (as in
    a batch, which loads the content once): the second clinic's PDF must be byte for byte the one
    a fresh process makes."""
    add_twin(project, {"name": "Okafor Ñandú Clinic of Greater Millbrook County", "phone": "(740) 555-0199"})
    render_for = renderer(project, language)

    def made_for(clinic_id: str) -> bytes:
        return render_for(clinic_id).pdf

    made_for("okafor-community")
    compositions: list[object] = []
    monkeypatch.setattr(rendering, "Composer", lambda *a: compositions.append(a) or Composer(*a))
    redrawn: list[object] = []
    redraw = rendering._DrawnBody.drawOn
    monkeypatch.setattr(
        rendering._DrawnBody, "drawOn", lambda self, *a, **k: redrawn.append(self) or redraw(self, *a, **k)
    )
    cut: list[list[int]] = []
    cut_subset = TTFontFace.makeSubset
    monkeypatch.setattr(TTFontFace, "makeSubset", lambda face, subset: cut.append(subset) or cut_subset(face, subset))
    second = made_for("okafor-twin")
    assert compositions == [], "the twin clinic's body should come from the first clinic's layout"
    assert len(redrawn) == 1, "the twin clinic's body should be the first clinic's drawn operators"
    # The body's subsets come from the first clinic; only a few characters of the twin's own ("Ñ", "ú")
    # and its labels are new, in small subsets of their own.
    assert cut and all(len([code for code in subset if code]) < 40 for subset in cut), [len(s) for s in cut]

    fresh = tmp_path / "fresh.pdf"
    arguments = build_args(TOPIC, language, "okafor-twin", fresh, content=project)
    subprocess.run([sys.executable, "-m", "handout", *map(str, arguments)], check=True, capture_output=True)
    assert second == fresh.read_bytes()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_page_is_its_header_and_footer_then_its_body_which_clinics_share(project: Path, language: str) -> None:
    """The page's content is two streams, header and footer first. The body's is the same bytes for
    every clinic that shares the body, and the page without it (which thumbnails draw) keeps the
    header and footer and nothing of the body."""
    add_twin(project, {"name": "Okafor Twin Clinic", "phone": "(740) 555-0199"})
    render_for = renderer(project, language)
    first, twin = render_for("okafor-community").pdf, render_for("okafor-twin").pdf
    chrome, body = _streams(first)
    twin_chrome, twin_body = _streams(twin)
    assert body == twin_body and chrome != twin_chrome
    whole, alone = _text(twin), _text(rendering.without_body(twin))
    assert len(rendering.without_body(twin)) == len(twin)
    title = load_content(project).content.topics[0].documents[language].title
    for text in ("Okafor Twin Clinic", "(740) 555-0199"):
        assert text in alone and whole.index(text) < whole.index(title[:8])
    assert title[:8] not in alone and title[:8] in whole


def _streams(pdf: bytes) -> list[bytes]:
    contents = PdfReader(io.BytesIO(pdf)).pages[0]["/Contents"]
    return [stream.get_object()._data for stream in contents]


def _text(pdf: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
