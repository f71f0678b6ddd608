"""JSON Schemas of the documents users write by hand: model documents and test scenarios."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.engine import document_json_schema
from app.engine.scenarios import scenario_json_schema

router = APIRouter(prefix="/schemas", tags=["schemas"])


@router.get("/model-document")
def model_document_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the model document that `/machine-models/import` accepts,
    `/machine-models/{id}/export` returns and `python run.py simulate` runs; each component type's
    parameters are included. Point an editor's YAML/JSON language server at it."""
    return document_json_schema()


@router.get("/scenario")
def scenario_schema() -> dict[str, Any]:
    """JSON Schema of a test scenario document (`/scenarios` and `python run.py test`)."""
    return scenario_json_schema()
