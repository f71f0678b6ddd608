"""The PLC-write permission: driving a real PLC through an endpoint needs an explicit grant on that endpoint.

Checked when a HIL run that writes to PLCs starts, and when a force (or a port fault) during a HIL run changes a
port whose value reaches a PLC: a write-bound port, or any port upstream of one. Upstream is taken
conservatively: a component's outputs depend on all of its inputs (through state, if not at once).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import ForbiddenError
from app.db.auth import PlcWriteGrant
from app.db.models import Endpoint
from app.db.runs import SimulationRun
from app.engine.components import REGISTRY
from app.services import access
from app.services.run_manager import RunManager


def _missing(session: Session, project_id: int | None, endpoint_names: set[str]) -> list[dict[str, object]]:
    """The endpoints (by name, in the project) the request's principal has no grant on."""
    principal = access.principal_of(session)
    if principal is None or principal.local or not endpoint_names:
        return []
    rows = session.execute(
        select(Endpoint.id, Endpoint.name).where(Endpoint.project_id == project_id, Endpoint.name.in_(endpoint_names))
    ).all()
    granted = set(
        session.scalars(
            select(PlcWriteGrant.endpoint_id).where(
                PlcWriteGrant.user_id == principal.user_id, PlcWriteGrant.endpoint_id.in_([r.id for r in rows])
            )
        )
    )
    return [{"endpoint_id": r.id, "endpoint": r.name} for r in rows if r.id not in granted]


def _refuse(missing: list[dict[str, object]], what: str) -> ForbiddenError:
    names = ", ".join(f"{m['endpoint']} (id {m['endpoint_id']})" for m in missing)
    return ForbiddenError(
        f"{what} needs the PLC-write permission on endpoint {names}; a project admin grants it with "
        "PUT /api/v1/endpoints/{id}/plc-write/{username}",
        [{"loc": "plc_write", **m} for m in missing],
        code="plc_write_required",
    )


def check_start(session: Session, project_id: int | None, doc: engine.ModelDocument) -> None:
    """403 unless the caller may write to every endpoint the model's write bindings use."""
    endpoints = {b.endpoint for b in doc.bindings if b.direction == "write"}
    missing = _missing(session, project_id, endpoints)
    if missing:
        raise _refuse(missing, "a HIL run that writes to a PLC")


def feeding(doc: engine.ModelDocument, port: str) -> set[str]:
    """The endpoints whose write bindings ``port`` (``component.port``) reaches."""
    driver = {(c.target, c.target_port): (c.source, c.source_port) for c in doc.connections}
    inputs = {comp.name: tuple(REGISTRY[comp.type].input_ports) for comp in doc.components}
    target = tuple(port.split(".", 1))
    reached: set[str] = set()
    for binding in doc.bindings:
        if binding.direction != "write" or binding.endpoint in reached:
            continue
        # Walk upstream from the bound port: an input depends on its driver, an output on its component's inputs.
        seen: set[tuple[str, ...]] = set()
        stack: list[tuple[str, ...]] = [tuple(binding.port.split(".", 1))]
        while stack:
            node = stack.pop()
            if node in seen or len(node) != 2:
                continue
            seen.add(node)
            component, name = node
            if name in inputs.get(component, ()):
                if node in driver:
                    stack.append(driver[node])  # type: ignore[index]
            else:
                stack.extend((component, i) for i in inputs.get(component, ()))
        if target in seen:
            reached.add(binding.endpoint)
    return reached


def check_force(session: Session, run: SimulationRun, manager: RunManager, port: str) -> None:
    """403 unless the caller may write to every PLC this port's value reaches during an active HIL run."""
    handle = manager.get(run.id)
    if run.mode != "hil" or handle is None:
        return
    missing = _missing(session, run.project_id, feeding(handle.sim.plan.doc, port))
    if missing:
        raise _refuse(missing, f"forcing {port} during a HIL run")
