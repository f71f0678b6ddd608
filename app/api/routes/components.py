"""Components: instances of a component type inside a machine model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api import guards
from app.api.deps import PageDep, SessionDep
from app.api.errors import error_responses
from app.api.security import Engineer, Observer
from app.schemas.common import Page
from app.schemas.resources import ComponentCreate, ComponentRead, ComponentUpdate
from app.services import components as service

router = APIRouter(prefix="/components", tags=["components"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422))
def create_component(data: ComponentCreate, session: SessionDep, _: Engineer) -> ComponentRead:
    """Add a component to a machine model.

    `type` must be a name from `GET /api/v1/component-types` (422 lists the valid ones). `parameters`
    are checked against the type's JSON Schema (422 names the field and the bound) and returned with
    defaults filled in. `inputs` gives values for input ports that stay unconnected. Names are unique
    within a model.
    """
    return ComponentRead.model_validate(service.create(session, data))


@router.get("", responses=error_responses(404, 422))
def list_components(
    session: SessionDep,
    page: PageDep,
    _: Observer,
    machine_model_id: Annotated[int | None, Query(description="only components of this model")] = None,
    type: Annotated[str | None, Query(description="only components of this type")] = None,
) -> Page[ComponentRead]:
    """List components, optionally of one machine model and/or one type."""
    items, total = service.list_(session, page.limit, page.offset, machine_model_id, type)
    return Page(
        items=[ComponentRead.model_validate(c) for c in items], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{component_id}", responses=error_responses(404))
def get_component(component: guards.ComponentForObserver) -> ComponentRead:
    """Read one component."""
    return ComponentRead.model_validate(component)


@router.patch("/{component_id}", responses=error_responses(403, 404, 409, 422))
def update_component(
    component: guards.ComponentForEngineer,
    data: ComponentUpdate,
    session: SessionDep,
) -> ComponentRead:
    """Change a component. A new type or new parameters are validated again.

    Changing the type resets parameters and inputs to the new type's defaults unless they are sent too;
    it is refused (409) while connections or bindings use ports the new type does not have.
    """
    return ComponentRead.model_validate(service.update(session, component, data))


@router.delete(
    "/{component_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_component(component: guards.ComponentForEngineer, session: SessionDep) -> Response:
    """Delete a component together with its connections and bindings."""
    service.delete(session, component)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
