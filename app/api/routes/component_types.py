"""The component catalogue, straight from the engine's library."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.errors import error_responses
from app.services import catalog

router = APIRouter(prefix="/component-types", tags=["component types"])


@router.get("")
def list_component_types() -> list[dict[str, Any]]:
    """Every component type: its ports (name, direction, data type, unit, description, default) and its
    parameters as a JSON Schema with defaults and bounds. New types in the engine appear here automatically."""
    return catalog.catalogue()


@router.get("/{type_name}", responses=error_responses(404))
def get_component_type(type_name: str) -> dict[str, Any]:
    """One component type by name (404 lists the valid names)."""
    return catalog.catalogue_entry(type_name)
