"""The committed JSON Schemas are current, and they accept the shipped files."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import REPO

from handout.loading import load_yaml
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
