"""Path objects loaded for a role: ``XAs[ROLE]``-style aliases that routes put in their signatures.

``Annotated[Project, Depends(access_to(load_project, ADMIN))]`` reads: load the project in the path; 404 if it
does not exist *or the caller cannot see it*; 403 if the caller's role in it is below admin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.api.deps import (
    load_binding,
    load_component,
    load_connection,
    load_endpoint,
    load_machine_model,
    load_project,
)
from app.api.security import ADMIN, ENGINEER, OBSERVER, access_to
from app.db.models import CommunicationBinding, Component, Connection, Endpoint, MachineModel, Project

ProjectForObserver = Annotated[Project, Depends(access_to(load_project, OBSERVER))]
ProjectForAdmin = Annotated[Project, Depends(access_to(load_project, ADMIN))]
ModelForObserver = Annotated[MachineModel, Depends(access_to(load_machine_model, OBSERVER))]
ModelForEngineer = Annotated[MachineModel, Depends(access_to(load_machine_model, ENGINEER))]
ComponentForObserver = Annotated[Component, Depends(access_to(load_component, OBSERVER))]
ComponentForEngineer = Annotated[Component, Depends(access_to(load_component, ENGINEER))]
ConnectionForObserver = Annotated[Connection, Depends(access_to(load_connection, OBSERVER))]
ConnectionForEngineer = Annotated[Connection, Depends(access_to(load_connection, ENGINEER))]
EndpointForObserver = Annotated[Endpoint, Depends(access_to(load_endpoint, OBSERVER))]
EndpointForEngineer = Annotated[Endpoint, Depends(access_to(load_endpoint, ENGINEER))]
EndpointForAdmin = Annotated[Endpoint, Depends(access_to(load_endpoint, ADMIN))]
BindingForObserver = Annotated[CommunicationBinding, Depends(access_to(load_binding, OBSERVER))]
BindingForEngineer = Annotated[CommunicationBinding, Depends(access_to(load_binding, ENGINEER))]
