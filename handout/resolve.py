"""Find and validate what one handout needs: topic, language, clinic brand, layout, fonts and labels.

Clinics (``clinics/<id>.yaml``, assets in ``clinics/<id>/``) and layouts
(``layouts/<name>.yaml``) are data files found by name beside the content file (``.yml`` too).
All problems in all input files are collected and reported together.
"""

from __future__ import annotations

import glob
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from handout import __version__
from handout.errors import HandoutError, InputError, NotFoundError, Problem
from handout.fonts import FontFamily, Script, missing_glyphs, script_for, unprintable_characters
from handout.inline import plain
from handout.loading import SourceFile, load_yaml, located_problems, validate
from handout.locales import Labels, babel_locale, labels_for
from handout.logos import Logo, LogoProblem, read_logo
from handout.schema import Clinic, Content, Document, Layout, Topic, repeated_ids_problem
from handout.structure import emergency_box_differences

if TYPE_CHECKING:
    from handout.roster import ClinicSource

T = TypeVar("T")


@dataclass(frozen=True)
class Project:
    """Where the input files are: the content file, and the clinic and layout folders."""

    content_path: Path
    clinics_dir: Path
    layouts_dir: Path

    @classmethod
    def at(cls, content: Path, clinics: Path | None = None, layouts: Path | None = None) -> Project:
        if clinics is not None:
            check_clinics_path(clinics)
        root = content.parent
        return cls(content, clinics or root / "clinics", layouts or root / "layouts")

    @property
    def has_roster(self) -> bool:
        """Whether the clinics come from a CSV roster (a spreadsheet export) instead of a folder of files."""
        return self.clinics_dir.suffix.lower() == ".csv" and not self.clinics_dir.is_dir()

    def clinic_ids(self) -> list[str]:
        return _roster(self).ids() if self.has_roster else _ids_in(self.clinics_dir)

    def clinic_ids_by_precedence(self) -> list[str]:
        """A roster's ids in its rows' order; clinic files' ids written in lower case first: of two ids
        differing only in case, the later one here is the one refused (see misnamed_clinics), whatever
        the files' ages, so that editing a clinic never hands its folder to the other."""
        return self.clinic_ids() if self.has_roster else _by_precedence(self.clinic_ids())

    def layout_names(self) -> list[str]:
        return _ids_in(self.layouts_dir)

    def roster_problems(self) -> list[Problem]:
        """The problems of a roster's rows that name no clinic (each other row is a clinic of its own)."""
        return _roster(self).row_problems() if self.has_roster else []


def check_clinics_path(path: Path) -> None:
    """--clinics names a folder of clinic files or a CSV roster: a typo must not build another set of clinics."""
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".csv"):
        return
    if not path.exists():
        raise NotFoundError(f"--clinics {path} does not exist: give a folder of clinic files or a CSV roster")
    raise NotFoundError(f"--clinics {path} is neither a folder of clinic files nor a CSV roster (a .csv file)")


CLINIC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _by_precedence(ids: list[str]) -> list[str]:
    return sorted(ids, key=lambda clinic_id: (clinic_id != clinic_id.lower(), clinic_id))


def misnamed_clinics(ids: list[str]) -> dict[str, str]:
    """Clinic ids, from file names or a roster's id column, that cannot name a folder of the output safely:
    with a character other than letters, digits, '.', '_' and '-', not starting with a letter or digit
    ('..' would write outside it), or differing from another only in case (one folder on a Windows share)."""
    problems: dict[str, str] = {}
    by_case: dict[str, str] = {}
    for clinic_id in ids:
        if not CLINIC_ID.fullmatch(clinic_id):
            problems[clinic_id] = (f"clinic id '{clinic_id}' must start with a letter or digit and use only "
                                   "letters, digits, '.', '_' and '-': rename it")  # fmt: skip
        elif OUTPUT_FILES.fullmatch(clinic_id.lower()):
            problems[clinic_id] = (f"clinic id '{clinic_id}' is the name of a file a batch writes beside the "
                                   "clinics' folders: rename it")  # fmt: skip
        elif clinic_id.lower() in by_case:  # the one after fails: a clinic that was printing goes on
            other = by_case[clinic_id.lower()]
            problems[clinic_id] = (f"clinic ids '{other}' and '{clinic_id}' differ only in case, and would share "
                                   f"a folder on many file shares: rename '{clinic_id}'")  # fmt: skip
        else:
            by_case[clinic_id.lower()] = clinic_id
    return problems


