"""Font embedding: the body's font subsets are the same bytes for every clinic, and what is kept is bounded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import build_args
from pypdf import PdfReader

from handout.embedding import Kept

TOPIC = "muscle-calcification"


def font_programs(pdf: Path) -> dict[str, bytes]:
    """Each embedded font subset's program, by its PDF name (subset tag + font name)."""
    fonts = PdfReader(pdf).pages[0]["/Resources"]["/Font"]
    programs = {}
    for resource, font in fonts.items():
        font = font.get_object()
        descriptor = font["/FontDescriptor"].get_object()
        programs[f"{resource} {font['/BaseFont']}"] = descriptor["/FontFile2"].get_object().get_data()
    return programs


def test_the_body_s_subsets_are_the_same_bytes_for_clinics_with_other_names_colours_and_footers(
    tmp_path: Path,
) -> None:
    """Costa Azul's address ("Marítimo", "Málaga") has letters that the English body does not: they go
    to subsets of their own. (In right-to-left text the characters are met in each line's visual order,
    so there it takes the same body size, too: see test_render.)"""
    language, clinics = "en", ("riverside-family", "costa-azul")
    programs = []
    for clinic in clinics:
        output = tmp_path / f"{clinic}.pdf"
        arguments = build_args(TOPIC, language, clinic, output)
        subprocess.run([sys.executable, "-m", "handout", *map(str, arguments)], check=True, capture_output=True)
        programs.append(font_programs(output))
    first, second = programs
    shared = [name for name in first if name in second and first[name] == second[name]]
    # Riverside's header and footer need no letter that the body lacks; Costa Azul's need two more,
    # which come in a small subset of their own.
    assert shared == list(first) and len(second) == len(first) + 1, (list(first), list(second))
    extra = [program for name, program in second.items() if name not in shared]
    assert len(extra[0]) < min(map(len, first.values())) / 2


def test_kept_bytes_stay_within_the_limit_and_the_newest_are_kept() -> None:
    kept = Kept(limit=100)
    made: list[str] = []

    def maker(name: str, size: int) -> bytes:
        return made.append(name) or b"x" * size  # type: ignore[func-returns-value]

    kept.get("a", lambda: maker("a", 40))
    kept.get("b", lambda: maker("b", 40))
    assert kept.get("a", lambda: maker("a again", 40)) == b"x" * 40  # a hit, and now the newest
    kept.get("c", lambda: maker("c", 40))  # over the limit: b, the least recently used, goes
    assert made == ["a", "b", "c"] and kept.size <= 100
    kept.get("b", lambda: maker("b again", 40))
    assert made[-1] == "b again"
    kept.get("huge", lambda: maker("huge", 500))  # bigger than the limit: kept alone, until the next
    assert list(kept.items) == ["huge"]
