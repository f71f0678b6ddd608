"""Communication bindings: a component port mapped to a node of an OPC UA endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import UnprocessableError
from app.db.models import CommunicationBinding, Component, Endpoint, MachineModel
from app.schemas.resources import BindingCreate, BindingUpdate
from app.services import access, catalog, drivers, live_models
from app.services.common import get_or_404, paginate
from app.services.drivers import ensure_input_free


def _check(session: Session, fields: dict[str, Any], exclude_id: int | None = None) -> Component:
    component = get_or_404(session, Component, fields["component_id"], "component_id")
    endpoint = get_or_404(session, Endpoint, fields["endpoint_id"], "endpoint_id")
    model = session.get(MachineModel, component.machine_model_id)
    assert model is not None
    if endpoint.project_id != model.project_id:
        raise UnprocessableError(
            f"endpoint {endpoint.name!r} belongs to project {endpoint.project_id}, "
            f"component {component.name!r} to project {model.project_id}",
            [{"loc": "endpoint_id", "endpoint_project_id": endpoint.project_id, "project_id": model.project_id}],
            code="endpoint_in_other_project",
        )
    direction = fields["direction"]
    # read = PLC -> twin, so it must land on an input; write = twin -> PLC may publish any port.
    port = catalog.port(
        component.type, component.name, fields["port"], "input" if direction == "read" else None, "port"
    )
    data_type = fields.get("data_type")
    if data_type is not None:
        source, target = (data_type, port.data_type) if direction == "read" else (port.data_type, data_type)
        if not engine.types_compatible(source, target):
            raise UnprocessableError(
                f"a {direction} binding of type {data_type} does not fit port {component.name}.{fields['port']} "
                f"({port.data_type})",
                [{"loc": "data_type", "data_type": data_type, "port_type": port.data_type}],
                code="incompatible_types",
            )
    if direction == "read":
        ensure_input_free(session, component, fields["port"], exclude_binding_id=exclude_id)
    return component


def _claim(session: Session, component: Component, binding: CommunicationBinding) -> None:
    """Flush the binding and keep its claim on the input in step: a read binding drives its input."""
    with drivers.claiming(component, binding.port):
        session.flush()
    if binding.direction == "read":
        drivers.claim(session, component, binding.port, binding_id=binding.id)
    else:
        drivers.release(session, binding_id=binding.id)


def create(session: Session, data: BindingCreate) -> CommunicationBinding:
    fields = data.model_dump()
    component = _check(session, fields)
    binding = CommunicationBinding(**fields)
    session.add(binding)
    _claim(session, component, binding)
    _edited(session, binding.component_id)
    return binding


def list_(
    session: Session,
    limit: int,
    offset: int,
    component_id: int | None,
    endpoint_id: int | None,
    machine_model_id: int | None,
    direction: str | None = None,
) -> tuple[Sequence[CommunicationBinding], int]:
    stmt = select(CommunicationBinding).order_by(CommunicationBinding.id)
    visible = access.visible_filter(session, MachineModel.project_id)
    if visible is not None:
        models = select(MachineModel.id).where(visible)
        stmt = stmt.where(
            CommunicationBinding.component_id.in_(select(Component.id).where(Component.machine_model_id.in_(models)))
        )
    if component_id is not None:
        get_or_404(session, Component, component_id, "component_id")
        stmt = stmt.where(CommunicationBinding.component_id == component_id)
    if endpoint_id is not None:
        get_or_404(session, Endpoint, endpoint_id, "endpoint_id")
        stmt = stmt.where(CommunicationBinding.endpoint_id == endpoint_id)
    if machine_model_id is not None:
        get_or_404(session, MachineModel, machine_model_id, "machine_model_id")
        stmt = stmt.join(Component, Component.id == CommunicationBinding.component_id).where(
            Component.machine_model_id == machine_model_id
        )
    if direction is not None:
        stmt = stmt.where(CommunicationBinding.direction == direction)
    return paginate(session, stmt, limit, offset)


def update(session: Session, binding: CommunicationBinding, data: BindingUpdate) -> CommunicationBinding:
    fields = {
        column: getattr(binding, column)
        for column in ("component_id", "port", "endpoint_id", "node_id", "direction", "data_type", "scale", "offset")
    }
    fields.update(data.changes())
    component = _check(session, fields, exclude_id=binding.id)
    for key, value in fields.items():
        setattr(binding, key, value)
    _claim(session, component, binding)
    _edited(session, binding.component_id)
    return binding


def delete(session: Session, binding: CommunicationBinding) -> None:
    component_id = binding.component_id
    session.delete(binding)
    session.flush()
    _edited(session, component_id)


def _edited(session: Session, component_id: int) -> None:
    component = session.get(Component, component_id)
    if component is not None:
        live_models.model_edited(session, component.machine_model_id)
