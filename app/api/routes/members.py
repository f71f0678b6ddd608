"""Project members and roles, and the PLC-write grants of endpoints (project admins)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api import guards
from app.api.deps import SessionDep
from app.api.errors import error_responses
from app.api.security import PrincipalDep
from app.schemas.auth import GrantRead, MemberRead, MemberSet
from app.services import members as service

router = APIRouter(tags=["members and permissions"])

USERNAME = "{username}"


@router.get("/projects/{project_id}/members", responses=error_responses(403, 404))
def list_members(project: guards.ProjectForAdmin, session: SessionDep) -> list[MemberRead]:
    """The project's members and their roles: observer (read), operator (run, force, faults, scenarios),
    engineer (edit models, endpoints, bindings, scenarios), admin (members, roles, PLC-write grants)."""
    rows = service.list_members(session, project)
    return [MemberRead.model_validate(service.member_read(m, name)) for m, name in rows]


@router.put(f"/projects/{{project_id}}/members/{USERNAME}", responses=error_responses(403, 404, 409, 422))
def set_member(project: guards.ProjectForAdmin, username: str, data: MemberSet, session: SessionDep,
               response: Response) -> MemberRead:
    """Add a user to the project with a role, or change their role (201 when added). The last admin cannot be
    demoted (409 `last_admin`)."""
    member, created = service.set_role(session, project, username, data.role)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return MemberRead.model_validate(service.member_read(member, username))


@router.delete(
    f"/projects/{{project_id}}/members/{USERNAME}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 409),
)
def remove_member(project: guards.ProjectForAdmin, username: str, session: SessionDep) -> Response:
    """Remove a user from the project (not the last admin: 409)."""
    service.remove(session, project, username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/endpoints/{endpoint_id}/plc-write", responses=error_responses(403, 404))
def list_grants(endpoint: guards.EndpointForAdmin, session: SessionDep) -> list[GrantRead]:
    """Who may drive the real PLC behind this endpoint: start HIL runs writing to it and, during one, force
    ports whose values reach it."""
    rows = service.list_grants(session, endpoint)
    return [GrantRead.model_validate(service.grant_read(g, name)) for g, name in rows]


@router.put(f"/endpoints/{{endpoint_id}}/plc-write/{USERNAME}", responses=error_responses(403, 404))
def grant_plc_write(endpoint: guards.EndpointForAdmin, username: str, session: SessionDep,
                    principal: PrincipalDep) -> GrantRead:
    """Give a user the PLC-write permission on this endpoint (they also need the operator role to run)."""
    grant = service.grant(session, endpoint, username, principal.user_id)
    return GrantRead.model_validate(service.grant_read(grant, username))


@router.delete(
    f"/endpoints/{{endpoint_id}}/plc-write/{USERNAME}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404),
)
def revoke_plc_write(endpoint: guards.EndpointForAdmin, username: str, session: SessionDep) -> Response:
    """Take the PLC-write permission on this endpoint away from a user (runs already going keep going)."""
    service.revoke(session, endpoint, username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
