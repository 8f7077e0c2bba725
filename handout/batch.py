"""`handout batch`: every clinic x language x topic x layout, in parallel, resumable, with a manifest.

The plan is the sorted list of jobs; ``--shard K/N`` keeps every N-th. A job is skipped
when its output exists and the hash of its inputs (its content document, clinic file and
assets, layout, tool version) equals the one recorded when it was last built. Builds are
recorded in a journal as they finish, so a run killed at any moment loses nothing it
finished; PDFs are written to a temporary file and renamed, so the output folder only ever
holds complete files. Work that does not depend on the clinic (loading, validating, the
one-page fit, the layout of the document: see :mod:`handout.render`) is done once per worker
process and language.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fnmatch
import gc
import hashlib
import io
import itertools
import json
import math
import os
import re
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from handout import __version__
from handout.build import review_due, warnings_for
from handout.catalog import staff_topics, thumbnail_jpeg, thumbnail_path, write_catalog
from handout.drawing_cache import remember_drawing, remembered_drawing
from handout.errors import HandoutError, InputError, OutputError, Problem
from handout.fit import check_header, fit, fit_key, remember_size, remembered_size
from handout.fonts import FamilyWeight, family_of
from handout.inline import plain
from handout.locales import babel_locale
from handout.output import BackgroundCommits, staged, write_atomic
from handout.page import Page
from handout.render import DrawingName, Rendered, drawing_key, render
from handout.resolve import (
    ALL_LANGUAGES,
    LoadedClinic,
    LoadedContent,
    LoadedLayout,
    Project,
    assemble,
    check_clinics_path,
    load_content_leniently,
    load_layout,
    misnamed_clinics,
)
from handout.roster import ClinicSource, clinic_source
from handout.structure import structure_of
from handout.verify import verify

JOURNALS = ".handout-journal*.jsonl"


def journal_path(out: Path, shard: tuple[int, int]) -> Path:
    """Each shard journals its builds in a file of its own: shards writing into one folder at the same
    time must not end each other's journal."""
    return out / (".handout-journal.jsonl" if shard == (1, 1) else f".handout-journal-{shard[0]}-of-{shard[1]}.jsonl")


@dataclass(frozen=True, order=True)
class Job:
    clinic: str
    language: str
    topic: str
    layout: str

    @property
    def relative_path(self) -> str:
        return f"{self.clinic}/{self.language}/{self.topic}-{self.layout}.pdf"


_Jobs = list[tuple[Job, dict[str, str]]]  # jobs with their input hashes


@dataclass
class Result:
    """One row of the manifest."""

    clinic: str
    language: str
    topic: str
    layout: str
    path: str
    status: str  # built | skipped | failed
    inputs: dict[str, str] = field(default_factory=dict)
    sha256: str = ""
    pages: int = 0
    body_size: float = 0.0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    title: str = ""
    clinic_name: str = ""
    language_name: str = ""
    clinic_unreadable: bool = False  # the clinic's file or logo could not be read: see _one_failure_per_clinic

    @property
    def job(self) -> Job:
        return Job(self.clinic, self.language, self.topic, self.layout)


@dataclass(frozen=True)
class BatchRequest:
    content: Path
    clinics: Path | None = None  # a folder of clinic files or a CSV roster
    languages: Sequence[str] | None = None  # None: the languages each clinic offers
    topics: Sequence[str] | None = None  # None: all topics
    layouts: Sequence[str] | None = None  # None: all layouts
    out: Path = Path("out")
    jobs: int = 0  # 0: one per core
    shard: tuple[int, int] = (1, 1)
    force: bool = False
    fail_fast: bool = False


@dataclass
class BatchReport:
    results: list[Result]
    manifest: Path
    removed: list[str] = field(default_factory=list)  # handouts of retired topics, taken out of the folder
    outside: list[str] = field(default_factory=list)  # handouts of clinics, languages or layouts that are gone
    catalog: Path | None = None  # the staff page; a shard leaves it to the plain run
    notes: list[str] = field(default_factory=list)  # for whoever runs it: a manifest it could not read, say

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if r.status == "failed"]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def warnings(self) -> list[tuple[str, int, str]]:
        """Each warning of this run's handouts once, with how many handouts have it and one of them:
        a draft topic warns on every handout, and a terminal should say so once."""
        found: dict[str, list[str]] = {}
        for result in self.results:
            for warning in result.warnings if result.status != "failed" else []:
                found.setdefault(warning, []).append(result.path)
        return [(warning, len(paths), paths[0]) for warning, paths in found.items()]


Progress = Callable[[Result, int, int], None]


# ---------------------------------------------------------------- planning


def parse_shard(text: str) -> tuple[int, int]:
    try:
        part, total = (int(n) for n in text.split("/"))
    except ValueError:
        raise HandoutError(f"--shard takes K/N, e.g. 2/8, not {text!r}") from None
    if not 1 <= part <= total:
        raise HandoutError(f"--shard {text}: K must be between 1 and N")
    return part, total


