"""Connections: an output port driving an input port within one machine model."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import UnprocessableError
from app.db.models import Component, Connection, MachineModel
from app.schemas.resources import ConnectionCreate, ConnectionUpdate
from app.services import access, catalog, drivers, live_models
from app.services.common import get_or_404, paginate
from app.services.drivers import ensure_input_free


def _checked(
    session: Session,
    source_id: int,
    source_port: str,
    target_id: int,
    target_port: str,
    exclude_id: int | None = None,
) -> tuple[Component, Component]:
    source = get_or_404(session, Component, source_id, "source_component_id")
    target = get_or_404(session, Component, target_id, "target_component_id")
    if source.machine_model_id != target.machine_model_id:
        raise UnprocessableError(
            f"components {source.name!r} and {target.name!r} belong to different machine models",
            [
                {"loc": "source_component_id", "machine_model_id": source.machine_model_id},
                {"loc": "target_component_id", "machine_model_id": target.machine_model_id},
            ],
            code="cross_model_connection",
        )
    out = catalog.port(source.type, source.name, source_port, "output", "source_port")
    inp = catalog.port(target.type, target.name, target_port, "input", "target_port")
    if not engine.types_compatible(out.data_type, inp.data_type):
        raise UnprocessableError(
            f"{source.name}.{source_port} ({out.data_type}) cannot drive {target.name}.{target_port} ({inp.data_type})",
            [{"loc": "target_port", "source_type": out.data_type, "target_type": inp.data_type}],
            code="incompatible_types",
        )
    ensure_input_free(session, target, target_port, exclude_connection_id=exclude_id)
    return source, target


def create(session: Session, data: ConnectionCreate) -> Connection:
    source, target = _checked(
        session, data.source_component_id, data.source_port, data.target_component_id, data.target_port
    )
    connection = Connection(machine_model_id=source.machine_model_id, **data.model_dump())
    session.add(connection)
    with drivers.claiming(target, data.target_port):
        session.flush()
    drivers.claim(session, target, data.target_port, connection_id=connection.id)
    live_models.model_edited(session, connection.machine_model_id)
    return connection


def list_(
    session: Session, limit: int, offset: int, machine_model_id: int | None, component_id: int | None
) -> tuple[Sequence[Connection], int]:
    stmt = access.restrict_by_model(session, select(Connection).order_by(Connection.id), Connection.machine_model_id)
    if machine_model_id is not None:
        get_or_404(session, MachineModel, machine_model_id, "machine_model_id")
        stmt = stmt.where(Connection.machine_model_id == machine_model_id)
    if component_id is not None:
        get_or_404(session, Component, component_id, "component_id")
        stmt = stmt.where(
            or_(Connection.source_component_id == component_id, Connection.target_component_id == component_id)
        )
    return paginate(session, stmt, limit, offset)


def update(session: Session, connection: Connection, data: ConnectionUpdate) -> Connection:
    merged = {
        "source_component_id": connection.source_component_id,
        "source_port": connection.source_port,
        "target_component_id": connection.target_component_id,
        "target_port": connection.target_port,
        **data.changes(),
    }
    source, target = _checked(
        session,
        merged["source_component_id"],
        merged["source_port"],
        merged["target_component_id"],
        merged["target_port"],
        exclude_id=connection.id,
    )
    moved = (connection.target_component_id, connection.target_port) != (target.id, merged["target_port"])
    for key, value in merged.items():
        setattr(connection, key, value)
    connection.machine_model_id = source.machine_model_id
    with drivers.claiming(target, merged["target_port"]):
        session.flush()
    if moved:
        drivers.claim(session, target, merged["target_port"], connection_id=connection.id)
    live_models.model_edited(session, connection.machine_model_id)
    return connection


def delete(session: Session, connection: Connection) -> None:
    model_id = connection.machine_model_id
    session.delete(connection)
    session.flush()
    live_models.model_edited(session, model_id)
