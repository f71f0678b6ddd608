"""Projects: the top-level container of machine models and OPC UA endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api import guards
from app.api.deps import PageDep, SessionDep
from app.api.errors import error_responses
from app.api.security import Anyone, Observer
from app.schemas.common import Page
from app.schemas.resources import ProjectCreate, ProjectRead, ProjectUpdate
from app.services import access, members
from app.services import projects as service

router = APIRouter(prefix="/projects", tags=["projects"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 409, 422))
def create_project(data: ProjectCreate, session: SessionDep, principal: Anyone) -> ProjectRead:
    """Create a project. Project names are unique (409 on a duplicate). The creator becomes its admin."""
    project = service.create(session, data)
    access.note_project(session, project.id)
    if principal.user_id is not None:
        members.add_creator(session, project, principal.user_id)
    return ProjectRead.model_validate(project)


@router.get("", responses=error_responses(422))
def list_projects(session: SessionDep, page: PageDep, _: Observer) -> Page[ProjectRead]:
    """List the projects the caller can see, oldest first, one page at a time."""
    items, total = service.list_(session, page.limit, page.offset)
    return Page(items=[ProjectRead.model_validate(p) for p in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{project_id}", responses=error_responses(404))
def get_project(project: guards.ProjectForObserver) -> ProjectRead:
    """Read one project."""
    return ProjectRead.model_validate(project)


@router.patch("/{project_id}", responses=error_responses(403, 404, 409, 422))
def update_project(project: guards.ProjectForAdmin, data: ProjectUpdate, session: SessionDep) -> ProjectRead:
    """Change a project's name or description; only the fields sent are changed."""
    return ProjectRead.model_validate(service.update(session, project, data))


@router.delete(
    "/{project_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_project(project: guards.ProjectForAdmin, session: SessionDep) -> Response:
    """Delete a project and everything in it: machine models, components, connections, endpoints, bindings."""
    service.delete(session, project)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
