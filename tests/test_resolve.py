"""Loading the content for a batch: a document with problems is left out, with them, and the rest is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from handout.errors import InputError
from handout.resolve import ALL_LANGUAGES, load_content_leniently


def _two_topics(tmp_path: Path, edit: str = "") -> Path:
    text = (REPO / "content.yaml").read_text(encoding="utf-8")
    topic = text[text.index("  - id: muscle-calcification") :]
    path = tmp_path / "content.yaml"
    path.write_text(text + topic.replace("id: muscle-calcification", "id: second-topic", 1) + edit, encoding="utf-8")
    return path


def _insert_after(path: Path, line: str, occurrence: int, new: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = [i for i, text in enumerate(lines) if text == line][occurrence] + 1
    lines.insert(at, new)
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


def test_valid_content_has_no_failing_documents(tmp_path: Path) -> None:
    content, failing = load_content_leniently(_two_topics(tmp_path))
    assert [topic.id for topic in content.content.topics] == ["muscle-calcification", "second-topic"]
    assert failing == {}


def test_a_translation_with_a_problem_is_left_out_alone(tmp_path: Path) -> None:
    path = _two_topics(tmp_path)
    line = _insert_after(path, "      es:\n", 1, "        sumary: a typo\n")  # the second topic's Spanish
    content, failing = load_content_leniently(path)
    assert list(failing) == [("second-topic", "es")]
    [problem] = failing[("second-topic", "es")]
    assert (problem.line, problem.column) == (line, 9) and "unknown key 'sumary'" in problem.message
    first, second = content.content.topics
    assert "es" in first.documents and "es" not in second.documents and "fr" in second.documents


def test_a_topic_left_out_whole_keeps_the_places_of_the_others_in_the_file(tmp_path: Path) -> None:
    """Messages about the topics that are kept still name their lines in the file."""
    path = _two_topics(tmp_path)
    _insert_after(path, "      en:\n", 0, "        sumary: a typo\n")  # the first topic's source document
    content, failing = load_content_leniently(path)
    assert list(failing) == [("muscle-calcification", ALL_LANGUAGES)]
    [kept] = content.content.topics
    assert kept.id == "second-topic"
    lines = path.read_text(encoding="utf-8").splitlines()
    where = content.source.locate(content.path_of(kept, "es"))
    assert lines[where.line - 1] == "      es:" and where.line > lines.index("  - id: second-topic")


def test_a_problem_outside_the_topics_fails_the_whole_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown key 'extras'"):
        load_content_leniently(_two_topics(tmp_path, "extras: 1\n"))
