"""Make one handout: resolve the inputs, fit the page, render, verify, write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from handout.colours import TEXT_CONTRAST, low_contrast, palette_for
from handout.errors import NotFoundError, OutputError
from handout.fit import fit
from handout.locales import labels_for
from handout.output import write_atomic
from handout.page import Page
from handout.render import render
from handout.resolve import Handout, Project, load_content, resolve
from handout.schema import Document, Topic
from handout.structure import structure_differences
from handout.verify import verify


@dataclass(frozen=True)
class BuildRequest:
    topic: str
    language: str
    clinic: str
    layout: str = "standard"
    output: Path | None = None


@dataclass(frozen=True)
class Built:
    path: Path
    body_size: float
    warnings: list[str] = field(default_factory=list)


def default_output(request: BuildRequest) -> Path:
    return Path("out") / request.clinic / request.language / f"{request.topic}-{request.layout}.pdf"


def build_handout(project: Project, request: BuildRequest, today: dt.date | None = None) -> Built:
    target = output_file(request.output or default_output(request))
    handout = resolve(project, request.topic, request.language, request.clinic, request.layout)
    page = Page(handout)
    chosen = fit(page)
    rendered = render(page, chosen.body_size)
    verify(rendered.pdf)
    write_atomic(target, rendered.pdf)
    return Built(target, chosen.body_size, warnings_for(handout, today or dt.date.today()))


def output_file(path: Path) -> Path:
    """Where to write a handout: a PDF file, never a folder, a device or another kind of file (such as
    content.yaml given by mistake). A symbolic link is followed, so the link stays."""
    if path.is_symlink():
        path = path.resolve()
    if path.name in ("", ".", "..") or path.is_dir():
        raise OutputError(f"{path} is a folder: give the handout a file name ending in .pdf")
    if path.suffix.lower() != ".pdf":
        raise OutputError(f"{path} does not end in .pdf: give the handout a file name ending in .pdf")
    if path.exists() and not path.is_file():
        raise OutputError(f"{path} is not a regular file: give the handout another file name")
    return path


def warnings_for(handout: Handout, today: dt.date) -> list[str]:
    """What staff should know about a handout that was built anyway."""
    warnings = []
    review = handout.topic.review
    where = f"topic '{handout.topic.id}'"
    if review.status == "draft":
        warnings.append(f"{where} is a draft: have a clinician approve it before it is given to patients")
    warnings += review_due(handout.topic, today)
    palette = palette_for(handout.clinic.clinic.colors, handout.layout.layout.colors)
    for role, ratio in low_contrast(palette):
        warnings.append(f"clinic '{handout.clinic.id}': {role} contrast {ratio:.1f}:1 with layout "
                        f"'{handout.layout.name}', below {TEXT_CONTRAST}:1, is hard to read: change the brand "
                        "colours (handout check lists them)")  # fmt: skip
    translation = handout.document.translation
    if translation is not None and not translation.reviewed:
        warnings.append(
            f"{where} in '{handout.language}' is a {translation.method} translation "
            "not yet checked by a qualified translator"
        )
    return warnings + _structure_warnings(handout)


def review_due(topic: Topic, today: dt.date) -> list[str]:
    """The one warning that changes with the date alone, not with a handout's inputs."""
    if topic.review.next_review < today:
        return [f"topic '{topic.id}' was due for review on {topic.review.next_review.isoformat()}"]
    return []


def _structure_warnings(handout: Handout) -> list[str]:
    """A translation that leaves out a section of its source (the emergency box, say) is printed, and said."""
    translation = handout.document.translation
    if translation is None:
        return []
    source = handout.topic.documents.get(translation.from_language)
    if source is None:  # none written, or a batch left it out for its problems
        topic, language, source_language = handout.topic.id, handout.language, translation.from_language
        return [f"topic '{topic}' in '{language}' was translated from '{source_language}', which has no document "
                "to compare it with (handout check shows why)"]  # fmt: skip
    key = (id(source), id(handout.document), translation.from_language)
    if key not in _structure_kept:
        differences = structure_differences(source, handout.document, translation.from_language)
        messages = [d.message for d in differences if d.severity == "error"]
        if len(_structure_kept) >= 64:  # a batch asks again for every clinic: the answer is the same
            _structure_kept.clear()
        _structure_kept[key] = (handout.document, source, messages)
    return [
        f"topic '{handout.topic.id}' in '{handout.language}' differs from the '{translation.from_language}' text "
        f"it was translated from: {message} (handout check shows where)"
        for message in _structure_kept[key][2]
    ]


# The documents are kept with their answer, so that their ids are not reused by others meanwhile.
_structure_kept: dict[tuple[int, int, str], tuple[Document, Document, list[str]]] = {}


@dataclass(frozen=True)
class Inventory:
    topics: list[str]
    languages: list[str]
    clinics: list[str]
    layouts: list[str]

    def as_dict(self) -> dict[str, list[str]]:
        return {"topics": self.topics, "languages": self.languages, "clinics": self.clinics, "layouts": self.layouts}

    def language_names(self) -> list[str]:
        """Each language code with the language's name in that language, e.g. 'es (español)', and of one
        with no page labels yet (it cannot be printed until they are added), what is missing."""
        return [f"{code} ({_own_name(code)})" for code in self.languages]


def _own_name(code: str) -> str:
    try:
        return labels_for(code).language_name(code)
    except NotFoundError:
        return "no page labels yet: see handout/locales/"


def inventory(project: Project) -> Inventory:
    content = load_content(project.content_path).content
    languages = sorted({language for topic in content.topics for language in topic.documents})
    return Inventory(
        topics=[topic.id for topic in content.topics],
        languages=languages,
        clinics=project.clinic_ids(),
        layouts=project.layout_names(),
    )
