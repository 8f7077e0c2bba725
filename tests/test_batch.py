"""`handout batch`: the manifest matches the files, reruns are incremental, a kill leaves only whole PDFs."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import BinaryIO

import pypdfium2 as pdfium
import pytest
import yaml
from conftest import Run, forget_drawn_stories, with_second_topic
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader

import handout
from handout import batch as batch_module
from handout import output
from handout import render as rendering
from handout.batch import (
    LIGHT_FONTS,
    BatchRequest,
    Job,
    Result,
    _in_drawing_order,
    _init_worker,
    _Worker,
    _worker_lanes,
    _WorkerSetup,
    fingerprint,
    plan,
    run_batch,
    tool_version,
)
from handout.cache import CACHE_FOLDER_VARIABLE
from handout.catalog import THUMBNAIL_WIDTH, thumbnail_path
from handout.compose import Composer
from handout.fit import fit
from handout.fonts import family_of
from handout.resolve import Project, load_content, load_layout

LANGUAGES = "en,es,fr,ar,zh-Hans,ru,vi,ht"  # each offered by at least one sample clinic


def batch(cli: Callable[..., Run], project: Path, out: Path, *options: str) -> Run:
    return cli("batch", "--content", project, "--out", out, "--jobs", "2", *options)


def manifest(out: Path, name: str = "manifest.json") -> list[dict[str, object]]:
    return json.loads((out / name).read_text(encoding="utf-8"))


def expected_handouts(project: Path, languages: str = LANGUAGES) -> int:
    """Handouts of a batch for ``languages``: each clinic gets those of them it offers, in both layouts."""
    topics = len(load_content(project).content.topics)
    offered = [yaml.safe_load(path.read_text(encoding="utf-8"))["languages"]
               for path in (project.parent / "clinics").glob("*.yaml")]  # fmt: skip
    return topics * 2 * sum(len(set(codes) & set(languages.split(","))) for codes in offered)


def pdfs(out: Path) -> set[str]:
    return {str(p.relative_to(out)) for p in out.glob("*/*/*.pdf")}


def test_manifest_and_files_agree(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = batch(cli, project, out)
    assert result.exit_code == 0, result.output
    rows = manifest(out)
    assert {r["path"] for r in rows} == pdfs(out)
    offered = {"riverside-family": 5, "costa-azul": 4, "okafor-community": 5}
    assert len(rows) == sum(offered.values()) * 2  # x 2 layouts, 1 topic
    for row in rows:
        path = out / str(row["path"])
        assert row["status"] == "built"
        assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert row["pages"] == len(PdfReader(path, strict=True).pages) == 1
        assert float(str(row["body_size"])) >= 12
        assert set(row["inputs"]) == {"content", "clinic", "layout", "tool"}  # type: ignore[arg-type]
    json_lines = (out / "manifest.json").read_text(encoding="utf-8").splitlines()  # a handout a line, for grep
    assert json_lines[0] == "[" and json_lines[-1] == "]"
    assert [json.loads(line.removesuffix(",")) for line in json_lines[1:-1]] == rows
    csv_lines = (out / "manifest.csv").read_text(encoding="utf-8").splitlines()
    assert csv_lines[0].startswith("clinic,language,topic,layout,path,status,sha256")
    assert len(csv_lines) == len(rows) + 1
    assert (out / "index.html").is_file()


def test_unchanged_rerun_builds_nothing_and_a_changed_clinic_rebuilds_only_its_handouts(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out).exit_code == 0
    stamps = {p: (out / p).stat().st_mtime_ns for p in pdfs(out)}
    again = batch(cli, project, out)
    assert again.exit_code == 0 and "0 built" in again.stdout
    assert all(row["status"] == "skipped" for row in manifest(out))
    assert stamps == {p: (out / p).stat().st_mtime_ns for p in pdfs(out)}

    clinic = project.parent / "clinics" / "costa-azul.yaml"
    clinic.write_text(clinic.read_text().replace("+34 952 555 014", "+34 952 555 099"))
    third = batch(cli, project, out)
    assert third.exit_code == 0
    built = {str(r["path"]) for r in manifest(out) if r["status"] == "built"}
    assert built and all(path.startswith("costa-azul/") for path in built)
    assert built == {p for p in pdfs(out) if p.startswith("costa-azul/")}
    assert "+34 952 555 099" in PdfReader(out / sorted(built)[0]).pages[0].extract_text()


def test_force_rebuilds_everything(cli: Callable[..., Run], project: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    out = tmp_path / "out"
    assert batch(cli, project, out, "--layouts", "standard", "--langs", "en").exit_code == 0
    read: list[Path] = []
    monkeypatch.setattr(handout.batch, "_unchanged", lambda pdf, sha256: read.append(pdf) or True)
    forced = batch(cli, project, out, "--layouts", "standard", "--langs", "en", "--force")
    assert all(row["status"] == "built" for row in manifest(out)) and "3 built" in forced.stdout
    assert read == [], "a PDF about to be replaced need not be read to see whether it changed"


def test_every_handout_has_a_thumbnail_of_its_page_and_a_lost_or_empty_one_is_made_again(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out, "--layouts", "standard", "--langs", "en,ar").exit_code == 0
    rows = manifest(out)
    for row in rows:
        relative = str(row["path"])
        with Image.open(out / thumbnail_path(relative)) as thumbnail:
            assert thumbnail.format == "JPEG" and thumbnail.width == THUMBNAIL_WIDTH
            page = pdfium.PdfDocument(out / relative)[0]
            expected = page.render(scale=THUMBNAIL_WIDTH / page.get_width()).to_pil()
            assert thumbnail.size == expected.size
            difference = ImageChops.difference(thumbnail.convert("RGB"), expected.convert("RGB"))
            assert max(ImageStat.Stat(difference).mean) < 3, relative  # the same picture, up to JPEG's loss
    # A thumbnail that is lost, or that a power cut left empty, is made again with its handout.
    lost, emptied = str(rows[0]["path"]), str(rows[1]["path"])
    (out / thumbnail_path(lost)).unlink()
    (out / thumbnail_path(emptied)).write_bytes(b"")
    again = batch(cli, project, out, "--layouts", "standard", "--langs", "en,ar")
    assert "2 built" in again.stdout
    assert sorted(r["path"] for r in manifest(out) if r["status"] == "built") == sorted([lost, emptied])
    assert all((out / thumbnail_path(path)).stat().st_size > 0 for path in (lost, emptied))


def test_clinics_that_look_alike_are_built_one_after_the_other(project: Path) -> None:
    """A roster in name order alternates brands; a worker gets alike clinics in a row, so it draws a
    document's body once for all of them, and each clinic's jobs stay together."""
    clinics = project.parent / "clinics"
    riverside = yaml.safe_load((clinics / "riverside-family.yaml").read_text(encoding="utf-8"))
    for index in range(4):
        twin = dict(riverside, name=f"Clinic {index}", colors={"primary": ["#0B6E4F", "#5B2A86"][index % 2]})
        (clinics / f"clinic-{index}.yaml").write_text(yaml.safe_dump(twin), encoding="utf-8")
    planned = plan(BatchRequest(project, languages=["en", "es"], layouts=["standard"]))
    pending = [(job, {}) for job in planned.jobs if job.clinic.startswith("clinic-")]
    order = [job.clinic for job, _ in _in_drawing_order(pending, planned)]
    assert [clinic for clinic, _ in itertools.groupby(order)] == ["clinic-0", "clinic-2", "clinic-1", "clinic-3"]
    # Shared among workers by font family, each worker's jobs are still put in that order.
    everything = plan(BatchRequest(project, layouts=["standard"]))
    lanes, shared = _worker_lanes([(job, {}) for job in everything.jobs], 2, everything)
    for lane in [*lanes, shared]:
        runs = [clinic for clinic, _ in itertools.groupby(job.clinic for job, _ in lane)]
        assert len(runs) == len(set(runs)), runs


def test_workers_keep_their_fonts_and_share_the_smallest_language(project: Path) -> None:
    """Each CJK or Arabic font family goes whole to one worker, each light language whole to one
    worker, and the smallest light language is left for whichever worker runs out of work first."""
    everything = plan(BatchRequest(project, layouts=["standard"]))
    pending = [(job, {}) for job in everything.jobs]
    lanes, shared = _worker_lanes(pending, 2, everything)
    offered = Counter(job.language for job in everything.jobs)
    light = [language for language in offered if family_of(language).font_bytes <= LIGHT_FONTS]
    assert len(light) > 2 and len(offered) > len(light) + 1
    (kept_back,) = {job.language for job, _ in shared}
    assert kept_back in light and offered[kept_back] == min(offered[language] for language in light)
    assert sorted(job for lane in [*lanes, shared] for job, _ in lane) == sorted(everything.jobs)
    families_of = [{family_of(job.language).family for job, _ in lane} for lane in lanes]
    languages_of = [{job.language for job, _ in lane} for lane in lanes]
    assert not families_of[0] & families_of[1] - {family_of("en").family}
    assert not languages_of[0] & languages_of[1]
    assert all(lanes)


def test_a_failing_clinic_does_not_stop_the_others(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    broken = project.parent / "clinics" / "broken-clinic.yaml"
    broken.write_text((project.parent / "clinics" / "riverside-family.yaml").read_text().replace(
        "logo: logo.png", "logo: missing.png"))  # fmt: skip
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", "en,es", "--layouts", "standard")
    assert result.exit_code == 1
    assert "failed: broken-clinic" in result.stderr and "missing.png" in result.stderr
    assert {p.split("/")[0] for p in pdfs(out)} == {"costa-azul", "okafor-community", "riverside-family"}
    failed = [r for r in manifest(out) if r["status"] == "failed"]
    assert {r["clinic"] for r in failed} == {"broken-clinic"}


def _stopping_worker_on(
    monkeypatch: pytest.MonkeyPatch, stops: Callable[[Job], bool]
) -> None:  # fmt: skip
    """Workers, forked from this process, stop as the out-of-memory killer stops them when ``stops(job)``."""
    build = _Worker.build

    def build_or_stop(worker: _Worker, job: Job, inputs: dict[str, str]) -> Result:
        if stops(job):
            os.kill(os.getpid(), signal.SIGKILL)
        return build(worker, job, inputs)

    monkeypatch.setattr(_Worker, "build", build_or_stop)


def test_a_handout_that_stops_its_worker_fails_alone(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash in native code (pdfium, a font) on one clinic's page: its worker stops every time it builds
    it. That handout fails; every other is built, the manifest and staff page are written."""
    _stopping_worker_on(monkeypatch, lambda job: (job.clinic, job.language) == ("costa-azul", "es"))
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", LANGUAGES, "--layouts", "standard")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "failed: costa-azul/es/muscle-calcification-standard.pdf" in result.stderr
    assert "stopped abruptly" in result.stderr
    failed = [row for row in manifest(out) if row["status"] == "failed"]
    assert [(row["clinic"], row["language"]) for row in failed] == [("costa-azul", "es")]
    assert len(pdfs(out)) == expected_handouts(project) // 2 - 1 == len(manifest(out)) - 1
    assert (out / "index.html").is_file()  # what the stopped worker was writing is a hidden temporary
    for path in pdfs(out):
        assert len(PdfReader(out / path, strict=True).pages) == 1


