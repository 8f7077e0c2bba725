"""The staff catalog in a real headless browser: loads cleanly, the filter works, every link opens a PDF."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import REPO, run_cli
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("catalog")
    result = run_cli("batch", "--content", REPO / "content.yaml", "--out", out, "--layouts", "standard",
                     "--jobs", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    return out / "index.html"


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


def test_page_loads_without_console_errors(browser: webdriver.Chrome, catalog: Path) -> None:
    browser.get(catalog.as_uri())
    assert browser.title == "Patient handouts"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    images = browser.find_elements(By.CSS_SELECTOR, "#handouts img")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    assert images and all(browser.execute_script("return arguments[0].naturalWidth", i) > 0 for i in images[:6])


def test_filter_narrows_the_list(browser: webdriver.Chrome, catalog: Path) -> None:
    browser.get(catalog.as_uri())
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


def test_every_link_opens_an_existing_pdf(browser: webdriver.Chrome, catalog: Path) -> None:
    browser.get(catalog.as_uri())
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#handouts a")]
    assert links
    for link in links:
        assert link is not None
        path = Path(unquote(urlparse(link).path))
        assert path.suffix == ".pdf" and path.is_file(), link
        assert path.is_relative_to(catalog.parent)
