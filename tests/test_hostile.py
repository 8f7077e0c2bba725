"""Hostile and broken input never hurts: every case in tests/hostile/ through build, check and batch.

Each must end with exit 2 (or 1 where check and batch report it as a finding or failed row), one clean
message naming the file and line, no traceback, nothing written, in bounded time.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Run

HOSTILE = Path(__file__).parent / "hostile"
CONTENT_CASES = sorted(p for p in (HOSTILE / "content").glob("*.yaml") if p.stem != "base")
CLINIC_CASES = sorted(p for p in (HOSTILE / "clinics").iterdir() if p.is_dir())
LAYOUT_CASES = sorted((HOSTILE / "layouts").glob("*.yaml"))
TIME_LIMIT = 30.0


def test_the_corpus_is_large_enough() -> None:
    assert len(CONTENT_CASES) + len(CLINIC_CASES) + len(LAYOUT_CASES) + len(GENERATED) >= 60


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the sample content, the shipped clinics and layouts; the working folder is inside it."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(HOSTILE / "content" / "base.yaml", root / "content.yaml")
    shutil.copytree(REPO / "clinics", root / "clinics")
    shutil.copytree(REPO / "layouts", root / "layouts")
    monkeypatch.chdir(tmp_path)
    return root


def timed(cli: Callable[..., Run], *args: str | Path) -> Run:
    start = time.monotonic()
    result = cli(*args)
    assert time.monotonic() - start < TIME_LIMIT, f"took longer than {TIME_LIMIT} s"
    return result


def assert_clean(result: Run, codes: set[int], file: Path) -> None:
    assert result.exit_code in codes, result.output
    assert "Traceback" not in result.output
    assert re.search(re.escape(str(file)) + r":\d+", result.output), f"no {file}:line in: {result.output}"


def build(cli: Callable[..., Run], root: Path, clinic: str = "riverside-family", layout: str = "standard") -> Run:
    return timed(cli, "build", "--topic", "sample", "--lang", "en", "--clinic", clinic, "--layout", layout,
                 "--content", root / "content.yaml", "-o", root / "out" / "handout.pdf")  # fmt: skip


def run_all(cli: Callable[..., Run], root: Path, file: Path, clinic: str = "riverside-family",
            layout: str = "standard") -> None:  # fmt: skip
    result = build(cli, root, clinic, layout)
    assert_clean(result, {2}, file)
    assert result.stderr.startswith("error: ")
    assert not (root / "out").exists() or not any((root / "out").rglob("*.pdf"))
    checked = timed(cli, "check", "--content", root / "content.yaml")
    assert_clean(checked, {1, 2}, file)
    batch = timed(cli, "batch", "--content", root / "content.yaml", "--out", root / "batch", "--jobs", "1",
                  "--layouts", layout)  # fmt: skip
    assert_clean(batch, {1, 2}, file)
    assert not Path("/tmp/pwned").exists()


def test_the_base_case_builds(cli: Callable[..., Run], workspace: Path) -> None:
    assert build(cli, workspace).exit_code == 0


@pytest.mark.parametrize("case", CONTENT_CASES, ids=[p.stem for p in CONTENT_CASES])
def test_hostile_content(cli: Callable[..., Run], workspace: Path, case: Path) -> None:
    target = workspace / "content.yaml"
    shutil.copy(case, target)
    run_all(cli, workspace, target)


@pytest.mark.parametrize("case", CLINIC_CASES, ids=[p.name for p in CLINIC_CASES])
def test_hostile_clinic(cli: Callable[..., Run], workspace: Path, case: Path) -> None:
    clinics = workspace / "clinics"
    target = clinics / "hostile.yaml"
    shutil.copy(case / "clinic.yaml", target)
    shutil.copytree(case, clinics / "hostile", ignore=shutil.ignore_patterns("clinic.yaml"))
    (clinics / "other").mkdir()
    shutil.copy(clinics / "riverside-family" / "logo.png", clinics / "other" / "logo.png")
    run_all(cli, workspace, target, clinic="hostile")


@pytest.mark.parametrize("case", LAYOUT_CASES, ids=[p.stem for p in LAYOUT_CASES])
def test_hostile_layout(cli: Callable[..., Run], workspace: Path, case: Path) -> None:
    target = workspace / "layouts" / "hostile.yaml"
    shutil.copy(case, target)
    result = build(cli, workspace, layout="hostile")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert re.search(r"(hostile\.yaml|content\.yaml):\d+", result.stderr), result.stderr
    batch = timed(cli, "batch", "--content", workspace / "content.yaml", "--out", workspace / "batch",
                  "--jobs", "1", "--layouts", "hostile")  # fmt: skip
    assert batch.exit_code in {1, 2} and "Traceback" not in batch.output


def _huge_file(root: Path) -> Path:
    target = root / "content.yaml"
    with target.open("w", encoding="utf-8") as handle:
        handle.write((HOSTILE / "content" / "base.yaml").read_text(encoding="utf-8"))
        line = "# " + "x" * 1022 + "\n"
        for _ in range(50 * 1024):
            handle.write(line)
    return target


def _symlinked_logo(root: Path) -> Path:
    clinics = root / "clinics"
    outside = root.parent / "outside.png"
    shutil.copy(clinics / "riverside-family" / "logo.png", outside)
    (clinics / "riverside-family" / "logo.png").unlink()
    (clinics / "riverside-family" / "logo.png").symlink_to(outside)
    return clinics / "riverside-family.yaml"


GENERATED = {"fifty-megabyte-file": _huge_file, "symlinked-logo": _symlinked_logo}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_hostile_input(cli: Callable[..., Run], workspace: Path, name: str) -> None:
    target = GENERATED[name](workspace)
    run_all(cli, workspace, target)


@pytest.mark.parametrize(
    ("option", "value", "expect"),
    [("--clinic", "../../etc/passwd", "no clinic"), ("--layout", "../standard", "no layout"),
     ("--lang", "xx", "unknown language code 'xx'"), ("--topic", "../sample", "no topic")],
)  # fmt: skip
def test_hostile_names_on_the_command_line(cli: Callable[..., Run], workspace: Path, option: str, value: str,
                                           expect: str) -> None:  # fmt: skip
    args = {"--topic": "sample", "--lang": "en", "--clinic": "riverside-family", "--layout": "standard", option: value}
    result = timed(cli, "build", *[x for pair in args.items() for x in pair], "--content", workspace / "content.yaml",
                   "-o", workspace / "out.pdf")  # fmt: skip
    assert result.exit_code == 2 and expect in result.stderr and "Traceback" not in result.output
    assert not (workspace / "out.pdf").exists()
