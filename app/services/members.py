"""Project members and their roles; the PLC-write grants of a project's endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import ConflictError, NotFoundError
from app.db.auth import PlcWriteGrant, ProjectMember, User
from app.db.models import Endpoint, Project
from app.services import auth
from app.services.access import ADMIN


def add_creator(session: Session, project: Project, user_id: int) -> None:
    """The user who creates a project becomes its admin."""
    session.add(ProjectMember(project_id=project.id, user_id=user_id, role=ADMIN))
    session.flush()


def list_members(session: Session, project: Project) -> Sequence[Any]:
    return session.execute(
        select(ProjectMember, User.username)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project.id)
        .order_by(User.username)
    ).all()


def member_read(member: ProjectMember, username: str) -> dict[str, Any]:
    return {"user_id": member.user_id, "username": username, "role": member.role, "since": member.created_at}


def set_role(session: Session, project: Project, username: str, role: str) -> tuple[ProjectMember, bool]:
    """Add a member or change their role: (the membership, whether it is new)."""
    user = auth.user_by_name(session, username)
    member = session.scalar(
        select(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)
    )
    created = member is None
    if member is None:
        member = ProjectMember(project_id=project.id, user_id=user.id, role=role)
        session.add(member)
    else:
        if member.role == ADMIN and role != ADMIN:
            _keep_an_admin(session, project, user.id)
        member.role = role
    session.flush()
    return member, created


def remove(session: Session, project: Project, username: str) -> None:
    user = auth.user_by_name(session, username)
    member = session.scalar(
        select(ProjectMember).where(ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)
    )
    if member is None:
        raise NotFoundError(f"user {username!r} is not a member of project {project.id}", [{"username": username}])
    if member.role == ADMIN:
        _keep_an_admin(session, project, user.id)
    session.delete(member)
    session.flush()


def _keep_an_admin(session: Session, project: Project, leaving_user_id: int) -> None:
    others = session.scalar(
        select(ProjectMember.id).where(
            ProjectMember.project_id == project.id,
            ProjectMember.role == ADMIN,
            ProjectMember.user_id != leaving_user_id,
        )
    )
    if others is None:
        raise ConflictError(
            f"project {project.id} would have no admin left; make another member admin first",
            [{"project_id": project.id}],
            code="last_admin",
        )


# ----------------------------------------------------------------------------------------- PLC-write grants


def list_grants(session: Session, endpoint: Endpoint) -> Sequence[Any]:
    return session.execute(
        select(PlcWriteGrant, User.username)
        .join(User, User.id == PlcWriteGrant.user_id)
        .where(PlcWriteGrant.endpoint_id == endpoint.id)
        .order_by(User.username)
    ).all()


def grant_read(grant: PlcWriteGrant, username: str) -> dict[str, Any]:
    return {"endpoint_id": grant.endpoint_id, "user_id": grant.user_id, "username": username,
            "granted_by": grant.granted_by, "since": grant.created_at}


def grant(session: Session, endpoint: Endpoint, username: str, granted_by: int | None) -> PlcWriteGrant:
    user = auth.user_by_name(session, username)
    found = session.scalar(
        select(PlcWriteGrant).where(PlcWriteGrant.endpoint_id == endpoint.id, PlcWriteGrant.user_id == user.id)
    )
    if found is not None:
        return found
    row = PlcWriteGrant(endpoint_id=endpoint.id, user_id=user.id, granted_by=granted_by)
    session.add(row)
    session.flush()
    return row


def revoke(session: Session, endpoint: Endpoint, username: str) -> None:
    user = auth.user_by_name(session, username)
    found = session.scalar(
        select(PlcWriteGrant).where(PlcWriteGrant.endpoint_id == endpoint.id, PlcWriteGrant.user_id == user.id)
    )
    if found is None:
        raise NotFoundError(
            f"user {username!r} has no PLC-write grant on endpoint {endpoint.id}", [{"username": username}]
        )
    session.delete(found)
    session.flush()
