"""`handout check`: what coordinators must know before anything is printed.

Every finding names the file and line it is about. Errors make ``check`` exit 1; with
``--strict`` warnings do too. Notes (``info``) never fail a run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

from reportlab.lib.colors import HexColor

from handout.colours import TEXT_CONTRAST, contrast_ratio, low_contrast, palette_for
from handout.errors import HandoutError, InputError, Problem
from handout.fit import fit, fit_key, height_needed
from handout.fonts import script_code, script_for
from handout.page import Page
from handout.readability import body_text, measure, style_notes, words_per_sentence
from handout.resolve import (
    LoadedClinic,
    LoadedContent,
    LoadedLayout,
    Project,
    assemble,
    load_clinic,
    load_content,
    load_layout,
    unprintable,
)
from handout.schema import Document, Section, Topic

T = TypeVar("T")
Severity = Literal["error", "warning", "info"]
REVIEW_WARNING_DAYS = 60


@dataclass(frozen=True)
class Finding:
    severity: Severity
    check: str
    file: Path
    line: int
    topic: str
    language: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "file": str(self.file)}


@dataclass(frozen=True)
class CheckOptions:
    require_reviewed: bool = False
    today: dt.date | None = None


INPUT = "input"  # the check of a finding that is a problem in an input file: exit 2, as for `build`


def check_project(project: Project, options: CheckOptions) -> list[Finding]:
    """Every problem of every input file as a finding, then every check that the files which loaded allow:
    the content is checked with the clinics and layouts that are valid."""
    inputs = _load(project)
    findings = [_input_finding(problem) for problem in inputs.problems]
    if inputs.content is not None:
        findings += _content_findings(inputs.content, inputs.clinics, inputs.layouts, options)
    findings += _colours(inputs.clinics, inputs.layouts)
    return sorted(findings, key=lambda f: (f.severity != "error", f.severity != "warning", f.topic, f.language))


@dataclass
class _Inputs:
    """What loaded, and the problems of what did not."""

    content: LoadedContent | None = None
    clinics: list[LoadedClinic] = field(default_factory=list)
    layouts: list[LoadedLayout] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def attempt(self, file: Path, load: Callable[[], T]) -> T | None:
        """What ``load`` returns, or None with its problems kept."""
        try:
            return load()
        except InputError as error:
            self.problems += error.problems
        except HandoutError as error:
            self.problems.append(Problem(file, 1, 1, str(error)))
        return None


def _load(project: Project) -> _Inputs:
    """Load the content, each clinic (file or roster row) and each layout on its own, keeping every problem."""
    inputs = _Inputs()
    inputs.content = inputs.attempt(project.content_path, partial(load_content, project.content_path))
    for clinic_id in inputs.attempt(project.clinics_dir, project.clinic_ids) or []:
        clinic = inputs.attempt(project.clinics_dir, partial(load_clinic, project, clinic_id))
        inputs.clinics += [clinic] if clinic else []
    for name in project.layout_names():
        layout = inputs.attempt(project.layouts_dir / f"{name}.yaml", partial(load_layout, project, name))
        inputs.layouts += [layout] if layout else []
    return inputs


def _input_finding(problem: Problem) -> Finding:
    return Finding("error", INPUT, problem.file, problem.line, "-", "-", problem.message)


def _content_findings(content: LoadedContent, clinics: list[LoadedClinic], layouts: list[LoadedLayout],
                      options: CheckOptions) -> list[Finding]:  # fmt: skip
    today = options.today or dt.date.today()
    findings: list[Finding] = []
    printed = [topic for topic in content.content.topics if topic.review.status != "retired"]
    for topic in content.content.topics:
        if topic not in printed:
            findings.append(_finding(content, _topic_path(content, topic), "info", "review", topic.id, "",
                                     "retired: it is not printed, so it is not checked"))  # fmt: skip
    for topic in printed:
        findings += _review(content, topic, today)
        for language in topic.documents:
            findings += _document_findings(content, topic, language, options)
    findings += _clinic_languages(clinics, printed)
    for topic in printed:
        findings += _layout(content, topic, clinics, layouts)
    return findings


def _document_findings(content: LoadedContent, topic: Topic, language: str, options: CheckOptions) -> list[Finding]:
    """The checks of one language's document; one that cannot run (no font for the script) is an error of it."""
    checks: dict[str, Callable[[], Iterable[Finding]]] = {
        "translation": partial(_translation, content, topic, language, options.require_reviewed),
        "glyphs": partial(_glyphs, content, topic, language),
        "readability": partial(_reading, content, topic, language),
    }
    findings: list[Finding] = []
    for check, run in checks.items():
        try:
            findings += run()
        except HandoutError as error:
            where = content.path_of(topic, language)
            findings.append(_finding(content, where, "error", check, topic.id, language, str(error)))
    return findings


