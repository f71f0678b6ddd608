"""Connections: an output port driving an input port."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api import guards
from app.api.deps import PageDep, SessionDep
from app.api.errors import error_responses
from app.api.security import Engineer, Observer
from app.schemas.common import Page
from app.schemas.resources import ConnectionCreate, ConnectionRead, ConnectionUpdate
from app.services import connections as service

router = APIRouter(prefix="/connections", tags=["connections"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422))
def create_connection(data: ConnectionCreate, session: SessionDep, _: Engineer) -> ConnectionRead:
    """Connect an output port of one component to an input port of another in the same machine model.

    The source must be an existing **output** and the target an existing **input** (422 lists the valid
    ports), of compatible data types (bool → int → float widening is allowed). An input has at most one
    driver: a second connection, or a connection to an input that a `read` binding feeds, is a 409
    naming the existing driver.
    """
    return ConnectionRead.model_validate(service.create(session, data))


@router.get("", responses=error_responses(404, 422))
def list_connections(
    session: SessionDep,
    page: PageDep,
    _: Observer,
    machine_model_id: Annotated[int | None, Query(description="only connections of this model")] = None,
    component_id: Annotated[int | None, Query(description="only connections from or to this component")] = None,
) -> Page[ConnectionRead]:
    """List connections, optionally of one machine model or touching one component."""
    items, total = service.list_(session, page.limit, page.offset, machine_model_id, component_id)
    return Page(
        items=[ConnectionRead.model_validate(c) for c in items], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{connection_id}", responses=error_responses(404))
def get_connection(connection: guards.ConnectionForObserver) -> ConnectionRead:
    """Read one connection."""
    return ConnectionRead.model_validate(connection)


@router.patch("/{connection_id}", responses=error_responses(403, 404, 409, 422))
def update_connection(
    connection: guards.ConnectionForEngineer,
    data: ConnectionUpdate,
    session: SessionDep,
) -> ConnectionRead:
    """Re-route a connection; the result is checked by the same rules as a new one."""
    return ConnectionRead.model_validate(service.update(session, connection, data))


@router.delete(
    "/{connection_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_connection(connection: guards.ConnectionForEngineer, session: SessionDep) -> Response:
    """Delete a connection."""
    service.delete(session, connection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
