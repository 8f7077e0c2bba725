"""Loading the content for a batch: a document with problems is left out, with them, and the rest is kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, with_second_topic

from handout.errors import InputError
from handout.resolve import ALL_LANGUAGES, load_content_leniently


def _two_topics(tmp_path: Path, edit: str = "") -> Path:
    path = tmp_path / "content.yaml"
    path.write_text(with_second_topic((REPO / "content.yaml").read_text(encoding="utf-8")) + edit, encoding="utf-8")
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


def _without_translation_blocks(path: Path, languages: list[str]) -> None:
    text = path.read_text(encoding="utf-8")
    for language in languages:
        start = text.index(f"\n      {language}:\n")
        block = re.search(r"\n        translation:\n(?:          .*\n)+", text[start:])
        assert block is not None
        text = text[: start + block.start()] + "\n" + text[start + block.end() :]
    path.write_text(text, encoding="utf-8")


def test_every_translation_that_misses_its_record_is_left_out_alone(tmp_path: Path) -> None:
    """The topic's check stops at its first bad document: each is still found, however many there are."""
    path = tmp_path / "content.yaml"
    path.write_text((REPO / "content.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    _without_translation_blocks(path, ["vi", "ko", "tl", "ru"])
    content, failing = load_content_leniently(path)
    assert sorted(failing) == [("muscle-calcification", language) for language in ("ko", "ru", "tl", "vi")]
    assert all("add 'translation'" in problems[0].message for problems in failing.values())
    assert len(content.content.topics[0].documents) == 12


def test_a_topic_left_out_whole_is_one_failure_with_all_its_problems(tmp_path: Path) -> None:
    path = _two_topics(tmp_path)
    _insert_after(path, "      es:\n", 1, "        sumary: a typo\n")
    text = path.read_text(encoding="utf-8")
    second = text.index("  - id: second-topic")
    path.write_text(text[:second] + text[second:].replace("source_language: en", "source_language: de", 1))
    _, failing = load_content_leniently(path)
    assert list(failing) == [("second-topic", ALL_LANGUAGES)]
    messages = " ".join(problem.message for problem in failing[("second-topic", ALL_LANGUAGES)])
    assert "unknown key 'sumary'" in messages and "source_language 'de' has no document" in messages


def test_a_repeated_topic_id_fails_the_whole_file_even_when_one_of_them_has_problems(tmp_path: Path) -> None:
    path = _two_topics(tmp_path)
    text = path.read_text(encoding="utf-8").replace("id: second-topic", "id: muscle-calcification")
    path.write_text(text.replace("status: draft", "status: bogus", 1), encoding="utf-8")
    with pytest.raises(InputError, match="repeated: muscle-calcification"):
        load_content_leniently(path)
