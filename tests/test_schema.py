"""The committed JSON Schemas are current, and they accept the shipped files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import REPO

from handout.errors import InputError
from handout.loading import load_yaml
from handout.resolve import load_content
from handout.schema import SCHEMAS, json_schema

SHIPPED = {
    "content": [REPO / "content.yaml"],
    "clinic": sorted((REPO / "clinics").glob("*.yaml")),
    "layout": sorted((REPO / "layouts").glob("*.yaml")),
}


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_committed_schema_is_current(kind: str) -> None:
    committed = json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(kind), f"schemas/{kind}.schema.json is stale: run `make schemas`"


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_shipped_files_pass_the_json_schema(kind: str) -> None:
    schema = json_schema(kind)
    for path in SHIPPED[kind]:
        data = json.loads(json.dumps(load_yaml(path).data, default=str))
        jsonschema.validate(data, schema)


def test_json_schema_rejects_unknown_keys() -> None:
    data = json.loads(json.dumps(load_yaml(SHIPPED["clinic"][0]).data, default=str))
    data["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema("clinic"))


def test_a_translation_from_its_own_language_is_refused(tmp_path: Path) -> None:
    """It would be compared with itself: never stale, never missing a section."""
    text = (REPO / "content.yaml").read_text(encoding="utf-8")
    start = text.index("\n      pt:\n")
    (tmp_path / "content.yaml").write_text(text[:start] + text[start:].replace("from_language: en", "from_language: pt",
                                                                              1), encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError, match=r"documents\.pt: translation\.from_language is 'pt' itself"):
        load_content(tmp_path / "content.yaml")
