"""Dependencies: settings, the per-request transaction, and load-or-404 for path objects.

Routes never use the loaders directly: ``app/api/guards.py`` wraps each with the role the route needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.db.models import CommunicationBinding, Component, Connection, Endpoint, MachineModel, Project
from app.db.session import get_session_factory
from app.services.access import PRINCIPAL_KEY, UNRESOLVED
from app.services.common import get_or_404
from app.services.limits import SETTINGS_KEY
from app.services.live_models import RUN_MANAGER_KEY

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(settings: SettingsDep, request: Request) -> Iterator[Session]:
    """One transaction per request: commit if the endpoint returned, roll back if it raised."""
    with get_session_factory(settings.database_url)() as session:
        # Services that edit a model tell its running simulations after commit (app/services/live_models.py).
        session.info[RUN_MANAGER_KEY] = getattr(request.app.state, "run_manager", None)
        # Services reach run limits and the key for stored PLC passwords through the request's settings
        # (app/services/limits.py, app/services/secrets.py).
        session.info[SETTINGS_KEY] = settings
        # Looking an object up before the request is authenticated is a bug, not an open door (app/api/security.py).
        session.info[PRINCIPAL_KEY] = UNRESOLVED
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a failed commit is reported, not hidden.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class PageParams:
    """``limit``/``offset`` of one list request."""

    def __init__(self, limit: int, offset: int) -> None:
        self.limit = limit
        self.offset = offset


async def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> PageParams:
    # async on purpose: a trivial dependency should not cost a hop through the threadpool.
    return PageParams(limit, offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def load_project(project_id: int, session: SessionDep) -> Project:
    return get_or_404(session, Project, project_id)


def load_machine_model(machine_model_id: int, session: SessionDep) -> MachineModel:
    return get_or_404(session, MachineModel, machine_model_id)


def load_component(component_id: int, session: SessionDep) -> Component:
    return get_or_404(session, Component, component_id)


def load_connection(connection_id: int, session: SessionDep) -> Connection:
    return get_or_404(session, Connection, connection_id)


def load_endpoint(endpoint_id: int, session: SessionDep) -> Endpoint:
    return get_or_404(session, Endpoint, endpoint_id)


def load_binding(binding_id: int, session: SessionDep) -> CommunicationBinding:
    return get_or_404(session, CommunicationBinding, binding_id)
