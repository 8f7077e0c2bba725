"""Batch throughput, scaling, memory and no-change reruns, against Typst and WeasyPrint, in one run.

    .venv/bin/pip install typst weasyprint   # the peers; not dependencies of handout
    .venv/bin/python benchmarks/bench_batch.py [--clinics 20] [--rounds 3] [--full]

Builds a scratch project of N clinics, each offering every shipped language, and times:
- `handout batch` with --jobs 1 and --jobs 2 (standard layout), handouts per second;
- the same handouts from an equivalent Typst template with one reused typst.Compiler;
  the three take turns for a few rounds, and the medians are compared;
- WeasyPrint on a sample of the same handouts;
- peak memory of a batch of 100 and 1,000 handouts (and 10,000 with --full);
- a second run with nothing changed, for 1,000 handouts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from handout.inline import plain
from handout.resolve import load_content

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


def run_batch(content: Path, out: Path, *options: str) -> tuple[float, int]:
    """Wall time, and the peak resident memory (MB) of the largest process of this batch (sampled)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [*HANDOUT, "batch", "--content", str(content), "--out", str(out), "--layouts", "standard", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0
    while process.poll() is None:
        for pid in (process.pid, *_children(process.pid)):
            peak = max(peak, _rss_mb(pid))
        time.sleep(0.05)
    return time.perf_counter() - start, peak


def typst_inputs(content: Path, clinic_files: list[Path], languages: list[str]) -> list[dict[str, str]]:
    topic = load_content(content).content.topics[0]
    inputs = []
    for clinic_file in clinic_files:
        clinic = yaml.safe_load(clinic_file.read_text(encoding="utf-8"))
        values = {"emergency_number": str(clinic.get("emergency_number", "911")), "clinic_phone": clinic["phone"],
                  "clinic_name": clinic["name"]}  # fmt: skip
        for language in languages:
            document = topic.documents[language].model_dump(mode="json", exclude_none=True)
            document = json.loads(json.dumps(document).replace("{emergency_number}", values["emergency_number"]))
            data = {
                "lang": language.split("-")[0],
                "clinic": {
                    "name": clinic["name"],
                    "phone": clinic["phone"],
                    "address": ", ".join(clinic["address"]),
                    "primary": clinic["colors"]["primary"],
                    "secondary": clinic["colors"].get("secondary", "#E6EEF7"),
                    "page_size": clinic.get("page_size", "letter"),
                },
                "document": document,
                "labels": {
                    "call": "Questions? Call",
                    "reviewed": "Last reviewed: November 25, 2026",
                    "sources": "Sources:",
                },
                "sources": "; ".join(s.title for s in topic.sources),
            }
            inputs.append({"data": json.dumps(data, ensure_ascii=False)})
    return inputs


def font_folders() -> list[str]:
    import rendercv_fonts
    import weblate_fonts

    return [str(Path(rendercv_fonts.__file__).parent / "Noto Sans"),
            str(Path(weblate_fonts.__file__).parent / "static/weblate_fonts/kurinto/ttf")]  # fmt: skip


def bench_typst(inputs: list[dict[str, str]], out: Path) -> float:
    import typst

    compiler = typst.Compiler(str(TEMPLATE), font_paths=font_folders(), ignore_system_fonts=True,
                              sys_inputs=inputs[0])  # fmt: skip
    compiler.compile(sys_inputs=inputs[0])  # load fonts once, as a long-running service would
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for index, sys_inputs in enumerate(inputs):
        pdf = compiler.compile(sys_inputs=sys_inputs)
        (out / f"{index}.pdf").write_bytes(pdf)
    return time.perf_counter() - start


def bench_weasyprint(inputs: list[dict[str, str]], sample: int) -> float:
    import weasyprint

    faces = "".join(
        f"@font-face {{ font-family: Handout; src: url('file://{folder}/{name}'); }}"
        for folder, name in [(font_folders()[0], "NotoSans-Regular.ttf"), (font_folders()[1], "KurintoSans-Rg.ttf")]
    )
    start = time.perf_counter()
    for sys_inputs in inputs[:sample]:
        data = json.loads(sys_inputs["data"])
        document = data["document"]
        sections = "".join(
            f"<h2>{plain(s['heading'], {})}</h2>"
            + "".join(f"<p>{plain(p, {})}</p>" for p in s.get("paragraphs", []))
            + "<ul>"
            + "".join(f"<li>{plain(b, {})}</li>" for b in s.get("bullets", []))
            + "</ul>"
            for s in document["sections"]
        )
        page = (f"<html lang='{data['lang']}'><style>{faces} body {{ font-family: Handout; font-size: 12pt; }}"
                f" main {{ columns: 2; }} header {{ background: {data['clinic']['primary']}; color: white; }}</style>"
                f"<header>{data['clinic']['name']} {data['clinic']['phone']}</header><h1>{document['title']}</h1>"
                f"<main>{sections}</main></html>")  # fmt: skip
        weasyprint.HTML(string=page).write_pdf()
    return time.perf_counter() - start


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
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        content, languages = make_project(root, arguments.clinics)
        handouts = arguments.clinics * len(languages)
        print(f"matrix: {arguments.clinics} clinics x {len(languages)} languages x 1 topic, standard layout "
              f"= {handouts} handouts")  # fmt: skip
        inputs = typst_inputs(content, sorted((root / "clinics").glob("*.yaml")), languages)
        # Rounds take turns, so that a busy spell of the machine slows every contender alike.
        ones, twos, typsts = [], [], []
        for _ in range(arguments.rounds):
            ones.append(run_batch(content, root / "out1", "--jobs", "1", "--force")[0])
            twos.append(run_batch(content, root / "out2", "--jobs", "2", "--force")[0])
            with contextlib.suppress(ImportError):
                typsts.append(bench_typst(inputs, root / "typst"))
        one, two = median(ones), median(twos)
        print(f"(medians of {arguments.rounds} rounds; each round's times in brackets)")
        print(f"handout batch --jobs 1: {one:7.2f} s  {handouts / one:7.1f} handouts/s  {spread(ones)}")
        print(f"handout batch --jobs 2: {two:7.2f} s  {handouts / two:7.1f} handouts/s  {spread(twos)}  "
              f"(scaling {one / two:.2f}x)")  # fmt: skip
        if typsts:
            typst_time = median(typsts)
            print(f"Typst, one reused Compiler: {typst_time:7.2f} s  {handouts / typst_time:7.1f} handouts/s  "
                  f"{spread(typsts)}  (handout --jobs 2 is {typst_time / two:.2f}x Typst's throughput)")  # fmt: skip
        else:
            print("Typst: not installed (pip install typst)")
        try:
            sample = 10
            weasy = bench_weasyprint(inputs, sample)
            per = weasy / sample
            print(f"WeasyPrint, {sample} handouts: {per * 1000:7.0f} ms each; handout --jobs 2: "
                  f"{two / handouts * 1000:.1f} ms each ({per / (two / handouts):.0f}x)")  # fmt: skip
        except ImportError:
            print("WeasyPrint: not installed (pip install weasyprint)")
    sizes = [100, 1000, *([10_000] if arguments.full else [])]
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            clinics = -(-size // len(languages))
            content, languages = make_project(root, clinics)
            elapsed, peak = run_batch(content, root / "out", "--jobs", "2")
            line = f"{clinics * len(languages):>6} handouts: {elapsed:7.1f} s, peak memory of one process {peak} MB"
            if size == 1000:
                again, _ = run_batch(content, root / "out", "--jobs", "2")
                line += f"; second run with nothing changed {again:.2f} s"
            print(line)


if __name__ == "__main__":
    main()
