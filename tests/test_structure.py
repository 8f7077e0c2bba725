"""A translation's structure against its source: what check reports and what build and batch warn about."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Run, build_args

from handout.resolve import load_content
from handout.structure import structure_differences


@pytest.mark.parametrize("language", ["es", "zh-Hans", "ko", "ar", "hi", "ja"])
def test_whichever_section_a_translation_lacks_is_the_one_named(language: str) -> None:
    """Several sections share a kind and counts of paragraphs and bullets: the missing one is still told apart."""
    topic = load_content(REPO / "content.yaml").content.topics[0]
    source, translated = topic.documents["en"], topic.documents[language]
    for index, section in enumerate(source.sections):
        sections = [*translated.sections[:index], *translated.sections[index + 1 :]]
        differences = list(structure_differences(source, translated.model_copy(update={"sections": sections}), "en"))
        assert [(d.severity, d.path) for d in differences] == [("error", ())], differences
        assert f"'{section.heading}' (section {index + 1} of the 'en' text) is missing" in differences[0].message


def test_build_warns_when_it_prints_a_translation_that_lacks_its_emergency_box(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    text = project.read_text(encoding="utf-8")
    start = text.index("\n      es:\n")
    warning = text.index("kind: warning", start)
    section_start = text.rindex("\n          - heading:", start, warning)
    section_end = warning + re.search(r"\n {0,10}\S", text[warning:]).start()  # type: ignore[union-attr]
    project.write_text(text[:section_start] + text[section_end:], encoding="utf-8")
    output = tmp_path / "es.pdf"
    result = cli(*build_args("muscle-calcification", "es", "costa-azul", output, content=project))
    assert result.exit_code == 0, result.output
    assert "differs from the 'en' text it was translated from" in result.stderr
    assert "the warning section (the emergency box)" in result.stderr
    english = cli(*build_args("muscle-calcification", "en", "costa-azul", tmp_path / "en.pdf", content=project))
    assert "translated from" not in english.stderr
    out = tmp_path / "out"
    batch = cli("batch", "--content", project, "--out", out, "--langs", "en,es", "--layouts", "standard")
    assert batch.exit_code == 0, batch.output
    said = [line for line in batch.stderr.splitlines() if "differs from the 'en' text" in line]
    assert len(said) == 1 and said[0].startswith("warning: ") and "(3 handouts, e.g. " in said[0]
    rows = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {row["language"] for row in rows if any("differs from" in w for w in row["warnings"])} == {"es"}
