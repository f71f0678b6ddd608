"""The audit trail: read-only; no route changes or deletes an entry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api.deps import PageDep, SessionDep
from app.api.errors import error_responses
from app.api.security import ADMIN, PrincipalDep
from app.db.models import Project
from app.schemas.auth import AuditRead
from app.schemas.common import Page
from app.services import access, audit
from app.services.common import get_or_404

router = APIRouter(prefix="/audit", tags=["audit"])

_CSV_EXAMPLE = "id,at,user_id,username,token_id,source,project_id,action,method,target,outcome,details\n"


@router.get(
    "",
    responses={
        200: {
            "description": "Audit entries",
            "content": {"application/json": {}, "text/csv": {"example": _CSV_EXAMPLE}},
        },
        **error_responses(403, 404, 422),
    },
    response_model=Page[AuditRead],
)
def list_audit(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    project_id: Annotated[
        int | None, Query(ge=1, lt=2**63, description="only entries of this project (also a deleted one's)")
    ] = None,
    user: Annotated[str | None, Query(description="only entries of this username")] = None,
    action: Annotated[str | None, Query(description="only this action (the route name, e.g. `force_port`)")] = None,
    since: Annotated[datetime | None, Query(description="entries at or after this time (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="entries before this time")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv")] = "json",
) -> Response | Page[AuditRead]:
    """Everything that changed state or touched a PLC, newest first: sign-ins (and failures), model, endpoint,
    binding and scenario changes, runs started and stopped, forces, faults, parameter changes, PLC-write grants,
    members, users and tokens. Each entry: time, user and token, source address, project, action, target,
    outcome (the HTTP status) and the request's values with secrets removed.

    Project admins see their projects' entries, platform admins every entry (also those without a project,
    such as sign-ins)."""
    if project_id is not None and audit.admin_projects(session, principal) is not None:
        session.info[access.REQUIRED_ROLE_KEY] = ADMIN
        get_or_404(session, Project, project_id, "project_id")
    items, total = audit.list_(session, principal, page.limit, page.offset, project_id, user, action, since, until)
    if format == "csv":
        return Response(content=audit.to_csv(items), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
    return Page(items=[AuditRead.model_validate(e) for e in items], total=total, limit=page.limit, offset=page.offset)
