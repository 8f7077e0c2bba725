"""Batch throughput, scaling, memory and no-change reruns, against Typst and WeasyPrint, in one run.

    .venv/bin/pip install typst weasyprint   # the peers; not dependencies of handout
    .venv/bin/python benchmarks/bench_batch.py [--clinics 20] [--rounds 3] [--full]

Builds a scratch project of N clinics, each offering every shipped language and, where its sample has a
website, a page of its own there (a QR code of its own), and times:
- `handout batch --jobs 2` once as on a new machine, its cache folder empty (no font tables, no fits);
- `handout batch` with --jobs 1 and --jobs 2 (standard layout), handouts per second;
- the same handouts from an equivalent Typst template with one reused typst.Compiler, the PDFs
  alone and with what the batch writes besides (durable PDF, catalog thumbnail, SHA-256);
  the contenders take turns for a few rounds, and the medians are compared;
- WeasyPrint on one handout per language, with the same fonts, logo, footer and QR code;
- peak memory of a batch of 100 and 1,000 handouts (and 10,000 with --full), with one and two workers;
- a second run with nothing changed, for 1,000 handouts.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import hashlib
import html
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from handout.cache import CACHE_FOLDER_VARIABLE
from handout.catalog import thumbnail_jpeg, thumbnail_path
from handout.fit import fit, fit_key
from handout.output import write_atomic
from handout.page import SEPARATOR, Page, qr_modules
from handout.resolve import Handout, Project, assemble, load_clinic, load_content, load_layout

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "typst" / "handout.typ"
HANDOUT = [sys.executable, "-m", "handout"]


def make_project(root: Path, clinics: int) -> tuple[Path, list[str]]:
    shutil.copy(REPO / "content.yaml", root / "content.yaml")
    shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "clinics").mkdir()
    languages = list(load_content(REPO / "content.yaml").content.topics[0].documents)
    samples = sorted((REPO / "clinics").glob("*.yaml"))
    for index in range(clinics):
        sample = samples[index % len(samples)]
        data = yaml.safe_load(sample.read_text(encoding="utf-8"))
        data["name"] = f"{data['name'].split(' of ')[0]} {index + 1}"
        data["languages"] = languages
        clinic_id = f"clinic-{index + 1:04d}"  # in id order the three brands alternate, as in a real roster
        if data.get("website"):  # each clinic's own page, as a health system's locations have: a QR code each
            data["website"] = f"{data['website'].rstrip('/')}/{clinic_id}"
        (root / "clinics" / f"{clinic_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        if (REPO / "clinics" / sample.stem).is_dir():
            shutil.copytree(REPO / "clinics" / sample.stem, root / "clinics" / clinic_id)
    return root / "content.yaml", languages


def _rss_mb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    if "VmRSS:" not in status:  # a process that has exited but not been reaped yet
        return 0
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def run_batch(content: Path, out: Path, *options: str) -> tuple[float, int, float]:
    """Wall time, the peak resident memory (MB) of the largest process of this batch (sampled), and
    the processor time of all its processes."""
    used = _children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(
        [*HANDOUT, "batch", "--content", str(content), "--out", str(out), "--layouts", "standard", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:  # beside the wait, so that the wall time is not rounded up to a sample
        nonlocal peak
        while not done.wait(0.05):
            for pid in (process.pid, *_children(process.pid)):
                peak = max(peak, _rss_mb(pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    process.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return elapsed, peak, _children_cpu() - used


def _children_cpu() -> float:
    """Processor time of the child processes that have ended, and of those they waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peer_inputs(content: Path, clinic_files: list[Path], languages: list[str]) -> list[dict[str, str]]:
    """What the peers need to print the same handouts: the document and the clinic, and what handout
    works out for them from its own data (labels in the page's language, the footer's lines, the fonts of
    the language's script, the QR code's modules), so that every peer prints the same words."""
    project = Project.at(content)
    loaded = load_content(content)
    topic = loaded.content.topics[0]
    layout = load_layout(project, "standard")
    inputs, sizes = [], {}
    for clinic_file in clinic_files:
        clinic = load_clinic(project, clinic_file.stem)
        for language in languages:
            handout = assemble(loaded, clinic, layout, topic.id, language)
            page = Page(handout)
            key = fit_key(page)
            if key not in sizes:
                sizes[key] = fit(page).body_size  # the peers print the body at the size handout chose
            data = {**_peer_data(handout, page), "size": sizes[key]}
            inputs.append({"data": json.dumps(data, ensure_ascii=False)})
    return inputs


