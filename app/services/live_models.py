"""Edits to a stored model reach its running simulations at their next tick boundary.

A service that changes a model's components, connections or bindings calls ``model_edited``. Once the
request's transaction commits, the model's document is built again from the rows and handed to every
active run of that model (``Simulator.replace_document``): parameter and input edits apply without
re-sorting, graph edits are compiled first. An edit the run cannot take (the model no longer compiles,
or a HIL run would lose a bound port) leaves the run on its current model and is reported in the run's
status under ``model_edits``.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db.models import MachineModel
from app.engine import SimulationError, parse_document
from app.services import documents, revisions
from app.services.run_events import user_of
from app.services.run_manager import RunHandle, RunManager

logger = logging.getLogger(__name__)

RUN_MANAGER_KEY = "run_manager"  # session.info key set by the request's session dependency


def model_edited(session: Session, machine_model_id: int) -> None:
    """Note that this request changed the model; its active runs get the new document after commit."""
    edited: set[int] = session.info.setdefault("edited_models", set())
    if not edited:
        event.listen(session, "after_commit", _push_after_commit, once=True)
    edited.add(machine_model_id)
    revisions.note_change(session, machine_model_id)


def _push_after_commit(session: Session) -> None:
    edited: set[int] = session.info.pop("edited_models", set())
    manager: RunManager | None = session.info.get(RUN_MANAGER_KEY)
    if manager is None or not edited:
        return
    handles = [h for h in manager.active() if h.machine_model_id in edited]
    if not handles:
        return
    user = user_of(session)
    # The committed session cannot run SQL inside its own after_commit hook: read with a fresh one.
    with Session(bind=session.get_bind()) as reader:
        for model_id in {h.machine_model_id for h in handles}:
            model = reader.get(MachineModel, model_id)
            if model is None:
                continue
            try:
                doc = parse_document(documents.build_document(reader, model))
            except SimulationError as exc:
                _record([h for h in handles if h.machine_model_id == model_id], None, exc, user)
                continue
            for handle in (h for h in handles if h.machine_model_id == model_id):
                try:
                    kind = handle.sim.replace_document(doc)
                except SimulationError as exc:
                    _record([handle], None, exc, user)
                else:
                    _record([handle], kind, None, user)


def _record(handles: list[RunHandle], kind: str | None, error: SimulationError | None, user: str | None) -> None:
    for handle in handles:
        edits = handle.model_edits
        if error is None:
            edits["applied"] += 1
            edits["last"] = kind
            edits["error"] = None
            what = "parameters and input values" if kind == "parameters" else "a new graph"
            handle.log_event("model_edit_applied", f"model edit applied at the next tick boundary ({what})",
                             user=user, kind=kind)
        else:
            edits["error"] = {"message": error.message, "problems": error.problems}
            logger.info("simulation run %s keeps its model: %s", handle.run_id, error.message)
            handle.log_event("model_edit_refused", f"model edit refused, the run keeps its model: {error.message}",
                             user=user, message=error.message, problems=error.problems)