@dataclass
class Plan:
    content: LoadedContent
    clinics: ClinicSource
    layouts: dict[str, LoadedLayout]
    jobs: list[Job]
    retired: list[str] = field(default_factory=list)  # topics that are not printed any more
    matrix: frozenset[Job] = frozenset()  # every handout of every clinic, language, topic and layout
    failing_clinics: dict[str, str] = field(default_factory=dict)  # clinics that cannot be loaded, and why
    # documents with problems, by topic and language (ALL_LANGUAGES: the whole topic), and what they are
    failing_documents: dict[tuple[str, str], str] = field(default_factory=dict)
    printed: tuple[str, ...] = ()  # the topics not retired, with those left out for their problems
    failing_layouts: dict[str, str] = field(default_factory=dict)  # layouts whose files have problems, and what
    _hashes: dict[tuple[str, ...], str] = field(default_factory=dict)

    def hash_of(self, kind: str, *key: str) -> str:
        """Hashes of documents, clinics and layouts, each computed once per run."""
        if (kind, *key) not in self._hashes:
            if kind == "content":
                self._hashes[(kind, *key)] = _document_hash(self.content, *key)
            elif kind == "clinic":
                self._hashes[(kind, *key)] = self._clinic_fingerprint(key[0])
            else:
                self._hashes[(kind, *key)] = _digest(self.layouts[key[0]].source.path.read_bytes())
        return self._hashes[(kind, *key)]

    def _clinic_fingerprint(self, clinic_id: str) -> str:
        try:
            return self.clinics.fingerprint(clinic_id)
        except OSError as error:  # an asset that cannot be read: the build says which and why
            return _digest("unreadable", str(error.filename), error.strerror or "")


def plan(request: BatchRequest) -> Plan:
    if request.clinics is not None:
        check_clinics_path(request.clinics)
    project = Project.at(request.content, request.clinics if request.clinics and request.clinics.is_dir() else None)
    content, problems = load_content_leniently(request.content)
    clinics = clinic_source(project, request.clinics)
    _check_some_clinics(clinics, request.clinics or project.clinics_dir)
    layout_names = list(request.layouts or project.layout_names())
    layouts, failing_layouts = _load_layouts(project, layout_names)
    for language in request.languages or []:
        babel_locale(language)  # an unknown code is one clear error, before anything is planned
    failing_topics = sorted({topic for topic, language in problems if language == ALL_LANGUAGES})
    requested = [t for t in request.topics or [] if t not in failing_topics]
    asked = [content.topic(t) for t in requested] if request.topics else content.content.topics
    retired = [topic.id for topic in asked if topic.review.status == "retired"]
    topics = [topic.id for topic in asked if topic.id not in retired]
    misnamed = misnamed_clinics(clinics.ids())
    located = {
        clinic_id: str(replace(clinics.where(clinic_id), message=message)) for clinic_id, message in misnamed.items()
    }
    failing = dict(sorted({**clinics.problems(), **located}.items()))
    offers = {clinic_id: clinics.languages(clinic_id) for clinic_id in clinics.ids() if clinic_id not in misnamed}
    _check_offered(request.languages or [], offers, content, bool(failing))
    # A document with problems stays part of the matrix: the handouts earlier runs made of it stay listed.
    printed = [topic.id for topic in content.content.topics if topic.review.status != "retired"] + failing_topics
    every_layout = project.layout_names()
    matrix = sorted(Job(clinic_id, language, topic, layout) for clinic_id, offered in offers.items()
                    for language in offered for topic in printed for layout in every_layout)  # fmt: skip
    chosen = [job for job in matrix if (not request.languages or job.language in request.languages)
              and job.topic in topics and job.layout in layouts
              and (job.topic, job.language) not in problems]  # fmt: skip
    part, total = request.shard
    jobs = [job for index, job in enumerate(chosen) if index % total == part - 1]
    return Plan(content, clinics, layouts, jobs, retired, frozenset(matrix), failing,
                _failing_documents(request, problems), tuple(printed), failing_layouts)  # fmt: skip


def _failing_documents(
    request: BatchRequest, problems: dict[tuple[str, str], list[Problem]]
) -> dict[tuple[str, str], str]:
    """The documents with problems among those the run was asked for, each with what its problems are."""
    return {part: "; ".join(str(problem) for problem in found) for part, found in problems.items()
            if _asked_for(request, *part)}  # fmt: skip


def _check_some_clinics(clinics: ClinicSource, where: Path) -> None:
    """A roster exported without its rows, or a folder emptied by a failed copy, is a mistake: built, it
    would take every handout out of the manifest and the staff page."""
    if not clinics.ids() and not clinics.row_problems():
        roster = where.suffix.lower() == ".csv" and not where.is_dir()
        what = "the roster has no rows" if roster else "the folder has no clinic files (.yaml)"
        raise HandoutError(f"no clinics in {where}: {what}; add the clinics, or give --clinics where they are")


def _load_layouts(project: Project, names: list[str]) -> tuple[dict[str, LoadedLayout], dict[str, str]]:
    """The layouts, and the problems of those whose files have some: a bad layout fails its own handouts.
    A layout that is not there at all (a misspelt --layouts) stops the run, before anything is built."""
    layouts, failing = {}, {}
    for name in names:
        try:
            layouts[name] = load_layout(project, name)
        except InputError as error:
            failing[name] = "; ".join(str(problem) for problem in error.problems)
    return layouts, failing


def _asked_for(request: BatchRequest, topic: str, language: str) -> bool:
    if request.topics and topic not in request.topics:
        return False
    return language == ALL_LANGUAGES or not request.languages or language in request.languages


def _check_offered(requested: Sequence[str], offers: dict[str, list[str]], content: LoadedContent,
                   some_failing: bool) -> None:  # fmt: skip
    """--langs picks among the languages the clinics offer: one that none offers is a mistake, said before any
    work. While a clinic cannot be read, a language it may offer is let through if some topic is written in it
    (the clinic's failure is said at the end)."""
    offered = {code for codes in offers.values() for code in codes}
    written = sorted({code for topic in content.content.topics for code in topic.documents})
    for language in requested:
        if language not in offered and not (some_failing and language in written):
            alike = [code for code in sorted(offered) if code.split("-")[0] == language.split("-")[0]]
            hint = f" (did you mean {' or '.join(alike)}?)" if alike and language not in alike else ""
            raise HandoutError(f"--langs {language}: no clinic offers it{hint}; clinics list the languages they offer")


# ---------------------------------------------------------------- input hashes


def _digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()[:16]