def _peer_data(handout: Handout, page: Page) -> dict[str, object]:
    brand, labels = handout.clinic.clinic, handout.labels
    document = json.loads(handout.document.model_dump_json(exclude_none=True))
    document = json.loads(json.dumps(document).replace("{emergency_number}", brand.emergency_number))
    reviewed = labels("Last reviewed: {date}", date=labels.date(handout.topic.review.last_reviewed))
    details = [brand.phone, *([", ".join(brand.address)] if not page.address_in_header else []),
               *([brand.website] if brand.website else [])]  # fmt: skip
    logo = handout.clinic.logo
    sources = "; ".join(source.title for source in handout.topic.sources)
    return {
        "lang": handout.language.split("-")[0],
        "dir": "rtl" if handout.script.rtl else "ltr",
        "fonts": [str(handout.fonts.regular_file), str(handout.fonts.bold_file)],
        "clinic": {
            "name": brand.name,
            "phone": brand.phone,
            "address": ", ".join(brand.address) if page.address_in_header else "",
            "primary": brand.colors.primary,
            "secondary": brand.colors.secondary or "#E6EEF7",
            "page_size": brand.page_size,
            "logo": str(logo.path) if logo else "",
            "qr": _qr_runs(brand.website) if brand.website else [],
            "qr_size": len(qr_modules(brand.website)) if brand.website else 0,
        },
        "document": document,
        "labels": {"call": labels("Questions? Call"), "scan": labels("Scan for more")},
        "footer": {
            "contact": SEPARATOR.join(details),
            "reviewed": f"{reviewed}{SEPARATOR}{labels('Sources:')} {sources}",
            "note": page.translation_note(),
        },
    }


def _qr_runs(url: str) -> list[tuple[int, int, int]]:
    """The QR code's dark modules as horizontal runs (column, row, length), drawn as one shape as handout does."""
    runs = []
    for row, cells in enumerate(qr_modules(url)):
        column = 0
        for dark, run in itertools.groupby(cells):
            length = len(list(run))
            if dark:
                runs.append((column, row, length))
            column += length
    return runs


def font_folders() -> list[str]:
    import rendercv_fonts
    import weblate_fonts

    return [str(Path(rendercv_fonts.__file__).parent / "Noto Sans"),
            str(Path(weblate_fonts.__file__).parent / "static/weblate_fonts/kurinto/ttf")]  # fmt: skip


def bench_typst(inputs: list[dict[str, str]], out: Path, outputs: bool = False) -> tuple[float, float]:
    """Typst's wall and processor time (all its threads) for the PDFs alone, or, with ``outputs``, with
    what the batch makes besides each PDF: its durable write, its catalog thumbnail (the whole page,
    pypdfium2) and its SHA-256."""
    import typst

    compiler = typst.Compiler(str(TEMPLATE), root="/", font_paths=font_folders(), ignore_system_fonts=True,
                              sys_inputs=inputs[0])  # fmt: skip
    compiler.compile(sys_inputs=inputs[0])  # load fonts once, as a long-running service would
    out.mkdir(parents=True, exist_ok=True)
    start, used = time.perf_counter(), time.process_time()
    for index, sys_inputs in enumerate(inputs):
        pdf = compiler.compile(sys_inputs=sys_inputs)
        if outputs:
            write_atomic(out / f"{index}.pdf", pdf)
            write_atomic(out / thumbnail_path(f"{index}.pdf"), thumbnail_jpeg(pdf), durable=False)
            hashlib.sha256(pdf).hexdigest()
        else:
            (out / f"{index}.pdf").write_bytes(pdf)
    return time.perf_counter() - start, time.process_time() - used


