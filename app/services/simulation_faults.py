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
from app.engine.scenarios._document import FAULT_COMPONENT_TYPES, quantize, scenario_json_schema
from app.schemas.scenarios import FaultCreate
from app.services.run_events import user_of
from app.services.run_manager import RunHandle, RunManager, active_handle

__all__ = ["clear", "fault_types", "faulted_ports", "inject", "list_faults"]

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
        self.on_expired: Callable[[LiveFault], None] | None = None  # a fault whose `for` ran out (run thread)

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
                if self.on_expired is not None:
                    self.on_expired(live)
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


def _describe(live: LiveFault) -> str:
    return f"fault {live.id} ({live.spec.type}) on {live.spec.target}"


def _event_data(live: LiveFault) -> dict[str, Any]:
    is_port = FAULT_TYPES[live.spec.type][0] == "port"
    return {
        "fault_id": live.id,
        "type": live.spec.type,
        "port": live.spec.target if is_port else None,
        "component": None if is_port else live.spec.target,
        "ports": live.ports,
    }


def _log_expiry(handle: RunHandle) -> Callable[[LiveFault], None]:
    def expired(live: LiveFault) -> None:
        handle.log_event("fault_cleared", f"{_describe(live)} cleared after {live.duration:g} s",
                         **_event_data(live), reason="expired")

    return expired


def inject(run: SimulationRun, manager: RunManager, data: FaultCreate) -> dict[str, Any]:
    """Inject a fault into an active run; it takes effect at the next tick boundary."""
    handle = active_handle(run, manager)
    sim = handle.sim
    spec = _spec(data, sim)
    if "." in spec.target:
        ports = [spec.target]
    else:
        ports = [p for p in sim.port_names() if p.split(".", 1)[0] == spec.target]
    faults = _faults_of(sim)
    if faults.on_expired is None:
        faults.on_expired = _log_expiry(handle)
    live = faults.add(spec, data.for_, ports)
    handle.log_event(
        "fault_injected",
        _describe(live) + (f" for {data.for_:g} s" if data.for_ is not None else ""),
        user=user_of(run),
        **_event_data(live),
        options=spec.options,
        duration=data.for_,
    )
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
    faults = _faults_of(handle.sim)
    live = next((f for f in faults.snapshot() if f.id == fault_id), None)
    if live is None or not faults.remove(fault_id):
        raise NotFoundError(
            f"simulation run {run.id} has no active fault {fault_id}", [{"fault_id": fault_id}], code="not_found"
        )
    handle.log_event("fault_cleared", f"{_describe(live)} cleared", user=user_of(run), **_event_data(live),
                     reason="deleted")


def faulted_ports(sim: Simulator) -> set[str]:
    """Ports under a fault that has taken effect (the values endpoint flags them)."""
    with _registry_lock:
        faults = _registry.get(sim)
    if faults is None:
        return set()
    return {p for f in faults.snapshot() if f.start_tick is not None for p in f.ports}


# ---------------------------------------------------------------------------------------------- the catalogue

_DESCRIPTIONS = {
    "stuck": "the port reads a fixed value",
    "offset": "a constant is added to the port's value (number ports)",
    "drift": "the port's value drifts away at a constant rate from the moment the fault starts (number ports)",
    "noise": "Gaussian noise is added to the port's value every tick (number ports)",
    "open": "an open circuit: the port reads 0 (false)",
    "short": "a short circuit: the port reads 1 (true)",
    "delay": "the port's value arrives late by a transport delay",
    "dropout": "on each tick, with some probability, the port reads 0 (false) or keeps its last value",
    "motor_failure": "the motor's current is multiplied (wearing its health through overcurrent) and some health "
    "is lost at once; lost health stays lost",
    "jam": "the position freezes where it is when the fault starts (end switches too)",
    "leak": "the valve lets a fraction of its maximum flow through even when closed",
}

_OPTION_DESCRIPTIONS = {
    ("stuck", "value"): "the value the port reads",
    ("offset", "value"): "added to the port's value",
    ("leak", "value"): "flow fraction through the closed valve (0..1)",
    ("drift", "rate"): "units per simulated second",
    ("noise", "std"): "standard deviation of the noise",
    ("delay", "seconds"): "transport delay in simulated seconds",
    ("dropout", "probability"): "chance per tick that the value drops out",
    ("dropout", "mode"): "zero: read 0/false; hold: keep the last good value",
    ("motor_failure", "factor"): "current multiplier",
    ("motor_failure", "health_drop"): "health (0..1) taken off when the fault starts",
}


def fault_types() -> list[dict[str, Any]]:
    """Every fault type, from the scenario engine's definitions: target, component types, options as JSON Schema."""
    fields = scenario_json_schema()["properties"]["faults"]["items"]["properties"]
    out = []
    for ftype, (target, required, defaults) in FAULT_TYPES.items():
        properties: dict[str, Any] = {}
        for name in (*required, *defaults):
            prop = dict(fields[name])
            if ftype in ("offset", "drift", "noise") or (ftype == "leak" and name == "value"):
                prop["type"] = "number"
            if ftype == "leak" and name == "value":
                prop.update(minimum=0.0, maximum=1.0)
            if name in defaults:
                prop["default"] = defaults[name]
            prop["description"] = _OPTION_DESCRIPTIONS.get((ftype, name), "")
            properties[name] = prop
        properties["for"] = {**fields["for"], "description": "simulated seconds until the fault clears itself; "
                             "absent: until it is deleted"}
        properties["name"] = {**fields["name"], "description": "a label for the fault"}
        out.append({
            "type": ftype,
            "target": target,
            "component_types": list(FAULT_COMPONENT_TYPES[ftype]) if target == "component" else None,
            "description": _DESCRIPTIONS.get(ftype, ""),
            "options": {"type": "object", "properties": properties, "required": list(required)},
        })
    return out
