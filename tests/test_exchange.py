"""PO export and import: translators' round trip is lossless."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from conftest import Run

from handout.resolve import load_content

TOPIC = "muscle-calcification"


def export(cli: Callable[..., Run], project: Path, language: str, target: Path) -> polib.POFile:
    result = cli("export-po", "--topic", TOPIC, "--lang", language, "--content", project, "-o", target)
    assert result.exit_code == 0, result.output
    return polib.pofile(str(target))


@pytest.mark.parametrize("language", ["es", "zh-Hant", "hi"])
def test_export_then_import_gives_back_the_same_document(cli: Callable[..., Run], project: Path, tmp_path: Path,
                                                         language: str) -> None:  # fmt: skip
    before = load_content(project).content
    po = export(cli, project, language, tmp_path / "out.po")
    source = before.topics[0].documents["en"]
    assert len(po) == len(source.texts())
    assert all(entry.msgstr for entry in po)
    result = cli("import-po", tmp_path / "out.po", "--content", project)
    assert result.exit_code == 0, result.output
    after = load_content(project).content
    assert after == before


def test_a_new_language_is_added_from_a_translated_po_file(cli: Callable[..., Run], project: Path,
                                                          tmp_path: Path) -> None:  # fmt: skip
    po = export(cli, project, "de", tmp_path / "de.po")
    assert po.metadata["X-Source-Version"] == load_content(project).content.topics[0].documents["en"].version()
    for entry in po:
        entry.msgstr = f"DE {entry.msgid}"
    po.metadata["X-Translation-Method"] = "machine"
    po.save(str(tmp_path / "de.po"))
    assert cli("import-po", tmp_path / "de.po", "--content", project).exit_code == 0
    document = load_content(project).content.topics[0].documents["de"]
    assert document.title.startswith("DE ")
    assert document.translation is not None and document.translation.method == "machine"
    assert not document.translation.reviewed


def test_untranslated_entries_are_reported_with_their_lines(cli: Callable[..., Run], project: Path,
                                                           tmp_path: Path) -> None:  # fmt: skip
    export(cli, project, "de", tmp_path / "de.po")
    before = project.read_bytes()
    result = cli("import-po", tmp_path / "de.po", "--content", project)
    assert result.exit_code == 2
    assert f"{tmp_path / 'de.po'}:" in result.stderr and "is not translated" in result.stderr
    assert project.read_bytes() == before


def test_markup_in_a_translation_is_refused(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    po = export(cli, project, "es", tmp_path / "es.po")
    po[0].msgstr = '<img src="x"/> Calcio'
    po.save(str(tmp_path / "es.po"))
    result = cli("import-po", tmp_path / "es.po", "--content", project)
    assert result.exit_code == 2 and "markup tag" in result.stderr


def test_a_po_file_that_is_missing_or_broken_says_why(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    missing = cli("import-po", tmp_path / "nope.po", "--content", project)
    assert missing.exit_code == 2 and f"cannot read {tmp_path / 'nope.po'}: there is no such file" in missing.stderr
    broken = tmp_path / "broken.po"
    broken.write_text('msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgid "b"\nmsgstr "c"\n', encoding="utf-8")
    result = cli("import-po", broken, "--content", project)
    assert result.exit_code == 2 and "None" not in result.stderr
    assert f"{broken}:" in result.stderr and "not a readable PO file" in result.stderr
