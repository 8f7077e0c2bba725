"""The command line. Only this module knows Click; each command calls one core function."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from handout import __version__
from handout.errors import HandoutError
from handout.resolve import Project, load_content
from handout.schema import SCHEMAS, canonical_language, json_schema

if TYPE_CHECKING:
    from handout.batch import Result

# Each command imports the core module it calls when it runs: a worker or a quick `handout list`
# does not pay for what other commands need (the reading-level dictionary, the PO tools).

F = TypeVar("F", bound=Callable[..., Any])

content_option = click.option(
    "--content",
    "content",
    type=click.Path(path_type=Path),
    default=Path("content.yaml"),
    show_default=True,
    help="Content file. Clinics and layouts are looked up in clinics/ and layouts/ beside it.",
)
clinics_option = click.option(
    "--clinics",
    "clinics",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of clinic files or a CSV roster [default: clinics/ beside the content file].",
)


def user_errors(command: F) -> F:
    """Print a HandoutError as one clean message and exit with its code; anything else is a bug."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except HandoutError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(error.exit_code)

    return wrapper  # type: ignore[return-value]


def run() -> None:
    """The ``handout`` command: :func:`main`, then the process ends without tearing down its modules.

    That teardown frees ReportLab's, pydantic's and the fonts' objects one by one: 0.06-0.1 s of each
    command's time, after its work is done. Every file a command writes is complete and closed when it
    returns; a command that raises (a bug) ends as usual, with its traceback.
    """
    try:
        main()
        code = 0
    except SystemExit as exit_:
        if not isinstance(exit_.code, (int, type(None))):
            raise
        code = exit_.code or 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: the usual exit reports it
        sys.exit(code)
    os._exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handout")
def main() -> None:
    """Make one-page, branded, plain-language patient handouts as PDF."""


@main.command()
@click.option("--topic", required=True, help="Topic id, e.g. muscle-calcification.")
@click.option("--lang", "language", required=True, help="Language code, e.g. en or es.")
@click.option("--clinic", required=True, help="Clinic id: the name of a file in clinics/ without .yaml (or .yml).")
@click.option("--layout", default="standard", show_default=True, help="Layout name from layouts/.")
@content_option
@clinics_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="PDF to write [default: out/CLINIC/LANG/TOPIC-LAYOUT.pdf].",
)
@user_errors
def build(
    topic: str,
    language: str,
    clinic: str,
    layout: str,
    content: Path,
    clinics: Path | None,
    output: Path | None,
) -> None:
    """Build one handout PDF and print its path."""
    from handout.build import BuildRequest, build_handout

    request = BuildRequest(topic, canonical_language(language), clinic, layout, output)
    built = build_handout(Project.at(content, clinics), request)
    for warning in built.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(str(built.path))


@main.command("list")
@content_option
@clinics_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: topics, languages, clinics, layouts.")
@user_errors
def list_(content: Path, clinics: Path | None, as_json: bool) -> None:
    """List the topics, languages, clinics and layouts that can be built."""
    from handout.build import inventory

    found = inventory(Project.at(content, clinics))
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
        return
    rows = {**found.as_dict(), "languages": found.language_names()}
    for name, values in rows.items():
        click.echo(f"{name + ':':<11} {', '.join(values) or '(none)'}")


@main.command()
@click.argument("kind", type=click.Choice(sorted(SCHEMAS)))
def schema(kind: str) -> None:
    """Print the JSON Schema of a content, clinic or layout file (for editors)."""
    click.echo(json.dumps(json_schema(kind), indent=2, ensure_ascii=False))


@main.command()
@content_option
@clinics_option
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only on errors.")
@click.option("--require-reviewed", is_flag=True, help="Treat translations no qualified translator checked as errors.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@user_errors
def check(content: Path, clinics: Path | None, strict: bool, require_reviewed: bool, output_format: str) -> None:
    """Check content, clinics and layouts; list every problem at once. Exit 1 on errors, 2 on unreadable input."""
    from handout.check import CheckOptions, check_project, exit_code, format_table

    findings = check_project(Project.at(content, clinics), CheckOptions(require_reviewed=require_reviewed))
    if output_format == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        click.echo(format_table(findings))
    sys.exit(exit_code(findings, strict))


@main.command("export-po")
@click.option("--topic", required=True, help="Topic id.")
@click.option("--lang", "language", required=True, help="Language to translate into.")
@content_option
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="PO file to write [default: TOPIC.LANG.po].")  # fmt: skip
@user_errors
def export_po_command(topic: str, language: str, content: Path, output: Path | None) -> None:
    """Write a topic as a PO file for translators (existing translation filled in)."""
    from handout.exchange import export_po
    from handout.output import write_atomic

    target = output or Path(f"{topic}.{language}.po")
    write_atomic(target, export_po(load_content(content), topic, language))
    click.echo(str(target))


