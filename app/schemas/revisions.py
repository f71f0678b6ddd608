"""Schemas of model history: revisions and the semantic diff between two of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

ChangeKind = Literal[
    "model_changed", "component_added", "component_removed", "component_renamed", "type_changed",
    "parameter_changed", "input_changed", "connection_added", "connection_removed", "endpoint_added",
    "endpoint_removed", "endpoint_changed", "binding_added", "binding_removed", "binding_changed",
]  # fmt: skip


class RevisionRead(BaseModel):
    number: int = Field(description="1 for the model as created or imported, then one more per change")
    document_hash: str = Field(description="sha256 of the document this revision is; runs of it carry the same hash")
    user: str | None = Field(description="who made the change (null in local single-user mode)")
    created_at: datetime
    changes: int = Field(description="how many changes against the revision before")
    summary: list[str] = Field(description="the first changes, one line each (`~ parameter tank.area: 0.5 -> 0.6`)")
    restored_from: int | None = Field(None, description="the revision a restore brought back, if this is one")


class ChangeRead(BaseModel):
    kind: ChangeKind
    target: str = Field(description="what changed: a component, `component.parameter`, a wire, a binding")
    old: Any = None
    new: Any = None


class RevisionDiff(BaseModel):
    from_: int = Field(alias="from", serialization_alias="from")
    to: int
    changes: list[ChangeRead] = Field(description="empty when the two revisions are the same model")

    model_config = {"populate_by_name": True}
