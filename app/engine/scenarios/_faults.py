"""Fault injection: what each fault type does to a running ``Simulator``, and when it is active.

Port faults route the port through ``Simulator.set_transform`` (an output is transformed right after
it is computed, so every reader — and the recording — sees the faulted value). Component faults use
the component's own mechanics:

- ``motor_failure``: the Motor's current is multiplied by ``factor`` (a spike above its overcurrent
  limit wears its health through the model's own overcurrent wear) and ``health_drop`` is taken off its
  health at once; health lost stays lost when the fault ends.
- ``jam``: the position state of an Actuator, Cylinder or Valve is held at its value when the fault
  starts (restored after every tick's update), so the position and end switches freeze exactly.
- ``leak``: the Valve's ``leak`` parameter is set to ``value`` and restored afterwards.

``dropout`` with ``mode: zero`` reads 0/false on a dropped tick; ``mode: hold`` repeats the last good
value. Random draws (noise, dropout, MTBF/MTTR schedules) come from ``random.Random`` seeded with the
run seed and the fault's index, so a scenario and seed always give the same faults.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from ..simulator import Simulator
from ._document import FaultSpec, quantize

__all__ = ["ActiveFault", "FaultPeriod", "fault_periods", "make_fault"]

Transform = Callable[[Any, float], Any]
_POSITION_STATE = {"Actuator": "x", "Valve": "x", "Cylinder": "f"}


@dataclass(frozen=True)
class FaultPeriod:
    """One stretch of time during which a fault is active (ticks; end exclusive)."""

    fault: int  # index in the scenario's faults
    start_tick: int
    end_tick: int


def fault_periods(spec: FaultSpec, seed: int, dt: float, last_tick: int) -> list[FaultPeriod]:
    """When the fault is active: its ``at``/``for`` window, or random failures drawn from MTBF/MTTR."""
    start = quantize(spec.at, dt)
    end = last_tick + 1 if spec.duration is None else min(last_tick + 1, quantize(spec.at + spec.duration, dt))
    if not spec.random:
        return [FaultPeriod(spec.index, start, end)] if end > start else []
    rng = random.Random(f"{seed}:fault:{spec.index}:schedule")
    periods: list[FaultPeriod] = []
    t = spec.at
    limit = end * dt
    while True:
        t += rng.expovariate(1.0 / spec.mtbf)  # type: ignore[operator]
        if t >= limit:
            break
        repair = rng.expovariate(1.0 / spec.mttr)  # type: ignore[operator]
        a, b = quantize(t, dt), min(end, quantize(t + repair, dt))
        if b > a and (not periods or a >= periods[-1].end_tick):
            periods.append(FaultPeriod(spec.index, a, b))
        t += repair
    return periods


def _zero(dtype: str) -> Any:
    return False if dtype == "bool" else 0 if dtype == "int" else 0.0


def _one(dtype: str) -> Any:
    return True if dtype == "bool" else 1 if dtype == "int" else 1.0


def _coerce(dtype: str, value: Any) -> Any:
    if dtype == "bool":
        return bool(value)
    if dtype == "int":
        return int(round(value))
    return float(value)


class ActiveFault:
    """A fault that can be switched on and off between ticks; ``after_tick`` is set for per-tick effects."""

    def __init__(self, spec: FaultSpec, sim: Simulator) -> None:
        self.spec = spec
        self.sim = sim
        self.rng = random.Random(f"{sim.seed}:fault:{spec.index}:values")
        self.active = False
        self.after_tick: Callable[[Simulator], None] | None = None
        self._fn: Transform | None = None
        self._installed = False
        self._restore: Callable[[], None] | None = None

    # -------------------------------------------------------------- port faults

    def _port_transform(self, dtype: str, start_time: float) -> Transform:
        o = self.spec.options
        kind = self.spec.type
        if kind == "stuck":
            value = _coerce(dtype, o["value"])
            return lambda v, t: value
        if kind == "open":
            zero = _zero(dtype)
            return lambda v, t: zero
        if kind == "short":
            one = _one(dtype)
            return lambda v, t: one
        if kind == "offset":
            off = o["value"]
            return (lambda v, t: int(round(v + off))) if dtype == "int" else (lambda v, t: v + off)
        if kind == "drift":
            rate = o["rate"]
            if dtype == "int":
                return lambda v, t: int(round(v + rate * (t - start_time)))
            return lambda v, t: v + rate * (t - start_time)
        if kind == "noise":
            std, gauss = o["std"], self.rng.gauss
            if dtype == "int":
                return lambda v, t: int(round(v + gauss(0.0, std)))
            return lambda v, t: v + gauss(0.0, std)
        if kind == "delay":
            buf: deque[Any] = deque(maxlen=quantize(o["seconds"], self.sim.dt) + 1)

            def delayed(v: Any, t: float) -> Any:
                buf.append(v)
                return buf[0]  # the value at the fault's start until the delay has filled

            return delayed
        if kind == "dropout":
            p, rand, zero = o["probability"], self.rng.random, _zero(dtype)
            if o.get("mode", "zero") == "zero":
                return lambda v, t: zero if rand() < p else v
            last: list[Any] = []

            def hold(v: Any, t: float) -> Any:
                if rand() < p and last:
                    return last[0]
                last[:] = [v]
                return v

            return hold
        raise ValueError(f"not a port fault: {kind}")

    # -------------------------------------------------------------- switching

    def _gate(self, v: Any, t: float) -> Any:
        """The transform installed on the port: the fault's effect while active, the value itself otherwise."""
        fn = self._fn
        return fn(v, t) if fn is not None else v

    def install(self) -> None:
        """Route the faulted port through the fault for the whole run, so switching it needs no recompile."""
        if self._installed:
            return
        self._installed = True
        if self.spec.type in ("jam", "leak"):
            return
        target = f"{self.spec.target}.current" if self.spec.type == "motor_failure" else self.spec.target
        if self._driven_input():
            # A transformed connected input is fed from its driver before the tick: keep it off the port
            # outside fault periods so the model runs unchanged there.
            self._installed = False
            return
        self.sim.set_transform(target, self._gate)

    def _driven_input(self) -> bool:
        if "." not in self.spec.target:
            return False
        comp, port = self.spec.target.split(".")
        c = self.sim.plan.by_name[comp]
        return port in c.drivers and (comp, port) not in self.sim.plan.bound_inputs

    def start(self) -> None:
        """Switch the fault on at the next tick boundary."""
        if self.active:
            return
        self.active = True
        self.install()
        if self._driven_input():
            self.sim.set_transform(self.spec.target, self._gate)
        sim, spec, o = self.sim, self.spec, self.spec.options
        if spec.type == "motor_failure":
            factor = float(o["factor"])
            self._fn = lambda v, t: v * factor
            hl = sim.plan.by_name[spec.target].state_slots["hl"]
            sim.values[hl] = max(0.0, sim.values[hl] - float(o["health_drop"]))
        elif spec.type == "jam":
            c = sim.plan.by_name[spec.target]
            slot = c.state_slots[_POSITION_STATE[c.cls.name]]
            frozen = sim.values[slot]

            def hold(s: Simulator) -> None:
                s.values[slot] = frozen

            self.after_tick = hold
        elif spec.type == "leak":
            original = sim.plan.by_name[spec.target].params["leak"]
            sim.set_parameter(spec.target, "leak", float(o["value"]))
            self._restore = lambda: sim.set_parameter(spec.target, "leak", original)
        else:
            self._fn = self._port_transform(sim.plan.port_types[spec.target], sim.time)

    def stop(self) -> None:
        """Switch the fault off at the next tick boundary (health lost to a motor failure stays lost)."""
        if not self.active:
            return
        self.active = False
        self._fn = None
        self.after_tick = None
        if self._driven_input():
            self.sim.set_transform(self.spec.target, None)
        if self._restore is not None:
            self._restore()
            self._restore = None

    def uninstall(self) -> None:
        """Take the fault's transform off the port (e.g. when it is cleared from a running simulation)."""
        self.stop()
        if self._installed and self.spec.type not in ("jam", "leak"):
            target = f"{self.spec.target}.current" if self.spec.type == "motor_failure" else self.spec.target
            self.sim.set_transform(target, None)
        self._installed = False


def make_fault(spec: FaultSpec, sim: Simulator) -> ActiveFault:
    return ActiveFault(spec, sim)
