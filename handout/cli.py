"""The command line. Only this module knows Click; each command calls one core function."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from handout import __version__
from handout.build import BuildRequest, build_handout, inventory
from handout.errors import HandoutError
from handout.resolve import Project
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
    found = asdict(inventory(Project.at(content, clinics)))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for name, values in found.items():
        click.echo(f"{name + ':':<11} {', '.join(values) or '(none)'}")


@main.command()
@click.argument("kind", type=click.Choice(sorted(SCHEMAS)))
def schema(kind: str) -> None:
    """Print the JSON Schema of a content, clinic or layout file (for editors)."""
    click.echo(json.dumps(json_schema(kind), indent=2, ensure_ascii=False))