def input_hashes(plan_: Plan, job: Job) -> dict[str, str]:
    return {
        "content": plan_.hash_of("content", job.topic, job.language),
        "clinic": plan_.hash_of("clinic", job.clinic),
        "layout": plan_.hash_of("layout", job.layout),
        "tool": tool_version(),
    }


@cache
def tool_version() -> str:
    """The version, and a digest of what else shapes the output: the package's own code and data (scripts,
    page labels) and the versions of the packages it prints with (ReportLab, fonts, HarfBuzz...). A tool
    changed under the same version number, as in a development install, rebuilds everything."""
    try:
        required = metadata.requires("handout") or []
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        required = []
    requirements = [re.split(r"[^A-Za-z0-9_.-]", line, maxsplit=1)[0] for line in required if "extra ==" not in line]
    return f"{__version__}+{fingerprint(Path(__file__).parent, requirements)}"


def fingerprint(package: Path, requirements: list[str]) -> str:
    files = sorted(path for path in package.rglob("*") if path.suffix in (".py", ".yaml", ".po") and path.is_file())
    parts = [part for path in files for part in (path.relative_to(package).as_posix(), path.read_bytes())]
    versions = [f"{name}=={_installed(name)}" for name in sorted(requirements)]
    return _digest(*parts, *versions)[:12]


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _document_hash(content: LoadedContent, topic_id: str, language: str) -> str:
    """The document's text and what else its handout depends on: the topic's review and sources, and for
    a translation the structure of the text it was translated from (a warning says when the two differ)
    and of the topic's source document (its emergency boxes must be there). A change of wording there
    does not rebuild every translation."""
    topic = content.topic(topic_id)
    document = topic.documents.get(language)
    shared = topic.model_dump_json(exclude={"documents"})
    translation = document.translation if document else None
    structures = []
    if translation is not None:
        sources = [topic.documents.get(translation.from_language), topic.documents.get(topic.source_language)]
        structures = [repr(structure_of(source)) for source in sources if source]
    return _digest(shared, document.model_dump_json() if document else "missing", *structures)


# ---------------------------------------------------------------- state


def _load_state(out: Path) -> tuple[dict[Job, Result], list[str]]:
    """What earlier runs built: their manifests, then the journal of builds since; and a note for each
    manifest that could not be read, whose handouts are built again."""
    records: dict[Job, Result] = {}
    notes = []
    for manifest in sorted(out.glob("manifest*.json"), key=_modified):  # the newest says last
        rows, problem = _manifest_rows(manifest)
        if problem:
            notes.append(f"{manifest} could not be read ({problem}); the handouts it listed are built again, and "
                         "those this run does not build are left out of the new manifest and index.html")  # fmt: skip
        for row in rows:
            result = _result_from(row)
            if result is not None:  # else rebuild it
                records[result.job] = result
    for journal in sorted(out.glob(JOURNALS)):
        try:
            lines = journal.read_bytes().splitlines()
        except OSError:
            continue  # its handouts are built again
        for line in lines:
            try:
                result = _result_from(json.loads(line))
            except ValueError:  # a line cut short, even inside a character, when a run was killed
                continue
            if result is not None:
                records[result.job] = result
    return records, notes


def _manifest_rows(manifest: Path) -> tuple[list[object], str]:
    """A manifest's rows, or what makes it unreadable (edited by hand, say)."""
    try:
        rows = json.loads(manifest.read_bytes())
    except OSError as error:
        return [], error.strerror or str(error)
    except UnicodeDecodeError:
        return [], "it is not UTF-8 text"
    except json.JSONDecodeError as error:
        return [], f"it is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
    return (rows, "") if isinstance(rows, list) else ([], "it is not a list of handouts")


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _result_from(row: object) -> Result | None:
    """A manifest or journal row as a Result; None for one another version wrote, or edited by hand."""
    if not isinstance(row, dict):
        return None
    try:
        result = Result(**row)
    except TypeError:
        return None
    for name, kind in RESULT_TYPES.items():
        value = getattr(result, name)
        if not isinstance(value, kind) or isinstance(value, bool):
            return None
    if not math.isfinite(result.body_size) or result.clinic_unreadable:
        return None
    inputs_are_text = all(isinstance(k, str) and isinstance(v, str) for k, v in result.inputs.items())
    if not inputs_are_text or not all(isinstance(w, str) for w in result.warnings):
        return None
    return result if result.path in ("", result.job.relative_path) else None


RESULT_TYPES: dict[str, type | tuple[type, ...]] = {
    **{f.name: str for f in fields(Result) if f.type == "str"},
    "inputs": dict,
    "pages": int,
    "body_size": (int, float),
    "warnings": list,
}


def _is_current(job: Job, inputs: dict[str, str], state: dict[Job, Result], out: Path) -> Result | None:
    previous = state.get(job)
    if previous is None or previous.status not in ("built", "skipped") or previous.inputs != inputs:
        return None  # to be built: its PDF need not be read
    built = _unchanged(out / job.relative_path, previous.sha256) and _not_empty(out / thumbnail_path(job.relative_path))
    return replace(previous, status="skipped") if built else None


def _with_todays_warnings(result: Result, content: LoadedContent, today: dt.date) -> Result:
    """A handout left as it was is still due for review once its topic's date has passed: say so today. (Of
    a topic left out for its problems, what the run that built it said.)"""
    topic = content.topics_by_id.get(result.topic)
    if topic is None:
        return result
    due = f"topic '{topic.id}' was due for review on "
    result.warnings = [w for w in result.warnings if not w.startswith(due)] + review_due(topic, today)
    return result


