"""The published JSON Schemas: served by the API, shipped beside the examples, and valid for the examples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from fastapi.testclient import TestClient

from app.engine import document_json_schema
from app.engine.scenarios import scenario_json_schema

ROOT = Path(__file__).resolve().parents[2]


def test_the_model_document_schema_is_served(client: TestClient) -> None:
    response = client.get("/api/v1/schemas/model-document")
    assert response.status_code == 200
    assert response.json() == document_json_schema()


def test_the_scenario_schema_is_served(client: TestClient) -> None:
    response = client.get("/api/v1/schemas/scenario")
    assert response.status_code == 200
    assert response.json() == scenario_json_schema()


def test_the_shipped_schema_files_match_the_engine() -> None:
    # Regenerate both with: python -m app.cli.schemas (see README, "The model document").
    assert json.loads((ROOT / "examples/schemas/model.schema.json").read_text()) == document_json_schema()
    assert json.loads((ROOT / "examples/schemas/scenario.schema.json").read_text()) == scenario_json_schema()


def test_every_example_model_validates_against_the_shipped_schema() -> None:
    schema = json.loads((ROOT / "examples/schemas/model.schema.json").read_text())
    for path in sorted([*(ROOT / "examples").glob("*.yaml"), *(ROOT / "examples/hil").glob("*.yaml")]):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
