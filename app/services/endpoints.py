"""OPC UA endpoints of a project; passwords are stored but never leave the service."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import ConflictError
from app.db.models import Endpoint, Project
from app.schemas.resources import EndpointCreate, EndpointRead, EndpointUpdate
from app.services.common import get_or_404, paginate


def to_read(endpoint: Endpoint) -> EndpointRead:
    """The public view: ``has_password`` instead of the password."""
    return EndpointRead(
        id=endpoint.id,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
        project_id=endpoint.project_id,
        name=endpoint.name,
        url=endpoint.url,
        security_policy=endpoint.security_policy,
        security_mode=endpoint.security_mode,
        username=endpoint.username,
        has_password=bool(endpoint.password),
    )


def _ensure_unique_name(session: Session, project_id: int, name: str, exclude_id: int | None = None) -> None:
    existing = session.scalar(select(Endpoint).where(Endpoint.project_id == project_id, Endpoint.name == name))
    if existing is not None and existing.id != exclude_id:
        raise ConflictError(
            f"project {project_id} already has an endpoint named {name!r} (id {existing.id})",
            [{"loc": "name", "existing_id": existing.id}],
            code="duplicate_name",
        )


def create(session: Session, data: EndpointCreate) -> Endpoint:
    get_or_404(session, Project, data.project_id, "project_id")
    _ensure_unique_name(session, data.project_id, data.name)
    endpoint = Endpoint(**data.model_dump())
    session.add(endpoint)
    session.flush()
    return endpoint


def list_(session: Session, limit: int, offset: int, project_id: int | None) -> tuple[Sequence[Endpoint], int]:
    stmt = select(Endpoint).order_by(Endpoint.id)
    if project_id is not None:
        get_or_404(session, Project, project_id, "project_id")
        stmt = stmt.where(Endpoint.project_id == project_id)
    return paginate(session, stmt, limit, offset)


def update(session: Session, endpoint: Endpoint, data: EndpointUpdate) -> Endpoint:
    changes = data.changes()
    if "name" in changes:
        _ensure_unique_name(session, endpoint.project_id, changes["name"], exclude_id=endpoint.id)
    for key, value in changes.items():
        setattr(endpoint, key, value)
    session.flush()
    return endpoint


def delete(session: Session, endpoint: Endpoint) -> None:
    """Delete the endpoint; the database cascades to the bindings that use it."""
    session.delete(endpoint)
    session.flush()