def _unchanged(pdf: Path, sha256: str) -> bool:
    """Whether the PDF is there as it was built: one cut short or replaced since is built again."""
    try:
        return hashlib.sha256(pdf.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def _not_empty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _not_planned(
    out: Path, planned: Plan, earlier: dict[Job, Result], reached: set[Job], unreadable: set[str]
) -> tuple[list[Result], list[str]]:
    """What earlier runs built that this run did not reach: the handouts still part of the whole matrix,
    which stay in the manifest and the catalog (a run for --langs es keeps the other languages there, a run
    stopped by --fail-fast what it did not get to), and those of a clinic whose file cannot be read now
    (a typo does not take its good handouts away); and the paths of the others (their clinic, language,
    topic or layout is gone), which are left out."""
    kept, outside = [], []
    current = {job.relative_path.casefold() for job in planned.matrix}  # one file on a Windows or macOS share
    topics = set(planned.printed)
    for job, result in sorted(earlier.items()):
        if job in reached or result.status == "failed" or not (out / result.path).is_file():
            continue
        if job in planned.matrix or (job.clinic in unreadable and job.topic in topics):
            kept.append(result)
        elif result.path.casefold() not in current:  # else it may be a current handout under another case
            outside.append(result.path)
    return kept, outside


def _make_folder(out: Path, shard: tuple[int, int]) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file, not a folder: choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        journal_path(out, shard).touch()
    except OSError as error:
        raise OutputError(f"cannot write into {out}: {error.strerror}; choose another --out") from None


def _remove_retired(out: Path, retired: list[str], earlier: dict[Job, Result]) -> tuple[list[str], list[Result]]:
    """Take the handouts of retired topics that earlier runs made out of the folder staff print from; one that
    cannot be taken out (a file share's permissions) is a failure of the run, which says so."""
    removed, failures = [], []
    folder = out.resolve()
    for job, result in sorted(earlier.items()):
        if job.topic not in retired or not result.path:
            continue
        pdf = out / result.path
        present = pdf.is_file()  # a shard's manifest may still list what an earlier run removed
        try:
            for path in (pdf, out / thumbnail_path(result.path)):
                if path.resolve().is_relative_to(folder):  # a manifest edited by hand cannot point elsewhere
                    path.unlink(missing_ok=True)
        except OSError as error:
            message = (f"its topic is retired, but {error.filename} cannot be removed ({error.strerror}): remove "
                       "it by hand, so that staff do not print it")  # fmt: skip
            failures.append(_failed(replace(result, warnings=[]), message))
            continue
        if present:
            removed.append(result.path)
    return removed, failures


STALE_TEMPORARY_SECONDS = 600


def _removing_stale_temporaries(out: Path) -> threading.Thread:
    """Remove what killed runs left half-written, on a thread of its own while the run builds: the walk
    through the output folder waits on the disk (30 ms for 1,600 handouts, 0.1-0.3 s when the folders
    are no longer in memory). The temporaries a run writes are fresh, so it never takes them."""
    thread = threading.Thread(target=_remove_stale_temporaries, args=(out,), name="stale-temporaries", daemon=True)
    thread.start()
    return thread


def _remove_stale_temporaries(out: Path) -> None:
    """Remove what killed runs left half-written; a shard writing into the same folder right now keeps its own.
    Folders linked into the output folder from elsewhere are not entered, and a file that cannot be removed
    is left: it only takes room."""
    now = time.time()
    for folder, _, files in os.walk(out):  # a third faster than Path.glob over a health system's folders
        for name in files:
            if not fnmatch.fnmatchcase(name, ".*.tmp"):
                continue
            temporary = os.path.join(folder, name)
            try:
                if now - os.stat(temporary, follow_symlinks=False).st_mtime > STALE_TEMPORARY_SECONDS:
                    os.unlink(temporary)
            except OSError:
                pass


# ---------------------------------------------------------------- workers


@dataclass(frozen=True)
class _WorkerSetup:
    content: Path
    clinics: Path | None
    out: Path


CLINICS_KEPT = 4


class _Worker:
    """What one worker process keeps between jobs: the loaded project, clinics and one-page fits."""

    def __init__(self, setup: _WorkerSetup, planned: Plan | None = None) -> None:
        self.out = setup.out
        self.plan = planned or plan(BatchRequest(setup.content, setup.clinics))
        self.clinics: dict[str, LoadedClinic] = {}
        self.fits: dict[tuple[Any, ...], float] = {}
        self.fit_hints: dict[tuple[Any, ...], float] = {}
        self.drawings: set[str] = set()  # like pages whose kept drawing was looked for
        self.commits = BackgroundCommits()

    def clinic(self, clinic_id: str) -> LoadedClinic:
        """The clinic with its logo; only the last few are kept, so memory does not grow with the roster."""
        if clinic_id not in self.clinics:
            if len(self.clinics) >= CLINICS_KEPT:
                del self.clinics[next(iter(self.clinics))]
            self.clinics[clinic_id] = self.plan.clinics.load(clinic_id)
        return self.clinics[clinic_id]

    def build_group(self, jobs: _Jobs, fail_fast: bool = False) -> list[Result]:
        """Build a few handouts (with ``fail_fast``, up to the first that fails); each is in place, or
        a failure saying why it could not be written, when this returns."""
        results: list[Result] = []
        unwritten: dict[Hashable, OutputError] = {}
        try:
            for job, inputs in jobs:
                results.append(self.build(job, inputs))
                if fail_fast:  # a PDF that cannot be written stops the run too: wait for each
                    unwritten |= self.commits.wait()
                    if results[-1].status == "failed" or job in unwritten:
                        break
        finally:
            unwritten |= self.commits.wait()
        for result in results:
            if result.job in unwritten:
                _failed(result, str(unwritten[result.job]))
        return results

    def build(self, job: Job, inputs: dict[str, str]) -> Result:
        """Build one handout; a user error becomes a failed result, not an exception. Its PDF is put in
        place in the background: see build_group."""
        result = _planned_result(job, inputs)
        try:
            try:
                clinic = self.clinic(job.clinic)
            except HandoutError:
                result.clinic_unreadable = True
                raise
            layout = self.plan.layouts[job.layout]
            handout = assemble(self.plan.content, clinic, layout, job.topic, job.language)
            page = Page(handout)
            check_header(page)
            key = fit_key(page)
            if key not in self.fits:
                self.fits[key] = self._body_size(page, key, inputs)
            rendered, drawing = self._render(page, self.fits[key], inputs)
            if rendered.pages != 1:  # a kept size that does not fit after all: fit again, and keep that
                self.fits[key] = self._body_size(page, key, inputs, remembered=False)
                rendered, drawing = self._render(page, self.fits[key], inputs)
            verify(rendered.pdf)
            self._put_in_place(job, rendered, drawing)
        except InputError as error:
            return _failed(result, "; ".join(str(p) for p in error.problems))
        except HandoutError as error:
            return _failed(result, str(error))
        result.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
        result.pages, result.body_size = rendered.pages, self.fits[key]
        result.warnings = warnings_for(handout, dt.date.today())
        result.title = plain(handout.document.title, handout.values)
        result.clinic_name = handout.clinic.clinic.name
        result.language_name = handout.labels.language_name(job.language)
        return result

    def _body_size(self, page: Page, key: tuple[Any, ...], inputs: dict[str, str], remembered: bool = True) -> float:
        """The size an earlier run found for a like page, else a fit's, which later runs then find."""
        sources = _sources(inputs)
        like = key[:4]  # the same document on the same paper: the size it got is a good first guess
        size = remembered_size(page, sources) if remembered else None
        if size is None:
            size = fit(page, self.fit_hints.get(like)).body_size
            remember_size(page, sources, size)
        self.fit_hints[like] = size
        return size

    def _render(self, page: Page, size: float, inputs: dict[str, str]) -> tuple[Rendered, DrawingName]:
        """The page at ``size``, and the name of its body's drawing; the first like page a worker makes gets
        the body an earlier run drew, if one did, and keeps the body it drew for later runs if not."""
        drawing = DrawingName(drawing_key(page, size), _sources(inputs))
        if drawing.key in self.drawings:
            return render(page, size), drawing
        self.drawings.add(drawing.key)
        remembered = remembered_drawing(page, size, drawing)
        rendered = render(page, size)
        if not remembered and rendered.pages == 1:
            remember_drawing(page, size, drawing)
        return rendered, drawing

    def _put_in_place(self, job: Job, rendered: Rendered, drawing: DrawingName) -> None:
        """Write the PDF and its thumbnail under temporary names now; the thread that commits them puts
        the thumbnail in place only after its PDF."""
        pdf = staged(self.out / job.relative_path, rendered.pdf)
        try:
            picture = thumbnail_jpeg(rendered.pdf, rendered.body, drawing)
            picture_file = staged(self.out / thumbnail_path(job.relative_path), picture)
        except BaseException:
            pdf.discard()
            raise
        self.commits.commit(job, (pdf, True), (picture_file, False))


_worker: _Worker | None = None
# The parent's plan: a worker started by fork inherits it and need not load the project again.
_inherited: tuple[_WorkerSetup, Plan] | None = None


def _init_worker(setup: _WorkerSetup) -> None:
    global _worker
    # Ctrl-C reaches every process of the terminal's group: the parent stops the run, and a worker
    # finishes its handout (each is written whole anyway) instead of printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _worker = _Worker(setup, _inherited[1] if _inherited and _inherited[0] == setup else None)


PARENT_CHECK_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    """A batch killed by itself (kill PID, an out-of-memory killer) leaves its workers waiting for work
    forever: a worker whose parent is gone stops. What it was writing is a temporary file, never a PDF."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _sources(inputs: dict[str, str]) -> str:
    """The versions a fit or a drawing is made from: the document's text, the layout file and the tool."""
    return "|".join((inputs["content"], inputs["layout"], inputs["tool"]))


def _planned_result(job: Job, inputs: dict[str, str]) -> Result:
    return Result(job.clinic, job.language, job.topic, job.layout, job.relative_path, "built", inputs)


def _failed(result: Result, message: str) -> Result:
    """The result as a failure: what a built handout would have had (its hash, size, warnings) is left out."""
    result.status, result.error = "failed", message
    result.sha256, result.pages, result.body_size, result.warnings = "", 0, 0.0, []
    return result


def _build_group(jobs: _Jobs, fail_fast: bool) -> list[Result]:
    assert _worker is not None, "the pool initializer sets up each worker"
    results = _worker.build_group(jobs, fail_fast)
    # ReportLab documents live in reference cycles: free this group's now, so memory stays flat. Only the
    # young generations: a full collection walks every kept story and shaped word (9 ms each time).
    gc.collect(1)
    return results


# ---------------------------------------------------------------- running

GROUP_SIZE = 20  # handouts a worker builds before it reports them
SHARED_GROUP_SIZE = 5  # handouts a worker takes at a time from those any worker may build


def _groups(pending: _Jobs, size: int) -> Iterator[_Jobs]:
    for start in range(0, len(pending), size):
        yield pending[start : start + size]


def _in_drawing_order(pending: _Jobs, plan_: Plan) -> _Jobs:
    """A clinic's jobs together, so a worker holds one clinic's logo at a time, and clinics that look
    alike (page size, colours, emergency number) one after the other, so a worker lays each
    document out and draws its body once for all of them (see handout.render)."""
    return sorted(pending, key=lambda item: (plan_.clinics.look(item[0].clinic), item[0]))


def run_batch(request: BatchRequest, progress: Progress | None = None) -> BatchReport:
    plan_ = plan(request)
    out = request.out
    _make_folder(out, request.shard)
    cleaning = _removing_stale_temporaries(out)
    earlier, notes = _load_state(out)
    # Like the catalog, which must not link to them, a shard leaves them to the plain run after it.
    removed, unremoved = _remove_retired(out, plan_.retired, earlier) if request.shard == (1, 1) else ([], [])
    state = {} if request.force else earlier
    results: list[Result] = list(unremoved)
    shared = _SharedTexts()
    pending: _Jobs = []
    today = dt.date.today()
    for job in plan_.jobs:
        inputs = input_hashes(plan_, job)
        current = _is_current(job, inputs, state, out)
        if current:
            results.append(shared(_with_todays_warnings(current, plan_.content, today)))
        else:
            pending.append((job, inputs))
    for clinic_id, message in plan_.failing_clinics.items():  # in every shard: each may have its handouts
        results.append(Result(clinic_id, "*", "*", "*", "", "failed", error=message))
    for (topic, language), message in plan_.failing_documents.items():  # in every shard, too
        results.append(Result("*", language, topic, "*", "", "failed", error=message))
    for layout, message in plan_.failing_layouts.items():
        results.append(Result("*", "*", "*", layout, "", "failed", error=message))
    if request.fail_fast and any(result.status == "failed" for result in results):
        pending = []
    total = len(plan_.jobs) + sum(r.status == "failed" for r in results)
    for result in results:
        if progress:
            progress(result, len(results), total)
    journal_file = journal_path(out, request.shard)
    stopping = threading.Event()  # --fail-fast: nothing more is started, what is being built is still recorded
    journal = _Journal(journal_file)
    try:
        for result in _execute(request, pending, plan_, stopping.is_set):
            results.append(shared(result))
            if result.status == "built":
                journal.record(result)
            if progress:
                progress(result, len(results), total)
            if request.fail_fast and result.status == "failed":
                stopping.set()
    finally:
        journal.close()
    cleaning.join()
    results, unreadable = _one_failure_per_clinic(results)
    unreadable |= set(plan_.failing_clinics)
    reached = {result.job for result in results}
    kept, outside = _not_planned(out, plan_, earlier, reached, unreadable) if request.shard == (1, 1) else ([], [])
    kept = [_with_todays_warnings(result, plan_.content, today) for result in kept]
    manifest = _write_manifest(out, request.shard, sorted(results + kept, key=lambda r: r.job))
    catalog = None
    if request.shard == (1, 1):
        listed = [r for r in results + kept if r.status != "failed"]
        catalog = write_catalog(out, listed, staff_topics(plan_.content.content.topics, listed))
    # A run of the whole matrix has made every shard's journal part of its manifest; a shard ends its own.
    for finished in sorted(out.glob(JOURNALS)) if request.shard == (1, 1) else [journal_file]:
        finished.unlink(missing_ok=True)
    return BatchReport(sorted(results, key=lambda r: r.job), manifest, removed, outside, catalog, notes)


class _Journal:
    """The handouts a run has built, a line each as they are put in place, for the next run if this one is
    killed. A journal that cannot be written (a full disk) stops the run: what it built is kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.file = path.open("ab")
        except OSError as error:
            raise self._cannot(error) from None

    def record(self, result: Result) -> None:
        try:
            self.file.write(json.dumps(_record(result), ensure_ascii=False).encode() + b"\n")
            self.file.flush()
        except OSError as error:
            raise self._cannot(error) from None

    def close(self) -> None:
        with contextlib.suppress(OSError):  # a line it could not write: that handout is built again
            self.file.close()

    def _cannot(self, error: OSError) -> OutputError:
        advice = "free some space (or let this account write there) and run again"
        return OutputError(f"cannot write {self.path}: {error.strerror}; {advice}: the handouts built so far are kept, "
                           "and it builds the rest")  # fmt: skip


class _SharedTexts:
    """One copy of each text that results repeat (warnings, input hashes, names): a run keeps a result per
    handout until it writes the manifest, and each came with copies of its own."""

    FIELDS = ("clinic", "language", "topic", "layout", "title", "clinic_name", "language_name", "error")

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def __call__(self, result: Result) -> Result:
        one = self.one
        result.warnings = [one(warning) for warning in result.warnings]
        result.inputs = {one(kind): one(digest) for kind, digest in result.inputs.items()}
        for name in self.FIELDS:
            setattr(result, name, one(getattr(result, name)))
        return result

    def one(self, text: str) -> str:
        return self.texts.setdefault(text, text)


def _one_failure_per_clinic(results: list[Result]) -> tuple[list[Result], set[str]]:
    """A clinic whose file or logo cannot be read is one failure, as when its file does not load at planning,
    not one per handout: its earlier handouts stay listed (see _not_planned)."""
    unreadable: dict[str, str] = {}
    for result in results:
        if result.clinic_unreadable:
            unreadable.setdefault(result.clinic, result.error)
    if not unreadable:
        return results, set()
    kept = [result for result in results if not result.clinic_unreadable]
    failures = [Result(clinic_id, "*", "*", "*", "", "failed", error=error) for clinic_id, error in unreadable.items()]
    return kept + failures, set(unreadable)


def _execute(request: BatchRequest, pending: _Jobs, plan_: Plan,
             stop: Callable[[], bool]) -> Iterator[Result]:  # fmt: skip
    """The results of the pending jobs as they finish. Once ``stop()`` says so, no more groups are started;
    the groups being built finish, and their results still come (their PDFs are written)."""
    global _inherited
    setup = _WorkerSetup(request.content, request.clinics, request.out)
    workers = request.jobs or os.cpu_count() or 1
    if not pending:
        return
    if workers == 1 or len(pending) == 1:
        worker = _Worker(setup, plan_)
        try:
            for group in _groups(_in_drawing_order(pending, plan_), GROUP_SIZE):
                if stop():
                    return
                yield from worker.build_group(group, request.fail_fast)
        finally:
            worker.commits.close()
        return
    _inherited = (setup, plan_)
    lanes, shared = _worker_lanes(pending, workers, plan_)
    pools = _Pools(setup, lanes, shared, request.fail_fast)
    try:
        while True:
            pools.fill()
            if not pools.submitted:
                break
            done, _ = wait(pools.submitted, return_when=FIRST_COMPLETED)
            for future in done:
                if future in pools.submitted:  # else settled with its broken pool, below
                    yield from pools.results(future)
            if stop():  # nothing more is started; the groups being built finish
                pools.stop()
    finally:
        pools.close()
        _inherited = None


WORKER_STOPPED = ("the worker process building it stopped abruptly (it was killed, ran out of memory, or a "
                  "library it uses crashed); the next run tries it again")  # fmt: skip
# Workers that keep stopping in the middle of groups (no memory left, say) do not hold the run up for ever. A
# handout that stops a worker on its own is failed, and spends none of these.
WORKER_RESTARTS = 8
GAVE_UP = (f"not built: worker processes stopped abruptly more than {WORKER_RESTARTS} times in this run (out of "
           "memory?); the next run tries it again")  # fmt: skip


@dataclass(frozen=True)
class _Submitted:
    lane: int
    pool: ProcessPoolExecutor
    order: int
    group: _Jobs


class _Pools:
    """A pool of one worker process for each lane, and the groups each has still to build.

    A worker that stops abruptly (a signal, the out-of-memory killer, a crash in native code) takes with it
    the groups sent to it: its lane gets a new worker, the group it was building is built again a handout
    at a time, and a handout that stops a worker on its own fails, so one bad clinic does not stop the others.
    """

    def __init__(self, setup: _WorkerSetup, lanes: list[_Jobs], shared: _Jobs, fail_fast: bool) -> None:
        self.setup, self.fail_fast = setup, fail_fast
        self.queued = [deque(_groups(lane, GROUP_SIZE)) for lane in lanes]
        self.shared = deque(_groups(shared, SHARED_GROUP_SIZE))  # any worker may take these
        # A group waits in each worker's queue, so that it never waits for the parent; with --fail-fast none
        # does: after a failure, nothing more is started.
        self.depth = 1 if fail_fast else 2
        self.pools = [self._pool() for _ in lanes]
        self.submitted: dict[Future[list[Result]], _Submitted] = {}  # each group not finished yet
        self.unfinished = [0] * len(lanes)  # groups not finished yet, by lane
        self.orders = itertools.count()
        self.unexplained = 0  # stops while a worker built a group of several handouts

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=(self.setup,))

    def fill(self) -> None:
        """Give each worker its own groups, then, near the end of them, those any worker may take."""
        for lane, queued in enumerate(self.queued):
            while self.unfinished[lane] < self.depth and (queued or self.shared):
                self._submit(lane, queued.popleft() if queued else self.shared.popleft())

    def _submit(self, lane: int, group: _Jobs) -> None:
        pool = self.pools[lane]
        try:
            future = pool.submit(_build_group, group, self.fail_fast)
        except BrokenProcessPool:  # its worker stopped: its groups are settled when their turn comes
            pool = self._replace(lane, pool)
            future = pool.submit(_build_group, group, self.fail_fast)
        self.submitted[future] = _Submitted(lane, pool, next(self.orders), group)
        self.unfinished[lane] += 1

    def _replace(self, lane: int, pool: ProcessPoolExecutor) -> ProcessPoolExecutor:
        if self.pools[lane] is pool:
            self.pools[lane] = self._pool()
        return self.pools[lane]

    def _settled(self, future: Future[list[Result]]) -> _Submitted:
        submitted = self.submitted.pop(future)
        self.unfinished[submitted.lane] -= 1
        return submitted

    def results(self, future: Future[list[Result]]) -> Iterator[Result]:
        """The results of a finished group; of every group of its worker if that stopped."""
        submitted = self._settled(future)
        if isinstance(future.exception(), BrokenProcessPool):
            yield from self._restart(submitted, future)
        else:
            yield from future.result()

    def _restart(self, first: _Submitted, future: Future[list[Result]]) -> Iterator[Result]:
        pool, lane = first.pool, first.lane
        pool.shutdown(wait=True)  # every group sent to the stopped worker is settled now
        settled = [(first, future)] + [(self._settled(f), f) for f, s in list(self.submitted.items()) if s.pool is pool]
        broken: list[_Jobs] = []
        for submitted, each in sorted(settled, key=lambda pair: pair[0].order):
            if isinstance(each.exception(), BrokenProcessPool):
                broken.append(submitted.group)
            else:
                yield from each.result()  # finished before the worker stopped (or a bug: raised)
        self._replace(lane, pool)
        # A worker builds its groups in the order they were sent: the first broken one was being built.
        building, *waiting = broken
        if len(building) == 1:
            yield _failed(_planned_result(*building[0]), WORKER_STOPPED)
        else:
            self.unexplained += 1
            if self.unexplained > WORKER_RESTARTS:
                yield from self._give_up(broken)
                return
            waiting = [[item] for item in building] + waiting
        self.queued[lane].extendleft(reversed(waiting))

    def _give_up(self, broken: list[_Jobs]) -> Iterator[Result]:
        for job, inputs in broken[0]:
            yield _failed(_planned_result(job, inputs), WORKER_STOPPED)
        for group in [*broken[1:], *(group for queued in self.queued for group in queued), *self.shared]:
            for job, inputs in group:
                yield _failed(_planned_result(job, inputs), GAVE_UP)
        self.stop()

    def stop(self) -> None:
        for queued in self.queued:
            queued.clear()
        self.shared.clear()

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(wait=True, cancel_futures=True)


def _worker_lanes(pending: _Jobs, workers: int, plan_: Plan) -> tuple[list[_Jobs], _Jobs]:
    """The jobs of each worker and those any worker may take (see _lanes), all in drawing order."""
    lanes, shared = _lanes(pending, workers, _fits_per_language(pending, plan_))
    return [_in_drawing_order(lane, plan_) for lane in lanes], _in_drawing_order(shared, plan_)


def _fits_per_language(pending: _Jobs, plan_: Plan) -> dict[str, int]:
    """How many one-page fits each language's jobs need: one per topic, layout and look of clinic."""
    fitted = {(job.language, job.topic, job.layout, plan_.clinics.look(job.clinic)) for job, _ in pending}
    return Counter(language for language, *_ in fitted)


LIGHT_FONTS = 4 * 1024 * 1024  # a family this small may be loaded by every worker
# Fitted to handouts timed on one core, in units of a Latin handout's time (about 8 ms): a fit (its
# trial layouts and the first drawing of the body) costs about five handouts, and more when the
# script is shaped; loading a family's fonts costs about one handout per megabyte.
FIT_COST, SHAPED_FIT_COST, FONT_COST_PER_MB = 5.0, 7.0, 0.8


def _handout_cost(weight: FamilyWeight) -> float:
    """Rough time of one handout relative to a Latin one: shaped scripts take longer to lay out, big
    fonts a little longer to subset and embed."""
    return 1.0 + 0.02 * weight.font_bytes / (1024 * 1024) + (0.45 if weight.shaping else 0.0)


def _language_cost(weight: FamilyWeight, handouts: int, fits: int) -> float:
    return _handout_cost(weight) * (handouts + fits * (SHAPED_FIT_COST if weight.shaping else FIT_COST))


def _lanes(pending: _Jobs, workers: int, fits: dict[str, int]) -> tuple[list[_Jobs], _Jobs]:
    """Share the jobs among the workers so that each loads few fonts and all finish together.

    A worker only loads the fonts of the languages it prints, and CJK fonts take tens of megabytes
    each: each heavy font family goes whole to one worker, the heaviest first to the worker with
    the fewest megabytes. The languages of light families (Noto Sans: Latin, Cyrillic,
    Devanagari) then go, one language at a time, to whichever worker has the least work, so that
    few documents are fitted twice. The estimates are rough, so the smallest language is kept back:
    whichever worker runs out of work first takes it, a few handouts at a time.
    """
    by_family: dict[str, _Jobs] = {}
    weights: dict[str, FamilyWeight] = {}
    for item in pending:
        measured = family_of(item[0].language)
        by_family.setdefault(measured.family, []).append(item)
        weights[measured.family] = measured
    count = min(workers, len(pending))
    lanes: list[_Jobs] = [[] for _ in range(count)]
    loaded, work = [0] * count, [0.0] * count
    heavy = [name for name in by_family if weights[name].font_bytes > LIGHT_FONTS]
    for name in sorted(heavy, key=lambda n: weights[n].font_bytes, reverse=True):
        lane = min(range(count), key=lambda i: (loaded[i], work[i]))
        lanes[lane].extend(by_family[name])
        loaded[lane] += weights[name].font_bytes
        work[lane] += FONT_COST_PER_MB * weights[name].font_bytes / (1024 * 1024)
        counts = Counter(job.language for job, _ in by_family[name])
        work[lane] += sum(_language_cost(weights[name], n, fits[language]) for language, n in counts.items())
    by_language: dict[str, _Jobs] = {}
    for name in by_family:
        if name not in heavy:
            for item in by_family[name]:
                by_language.setdefault(item[0].language, []).append(item)
    languages = sorted(by_language.values(), key=len, reverse=True)
    shared = languages.pop() if languages else []
    for jobs in languages:
        lane = min(range(count), key=lambda i: work[i])
        lanes[lane].extend(jobs)
        work[lane] += _language_cost(family_of(jobs[0][0].language), len(jobs), fits[jobs[0][0].language])
    return lanes, shared


# ---------------------------------------------------------------- manifest

MANIFEST_COLUMNS = ["clinic", "language", "topic", "layout", "path", "status", "sha256", "pages", "body_size",
                    "inputs", "warnings", "error"]  # fmt: skip


def _write_manifest(out: Path, shard: tuple[int, int], results: list[Result]) -> Path:
    """The manifest in JSON and CSV, written row by row: a health system's has a row per handout."""
    suffix = "" if shard == (1, 1) else f"-{shard[0]}-of-{shard[1]}"
    manifest = out / f"manifest{suffix}.json"
    write_atomic(manifest, _json_rows(results))
    write_atomic(out / f"manifest{suffix}.csv", _csv_rows(results))
    return manifest


RESULT_FIELDS = tuple(f.name for f in fields(Result))


def _record(result: Result) -> dict[str, object]:
    """The result's fields as a journal row. Not copied, as ``asdict`` copies every list and dict: the
    parent writes a row per handout while its workers want the processor."""
    return {name: getattr(result, name) for name in RESULT_FIELDS}


def _row(result: Result) -> dict[str, object]:
    """A manifest row: a journal row without what only the run itself reads."""
    row = _record(result)
    del row["clinic_unreadable"]
    return row


def _json_rows(results: list[Result]) -> Iterator[bytes]:
    """A JSON list with a handout on each line, written a row at a time. (Indented, a row took the
    slower, pure-Python encoder: twice the time, after every batch.)"""
    yield b"["
    for index, result in enumerate(results):
        yield f"{',' if index else ''}\n{json.dumps(_row(result), ensure_ascii=False)}".encode()
    yield b"\n]" if results else b"]"


def _csv_rows(results: list[Result]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for result in results:
        row = _row(result)
        writer.writerow({**row, "inputs": json.dumps(row["inputs"]), "warnings": " | ".join(result.warnings)})
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
