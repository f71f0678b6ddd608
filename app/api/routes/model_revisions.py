"""Model history: every change of a stored model is a revision, with who made it and what changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.api import guards
from app.api.deps import PageDep, SessionDep
from app.api.documents import AcceptHeader, FormatQuery, document_response, document_responses
from app.api.errors import error_responses
from app.schemas.common import Page
from app.schemas.revisions import RevisionDiff, RevisionRead
from app.services import revisions as service

router = APIRouter(prefix="/machine-models", tags=["machine models"])

Number = Annotated[int, Path(ge=1, le=2**31 - 1, description="revision number (1 = as created or imported)")]


@router.get("/{machine_model_id}/revisions", responses=error_responses(404, 422))
def list_revisions(model: guards.ModelForObserver, session: SessionDep, page: PageDep) -> Page[RevisionRead]:
    """The model's history, newest first: each revision's number, who made it, when, and a summary of what changed
    against the one before. Every committed change of the model's components, parameters, connections, bindings,
    name, description or `dt` adds one; a change that leaves the document as it was adds none."""
    items, total = service.list_(session, model, page.limit, page.offset)
    return Page(items=[RevisionRead.model_validate(service.read(r)) for r in items], total=total, limit=page.limit,
                offset=page.offset)  # fmt: skip


@router.get(
    "/{machine_model_id}/revisions/{number}",
    responses={**document_responses("The model document of that revision"), **error_responses(404, 422)},
)
def get_revision_document(
    model: guards.ModelForObserver, number: Number, session: SessionDep, format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """The model document as it was at a revision (JSON or YAML), e.g. to import it elsewhere or diff it in CI with
    `run.py diff`. 404 `revision_not_found` names the revisions there are."""
    return document_response(service.document(session, service.get(session, model, number)), format, accept)


@router.post("/{machine_model_id}/revisions/{number}/restore", responses=error_responses(403, 404, 409, 422))
def restore_revision(model: guards.ModelForEngineer, number: Number, session: SessionDep) -> RevisionRead:
    """Make the model what it was at a revision: its name, description, `dt`, components, connections and bindings
    (endpoints are the project's: one whose URL or security changed since is a 409 `endpoint_mismatch`). The restore
    is a new revision (`restored_from`), so it can itself be undone; running simulations of the model take it at
    their next tick boundary. Restoring the revision the model already is changes nothing."""
    return RevisionRead.model_validate(service.read(service.restore(session, model, number)))


@router.get("/{machine_model_id}/diff", responses=error_responses(404, 422))
def diff_revisions(
    model: guards.ModelForObserver,
    session: SessionDep,
    from_: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1, description="the older revision")],
    to: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="the newer revision; default the latest")] = None,
) -> RevisionDiff:
    """The semantic difference between two revisions — components added, removed or renamed, parameters and input
    values with old and new values, connections, endpoints and bindings — not a text diff (the same as
    `run.py diff A.yaml B.yaml`). Either order works; `to` defaults to the latest revision."""
    return RevisionDiff.model_validate(service.diff(session, model, from_, to))
