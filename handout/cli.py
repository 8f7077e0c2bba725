"""The command line. Only this module knows Click; each command calls one core function."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from handout import __version__
from handout.build import BuildRequest, build_handout, inventory
from handout.check import CheckOptions, check_project, format_table
from handout.check import exit_code as check_exit_code
from handout.errors import HandoutError
from handout.exchange import export_po, import_po
from handout.output import write_atomic
from handout.resolve import Project, load_content
from handout.schema import SCHEMAS, json_schema

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
    help="Folder of clinic files [default: clinics/ beside the content file].",
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handout")
def main() -> None:
    """Make one-page, branded, plain-language patient handouts as PDF."""


@main.command()
@click.option("--topic", required=True, help="Topic id, e.g. muscle-calcification.")
@click.option("--lang", "language", required=True, help="Language code, e.g. en or es.")
@click.option("--clinic", required=True, help="Clinic id: the name of a file in clinics/ without .yaml.")
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
    built = build_handout(Project.at(content, clinics), BuildRequest(topic, language, clinic, layout, output))
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
    """Check content and clinics: reviews, translations, glyphs. Exit 1 on errors."""
    findings = check_project(Project.at(content, clinics), CheckOptions(require_reviewed=require_reviewed))
    if output_format == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        click.echo(format_table(findings))
    sys.exit(check_exit_code(findings, strict))


@main.command("export-po")
@click.option("--topic", required=True, help="Topic id.")
@click.option("--lang", "language", required=True, help="Language to translate into.")
@content_option
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="PO file to write [default: TOPIC.LANG.po].")  # fmt: skip
@user_errors
def export_po_command(topic: str, language: str, content: Path, output: Path | None) -> None:
    """Write a topic as a PO file for translators (existing translation filled in)."""
    target = output or Path(f"{topic}.{language}.po")
    write_atomic(target, export_po(load_content(content), topic, language))
    click.echo(str(target))


@main.command("import-po")
@click.argument("po_file", type=click.Path(path_type=Path))
@content_option
@user_errors
def import_po_command(po_file: Path, content: Path) -> None:
    """Put a translated PO file into the content file as that language's document."""
    imported = import_po(content, po_file)
    click.echo(f"{imported.content_path}: topic '{imported.topic}', language '{imported.language}' updated")