# The files a batch writes in the output folder, beside a folder for each clinic.
OUTPUT_FILES = re.compile(r"index\.html|manifest(-\d+-of-\d+)?\.(json|csv)")
DATA_SUFFIXES = (".yaml", ".yml")  # what a clinic or layout file may end in, in any case


def _ids_in(folder: Path) -> list[str]:
    """The clinics or layouts of a folder. Hidden files are the system's or an editor's: macOS writes
    '._name.yaml' beside each file it copies to a file share, and an editor its lock files."""
    if not folder.is_dir():
        return []
    return sorted({path.stem for path in folder.iterdir() if _is_data_file(path)})


def _is_data_file(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in DATA_SUFFIXES and path.is_file()


def data_file(folder: Path, name: str) -> Path:
    """The file of clinic or layout ``name``: ``<name>.yaml`` or ``<name>.yml``, and not both."""
    found = [folder / f"{name}{suffix}" for suffix in DATA_SUFFIXES if (folder / f"{name}{suffix}").is_file()]
    if not found:  # a suffix in capitals, as some Windows tools write it (CLINIC.YAML)
        found = sorted(path for path in folder.glob(f"{glob.escape(name)}.*")
                       if path.stem == name and path.suffix.lower() in DATA_SUFFIXES and path.is_file())  # fmt: skip
    if len(found) > 1:
        raise InputError([Problem(found[1], 1, 1, f"{found[0].name} and {found[1].name} both define '{name}': "
                                  "keep one and delete the other")])  # fmt: skip
    return found[0] if found else folder / f"{name}{DATA_SUFFIXES[0]}"


@dataclass(frozen=True)
class LoadedContent:
    content: Content
    source: SourceFile
    topics_in_file: tuple[int, ...] = ()  # each topic's place in the file, if some were left out

    def topic_path(self, topic: Topic) -> tuple[str | int, ...]:
        index = self.content.topics.index(topic)
        return ("topics", self.topics_in_file[index] if self.topics_in_file else index)

    @cached_property
    def topics_by_id(self) -> dict[str, Topic]:
        """The topics by id: a batch looks one up for each of a health system's handouts."""
        return {topic.id: topic for topic in self.content.topics}

    def topic(self, topic_id: str) -> Topic:
        if topic_id in self.topics_by_id:
            return self.topics_by_id[topic_id]
        known = ", ".join(t.id for t in self.content.topics)
        raise NotFoundError(f"no topic '{topic_id}' in {self.source.path}; topics: {known}")

    def path_of(self, topic: Topic, language: str) -> tuple[str | int, ...]:
        return (*self.topic_path(topic), "documents", language)


@dataclass(frozen=True)
class LoadedClinic:
    id: str
    clinic: Clinic
    source: SourceFile
    logo: Logo | None


@dataclass(frozen=True)
class LoadedLayout:
    name: str
    layout: Layout
    source: SourceFile


@dataclass(frozen=True)
class Handout:
    """Everything needed to lay out one handout, validated and resolved."""

    topic: Topic
    language: str
    document: Document
    clinic: LoadedClinic
    layout: LoadedLayout
    script: Script
    labels: Labels
    content_file: Path
    document_line: int = 1
    values: dict[str, str] = field(default_factory=dict)
    version: str = __version__

    @property
    def fonts(self) -> FontFamily:
        return self.script.family

    @property
    def source_language_name(self) -> str:
        translation = self.document.translation
        return self.labels.language_name(translation.from_language) if translation else ""

    def used_values(self) -> tuple[tuple[str, str], ...]:
        """The placeholder values the document prints: of the clinic's details, only they reach the body."""
        return self._used_values

    @cached_property  # asked for by every step that keeps work for like pages
    def _used_values(self) -> tuple[tuple[str, str], ...]:
        texts = [text for _, text in self.document.texts()]
        return tuple(sorted((k, v) for k, v in self.values.items() if any("{" + k + "}" in t for t in texts)))


def load_content(path: Path) -> LoadedContent:
    source = load_yaml(path)
    return LoadedContent(validate(source, Content), source)


ALL_LANGUAGES = "*"


def load_content_leniently(path: Path) -> tuple[LoadedContent, dict[tuple[str, str], list[Problem]]]:
    """The content without the documents that have problems, and their problems by topic id and language.

    A translator's typo stops that document only: a batch builds all the others. A problem in a topic's
    own fields, or in its source language's document, which the translations follow, leaves out the whole
    topic (language ALL_LANGUAGES). A problem outside the topics, or in the YAML itself, fails the file.
    """
    source = load_yaml(path)
    try:
        return LoadedContent(validate(source, Content), source), {}
    except InputError as error:
        whole = error
    topics = source.data.get("topics") if isinstance(source.data, dict) else None
    if not isinstance(topics, list):
        raise whole
    _check_unique_ids(source, topics, whole)  # else a topic left out could hide that another has its id
    failing: dict[tuple[int, str], list[Problem]] = {}
    while True:  # each round leaves out more (a topic's check stops at its first bad document)
        kept = [index for index, _ in enumerate(topics) if (index, ALL_LANGUAGES) not in failing]
        data = {**source.data, "topics": [_without_documents(topics[i], failing, i) for i in kept]}
        try:
            content = Content.model_validate(data)
        except ValidationError as error:
            more = False
            for where, problem, context in located_problems(source, error, partial(_path_in_file, kept=kept)):
                part = _failing_part(where, context, topics)
                if part is None:
                    raise whole from None
                if len(where) == 2 and part[1] != ALL_LANGUAGES:  # the topic's check of one of its documents
                    problem = source.problem((*where, "documents", part[1]), problem.message)
                more |= part not in failing
                failing.setdefault(part, []).append(problem)
            if not more:  # leaving out what has problems left none out: cannot happen, but cannot loop
                raise whole from None
            continue
        return LoadedContent(content, source, tuple(kept)), _by_topic_id(failing, topics)


def _check_unique_ids(source: SourceFile, topics: list[object], whole: InputError) -> None:
    ids = [str(topic["id"]) for topic in topics if isinstance(topic, dict) and isinstance(topic.get("id"), str)]
    problem = repeated_ids_problem(ids)
    if problem:
        raise InputError([*whole.problems, source.problem(("topics",), problem)])


def _without_documents(topic: object, failing: dict[tuple[int, str], list[Problem]], index: int) -> object:
    if not isinstance(topic, dict) or not isinstance(topic.get("documents"), dict):
        return topic
    documents = {k: v for k, v in topic["documents"].items() if (index, k) not in failing}
    return {**topic, "documents": documents}


def _path_in_file(path: tuple[str | int, ...], kept: list[int]) -> tuple[str | int, ...]:
    if len(path) >= 2 and path[0] == "topics" and isinstance(path[1], int) and path[1] < len(kept):
        return ("topics", kept[path[1]], *path[2:])
    return path


def _failing_part(path: tuple[str | int, ...], context: dict[str, object],
                  topics: list[object]) -> tuple[int, str] | None:  # fmt: skip
    """Which document (topic index, language) a problem found at ``path`` stops; None for the whole file."""
    if len(path) < 2 or path[0] != "topics" or not isinstance(path[1], int):
        return None
    topic = topics[path[1]]
    source_language = topic.get("source_language") if isinstance(topic, dict) else None
    language = path[3] if len(path) >= 4 and path[2] == "documents" else context.get("language")
    if isinstance(language, str) and language != source_language:
        return path[1], language
    return path[1], ALL_LANGUAGES


def _by_topic_id(failing: dict[tuple[int, str], list[Problem]],
                 topics: list[object]) -> dict[tuple[str, str], list[Problem]]:  # fmt: skip
    """The problems by topic id and language; a topic left out whole has all of its own under ALL_LANGUAGES."""
    by_id: dict[tuple[str, str], list[Problem]] = {}
    for (index, language), problems in sorted(failing.items(), key=lambda item: item[0][1] != ALL_LANGUAGES):
        topic = topics[index]
        topic_id = topic.get("id") if isinstance(topic, dict) else None
        name = topic_id if isinstance(topic_id, str) else f"topics[{index}]"
        key = (name, ALL_LANGUAGES) if (index, ALL_LANGUAGES) in failing else (name, language)
        by_id.setdefault(key, []).extend(problems)
    return by_id


def load_clinic(project: Project, clinic_id: str, known: list[str] | None = None) -> LoadedClinic:
    """The clinic ``clinic_id`` with its logo; ``known`` is the clinic ids when the caller has them already
    (a batch loads thousands of clinics, and need not list the folder for each)."""
    if project.has_roster:
        roster = _roster(project)
        _check_known(clinic_id, "clinic", project.clinics_dir, roster.ids())
        return roster.load(clinic_id)
    known = known if known is not None else project.clinic_ids()
    path = _named_file(project.clinics_dir, clinic_id, "clinic", known)
    alike = [other for other in known if other.lower() == clinic_id.lower()]
    misnamed = misnamed_clinics(_by_precedence(alike)).get(clinic_id)
    if misnamed:
        raise InputError([Problem(path, 1, 1, misnamed)])
    source = load_yaml(path)
    clinic = validate(source, Clinic)
    logo = None
    if clinic.logo is not None:
        try:
            logo = read_logo(project.clinics_dir / clinic_id, clinic.logo)
        except LogoProblem as exc:
            raise InputError([source.problem(("logo",), str(exc))]) from None
    return LoadedClinic(clinic_id, clinic, source, logo)


def load_layout(project: Project, name: str) -> LoadedLayout:
    path = _named_file(project.layouts_dir, name, "layout", project.layout_names())
    source = load_yaml(path)
    return LoadedLayout(name, validate(source, Layout), source)


def _named_file(folder: Path, name: str, what: str, known: list[str]) -> Path:
    _check_known(name, what, folder, known)
    return data_file(folder, name)


def _check_known(name: str, what: str, where: Path, known: list[str]) -> None:
    if name not in known:
        listing = ", ".join(known) or f"none (is {where} the right {'file' if where.suffix else 'folder'}?)"
        raise NotFoundError(f"no {what} '{name}' in {where}; {what}s: {listing}")


def _roster(project: Project) -> ClinicSource:
    """The project's roster, read once while the file stays the same: check loads every clinic of it."""
    try:
        stat = project.clinics_dir.stat()
        version = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = (0, 0)  # not there: clinic_source says so
    return _read_roster(project, version)


@lru_cache(maxsize=4)
def _read_roster(project: Project, version: tuple[int, int]) -> ClinicSource:
    from handout.roster import clinic_source  # the roster module builds on this one

    return clinic_source(project, project.clinics_dir)


class _Collector:
    """Runs loaders and keeps every InputError, so all files' problems are reported at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def run(self, load: Callable[[], T]) -> T | None:
        try:
            return load()
        except InputError as exc:
            self.problems += exc.problems
            return None

    def raise_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def resolve(project: Project, topic_id: str, language: str, clinic_id: str, layout_name: str) -> Handout:
    """Load and validate the inputs of one handout; raise a HandoutError naming every problem."""
    collector = _Collector()
    content = collector.run(lambda: load_content(project.content_path))
    if content is None and not project.content_path.is_file():
        collector.raise_any()  # clinics and layouts are looked for beside it: say first that it is missing
    clinic = collector.run(lambda: load_clinic(project, clinic_id))
    layout = collector.run(lambda: load_layout(project, layout_name))
    collector.raise_any()
    assert content and clinic and layout
    return assemble(content, clinic, layout, topic_id, language)


def assemble(
    content: LoadedContent, clinic: LoadedClinic, layout: LoadedLayout, topic_id: str, language: str
) -> Handout:
    """Pick the topic's document in ``language`` and check that its fonts can print every character."""
    topic = content.topic(topic_id)
    if topic.review.status == "retired":
        where = content.source.locate((*content.topic_path(topic), "review", "status"))
        raise HandoutError(f"topic '{topic_id}' is retired ({content.source.path}:{where.line}), so it is not "
                           "printed: set its review status to draft or approved to print it again")  # fmt: skip
    document = topic.documents.get(language)
    if document is None:
        babel_locale(language)  # an unknown code says so
        known = ", ".join(topic.documents)
        raise NotFoundError(f"topic '{topic_id}' has no '{language}' document; languages: {known}")
    handout = Handout(
        topic=topic,
        language=language,
        document=document,
        clinic=clinic,
        layout=layout,
        script=script_for(language),
        labels=labels_for(language),
        content_file=content.source.path,
        document_line=content.source.locate(content.path_of(topic, language)).line,
        values=placeholder_values(clinic.clinic),
    )
    check_glyphs(handout, content)
    check_emergency_box(handout, content)
    return handout


def placeholder_values(clinic: Clinic) -> dict[str, str]:
    return {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "emergency_number": clinic.emergency_number,
    }


def check_emergency_box(handout: Handout, content: LoadedContent) -> None:
    """A translation is not printed without the emergency box its source has: it tells the patient when to
    call for help."""
    differences = emergency_box_differences(handout.topic, handout.language)
    where = content.path_of(handout.topic, handout.language)
    problems = [
        content.source.problem((*where, *difference.path), f"topic '{handout.topic.id}' in '{handout.language}' "
                               f"is not printed without its emergency box: {difference.message}")
        for difference in differences
    ]  # fmt: skip
    if problems:
        raise InputError(problems)


def check_glyphs(handout: Handout, content: LoadedContent) -> None:
    """Every character printed must have a glyph: nothing may print as an empty box."""
    where = content.path_of(handout.topic, handout.language)
    problems = [
        content.source.problem((*where, *path), _no_glyph(char, handout)) for path, char in _unprintable_text(handout)
    ]
    clinic = handout.clinic
    for key, text in _clinic_texts(clinic.clinic):
        for char in unprintable_characters(text, handout.script):
            problems.append(clinic.source.problem(key, _no_glyph(char, handout)))
    logo_texts = clinic.logo.texts if clinic.logo else ()
    for char in sorted({char for text in logo_texts for char in missing_glyphs(text, handout.fonts)}):
        message = (f"the text of the logo: character {char!r} (U+{ord(char):04X}) cannot be printed: the logo's text "
                   f"is printed in the {handout.fonts.name} font used for '{handout.language}', which has no glyph "
                   "for it; export the logo with its text converted to outlines (paths)")  # fmt: skip
        problems.append(clinic.source.problem(("logo",), message))
    if problems:
        raise InputError(problems)


# The document's characters that cannot be printed, by document (kept alive with them, so that its id stays
# its own), script and the placeholder values it prints: the same for every clinic of a batch.
UNPRINTABLE_KEPT = 64
_Unprintable = list[tuple[tuple[str | int, ...], str]]  # (path of the text, character)
_UnprintableKey = tuple[int, Script, tuple[tuple[str, str], ...]]
_unprintable: OrderedDict[_UnprintableKey, tuple[Document, _Unprintable]] = OrderedDict()


def _unprintable_text(handout: Handout) -> _Unprintable:
    key = (id(handout.document), handout.script, handout.used_values())
    if key not in _unprintable:
        _unprintable[key] = (handout.document, list(unprintable(handout.document, handout.script, handout.values)))
        if len(_unprintable) > UNPRINTABLE_KEPT:
            _unprintable.popitem(last=False)
    return _unprintable[key][1]


def unprintable(
    document: Document, script: Script, values: dict[str, str]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each character of the document that neither the script's family nor its fallback can print, with
    the path of its text."""
    for path, text in document.texts():
        for char in unprintable_characters(plain(text, values), script):
            yield path, char


def _clinic_texts(clinic: Clinic) -> Iterator[tuple[tuple[str | int, ...], str]]:
    yield ("name",), clinic.name
    if clinic.health_system:
        yield ("health_system",), clinic.health_system
    for index, line in enumerate(clinic.address):
        yield ("address", index), line


def _no_glyph(char: str, handout: Handout) -> str:
    fonts = f"the {handout.fonts.name} font used for '{handout.language}'"
    if handout.script.fallback is not None:
        fonts = f"neither {fonts} nor its fallback {handout.script.fallback.name}"
    return (
        f"character {char!r} (U+{ord(char):04X}) cannot be printed: {fonts} has no glyph for it; replace or remove it"
    )
