"""Communication bindings: component ports mapped to OPC UA nodes for hardware-in-the-loop runs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from app.api import guards
from app.api.deps import PageDep, SessionDep
from app.api.errors import error_responses
from app.api.security import Engineer, Observer
from app.schemas.common import Page
from app.schemas.resources import BindingCreate, BindingRead, BindingUpdate
from app.services import bindings as service

router = APIRouter(prefix="/communication-bindings", tags=["communication bindings"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422))
def create_binding(data: BindingCreate, session: SessionDep, _: Engineer) -> BindingRead:
    """Map a component port to a node of an OPC UA endpoint of the same project.

    `read` (PLC → twin) must target an input port and then counts as that input's driver (409 if it is
    already connected or read-bound); `write` (twin → PLC) may publish any port. `node_id` must be a
    valid OPC UA node id (`ns=2;s=Tag`, `i=85`, `nsu=urn:plant;s=Tag`). Values are converted with
    `twin = raw * scale + offset`, so `scale` must not be 0.
    """
    return BindingRead.model_validate(service.create(session, data))


@router.get("", responses=error_responses(404, 422))
def list_bindings(
    session: SessionDep,
    page: PageDep,
    _: Observer,
    component_id: Annotated[int | None, Query(description="only bindings of this component")] = None,
    endpoint_id: Annotated[int | None, Query(description="only bindings to this endpoint")] = None,
    machine_model_id: Annotated[int | None, Query(description="only bindings of this model's components")] = None,
    direction: Annotated[Literal["read", "write"] | None, Query()] = None,
) -> Page[BindingRead]:
    """List bindings, optionally of one component, endpoint or machine model."""
    items, total = service.list_(
        session, page.limit, page.offset, component_id, endpoint_id, machine_model_id, direction
    )
    return Page(items=[BindingRead.model_validate(b) for b in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{binding_id}", responses=error_responses(404))
def get_binding(binding: guards.BindingForObserver) -> BindingRead:
    """Read one binding."""
    return BindingRead.model_validate(binding)


@router.patch("/{binding_id}", responses=error_responses(403, 404, 409, 422))
def update_binding(binding: guards.BindingForEngineer, data: BindingUpdate, session: SessionDep) -> BindingRead:
    """Change a binding; the result is checked by the same rules as a new one."""
    return BindingRead.model_validate(service.update(session, binding, data))


@router.delete(
    "/{binding_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_binding(binding: guards.BindingForEngineer, session: SessionDep) -> Response:
    """Delete a binding."""
    service.delete(session, binding)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