WEASYPRINT_STYLE = """
@page {{ size: {size}; margin: 28pt 30pt 24pt; }}
html {{ line-height: 1.25; }}
@font-face {{ font-family: Body; src: url('file://{regular}'); }}
@font-face {{ font-family: Body; font-weight: bold; src: url('file://{bold}'); }}
body {{ font-family: Body; font-size: {body}pt; line-height: 1.3; color: #1A1A1A; margin: 0; }}
header {{ background: {primary}; color: white; border-radius: 6pt; padding: 8pt; display: flex; gap: 8pt;
         align-items: center; }}
header img {{ height: 48pt; background: white; border-radius: 4pt; padding: 4pt; }}
header .name {{ flex: 1; font-weight: bold; font-size: 15pt; }}
header .address {{ font-size: 8pt; font-weight: normal; }}
header .phone {{ text-align: end; font-size: 10pt; }} header .phone b {{ font-size: 16pt; display: block; }}
h1 {{ color: {primary}; font-size: 20pt; margin: 6pt 0 0; }} .subtitle {{ color: #444; font-size: 10pt; }}
.summary {{ background: {secondary}; border-inline-start: 4pt solid {primary}; padding: 6pt; font-weight: bold; }}
main {{ columns: 2; column-gap: 20pt; }} h2 {{ color: {primary}; font-size: 13.8pt; margin: 6pt 0 2pt; }}
p, ul {{ margin: 0 0 4pt; }} ul {{ padding-inline-start: 14pt; }} section {{ margin-bottom: 6pt; }}
.highlight {{ background: {secondary}; border-inline-start: 4pt solid {primary}; padding: 6pt; }}
.warning {{ background: #FDECEA; border-inline-start: 4pt solid #B3261E; padding: 6pt; }}
footer {{ border-top: 1.2pt solid {primary}; font-size: 8pt; color: #444; display: flex; gap: 10pt;
         margin-top: 8pt; }}
footer .lines {{ flex: 1; }} footer svg {{ width: 50pt; height: 50pt; }}
"""


def _weasyprint_page(data: dict[str, Any]) -> str:
    e = html.escape
    clinic, document, footer = data["clinic"], data["document"], data["footer"]

    def rich(text: str) -> str:
        parts = e(text).split("**")
        return "".join(f"<b>{part}</b>" if index % 2 else part for index, part in enumerate(parts))

    sections = "".join(
        f"<section class='{s.get('kind', 'normal')}'><h2>{rich(s['heading'])}</h2>"
        + "".join(f"<p>{rich(p)}</p>" for p in s.get("paragraphs", []))
        + ("<ul>" + "".join(f"<li>{rich(b)}</li>" for b in s.get("bullets", [])) + "</ul>" if s.get("bullets") else "")
        + "</section>"
        for s in document["sections"]
    )
    size, runs = clinic["qr_size"], clinic["qr"]
    shape = "".join(f"M{x} {y}h{n}v1h-{n}z" for x, y, n in runs)
    qr = (f"<svg viewBox='-4 -4 {size + 8} {size + 8}'><path d='{shape}'/></svg>"
          f"<div>{e(data['labels']['scan'])}</div>") if runs else ""  # fmt: skip
    logo = f"<img src='file://{e(clinic['logo'])}' alt=''>" if clinic["logo"] else ""
    style = WEASYPRINT_STYLE.format(size="A4" if clinic["page_size"] == "a4" else "letter", regular=data["fonts"][0],
                                    bold=data["fonts"][1], body=data["size"], primary=clinic["primary"],
                                    secondary=clinic["secondary"])  # fmt: skip
    return (f"<html lang='{data['lang']}' dir='{data['dir']}'><style>{style}</style>"
            f"<header>{logo}<div class='name'>{e(clinic['name'])}<div class='address'>{e(clinic['address'])}</div>"
            f"</div><div class='phone'>{e(data['labels']['call'])}<b>{e(clinic['phone'])}</b></div></header>"
            f"<h1>{rich(document['title'])}</h1><div class='subtitle'>{rich(document.get('subtitle', ''))}</div>"
            f"<p class='summary'>{rich(document['summary'])}</p><main>{sections}</main>"
            f"<footer><div class='lines'><b>{e(clinic['name'])}</b>{SEPARATOR}{e(footer['contact'])}<br>"
            f"{e(footer['reviewed'])}<br><b>{e(footer['note'])}</b></div>{qr}</footer></html>")  # fmt: skip


