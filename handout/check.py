"""`handout check`: what coordinators must know before anything is printed.

Every finding names the file and line it is about. Errors make ``check`` exit 1; with
``--strict`` warnings do too. Notes (``info``) never fail a run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from reportlab.lib.colors import HexColor

from handout.colours import TEXT_CONTRAST, contrast_ratio, low_contrast, palette_for
from handout.errors import HandoutError
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
from handout.schema import Topic

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


def check_project(project: Project, options: CheckOptions) -> list[Finding]:
    """Run every check over the content and the clinics; input errors raise as for `build`."""
    content = load_content(project.content_path)
    today = options.today or dt.date.today()
    findings: list[Finding] = []
    printed = [topic for topic in content.content.topics if topic.review.status != "retired"]
    for topic in content.content.topics:
        if topic not in printed:
            findings.append(_finding(content, _topic_path(content, topic), "info", "review", topic.id, "",
                                     "retired: it is not printed, so it is not checked"))  # fmt: skip
    for topic in printed:
        findings += _review(content, topic, today)
        findings += _translations(content, topic, options.require_reviewed)
        findings += _glyphs(content, topic)
        findings += _reading(content, topic)
    clinics = [load_clinic(project, clinic_id) for clinic_id in project.clinic_ids()]
    layouts = [load_layout(project, name) for name in project.layout_names()]
    findings += _clinic_languages(clinics, printed)
    findings += _colours(clinics, layouts)
    for topic in printed:
        findings += _layout(content, topic, clinics, layouts)
    return sorted(findings, key=lambda f: (f.severity != "error", f.severity != "warning", f.topic, f.language))


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


def _translations(content: LoadedContent, topic: Topic, require_reviewed: bool) -> Iterator[Finding]:
    source_version = topic.documents[topic.source_language].version()
    for language, document in topic.documents.items():
        translation = document.translation
        if translation is None:
            continue
        where = (*_topic_path(content, topic), "documents", language, "translation")
        if translation.source_version != source_version:
            yield _finding(
                content,
                (*where, "source_version"),
                "error",
                "translation",
                topic.id,
                language,
                f"stale: translated from version {translation.source_version} of the "
                f"'{translation.from_language}' text, which is now {source_version}: update the translation "
                f"(handout export-po) and set source_version",
            )
        if not translation.reviewed:
            severity: Severity = "error" if require_reviewed else "info"
            yield _finding(
                content,
                (*where, "reviewed"),
                severity,
                "translation",
                topic.id,
                language,
                f"{translation.method} translation not yet checked by a qualified translator",
            )


def _glyphs(content: LoadedContent, topic: Topic) -> Iterator[Finding]:
    for language, document in topic.documents.items():
        script = script_for(language)
        where = (*_topic_path(content, topic), "documents", language)
        for path, char in unprintable(document, script, SAMPLE_VALUES):
            fonts = script.family.name + (f" or its fallback {script.fallback.name}" if script.fallback else "")
            message = f"character {char!r} (U+{ord(char):04X}) has no glyph in {fonts}"
            yield _finding(content, (*where, *path), "error", "glyphs", topic.id, language, message)


SAMPLE_VALUES = {"clinic_name": "Clinic", "clinic_phone": "(555) 555-0100", "emergency_number": "911"}
GRADE_WARNING, GRADE_ERROR = 7, 8
INFLESZ_ERROR, INFLESZ_WARNING = 55, 60
MAX_WORDS_PER_SENTENCE = 20
MAX_CHARACTERS_PER_SENTENCE = 40  # Chinese and Japanese, counted in characters


def _reading(content: LoadedContent, topic: Topic) -> Iterator[Finding]:
    for language, document in topic.documents.items():
        where = (*_topic_path(content, topic), "documents", language)
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
    return "\n".join(lines)
