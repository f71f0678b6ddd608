"""Model history: every committed change of a stored model's document becomes a revision.

Services that change a model call ``note_change`` (``live_models.model_edited`` does for components, connections
and bindings; creating, importing and updating a model do it themselves). Just before the request's transaction
commits, each noted model's document is built from its rows once; if it differs from the latest revision (by
digest) the document is stored (content-addressed, shared with the runs that ran it) and a revision row is
added, in the same transaction: a request that fails leaves no revision, and one that changed nothing visible
(e.g. a component written back with its default parameters) adds none. Two requests racing on one model may
compute the same next number; the unique constraint turns the loser into a 409, never a gap or a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import NotFoundError
from app.db.models import MachineModel
from app.db.revisions import ModelRevision
from app.engine.diff import Change, diff_documents
from app.services import documents, model_documents
from app.services.common import paginate
from app.services.run_events import user_of

logger = logging.getLogger(__name__)

SUMMARY_LINES = 20  # changes kept on the row; the full diff is computed from the two documents on request
_NOTED = "revised_models"


def note_change(session: Session, machine_model_id: int) -> None:
    """This request changed the model: record a revision when the transaction commits (if the document changed)."""
    noted: set[int] = session.info.setdefault(_NOTED, set())
    if not noted:
        event.listen(session, "before_commit", _record_before_commit, once=True)
    noted.add(machine_model_id)


def _record_before_commit(session: Session) -> None:
    noted: set[int] = session.info.pop(_NOTED, set())
    for model_id in sorted(noted):
        model = session.get(MachineModel, model_id)
        if model is not None:
            record(session, model)


def latest(session: Session, machine_model_id: int) -> ModelRevision | None:
    return session.scalar(
        select(ModelRevision)
        .where(ModelRevision.machine_model_id == machine_model_id)
        .order_by(ModelRevision.number.desc())
        .limit(1)
    )


def record(session: Session, model: MachineModel, restored_from: int | None = None) -> ModelRevision | None:
    """Add a revision if the model's document differs from its latest one; returns it (None: nothing changed)."""
    try:
        document = engine.parse_document(documents.build_document(session, model))
    except engine.SimulationError:  # rows are checked on every write, so this is a bug, not a user's mistake
        logger.exception("model %s: no revision recorded, its document does not parse", model.id)
        return None
    digest = document.digest()
    previous = latest(session, model.id)
    if previous is not None and previous.document_hash == digest and restored_from is None:
        return None
    model_documents.store(session, document)
    changes: Sequence[Change] = ()
    if previous is not None:
        before = model_documents.load(session, previous.document_hash)
        if before is not None:
            changes = diff_documents(engine.parse_document(before), document)
    revision = ModelRevision(
        machine_model_id=model.id,
        number=(previous.number if previous is not None else 0) + 1,
        document_hash=digest,
        user=user_of(session),
        changes=len(changes),
        summary=[c.describe() for c in changes[:SUMMARY_LINES]],
        restored_from=restored_from,
    )
    session.add(revision)
    session.flush()
    return revision


def list_(session: Session, model: MachineModel, limit: int, offset: int) -> tuple[Sequence[ModelRevision], int]:
    stmt = (
        select(ModelRevision)
        .where(ModelRevision.machine_model_id == model.id)
        .order_by(ModelRevision.number.desc())
    )
    return paginate(session, stmt, limit, offset)


def get(session: Session, model: MachineModel, number: int) -> ModelRevision:
    """Revision ``number`` of the model, or 404 naming the revisions there are."""
    revision = session.scalar(
        select(ModelRevision).where(ModelRevision.machine_model_id == model.id, ModelRevision.number == number)
    )
    if revision is None:
        newest = latest(session, model.id)
        there = f"1..{newest.number}" if newest is not None else "none yet"
        raise NotFoundError(
            f"machine model {model.id} has no revision {number} (revisions: {there})",
            [{"loc": "number", "number": number, "latest": newest.number if newest is not None else None}],
            code="revision_not_found",
        )
    return revision


def document(session: Session, revision: ModelRevision) -> dict[str, Any]:
    """The document of a revision, in the canonical form of the model export."""
    stored = model_documents.load(session, revision.document_hash)
    assert stored is not None  # revisions only point at stored documents (foreign key)
    return model_documents.canonical(stored)


def diff(session: Session, model: MachineModel, old: int, new: int | None) -> dict[str, Any]:
    """Every change from revision ``old`` to revision ``new`` (default: the latest)."""
    before = get(session, model, old)
    after = get(session, model, new) if new is not None else latest(session, model.id)
    assert after is not None  # ``before`` exists, so a latest one does
    changes = diff_documents(
        engine.parse_document(document(session, before)), engine.parse_document(document(session, after))
    )
    return {"from": before.number, "to": after.number, "changes": [c.to_dict() for c in changes]}


def restore(session: Session, model: MachineModel, number: int) -> ModelRevision:
    """Make the model what revision ``number`` was: a new revision (``restored_from``) with the changes it undoes;
    running simulations of the model take it at their next tick boundary like any edit. Restoring what the model
    already is changes nothing and answers the latest revision."""
    from app.services import live_models  # imports this module

    wanted = get(session, model, number)
    current = latest(session, model.id)
    if current is not None and current.document_hash == wanted.document_hash:
        return current
    documents.replace_contents(session, model, document(session, wanted))
    live_models.model_edited(session, model.id)
    revision = record(session, model, restored_from=number)
    assert revision is not None  # the document differs from the latest one
    return revision


def read(revision: ModelRevision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "document_hash": revision.document_hash,
        "user": revision.user,
        "created_at": revision.created_at,
        "changes": revision.changes,
        "summary": revision.summary,
        "restored_from": revision.restored_from,
    }
