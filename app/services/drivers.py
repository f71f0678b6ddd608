"""The rule "an input port has at most one driver": a connection or a read binding."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import ConflictError
from app.db.models import CommunicationBinding, Component, Connection


def ensure_input_free(
    session: Session,
    component: Component,
    port: str,
    exclude_connection_id: int | None = None,
    exclude_binding_id: int | None = None,
) -> None:
    """409 naming the existing driver if ``component.port`` is already driven."""
    conn = session.scalar(
        select(Connection).where(Connection.target_component_id == component.id, Connection.target_port == port)
    )
    if conn is not None and conn.id != exclude_connection_id:
        source = session.get(Component, conn.source_component_id)
        source_name = source.name if source else conn.source_component_id
        text = f"{source_name}.{conn.source_port} -> {component.name}.{port}"
        raise ConflictError(
            f"input {component.name}.{port} is already driven by connection {conn.id} ({text})",
            [{"connection_id": conn.id, "from": f"{source_name}.{conn.source_port}", "to": f"{component.name}.{port}"}],
            code="input_already_driven",
        )
    binding = session.scalar(
        select(CommunicationBinding).where(
            CommunicationBinding.component_id == component.id,
            CommunicationBinding.port == port,
            CommunicationBinding.direction == "read",
        )
    )
    if binding is not None and binding.id != exclude_binding_id:
        raise ConflictError(
            f"input {component.name}.{port} is already driven by read binding {binding.id} (node {binding.node_id})",
            [{"binding_id": binding.id, "port": f"{component.name}.{port}", "node_id": binding.node_id}],
            code="input_already_driven",
        )