def test_a_clinic_whose_every_handout_stops_its_worker_fails_alone(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More of its handouts than a run replaces workers for unexplained stops: each is found, and fails."""
    _stopping_worker_on(monkeypatch, lambda job: job.clinic == "riverside-family")
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", LANGUAGES)  # both layouts: ten of riverside's handouts
    assert result.exit_code == 1 and "Traceback" not in result.output
    rows = manifest(out)
    failed = [row for row in rows if row["status"] == "failed"]
    assert len(failed) == 10 and {row["clinic"] for row in failed} == {"riverside-family"}
    assert all(str(row["error"]).startswith("the worker process building it stopped abruptly") for row in failed)
    assert len(pdfs(out)) == len(rows) - 10 == expected_handouts(project) - 10


def test_a_worker_killed_once_costs_no_handout(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed from outside (an operator, the out-of-memory killer) while it builds, a worker is replaced
    and what it was building is built by the next one."""
    killed = tmp_path / "killed"

    def once(job: Job) -> bool:
        if job.clinic != "riverside-family" or killed.exists():
            return False
        killed.touch()
        return True

    _stopping_worker_on(monkeypatch, once)
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", LANGUAGES, "--layouts", "standard")
    assert killed.exists()
    assert result.exit_code == 0, result.output
    assert all(row["status"] == "built" for row in manifest(out))
    assert len(pdfs(out)) == expected_handouts(project) // 2


def test_workers_that_keep_stopping_end_the_run_with_every_handout_listed(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stopping_worker_on(monkeypatch, lambda job: True)  # no memory left for any of them, say
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", "en,es", "--layouts", "standard")
    assert result.exit_code == 1 and "Traceback" not in result.output
    rows = manifest(out)
    assert len(rows) == expected_handouts(project, "en,es") // 2 and not pdfs(out)
    assert all(row["status"] == "failed" and "stopped abruptly" in str(row["error"]) for row in rows)


def test_fail_fast_stops_when_a_worker_stops(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stopping_worker_on(monkeypatch, lambda job: job.clinic == "costa-azul")
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", LANGUAGES, "--layouts", "standard", "--fail-fast")
    assert result.exit_code == 1 and "Traceback" not in result.output and "stopped abruptly" in result.stderr
    rows = manifest(out)
    assert {row["clinic"] for row in rows if row["status"] == "failed"} == {"costa-azul"}
    assert len(rows) < expected_handouts(project) // 2  # what was not started yet is not tried


def _with_typo(content: str, language: str) -> tuple[str, int]:
    """The content with an unknown key in the document of ``language``, and the key's line."""
    lines = content.splitlines(keepends=True)
    at = lines.index(f"      {language}:\n") + 1
    lines.insert(at, "        sumary: a typo\n")
    return "".join(lines), at + 1


def test_a_typo_in_one_translation_fails_that_language_only(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """A translator's slip stops the Spanish handouts, which keep what earlier runs made; every other
    language is built, and the failure says where the slip is."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", LANGUAGES, "--layouts", "standard").exit_code == 0
    spanish = {path: (out / path).read_bytes() for path in pdfs(out) if "/es/" in path}
    assert spanish
    text, line = _with_typo(project.read_text(encoding="utf-8"), "es")
    project.write_text(text, encoding="utf-8")
    result = batch(cli, project, out, "--langs", LANGUAGES, "--layouts", "standard", "--force")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"failed: */es/muscle-calcification/*: {project}:{line}:9: unknown key 'sumary'" in result.stderr
    assert f"{len(pdfs(out)) - len(spanish)} built, 0 up to date, 1 failed" in result.stdout
    assert {path: (out / path).read_bytes() for path in spanish} == spanish  # untouched, and still listed
    assert {str(row["path"]) for row in manifest(out) if "/es/" in str(row["path"])} == set(spanish)
    assert all(f"{path[:-4]}.jpg" in "".join(map(str, (out / ".thumbs").rglob("*.jpg"))) for path in spanish)
    assert "/es/" in (out / "index.html").read_text(encoding="utf-8")


def test_a_missing_translation_block_fails_that_language_only(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    text = project.read_text(encoding="utf-8")
    start = text.index("\n      fr:\n")
    block = re.search(r"\n        translation:\n(?:          .*\n)+", text[start:])
    assert block is not None
    project.write_text(text[: start + block.start()] + "\n" + text[start + block.end() :], encoding="utf-8")
    line = text[:start].count("\n") + 2
    result = batch(cli, project, tmp_path / "out", "--langs", "en,fr", "--layouts", "standard")
    assert result.exit_code == 1
    assert f"failed: */fr/muscle-calcification/*: {project}:{line}:7:" in result.stderr
    assert "add 'translation'" in result.stderr
    assert {row["language"] for row in manifest(tmp_path / "out") if row["status"] == "built"} == {"en"}


def test_a_topic_whose_source_document_has_a_problem_fails_whole_and_the_other_topics_are_built(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    text = with_second_topic(project.read_text(encoding="utf-8"))
    project.write_text(text, encoding="utf-8")
    one_topic = expected_handouts(project, "en,es") // 4  # of the two topics' handouts, one layout
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en,es", "--layouts", "standard").exit_code == 0
    earlier = {path: (out / path).read_bytes() for path in pdfs(out) if "muscle-calcification" in path}
    broken, line = _with_typo(text, "en")  # the first topic's source document
    project.write_text(broken, encoding="utf-8")
    result = batch(cli, project, out, "--langs", "en,es", "--layouts", "standard", "--force")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"failed: */*/muscle-calcification/*: {project}:{line}:9: unknown key 'sumary'" in result.stderr
    assert f"{one_topic} built, 0 up to date, 1 failed" in result.stdout
    assert {path: (out / path).read_bytes() for path in earlier} == earlier  # untouched, and still listed
    assert {str(row["path"]) for row in manifest(out) if row["topic"] == "muscle-calcification"} - {""} == set(earlier)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert all(path in page for path in earlier)


def test_a_topic_left_out_keeps_an_unreadable_clinic_s_earlier_handouts_listed(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    text = with_second_topic(project.read_text(encoding="utf-8"))
    project.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").exit_code == 0
    earlier = {str(row["path"]) for row in manifest(out)}
    project.write_text(_with_typo(text, "en")[0], encoding="utf-8")  # the first topic is left out
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    clinic.write_text(clinic.read_text(encoding="utf-8").replace("name:", "nmae:", 1), encoding="utf-8")
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 1 and "no longer in the matrix" not in result.output
    assert {str(row["path"]) for row in manifest(out) if row["status"] != "failed"} == earlier


def test_a_translation_whose_source_was_left_out_is_built_and_says_it_was_not_compared(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    text = project.read_text(encoding="utf-8")
    start = text.index("\n      es:\n")
    text = text[:start] + text[start:].replace("from_language: en", "from_language: fr", 1)
    project.write_text(_with_typo(text, "fr")[0], encoding="utf-8")
    result = batch(cli, project, tmp_path / "out", "--langs", "en,es,fr", "--layouts", "standard")
    assert result.exit_code == 1 and "failed: */fr/muscle-calcification/*" in result.stderr
    assert "in 'es' was translated from 'fr', which has no document to compare it with" in result.stderr
    assert {row["language"] for row in manifest(tmp_path / "out") if row["status"] == "built"} == {"en", "es"}


def test_a_layout_file_with_a_problem_fails_its_own_handouts_only(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en,es").exit_code == 0
    large = {path: (out / path).read_bytes() for path in pdfs(out) if path.endswith("-large-print.pdf")}
    layout = project.parent / "layouts" / "large-print.yaml"
    text = layout.read_text(encoding="utf-8")
    line = text[: text.index("  body_min:")].count("\n") + 1
    layout.write_text(re.sub(r"(?m)^  body_min: .*$", "  body_min: 9", text), encoding="utf-8")
    result = batch(cli, project, out, "--langs", "en,es", "--force")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"failed: */*/*/large-print: {layout}:{line}:" in result.stderr and "too small" in result.stderr
    assert f"{len(pdfs(out)) - len(large)} built, 0 up to date, 1 failed" in result.stdout
    assert {path: (out / path).read_bytes() for path in large} == large  # untouched, and still listed
    assert set(large) <= {str(row["path"]) for row in manifest(out)}
    misspelt = batch(cli, project, out, "--langs", "en,es", "--layouts", "standard,large-prnt")
    assert misspelt.exit_code == 2 and "no layout 'large-prnt'" in misspelt.stderr


def test_a_problem_outside_the_topics_stops_the_run_before_anything_is_built(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    project.write_text(project.read_text(encoding="utf-8") + "extras: 1\n", encoding="utf-8")
    result = batch(cli, project, tmp_path / "out", "--layouts", "standard")
    assert result.exit_code == 2 and "unknown key 'extras'" in result.stderr and not pdfs(tmp_path / "out")


def test_fail_fast_stops_at_the_first_failure(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    for clinic in (project.parent / "clinics").glob("*.yaml"):  # a language no topic is written in yet
        clinic.write_text(re.sub(r"(?m)^languages: .*$", "languages: [sv]", clinic.read_text(encoding="utf-8")))
    result = batch(cli, project, tmp_path / "out", "--jobs", "1", "--fail-fast")
    assert result.exit_code == 1
    assert "0 built" in result.stdout and "1 failed" in result.stdout


def test_shards_are_disjoint_and_cover_the_matrix(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    assert batch(cli, project, full, "--layouts", "standard").exit_code == 0
    everything = {str(r["path"]) for r in manifest(full)}
    parts = []
    shared = tmp_path / "shared"
    for k in (1, 2, 3):
        part = batch(cli, project, shared, "--layouts", "standard", "--shard", f"{k}/3")
        assert part.exit_code == 0 and "staff page" not in part.stdout and not (shared / "index.html").exists()
        parts.append({str(r["path"]) for r in manifest(shared, f"manifest-{k}-of-3.json")})
    assert set.union(*parts) == everything
    assert sum(len(part) for part in parts) == len(everything)
    # a plain run afterwards finds every shard's work done and writes the whole manifest and catalog
    final = batch(cli, project, shared, "--layouts", "standard")
    assert "0 built" in final.stdout and len(manifest(shared)) == len(everything)
    assert final.stdout.rstrip().endswith(f"staff page: {shared / 'index.html'}")


def test_shards_running_at_once_share_the_output_and_an_empty_cache_folder(project: Path, tmp_path: Path) -> None:
    """As a job array's machines do: each shard its own process, all at the same time, one output folder
    and one cache folder, empty at first. Each writes whole files; a plain run then builds nothing."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    environment = {**os.environ, CACHE_FOLDER_VARIABLE: str(cache)}
    command = [sys.executable, "-m", "handout", "batch", "--content", str(project), "--out", str(out),
               "--langs", LANGUAGES, "--layouts", "standard", "--jobs", "1"]  # fmt: skip
    shards = [subprocess.Popen([*command, "--shard", f"{k}/3"], env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True) for k in (1, 2, 3)]  # fmt: skip
    for shard in shards:
        _, errors = shard.communicate(timeout=300)
        assert shard.returncode == 0, errors
    assert any((cache / "fits").iterdir()) and any((cache / "drawings").iterdir())
    for path in pdfs(out):
        assert len(PdfReader(out / path, strict=True).pages) == 1
    final = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert "0 built" in final.stdout and len(manifest(out)) == len(pdfs(out)) == expected_handouts(project) // 2
    assert not list(out.glob("**/.*.tmp")) and not list(cache.glob("**/.*.tmp"))


def test_bad_shard_is_a_usage_error(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    result = batch(cli, project, tmp_path / "out", "--shard", "4/3")
    assert result.exit_code == 2 and "--shard" in result.stderr


def test_clinic_roster_from_csv(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    roster_dir = tmp_path / "roster"
    (roster_dir / "logos").mkdir(parents=True)
    (roster_dir / "logos" / "north.png").write_bytes(
        (project.parent / "clinics" / "riverside-family" / "logo.png").read_bytes()
    )
    roster = roster_dir / "clinics.csv"
    roster.write_text(
        "id,name,health_system,logo,primary,secondary,address,phone,website,emergency_number,page_size,languages\n"
        "north,North Clinic,,logos/north.png,#123456,,1 Main St;Town,(555) 555-0100,,,letter,en;es\n"
        'south,"South Clinic, Inc.",Valley,,#0B6E4F,#E2F1EA,2 Side St,(555) 555-0101,https://s.example.org,,a4,en\n'
        "bad,Bad Clinic,,../escape.png,#12,,3 Road,(555) 555-0102,,,letter,en\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = batch(cli, project, out, "--clinics", roster, "--layouts", "standard")
    assert result.exit_code == 1
    assert pdfs(out) == {"north/en/muscle-calcification-standard.pdf", "north/es/muscle-calcification-standard.pdf",
                         "south/en/muscle-calcification-standard.pdf"}  # fmt: skip
    assert f"{roster}:4:" in result.stderr and "primary" in result.stderr
    text = PdfReader(out / "south/en/muscle-calcification-standard.pdf").pages[0].extract_text()
    assert "South Clinic, Inc." in text


def test_sigkill_leaves_only_whole_pdfs_and_a_rerun_finishes(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "handout", "batch", "--content", str(project), "--out", str(out),
               "--langs", LANGUAGES, "--jobs", "2"]  # fmt: skip
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(pdfs(out)) < 6 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(0.2)  # let orphaned workers notice their parent is gone
    built_before_kill = pdfs(out)
    assert built_before_kill, "the batch should have finished some handouts before it was killed"
    for path in built_before_kill:
        assert len(PdfReader(out / path, strict=True).pages) == 1
    for temporary in out.glob("**/.*.tmp"):  # what the kill left half-written, made old enough to be stale
        os.utime(temporary, (time.time() - 3600, time.time() - 3600))
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    expected = expected_handouts(project)
    assert len(pdfs(out)) == expected
    assert not list(out.glob("**/.*.tmp"))
    assert len(manifest(out)) == expected


def test_a_run_removes_stale_temporaries_and_keeps_fresh_ones_and_other_folders(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """What a killed run left half-written goes; what a shard is writing right now, and what a folder linked
    in from elsewhere holds, stays."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").exit_code == 0
    pdf = sorted(pdfs(out))[0]
    thumbnails = out / ".thumbs" / Path(pdf).parent
    stale = [
        out / Path(pdf).with_name(".half.pdf.41.tmp"),
        thumbnails / ".half.jpg.41.tmp",
        out / ".manifest.json.41.tmp",
    ]
    fresh = out / Path(pdf).with_name(".writing.pdf.42.tmp")
    elsewhere.mkdir()
    linked = elsewhere / ".theirs.pdf.43.tmp"
    (out / "linked").symlink_to(elsewhere, target_is_directory=True)
    long_ago = time.time() - 3600
    for path in [*stale, fresh, linked]:
        path.write_bytes(b"%PDF-1.4 half")
    for path in [*stale, linked]:
        os.utime(path, (long_ago, long_ago))
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").exit_code == 0
    assert not any(path.exists() for path in stale)
    assert fresh.exists() and linked.exists()


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_stale_temporary_that_cannot_be_removed_is_left_and_the_run_goes_on(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporaries are removed on a thread of their own while the run builds: one that cannot be removed
    (a folder the account may read but not change) only takes room, and is no error of the run."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").exit_code == 0
    stuck, stale = out / ".stuck.pdf.41.tmp", out / ".stale.pdf.41.tmp"
    long_ago = time.time() - 3600
    for path in (stuck, stale):
        path.write_bytes(b"%PDF-1.4 half")
        os.utime(path, (long_ago, long_ago))
    unlink = os.unlink

    def refused(path: str | Path, *args: object, **kwargs: object) -> None:
        if Path(path) == stuck:
            raise PermissionError(13, "Permission denied", str(path))
        unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", refused)
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 0 and "Traceback" not in result.stderr, result.stderr
    assert stuck.exists() and not stale.exists()


def test_ctrl_c_stops_the_batch_without_a_traceback(project: Path, tmp_path: Path) -> None:
    """Ctrl-C at a terminal signals every process of the group: the run stops with one word, not a traceback
    from each worker, and a rerun finishes the rest."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "handout", "batch", "--content", str(project), "--out", str(out),
               "--langs", LANGUAGES, "--jobs", "2"]  # fmt: skip

    def interruptible() -> None:  # a test runner may start its children with Ctrl-C ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               preexec_fn=interruptible)  # fmt: skip
    deadline = time.monotonic() + 60
    while len(pdfs(out)) < 4 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert process.returncode != 0, "the batch had finished before Ctrl-C: the test would prove nothing"
    assert "Traceback" not in errors.decode() and "KeyboardInterrupt" not in errors.decode()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert len(manifest(out)) == expected_handouts(project)


def _sigint_disposition() -> str:
    return str(signal.getsignal(signal.SIGINT))


def test_workers_leave_ctrl_c_to_the_parent(project: Path, tmp_path: Path) -> None:
    """A worker waiting for work when Ctrl-C comes would print a traceback: workers ignore it."""
    setup = _WorkerSetup(project, None, tmp_path / "out")
    with ProcessPoolExecutor(max_workers=1, initializer=_init_worker, initargs=(setup,)) as pool:
        assert pool.submit(_sigint_disposition).result() == str(signal.SIG_IGN)


def _retire_the_topic(project: Path) -> None:
    project.write_text(
        project.read_text(encoding="utf-8").replace("status: draft", "status: retired"), encoding="utf-8"
    )


def _refusing_to_remove(monkeypatch: pytest.MonkeyPatch, refused: Path) -> Callable[..., None]:
    """A file share that will not let ``refused`` be deleted; returns the real Path.unlink."""
    unlink = Path.unlink

    def refuse(path: Path, missing_ok: bool = False) -> None:
        if path == refused:
            raise PermissionError(13, "Permission denied", str(path))
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    return unlink


def test_a_retired_topic_is_not_printed_and_its_handouts_leave_the_folder(cli: Callable[..., Run], project: Path,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    """Retired content may be outdated or wrong: staff must not find it in the catalog or the folder any more."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en").exit_code == 0
    built = pdfs(out)
    assert built and all(path.endswith(".pdf") for path in built)
    _retire_the_topic(project)
    result = batch(cli, project, out, "--langs", "en")
    assert result.exit_code == 0, result.output
    assert pdfs(out) == set() and not list((out / ".thumbs").glob("**/*.jpg"))
    assert manifest(out) == []
    assert ".pdf" not in (out / "index.html").read_text(encoding="utf-8")
    assert not list(out.glob("*/index.html")), "no clinic's own page lists them either"
    assert sorted(line.removeprefix("removed: ").split(" ")[0] for line in result.stderr.splitlines()
                  if line.startswith("removed: ")) == sorted(built)  # fmt: skip
    again = batch(cli, project, out, "--langs", "en")
    assert again.exit_code == 0 and "removed:" not in again.stderr


def test_a_retired_handout_that_cannot_be_removed_is_a_failure_until_it_is(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file share that will not let the batch delete one: staff must be told to, and the catalog must not
    link to it."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").exit_code == 0
    stuck = out / "costa-azul/en/muscle-calcification-standard.pdf"
    _retire_the_topic(project)
    unlink = _refusing_to_remove(monkeypatch, stuck)
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot be removed (Permission denied): remove it by hand" in result.stderr and str(stuck) in result.stderr
    assert pdfs(out) == {"costa-azul/en/muscle-calcification-standard.pdf"}
    assert ".pdf" not in (out / "index.html").read_text(encoding="utf-8")
    monkeypatch.setattr(Path, "unlink", unlink)
    again = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert again.exit_code == 0 and pdfs(out) == set() and manifest(out) == []


def test_a_clinic_page_that_cannot_be_removed_is_left(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").exit_code == 0
    page = out / "costa-azul" / "index.html"
    assert page.is_file()
    _retire_the_topic(project)
    _refusing_to_remove(monkeypatch, page)
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 0, result.output
    assert page.is_file() and "costa-azul/index.html" not in (out / "index.html").read_text(encoding="utf-8")


class _FullDisk:
    """A file being written on a disk that has just filled up: writing, flushing and closing all fail."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def _full(self, *_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    write = writelines = flush = _full

    def fileno(self) -> int:
        return self.handle.fileno()

    def close(self) -> None:
        self.handle.close()
        self._full()

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def test_a_disk_that_fills_up_ends_the_run_with_one_message_and_the_next_run_finishes(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    created = output._created
    files: list[Path] = []

    def filling(path: Path) -> BinaryIO | _FullDisk:
        files.extend([path] if out in path.parents else [])  # the cache's are not the disk that fills
        handle = created(path)
        return _FullDisk(handle) if len(files) > 6 else handle

    monkeypatch.setattr(output, "_created", filling)
    full = batch(cli, project, out, "--langs", LANGUAGES, "--layouts", "standard", "--jobs", "1")
    assert full.exit_code == 2 and "Traceback" not in full.output
    assert full.stderr.strip().splitlines()[-1] == (
        f"error: cannot write {out / 'manifest.json'}: No space left on device; free some space and try again"
    )
    assert not list(out.glob("**/.*.tmp"))
    written = pdfs(out)
    assert 0 < len(written) < expected_handouts(project) // 2
    for path in written:
        assert len(PdfReader(out / path, strict=True).pages) == 1
    monkeypatch.setattr(output, "_created", created)
    freed = batch(cli, project, out, "--langs", LANGUAGES, "--layouts", "standard", "--jobs", "1")
    assert freed.exit_code == 0, freed.output
    assert f"{expected_handouts(project) // 2 - len(written)} built, {len(written)} up to date" in freed.stdout


def test_a_journal_that_cannot_be_written_stops_the_run_with_one_message(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = batch_module._Journal.__init__

    def on_a_full_disk(journal: batch_module._Journal, path: Path) -> None:
        opened(journal, path)
        journal.file = _FullDisk(journal.file)  # type: ignore[assignment]

    monkeypatch.setattr(batch_module._Journal, "__init__", on_a_full_disk)
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", "en,es", "--layouts", "standard")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"error: cannot write {out / '.handout-journal.jsonl'}: No space left on device; free some space")
    )
    assert not list(out.glob("**/.*.tmp"))
    for path in pdfs(out):
        assert len(PdfReader(out / path, strict=True).pages) == 1
    monkeypatch.setattr(batch_module._Journal, "__init__", opened)
    assert batch(cli, project, out, "--langs", "en,es", "--layouts", "standard").exit_code == 0


def test_a_changed_tool_is_a_changed_input_even_under_the_same_version(tmp_path: Path) -> None:
    """A development install keeps its version number while its code, labels and fonts change."""
    package = tmp_path / "handout"
    shutil.copytree(Path(handout.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = fingerprint(package, ["reportlab", "rendercv-fonts"])
    assert fingerprint(package, ["reportlab", "rendercv-fonts"]) == before
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "page.cpython-311.pyc").write_bytes(b"compiled")
    assert fingerprint(package, ["reportlab", "rendercv-fonts"]) == before, "compiled files are not the tool"
    labels = package / "locales" / "es.po"
    labels.write_text(labels.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fingerprint(package, ["reportlab", "rendercv-fonts"]) != before
    assert fingerprint(package, ["reportlab"]) != fingerprint(package, ["reportlab", "rendercv-fonts"])
    assert tool_version().startswith(f"{handout.__version__}+")


@pytest.mark.parametrize("clinic_id", ["../../outside", "/tmp/elsewhere", ".hidden", "two words", "a\\\\b"])
def test_a_roster_id_cannot_lead_out_of_the_output_folder(cli: Callable[..., Run], project: Path, tmp_path: Path,
                                                          clinic_id: str) -> None:  # fmt: skip
    roster = tmp_path / "roster" / "clinics.csv"
    roster.parent.mkdir()
    roster.write_text(
        "id,name,primary,address,phone,languages\n"
        f'"{clinic_id}",North Clinic,#123456,1 Main St,(555) 555-0100,en\n'
        "north-2,North Clinic Two,#123456,1 Main St,(555) 555-0100,en\n",
        encoding="utf-8",
    )
    out = tmp_path / "deep" / "out"
    result = batch(cli, project, out, "--clinics", roster, "--layouts", "standard")
    assert result.exit_code == 1, result.output
    assert f"failed: {clinic_id}/" in result.stderr
    assert f"{roster}:2:1: clinic id '{clinic_id}' must start with a letter or digit" in result.stderr
    assert [path.relative_to(out) for path in tmp_path.rglob("*.pdf")] == [
        Path("north-2/en/muscle-calcification-standard.pdf")
    ], "the other clinics of the roster are built"


def test_requested_languages_are_checked_and_written_as_the_content_writes_them(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    unknown = batch(cli, project, tmp_path / "a", "--langs", "en,xx")
    assert unknown.exit_code == 2 and "unknown language code 'xx'" in unknown.stderr
    assert not (tmp_path / "a").exists()
    out = tmp_path / "b"
    result = batch(cli, project, out, "--langs", "EN,en,ZH-HANS", "--layouts", "standard")
    assert result.exit_code == 0, result.output
    assert {path.split("/")[1] for path in pdfs(out)} == {"en", "zh-Hans"}
    assert len(manifest(out)) == len(pdfs(out)) == 3 + 1  # English everywhere, Chinese where it is offered


def test_a_run_for_some_languages_keeps_the_others_in_the_manifest_and_catalog(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """Rebuilding Spanish after a fix must not take every other handout off the staff page."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en,es").exit_code == 0
    everything = pdfs(out)
    assert batch(cli, project, out, "--langs", "es", "--force").exit_code == 0
    assert {str(row["path"]) for row in manifest(out)} == everything
    catalog = (out / "index.html").read_text(encoding="utf-8")
    assert all(path.split("/")[-1] in catalog and f"/{path.split('/')[1]}/" in catalog for path in everything)
    assert catalog.count("<li data-search") == len(everything)
    for clinic in {path.split("/")[0] for path in everything}:  # and so does each clinic's own page
        page = (out / clinic / "index.html").read_text(encoding="utf-8")
        assert page.count("<li data-search") == sum(path.startswith(f"{clinic}/") for path in everything)
    again = batch(cli, project, out, "--langs", "en,es")
    assert again.exit_code == 0 and again.stdout.startswith(f"0 built, {len(everything)} up to date")


def test_handouts_of_a_language_a_clinic_dropped_leave_the_catalog(cli: Callable[..., Run], project: Path,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "out"
    assert batch(cli, project, out).exit_code == 0  # the languages each clinic offers
    clinic = project.parent / "clinics" / "okafor-community.yaml"
    clinic.write_text(clinic.read_text(encoding="utf-8").replace("languages: [en, es, ", "languages: [en, "))
    result = batch(cli, project, out)
    assert result.exit_code == 0, result.output
    dropped = {f"okafor-community/es/muscle-calcification-{layout}.pdf" for layout in ("standard", "large-print")}
    assert dropped <= pdfs(out), "the files stay: a wrong roster must not delete a health system's handouts"
    assert not dropped & {str(row["path"]) for row in manifest(out)}
    assert "okafor-community/es/" not in (out / "index.html").read_text(encoding="utf-8")
    assert "note: 2 handouts" in result.stderr and "no longer in the matrix" in result.stderr


def test_line_breaks_typed_in_roster_cells(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    """A spreadsheet cell may hold line breaks (Alt+Enter): a name stays one name, an address gets its lines."""
    roster = tmp_path / "clinics.csv"
    roster.write_text(
        'id,name,primary,address,phone,languages\nsouth,"South\nClinic",#0B6E4F,"2 Side St\nSuite 4;Town",'
        "(555) 555-0101,en\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = batch(cli, project, out, "--clinics", roster, "--layouts", "standard")
    assert result.exit_code == 0, result.output
    text = PdfReader(out / "south/en/muscle-calcification-standard.pdf").pages[0].extract_text()
    assert "South Clinic" in text and "SouthClinic" not in text
    assert "2 Side St, Suite 4, Town" in text


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_workers_stop_when_the_batch_is_killed_alone(project: Path, tmp_path: Path, how: int) -> None:
    """`kill PID` or an out-of-memory killer stops the parent only: its workers must not wait forever."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "handout", "batch", "--content", str(project), "--out", str(out),
               "--langs", LANGUAGES, "--jobs", "2"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while not (workers and pdfs(out)) and time.monotonic() < deadline and process.poll() is None:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        time.sleep(0.02)
    assert workers and process.poll() is None, "the batch ended before it could be killed"
    os.kill(process.pid, how)
    process.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers):
        assert time.monotonic() < deadline, f"workers {workers} outlived their batch"
        time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_roster_rows_with_cells_out_of_place_or_ids_differing_in_case(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    roster = tmp_path / "clinics.csv"
    roster.write_text(
        "id,name,primary,address,phone,languages\n"
        "n2,South,#123456,2 Main,(555) 555-0101,en,extra\n"
        "n3,South,#123456\n"
        "X,A,#123456,1 Main,(555) 555-0100,en\n"
        "x,B,#123456,1 Main,(555) 555-0100,en\n"
        'n4,"Unclosed,#123456,1 Main,(555) 555-0100,en\n'
        "n5,C,#123456,1 Main,(555) 555-0100,en\n",
        encoding="utf-8",
    )
    result = batch(cli, project, tmp_path / "out", "--clinics", roster)
    assert result.exit_code == 1, result.output  # each row fails on its own
    assert f"failed: n2/*/*/*: {roster}:2:1: this row has 7 cells and the header 6: check its commas " \
           "and quotes" in result.stderr, "the row's id is read: its clinic fails"  # fmt: skip
    assert f"{roster}:3:1: this row has 3 cells and the header 6" in result.stderr
    assert f"failed: x/*/*/*: {roster}:5:1: clinic ids 'X' and 'x' differ only in case" in result.stderr
    assert "failed: X/" not in result.stderr, "the row before keeps its clinic"
    assert f"{roster}:6:1: a quote in this row runs on into the rows after it" in result.stderr, "its row is named"
    assert "failed: n4/" in result.stderr and "4 built" in result.stdout, "X and n5, the row after the quote"
    assert {p.split("/")[0] for p in pdfs(tmp_path / "out")} == {"X", "n5"}


def test_a_language_no_clinic_offers_is_one_error_with_a_hint(cli: Callable[..., Run], project: Path,
                                                                tmp_path: Path) -> None:  # fmt: skip
    result = batch(cli, project, tmp_path / "out", "--langs", "en,zh")
    assert result.exit_code == 2 and not (tmp_path / "out").exists()
    assert "--langs zh: no clinic offers it (did you mean zh-Hans?)" in result.stderr, "the one a clinic offers"


def test_a_pdf_cut_short_or_replaced_since_it_was_built_is_built_again(cli: Callable[..., Run], project: Path,
                                                                        tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").exit_code == 0
    damaged = out / "costa-azul/en/muscle-calcification-standard.pdf"
    whole = damaged.read_bytes()
    damaged.write_bytes(whole[:1000])
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.stdout.startswith("1 built, 2 up to date")
    assert damaged.read_bytes() == whole


def test_a_shard_leaves_retired_handouts_to_the_plain_run_that_rewrites_the_catalog(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en").exit_code == 0
    built = pdfs(out)
    _retire_the_topic(project)
    shard = batch(cli, project, out, "--langs", "en", "--shard", "1/2")
    assert shard.exit_code == 0 and "removed:" not in shard.stderr
    assert pdfs(out) == built, "the catalog of the last plain run still links to them"
    plain = batch(cli, project, out, "--langs", "en")
    assert plain.stderr.count("removed: ") == len(built) and pdfs(out) == set()
    assert "removed:" not in batch(cli, project, out, "--langs", "en").stderr


@pytest.mark.parametrize("clinics", ["no-such-folder", "roster.txt"])
def test_a_clinics_path_that_is_no_folder_or_roster_is_an_error_not_the_default_clinics(
    cli: Callable[..., Run], project: Path, tmp_path: Path, clinics: str
) -> None:
    path = tmp_path / clinics
    if path.suffix:
        path.write_text("id,name,primary,address,phone,languages\n", encoding="utf-8")
    for command in (["batch", "--out", str(tmp_path / "out")], ["list"], ["check"]):
        result = cli(command[0], "--content", project, "--clinics", path, *command[1:])
        assert result.exit_code == 2, (command, result.output)
        assert f"--clinics {path}" in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.rglob("*.pdf"))


@pytest.mark.parametrize("file_name", ["-x.yaml", "index.html.yaml", "Manifest.json.yml", "manifest-1-of-2.csv.yaml"])
def test_a_clinic_file_whose_name_is_no_clinic_id_fails_alone(
    cli: Callable[..., Run], project: Path, tmp_path: Path, file_name: str
) -> None:
    """An id its handouts' folder cannot be named: not starting with a letter or digit, or the name of a
    file the batch writes beside the clinics' folders (the staff page, a manifest)."""
    clinics = project.parent / "clinics"
    shutil.copy(clinics / "okafor-community.yaml", clinics / file_name)
    out = tmp_path / "out" / "sub"
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 1, result.output
    clinic_id = file_name.removesuffix(".yaml").removesuffix(".yml")
    assert f"failed: {clinic_id}" in result.stderr and "rename it" in result.stderr
    assert {path.relative_to(tmp_path / "out") for path in (tmp_path / "out").rglob("*.pdf")} == {
        Path("sub") / clinic / "en" / "muscle-calcification-standard.pdf"
        for clinic in ("costa-azul", "okafor-community", "riverside-family")
    }
    built = cli("build", "--content", project, "--topic", "muscle-calcification", "--lang", "en",
                "--clinic", clinic_id, "-o", tmp_path / "one.pdf")  # fmt: skip
    assert built.exit_code == 2 and "rename it" in built.stderr and not (tmp_path / "one.pdf").exists()


def test_hidden_files_in_the_clinics_folder_are_skipped_and_a_suffix_in_capitals_is_read(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """macOS writes '._name' beside each file it copies to a share, editors their lock files; a Windows
    tool may write CLINIC.YAML."""
    clinics = project.parent / "clinics"
    (clinics / "._riverside-family.yaml").write_bytes(b"\x00\x05\x16\x07 Mac OS X resource fork")
    shutil.copy(clinics / "okafor-community.yaml", clinics / "...yaml")
    shutil.move(clinics / "costa-azul.yaml", clinics / "costa-azul.YAML")
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 0, result.output
    assert {path.split("/")[0] for path in pdfs(out)} == {"costa-azul", "okafor-community", "riverside-family"}
    listed = cli("list", "--content", project, "--json")
    assert sorted(json.loads(listed.stdout)["clinics"]) == ["costa-azul", "okafor-community", "riverside-family"]


def test_a_roster_without_rows_or_an_empty_clinics_folder_is_an_error_that_keeps_the_catalog(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """A nightly export that failed must not take every handout off the staff page."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").exit_code == 0
    rows, page = manifest(out), (out / "index.html").read_bytes()
    header_only = tmp_path / "roster.csv"
    header_only.write_text("id,name,primary,address,phone,page_size,languages\n", encoding="utf-8")
    empty = tmp_path / "no-clinics"
    empty.mkdir()
    for clinics, what in ((header_only, "the roster has no rows"), (empty, "the folder has no clinic files")):
        result = batch(cli, project, out, "--clinics", clinics, "--layouts", "standard")
        assert result.exit_code == 2 and f"no clinics in {clinics}: {what}" in result.stderr
        assert manifest(out) == rows and (out / "index.html").read_bytes() == page


def test_an_empty_out_is_an_error_not_the_current_folder(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("batch", "--content", project, "--out", "", "--langs", "en")
    assert result.exit_code == 2 and "--out is empty" in result.stderr
    assert list(tmp_path.iterdir()) == [project.parent]


def test_clinic_files_whose_names_differ_only_in_case_are_refused(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    clinics = project.parent / "clinics"
    shutil.copy(clinics / "okafor-community.yaml", clinics / "Okafor-Community.yaml")
    result = batch(cli, project, tmp_path / "out", "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 1
    assert "failed: Okafor-Community" in result.stderr and "failed: okafor-community" not in result.stderr
    assert "differ only in case" in result.stderr and "rename 'Okafor-Community'" in result.stderr
    assert {p.split("/")[0] for p in pdfs(tmp_path / "out")} == {"costa-azul", "okafor-community", "riverside-family"}
    original = clinics / "okafor-community.yaml"
    original.write_text(original.read_text() + "# phone checked\n")  # now the newer file of the two
    again = batch(cli, project, tmp_path / "out", "--langs", "en", "--layouts", "standard")
    assert "failed: Okafor-Community" in again.stderr and "failed: okafor-community" not in again.stderr


def test_a_typo_in_a_clinic_file_keeps_its_earlier_handouts_listed_and_fails_in_every_mode(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out, "--layouts", "standard").exit_code == 0
    okafor = {str(r["path"]) for r in manifest(out) if r["clinic"] == "okafor-community"}
    clinic = project.parent / "clinics" / "okafor-community.yaml"
    clinic.write_text(re.sub(r'primary: "?#[0-9A-Fa-f]{6}"?', 'primary: "#14213"', clinic.read_text()))
    again = batch(cli, project, out, "--layouts", "standard")
    assert again.exit_code == 1 and "failed: okafor-community" in again.stderr
    assert "no longer in the matrix" not in again.stderr
    listed = {str(r["path"]) for r in manifest(out) if r["status"] != "failed"}
    assert okafor <= listed and okafor <= pdfs(out)
    catalog = (out / "index.html").read_text(encoding="utf-8")
    assert all(path in catalog for path in okafor)
    some = batch(cli, project, out, "--layouts", "standard", "--langs", "en")
    assert some.exit_code == 1 and "failed: okafor-community" in some.stderr
    fast = batch(cli, project, tmp_path / "fast", "--layouts", "standard", "--fail-fast")
    assert fast.exit_code == 1 and "0 built" in fast.stdout and not pdfs(tmp_path / "fast")


def test_an_unreadable_asset_fails_its_clinic_only(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a logo whose permissions were changed (a test run as root could still read it)."""
    logo = project.parent / "clinics" / "riverside-family" / "logo.png"
    real_read_bytes, real_open = Path.read_bytes, Image.open

    def refused(path: object) -> None:
        if isinstance(path, (str, Path)) and Path(path).resolve() == logo.resolve():  # not a kept band's bytes
            raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "read_bytes", lambda path: refused(path) or real_read_bytes(path))
    monkeypatch.setattr(Image, "open", lambda path, *a, **k: refused(path) or real_open(path, *a, **k))
    result = cli("batch", "--content", project, "--out", tmp_path / "out", "--jobs", "1", "--langs", "en",
                 "--layouts", "standard")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "failed: riverside-family" in result.stderr and "Traceback" not in result.stderr
    assert (
        "riverside-family.yaml:5:1: logo logo.png cannot be read (Permission denied): check that the file can"
        in result.stderr
    )
    assert {p.split("/")[0] for p in pdfs(tmp_path / "out")} == {"costa-azul", "okafor-community"}


def test_shards_writing_into_one_folder_keep_their_own_journals(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """A shard killed while another finished resumes from its journal: the other does not end it."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--layouts", "standard", "--shard", "2/2").exit_code == 0
    second = out / ".handout-journal-2-of-2.jsonl"
    rows = (out / "manifest-2-of-2.json").read_text(encoding="utf-8")
    (out / "manifest-2-of-2.json").unlink()  # as if shard 2 had been killed before its manifest
    second.write_text("".join(json.dumps(r) + "\n" for r in json.loads(rows)), encoding="utf-8")
    assert batch(cli, project, out, "--layouts", "standard", "--shard", "1/2").exit_code == 0
    assert second.is_file()
    resumed = batch(cli, project, out, "--layouts", "standard", "--shard", "2/2")
    assert resumed.exit_code == 0 and "0 built" in resumed.stdout, resumed.output
    assert not second.exists()
    final = batch(cli, project, out, "--layouts", "standard")
    assert "0 built" in final.stdout and not list(out.glob(".handout-journal*"))


def test_a_journal_cut_inside_a_character_resumes_from_its_whole_lines(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """A run killed (or a disk filled) while writing an Arabic handout's row leaves half a character: the
    next run takes the whole rows, builds the rest, and ends the journal."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--langs", "en,ar", "--layouts", "standard").exit_code == 0
    rows = sorted(manifest(out), key=lambda row: row["language"] == "ar")  # an Arabic one last
    (out / "manifest.json").unlink()  # as if the run had been killed before its manifest
    journal = out / ".handout-journal.jsonl"
    whole = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:-1]).encode()
    cut = json.dumps(rows[-1], ensure_ascii=False).encode()
    cut = cut[: next(i for i, byte in enumerate(cut) if byte >= 0x80) + 1]  # in a character's bytes
    journal.write_bytes(whole + cut)
    resumed = batch(cli, project, out, "--langs", "en,ar", "--layouts", "standard")
    assert resumed.exit_code == 0, resumed.output
    assert "1 built" in resumed.stdout and len(manifest(out)) == len(rows) and not journal.exists()


@pytest.mark.parametrize(
    "edit",
    [
        lambda rows: 5,
        lambda rows: None,
        lambda rows: [*rows[:-1], {**rows[-1], "clinic": ["x"]}],
        lambda rows: [*rows[:-1], {**rows[-1], "warnings": None}],
        lambda rows: [*rows[:-1], {**rows[-1], "path": "../../elsewhere.pdf"}],
        lambda rows: [*rows[:-1], "a line"],
        lambda rows: [*rows[:-1], {**rows[-1], "body_size": float("inf")}],
    ],
)
def test_a_manifest_edited_by_hand_rebuilds_what_it_cannot_vouch_for(
    cli: Callable[..., Run], project: Path, tmp_path: Path, edit: Callable[[list[dict[str, object]]], object]
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out, "--layouts", "standard", "--langs", "en,es").exit_code == 0
    (out / "manifest.json").write_text(json.dumps(edit(manifest(out))), encoding="utf-8")
    for options in (["--langs", "en"], ["--langs", "en,es"]):
        again = batch(cli, project, out, "--layouts", "standard", *options)
        assert again.exit_code == 0 and "Traceback" not in again.stderr, again.output
    assert {str(r["path"]) for r in manifest(out)} == pdfs(out)
    assert len((out / "manifest.csv").read_text(encoding="utf-8").splitlines()) == len(pdfs(out)) + 1


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda text: text[: len(text) // 2], "it is not valid JSON: "),
        (lambda text: '{"rows": ' + text + "}", "it is not a list of handouts"),
        (lambda text: "\udcff" + text, "it is not UTF-8 text"),
    ],
)
def test_a_manifest_that_cannot_be_read_is_named_and_its_handouts_built_again(
    cli: Callable[..., Run], project: Path, tmp_path: Path, damage: Callable[[str], str], reason: str
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out, "--layouts", "standard", "--langs", "en,es").exit_code == 0
    listed = len(manifest(out))
    text = (out / "manifest.json").read_text(encoding="utf-8")
    (out / "manifest.json").write_bytes(damage(text).encode("utf-8", "surrogateescape"))
    again = batch(cli, project, out, "--layouts", "standard", "--langs", "en,es")
    assert again.exit_code == 0 and "Traceback" not in again.stderr, again.output
    assert f"note: {out / 'manifest.json'} could not be read ({reason}" in again.stderr
    assert f"{listed} built, 0 up to date" in again.stdout
    quiet = batch(cli, project, out, "--layouts", "standard", "--langs", "en,es")
    assert "note:" not in quiet.stderr and f"0 built, {listed} up to date" in quiet.stdout
    assert {str(r["path"]) for r in manifest(out)} == pdfs(out)


def test_a_forced_run_stopped_early_keeps_what_it_did_not_reach_in_the_catalog(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert batch(cli, project, out, "--layouts", "standard").exit_code == 0
    before = {str(r["path"]) for r in manifest(out)}
    costa = project.parent / "clinics" / "costa-azul.yaml"
    costa.write_text(costa.read_text().replace("logo: logo.svg", "logo: missing.svg"))
    stopped = cli("batch", "--content", project, "--out", out, "--jobs", "1", "--layouts", "standard", "--force",
                  "--fail-fast")  # fmt: skip
    assert stopped.exit_code == 1
    listed = {str(r["path"]) for r in manifest(out) if r["status"] != "failed"}
    costa_paths = {path for path in before if path.startswith("costa-azul/")}
    assert before - costa_paths <= listed
    catalog = (out / "index.html").read_text(encoding="utf-8")
    assert all(path in catalog for path in before - costa_paths)


@pytest.mark.parametrize("option", ["--langs", "--topics", "--layouts"])
@pytest.mark.parametrize("value", ["", ",", " , "])
def test_an_empty_list_is_an_error_not_everything(
    cli: Callable[..., Run], project: Path, tmp_path: Path, option: str, value: str
) -> None:
    result = batch(cli, project, tmp_path / "out", option, value)
    assert result.exit_code == 2 and f"{option} is empty" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_handout_is_reported_only_once_its_pdf_and_thumbnail_are_in_place(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PDFs reach the disk on a thread: what is journaled and shown as built must be there already."""
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (time.sleep(0.05), real_fsync(fd))[1])  # a slow network share
    out = tmp_path / "out"
    seen: list[str] = []

    def progress(result: Result, done: int, total: int) -> None:
        assert (out / result.path).is_file() and (out / thumbnail_path(result.path)).is_file(), result.path
        journal = out / ".handout-journal.jsonl"
        seen.append(result.path)
        assert all((out / json.loads(line)["path"]).is_file() for line in journal.read_text().splitlines())

    request = BatchRequest(project, languages=["en", "es"], layouts=["standard"], out=out, jobs=1)
    report = run_batch(request, progress)
    assert seen and len(seen) == len(report.results) and not report.failures


def test_a_handout_that_cannot_be_written_fails_alone(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    blocked = out / "costa-azul" / "en" / "muscle-calcification-standard.pdf"
    blocked.mkdir(parents=True)  # a folder where the PDF goes
    result = batch(cli, project, out, "--langs", "en,es", "--layouts", "standard")
    assert result.exit_code == 1, result.output
    assert "failed: costa-azul/en" in result.stderr and "cannot write" in result.stderr
    written = {path for path in pdfs(out) if (out / path).is_file()}
    assert written == {str(r["path"]) for r in manifest(out) if r["status"] == "built"} and len(written) == 5
    (failed,) = [r for r in manifest(out) if r["status"] == "failed"]
    assert failed["pages"] == 0 and failed["warnings"] == [] and failed["sha256"] == ""
    assert "is a draft" in result.stderr and "(5 handouts, e.g. " in result.stderr, "the failed one is not counted"
    assert not (out / thumbnail_path(str(blocked.relative_to(out)))).exists()


def test_fail_fast_builds_nothing_after_the_first_failure_in_one_process(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    options = ("--jobs", "1", "--langs", "en,es", "--layouts", "standard")
    order = cli("batch", "--content", project, "--out", tmp_path / "first", *options)
    second = re.findall(r"\] built: (\S+)", order.stderr)[1]
    out = tmp_path / "out"
    (out / second).mkdir(parents=True)
    result = cli("batch", "--content", project, "--out", out, *options, "--fail-fast")
    assert result.exit_code == 1 and "1 built" in result.stdout and "1 failed" in result.stdout, result.output
    assert len([path for path in pdfs(out) if (out / path).is_file()]) == 1


def test_a_change_in_the_structure_of_the_english_text_rebuilds_its_translations_and_their_warnings(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """Translations get a warning when they lack part of their source: one added to the English text must
    reach the manifest of the translations, while a change of wording alone rebuilds only English."""
    out, options = tmp_path / "out", ("--langs", "en,es", "--layouts", "standard")
    assert batch(cli, project, out, *options).exit_code == 0
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("on their own. You can", "on their own. You may", 1), encoding="utf-8")
    assert batch(cli, project, out, *options).exit_code == 0
    assert {(r["language"], r["status"]) for r in manifest(out)} == {("en", "built"), ("es", "skipped")}
    added = '              - "**Call {emergency_number}** for chest pain or sudden trouble breathing."\n'
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace(added, added + '              - "Call us if you feel worse."\n', 1))
    assert batch(cli, project, out, *options).exit_code == 0
    spanish = [r for r in manifest(out) if r["language"] == "es"]
    assert spanish and all(r["status"] == "built" for r in spanish)
    assert all(any("differs from the 'en' text" in str(w) for w in r["warnings"]) for r in spanish)  # type: ignore[attr-defined]


def test_a_plain_run_after_shards_takes_their_newer_rows_over_its_own_older_manifest(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    out, options = tmp_path / "out", ("--langs", "en,es", "--layouts", "standard")
    assert batch(cli, project, out, *options).exit_code == 0
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("on their own. You can", "on their own. You may", 1), encoding="utf-8")
    for shard in ("1/2", "2/2"):
        assert batch(cli, project, out, *options, "--shard", shard).exit_code == 0
    final = batch(cli, project, out, *options)
    assert final.exit_code == 0 and "0 built" in final.stdout, final.output


def test_a_clinic_whose_name_overflows_the_header_fails_even_when_a_like_clinic_was_fitted_first(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """The body size found for one clinic serves the next one of the same look: the header is still asked."""
    clinics = project.parent / "clinics"
    okafor = yaml.safe_load((clinics / "okafor-community.yaml").read_text(encoding="utf-8"))
    for clinic_id, name, system in (("a-short", "Short Clinic", None), ("b-long", "W" * 150, "M" * 150)):
        data = {**okafor, "name": name, "languages": ["ar"]}
        data.pop("health_system", None)
        if system:
            data["health_system"] = system
        (clinics / f"{clinic_id}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    result = cli("batch", "--content", project, "--out", out, "--jobs", "1", "--langs", "ar", "--layouts",
                 "standard")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "failed: b-long/ar" in result.stderr and "does not fit in the header" in result.stderr
    assert (out / "a-short/ar/muscle-calcification-standard.pdf").is_file()
    assert not (out / "b-long/ar/muscle-calcification-standard.pdf").exists()


def test_a_handout_left_as_it_was_is_reported_due_for_review_once_its_date_has_passed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    request = BatchRequest(project, languages=["en"], layouts=["standard"], out=out, jobs=1)
    run_batch(BatchRequest(project, languages=["es"], layouts=["standard"], out=out, jobs=1))
    first = run_batch(request)
    assert first.results and not any("due for review" in w for r in first.results for w in r.warnings)
    due = load_content(project).content.topics[0].review.next_review

    class Later(dt.date):
        @classmethod
        def today(cls) -> dt.date:
            return due + dt.timedelta(days=1)

    monkeypatch.setattr(handout.batch.dt, "date", Later)
    again = run_batch(request)
    assert again.results and all(r.status == "skipped" for r in again.results)
    assert all(f"was due for review on {due.isoformat()}" in " ".join(r.warnings) for r in again.results)
    rows = manifest(out)  # the Spanish ones too, which this run did not reach
    assert {r["language"] for r in rows} == {"en", "es"}
    assert all(f"was due for review on {due.isoformat()}" in " ".join(map(str, r["warnings"]))  # type: ignore[call-overload]
               for r in rows)  # fmt: skip


def test_a_clinic_file_with_a_typo_fails_every_run_whatever_its_languages_or_shard(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    clinic = project.parent / "clinics" / "riverside-family.yaml"
    clinic.write_text(re.sub(r"(?m)^phone:", "phnoe:", clinic.read_text(encoding="utf-8")))
    offered_by_it_alone = "ru"  # of the sample clinics, only Riverside offers Russian
    only = batch(cli, project, tmp_path / "a", "--langs", offered_by_it_alone, "--layouts", "standard")
    assert only.exit_code == 1 and "failed: riverside-family" in only.stderr and "phnoe" in only.stderr
    typo = batch(cli, project, tmp_path / "a", "--langs", "de", "--layouts", "standard")
    assert typo.exit_code == 2 and "--langs de: no clinic offers it" in typo.stderr, "no topic is written in it"
    for shard in ("1/2", "2/2"):
        part = batch(cli, project, tmp_path / "b", "--layouts", "standard", "--shard", shard, "--fail-fast")
        assert part.exit_code == 1 and "failed: riverside-family" in part.stderr and "0 built" in part.stdout


def test_a_folder_named_like_a_roster_is_a_folder_of_clinic_files(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "clinics.csv"
    shutil.copytree(project.parent / "clinics", folder)
    result = batch(cli, project, tmp_path / "out", "--clinics", folder, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 0, result.output
    assert {p.split("/")[0] for p in pdfs(tmp_path / "out")} == {"costa-azul", "okafor-community", "riverside-family"}


def test_a_clinic_whose_logo_breaks_is_one_failure_and_keeps_its_earlier_handouts_listed(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    out, options = tmp_path / "out", ("--langs", "en,es", "--layouts", "standard")
    assert batch(cli, project, out, *options).exit_code == 0
    costa = {str(r["path"]) for r in manifest(out) if r["clinic"] == "costa-azul"}
    (project.parent / "clinics" / "costa-azul" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40"><circle r="1e308"/></svg>'
    )
    again = batch(cli, project, out, *options)
    assert again.exit_code == 1 and "no longer in the matrix" not in again.stderr
    failures = [line for line in again.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failures) == 1 and failures[0].startswith("failed: costa-azul/*/*/*: ") and "logo" in failures[0]
    listed = {str(r["path"]) for r in manifest(out) if r["status"] != "failed"}
    catalog = (out / "index.html").read_text(encoding="utf-8")
    assert costa and costa <= listed and all(path in catalog for path in costa)


def test_a_roster_id_whose_case_changes_does_not_ask_to_delete_what_may_be_its_new_folder(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """On a Windows or macOS share costa/ and Costa/ are one folder: the old paths are the new files there."""
    roster = tmp_path / "clinics.csv"
    roster.write_text("id,name,primary,address,phone,languages\ncosta,Costa,#123456,1 Main,(555) 555-0100,en\n")
    out = tmp_path / "out"
    assert batch(cli, project, out, "--clinics", roster, "--layouts", "standard").exit_code == 0
    roster.write_text(roster.read_text().replace("\ncosta,", "\nCosta,"))
    renamed = batch(cli, project, out, "--clinics", roster, "--layouts", "standard")
    assert renamed.exit_code == 0 and "no longer in the matrix" not in renamed.stderr, renamed.output
    assert [str(r["path"]) for r in manifest(out)] == ["Costa/en/muscle-calcification-standard.pdf"]


def test_a_fail_fast_run_over_several_workers_records_every_pdf_it_wrote(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    """Workers still building when the first failure comes finish their group: what they wrote is in the
    manifest, with its own hash, not the row of the PDF it replaced."""
    out = tmp_path / "out"
    assert batch(cli, project, out, "--layouts", "standard").exit_code == 0
    rows = manifest(out)
    blocked = out / str(rows[len(rows) // 2]["path"])
    blocked.unlink()
    blocked.mkdir()  # this one cannot be written
    for clinic in (project.parent / "clinics").glob("*.yaml"):  # every handout changes
        clinic.write_text(re.sub(r"(?m)^phone: (.*)(\d)", r"phone: \g<1>9", clinic.read_text(encoding="utf-8")))
    result = batch(cli, project, out, "--layouts", "standard", "--fail-fast")
    assert result.exit_code == 1, result.output
    for row in manifest(out):
        if row["status"] != "failed":
            path = out / str(row["path"])
            assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), row["path"]


def test_clinic_and_layout_files_may_end_in_yml(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    folder = project.parent
    (folder / "clinics/costa-azul.yaml").rename(folder / "clinics/costa-azul.yml")
    (folder / "layouts/standard.yaml").rename(folder / "layouts/standard.yml")
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 0, result.output
    assert "costa-azul/en/muscle-calcification-standard.pdf" in pdfs(out)
    assert batch(cli, project, out, "--langs", "en", "--layouts", "standard").stdout.startswith("0 built")
    clinic = folder / "clinics/costa-azul.yml"
    text = clinic.read_text(encoding="utf-8")
    clinic.write_text(re.sub(r"(?m)^phone: .*$", 'phone: "+1 555 0100"', text), encoding="utf-8")
    again = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert again.exit_code == 0 and again.stdout.startswith("1 built"), again.output  # a change to it is seen


def test_a_clinic_in_both_a_yaml_and_a_yml_file_fails_and_says_which(
    cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    clinics = project.parent / "clinics"
    shutil.copy(clinics / "costa-azul.yaml", clinics / "costa-azul.yml")
    out = tmp_path / "out"
    result = batch(cli, project, out, "--langs", "en", "--layouts", "standard")
    assert result.exit_code == 1, result.output
    assert "costa-azul.yaml and costa-azul.yml both define 'costa-azul': keep one and delete the other" in result.stderr
    assert {row["clinic"] for row in manifest(out) if row["status"] == "built"} == {
        "okafor-community",
        "riverside-family",
    }
    checked = cli("check", "--content", project)
    assert checked.exit_code == 2 and f"{clinics / 'costa-azul.yml'}:1:1" in checked.stdout + checked.stderr


def first_run_with_a_cache(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path, tuple[str | Path, ...], dict[str, bytes]]:
    """A batch of three languages with a cache folder of its own: the folder, the output folder, the
    arguments that run it again, and the PDFs it built."""
    cache, out = tmp_path / "cache", tmp_path / "out"
    monkeypatch.setenv(CACHE_FOLDER_VARIABLE, str(cache))
    arguments = ("batch", "--content", project, "--out", out, "--jobs", "1", "--langs", "en,ar,zh-Hans",
                 "--layouts", "standard")  # fmt: skip
    assert cli(*arguments).exit_code == 0
    return cache, out, arguments, {path: (out / path).read_bytes() for path in pdfs(out)}


def test_a_rebuild_takes_the_sizes_earlier_runs_fitted_and_fits_again_a_kept_size_that_overflows(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, out, arguments, built = first_run_with_a_cache(cli, project, tmp_path, monkeypatch)
    kept = sorted((cache / "fits").iterdir())
    sizes = {row["body_size"] for row in manifest(out)}
    assert len(kept) >= len(sizes) > 1
    fits: list[float] = []

    def counted_fit(*args: object) -> object:
        fitted = fit(*args)
        fits.append(fitted.body_size)
        return fitted

    monkeypatch.setattr(handout.batch, "fit", counted_fit)
    assert cli(*arguments, "--force").exit_code == 0
    assert fits == [] and {path: (out / path).read_bytes() for path in pdfs(out)} == built

    largest = load_layout(Project.at(project), "standard").layout.type.body_max
    assert largest not in sizes  # so every kept size below is a size the layout tries, at which the page overflows
    for file in kept:
        fitted_for, _ = file.read_bytes().split(b" ")
        file.write_bytes(fitted_for + b" " + repr(largest).encode())
    assert cli(*arguments, "--force").exit_code == 0
    assert len(fits) == len(kept) and {path: (out / path).read_bytes() for path in pdfs(out)} == built
    assert sorted(float(file.read_bytes().split(b" ")[1]) for file in kept) == sorted(fits)


def test_a_rebuild_lays_out_no_story_an_earlier_run_drew_and_makes_the_same_bytes(
    cli: Callable[..., Run], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, out, arguments, built = first_run_with_a_cache(cli, project, tmp_path, monkeypatch)
    assert len(list((cache / "drawings").iterdir())) == len(built)  # the three clinics differ in look
    forget_drawn_stories(monkeypatch)  # as in a new process
    compositions: list[object] = []
    monkeypatch.setattr(rendering, "Composer", lambda *a: compositions.append(a) or Composer(*a))
    assert cli(*arguments, "--force").exit_code == 0
    assert compositions == [] and {path: (out / path).read_bytes() for path in pdfs(out)} == built

    shutil.rmtree(cache / "drawings")
    assert cli(*arguments, "--force").exit_code == 0  # drawn again, and kept again
    assert len(compositions) == len(built) and len(list((cache / "drawings").iterdir())) == len(built)
