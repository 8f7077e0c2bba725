"""How the staff pages of a large health system open in a browser.

    .venv/bin/python benchmarks/bench_catalog.py [--clinics 1000] [--rounds 3]

Writes the catalog of N clinics, each offering every shipped language of the first topic in every
layout (no PDFs: the pages and their links are what is timed), and times in headless Chromium
(Debian's chromium and chromedriver, as the tests use):
- opening index.html, and opening it filtered to one clinic (a bookmark of index.html#clinic);
- clearing the filter of the page filtered to one clinic;
- opening one clinic's own page.
Each is a fresh browser; the medians of the rounds are shown.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from handout.batch import Result
from handout.catalog import staff_topics, write_catalog
from handout.inline import plain
from handout.locales import labels_for
from handout.resolve import load_content

REPO = Path(__file__).resolve().parent.parent


def write_pages(out: Path, clinics: int) -> int:
    """The catalog of ``clinics`` clinics; the number of handouts it lists."""
    content = load_content(REPO / "content.yaml").content
    topic = content.topics[0]
    layouts = sorted(path.stem for path in (REPO / "layouts").glob("*.yaml"))
    entries = []
    for number in range(clinics):
        clinic = f"clinic-{number + 1:04d}"
        for language, document in topic.documents.items():
            for layout in layouts:
                path = f"{clinic}/{language}/{topic.id}-{layout}.pdf"
                title, own_name = plain(document.title, {}), labels_for(language).language_name(language)
                entries.append(Result(clinic, language, topic.id, layout, path, "built", title=title,
                                      clinic_name=f"Clinic {number + 1}", language_name=own_name))  # fmt: skip
    write_catalog(out, entries, staff_topics(content.topics))
    return len(entries)


def _browser() -> webdriver.Chrome:
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and chromedriver, "Debian's chromium and chromium-driver are needed: `make browser`"
    options = Options()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def opening(url: str) -> float:
    """Seconds from asking for the page until its load event, in a fresh browser."""
    browser = _browser()
    try:
        browser.get(url)
        return float(browser.execute_script("return performance.getEntriesByType('navigation')[0].loadEventEnd")) / 1000
    finally:
        browser.quit()


def clearing_the_filter(url: str) -> float:
    """Seconds to show every handout again on a page opened filtered, laid out."""
    browser = _browser()
    try:
        browser.get(url)
        script = """const start = performance.now(); const box = document.getElementById("filter");
                    box.value = ""; box.dispatchEvent(new Event("input")); document.body.offsetHeight;
                    return performance.now() - start;"""
        return float(browser.execute_script(script)) / 1000
    finally:
        browser.quit()


def median_of(rounds: int, measure: Callable[[], float]) -> str:
    times = [measure() for _ in range(rounds)]
    return f"{statistics.median(times):6.2f} s  [{' '.join(f'{t:.2f}' for t in times)}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clinics", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        started = time.perf_counter()
        handouts = write_pages(out, arguments.clinics)
        written = time.perf_counter() - started
        size = (out / "index.html").stat().st_size / 1e6
        print(f"{arguments.clinics} clinics, {handouts} handouts: index.html {size:.1f} MB, "
              f"all pages written in {written:.2f} s")  # fmt: skip
        everything, one = (out / "index.html").as_uri(), (out / "clinic-0017" / "index.html").as_uri()
        filtered = everything + "#clinic-0017"
        rounds = arguments.rounds
        print(f"open index.html:             {median_of(rounds, lambda: opening(everything))}")
        print(f"open index.html#clinic-0017: {median_of(rounds, lambda: opening(filtered))}")
        print(f"then clear the filter:       {median_of(rounds, lambda: clearing_the_filter(filtered))}")
        print(f"open clinic-0017/index.html: {median_of(rounds, lambda: opening(one))}")


if __name__ == "__main__":
    main()