def _finding(content: LoadedContent, path: tuple[str | int, ...], severity: Severity, check: str, topic: str,
             language: str, message: str) -> Finding:  # fmt: skip
    position = content.source.locate(path)
    return Finding(severity, check, content.source.path, position.line, topic, language, message)


def _topic_path(content: LoadedContent, topic: Topic) -> tuple[str | int, ...]:
    return ("topics", content.content.topics.index(topic))


def _review(content: LoadedContent, topic: Topic, today: dt.date) -> Iterator[Finding]:
    where = (*_topic_path(content, topic), "review", "next_review")
    due = topic.review.next_review
    if due < today:
        yield _finding(
            content,
            where,
            "error",
            "review",
            topic.id,
            "",
            f"review was due on {due.isoformat()}: have a clinician review it and set new dates",
        )
    elif (due - today).days <= REVIEW_WARNING_DAYS:
        yield _finding(
            content,
            where,
            "warning",
            "review",
            topic.id,
            "",
            f"review is due on {due.isoformat()}, in {(due - today).days} days",
        )
    if topic.review.status == "draft":
        yield _finding(
            content,
            (*_topic_path(content, topic), "review", "status"),
            "info",
            "review",
            topic.id,
            "",
            "draft: a clinician has not approved it yet",
        )


def _translation(content: LoadedContent, topic: Topic, language: str, require_reviewed: bool) -> Iterator[Finding]:
    """Whether a translation still matches the document it was translated from, and whether it was checked."""
    document = topic.documents[language]
    translation = document.translation
    if translation is None:
        return
    where = (*content.path_of(topic, language), "translation")
    finding = partial(_translation_finding, content, topic, language)
    source = topic.documents.get(translation.from_language)
    if source is None:
        yield finding((*where, "from_language"), "error",
                      f"translated from '{translation.from_language}', but the topic has no "
                      f"'{translation.from_language}' document: set from_language to the language it was "
                      f"translated from (one of {', '.join(topic.documents)})")  # fmt: skip
    else:
        if translation.source_version != source.version():
            yield finding((*where, "source_version"), "error",
                          f"stale: translated from version {translation.source_version} of the "
                          f"'{translation.from_language}' text, which is now {source.version()}: update the "
                          "translation (handout export-po) and set source_version")  # fmt: skip
        for difference in structure_differences(source, document, translation.from_language):
            yield finding((*content.path_of(topic, language), *difference.path), difference.severity,
                          difference.message)  # fmt: skip
    if not translation.reviewed:
        yield finding((*where, "reviewed"), "error" if require_reviewed else "info",
                      f"{translation.method} translation not yet checked by a qualified translator")  # fmt: skip


def _translation_finding(content: LoadedContent, topic: Topic, language: str, path: tuple[str | int, ...],
                         severity: Severity, message: str) -> Finding:  # fmt: skip
    return _finding(content, path, severity, "translation", topic.id, language, message)


@dataclass(frozen=True)
class Difference:
    """How a translation's structure differs from its source's, at a path inside the translation."""

    severity: Severity
    path: tuple[str | int, ...]
    message: str


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
                      f"{index + 1} of {theirs}) is missing: translate it and put it {place}")  # fmt: skip


def _compared_sections(mine: int, section: Section, its: int, source: Section, theirs: str) -> Iterator[Difference]:
    where = ("sections", mine)
    named = f"section {mine + 1} ('{section.heading}')"
    counterpart = f"section {its + 1} of {theirs} ('{source.heading}')"
    if section.kind != source.kind:
        yield Difference("error", where, f"{named} is a '{section.kind}' section and {counterpart} a '{source.kind}' "
                         f"section: set kind: {source.kind}, or check the order of the sections")  # fmt: skip
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


