"""Documents as responses: JSON or YAML, chosen by ``?format=`` or else the Accept header (like the model export)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Header, Query, Response

from app import engine

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")

FormatQuery = Annotated[
    Literal["json", "yaml"] | None, Query(description="defaults to the Accept header, then json")
]
AcceptHeader = Annotated[str | None, Header()]


def document_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 entry of ``responses=`` for a route answering a document in either format."""
    return {200: {"description": description, "content": {"application/json": {}, "application/yaml": {}}}}


def document_response(data: dict[str, Any], format: str | None, accept: str | None) -> Response:
    """``data`` rendered as the caller asked, keeping its key order."""
    if format is None:
        format = "yaml" if accept and any(t in accept for t in YAML_TYPES) else "json"
    media_type = "application/yaml" if format == "yaml" else "application/json"
    return Response(content=engine.dump_document(data, format), media_type=media_type)
