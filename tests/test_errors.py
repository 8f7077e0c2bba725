"""Bad input: one clear message naming file and line, exit 2, no traceback, nothing written."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import Run

TOPIC = "muscle-calcification"
PNG_HEADER = b"\x89PNG\r\n\x1a\n"


@dataclass
class Case:
    name: str
    file: str  # relative to the project folder
    old: str
    new: str
    expect: list[str]  # fragments of the message
    line_of: str | None = None  # the message names the line where this text stands after the edit
    args: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "yaml syntax error",
        "content.yaml",
        "        title: Bone or calcium in a muscle",
        "        title: [Bone or calcium",
        ["YAML syntax error"],
    ),
    Case(
        "wrong type",
        "content.yaml",
        "    source_language: en",
        "    source_language: [en]",
        ["source_language", "must be text"],
        line_of="    source_language: [en]",
    ),
    Case(
        "unknown key",
        "content.yaml",
        "          - heading: What causes it?",
        "          - heading: What causes it?\n            colour: red",
        ["unknown key 'colour'"],
        line_of="            colour: red",
    ),
    Case(
        "duplicate key",
        "content.yaml",
        "        title: Bone or calcium in a muscle",
        "        title: Bone or calcium in a muscle\n        title: Again",
        ["duplicate key 'title'"],
        line_of="        title: Again",
    ),
    Case(
        "missing key",
        "content.yaml",
        "        summary: >-\n          Bone or calcium can form inside a muscle after you get hurt.\n"
        "          It often gets better on its own in a few months.\n",
        "",
        ["missing key 'summary'"],
    ),
    Case(
        "yaml alias",
        "content.yaml",
        "    source_language: en",
        "    source_language: &lang en\n    extra: *lang",
        ["aliases"],
        line_of="    extra: *lang",
    ),
    Case(
        "img tag in text",
        "content.yaml",
        "              - Large burns, a broken bone, or a hip operation",
        '              - Large burns <img src="/etc/passwd"/>',
        ["markup tag", "<img"],
        line_of='              - Large burns <img src="/etc/passwd"/>',
    ),
    Case(
        "font tag with code in text",
        "content.yaml",
        "          - heading: What are the signs?",
        "          - heading: <font color=\"[[[getattr(pow, Word('__globals__'))['os']"
        ".system('touch pwned')]]]\">x</font>",
        ["markup tag", "<font"],
        line_of="          - heading: <font",
    ),
    Case(
        "unbalanced bold",
        "content.yaml",
        "              - A firm lump\n",
        "              - A **firm lump\n",
        ["no closing '**'"],
        line_of="              - A **firm lump",
    ),
    Case(
        "unknown placeholder",
        "content.yaml",
        "              - A firm lump\n",
        "              - A firm {lump}\n",
        ["unknown placeholder {lump}"],
        line_of="              - A firm {lump}",
    ),
    Case(
        "control character",
        "content.yaml",
        "              - A firm lump\n",
        "              - A firm\u202e lump\n",
        ["U+202E"],
        line_of="              - A firm\u202e lump",
    ),
    Case(
        "missing glyph",
        "content.yaml",
        "              - A firm lump\n",
        "              - A firm lump \u4e00\n",
        ["U+4E00", "no glyph"],
        line_of="              - A firm lump \u4e00",
    ),
    Case(
        "bad colour",
        "clinics/riverside-family.yaml",
        '  primary: "#0B6E4F"',
        '  primary: "#0B6E4"',
        ["colors.primary"],
        line_of='  primary: "#0B6E4"',
    ),
    Case(
        "missing logo file",
        "clinics/riverside-family.yaml",
        "logo: logo.png",
        "logo: missing.png",
        ["does not exist"],
        line_of="logo: missing.png",
    ),
    Case(
        "logo path escapes the clinic folder",
        "clinics/riverside-family.yaml",
        "logo: logo.png",
        "logo: ../costa-azul/logo.svg",
        ["outside the clinic's folder"],
        line_of="logo: ../costa-azul/logo.svg",
    ),
    Case(
        "absolute logo path",
        "clinics/riverside-family.yaml",
        "logo: logo.png",
        "logo: /etc/passwd",
        ["absolute"],
        line_of="logo: /etc/passwd",
    ),
    Case(
        "layout minimum above maximum",
        "layouts/standard.yaml",
        "  body_min: 12",
        "  body_min: 15",
        ["body_min must not be larger than body_max"],
    ),
    Case(
        "layout body text too small for patients",
        "layouts/standard.yaml",
        "  body_min: 12",
        "  body_min: 9",
        ["body text smaller than 12 pt is too small for many patients to read"],
    ),
    Case(
        "layout footer too small to read",
        "layouts/standard.yaml",
        "  footer: 8",
        "  footer: 6",
        ["text smaller than 7 pt is too small to read: set it to 7 or more"],
    ),
    Case(
        "unknown language code",
        "content.yaml",
        "      es:\n",
        "      xx-notalanguage:\n",
        ["unknown language code"],
    ),
    Case(
        "a language code in capitals",
        "clinics/riverside-family.yaml",
        "languages: [en, es",
        "languages: [EN, es",
        ["write the language code 'EN' as 'en'"],
        line_of="languages:",
    ),
    Case(
        "a language listed twice",
        "clinics/riverside-family.yaml",
        "languages: [en, es",
        "languages: [en, es, en, es",
        ["en, es listed more than once"],
        line_of="languages:",
    ),
    Case(
        "a page size in capitals",
        "clinics/riverside-family.yaml",
        "page_size: letter",
        "page_size: Letter",
        ["page_size: 'Letter' is not one of 'letter' or 'a4': write one of them exactly"],
        line_of="page_size:",
    ),
    Case(
        "an empty list",
        "clinics/riverside-family.yaml",
        "languages: [en, es, vi, zh-Hans, ru]",
        "languages: []",
        ["languages: empty: give at least one"],
        line_of="languages:",
    ),
    Case(
        "a clinic name too long",
        "clinics/riverside-family.yaml",
        "name: Riverside Family Clinic",
        "name: Riverside Family Clinic" + " and Wellness Center" * 9,
        ["name: 203 characters, at most 200: shorten it"],
        line_of="name:",
    ),
    Case(
        "an emergency number read as a number",
        "clinics/riverside-family.yaml",
        "page_size: letter",
        "page_size: letter\nemergency_number: 911",
        ['emergency_number: 911 is read as a number: put it in quotes, "911"'],
        line_of="emergency_number:",
    ),
    Case(
        "a date that does not exist",
        "content.yaml",
        "last_reviewed: 2026-11-25",
        "last_reviewed: 2026-02-30",
        ["'2026-02-30' is not a real date (day is out of range for month)"],
        line_of="      last_reviewed: 2026-02-30",
    ),
    Case(
        "review dates out of order",
        "content.yaml",
        "      next_review: 2028-11-25",
        "      next_review: 2020-01-01",
        ["next_review must be after last_reviewed"],
    ),
]


def apply(project: Path, case: Case) -> Path:
    path = project.parent / case.file
    text = path.read_text(encoding="utf-8")
    assert case.old in text, f"test setup: {case.old!r} not in {case.file}"
    path.write_text(text.replace(case.old, case.new, 1), encoding="utf-8")
    return path


def line_number(path: Path, fragment: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(fragment):
            return number
    raise AssertionError(f"{fragment!r} not in {path}")


def build(cli: Callable[..., Run], project: Path, output: Path, **overrides: str) -> Run:
    options = {"topic": TOPIC, "lang": "en", "clinic": "riverside-family", "layout": "standard", **overrides}
    args = [part for key, value in options.items() for part in (f"--{key}", value)]
    return cli("build", *args, "--content", project, "-o", output)


def assert_clean_failure(result: Run, output: Path) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    assert not output.exists()
    assert not any(output.parent.glob(".*.tmp"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_reported_with_file_and_line(
    cli: Callable[..., Run], project: Path, tmp_path: Path, case: Case
) -> None:
    path = apply(project, case)
    output = tmp_path / "out" / "handout.pdf"
    result = build(cli, project, output, **case.args)
    assert_clean_failure(result, output)
    for fragment in case.expect:
        assert fragment in result.stderr, result.stderr
    assert f"{path}:" in result.stderr
    if case.line_of is not None:
        assert f"{path}:{line_number(path, case.line_of)}:" in result.stderr, result.stderr
    assert not (project.parent / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.parametrize(
    ("overrides", "expect"),
    [
        ({"lang": "sv"}, "has no 'sv' document; languages: en, es"),
        ({"clinic": "nowhere"}, "no clinic 'nowhere'"),
        ({"layout": "poster"}, "no layout 'poster'"),
        ({"topic": "flu"}, "no topic 'flu'"),
    ],
)
def test_unknown_names_are_clean_errors(
    cli: Callable[..., Run], project: Path, tmp_path: Path, overrides: dict[str, str], expect: str
) -> None:
    output = tmp_path / "handout.pdf"
    result = build(cli, project, output, **overrides)
    assert_clean_failure(result, output)
    assert expect in result.stderr


def test_an_output_path_under_a_file_is_a_clean_error(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a folder", encoding="utf-8")
    output = notes / "handout.pdf"
    result = build(cli, project, output)
    assert_clean_failure(result, output)
    assert f"cannot write {output}: Not a directory" in result.stderr
    assert notes.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("name", ["", ".", "folder", "content.yaml", "notes.txt", "pipe.pdf"])
def test_a_build_writes_only_a_pdf_file(cli: Callable[..., Run], project: Path, name: str) -> None:
    """-o content.yaml by mistake must not replace the content with a PDF; nor may a folder or a device be."""
    (project.parent / "folder").mkdir()
    (project.parent / "notes.txt").write_text("notes", encoding="utf-8")
    os.mkfifo(project.parent / "pipe.pdf")
    before = {path.name: path.read_bytes() for path in project.parent.iterdir() if path.is_file()}
    output = project.parent / name if name else Path(name)
    try:
        result = cli("build", "--content", project, "--topic", "muscle-calcification", "--lang", "en",
                     "--clinic", "riverside-family", "-o", output)  # fmt: skip
    finally:
        (project.parent / "pipe.pdf").unlink()  # the session's check of every PDF would wait on it
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and "Traceback" not in result.output
    assert "pdf" in result.stderr.lower()
    assert {path.name: path.read_bytes() for path in project.parent.iterdir() if path.is_file()} == before


def test_a_build_through_a_symbolic_link_writes_its_target(cli: Callable[..., Run], project: Path) -> None:
    link, target = project.parent / "latest.pdf", project.parent / "handouts" / "riverside-en.pdf"
    target.parent.mkdir()
    link.symlink_to(target)
    result = cli("build", "--content", project, "--topic", "muscle-calcification", "--lang", "en",
                 "--clinic", "riverside-family", "-o", link)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("out", ["a file", "under a file"])
def test_a_batch_output_folder_that_cannot_be_one_is_a_clean_error(cli: Callable[..., Run], project: Path,
                                                                    tmp_path: Path, out: str) -> None:  # fmt: skip
    notes = tmp_path / "notes.txt"
    notes.write_text("not a folder", encoding="utf-8")
    folder = notes if out == "a file" else notes / "out"
    result = cli("batch", "--content", project, "--out", folder, "--langs", "en", "--jobs", "1")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {folder}") or result.stderr.startswith(
        f"error: cannot write into {folder}"
    )
    assert "choose another --out" in result.stderr
    assert notes.read_text(encoding="utf-8") == "not a folder"


def test_every_problem_in_every_file_is_reported_at_once(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    content = apply(project, CASES[2])  # unknown key
    apply(
        project,
        Case("", "content.yaml", "              - A firm lump\n", "              - A **firm lump\n", []),
    )
    clinic = apply(project, CASES[12])  # bad colour
    output = tmp_path / "handout.pdf"
    result = build(cli, project, output)
    assert_clean_failure(result, output)
    assert "3 problems in the input" in result.stderr
    assert result.stderr.count(f"{content}:") == 2
    assert result.stderr.count(f"{clinic}:") == 1


def test_content_too_long_for_one_page_says_by_how_much(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    long_paragraph = " ".join(["Rest the muscle and put ice on it for a short time."] * 30)
    apply(
        project,
        Case("", "content.yaml", "              - A firm lump\n", f"              - {long_paragraph}\n", []),
    )
    output = tmp_path / "handout.pdf"
    result = build(cli, project, output)
    assert_clean_failure(result, output)
    assert f"topic '{TOPIC}' in 'en' does not fit on one page with layout 'standard'" in result.stderr
    assert "mm" in result.stderr and "12 pt" in result.stderr


def test_a_failed_build_leaves_the_previous_output_intact(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    output = tmp_path / "handout.pdf"
    assert build(cli, project, output).exit_code == 0
    before = output.read_bytes()
    apply(project, CASES[0])
    result = build(cli, project, output)
    assert result.exit_code == 2
    assert output.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"", "the file is empty"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"- just\n- a list\n", "must be a mapping of names to values"),
        (b"topics: []\n", "topics"),
    ],
)
def test_unusable_content_files(
    cli: Callable[..., Run], project: Path, tmp_path: Path, content: bytes, expect: str
) -> None:
    project.write_bytes(content)
    output = tmp_path / "handout.pdf"
    result = build(cli, project, output)
    assert_clean_failure(result, output)
    assert f"{project}:1:1:" in result.stderr and expect in result.stderr


@pytest.mark.parametrize(
    ("logo", "data", "expect"),
    [
        ("logo.png", PNG_HEADER + b"\x00" * 40, "not a readable PNG"),
        ("logo.png", b"GIF89a not a png", "not a readable PNG"),
        ("logo.svg", b"<svg><unclosed", "not a readable SVG"),
        ("logo.gif", b"GIF89a", "must be a .png or .svg"),
    ],
)
def test_broken_logo_files(
    cli: Callable[..., Run], project: Path, tmp_path: Path, logo: str, data: bytes, expect: str
) -> None:
    (project.parent / "clinics" / "riverside-family" / logo).write_bytes(data)
    clinic = apply(project, Case("", "clinics/riverside-family.yaml", "logo: logo.png", f"logo: {logo}", []))
    output = tmp_path / "handout.pdf"
    result = build(cli, project, output)
    assert_clean_failure(result, output)
    assert expect in result.stderr
    assert f"{clinic}:{line_number(clinic, 'logo:')}:" in result.stderr


def test_symlinked_logo_leaving_the_clinic_folder_is_rejected(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.png"
    shutil.copy(project.parent / "clinics" / "riverside-family" / "logo.png", outside)
    link = project.parent / "clinics" / "riverside-family" / "linked.png"
    link.symlink_to(outside)
    apply(project, Case("", "clinics/riverside-family.yaml", "logo: logo.png", "logo: linked.png", []))
    output = tmp_path / "handout.pdf"
    result = build(cli, project, output)
    assert_clean_failure(result, output)
    assert "outside the clinic's folder" in result.stderr


def test_building_a_retired_topic_names_its_status_line(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    project.write_text(project.read_text(encoding="utf-8").replace("status: draft", "status: retired"))
    output = tmp_path / "x.pdf"
    result = build(cli, project, output)
    assert_clean_failure(result, output)
    line = next(n for n, row in enumerate(project.read_text().splitlines(), 1) if row.strip() == "status: retired")
    assert f"is retired ({project}:{line})" in result.stderr and "set its review status to draft or approved" in (
        result.stderr
    )
