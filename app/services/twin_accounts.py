"""Who may log in to a run's secured twin OPC UA server: the platform's own user accounts.

A client write to the served twin becomes a force, so a login needs what a force through the API needs: an active
user with at least the operator role in the run's project (platform admins count) and, when the run is a HIL run
that writes to a PLC, the PLC-write permission on every endpoint it writes to (taken conservatively: any input may
reach any write binding, as starting such a run requires). The check runs on the server's thread when a client
activates a session, in its own short session on the request's database engine (the request is long over by
then), so a membership removed or a user deactivated while the run goes on takes effect at the next login. Without
any user (local single-user mode) there is no account to log in with, so a secured server is refused up front.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import engine
from app.core.errors import ConflictError
from app.db.auth import PlcWriteGrant, ProjectMember
from app.db.models import Endpoint
from app.engine.hil.runner import TwinServerSecurity
from app.schemas.simulations import OpcUaServerSettings
from app.services import auth
from app.services.access import ADMIN, LEVEL, OPERATOR

__all__ = ["login_check", "server_security"]

_logger = logging.getLogger(__name__)


def server_security(
    session: Session, project_id: int | None, settings: OpcUaServerSettings | None, doc: engine.ModelDocument,
    hil: bool,
) -> TwinServerSecurity | None:
    """The security of a run's served twin (None when it serves without); 409 in local mode, which has no users."""
    if settings is None or settings.security_mode == "None":
        return None
    bind = session.get_bind()
    url = bind.url.render_as_string(hide_password=False) if hasattr(bind, "url") else ""
    if not auth.users_exist(session, url):
        raise ConflictError(
            f"a twin OPC UA server with security_mode {settings.security_mode} logs clients in with the "
            "platform's user accounts, and none exists yet: create one first (`python run.py users create NAME "
            "--admin`), or serve without security on a loopback address",
            [{"loc": "opcua_server.security_mode", "security_mode": settings.security_mode, "users": 0}],
            code="no_user_accounts",
        )
    written = frozenset(b.endpoint for b in doc.bindings if b.direction == "write") if hil else frozenset()
    factory = sessionmaker(bind, expire_on_commit=False)
    return TwinServerSecurity(settings.security_mode, login_check(factory, project_id, written))


def login_check(
    factory: Callable[[], Session], project_id: int | None, written_endpoints: frozenset[str] = frozenset()
) -> Callable[[str, str], bool]:
    """``authenticate(username, password)`` for a run of ``project_id``; see the module docstring."""

    def authenticate(username: str, password: str) -> bool:
        with factory() as session:
            user = auth.verify(session, username, password)
            if user is None:
                return False
            role = ADMIN if user.is_admin else session.scalar(
                select(ProjectMember.role).where(ProjectMember.project_id == project_id,
                                                 ProjectMember.user_id == user.id)
            )
            if role is None or LEVEL[role] < LEVEL[OPERATOR]:
                _logger.info("twin OPC UA login of %r refused: role %s in project %s", username, role, project_id)
                return False
            if written_endpoints and not _may_write_plcs(session, user.id, project_id, written_endpoints):
                _logger.info("twin OPC UA login of %r refused: no PLC-write permission", username)
                return False
            return True

    return authenticate


def _may_write_plcs(session: Session, user_id: int, project_id: int | None, endpoints: frozenset[str]) -> bool:
    ids = set(session.scalars(select(Endpoint.id).where(Endpoint.project_id == project_id,
                                                          Endpoint.name.in_(endpoints))))
    granted = set(session.scalars(select(PlcWriteGrant.endpoint_id).where(PlcWriteGrant.user_id == user_id,
                                                                          PlcWriteGrant.endpoint_id.in_(ids))))
    return ids <= granted
