"""How a translation's structure differs from the document it was translated from.

A translation must say what its source says, section by section: a missing section (above all
the warning section, the emergency box), a section of another kind, or a list with an item left
out is an error; ``check`` reports each difference with its line. ``build`` and ``batch`` refuse
a translation whose emergency box is missing or is no longer a warning box (the patient would not
be told when to call for help), and warn when they print one with the other differences.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from handout.schema import Document, Section, Topic

Severity = Literal["error", "warning", "info"]


def structure_of(document: Document) -> tuple[object, ...]:
    """What the comparison's errors depend on: the sections' kinds and counts, the number of key points."""
    sections = tuple((s.heading, s.kind, len(s.paragraphs), len(s.bullets)) for s in document.sections)
    return sections, len(document.key_points), document.subtitle is not None


@dataclass(frozen=True)
class Difference:
    """How a translation's structure differs from its source's, at a path inside the translation."""

    severity: Severity
    path: tuple[str | int, ...]
    message: str
    emergency_box: bool = False  # the difference leaves a warning section (the emergency box) out


def emergency_box_differences(topic: Topic, language: str) -> list[Difference]:
    """How the document in ``language`` leaves out an emergency box of the topic's source document, or turns
    one into another kind of section. Against the source itself, not the text it was translated from: a
    translation made from another translation that lost its box must not lose it too."""
    translated, source = topic.documents[language], topic.documents[topic.source_language]
    if language == topic.source_language or _kinds(translated) == _kinds(source):
        return []
    return [d for d in structure_differences(source, translated, topic.source_language) if d.emergency_box]


def _kinds(document: Document) -> list[str]:
    return [section.kind for section in document.sections]


def structure_differences(source: Document, translated: Document, source_language: str) -> Iterator[Difference]:
    """Sections, their kinds, bullets and paragraphs, and key points the translation has not one for one.

    Errors: a section missing or extra, a section of another kind, another number of bullets, key points, or
    of paragraphs in a highlight or warning box. A warning: another number of paragraphs in an ordinary
    section (a translator may split a long sentence), or a subtitle only one of them has."""
    theirs = f"the '{source_language}' text"
    if len(translated.key_points) != len(source.key_points):
        yield Difference("error", ("key_points",), f"{len(translated.key_points)} key points where {theirs} has "
                         f"{len(source.key_points)}: translate each key point, one for one (the large-print layout "
                         "prints only these)")  # fmt: skip
    if (source.subtitle is None) != (translated.subtitle is None):
        has, lacks = ("this text", theirs) if translated.subtitle else (theirs, "this text")
        yield Difference("warning", ("subtitle",) if translated.subtitle else (),
                         f"{has} has a subtitle and {lacks} has none: translate it or remove it")  # fmt: skip
    yield from _section_differences(source, translated, theirs)


def _section_differences(source_document: Document, translated_document: Document,
                         theirs: str) -> Iterator[Difference]:  # fmt: skip
    source, translated = source_document.sections, translated_document.sections
    before = -1  # the translated section a missing one belongs after
    for mine, its in aligned_sections(source_document, translated_document):
        if mine is None and its is not None:
            yield _missing_section(its, source[its], before, translated, theirs)
        elif its is None and mine is not None:
            yield Difference("error", ("sections", mine),
                             f"section {mine + 1} ('{translated[mine].heading}') matches no section of {theirs}: "
                             "remove it, or check that the sections are in the same order")  # fmt: skip
        elif mine is not None and its is not None:
            yield from _compared_sections(mine, translated[mine], its, source[its], theirs)
        before = mine if mine is not None else before


def _missing_section(index: int, section: Section, before: int, translated: list[Section],
                     theirs: str) -> Difference:  # fmt: skip
    what = {"warning": "the warning section (the emergency box)", "highlight": "the highlighted section"}
    place = f"after section {before + 1} ('{translated[before].heading}')" if before >= 0 else "first"
    return Difference("error", (), f"{what.get(section.kind, 'the section')} '{section.heading}' (section "
                      f"{index + 1} of {theirs}) is missing: translate it and put it {place}",
                      emergency_box=section.kind == "warning")  # fmt: skip


def _compared_sections(mine: int, section: Section, its: int, source: Section, theirs: str) -> Iterator[Difference]:
    where = ("sections", mine)
    named = f"section {mine + 1} ('{section.heading}')"
    counterpart = f"section {its + 1} of {theirs} ('{source.heading}')"
    if section.kind != source.kind:
        yield Difference("error", where, f"{named} is a '{section.kind}' section and {counterpart} a '{source.kind}' "
                         f"section: set kind: {source.kind}, or check the order of the sections",
                         emergency_box=source.kind == "warning")  # fmt: skip
    boxed = {section.kind, source.kind} != {"normal"}
    counted: list[tuple[str, Severity]] = [("bullets", "error"), ("paragraphs", "error" if boxed else "warning")]
    for part, severity in counted:
        count, expected = len(getattr(section, part)), len(getattr(source, part))
        if count != expected:
            yield Difference(severity, where, f"{named} has {count} {part} and {counterpart} has {expected}: "
                             f"translate the {part} one for one, leaving none out")  # fmt: skip


def aligned_sections(source: Document, translated: Document) -> list[tuple[int | None, int | None]]:
    """Pairs (translated index, source index) in order; None where a section has no counterpart.

    The pairing with the most alike pairs (a global alignment): sections of the same kind always pair, the
    number of paragraphs and bullets tells which of several sections of a kind is the missing one, and their
    lengths tell apart sections alike in those."""
    like = _likeness_table(translated, source)
    n, m = len(translated.sections), len(source.sections)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], best[i + 1][j + 1] + like[i][j])
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n or j < m:
        if i < n and j < m and best[i][j] == best[i + 1][j + 1] + like[i][j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif i < n and (j == m or best[i][j] == best[i + 1][j]):
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    return pairs


def _likeness_table(translated: Document, source: Document) -> list[list[float]]:
    """How alike each translated and source section are; above 0 when one may be the other's translation.

    Kind and counts give whole points. Length adds less than half a point in all: a section's length over its
    counterpart's is about the ratio of the two documents' title, summary and key points."""
    ratio = _length(translated.title, translated.summary, *translated.key_points) / _length(
        source.title, source.summary, *source.key_points
    )
    scale = 2 * (max(len(translated.sections), len(source.sections)) + 1)
    table = []
    for mine in translated.sections:
        row = []
        for its in source.sections:
            length, expected = _section_length(mine), _section_length(its) * ratio
            row.append(_likeness(mine, its) + min(length, expected) / max(length, expected) / scale)
        table.append(row)
    return table


def _likeness(one: Section, other: Section) -> int:
    kind = 3 if one.kind == other.kind else -1
    return kind + (len(one.paragraphs) == len(other.paragraphs)) + (len(one.bullets) == len(other.bullets))


def _section_length(section: Section) -> int:
    return _length(section.heading, *section.paragraphs, *section.bullets)


def _length(*texts: str) -> int:
    return sum(len(text) for text in texts)
