"""Translation exchange: a language's document as a gettext PO file, and back into content.yaml.

Each printed string of the source document is one PO entry: ``msgctxt`` is its place in
the document (``sections[2].bullets[1]``), ``msgid`` the source text and ``msgstr`` the
translation. The header records the topic, the source language and the source version,
so an import knows what it was translated from. Translators' tools (Poedit, Weblate,
Lokalise, OmegaT) open PO files. The round trip is lossless: export, then import,
gives back the same document.

A translation made from an older version of the source is stale. content.yaml keeps only
the version (a hash) it was made from, not that version's text, so which entries changed
cannot be known: an export marks every filled-in entry of a stale translation fuzzy, as
gettext's msgmerge marks changed ones, and says why in the file's header comment. An
import refuses fuzzy entries, as it refuses untranslated ones, so a translation is never
recorded as made from the current source before a translator has checked every entry.

The ``Language`` header may be written the gettext way (``zh_Hans``, ``VI``); an import
takes it as the code content.yaml uses (``zh-Hans``, ``vi``). The new content.yaml is
loaded and checked as the tool loads it before it replaces the old one.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polib
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML

from handout.errors import InputError, NotFoundError, Problem
from handout.loading import Position, SourceFile, dotted_path, load_yaml, validate
from handout.locales import available as labelled_languages
from handout.output import write_atomic
from handout.resolve import LoadedContent, load_content
from handout.schema import Content, Document, Language, Topic, Translation, canonical_language

DocumentPath = tuple[str | int, ...]


def export_po(content: LoadedContent, topic_id: str, language: str) -> bytes:
    """The PO file for translating ``topic_id`` into ``language``, with any existing translation filled in."""
    topic = content.topic(topic_id)
    try:
        language = content_language(language, topic)
    except ValueError as exc:
        raise NotFoundError(f"--lang {exc}: use one of {', '.join(topic.documents)} or a new language") from None
    source = topic.documents[topic.source_language]
    existing = topic.documents.get(language)
    translated = dict(existing.texts()) if existing else {}
    translation = existing.translation if existing else None
    stale = translation is not None and translation.source_version != source.version()
    po = polib.POFile(wrapwidth=0)
    po.metadata = _header(topic, language, source, translation)
    if translation is not None and stale:
        po.header = _stale_note(translation, topic.source_language, source)
    elif translation is not None and translation.reviewed:
        po.header = _review_note(translation)
    for path, text in source.texts():
        msgstr = translated.get(path, "")
        flags = ["fuzzy"] if stale and msgstr else []
        po.append(polib.POEntry(msgctxt=dotted_path(path), msgid=text, msgstr=msgstr, flags=flags))
    return str(po).encode("utf-8")


# Files exported before this header existed copied a translation's review into X-Reviewed: in them,
# "yes" may be the earlier review of text that was edited since.
EXPORT_FORMAT = "X-Handout-Export-Format"


def _header(topic: Topic, language: str, source: Document, translation: Translation | None) -> dict[str, str]:
    """The PO header. ``X-Reviewed`` is always "no": whoever checks the file sets it (see _reviewed)."""
    return {
        "Project-Id-Version": f"handout {topic.id}",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Handout-Topic": topic.id,
        "X-Source-Language": topic.source_language,
        "X-Source-Version": source.version(),
        "X-Translation-Method": translation.method if translation else "human",
        "X-Reviewed": "no",
        EXPORT_FORMAT: "2",
    }


def _review_note(translation: Translation) -> str:
    by = f" ({translation.reviewed_by})" if translation.reviewed_by else ""
    return (
        f"content.yaml records this translation as checked by a qualified translator{by}.\n"
        "Imported unchanged, it stays checked. If any entry is changed, that check does not cover it:\n"
        "it is imported as not checked unless whoever checks the changed file sets X-Reviewed to yes\n"
        "(and X-Reviewed-By to their name)."
    )


def _stale_note(translation: Translation, source_language: str, source: Document) -> str:
    return (
        f"This translation was made from version {translation.source_version} of the '{source_language}' text,\n"
        f"which is now version {source.version()}. Which entries changed is not recorded, so every\n"
        'translated entry is marked fuzzy ("Needs work" in Poedit): compare each with the source\n'
        "text, correct it if needed, then remove the fuzzy flag. import-po refuses fuzzy entries.\n"
        'X-Reviewed is "no": the updated translation needs a qualified translator\'s check.'
    )


@dataclass(frozen=True)
class Imported:
    topic: str
    language: str
    content_path: Path
    note: str = ""  # what the user should know about the import, such as a review not recorded


def import_po(content_path: Path, po_path: Path) -> Imported:
    """Put the translation in ``po_path`` into content.yaml as that language's document."""
    po = _read_po(po_path)
    content = load_content(content_path)
    header = po.metadata
    topic_id, written = header.get("X-Handout-Topic", ""), header.get("Language", "")
    if not topic_id or not written:
        raise InputError([Problem(po_path, 1, 1, "the header needs 'Language' and 'X-Handout-Topic': export again")])
    topic = content.topic(topic_id)
    try:
        language = content_language(written, topic)
    except ValueError as exc:
        line = _header_line(po_path, "Language")
        what_to_do = (
            f"set the Language header to the language this file translates; the topic has {', '.join(topic.documents)}"
        )
        raise InputError([Problem(po_path, line, 1, f"Language {exc}: {what_to_do}")]) from None
    if language == topic.source_language:
        raise InputError([Problem(po_path, _header_line(po_path, "Language"), 1, f"'{language}' is the source "
                                  f"language of '{topic_id}': set the Language header to the language this file "
                                  "translates")])  # fmt: skip
    document = _document_from(po, po_path, topic.documents[topic.source_language], header)
    document, note = _reviewed(document, topic.documents.get(language), EXPORT_FORMAT in header)
    _write_document(content, topic_id, language, document, po_path)
    return Imported(topic_id, language, content_path, note)