def bench_weasyprint(inputs: list[dict[str, str]], languages: int) -> tuple[float, int]:
    """Seconds for a sample of one handout per language, each of another clinic, and the sample's size."""
    import weasyprint

    clinics = len(inputs) // languages
    chosen = [inputs[(index % clinics) * languages + index] for index in range(languages)]
    start = time.perf_counter()
    for sys_inputs in chosen:
        weasyprint.HTML(string=_weasyprint_page(json.loads(sys_inputs["data"]))).write_pdf()
    return time.perf_counter() - start, len(chosen)


def median(times: list[float]) -> float:
    return sorted(times)[len(times) // 2]


def spread(times: list[float]) -> str:
    return "[" + " ".join(f"{t:.2f}" for t in times) + "]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--full", action="store_true", help="also measure memory at 10,000 handouts")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the throughput contest; medians are shown")
    arguments = parser.parse_args()
    # pip compiles an installed package's modules; an editable install's are compiled by the first run
    # that imports them, unless PYTHONDONTWRITEBYTECODE is set (as on some CI machines), which would
    # have every batch compile them again (0.04 s). Compiled as pip would, they are timed as installed.
    compileall.compile_dir(REPO / "handout", quiet=1)
    with tempfile.TemporaryDirectory() as cache:
        # What ReportLab reads from the font files and the sizes fits found, kept between runs (handout.cache):
        # empty for the first batch, as on a new machine; Typst's compiler, too, loads its fonts before the
        # clock starts.
        os.environ[CACHE_FOLDER_VARIABLE] = cache
        languages = contest(arguments)
        memory(arguments, languages)


