"""`handout check`: stale and unreviewed translations, reviews, languages clinics offer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import REPO, Run


def findings(cli: Callable[..., Run], project: Path, *options: str) -> tuple[int, list[dict[str, object]]]:
    result = cli("check", "--content", project, "--format", "json", *options)
    return result.exit_code, json.loads(result.stdout)


def test_shipped_content_passes_strict(cli: Callable[..., Run]) -> None:
    result = cli("check", "--content", REPO / "content.yaml", "--strict")
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.stdout


def test_unreviewed_translations_are_listed_and_fail_only_when_required(cli: Callable[..., Run],
                                                                       project: Path) -> None:  # fmt: skip
    code, found = findings(cli, project)
    unreviewed = [f for f in found if "not yet checked by a qualified translator" in str(f["message"])]
    assert {f["language"] for f in unreviewed} >= {"es"}
    assert code == 0 and all(f["severity"] == "info" for f in unreviewed)
    code, found = findings(cli, project, "--require-reviewed")
    assert code == 1 and any(f["severity"] == "error" and f["language"] == "es" for f in found)


def test_a_changed_source_makes_translations_stale(cli: Callable[..., Run], project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("        title: Bone or calcium in a muscle", "        title: Bone in a muscle"))
    code, found = findings(cli, project)
    stale = [f for f in found if str(f["message"]).startswith("stale")]
    assert code == 1
    assert {f["language"] for f in stale} == set(load_languages(project)) - {"en"}
    line = next(n for n, row in enumerate(project.read_text().splitlines(), 1) if "source_version:" in row)
    assert any(f["line"] == line for f in stale)


def load_languages(project: Path) -> list[str]:
    from handout.resolve import load_content

    return list(load_content(project).content.topics[0].documents)


def test_overdue_and_soon_due_reviews(cli: Callable[..., Run], project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("next_review: 2028-11-25", "next_review: 2026-11-26"))
    code, found = findings(cli, project)
    assert code == 0 and any(f["check"] == "review" and f["severity"] == "warning" for f in found)
    assert cli("check", "--content", project, "--strict").exit_code == 1
    project.write_text(text.replace("last_reviewed: 2026-11-25", "last_reviewed: 2020-01-01").replace(
        "next_review: 2028-11-25", "next_review: 2022-01-01"))  # fmt: skip
    code, found = findings(cli, project)
    assert code == 1 and any(f["check"] == "review" and f["severity"] == "error" for f in found)


def test_a_language_a_clinic_offers_without_a_document_is_an_error(cli: Callable[..., Run], project: Path) -> None:
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    clinic.write_text(clinic.read_text().replace("languages: [", "languages: [sv, "))
    code, found = findings(cli, project)
    assert code == 1
    (missing,) = [f for f in found if f["language"] == "sv"]
    assert missing["file"] == str(clinic) and missing["line"] > 1


def test_text_output_is_a_table(cli: Callable[..., Run]) -> None:
    result = cli("check", "--content", REPO / "content.yaml")
    assert result.stdout.splitlines()[0].split()[:3] == ["severity", "check", "topic"]
