"""PO export and import: translators' round trip is lossless."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from conftest import Run

from handout.loading import MAX_FILE_BYTES
from handout.resolve import load_content
from handout.schema import Translation

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
    listed = cli("list", "--content", project)  # no page labels for German yet: listed, not an error
    assert listed.exit_code == 0 and "de (no page labels yet" in listed.stdout


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


def with_language_header(po_path: Path, language: str) -> None:
    po = polib.pofile(str(po_path))
    po.metadata["Language"] = language
    po.save(str(po_path))


@pytest.mark.parametrize(
    ("written", "language"), [("zh_Hans", "zh-Hans"), ("VI", "vi"), ("zh_hant", "zh-Hant"), ("es.UTF-8", "es")]
)
def test_a_gettext_language_header_is_read_as_the_content_code(cli: Callable[..., Run], project: Path, tmp_path: Path,
                                                              written: str, language: str) -> None:  # fmt: skip
    po = export(cli, project, language, tmp_path / "out.po")
    po[0].msgstr = f"{language} title"
    po.save(str(tmp_path / "out.po"))
    with_language_header(tmp_path / "out.po", written)
    result = cli("import-po", tmp_path / "out.po", "--content", project)
    assert result.exit_code == 0, result.output
    assert f"language '{language}' updated" in result.stdout
    topic = load_content(project).content.topics[0]
    assert written not in topic.documents
    assert topic.documents[language].title == f"{language} title"
    assert cli("check", "--content", project).exit_code == 0  # every command still loads the content


@pytest.mark.parametrize(
    ("written", "has"), [("fr_FR", "fr"), ("zh_CN", "zh-Hans, zh-Hant"), ("xx_YY", ""), ("fr@formal", "")]
)
def test_a_language_header_the_topic_cannot_take_is_refused(cli: Callable[..., Run], project: Path, tmp_path: Path,
                                                           written: str, has: str) -> None:  # fmt: skip
    export(cli, project, "fr", tmp_path / "fr.po")
    with_language_header(tmp_path / "fr.po", written)
    language_line = next(
        number
        for number, line in enumerate((tmp_path / "fr.po").read_text(encoding="utf-8").splitlines(), start=1)
        if line.startswith('"Language:')
    )
    before = project.read_bytes()
    result = cli("import-po", tmp_path / "fr.po", "--content", project)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{tmp_path / 'fr.po'}:{language_line}:1: Language '{written}'" in result.stderr
    assert f"(it has {has})" in result.stderr if has else "not a language code" in result.stderr
    assert "the topic has en, es, zh-Hans" in result.stderr
    assert project.read_bytes() == before


def test_export_takes_a_language_in_any_case_and_refuses_a_variant_the_topic_lacks(cli: Callable[..., Run],
                                                                                 project: Path,
                                                                                 tmp_path: Path) -> None:  # fmt: skip
    po = export(cli, project, "VI", tmp_path / "vi.po")
    assert po.metadata["Language"] == "vi"
    assert all(entry.msgstr for entry in po)  # the Vietnamese document, filled in
    result = cli("export-po", "--topic", TOPIC, "--lang", "pt_BR", "--content", project, "-o", tmp_path / "pt.po")
    assert result.exit_code == 2 and "'pt_BR' is pt-BR" in result.stderr and "(it has pt)" in result.stderr
    assert not (tmp_path / "pt.po").exists()


def test_an_import_that_would_make_the_content_unloadable_leaves_it_as_it_was(cli: Callable[..., Run],
                                                                             project: Path,
                                                                             tmp_path: Path) -> None:  # fmt: skip
    po = export(cli, project, "de", tmp_path / "de.po")
    for entry in po:
        entry.msgstr = f"DE {entry.msgid}"
    po.save(str(tmp_path / "de.po"))
    room = MAX_FILE_BYTES - project.stat().st_size - 1000  # the German document does not fit in 1,000 bytes
    with project.open("a", encoding="utf-8") as content:
        content.write("# padding\n" * (room // len("# padding\n")))
    load_content(project)  # loads before the import
    before = project.read_bytes()
    result = cli("import-po", tmp_path / "de.po", "--content", project)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{tmp_path / 'de.po'}:1:1: {project} would not load with this translation" in result.stderr
    assert "the limit is" in result.stderr
    assert project.read_bytes() == before


def stale_languages(cli: Callable[..., Run], project: Path) -> set[str]:
    """The languages `handout check` reports as translated from an older source."""
    findings = json.loads(cli("check", "--content", project, "--format", "json").stdout)
    return {f["language"] for f in findings if f["check"] == "translation" and f["message"].startswith("stale:")}


def change_the_source_and_mark_vi_reviewed(project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    assert text.count("Most people get better on their own.") == 1
    text = text.replace("Most people get better on their own.", "Most people get better without treatment.")
    vi = text.index("\n      vi:\n")
    text = text[:vi] + text[vi:].replace("reviewed: false", "reviewed: true\n          reviewed_by: Lan Tran", 1)
    project.write_text(text, encoding="utf-8")


def test_a_stale_translation_is_exported_fuzzy_and_not_imported_as_current(cli: Callable[..., Run], project: Path,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    change_the_source_and_mark_vi_reviewed(project)
    old_translation = load_content(project).content.topics[0].documents["vi"].translation
    assert old_translation is not None and old_translation.reviewed
    assert "vi" in stale_languages(cli, project)
    po = export(cli, project, "vi", tmp_path / "vi.po")
    assert po and all(entry.fuzzy and entry.msgstr for entry in po)  # which entries changed is not known
    assert old_translation.source_version in po.header and "fuzzy" in po.header
    assert po.metadata["X-Reviewed"] == "no" and "X-Reviewed-By" not in po.metadata  # the review was of the old text
    before = project.read_bytes()
    result = cli("import-po", tmp_path / "vi.po", "--content", project)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.count("is marked fuzzy") == len(po)
    for entry in po:
        assert f"{tmp_path / 'vi.po'}:{entry.linenum}:1: {entry.msgctxt} is marked fuzzy" in result.stderr
    assert project.read_bytes() == before
    assert "vi" in stale_languages(cli, project)


def test_a_stale_translation_a_translator_has_checked_is_imported_as_current(cli: Callable[..., Run], project: Path,
                                                                            tmp_path: Path) -> None:  # fmt: skip
    change_the_source_and_mark_vi_reviewed(project)
    po = export(cli, project, "vi", tmp_path / "vi.po")
    changed = next(entry for entry in po if "without treatment" in entry.msgid)
    changed.msgstr = "Hầu hết mọi người khỏi bệnh mà không cần điều trị."
    for entry in po:
        entry.flags.remove("fuzzy")
    po.save(str(tmp_path / "vi.po"))
    result = cli("import-po", tmp_path / "vi.po", "--content", project)
    assert result.exit_code == 0, result.output
    topic = load_content(project).content.topics[0]
    vi = topic.documents["vi"]
    assert vi.translation is not None and vi.translation.source_version == topic.documents["en"].version()
    assert not vi.translation.reviewed and vi.translation.reviewed_by is None
    place = next(path for path, text in topic.documents["en"].texts() if "without treatment" in text)
    assert dict(vi.texts())[place] == "Hầu hết mọi người khỏi bệnh mà không cần điều trị."
    assert "vi" not in stale_languages(cli, project)


def mark_vi_reviewed(project: Path) -> None:
    text = project.read_text(encoding="utf-8")
    vi = text.index("\n      vi:\n")
    text = text[:vi] + text[vi:].replace("reviewed: false", "reviewed: true\n          reviewed_by: Lan Tran", 1)
    project.write_text(text, encoding="utf-8")


def vi_translation(project: Path) -> Translation:
    translation = load_content(project).content.topics[0].documents["vi"].translation
    assert translation is not None
    return translation


def test_a_reviewed_translation_imported_unchanged_stays_reviewed(cli: Callable[..., Run], project: Path,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    mark_vi_reviewed(project)
    po = export(cli, project, "vi", tmp_path / "vi.po")
    assert po.metadata["X-Reviewed"] == "no" and "Lan Tran" in po.header  # whoever checks the file sets it

    assert cli("import-po", tmp_path / "vi.po", "--content", project).exit_code == 0
    assert vi_translation(project).reviewed and vi_translation(project).reviewed_by == "Lan Tran"


def test_a_reviewed_translation_edited_is_imported_as_not_reviewed(cli: Callable[..., Run], project: Path,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    mark_vi_reviewed(project)
    po = export(cli, project, "vi", tmp_path / "vi.po")
    po[3].msgstr += " Gọi bác sĩ."
    po.save(str(tmp_path / "vi.po"))

    assert cli("import-po", tmp_path / "vi.po", "--content", project).exit_code == 0
    assert not vi_translation(project).reviewed and vi_translation(project).reviewed_by is None
    findings = json.loads(cli("check", "--content", project, "--format", "json", "--require-reviewed").stdout)
    assert any(f["language"] == "vi" and "not yet checked by a qualified translator" in f["message"] for f in findings)


def test_an_edited_translation_is_reviewed_when_its_checker_says_so(cli: Callable[..., Run], project: Path,
                                                                    tmp_path: Path) -> None:  # fmt: skip
    mark_vi_reviewed(project)
    po = export(cli, project, "vi", tmp_path / "vi.po")
    po[3].msgstr += " Gọi bác sĩ."
    po.metadata["X-Reviewed"], po.metadata["X-Reviewed-By"] = "yes", "Minh Pham"
    po.save(str(tmp_path / "vi.po"))

    assert cli("import-po", tmp_path / "vi.po", "--content", project).exit_code == 0
    assert vi_translation(project).reviewed and vi_translation(project).reviewed_by == "Minh Pham"


def test_a_file_from_an_earlier_version_does_not_carry_its_copied_review_over_an_edit(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """Exports of earlier versions copied a reviewed translation's review into the file's header."""
    mark_vi_reviewed(project)
    po = export(cli, project, "vi", tmp_path / "vi.po")
    del po.metadata["X-Handout-Export-Format"]
    po.metadata["X-Reviewed"], po.metadata["X-Reviewed-By"] = "yes", "Lan Tran"  # as those versions wrote it
    po[3].msgstr += " Gọi bác sĩ."
    po.save(str(tmp_path / "vi.po"))

    result = cli("import-po", tmp_path / "vi.po", "--content", project)
    assert result.exit_code == 0, result.output
    assert "exported by an earlier version of handout" in result.stderr
    assert not vi_translation(project).reviewed and vi_translation(project).reviewed_by is None


def test_a_review_confirmed_without_a_name_keeps_the_reviewer_recorded(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    mark_vi_reviewed(project)
    po = export(cli, project, "vi", tmp_path / "vi.po")
    po.metadata["X-Reviewed"] = "yes"
    po.save(str(tmp_path / "vi.po"))

    assert cli("import-po", tmp_path / "vi.po", "--content", project).exit_code == 0
    assert vi_translation(project).reviewed and vi_translation(project).reviewed_by == "Lan Tran"


def test_a_current_translation_is_exported_without_fuzzy_entries(cli: Callable[..., Run], project: Path,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    po = export(cli, project, "vi", tmp_path / "vi.po")
    assert po and not any(entry.fuzzy for entry in po) and not po.header


def test_an_entry_a_translator_left_fuzzy_is_refused(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    po = export(cli, project, "es", tmp_path / "es.po")
    po[3].msgstr = "Borrador sin revisar"
    po[3].flags.append("fuzzy")
    po.save(str(tmp_path / "es.po"))
    line = polib.pofile(str(tmp_path / "es.po"))[3].linenum
    before = project.read_bytes()
    result = cli("import-po", tmp_path / "es.po", "--content", project)
    assert result.exit_code == 2
    assert f"1 problem in the input:\n  {tmp_path / 'es.po'}:{line}:1: {po[3].msgctxt} is marked fuzzy" in result.stderr
    assert "remove the fuzzy flag" in result.stderr
    assert project.read_bytes() == before