def _glyphs(content: LoadedContent, topic: Topic, language: str) -> Iterator[Finding]:
    script = script_for(language)
    where = content.path_of(topic, language)
    for path, char in unprintable(topic.documents[language], script, SAMPLE_VALUES):
        fonts = script.family.name + (f" or its fallback {script.fallback.name}" if script.fallback else "")
        message = f"character {char!r} (U+{ord(char):04X}) has no glyph in {fonts}"
        yield _finding(content, (*where, *path), "error", "glyphs", topic.id, language, message)


SAMPLE_VALUES = {"clinic_name": "Clinic", "clinic_phone": "(555) 555-0100", "emergency_number": "911"}
GRADE_WARNING, GRADE_ERROR = 7, 8
INFLESZ_ERROR, INFLESZ_WARNING = 55, 60
MAX_WORDS_PER_SENTENCE = 20
MAX_CHARACTERS_PER_SENTENCE = 40  # Chinese and Japanese, counted in characters


def _reading(content: LoadedContent, topic: Topic, language: str) -> Iterator[Finding]:
    document = topic.documents[language]
    where = content.path_of(topic, language)
    text = body_text(document, SAMPLE_VALUES)
    score = measure(text, language)
    script = script_code(language)

    finding = partial(_reading_finding, content, where, topic.id, language)

    for name, grade in (("Flesch-Kincaid grade", score.flesch_kincaid_grade), ("SMOG grade", score.smog)):
        if grade is None:
            continue
        severity: Severity = "error" if grade > GRADE_ERROR else "warning" if grade > GRADE_WARNING else "info"
        yield finding(severity, f"{name} {grade:.1f} (aim for 7 or lower; never above 8)")
    if score.inflesz is not None:
        severity = (
            "error" if score.inflesz < INFLESZ_ERROR else "warning" if score.inflesz < INFLESZ_WARNING else "info"
        )
        yield finding(severity, f"INFLESZ {score.inflesz:.0f}, Fernández-Huerta {score.fernandez_huerta:.0f} "
                                f"(55 or more; 65-80 is fairly easy)")  # fmt: skip
    average = words_per_sentence(text, script)
    wide = script in ("Hans", "Hant", "Jpan")
    limit = MAX_CHARACTERS_PER_SENTENCE if wide else MAX_WORDS_PER_SENTENCE
    unit = "characters" if wide else "words"
    yield finding("warning" if average > limit else "info",
                  f"sentences average {average:.1f} {unit} (keep under {limit})")  # fmt: skip
    for note in style_notes(document, language, SAMPLE_VALUES):
        yield finding(note.severity, note.message, note.path)  # type: ignore[arg-type]


def _reading_finding(content: LoadedContent, where: tuple[str | int, ...], topic: str, language: str,
                     severity: Severity, message: str, path: tuple[str | int, ...] = ()) -> Finding:  # fmt: skip
    return _finding(content, (*where, *path), severity, "readability", topic, language, message)


def _colours(clinics: list[LoadedClinic], layouts: list[LoadedLayout]) -> Iterator[Finding]:
    """Text contrast (WCAG 2.1) of each colour pair a brand puts on the page; tints that vanish in grey."""
    white = HexColor("#FFFFFF")
    for clinic in clinics:
        for layout in layouts:
            palette = palette_for(clinic.clinic.colors, layout.layout.colors)
            for role, ratio in low_contrast(palette):
                message = (f"{role}: contrast {ratio:.1f}:1 with layout '{layout.name}', needs {TEXT_CONTRAST}:1: "
                           "choose a darker primary or a lighter secondary colour")  # fmt: skip
                yield _clinic_finding(clinic, "error", "contrast", message)
            fills = (("summary box", palette.summary_fill), ("highlight box", palette.highlight_fill),
                     ("warning box", palette.warning_fill))  # fmt: skip
            for role, fill in fills:
                if contrast_ratio(fill, white) < MIN_TINT_CONTRAST:
                    message = f"{role} fill is too close to white to show when printed in grey"
                    yield _clinic_finding(clinic, "warning", "greyscale", message)


MIN_TINT_CONTRAST = 1.05


