"""The command line as a user meets it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, TOPIC, Run
from pypdf import PdfReader

from handout import __version__
from handout.resolve import load_content

HANDOUT = [sys.executable, "-m", "handout"]


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


def test_the_command_ends_with_its_output_whole_and_its_exit_code(tmp_path: Path) -> None:
    """`handout` ends without tearing down its modules: what it printed still arrives whole, more than
    fits Python's output buffer, and its exit codes are those of the command."""
    content = str(REPO / "content.yaml")
    printed = subprocess.run([*HANDOUT, "schema", "content"], capture_output=True, text=True)
    assert printed.returncode == 0 and len(printed.stdout) > io.DEFAULT_BUFFER_SIZE
    assert json.loads(printed.stdout)["title"] == "handout content file"
    pdf = tmp_path / "out.pdf"
    built = subprocess.run([*HANDOUT, "build", "--topic", TOPIC, "--lang", "es", "--clinic", "riverside-family",
                            "--content", content, "-o", str(pdf)], capture_output=True, text=True)  # fmt: skip
    assert built.returncode == 0 and built.stdout.strip() == str(pdf)
    assert len(PdfReader(pdf).pages) == 1
    refused = subprocess.run([*HANDOUT, "build", "--topic", "no-such-topic", "--lang", "es", "--clinic",
                              "riverside-family", "--content", content], capture_output=True, text=True)  # fmt: skip
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("error: no topic 'no-such-topic'") and "Traceback" not in refused.stderr


def test_a_bug_still_ends_with_its_traceback() -> None:
    failing = "import handout.cli as cli\ndef main():\n    raise RuntimeError('a bug')\ncli.main = main\ncli.run()"
    ended = subprocess.run([sys.executable, "-c", failing], capture_output=True, text=True)
    assert ended.returncode == 1 and "Traceback" in ended.stderr and "RuntimeError: a bug" in ended.stderr


def test_the_installed_command_runs(tmp_path: Path) -> None:
    """The ``handout`` script that pip installs beside Python starts the same command as ``python -m handout``."""
    script = Path(sys.executable).parent / "handout"
    ran = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert ran.returncode == 0 and __version__ in ran.stdout


def test_the_command_runs_with_its_modules_frozen_and_the_collector_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import handout.__main__ as entry
    import handout.cli

    seen: list[tuple[bool, int]] = []
    monkeypatch.setattr(handout.cli, "run", lambda: seen.append((gc.isenabled(), gc.get_freeze_count())))
    gc.unfreeze()  # what tests before froze
    try:
        entry.main()
    finally:
        gc.unfreeze()
    assert seen and seen[0][0] and seen[0][1] > 0
