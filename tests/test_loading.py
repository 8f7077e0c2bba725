"""Strict YAML loading: positions for every key, no duplicate keys, no aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from handout.errors import InputError
from handout.loading import load_yaml


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_positions_of_keys_and_list_items(tmp_path: Path) -> None:
    source = load_yaml(write(tmp_path, "a:\n  b: 1\n  c:\n    - x\n    - y\n"))
    assert source.data == {"a": {"b": 1, "c": ["x", "y"]}}
    assert (source.locate(("a", "b")).line, source.locate(("a", "b")).column) == (2, 3)
    assert source.locate(("a", "c", 1)).line == 5
    assert source.locate(("a", "missing", 3)).line == 1  # nearest existing ancestor: "a"


def test_duplicate_keys_are_errors_with_both_lines(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_yaml(write(tmp_path, "a: 1\nb: 2\na: 3\n"))
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, 1)
    assert "duplicate key 'a' (first at line 1)" in problem.message


def test_alias_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    with pytest.raises(InputError) as caught:
        load_yaml(write(tmp_path, bomb))
    assert "aliases" in caught.value.problems[0].message
    assert caught.value.problems[0].line == 2


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_yaml(write(tmp_path, "a: [1, 2\nb: 3\n"))
    problem = caught.value.problems[0]
    assert problem.message.startswith("YAML syntax error")
    assert problem.line >= 1


def test_oversized_and_multi_document_files(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * (3 * 1024 * 1024))
    with pytest.raises(InputError, match="the limit is"):
        load_yaml(big)
    with pytest.raises(InputError, match="YAML syntax error: expected a single document in the stream, but found"):
        load_yaml(write(tmp_path, "a: 1\n---\nb: 2\n"))


@pytest.mark.parametrize("depth", [500, 5000])
def test_deep_nesting_is_one_clean_error(tmp_path: Path, depth: int) -> None:
    """Deeper than Python's recursion allows, or than libyaml's own limit: the same message."""
    with pytest.raises(InputError) as caught:
        load_yaml(write(tmp_path, "a: 1\nb: " + "[" * depth + "]" * depth + "\n"))
    (problem,) = caught.value.problems
    assert problem.message == "lists or mappings are nested too deeply: flatten the file"
    assert problem.line == 2


def test_a_syntax_error_says_what_stands_where_the_parser_stopped(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_yaml(write(tmp_path, "a: [1, 2 {\n"))
    problem = caught.value.problems[0]
    assert problem.message.endswith(", but found '{'") and (problem.line, problem.column) == (1, 10)


def test_a_control_character_is_named_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_yaml(write(tmp_path, "a: Málaga\nb: señal\x07\n"))
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (2, "character U+0007 is not allowed in YAML: delete it")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")
