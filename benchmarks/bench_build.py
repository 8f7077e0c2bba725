"""Time one handout: as a fresh `handout build` process, and in-process per handout with a breakdown.

Run with `make benchmark` (or `.venv/bin/python benchmarks/bench_build.py`). Prints a table;
no thresholds: the numbers are for the release notes and for spotting regressions.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from handout.fit import fit
from handout.page import Page
from handout.render import render
from handout.resolve import Project, resolve
from handout.verify import verify

REPO = Path(__file__).resolve().parent.parent
TOPIC = "muscle-calcification"
CASES = [
    ("en", "riverside-family", "standard"),
    ("es", "costa-azul", "standard"),
    ("en", "okafor-community", "large-print"),
]


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def row(name: str, times: list[float]) -> str:
    return f"{name:<44} median {statistics.median(times):8.1f} ms   min {min(times):8.1f} ms   n={len(times)}"


def cold_process(repeat: int) -> list[float]:
    handout = Path(sys.executable).with_name("handout")
    with tempfile.TemporaryDirectory() as folder:
        command = [
            str(handout),
            "build",
            "--topic",
            TOPIC,
            "--lang",
            "en",
            "--clinic",
            "riverside-family",
            "--content",
            str(REPO / "content.yaml"),
            "-o",
            f"{folder}/h.pdf",
        ]
        return timed(lambda: subprocess.run(command, check=True, capture_output=True), repeat)


def in_process(language: str, clinic: str, layout: str, repeat: int) -> dict[str, list[float]]:
    project = Project.at(REPO / "content.yaml")
    stages: dict[str, list[float]] = {"resolve": [], "fit": [], "render": [], "verify": [], "total": []}
    for _ in range(repeat):
        start = time.perf_counter()
        handout = resolve(project, TOPIC, language, clinic, layout)
        t1 = time.perf_counter()
        page = Page(handout)
        size = fit(page).body_size
        t2 = time.perf_counter()
        pdf = render(page, size).pdf
        t3 = time.perf_counter()
        verify(pdf)
        t4 = time.perf_counter()
        for name, (a, b) in {
            "resolve": (start, t1),
            "fit": (t1, t2),
            "render": (t2, t3),
            "verify": (t3, t4),
            "total": (start, t4),
        }.items():
            stages[name].append((b - a) * 1000)
    return stages


def main() -> None:
    print(row("handout build, fresh process (en, Letter)", cold_process(10)))
    for language, clinic, layout in CASES:
        in_process(language, clinic, layout, 3)  # warm up: fonts registered, caches filled
        stages = in_process(language, clinic, layout, 30)
        print(f"in-process, {language} / {clinic} / {layout}:")
        for name, times in stages.items():
            print("  " + row(name, times))


if __name__ == "__main__":
    main()
