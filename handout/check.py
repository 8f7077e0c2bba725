"""`handout check`: what coordinators must know before anything is printed.

Every finding names the file and line it is about. Errors make ``check`` exit 1; with
``--strict`` warnings do too. Notes (``info``) never fail a run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from handout.fonts import missing_glyphs, script_for
from handout.inline import plain
from handout.resolve import LoadedContent, Project, load_clinic, load_content
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
    for topic in content.content.topics:
        findings += _review(content, topic, today)
        findings += _translations(content, topic, options.require_reviewed)
        findings += _glyphs(content, topic)
    findings += _clinic_languages(project, content)
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
    values = {"clinic_name": "", "clinic_phone": "", "emergency_number": "911"}
    for language, document in topic.documents.items():
        family = script_for(language).family
        where = (*_topic_path(content, topic), "documents", language)
        for path, text in document.texts():
            for char in missing_glyphs(plain(text, values), family):
                yield _finding(
                    content,
                    (*where, *path),
                    "error",
                    "glyphs",
                    topic.id,
                    language,
                    f"character {char!r} (U+{ord(char):04X}) has no glyph in {family.name}",
                )


def _clinic_languages(project: Project, content: LoadedContent) -> Iterator[Finding]:
    for clinic_id in project.clinic_ids():
        clinic = load_clinic(project, clinic_id)
        for index, language in enumerate(clinic.clinic.languages):
            for topic in content.content.topics:
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
    rows += [(f.severity, f.check, f.topic, f.language or "-", f"{f.file.name}:{f.line}", f.message) for f in findings]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5]
             for row in rows]  # fmt: skip
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    lines.append(f"\n{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes")
    return "\n".join(lines)
