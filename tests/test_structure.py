"""A translation's structure against its source: what check reports, what build and batch refuse or warn about."""

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


def without_the_spanish_emergency_box(project: Path, language: str = "es") -> None:
    text = project.read_text(encoding="utf-8")
    start = text.index(f"\n      {language}:\n")
    warning = text.index("kind: warning", start)
    section_start = text.rindex("\n          - heading:", start, warning)
    section_end = warning + re.search(r"\n {0,10}\S", text[warning:]).start()  # type: ignore[union-attr]
    project.write_text(text[:section_start] + text[section_end:], encoding="utf-8")


def spanish_document_line(project: Path) -> int:
    """The line of the key 'es:' that starts the Spanish document."""
    text = project.read_text(encoding="utf-8")
    return text[: text.index("\n      es:\n")].count("\n") + 2


def test_a_translation_that_lacks_its_emergency_box_is_not_printed(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """The emergency box tells the patient when to call for help: build refuses, batch fails those handouts."""
    without_the_spanish_emergency_box(project)
    output = tmp_path / "es.pdf"
    result = cli(*build_args("muscle-calcification", "es", "costa-azul", output, content=project))
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert f"{project}:{spanish_document_line(project)}:" in result.stderr
    assert "is not printed without its emergency box" in result.stderr
    assert "the warning section (the emergency box)" in result.stderr and "is missing: translate it" in result.stderr
    assert not output.exists()
    english = cli(*build_args("muscle-calcification", "en", "costa-azul", tmp_path / "en.pdf", content=project))
    assert english.exit_code == 0 and "translated from" not in english.stderr
    out = tmp_path / "out"
    batch = cli("batch", "--content", project, "--out", out, "--langs", "en,es", "--layouts", "standard")
    assert batch.exit_code == 1, batch.output
    rows = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {(row["language"], row["status"]) for row in rows} == {("en", "built"), ("es", "failed")}
    assert all("emergency box" in row["error"] for row in rows if row["language"] == "es")
    assert not list(out.glob("*/es/*.pdf"))


def test_an_emergency_box_made_an_ordinary_section_is_not_printed(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    text = project.read_text(encoding="utf-8")
    start = text.index("\n      es:\n")
    warning = text.index("kind: warning", start)
    project.write_text(text[:warning] + "kind: normal" + text[warning + len("kind: warning") :], encoding="utf-8")
    line = project.read_text(encoding="utf-8")[:warning].count("\n")  # the line of the section's first key
    result = cli(*build_args("muscle-calcification", "es", "costa-azul", tmp_path / "es.pdf", content=project))
    assert result.exit_code == 2, result.output
    assert "is not printed without its emergency box" in result.stderr
    assert "is a 'normal' section and section" in result.stderr and "a 'warning' section" in result.stderr
    assert re.search(rf"{re.escape(str(project))}:{line}:", result.stderr), (line, result.stderr)


def test_build_and_batch_warn_when_they_print_a_translation_that_lacks_a_bullet(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    text = project.read_text(encoding="utf-8")
    start = text.index("\n      es:\n")
    bullets = text.index("bullets:\n", start) + len("bullets:\n")
    first_bullet_end = text.index("\n", bullets) + 1
    project.write_text(text[:bullets] + text[first_bullet_end:], encoding="utf-8")
    result = cli(*build_args("muscle-calcification", "es", "costa-azul", tmp_path / "es.pdf", content=project))
    assert result.exit_code == 0, result.output
    assert "differs from the 'en' text it was translated from" in result.stderr and "bullets" in result.stderr
    english = cli(*build_args("muscle-calcification", "en", "costa-azul", tmp_path / "en.pdf", content=project))
    assert "translated from" not in english.stderr
    out = tmp_path / "out"
    batch = cli("batch", "--content", project, "--out", out, "--langs", "en,es", "--layouts", "standard")
    assert batch.exit_code == 0, batch.output
    said = [line for line in batch.stderr.splitlines() if "differs from the 'en' text" in line]
    assert len(said) == 1 and said[0].startswith("warning: ") and "(3 handouts, e.g. " in said[0]
    rows = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {row["language"] for row in rows if any("differs from" in w for w in row["warnings"])} == {"es"}


def test_a_translation_of_a_translation_that_lost_its_emergency_box_is_not_printed_either(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """Portuguese made from the Spanish text, which lost its box, and lost it too: compared with the English
    source, not only with the Spanish text it matches."""
    without_the_spanish_emergency_box(project, "es")
    without_the_spanish_emergency_box(project, "pt")
    text = project.read_text(encoding="utf-8")
    pt = text.index("\n      pt:\n")
    project.write_text(text[:pt] + text[pt:].replace("from_language: en", "from_language: es", 1), encoding="utf-8")
    result = cli(*build_args("muscle-calcification", "pt", "costa-azul", tmp_path / "pt.pdf", content=project))
    assert result.exit_code == 2 and "is not printed without its emergency box" in result.stderr, result.output
    assert "(section 9 of the 'en' text) is missing" in result.stderr
    findings = json.loads(cli("check", "--content", project, "--format", "json").stdout)
    boxes = [f for f in findings if "When do I need help right away?" in f["message"]]
    assert {(f["language"], f["severity"], f["check"]) for f in boxes} == {("es", "error", "translation"),
                                                                           ("pt", "error", "translation")}  # fmt: skip
    assert len(boxes) == 2


def test_an_emergency_box_swapped_with_another_section_is_not_printed(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """As many warning sections as the source, but the emergency box made a highlighted one and another
    section made the warning: the box's text would not be in the box."""
    text = project.read_text(encoding="utf-8")
    start = text.index("\n      fr:\n")
    warning = text.index("kind: warning", start)
    text = text[:warning] + "kind: highlight" + text[warning + len("kind: warning") :]
    first_heading = text.index("- heading:", start)
    line_end = text.index("\n", first_heading)
    indent = " " * (first_heading - text.rindex("\n", 0, first_heading) - 1 + 2)
    project.write_text(text[:line_end] + f"\n{indent}kind: warning" + text[line_end:], encoding="utf-8")
    result = cli(*build_args("muscle-calcification", "fr", "costa-azul", tmp_path / "fr.pdf", content=project))
    assert result.exit_code == 2 and "is not printed without its emergency box" in result.stderr, result.output
