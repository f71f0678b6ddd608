"""Projects: the top of the resource tree."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import ConflictError
from app.db.models import Project
from app.schemas.resources import ProjectCreate, ProjectUpdate
from app.services import access
from app.services.common import paginate


def _ensure_unique_name(session: Session, name: str, exclude_id: int | None = None) -> None:
    existing = session.scalar(select(Project).where(Project.name == name))
    if existing is not None and existing.id != exclude_id:
        raise ConflictError(
            f"a project named {name!r} already exists (id {existing.id})",
            [{"loc": "name", "existing_id": existing.id}],
            code="duplicate_name",
        )


def create(session: Session, data: ProjectCreate) -> Project:
    _ensure_unique_name(session, data.name)
    project = Project(**data.model_dump())
    session.add(project)
    session.flush()
    return project


def list_(session: Session, limit: int, offset: int) -> tuple[Sequence[Project], int]:
    return paginate(session, access.restrict(session, select(Project).order_by(Project.id), Project.id), limit, offset)


def update(session: Session, project: Project, data: ProjectUpdate) -> Project:
    changes = data.changes()
    if "name" in changes:
        _ensure_unique_name(session, changes["name"], exclude_id=project.id)
    for key, value in changes.items():
        setattr(project, key, value)
    session.flush()
    return project


def delete(session: Session, project: Project) -> None:
    """Delete the project; the database cascades to its models, components, connections, endpoints, bindings."""
    session.delete(project)
    session.flush()
