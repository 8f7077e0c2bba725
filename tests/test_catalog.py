"""The staff catalog: thumbnails show the page; in a real headless browser the page loads cleanly,
the filter works and every link opens a PDF."""

from __future__ import annotations

import io
import json
import shutil
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pypdfium2 as pdfium
import pytest
from conftest import REPO, add_twin, renderer, run_cli
from PIL import Image, ImageChops
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from handout import catalog
from handout.batch import Result
from handout.cache import CACHE_FOLDER_VARIABLE
from handout.render import DrawingName, without_body

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.mark.parametrize("language", ["en", "ar", "zh-Hans"])
def test_a_thumbnail_that_reuses_a_shared_body_is_the_page_pixel_for_pixel(
    project: Path, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clinics that share a drawn body: the second's thumbnail takes the body's band from the
    first's and has pdfium draw only its own header and footer."""
    add_twin(project, {"name": "Okafor Twin Clinic", "phone": "(740) 555-0199"})
    made_for = renderer(project, language)
    first, second = made_for("okafor-community"), made_for("okafor-twin")
    assert first.body is not None and second.body == first.body
    assert whole_page(first.pdf) == catalog.thumbnail(first.pdf, first.body)
    opened: list[object] = []
    open_pdf = pdfium.PdfDocument
    monkeypatch.setattr(catalog.pdfium, "PdfDocument", lambda pdf: opened.append(pdf) or open_pdf(pdf))
    reused = catalog.thumbnail(second.pdf, second.body)
    assert opened == [without_body(second.pdf)], "only the header and the footer should be drawn"
    monkeypatch.undo()
    assert ImageChops.difference(reused, whole_page(second.pdf)).getbbox() is None
    assert ImageChops.difference(reused, whole_page(first.pdf)).getbbox() is not None, "the twin's own header"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_band_kept_by_one_run_gives_the_next_runs_first_thumbnail_of_the_drawing_pixel_for_pixel(
    project: Path, language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later run's first page of a drawing takes its band from the cache folder, if it was drawn from the
    same versions, and has pdfium draw only the header and footer; a band of other versions, or a damaged
    one, is drawn again."""
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(tmp_path))
    add_twin(project, {"name": "Okafor Twin Clinic", "phone": "(740) 555-0199"})
    made_for = renderer(project, language)
    first, second = made_for("okafor-community"), made_for("okafor-twin")
    assert first.body is not None and second.body is not None
    kept = DrawingName("a drawing", "document 1|layout 1|tool 1")
    monkeypatch.setattr(catalog, "_bands", OrderedDict())
    assert whole_page(first.pdf) == catalog.thumbnail(first.pdf, first.body, kept)
    (band,) = (tmp_path / "bands").iterdir()

    def drawn(picture: bytes, kept: DrawingName) -> list[bytes]:
        """What pdfium opened to draw the second clinic's thumbnail in a new run, whose pixels must be the page's."""
        band.write_bytes(picture)
        monkeypatch.setattr(catalog, "_bands", OrderedDict())  # as in a new process
        opened: list[bytes] = []
        open_pdf = pdfium.PdfDocument
        monkeypatch.setattr(catalog.pdfium, "PdfDocument", lambda pdf: opened.append(pdf) or open_pdf(pdf))
        thumbnail = catalog.thumbnail(second.pdf, second.body, kept)
        monkeypatch.setattr(catalog.pdfium, "PdfDocument", open_pdf)
        assert ImageChops.difference(thumbnail, whole_page(second.pdf)).getbbox() is None
        return opened

    kept_bytes = band.read_bytes()
    assert drawn(kept_bytes, kept) == [without_body(second.pdf)], "the band should come from the cache folder"
    assert drawn(kept_bytes, DrawingName("a drawing", "document 2|layout 1|tool 1")) == [second.pdf]
    drawn_from, picture = kept_bytes.split(b"\n", 1)
    shorter = io.BytesIO()
    Image.open(io.BytesIO(picture)).crop((0, 0, catalog.THUMBNAIL_WIDTH, 20)).save(shorter, format="PNG")
    for damaged in (b"", drawn_from, drawn_from + b"\n" + picture[:-30], drawn_from + b"\n" + shorter.getvalue()):
        opened = drawn(damaged, kept)
        assert opened[-1] == second.pdf, damaged[:60]
        assert band.read_bytes() == kept_bytes, "the damaged band should be kept again, as drawn"


def whole_page(pdf: bytes) -> Image.Image:
    page = pdfium.PdfDocument(pdf)[0]
    image: Image.Image = page.render(scale=catalog.THUMBNAIL_WIDTH / page.get_width()).to_pil()
    return image


@pytest.fixture(scope="module")
def catalog_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("catalog")
    result = run_cli("batch", "--content", REPO / "content.yaml", "--out", out, "--layouts", "standard",
                     "--jobs", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    return out / "index.html"


def _built(clinic: str) -> Result:
    path = f"{clinic}/en/muscle-calcification-standard.pdf"
    return Result(clinic, "en", "muscle-calcification", "standard", path, "built", title="Bone or calcium in a muscle",
                  clinic_name=clinic.title(), language_name="English")  # fmt: skip


def test_a_clinic_page_goes_when_none_of_its_handouts_is_listed_and_other_pages_stay(tmp_path: Path) -> None:
    topics = {"muscle-calcification": catalog.StaffTopic("Bone or calcium in a muscle", "en", ("ICD-10-CM M61.9",))}
    catalog.write_catalog(tmp_path, [_built("riverside"), _built("gone")], topics)
    assert (tmp_path / "gone" / "index.html").is_file()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html>another tool's page</html>", encoding="utf-8")
    catalog.write_catalog(tmp_path, [_built("riverside")], topics)
    assert not (tmp_path / "gone" / "index.html").exists()
    assert (tmp_path / "riverside" / "index.html").is_file()
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == "<html>another tool's page</html>"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    assert CHROMIUM and CHROMEDRIVER, "Debian's chromium and chromium-driver are needed: .ci/run installs them"
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def visible_items(browser: webdriver.Chrome) -> list[str]:
    return [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#handouts li") if item.is_displayed()]


def test_page_loads_without_console_errors(browser: webdriver.Chrome, catalog_page: Path) -> None:
    browser.get(catalog_page.as_uri())
    assert browser.title == "Patient handouts"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    images = browser.find_elements(By.CSS_SELECTOR, "#handouts img")
    assert images
    WebDriverWait(browser, 30).until(lambda _: all(shown(browser, image) for image in images[:6]))  # those on screen


def test_filter_narrows_the_list(browser: webdriver.Chrome, catalog_page: Path) -> None:
    browser.get(catalog_page.as_uri())
    everything = visible_items(browser)
    box = browser.find_element(By.ID, "filter")
    box.send_keys("spanish riverside")
    narrowed = visible_items(browser)
    assert 0 < len(narrowed) < len(everything)
    assert all("Riverside" in item for item in narrowed)
    assert browser.find_element(By.ID, "count").text.startswith(f"{len(narrowed)} of {len(everything)}")
    box.clear()
    box.send_keys("no such handout")
    assert visible_items(browser) == []


def test_the_filter_is_kept_in_the_address(browser: webdriver.Chrome, catalog_page: Path) -> None:
    """A front desk bookmarks its clinic's handouts: the page opens with the filter it was left with."""
    browser.get(catalog_page.as_uri())
    everything = visible_items(browser)
    browser.find_element(By.ID, "filter").send_keys("spanish riverside")
    assert browser.current_url.endswith("#spanish%20riverside")
    narrowed = visible_items(browser)
    browser.get(catalog_page.as_uri() + "#okafor")  # the address changed by hand: the filter follows it
    assert browser.find_element(By.ID, "filter").get_attribute("value") == "okafor"
    assert visible_items(browser) and all("Okafor" in item for item in visible_items(browser))
    browser.get(catalog_page.as_uri() + "#spanish%20riverside")
    browser.refresh()  # as a bookmark opens it
    assert browser.find_element(By.ID, "filter").get_attribute("value") == "spanish riverside"
    assert visible_items(browser) == narrowed and 0 < len(narrowed) < len(everything)
    browser.get(catalog_page.as_uri() + "#50%")  # typed by hand: not an escape, taken as it is
    assert browser.find_element(By.ID, "filter").get_attribute("value") == "50%"
    assert visible_items(browser) == []
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors


def shown(browser: webdriver.Chrome, image: WebElement) -> bool:
    """Whether the browser has loaded the picture."""
    return bool(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image))


def visible_headings(browser: webdriver.Chrome, level: str) -> list[str]:
    return [heading.text for heading in browser.find_elements(By.CSS_SELECTOR, f"#handouts {level}")
            if heading.is_displayed()]  # fmt: skip


def test_handouts_are_grouped_by_topic_and_language(browser: webdriver.Chrome, catalog_page: Path) -> None:
    """Staff find a topic by its title or code as they read them, then the patient's language by its name."""
    browser.get(catalog_page.as_uri())
    assert visible_headings(browser, "h2") == ["Bone or calcium in a muscle ICD-10-CM M61.9"]
    languages = visible_headings(browser, "h3")
    assert languages[:3] == ["Arabic · العربية", "Chinese (Simplified) · 中文 (简体)", "English"], languages
    staff_names = [name.split(" · ")[0] for name in languages]
    assert staff_names == sorted(staff_names, key=str.casefold)
    groups = browser.find_elements(By.CSS_SELECTOR, "#handouts section.language")
    for group in groups:  # every card sits under its own language's heading
        (heading,) = group.find_elements(By.TAG_NAME, "h3")
        cards = group.find_elements(By.CSS_SELECTOR, "li a")
        language = heading.get_attribute("data-language")
        assert cards and all(card.get_attribute("href").split("/")[-2] == language for card in cards)


def test_filter_hides_the_groups_it_empties(browser: webdriver.Chrome, catalog_page: Path) -> None:
    browser.get(catalog_page.as_uri())
    box = browser.find_element(By.ID, "filter")
    box.send_keys("arabic okafor")
    (card,) = visible_items(browser)
    assert "The Margaret and Samuel Okafor" in card and "standard" in card
    assert visible_headings(browser, "h3") == ["Arabic · العربية"]
    box.clear()
    box.send_keys("bone arabic")  # by the topic's title as staff read it
    assert len(visible_items(browser)) == 2 and visible_headings(browser, "h3") == ["Arabic · العربية"]
    box.clear()
    box.send_keys("M61.9 riverside")  # by the topic's code
    found = visible_items(browser)
    assert found and all("Riverside" in card for card in found)
    assert len(visible_headings(browser, "h3")) == len(found) > 1
    box.clear()
    box.send_keys("no such handout")
    assert visible_headings(browser, "h2") == visible_headings(browser, "h3") == []


def test_each_clinic_has_a_page_of_its_own(browser: webdriver.Chrome, catalog_page: Path) -> None:
    """A front desk bookmarks a page of its clinic's handouts alone, which opens at once however many
    clinics the health system has; it leads back to the page of every clinic's."""
    browser.get(catalog_page.as_uri())
    browser.find_element(By.CSS_SELECTOR, "nav summary").click()  # a health system's thousands are folded away
    links = browser.find_elements(By.CSS_SELECTOR, "nav a")
    pages = {link.text: link.get_attribute("href") for link in links}
    rows = json.loads((catalog_page.parent / "manifest.json").read_text(encoding="utf-8"))
    names = {row["clinic_name"]: row["clinic"] for row in rows}
    assert list(pages) == sorted(names, key=str.casefold)
    for name, page in pages.items():
        assert page is not None
        browser.get(page)
        assert browser.title == f"Patient handouts: {name}"
        folder = catalog_page.parent / names[name]
        assert Path(unquote(urlparse(page).path)) == folder / "index.html"
        built = sorted(row["path"] for row in rows if row["clinic"] == names[name])
        cards = visible_items(browser)
        assert len(cards) == len(built) and all(name in card for card in cards)
        hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, "#handouts a")]
        paths = sorted(Path(unquote(urlparse(href).path)) for href in hrefs)
        assert paths == [catalog_page.parent / path for path in built] and all(path.is_file() for path in paths)
        images = browser.find_elements(By.CSS_SELECTOR, "#handouts img")
        sources = [Path(unquote(urlparse(image.get_attribute("src") or "").path)) for image in images]
        assert sorted(sources) == [catalog_page.parent / catalog.thumbnail_path(path) for path in built]
        assert all(source.is_file() for source in sources)
        # Thumbnails load lazily: the first, on screen, shows that the browser finds them from this folder.
        WebDriverWait(browser, 30).until(lambda _, first=images[0]: shown(browser, first))
        errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
        browser.find_element(By.LINK_TEXT, "Every clinic's handouts").click()
        assert browser.current_url == catalog_page.as_uri()


def test_every_link_opens_an_existing_pdf(browser: webdriver.Chrome, catalog_page: Path) -> None:
    browser.get(catalog_page.as_uri())
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#handouts a")]
    assert links
    for link in links:
        assert link is not None
        path = Path(unquote(urlparse(link).path))
        assert path.suffix == ".pdf" and path.is_file(), link
        assert path.is_relative_to(catalog_page.parent)
