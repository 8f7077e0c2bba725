"""The header's text: the clinic's name at the largest size that fits, the address only if it fits too."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
import zxingcpp
from conftest import REPO, Run, build_args
from PIL import Image
from pypdf import PdfReader
from reportlab.platypus import Flowable

from handout.page import MIN_NAME_SIZE, SEPARATOR, SMALLEST_TEXT, Page, qr_modules
from handout.resolve import Project, assemble, load_clinic, load_content, load_layout

TOPIC = "muscle-calcification"
NAMES = [
    "Okafor",
    "Okafor Community Health Center",
    "The Margaret and Samuel Okafor Community Health and Wellness Center of Greater Millbrook County",
    "The Margaret and Samuel Okafor Community Health and Wellness Center of Greater Millbrook County, "
    "Family Medicine, Pediatrics, Women's Health, Behavioral Health, Dental Care and Vision Services Annex",
]


def stack(blocks: list[Flowable], width: float) -> float:
    return sum(float(block.wrap(width, 1e6)[1]) for block in blocks)


def size_and_blocks(page: Page, size: float, with_address: bool) -> list[Flowable]:
    """The header's name blocks at ``size``, made the way a page makes them, by a page for that size."""
    clinic = page.clinic
    name_style = page.text.style("name", bold=True, fontSize=size, leading=size * 1.15)
    detail = max(size * 0.7, SMALLEST_TEXT)
    small = page.text.style("detail", fontSize=detail, leading=detail * 1.2)
    system = page.handout.labels("Part of {health_system}", health_system=clinic.health_system)
    details = SEPARATOR.join(part for part in (system, ", ".join(clinic.address) if with_address else "") if part)
    return [page.text.paragraph([(clinic.name, True)], name_style, data=True),
            page.text.paragraph([(details, False)], small)]  # fmt: skip


@pytest.mark.parametrize("layout", ["standard", "large-print"])
@pytest.mark.parametrize("language", ["en", "ar", "zh-Hans"])
def test_the_name_gets_the_largest_size_that_fits_and_keeps_the_address_if_it_can(
    project: Path, layout: str, language: str
) -> None:
    clinics = project.parent / "clinics"
    okafor = yaml.safe_load((clinics / "okafor-community.yaml").read_text(encoding="utf-8"))
    scratch = Project.at(project)
    content, shape = load_content(scratch.content_path), load_layout(scratch, layout)
    addresses_kept = []
    for index, name in enumerate(NAMES):
        (clinics / f"named-{index}.yaml").write_text(yaml.safe_dump(dict(okafor, name=name)), encoding="utf-8")
        page = Page(assemble(content, load_clinic(scratch, f"named-{index}"), shape, TOPIC, language))
        addresses_kept.append(assert_largest_that_fits(page))
    assert addresses_kept[0], "a short name keeps the address beside it"
    assert layout == "large-print" or not addresses_kept[-1], "the longest name leaves no room for the address"


def assert_largest_that_fits(page: Page) -> bool:
    """Check the name's size and address against every size tried afresh; return whether the address stays."""
    size, with_address, _ = page._name_layout
    left, right = page._name_box
    room = page.layout.header_height - 2 * page._header_pad
    largest = page.layout.type.header * 1.25

    def fits(at: float, address: bool) -> bool:
        return stack(size_and_blocks(page, at, address), right - left) <= room

    name = page.clinic.name
    assert fits(size, with_address), name
    assert size == largest or not fits(size + 0.5, with_address), f"{name}: {size + 0.5} fits too"
    # The address goes to the footer only when the name cannot keep MIN_NAME_SIZE beside it.
    assert with_address == any(fits(MIN_NAME_SIZE + k / 2, True) for k in range(int((largest - MIN_NAME_SIZE) * 2) + 1))
    assert page.address_in_header == with_address and page.header_fits
    return with_address


def test_a_name_fitted_in_one_language_is_fitted_right_in_the_next(project: Path) -> None:
    # The size found beside one language's "Questions? Call" is the first guess in the next language of the
    # same font, whose label is wider or narrower: each must still get the largest size that fits there.
    clinics = project.parent / "clinics"
    okafor = yaml.safe_load((clinics / "okafor-community.yaml").read_text(encoding="utf-8"))
    (clinics / "named.yaml").write_text(yaml.safe_dump(dict(okafor, name=NAMES[1])), encoding="utf-8")
    scratch = Project.at(project)
    content, shape, clinic = (
        load_content(scratch.content_path),
        load_layout(scratch, "standard"),
        load_clinic(scratch, "named"),
    )
    widths, sizes = set(), []
    for language in ["en", "es", "vi", "tl", "ru", "fr", "pt", "ht", "pl", "hi"]:
        page = Page(assemble(content, clinic, shape, TOPIC, language))
        assert_largest_that_fits(page)
        widths.add(round(page._name_box[1] - page._name_box[0], 1))
        sizes.append(page._name_layout[0])
    assert len(widths) > 3 and len(set(sizes)) > 2, "the labels differ in width, and the name in size"


def test_the_shipped_clinics_fit_their_headers() -> None:
    project = Project.at(REPO / "content.yaml")
    content = load_content(project.content_path)
    for clinic_id in project.clinic_ids():
        for layout in project.layout_names():
            page = Page(assemble(content, load_clinic(project, clinic_id), load_layout(project, layout), TOPIC, "en"))
            assert page.header_fits, (clinic_id, layout)


