"""Machine models: CRUD, validation by the engine, and export/import as one document."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from app import engine
from app.api import guards
from app.api.deps import PageDep, SessionDep
from app.api.errors import error_responses
from app.api.security import Engineer, Observer
from app.core.errors import UnprocessableError
from app.db.models import Project
from app.schemas.common import Page
from app.schemas.resources import MachineModelCreate, MachineModelRead, MachineModelUpdate, ValidationReport
from app.services import documents
from app.services import machine_models as service
from app.services.common import get_or_404

router = APIRouter(prefix="/machine-models", tags=["machine models"])

_EXAMPLE_DOCUMENT = {
    "schema_version": 1,
    "name": "gain_chain",
    "description": "a step through two gains",
    "dt": 0.01,
    "components": [
        {"name": "g1", "type": "Gain", "parameters": {"k": 2.0}, "inputs": {"in": 1.0}},
        {"name": "g2", "type": "Gain", "parameters": {"k": 0.5}},
    ],
    "connections": [{"from": "g1.out", "to": "g2.in"}],
    "endpoints": [],
    "bindings": [],
}
_EXAMPLE_YAML = """schema_version: 1
name: gain_chain
dt: 0.01
components:
  - {name: g1, type: Gain, parameters: {k: 2.0}, inputs: {in: 1.0}}
  - {name: g2, type: Gain, parameters: {k: 0.5}}
connections:
  - {from: g1.out, to: g2.in}
"""
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


async def raw_body(request: Request) -> bytes:
    """The request body as bytes, so the import route itself can stay synchronous."""
    return await request.body()


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422))
def create_machine_model(data: MachineModelCreate, session: SessionDep, _: Engineer) -> MachineModelRead:
    """Create an empty machine model in a project; names are unique within a project."""
    return MachineModelRead.model_validate(service.create(session, data))


@router.get("", responses=error_responses(404, 422))
def list_machine_models(
    session: SessionDep,
    page: PageDep,
    _: Observer,
    project_id: Annotated[int | None, Query(description="only models of this project")] = None,
) -> Page[MachineModelRead]:
    """List machine models, optionally of one project."""
    items, total = service.list_(session, page.limit, page.offset, project_id)
    return Page(
        items=[MachineModelRead.model_validate(m) for m in items], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 404, 409, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}, "example": _EXAMPLE_DOCUMENT},
                "application/yaml": {"schema": {"type": "string"}, "example": _EXAMPLE_YAML},
            },
        }
    },
)
def import_machine_model(
    session: SessionDep,
    _: Engineer,
    body: Annotated[bytes, Depends(raw_body)],
    project_id: Annotated[int, Query(description="project to create the model in")],
    content_type: Annotated[str, Header()] = "application/json",
) -> MachineModelRead:
    """Create a machine model, its components, connections and bindings from one document (JSON or YAML).

    All or nothing: if any part is wrong nothing is stored, and the 422 lists every problem with its
    location in the document (e.g. `components[3].parameters.max_power`). Endpoints are matched by name
    in the project and created if missing (without a password). A model name already used in the
    project is a 409; so is an endpoint name the project has with another `url`, `security_policy` or
    `security_mode` (409 `endpoint_mismatch`, naming both values: the model never runs against the stored
    server instead of the file's, and the shared endpoint is not moved by an import).
    """
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in _YAML_TYPES:
        fmt = "yaml"
    elif media_type == "application/json":
        fmt = "json"
    else:
        raise UnprocessableError(
            f"unsupported content type {media_type!r}; send application/json or application/yaml",
            [{"loc": "header.content-type", "valid": ["application/json", *_YAML_TYPES]}],
            code="unsupported_media_type",
        )
    project = get_or_404(session, Project, project_id, "project_id")
    model = documents.import_document(session, project, documents.load(body.decode("utf-8", errors="replace"), fmt))
    return MachineModelRead.model_validate(model)


@router.get("/{machine_model_id}", responses=error_responses(404))
def get_machine_model(model: guards.ModelForObserver) -> MachineModelRead:
    """Read one machine model."""
    return MachineModelRead.model_validate(model)


@router.patch("/{machine_model_id}", responses=error_responses(403, 404, 409, 422))
def update_machine_model(
    model: guards.ModelForEngineer,
    data: MachineModelUpdate,
    session: SessionDep,
) -> MachineModelRead:
    """Change a model's name, description or default step `dt`."""
    return MachineModelRead.model_validate(service.update(session, model, data))


@router.delete(
    "/{machine_model_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_machine_model(model: guards.ModelForEngineer, session: SessionDep) -> Response:
    """Delete a machine model with its components, connections and bindings."""
    service.delete(session, model)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{machine_model_id}/validate", responses=error_responses(404))
def validate_machine_model(model: guards.ModelForObserver, session: SessionDep) -> ValidationReport:
    """Say whether the model can run, and if not, every reason at once.

    Problems include algebraic loops (naming the components and ports in the cycle), inputs that are
    neither connected, bound nor given a value, and bindings to missing ports. When the model is valid,
    `execution_order` lists the component names in the order the engine computes them.
    """
    return ValidationReport.model_validate(documents.validate(session, model))


@router.get(
    "/{machine_model_id}/export",
    responses={
        200: {
            "description": "The model document",
            "content": {"application/json": {"example": _EXAMPLE_DOCUMENT}, "application/yaml": {}},
        },
        **error_responses(404, 422),
    },
)
def export_machine_model(
    model: guards.ModelForObserver,
    session: SessionDep,
    format: Annotated[
        Literal["json", "yaml"] | None, Query(description="defaults to the Accept header, then json")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Export the model as one document: components by name, connections as `from`/`to` port paths.

    Importing the document and exporting again gives the same document. Passwords are never exported.
    """
    if format is None:
        format = "yaml" if accept and any(t in accept for t in _YAML_TYPES) else "json"
    text = engine.dump_document(documents.export_document(session, model), format)
    media_type = "application/yaml" if format == "yaml" else "application/json"
    return Response(content=text, media_type=media_type)