@main.command("import-po")
@click.argument("po_file", type=click.Path(path_type=Path))
@content_option
@user_errors
def import_po_command(po_file: Path, content: Path) -> None:
    """Put a translated PO file into the content file as that language's document."""
    from handout.exchange import import_po

    imported = import_po(content, po_file)
    click.echo(f"{imported.content_path}: topic '{imported.topic}', language '{imported.language}' updated")
    if imported.note:
        click.echo(f"note: {imported.note}", err=True)


def _list_option(value: str | None, option: str) -> list[str] | None:
    if value is None or value.strip().lower() == "all":
        return None
    parts = list(dict.fromkeys(part for part in value.replace(",", " ").split() if part))  # each once, in order
    if not parts:  # e.g. a script's unset variable: not a reason to build everything
        raise HandoutError(f"{option} is empty: give 'all' or names separated by commas")
    return parts


def _folder_option(value: str, option: str) -> Path:
    if not value.strip():  # e.g. a script's unset variable: not a reason to write into the current folder
        raise HandoutError(f"{option} is empty: give the folder to write into")
    return Path(value)


def _languages_option(value: str | None) -> list[str] | None:
    """Language codes as content writes them, whatever their case: EN is en, zh-hant is zh-Hant."""
    codes = _list_option(value, "--langs")
    return None if codes is None else list(dict.fromkeys(canonical_language(code) for code in codes))


@main.command()
@content_option
@click.option("--clinics", "clinics", type=click.Path(path_type=Path), default=None,
              help="Folder of clinic files or a CSV roster [default: clinics/ beside the content file].")  # fmt: skip
@click.option("--langs", default="all", show_default=True,
              help="'all' (what each clinic offers) or codes, e.g. en,es (of those a clinic offers).")  # fmt: skip
@click.option("--topics", default="all", show_default=True, help="'all' or topic ids.")
@click.option("--layouts", default="all", show_default=True, help="'all' or layout names.")
@click.option("--out", default="out", show_default=True)
@click.option("--jobs", type=click.IntRange(min=0), default=0, help="Worker processes [default: one per core].")
@click.option("--shard", default="1/1", show_default=True, help="Build only part K of N, e.g. 3/8.")
@click.option("--force", is_flag=True, help="Rebuild even what is up to date.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failure.")
@user_errors
def batch(content: Path, clinics: Path | None, langs: str, topics: str, layouts: str, out: str, jobs: int,
          shard: str, force: bool, fail_fast: bool) -> None:  # fmt: skip
    """Build every clinic x language x topic x layout into OUT, with a manifest and index.html."""
    from handout.batch import BatchRequest, parse_shard, run_batch

    request = BatchRequest(
        content=content, clinics=clinics, languages=_languages_option(langs),
        topics=_list_option(topics, "--topics"), layouts=_list_option(layouts, "--layouts"),
        out=_folder_option(out, "--out"), jobs=jobs,
        shard=parse_shard(shard), force=force,
        fail_fast=fail_fast,
    )  # fmt: skip
    report = run_batch(request, progress=_progress_printer())
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for path in report.removed:
        click.echo(f"removed: {path} (its topic is retired)", err=True)
    if report.outside:
        click.echo(f"note: {len(report.outside)} handouts in {out} are no longer in the matrix (their clinic, "
                   f"language, topic or layout is gone), e.g. {report.outside[0]}; they are left out of the manifest "
                   "and index.html: delete them if they should not be printed", err=True)  # fmt: skip
    staff_page = f"; staff page: {report.catalog}" if report.catalog else ""
    click.echo(
        f"{report.count('built')} built, {report.count('skipped')} up to date, {report.count('failed')} failed; "
        f"manifest: {report.manifest}{staff_page}"
    )
    for warning, count, example in report.warnings():
        handouts = f"{count} handouts, e.g. {example}" if count > 1 else example
        click.echo(f"warning: {warning} ({handouts})", err=True)
    for failure in report.failures:
        where = "/".join(part for part in (failure.clinic, failure.language, failure.topic, failure.layout))
        click.echo(f"failed: {where}: {failure.error}", err=True)
    sys.exit(1 if report.failures else 0)


def _progress_printer() -> Callable[[Result, int, int], None]:
    """A progress bar on a terminal; one plain line per built or failed handout otherwise."""
    if sys.stderr.isatty():

        def bar(result: Result, done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", err=True, nl=done == total)

        return bar

    def lines(result: Result, done: int, total: int) -> None:
        if result.status != "skipped":
            click.echo(f"[{done}/{total}] {result.status}: {result.path or result.clinic}", err=True)

    return lines
