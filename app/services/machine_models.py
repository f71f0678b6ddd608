"""Machine models: a named graph of components inside a project."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import ConflictError
from app.db.models import MachineModel, Project
from app.schemas.resources import MachineModelCreate, MachineModelUpdate
from app.services import access, revisions
from app.services.common import get_or_404, paginate


def ensure_unique_name(session: Session, project_id: int, name: str, exclude_id: int | None = None) -> None:
    existing = session.scalar(
        select(MachineModel).where(MachineModel.project_id == project_id, MachineModel.name == name)
    )
    if existing is not None and existing.id != exclude_id:
        raise ConflictError(
            f"project {project_id} already has a machine model named {name!r} (id {existing.id})",
            [{"loc": "name", "existing_id": existing.id}],
            code="duplicate_name",
        )


def create(session: Session, data: MachineModelCreate) -> MachineModel:
    get_or_404(session, Project, data.project_id, "project_id")
    ensure_unique_name(session, data.project_id, data.name)
    model = MachineModel(**data.model_dump())
    session.add(model)
    session.flush()
    revisions.note_change(session, model.id)
    return model


def list_(session: Session, limit: int, offset: int, project_id: int | None) -> tuple[Sequence[MachineModel], int]:
    stmt = access.restrict(session, select(MachineModel).order_by(MachineModel.id), MachineModel.project_id)
    if project_id is not None:
        get_or_404(session, Project, project_id, "project_id")
        stmt = stmt.where(MachineModel.project_id == project_id)
    return paginate(session, stmt, limit, offset)


def update(session: Session, model: MachineModel, data: MachineModelUpdate) -> MachineModel:
    changes = data.changes()
    if "name" in changes:
        ensure_unique_name(session, model.project_id, changes["name"], exclude_id=model.id)
    for key, value in changes.items():
        setattr(model, key, value)
    session.flush()
    revisions.note_change(session, model.id)
    return model


def delete(session: Session, model: MachineModel) -> None:
    """Delete the model; the database cascades to its components, connections and bindings."""
    session.delete(model)
    session.flush()