def contest(arguments: argparse.Namespace) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        content, languages = make_project(root, arguments.clinics)
        handouts = arguments.clinics * len(languages)
        print(f"matrix: {arguments.clinics} clinics x {len(languages)} languages x 1 topic, standard layout "
              f"= {handouts} handouts")  # fmt: skip
        first, *_ = run_batch(content, root / "first", "--jobs", "2")
        print(f"handout batch --jobs 2, the first run on a machine (its cache folder empty): {first:7.2f} s")
        inputs = peer_inputs(content, sorted((root / "clinics").glob("*.yaml")), languages)
        # Rounds take turns, so that a busy spell of the machine slows every contender alike.
        ones, twos, idles, typsts, typsts_with_outputs = [], [], [], [], []
        processor: dict[str, list[float]] = {}  # seconds of processor time of each contender, per round
        for _ in range(arguments.rounds):
            for times, label, jobs, out in ((ones, "--jobs 1", "1", "out1"), (twos, "--jobs 2", "2", "out2")):
                elapsed, _, used = run_batch(content, root / out, "--jobs", jobs, "--force")
                times.append(elapsed)
                processor.setdefault(f"handout batch {label}", []).append(used)
            idles.append(run_batch(content, root / "out2", "--jobs", "2")[0])  # nothing to build
            with contextlib.suppress(ImportError):
                peers = ((typsts, "PDFs only", False), (typsts_with_outputs, "with outputs", True))
                for times, label, outputs in peers:
                    elapsed, used = bench_typst(inputs, root / f"typst-{outputs}", outputs=outputs)
                    times.append(elapsed)
                    processor.setdefault(f"Typst, {label}", []).append(used)
        one, two = median(ones), median(twos)
        print(f"(medians of {arguments.rounds} rounds; each round's times in brackets)")
        print(f"handout batch --jobs 1: {one:7.2f} s  {handouts / one:7.1f} handouts/s  {spread(ones)}")
        print(f"handout batch --jobs 2: {two:7.2f} s  {handouts / two:7.1f} handouts/s  {spread(twos)}  "
              f"(scaling {one / two:.2f}x)")  # fmt: skip
        # What both pay whatever the number of workers: start-up (imports, planning), hashing, manifest, pages.
        idle = median(idles)
        print(f"handout batch with nothing to build: {idle:7.2f} s  {spread(idles)}; scaling of the rest "
              f"{(one - idle) / (two - idle):.2f}x")  # fmt: skip
        if typsts:
            for label, times in (("PDFs only", typsts), ("PDFs + thumbnails, durable writes", typsts_with_outputs)):
                typst_time = median(times)
                ratio = typst_time / two
                print(f"Typst, one reused Compiler, {label}: {typst_time:7.2f} s  {handouts / typst_time:7.1f} "
                      f"handouts/s  {spread(times)}  (handout --jobs 2: {ratio:.2f}x its throughput)")  # fmt: skip
        else:
            print("Typst: not installed (pip install typst)")
        # What each handout costs a core, whatever the number of cores: start-up and waits included.
        print("processor time per handout (medians): " + "; ".join(
            f"{label} {median(used) / handouts * 1000:.1f} ms" for label, used in processor.items()))  # fmt: skip
        # --jobs 1 is not one core's work alone: a thread of its own flushes the PDFs to disk.
        walls = {"handout batch --jobs 1": ones, "handout batch --jobs 2": twos, "Typst, PDFs only": typsts,
                 "Typst, with outputs": typsts_with_outputs}  # fmt: skip
        print("cores busy on average (processor time / wall time, medians of the rounds): " + "; ".join(
            f"{label} {median([u / w for u, w in zip(used, walls[label], strict=True)]):.2f}"
            for label, used in processor.items()))  # fmt: skip
        try:
            weasy, sample = bench_weasyprint(inputs, len(languages))
            per = weasy / sample
            print(f"WeasyPrint, one handout per language ({sample}): {per * 1000:7.0f} ms each; handout --jobs 2: "
                  f"{two / handouts * 1000:.1f} ms each ({per / (two / handouts):.0f}x)")  # fmt: skip
        except ImportError:
            print("WeasyPrint: not installed (pip install weasyprint)")
    return languages


def memory(arguments: argparse.Namespace, languages: list[str]) -> None:
    sizes = [100, 1000, *([10_000] if arguments.full else [])]
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            clinics = -(-size // len(languages))
            content, languages = make_project(root, clinics)
            # One worker holds every language's fonts: the most one process of a batch needs.
            alone, alone_peak, _ = run_batch(content, root / "out1", "--jobs", "1")
            elapsed, peak, _ = run_batch(content, root / "out", "--jobs", "2")
            line = (f"{clinics * len(languages):>6} handouts: --jobs 2 {elapsed:7.1f} s, peak memory of one "
                    f"process {peak} MB; --jobs 1 {alone:7.1f} s, {alone_peak} MB")  # fmt: skip
            if size == 1000:
                again, *_ = run_batch(content, root / "out", "--jobs", "2")
                line += f"; second run with nothing changed {again:.2f} s"
            print(line)


if __name__ == "__main__":
    main()
