"""OPC UA endpoints: the PLCs (or other OPC UA servers) a project talks to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api import guards
from app.api.deps import PageDep, SessionDep, SettingsDep
from app.api.errors import error_responses
from app.api.security import Engineer, Observer
from app.schemas.common import Page
from app.schemas.endpoint_probe import BrowseRead, EndpointTestRead
from app.schemas.resources import EndpointCreate, EndpointRead, EndpointUpdate
from app.services import endpoints as service

router = APIRouter(prefix="/endpoints", tags=["OPC UA endpoints"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422))
def create_endpoint(data: EndpointCreate, session: SessionDep, _: Engineer) -> EndpointRead:
    """Register an OPC UA server for a project.

    `url` must start with `opc.tcp://`. The password is write-only: responses carry `has_password`
    instead. Names are unique within a project.
    """
    return service.to_read(service.create(session, data))


@router.get("", responses=error_responses(404, 422))
def list_endpoints(
    session: SessionDep,
    page: PageDep,
    _: Observer,
    project_id: Annotated[int | None, Query(description="only endpoints of this project")] = None,
) -> Page[EndpointRead]:
    """List OPC UA endpoints, optionally of one project."""
    items, total = service.list_(session, page.limit, page.offset, project_id)
    return Page(items=[service.to_read(e) for e in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{endpoint_id}", responses=error_responses(404))
def get_endpoint(endpoint: guards.EndpointForObserver) -> EndpointRead:
    """Read one endpoint (without its password)."""
    return service.to_read(endpoint)


@router.patch("/{endpoint_id}", responses=error_responses(403, 404, 409, 422))
def update_endpoint(endpoint: guards.EndpointForEngineer, data: EndpointUpdate, session: SessionDep) -> EndpointRead:
    """Change an endpoint; send `"password": null` to remove the stored password.

    Changing `url`, `security_policy` or `security_mode` clears the stored password unless the same request sends
    a new one, so a password never follows the endpoint to another server.
    """
    return service.to_read(service.update(session, endpoint, data))


@router.delete(
    "/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_endpoint(endpoint: guards.EndpointForEngineer, session: SessionDep) -> Response:
    """Delete an endpoint together with the bindings that use it."""
    service.delete(session, endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/test", responses=error_responses(403, 404, 429))
def test_endpoint(endpoint: guards.EndpointForEngineer, session: SessionDep, settings: SettingsDep) -> EndpointTestRead:
    """Connect to the endpoint as a HIL run would (its security and login) and describe the server.

    Answers 200 either way: `ok: true` with the server's product and version, the security in use, the
    namespace array and the operation limits; or `ok: false` with a `reason` (refused, timeout, unreachable,
    host_not_found, certificate, bad_credentials, security_mismatch, invalid_config, error) and a `message`.
    429 (`too_many_plc_requests`) at once if the caller or the server already has as many requests waiting on a
    PLC as allowed (settings PLC_WAITS_PER_USER, PLC_WAITS_TOTAL).
    """
    return EndpointTestRead.model_validate(service.test(session, endpoint, settings.data_dir))


@router.get("/{endpoint_id}/browse", responses=error_responses(403, 404, 429, 502))
def browse_endpoint(
    endpoint: guards.EndpointForEngineer,
    session: SessionDep,
    settings: SettingsDep,
    node: Annotated[
        str | None, Query(description="node id to list the children of, e.g. `nsu=urn:plant;s=Line3`; default Objects")
    ] = None,
) -> BrowseRead:
    """Browse the endpoint's address space so bindings can be picked instead of typed.

    Each child has a `node_id` in `nsu=<namespace uri>;...` form (stable when the server restarts), its browse
    name, node class and, for variables, the data type and whether this session may read and write it.
    404 (`unknown_node`) if `node` is not on the server; 502 (`endpoint_<reason>`) if the endpoint cannot be
    reached or used, with the reason in `details`; 429 (`too_many_plc_requests`) as for the test.
    """
    return BrowseRead.model_validate(service.browse(session, endpoint, settings.data_dir, node))
