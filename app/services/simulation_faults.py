"""Faults injected into running simulations, with the scenario engine's ``ActiveFault`` so they act exactly
as they do in scenarios.

A request validates the fault as a scenario's ``faults[0]`` would be (same messages, same options) and
against the running model; switching it on or off happens in the run's own thread at the next tick
boundary (``Simulator.call_at_boundary``), so a fault never lands half way through a tick. Faults that
need work after every tick (``jam`` holds a position, ``for`` clears the fault when it ends) add a tick
hook (``Simulator.add_tick_hook``) only while such a fault is active.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.errors import ConflictError, NotFoundError, UnprocessableError
from app.db.runs import SimulationRun
from app.engine import Simulator
from app.engine.scenarios import FAULT_TYPES, ActiveFault, FaultSpec, ScenarioError, check_scenario, parse_scenario
from app.engine.scenarios._document import quantize
from app.schemas.scenarios import FaultCreate
from app.services.run_manager import RunManager, active_handle

__all__ = ["clear", "faulted_ports", "inject", "list_faults"]

_RUN_SECONDS = 86400.0  # the longest scenario run: the scenario schema's limit, so `at`-less faults always fit


@dataclass
class LiveFault:
    """One injected fault: its spec, the engine's fault object and when it took effect."""

    id: int
    spec: FaultSpec
    fault: ActiveFault
    duration: float | None
    ports: list[str]
    start_tick: int | None = None
    end_tick: int | None = None


class RunFaults:
    """The faults of one running simulation; ``_start``/``_stop``/``_after_tick`` run in the run's thread."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.faults: dict[int, LiveFault] = {}
        self.lock = threading.Lock()
        self._next_id = 1
        self._hooks: list[Callable[[Simulator], None]] = []
        self._timed: list[LiveFault] = []
        self._hooked = False

    def snapshot(self) -> list[LiveFault]:
        with self.lock:
            return list(self.faults.values())

    def add(self, spec: FaultSpec, duration: float | None, ports: list[str]) -> LiveFault:
        with self.lock:
            taken = next((f for f in self.faults.values() if f.spec.target == spec.target), None)
            if taken is not None:
                raise ConflictError(
                    f"{spec.target} already has fault {taken.id} ({taken.spec.type}); delete it first",
                    [{"loc": "port" if "." in spec.target else "component", "fault_id": taken.id}],
                    code="fault_exists",
                )
            spec.index = fault_id = self._next_id
            self._next_id += 1
            live = LiveFault(fault_id, spec, ActiveFault(spec, self.sim), duration, ports)
            self.faults[fault_id] = live
        self.sim.call_at_boundary(lambda: self._start(live))
        return live

    def remove(self, fault_id: int) -> bool:
        with self.lock:
            live = self.faults.pop(fault_id, None)
        if live is None:
            return False
        self.sim.call_at_boundary(lambda: self._stop(live))
        return True

    # ---------------------------------------------------------------- in the run thread

    def _start(self, live: LiveFault) -> None:
        with self.lock:
            if live.id not in self.faults:
                return  # deleted before it took effect
        live.fault.start()
        live.start_tick = self.sim.tick
        if live.duration is not None:
            live.end_tick = self.sim.tick + max(1, quantize(live.duration, self.sim.dt))
        self._refresh()

    def _stop(self, live: LiveFault) -> None:
        live.fault.uninstall()
        self._refresh()

    def _refresh(self) -> None:
        started = [f for f in self.snapshot() if f.start_tick is not None]
        self._hooks = [f.fault.after_tick for f in started if f.fault.after_tick is not None]
        self._timed = [f for f in started if f.end_tick is not None]
        needed = bool(self._hooks or self._timed)
        if needed and not self._hooked:
            self.sim.add_tick_hook(self._after_tick)
            self._hooked = True
        elif not needed and self._hooked:
            self.sim.remove_tick_hook(self._after_tick)
            self._hooked = False

    def _after_tick(self, sim: Simulator) -> None:
        for hook in self._hooks:
            hook(sim)
        if self._timed:
            done = sim.tick  # hooks run after the tick counter advanced
            ended = [f for f in self._timed if done >= f.end_tick]  # type: ignore[operator]
            for live in ended:
                with self.lock:
                    self.faults.pop(live.id, None)
                live.fault.uninstall()
            if ended:
                self._refresh()


_registry: weakref.WeakKeyDictionary[Simulator, RunFaults] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _faults_of(sim: Simulator) -> RunFaults:
    with _registry_lock:
        faults = _registry.get(sim)
        if faults is None:
            faults = _registry[sim] = RunFaults(sim)
        return faults


def _spec(data: FaultCreate, sim: Simulator) -> FaultSpec:
    """The fault checked exactly as a scenario's fault is, then against the running model."""
    raw = data.model_dump(exclude_none=True, by_alias=True)
    raw.pop("for", None)
    document = {"name": "api fault", "model_id": 1, "run": {"duration": _RUN_SECONDS}, "faults": [raw]}
    try:
        scenario = parse_scenario(document)
        problems = check_scenario(scenario, sim.plan.doc)
    except ScenarioError as exc:
        problems = exc.problems
    if not problems:
        return scenario.faults[0]
    details = []
    for p in problems:
        loc = str(p.get("loc", "")).removeprefix("faults[0]").lstrip(".")
        detail = {**p, "loc": loc}
        if loc == "type":
            detail["valid"] = list(FAULT_TYPES)
        elif loc == "port":
            detail["valid"] = sim.port_names()
        elif loc == "component":
            detail["valid"] = sorted(sim.plan.by_name)
        details.append(detail)
    first = details[0]
    raise UnprocessableError(
        f"{first['loc'] or 'fault'}: {first['message']}"
        + (f" (and {len(details) - 1} more)" if len(details) > 1 else ""),
        details,
        code="invalid_fault",
    )


