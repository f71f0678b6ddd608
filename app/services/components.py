"""Components: instances of an engine component type inside a machine model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import ConflictError
from app.db.models import CommunicationBinding, Component, Connection, MachineModel
from app.schemas.resources import ComponentCreate, ComponentUpdate
from app.services import access, catalog, live_models
from app.services.common import engine_errors, get_or_404, paginate


def _ensure_unique_name(session: Session, model_id: int, name: str, exclude_id: int | None = None) -> None:
    existing = session.scalar(select(Component).where(Component.machine_model_id == model_id, Component.name == name))
    if existing is not None and existing.id != exclude_id:
        raise ConflictError(
            f"machine model {model_id} already has a component named {name!r} (id {existing.id})",
            [{"loc": "name", "existing_id": existing.id}],
            code="duplicate_name",
        )


def normalise(type_name: str, parameters: dict[str, Any], inputs: dict[str, Any]) -> tuple[dict, dict]:
    """Validate type, parameters and input values against the engine's type; return them normalised."""
    catalog.component_type(type_name)
    with engine_errors("parameters"):
        parameters = engine.validate_parameters(type_name, parameters)
    with engine_errors("inputs"):
        inputs = engine.validate_inputs(type_name, inputs)
    return parameters, inputs


def create(session: Session, data: ComponentCreate) -> Component:
    get_or_404(session, MachineModel, data.machine_model_id, "machine_model_id")
    parameters, inputs = normalise(data.type, data.parameters, data.inputs)
    _ensure_unique_name(session, data.machine_model_id, data.name)
    component = Component(
        machine_model_id=data.machine_model_id, name=data.name, type=data.type, parameters=parameters, inputs=inputs
    )
    session.add(component)
    session.flush()
    live_models.model_edited(session, component.machine_model_id)
    return component


def list_(
    session: Session, limit: int, offset: int, machine_model_id: int | None, type_name: str | None
) -> tuple[Sequence[Component], int]:
    stmt = access.restrict_by_model(session, select(Component).order_by(Component.id), Component.machine_model_id)
    if machine_model_id is not None:
        get_or_404(session, MachineModel, machine_model_id, "machine_model_id")
        stmt = stmt.where(Component.machine_model_id == machine_model_id)
    if type_name is not None:
        stmt = stmt.where(Component.type == type_name)
    return paginate(session, stmt, limit, offset)


def _links_broken_by_type(session: Session, component: Component, new_type: str) -> list[dict[str, Any]]:
    """Connections and bindings of ``component`` that would no longer fit its new type."""
    ctype = catalog.component_type(new_type)
    inputs, outputs = catalog.ports_of(ctype, "input"), catalog.ports_of(ctype, "output")
    broken: list[dict[str, Any]] = []
    connections = session.scalars(
        select(Connection).where(
            or_(Connection.source_component_id == component.id, Connection.target_component_id == component.id)
        )
    ).all()
    for conn in connections:
        if conn.source_component_id == component.id and conn.source_port not in outputs:
            broken.append({"connection_id": conn.id, "port": conn.source_port})
        if conn.target_component_id == component.id and conn.target_port not in inputs:
            broken.append({"connection_id": conn.id, "port": conn.target_port})
    bindings = session.scalars(select(CommunicationBinding).where(CommunicationBinding.component_id == component.id))
    for binding in bindings:
        ports = inputs if binding.direction == "read" else {**inputs, **outputs}
        if binding.port not in ports:
            broken.append({"binding_id": binding.id, "port": binding.port})
    return broken


def update(session: Session, component: Component, data: ComponentUpdate) -> Component:
    """Apply changes; a new type or new parameters are validated again, and links must still fit the type."""
    changes = data.changes()
    if "name" in changes:
        _ensure_unique_name(session, component.machine_model_id, changes["name"], exclude_id=component.id)
    type_changed = "type" in changes and changes["type"] != component.type
    if {"type", "parameters", "inputs"} & changes.keys():
        new_type = changes.get("type", component.type)
        # Parameters of the old type rarely fit a new type: start from defaults unless new ones are given.
        params = changes.get("parameters", {} if type_changed else component.parameters)
        inputs = changes.get("inputs", {} if type_changed else component.inputs)
        changes["parameters"], changes["inputs"] = normalise(new_type, params, inputs)
        if type_changed:
            broken = _links_broken_by_type(session, component, new_type)
            if broken:
                raise ConflictError(
                    f"component {component.name!r} has connections or bindings on ports that type {new_type} "
                    "does not have; delete them first",
                    broken,
                    code="component_in_use",
                )
    for key, value in changes.items():
        setattr(component, key, value)
    session.flush()
    live_models.model_edited(session, component.machine_model_id)
    return component


def delete(session: Session, component: Component) -> None:
    """Delete the component; the database cascades to its connections and bindings."""
    model_id = component.machine_model_id
    session.delete(component)
    session.flush()
    live_models.model_edited(session, model_id)