def _clinic_finding(clinic: LoadedClinic, severity: Severity, check: str, message: str) -> Finding:
    position = clinic.source.locate(("colors",))
    return Finding(severity, check, clinic.source.path, position.line, "-", "-", f"{clinic.id}: {message}")


def _layout(content: LoadedContent, topic: Topic, clinics: list[LoadedClinic],
            layouts: list[LoadedLayout]) -> Iterator[Finding]:  # fmt: skip
    """The one-page fit for every language with the clinics that offer it (or the first clinic)."""
    fits: dict[tuple[object, ...], tuple[float, str] | HandoutError] = {}
    for language in topic.documents:
        offering = [c for c in clinics if language in c.clinic.languages] or clinics[:1]
        for clinic in offering:
            for layout in layouts:
                where = (*_topic_path(content, topic), "documents", language)
                try:
                    size, tight = _fitted(Page(assemble(content, clinic, layout, topic.id, language)), fits)
                except HandoutError as error:
                    yield _finding(content, where, "error", "layout", topic.id, language,
                                   f"{clinic.id}, {layout.name}: {error}")  # fmt: skip
                    continue
                yield _finding(content, where, "info", "layout", topic.id, language,
                               f"{clinic.id}, {layout.name}: body {size:g} pt")  # fmt: skip
                if tight:
                    yield _finding(content, where, "warning", "layout", topic.id, language,
                                   f"{clinic.id}, {layout.name}: {tight}")  # fmt: skip


def _fitted(page: Page, fits: dict[tuple[object, ...], tuple[float, str] | HandoutError]) -> tuple[float, str]:
    """The body size and what is tight about it. Found once for all clinics whose pages the fit cannot
    tell apart (page size, footer height, placeholder values), as a batch does: a roster has thousands."""
    key = fit_key(page)
    if key not in fits:
        try:
            size = fit(page).body_size
            fits[key] = (size, _tight_fit(page, size))
        except HandoutError as error:
            fits[key] = error
    found = fits[key]
    if isinstance(found, HandoutError):
        raise found
    return found


def _tight_fit(page: Page, size: float) -> str:
    """At the smallest size, less room to spare than a line of text: another clinic's longer name, address or
    website, which take more lines in the footer, may push the text onto a second page."""
    scale = page.layout.type
    if size > scale.body_min:
        return ""
    spare = -height_needed(page, size)
    if spare >= scale.body_min * scale.leading:
        return ""
    return (f"fits only at the smallest size, {spare / 72 * 25.4:.0f} mm to spare: a clinic with a longer name, "
            "address or website may not fit; shorten this language by a line or two")  # fmt: skip


def _clinic_languages(clinics: list[LoadedClinic], topics: list[Topic]) -> Iterator[Finding]:
    for clinic in clinics:
        clinic_id = clinic.id
        for index, language in enumerate(clinic.clinic.languages):
            for topic in topics:
                if language not in topic.documents:
                    position = clinic.source.locate(("languages", index))
                    yield Finding(
                        "error",
                        "translation",
                        clinic.source.path,
                        position.line,
                        topic.id,
                        language,
                        f"clinic '{clinic_id}' offers '{language}' but topic '{topic.id}' has no "
                        f"'{language}' document: translate it or remove the language",
                    )


def exit_code(findings: list[Finding], strict: bool) -> int:
    """2 when an input file has problems (as for every command), else 1 when a check failed."""
    if any(f.check == INPUT for f in findings):
        return 2
    failing = {"error", "warning"} if strict else {"error"}
    return 1 if any(f.severity in failing for f in findings) else 0


def format_table(findings: list[Finding]) -> str:
    """Findings as a table people can read, most serious first, with a count at the end."""
    if not findings:
        return "No problems found."
    rows = [("severity", "check", "topic", "lang", "where", "message")]
    rows += [(f.severity, f.check, f.topic, f.language or "-", f"{f.file}:{f.line}", f.message) for f in findings]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5]
             for row in rows]  # fmt: skip
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    lines.append(f"\n{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes")
    unread = sum(f.check == INPUT for f in findings)
    if unread:
        lines.append(f"{unread} of the errors are problems in the input files ({INPUT}): correct them and run "
                     "check again; the checks that need those files did not run")  # fmt: skip
    return "\n".join(lines)
