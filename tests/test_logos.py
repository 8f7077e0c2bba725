"""Clinic logos in the PDF: a PNG is embedded once per document, at no more pixels than print needs."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
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
