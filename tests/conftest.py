"""Shared fixtures: the shipped project, a scratch copy of it, and the CLI."""

from __future__ import annotations

import os
import shutil
import tempfile
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from handout import render as rendering
from handout.cache import CACHE_FOLDER_VARIABLE
from handout.cli import main
from handout.fit import fit
from handout.page import Page
from handout.render import Rendered, render
from handout.resolve import Project, assemble, load_clinic, load_content, load_layout

REPO = Path(__file__).resolve().parent.parent


TOPIC = "muscle-calcification"


def with_second_topic(content: str) -> str:
    """The content file's text with a copy of its first topic, as ``second-topic``, at its end."""
    topic = content[content.index(f"  - id: {TOPIC}") :]
    return content + topic.replace(f"id: {TOPIC}", "id: second-topic", 1)


def add_twin(project: Path, changes: dict[str, str], of: str = "okafor-community", twin: str = "okafor-twin") -> None:
    """Copy clinic ``of`` as ``twin`` with ``changes``; with the same look, the two share drawn bodies."""
    clinics = project.parent / "clinics"
    data = yaml.safe_load((clinics / f"{of}.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    (clinics / f"{twin}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def forget_drawn_stories(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a new process: no story laid out, no body drawn (handout.render keeps them by process)."""
    for kept in ("_stories", "_heights", "_bodies"):
        monkeypatch.setattr(rendering, kept, OrderedDict())


def renderer(project: Path, language: str, layout: str = "standard") -> Callable[[str], Rendered]:
    """Renders the topic in ``language`` for a clinic, from one loaded project, as a batch worker does."""
    scratch = Project.at(project)
    content, shape = load_content(scratch.content_path), load_layout(scratch, layout)

    def made_for(clinic_id: str) -> Rendered:
        page = Page(assemble(content, load_clinic(scratch, clinic_id), shape, TOPIC, language))
        return render(page, fit(page).body_size)

    return made_for


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str | Path) -> Run:
    """Run the handout CLI in-process; an unexpected exception fails the test with its traceback."""
    result: Result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("".join(traceback.format_exception(result.exception)) + f"\noutput: {result.output}")
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli() -> Callable[..., Run]:
    return run_cli


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the shipped content, clinics and layouts; returns the content file."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "content.yaml", root / "content.yaml")
    shutil.copytree(REPO / "clinics", root / "clinics")
    shutil.copytree(REPO / "layouts", root / "layouts")
    return root / "content.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden images in tests/golden/")


def pytest_configure(config: pytest.Config) -> None:
    """The fonts' tables go to a cache folder of the session's (for its subprocesses too), not the user's."""
    os.environ[CACHE_FOLDER_VARIABLE] = tempfile.mkdtemp(prefix="handout-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop(CACHE_FOLDER_VARIABLE), ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def every_pdf_is_sound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the session: every PDF the tests produced passes pikepdf's (qpdf's) check and pypdf's strict mode."""
    yield
    import pikepdf
    from pypdf import PdfReader

    problems: list[str] = []
    for path in tmp_path_factory.getbasetemp().rglob("*.pdf"):
        if path.is_symlink() or not path.is_file():  # a test may put a folder where a PDF would go
            continue
        with pikepdf.open(path) as pdf:
            problems += [f"{path}: {p}" for p in pdf.check_pdf_syntax()]
        PdfReader(path, strict=True).pages[0].extract_text()
    assert not problems, "\n".join(problems[:20])


def build_args(topic: str, language: str, clinic: str, output: Path, layout: str = "standard",
               content: Path = REPO / "content.yaml") -> list[str | Path]:  # fmt: skip
    """The arguments of `handout build` for one handout."""
    return ["build", "--topic", topic, "--lang", language, "--clinic", clinic, "--layout", layout,
            "--content", content, "-o", output]  # fmt: skip