_LANGUAGE_CODE: TypeAdapter[str] = TypeAdapter(Language)


def content_language(written: str, topic: Topic) -> str:
    """The code content.yaml gives a language written the gettext way or in any case: ``zh_Hans`` is
    ``zh-Hans``, ``VI`` is ``vi``, ``fr_FR`` is ``fr-FR``.

    A code the schema refuses, or a regional variant of a language the topic already has (``fr-FR``
    beside ``fr``) that the tool has no page labels for, raises ValueError saying what to write:
    which document such a file translates is a guess this function does not make.
    """
    if "@" in written:  # a gettext modifier such as es@formal names a variant content.yaml has no code for
        raise ValueError(f"'{written}' has a gettext modifier ('@...'), which is not a language code")
    code = canonical_language(written.strip().split(".")[0].replace("_", "-"))  # without an encoding (.UTF-8)
    if code in topic.documents:
        return code
    try:
        _LANGUAGE_CODE.validate_python(code)
    except ValidationError:
        raise ValueError(f"'{written}' is not a language code") from None
    base = code.split("-")[0]
    related = [known for known in topic.documents if known.split("-")[0] == base]
    if related and code not in labelled_languages():
        raise ValueError(
            f"'{written}' is {code}, which topic '{topic.id}' has no document in (it has {', '.join(related)})"
        )
    return code


def _header_line(po_path: Path, field: str) -> int:
    """The line of a PO header field, to point at it; 1 when it cannot be found."""
    for number, line in enumerate(po_path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f'"{field}:'):
            return number
    return 1