@pytest.mark.parametrize("layout", ["standard", "large-print"])
def test_the_longest_name_and_phone_a_clinic_file_allows_fit_the_header(project: Path, layout: str) -> None:
    """A clinic file that passes validation never meets 'does not fit in the header' with a shipped layout."""
    clinics = project.parent / "clinics"
    riverside = yaml.safe_load((clinics / "riverside-family.yaml").read_text(encoding="utf-8"))
    longest = dict(riverside, name=("Community Health and Wellness Center " * 6)[:199].strip(),
                   phone="+1 (800) 555-0199 555 555 5555")  # fmt: skip
    (clinics / "longest.yaml").write_text(yaml.safe_dump(longest), encoding="utf-8")
    shutil.copytree(clinics / "riverside-family", clinics / "longest")
    scratch = Project.at(project)
    content, shape = load_content(scratch.content_path), load_layout(scratch, layout)
    for language in ["en", "ar", "zh-Hans", "hi", "ru"]:
        assert Page(assemble(content, load_clinic(scratch, "longest"), shape, TOPIC, language)).header_fits, language


def test_the_footer_names_the_clinic_unless_the_name_would_take_a_line_more(project: Path) -> None:
    """The header prints the name large; repeated in the footer, a long one would take the body's room."""
    clinics = project.parent / "clinics"
    riverside = yaml.safe_load((clinics / "riverside-family.yaml").read_text(encoding="utf-8"))
    scratch = Project.at(project)
    content, shape = load_content(scratch.content_path), load_layout(scratch, "standard")
    footers = {}
    for index, name in enumerate(NAMES[:3]):
        (clinics / f"named-{index}.yaml").write_text(yaml.safe_dump(dict(riverside, name=name)), encoding="utf-8")
        shutil.copytree(clinics / "riverside-family", clinics / f"named-{index}")
        page = Page(assemble(content, load_clinic(scratch, f"named-{index}"), shape, TOPIC, "en"))
        contact = page.footer_paragraphs[0]
        footers[name] = (contact.getPlainText(), stack([contact], page.footer_text_width))
    (short_text, short_height), _, (long_text, long_height) = footers.values()
    assert short_text.startswith(NAMES[0]) and riverside["phone"] in short_text
    assert not long_text.startswith(NAMES[2][:20]) and long_text.startswith(riverside["phone"])
    assert long_height == short_height, "the contact line keeps to one line"


def test_no_header_text_is_printed_smaller_than_7_points(cli: Callable[..., Run], project: Path,
                                                        tmp_path: Path) -> None:  # fmt: skip
    """A long name and health system shrink to 7 points and no further: below that a patient cannot read them."""
    clinic = project.parent / "clinics" / "okafor-community.yaml"
    data = yaml.safe_load(clinic.read_text(encoding="utf-8"))
    data["name"], data["health_system"] = (
        NAMES[2],
        "Greater Metropolitan Regional Community Health and Hospital "
        "Services Cooperative Network of the Northern Counties and Surrounding Rural Districts Including the Lakes",
    )
    clinic.write_text(yaml.safe_dump(data), encoding="utf-8")
    output = tmp_path / "long.pdf"
    result = cli(*build_args(TOPIC, "en", "okafor-community", output, content=project))
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert "header" in result.stderr and not output.exists()
        return
    sizes: set[float] = set()
    PdfReader(output).pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: sizes.add(round(size * tm[0], 1)) if text.strip() else None
    )
    assert min(sizes) == SMALLEST_TEXT


def test_a_layout_with_the_smallest_header_and_footer_prints_nothing_smaller_than_7_points(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """The phone label is printed smaller than the header size: it too stops at 7 points."""
    layout = project.parent / "layouts" / "standard.yaml"
    layout.write_text(layout.read_text(encoding="utf-8").replace("  header: 12", "  header: 7")
                      .replace("  footer: 8", "  footer: 7"), encoding="utf-8")  # fmt: skip
    output = tmp_path / "small.pdf"
    result = cli(*build_args(TOPIC, "en", "riverside-family", output, content=project))
    assert result.exit_code == 0, result.output
    sizes: dict[str, float] = {}
    PdfReader(output).pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: (
            sizes.setdefault(text.strip(), round(size * tm[0], 2)) if text.strip() else None
        )
    )
    assert min(sizes.values()) == SMALLEST_TEXT, sorted(sizes.items(), key=lambda item: item[1])[:5]


@pytest.mark.parametrize(
    "url",
    [
        "https://riverside.example.org/handouts",
        "https://costa-azul.example.org",
        "https://www.example-health-system.org/locations/okafor-community-clinic/patient-education?lang=es",
        "https://example.org/" + "clinica-ñandú/" * 12,  # UTF-8, a larger symbol
    ],
)
def test_qr_modules_read_back_as_the_url(url: str) -> None:
    modules = qr_modules(url)
    size = len(modules)
    assert size >= 21 and (size - 17) % 4 == 0 and all(len(row) == size for row in modules)
    scale, quiet = 4, 4
    picture = Image.new("L", ((size + 2 * quiet) * scale,) * 2, 255)
    for row, cells in enumerate(modules):
        for column, dark in enumerate(cells):
            if dark:
                left, top = (column + quiet) * scale, (row + quiet) * scale
                picture.paste(0, (left, top, left + scale, top + scale))
    assert [code.text for code in zxingcpp.read_barcodes(picture)] == [url]
