"""The rule "an input port has at most one driver": a connection or a read binding.

The database enforces it: each driver claims its input in ``input_drivers`` (``UNIQUE(component_id, port)``),
so of two concurrent requests only one can commit. ``ensure_input_free`` names the existing driver for the
common case; ``claiming`` turns a race lost at flush time into the same 409.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Integer, cast, delete, insert, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import ConflictError
from app.db.models import CommunicationBinding, Component, Connection, InputDriver


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


@contextmanager
def claiming(component: Component, port: str) -> Iterator[None]:
    """Flushes inside become a 409 ``input_already_driven`` when the database refuses a second driver."""
    label = f"{component.name}.{port}"  # read now: after a failed flush the row cannot be loaded any more
    try:
        yield
    except IntegrityError as exc:
        raise ConflictError(
            f"input {label} is already driven: another request connected or bound it at the same time; "
            "reload and retry",
            [{"port": label}],
            code="input_already_driven",
        ) from exc


def claim(
    session: Session,
    component: Component,
    port: str,
    *,
    connection_id: int | None = None,
    binding_id: int | None = None,
) -> None:
    """Record (or move) the claim of ``component.port`` by a connection or a read binding, and flush."""
    with claiming(component, port):
        release(session, connection_id=connection_id, binding_id=binding_id)
        session.add(InputDriver(component_id=component.id, port=port, connection_id=connection_id,
                                binding_id=binding_id))
        session.flush()


def release(session: Session, *, connection_id: int | None = None, binding_id: int | None = None) -> None:
    """Drop the claim of a connection or binding (deleting the row itself cascades to its claim)."""
    if connection_id is not None:
        session.execute(delete(InputDriver).where(InputDriver.connection_id == connection_id))
    if binding_id is not None:
        session.execute(delete(InputDriver).where(InputDriver.binding_id == binding_id))


def claim_model_inputs(session: Session, machine_model_id: int) -> None:
    """Claim the inputs of every connection and read binding of a freshly imported model, in two statements."""
    columns = ["component_id", "port", "connection_id", "binding_id"]
    session.execute(
        insert(InputDriver).from_select(
            columns,
            select(Connection.target_component_id, Connection.target_port, Connection.id, cast(null(), Integer)).where(
                Connection.machine_model_id == machine_model_id
            ),
        )
    )
    session.execute(
        insert(InputDriver).from_select(
            columns,
            select(CommunicationBinding.component_id, CommunicationBinding.port, cast(null(), Integer),
                   CommunicationBinding.id)
            .join(Component, Component.id == CommunicationBinding.component_id)
            .where(Component.machine_model_id == machine_model_id, CommunicationBinding.direction == "read"),
        )
    )
