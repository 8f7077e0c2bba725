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
from typing import TypeVar

from reportlab.lib.colors import HexColor

from handout.colours import TEXT_CONTRAST, contrast_ratio, low_contrast, palette_for
from handout.errors import HandoutError, InputError, Problem
from handout.fit import check_header, fit, fit_key, height_needed
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
from handout.schema import Topic
from handout.structure import Severity, emergency_box_differences, structure_differences

T = TypeVar("T")
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
    column: int = 0  # known for problems in the input files: a roster's cell, a YAML value

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "file": str(self.file)}

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")


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
    inputs.problems += inputs.attempt(project.clinics_dir, project.roster_problems) or []
    for clinic_id in inputs.attempt(project.clinics_dir, project.clinic_ids) or []:
        clinic = inputs.attempt(project.clinics_dir, partial(load_clinic, project, clinic_id))
        inputs.clinics += [clinic] if clinic else []
    for name in project.layout_names():
        layout = inputs.attempt(project.layouts_dir / f"{name}.yaml", partial(load_layout, project, name))
        inputs.layouts += [layout] if layout else []
    return inputs


def _input_finding(problem: Problem) -> Finding:
    return Finding("error", INPUT, problem.file, problem.line, "-", "-", problem.message, problem.column)


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
    return content.topic_path(topic)


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
    box_reported = False
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
            box_reported |= difference.emergency_box
            yield finding((*content.path_of(topic, language), *difference.path), difference.severity,
                          difference.message)  # fmt: skip
    if not box_reported:  # translated from another translation, which lost the box too: build refuses it
        for difference in emergency_box_differences(topic, language):
            yield finding((*content.path_of(topic, language), *difference.path), "error", difference.message)
    if not translation.reviewed:
        yield finding((*where, "reviewed"), "error" if require_reviewed else "info",
                      f"{translation.method} translation not yet checked by a qualified translator")  # fmt: skip


def _translation_finding(content: LoadedContent, topic: Topic, language: str, path: tuple[str | int, ...],
                         severity: Severity, message: str) -> Finding:  # fmt: skip
    return _finding(content, path, severity, "translation", topic.id, language, message)


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
        if emergency_box_differences(topic, language):
            continue  # not printed, so not fitted: the translation check says why
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
    check_header(page)
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
    rows += [(f.severity, f.check, f.topic, f.language or "-", f.where, f.message) for f in findings]
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