def _read(live: LiveFault, dt: float) -> dict[str, Any]:
    spec = live.spec
    is_port = FAULT_TYPES[spec.type][0] == "port"
    return {
        "id": live.id,
        "type": spec.type,
        "port": spec.target if is_port else None,
        "component": None if is_port else spec.target,
        "name": spec.name,
        "options": spec.options,
        "for_": live.duration,
        "status": "pending" if live.start_tick is None else "active",
        "started_at": None if live.start_tick is None else live.start_tick * dt,
        "ends_at": None if live.end_tick is None else live.end_tick * dt,
        "ports": live.ports,
    }


def inject(run: SimulationRun, manager: RunManager, data: FaultCreate) -> dict[str, Any]:
    """Inject a fault into an active run; it takes effect at the next tick boundary."""
    handle = active_handle(run, manager)
    sim = handle.sim
    spec = _spec(data, sim)
    if "." in spec.target:
        ports = [spec.target]
    else:
        ports = [p for p in sim.port_names() if p.split(".", 1)[0] == spec.target]
    live = _faults_of(sim).add(spec, data.for_, ports)
    return _read(live, sim.dt)


def list_faults(run: SimulationRun, manager: RunManager) -> list[dict[str, Any]]:
    """The faults on an active run (pending or active); none once the run has ended."""
    handle = manager.get(run.id)
    if handle is None:
        return []
    return [_read(f, handle.sim.dt) for f in _faults_of(handle.sim).snapshot()]


def clear(run: SimulationRun, manager: RunManager, fault_id: int) -> None:
    """Clear a fault from the next tick boundary; 404 if the run has no such fault (or it has ended)."""
    handle = active_handle(run, manager)
    if not _faults_of(handle.sim).remove(fault_id):
        raise NotFoundError(
            f"simulation run {run.id} has no active fault {fault_id}", [{"fault_id": fault_id}], code="not_found"
        )


def faulted_ports(sim: Simulator) -> set[str]:
    """Ports under a fault that has taken effect (the values endpoint flags them)."""
    with _registry_lock:
        faults = _registry.get(sim)
    if faults is None:
        return set()
    return {p for f in faults.snapshot() if f.start_tick is not None for p in f.ports}
