"""The command line as a user meets it."""

from __future__ import annotations

import json
from collections.abc import Callable

from conftest import REPO, Run

from handout import __version__
from handout.resolve import load_content


def test_version(cli: Callable[..., Run]) -> None:
    result = cli("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


def test_help_on_every_command(cli: Callable[..., Run]) -> None:
    for command in ([], ["build"], ["list"], ["schema"]):
        result = cli(*command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.stdout


def test_list_json(cli: Callable[..., Run]) -> None:
    result = cli("list", "--json", "--content", REPO / "content.yaml")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert set(listed) == {"topics", "languages", "clinics", "layouts"}
    assert listed["topics"] == ["muscle-calcification"]
    documents = load_content(REPO / "content.yaml").content.topics[0].documents
    assert listed["languages"] == sorted(documents)
    assert {"en", "es"} <= set(listed["languages"])
    assert listed["clinics"] == ["costa-azul", "okafor-community", "riverside-family"]
    assert listed["layouts"] == ["large-print", "standard"]


def test_list_text(cli: Callable[..., Run]) -> None:
    result = cli("list", "--content", REPO / "content.yaml")
    assert result.exit_code == 0
    assert "muscle-calcification" in result.stdout and "riverside-family" in result.stdout


def test_schema_prints_json(cli: Callable[..., Run]) -> None:
    result = cli("schema", "clinic")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "handout clinic file"


def test_missing_required_option_is_a_usage_error(cli: Callable[..., Run]) -> None:
    result = cli("build", "--lang", "en")
    assert result.exit_code == 2 and "Missing option" in result.output
