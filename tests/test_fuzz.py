"""Fuzzing with hypothesis: any input ends in a valid one-page PDF or a clean user error, never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from handout.build import BuildRequest, build_handout
from handout.errors import HandoutError, InputError
from handout.loading import load_yaml
from handout.resolve import Project

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Letters, digits, punctuation, markup characters, accents, other scripts, emoji and invisible characters.
ALPHABET = st.characters(codec="utf-8", exclude_categories=["Cs"])
TEXT = st.text(ALPHABET, min_size=0, max_size=80)
PLAIN = st.text(st.sampled_from(list("abcdefghij klmnop.,;:!?<>&*{}'\"éñüß—–")), min_size=1, max_size=60)


def project_with(tmp_path: Path, content: object) -> Project:
    root = tmp_path / "p"
    if not root.exists():
        root.mkdir()
        shutil.copytree(REPO / "clinics", root / "clinics")
        shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "content.yaml").write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return Project.at(root / "content.yaml")


def document(title: str, summary: str, points: list[str], sections: list[dict[str, object]]) -> dict[str, object]:
    return {"title": title, "summary": summary, "key_points": points, "sections": sections}


section = st.fixed_dictionaries(
    {"heading": st.one_of(PLAIN, TEXT), "paragraphs": st.lists(st.one_of(PLAIN, TEXT), max_size=3)},
    optional={"bullets": st.lists(st.one_of(PLAIN, TEXT), max_size=4),
              "kind": st.sampled_from(["normal", "highlight", "warning", "other"])},
)  # fmt: skip


@FUZZ
@given(
    title=st.one_of(PLAIN, TEXT),
    summary=st.one_of(PLAIN, TEXT),
    points=st.lists(st.one_of(PLAIN, TEXT), min_size=2, max_size=6),
    sections=st.lists(section, min_size=0, max_size=6),
    layout=st.sampled_from(["standard", "large-print"]),
)
def test_generated_content_builds_or_fails_cleanly(tmp_path: Path, title: str, summary: str, points: list[str],
                                                   sections: list[dict[str, object]], layout: str) -> None:  # fmt: skip
    content = {
        "topics": [{
            "id": "fuzz", "codes": [{"code": "M61.9", "name": "Muscle"}],
            "review": {"last_reviewed": "2026-01-01", "next_review": "2027-01-01", "status": "approved"},
            "source_language": "en", "sources": [{"title": "Source", "url": "https://example.org/"}],
            "documents": {"en": document(title, summary, points, sections)},
        }]
    }  # fmt: skip
    project = project_with(tmp_path, content)
    target = tmp_path / "fuzz.pdf"
    target.unlink(missing_ok=True)  # hypothesis runs every example in the same tmp_path
    try:
        built = build_handout(project, BuildRequest("fuzz", "en", "riverside-family", layout, target))
    except HandoutError:
        assert not target.exists()
        return
    assert len(PdfReader(built.path, strict=True).pages) == 1


@FUZZ
@given(st.one_of(st.binary(max_size=400), st.text(ALPHABET, max_size=400)))
def test_the_loader_never_crashes(tmp_path: Path, data: bytes | str) -> None:
    path = tmp_path / "input.yaml"
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    try:
        load_yaml(path)
    except InputError as error:
        assert error.problems and all(p.file == path and p.line >= 1 for p in error.problems)
