"""Who may see and do what: the principal of a request, project visibility and roles.

A request's principal is kept in ``session.info[PRINCIPAL_KEY]`` (set by the API's authentication dependency)
together with the role its route requires (``REQUIRED_ROLE_KEY``). ``check`` is called by ``get_or_404`` for
every object a request looks up, in the path or in the body: an object of a project the principal cannot see
raises exactly the ``NotFoundError`` a missing id raises, and a visible object whose project role is below
the route's role raises ``ForbiddenError``. Sessions that no request opened (run threads, the CLI) carry no
principal and are not restricted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.core import logs
from app.core.errors import ForbiddenError
from app.db.auth import ROLES
from app.db.models import CommunicationBinding, Component, Connection, MachineModel, Project

PRINCIPAL_KEY = "principal"
REQUIRED_ROLE_KEY = "required_role"
AUDIT_KEY = "audit"
UNRESOLVED = object()  # a request session before authentication: any lookup then is a programming error

OBSERVER, OPERATOR, ENGINEER, ADMIN = ROLES
LEVEL = {role: level for level, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    """The identity a request acts as, with everything needed to decide visibility without another query."""

    local: bool = False  # local single-user mode: no user exists, the server listens on loopback only
    user_id: int | None = None
    username: str | None = None
    is_admin: bool = False  # platform admin: every project, as project admin; manages users
    memberships: dict[int, str] = field(default_factory=dict)  # project id -> role
    token_id: int | None = None
    session_id: int | None = None
    token_project: int | None = None  # an API token limited to one project
    token_role: str | None = None  # ... and/or to a role

    def role_in(self, project_id: int | None) -> str | None:
        """The principal's role in a project, or None if it may not even see it."""
        if self.local:
            return ADMIN
        if self.token_project is not None and project_id != self.token_project:
            return None
        role = ADMIN if self.is_admin else self.memberships.get(project_id) if project_id is not None else None
        if role is not None and self.token_role is not None and LEVEL[self.token_role] < LEVEL[role]:
            role = self.token_role
        return role

    def visible_projects(self) -> list[int] | None:
        """The ids of the projects the principal sees, or None for all of them."""
        if self.local or (self.is_admin and self.token_project is None):
            return None
        if self.token_project is not None:
            return [self.token_project] if self.role_in(self.token_project) else []
        return sorted(self.memberships)

    @property
    def manages_users(self) -> bool:
        return self.local or (self.is_admin and self.token_project is None and self.token_role in (None, ADMIN))

    def describe(self) -> str:
        if self.local:
            return "local user"
        who = f"user {self.username!r}"
        return f"{who} (token {self.token_id})" if self.token_id is not None else who


def principal_of(session: Session) -> Principal | None:
    """The request's principal, None for internal sessions; raises if a request looks up before authenticating."""
    principal = session.info.get(PRINCIPAL_KEY)
    if principal is UNRESOLVED:
        raise RuntimeError("object looked up before the request was authenticated")
    return principal


def _model_project(session: Session, machine_model_id: int | None) -> int | None:
    return session.scalar(select(MachineModel.project_id).where(MachineModel.id == machine_model_id))


PROJECT_OF: dict[type, Callable[[Session, Any], int | None]] = {
    Project: lambda _s, row: row.id,
    Component: lambda s, row: _model_project(s, row.machine_model_id),
    Connection: lambda s, row: _model_project(s, row.machine_model_id),
    CommunicationBinding: lambda s, row: s.scalar(
        select(MachineModel.project_id).join(Component, Component.machine_model_id == MachineModel.id).where(
            Component.id == row.component_id
        )
    ),
}


def project_of(session: Session, row: Any) -> int | None:
    """The project an object belongs to (runs whose project was deleted: None)."""
    resolver = PROJECT_OF.get(type(row))
    return resolver(session, row) if resolver is not None else row.project_id


def require(principal: Principal, project_id: int | None, role: str) -> None:
    """403 unless the principal has ``role`` (or higher) in the project; call only for visible projects."""
    have = principal.role_in(project_id)
    if have is None or LEVEL[have] < LEVEL[role]:
        raise ForbiddenError(
            f"{principal.describe()} needs the {role} role in project {project_id} for this (has {have})",
            [{"project_id": project_id, "required_role": role, "role": have}],
        )


def check(session: Session, row: Any) -> bool:
    """False if the request's principal may not see ``row``; 403 if it may see it but lacks the route's role.

    The first object checked names the project of the request's audit entry."""
    principal = principal_of(session)
    if principal is None:
        return True
    project_id = project_of(session, row)
    if principal.role_in(project_id) is None:
        return False
    audit = session.info.get(AUDIT_KEY)
    if audit is not None and audit.project_id is None:
        audit.project_id = project_id
    logs.note_project(project_id)
    required = session.info.get(REQUIRED_ROLE_KEY)
    if required is not None:
        require(principal, project_id, required)
    return True


def note_project(session: Session, project_id: int) -> None:
    """Name the project of the request's audit entry when no lookup did (a new project)."""
    audit = session.info.get(AUDIT_KEY)
    if audit is not None:
        audit.project_id = project_id


def visible_filter(session: Session, project_column: Any) -> ColumnElement[bool] | None:
    """A WHERE clause keeping rows of visible projects (None: no restriction)."""
    principal = principal_of(session)
    ids = None if principal is None else principal.visible_projects()
    return None if ids is None else project_column.in_(ids)


def restrict(session: Session, stmt: Select[Any], project_column: Any) -> Select[Any]:
    """``stmt`` limited to rows of projects the request's principal can see."""
    clause = visible_filter(session, project_column)
    return stmt if clause is None else stmt.where(clause)


def restrict_by_model(session: Session, stmt: Select[Any], model_column: Any) -> Select[Any]:
    """``stmt`` limited to rows whose machine model is in a visible project."""
    clause = visible_filter(session, MachineModel.project_id)
    return stmt if clause is None else stmt.where(model_column.in_(select(MachineModel.id).where(clause)))
