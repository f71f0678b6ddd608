"""The fault catalogue: every fault type a running simulation (or a scenario) can be given, with its options."""

from __future__ import annotations

from fastapi import APIRouter

from app.schemas.simulations import FaultTypeRead
from app.services import simulation_faults as service

router = APIRouter(prefix="/fault-types", tags=["simulations"])


@router.get("")
def list_fault_types() -> list[FaultTypeRead]:
    """Every fault type of `POST /simulations/{id}/faults`: what it targets and its options as JSON Schema.

    `target` says whether the fault takes a `port` or a `component` (component faults name the component
    types they apply to); `options` is a JSON Schema object of the request's other fields (`value`, `rate`,
    `std`, `for`, ...) with types, defaults, bounds and descriptions, so a client can build its form from it.
    """
    return [FaultTypeRead.model_validate(f) for f in service.fault_types()]