def _read_po(po_path: Path) -> polib.POFile:
    if not po_path.is_file():  # polib would read the path itself as the text of a PO file
        raise NotFoundError(f"cannot read {po_path}: there is no such file")
    try:
        return polib.pofile(str(po_path), encoding="utf-8")
    except OSError as exc:
        if exc.strerror:
            raise NotFoundError(f"cannot read {po_path}: {exc.strerror}") from None
        line = re.search(r"line (\d+)", str(exc))  # polib reports a syntax error as an OSError
        where = int(line.group(1)) if line else 1
        raise InputError([Problem(po_path, where, 1, f"not a readable PO file: {exc}")]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError([Problem(po_path, 1, 1, f"not a readable PO file: {exc}")]) from None


def _document_from(po: polib.POFile, po_path: Path, source: Document, header: dict[str, str]) -> Document:
    entries = {entry.msgctxt: entry for entry in po if not entry.obsolete}
    data: dict[str, Any] = source.model_dump(mode="json", exclude={"translation"}, exclude_none=True)
    problems: list[Problem] = []
    positions: dict[DocumentPath, int] = {}
    for path, text in source.texts():
        entry = entries.get(dotted_path(path))
        if entry is None or not entry.msgstr.strip():
            line = entry.linenum if entry else 1
            problems.append(
                Problem(po_path, line, 1, f"{dotted_path(path)} is not translated: translate {text[:40]!r}")
            )
            continue
        if entry.fuzzy:
            problems.append(Problem(po_path, entry.linenum, 1, _fuzzy_message(dotted_path(path), text)))
            continue
        _set(data, path, entry.msgstr)
        positions[path] = entry.linenum
    if problems:
        raise InputError(problems)
    translation = {
        "from_language": header.get("X-Source-Language", "en"),
        "source_version": header.get("X-Source-Version", ""),
        "method": header.get("X-Translation-Method", "human"),
        "reviewed": header.get("X-Reviewed", "no") == "yes",
    }
    if header.get("X-Reviewed-By"):
        translation["reviewed_by"] = header["X-Reviewed-By"]
    data["translation"] = translation
    located = SourceFile(po_path, data, {path: Position(line, 1) for path, line in positions.items()})
    return validate(located, Document)


def _reviewed(document: Document, existing: Document | None, current_format: bool) -> tuple[Document, str]:
    """The imported translation's review. Imported with the same texts from the same source, a reviewed
    translation stays reviewed. A changed one is reviewed only if its file says so, which an export never
    does; in a file exported before that was so, "yes" is not believed (see EXPORT_FORMAT)."""
    new = document.translation
    assert new is not None, "an imported document is a translation"
    old = existing.translation if existing else None
    unchanged = (existing is not None and old is not None and old.source_version == new.source_version
                 and dict(existing.texts()) == dict(document.texts()))  # fmt: skip
    if unchanged and old is not None and old.reviewed:
        by = (new.reviewed_by if new.reviewed else None) or old.reviewed_by
        return _with_review(document, True, by), ""
    if new.reviewed and not unchanged and not current_format:
        note = ("X-Reviewed says yes, but this file was exported by an earlier version of handout, which copied "
                "the earlier review into it, and entries changed: recorded as not yet checked by a qualified "
                "translator. Export it again, have the changed entries checked, set X-Reviewed to yes, "
                "and import it")  # fmt: skip
        return _with_review(document, False, None), note
    return document, ""


def _with_review(document: Document, reviewed: bool, by: str | None) -> Document:
    assert document.translation is not None
    translation = document.translation.model_copy(update={"reviewed": reviewed, "reviewed_by": by})
    return document.model_copy(update={"translation": translation})


def _fuzzy_message(place: str, text: str) -> str:
    return (
        f"{place} is marked fuzzy (needs work): check its translation against {text[:40]!r}, "
        "correct it if needed, then remove the fuzzy flag"
    )


def _set(data: Any, path: DocumentPath, value: str) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096  # never re-wrap the lines people wrote
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def _as_yaml_data(document: Document) -> dict[str, Any]:
    """The document as it would be written by hand: translation record first, no default values."""
    assert document.translation is not None
    translation = document.translation.model_dump(mode="json", exclude_none=True)
    return {
        "translation": translation,
        **document.model_dump(mode="json", exclude={"translation"}, exclude_defaults=True),
    }


def _write_document(content: LoadedContent, topic_id: str, language: str, document: Document, po_path: Path) -> None:
    yaml = _yaml()
    path = content.source.path
    tree = yaml.load(path.read_text(encoding="utf-8"))
    for topic in tree["topics"]:
        if topic["id"] == topic_id:
            topic["documents"][language] = _as_yaml_data(document)
    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    text = buffer.getvalue()
    _check_loadable(path, text, po_path)
    write_atomic(path, text.encode("utf-8"))


def _check_loadable(path: Path, text: str, po_path: Path) -> None:
    """Refuse, naming the PO file, a new content file that the tool would not load."""
    try:
        validate(load_yaml(path, text), Content)
    except InputError as error:
        raise InputError(
            [
                Problem(
                    po_path,
                    1,
                    1,
                    f"{path} would not load with this translation, so it was left as it was: {problem.message}",
                )
                for problem in error.problems
            ]
        ) from None
