"""Faults injected into running simulations: the same fault types and options as in test scenarios."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.errors import error_responses
from app.api.routes.simulations import RunForObserver, RunForOperator, SessionDep
from app.api.simulation_runs import RunManagerDep
from app.schemas.scenarios import FaultCreate, FaultRead
from app.services import plc_write
from app.services import simulation_faults as service

router = APIRouter(prefix="/simulations", tags=["simulations"])


@router.post(
    "/{run_id}/faults", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 409, 422)
)
def inject_fault(data: FaultCreate, run: RunForOperator, manager: RunManagerDep, session: SessionDep) -> FaultRead:
    """Inject a fault into an active run; it takes effect at the next tick boundary.

    Port faults (`port`): `stuck` (`value`), `offset` (`value`), `drift` (`rate` per second), `noise`
    (`std`), `open` (reads 0/false), `short` (reads 1/true), `delay` (`seconds`), `dropout` (`probability`,
    `mode` zero|hold). Component faults (`component`): `motor_failure` (`factor`, `health_drop`), `jam`
    (position freezes), `leak` (`value`, a valve's leak fraction). They behave exactly as in a scenario.
    With `for` the fault clears itself after that many simulated seconds, else it lasts until deleted.
    An unknown type, port or component is a 422 whose details list the valid ones; a second fault on the
    same port or component is a 409; a run that has ended is a 409. Faulted ports are flagged in `values`.
    During a HIL run a fault on a port whose value reaches a PLC needs the PLC-write grant, as a force does.
    """
    if data.port is not None:
        plc_write.check_force(session, run, manager, data.port)
    return FaultRead.model_validate(service.inject(run, manager, data))


@router.get("/{run_id}/faults", responses=error_responses(404))
def list_faults(run: RunForObserver, manager: RunManagerDep) -> list[FaultRead]:
    """The faults on an active run (`pending` until the next tick boundary, then `active`); none once it ended."""
    return [FaultRead.model_validate(f) for f in service.list_faults(run, manager)]


@router.delete(
    "/{run_id}/faults/{fault_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404, 409)
)
def clear_fault(run: RunForOperator, fault_id: int, manager: RunManagerDep) -> Response:
    """Clear a fault: from the next tick boundary the port or component behaves normally again.

    Health a motor lost to a `motor_failure` stays lost, as in scenarios.
    """
    service.clear(run, manager, fault_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
