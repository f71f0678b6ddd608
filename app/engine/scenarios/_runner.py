"""Running a scenario: apply the timeline to a ``Simulator``, record every tick, judge the assertions.

``run_scenario(scenario, model_doc)`` is pure: no files, no clock other than the simulated one
(unless the scenario asks for real time), and its ``ScenarioResult`` is JSON-able through ``to_dict``.
Times in a scenario take effect at the nearest tick; the run samples ticks 0..N where N = duration/dt,
so the end time itself is observed. Stimuli and faults apply at tick boundaries, before the tick runs.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, Callable, Sequence

from .._exceptions import RunError, SimulationError
from ..clock import FastClock, WallClock
from ..components import REGISTRY
from ..document import ModelDocument
from ..io import PortIO, is_degraded
from ..simulator import Simulator
from ._document import AssertionSpec, Scenario, check_scenario, quantize
from ._errors import ScenarioError
from ._faults import ActiveFault, fault_periods
from ._trace import RecordingIO, Trace, TraceReplayIO

__all__ = ["AssertionResult", "ScenarioResult", "run_scenario"]


def fmt(value: Any) -> str:
    """A value as a person reads it: true/false, numbers to 6 significant digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass
class AssertionResult:
    """The verdict of one assertion, with what was expected, what was seen, and when."""

    index: int
    name: str
    kind: str
    description: str
    passed: bool
    message: str
    expected: str
    actual: str | None = None
    time: float | None = None  # when it failed (or, when passed, when it was satisfied; None if throughout)
    window: tuple[float, float] | None = None
    ports: list[str] = field(default_factory=list)
    thresholds: list[float] = field(default_factory=list)
    values_at_time: dict[str, Any] = field(default_factory=dict)
    trigger_times: list[float] = field(default_factory=list)  # after: every trigger occurrence
    response_times: list[float | None] = field(default_factory=list)  # after: None where it never responded


@dataclass
class ScenarioResult:
    """Everything a report needs about one run of one scenario; ``to_dict`` is JSON-able."""

    name: str
    passed: bool
    status: str  # passed | failed | error | stopped
    seed: int
    dt: float
    duration: float
    ticks: int
    model: str
    model_digest: str
    assertions: list[AssertionResult] = field(default_factory=list)
    fault_periods: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    path: str | None = None
    wall_time: float = 0.0
    # {"time": [...], "ports": {port: [...]}, "units": {port: unit}} (units may be missing in stored results)
    series: dict[str, Any] = field(default_factory=dict)
    trace: Trace | None = None  # raw values of the read bindings, when the model has any
    # Fed by a PortIO (hil, replay): quality of the read samples (Simulator.read_quality) and whether the run was
    # degraded (app.engine.io.is_degraded: a PLC lost, stale or bad samples, dropped writes).
    quality: dict[str, Any] | None = None
    degraded: bool = False

    @property
    def failures(self) -> int:
        return sum(not a.passed for a in self.assertions)

    def to_dict(self, series: bool = True) -> dict[str, Any]:
        d = asdict(self)
        d["failures"] = self.failures
        if not series:
            d.pop("series")
        d["trace"] = None if self.trace is None else {"ports": self.trace.ports, "rows": len(self.trace.rows)}
        return d

    def verdicts(self) -> dict[str, Any]:
        """The deterministic part of the result (no wall time): equal for equal scenario, model and seed."""
        d = self.to_dict()
        d.pop("wall_time")
        d.pop("path")
        return d


# ------------------------------------------------------------------------------------------- the run


@dataclass(order=True)
class _Event:
    tick: int
    phase: int  # ends before starts: 0 stimulus end, 1 stimulus, 2 fault stop, 3 fault start
    index: int
    action: Callable[[], object] = field(compare=False)


def run_scenario(
    scenario: Scenario,
    model_doc: ModelDocument,
    *,
    io: PortIO | None = None,
    replay: Trace | None = None,
    tick_hook: Callable[[Simulator], None] | None = None,
    cancel: threading.Event | None = None,
    also_record: Sequence[str] = (),
) -> ScenarioResult:
    """Run a scenario on a model and judge every assertion; ScenarioError if it does not fit the model.

    ``tick_hook(sim)`` runs after every tick (a host uses it to share the GIL); it must not change values.
    Setting ``cancel`` (from any thread) stops the run at the next tick boundary, as does a tick hook setting
    ``sim.stop_requested``: the result then has status ``stopped`` and no verdicts (a partial recording
    cannot judge the assertions). ``also_record`` names more ports to record (a campaign's metrics).
    """
    problems = check_scenario(scenario, model_doc)
    if problems:
        first = problems[0]
        raise ScenarioError(f"{first['loc']}: {first['message']}"
                            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""), problems)
    dt = scenario.dt or model_doc.dt
    last = quantize(scenario.duration, dt)
    reads = [b.port for b in model_doc.bindings if b.direction == "read"]
    if replay is not None:
        io = TraceReplayIO(replay, dt)
    elif scenario.mode == "hil" and io is None:
        raise RunError("mode hil needs a PortIO connected to the PLC (the HIL adapter); run it with the adapter, "
                       "or replay a recorded trace in sim mode")
    recorder = RecordingIO(io, dt) if io is not None and reads else None
    wanted = recorded_ports(scenario, model_doc)
    wanted.extend(p for p in also_record if p not in wanted)

    sim = Simulator(model_doc, dt=dt, seed=scenario.seed, io=recorder or io, record=wanted)
    if tick_hook is not None:
        sim.add_tick_hook(tick_hook)
    if cancel is not None:
        def stop_when_cancelled(s: Simulator) -> None:
            if cancel.is_set():
                s.stop_requested = True

        sim.add_tick_hook(stop_when_cancelled)
    faults = [ActiveFault(f, sim) for f in scenario.faults]
    periods = [p for f in scenario.faults for p in fault_periods(f, scenario.seed, dt, last)]
    events = _timeline(scenario, sim, faults, periods, dt)
    for fault in faults:
        fault.install()
    clock = WallClock(1.0) if scenario.realtime else FastClock()
    error = None
    sim.open_io()
    try:
        for tick, group in _grouped(events, last):
            if (cancel is not None and cancel.is_set()) or sim.stop_requested:
                break
            _advance(sim, tick, clock, faults)
            if sim.stop_requested:
                break
            for event in group:
                event.action()
        if not ((cancel is not None and cancel.is_set()) or sim.stop_requested):
            _advance(sim, last + 1, clock, faults)
    except SimulationError as exc:
        error = exc.message
    finally:
        sim.close_io()
    stopped = error is None and ((cancel is not None and cancel.is_set()) or sim.stop_requested)
    if stopped:
        error = f"stopped at t = {sim.tick * dt:g} s of {scenario.duration:g} s, before the assertions were judged"

    rec = sim.recording
    assert rec is not None
    columns = {p: list(col) for p, col in zip(rec.ports, zip(*rec.rows))} if rec.rows else {p: [] for p in rec.ports}
    times = list(rec.times)
    results = [] if error else [_judge(a, columns, times, dt) for a in scenario.assertions]
    trace = None
    if reads:
        trace = recorder.trace if recorder is not None else _trace_from_recording(model_doc, columns, times, reads)
    status = "stopped" if stopped else "error" if error else "passed" if all(r.passed for r in results) else "failed"
    quality = sim.read_quality() if io is not None else None
    degraded = io is not None and is_degraded({**io.stats(), "quality": quality})
    return ScenarioResult(
        name=scenario.name, passed=status == "passed", status=status, seed=scenario.seed, dt=dt,
        duration=scenario.duration, ticks=len(times), model=model_doc.name, model_digest=model_doc.digest(),
        assertions=results, error=error, path=scenario.path, wall_time=sim.wall_time,
        fault_periods=[{"fault": p.fault, "name": scenario.faults[p.fault].name, "type": scenario.faults[p.fault].type,
                        "target": scenario.faults[p.fault].target, "start": p.start_tick * dt,
                        "end": p.end_tick * dt} for p in sorted(periods, key=lambda p: (p.start_tick, p.fault))],
        series={"time": times, "ports": columns, "units": _units(model_doc, list(columns))}, trace=trace,
        quality=quality, degraded=degraded,
    )


def recorded_ports(scenario: Scenario, model_doc: ModelDocument) -> list[str]:
    """The ports a run of ``scenario`` records at every tick: what assertions, stimuli and faults read, and
    the PLC reads (so a host can bound a run's recording before it starts: ticks x these ports)."""
    wanted: list[str] = []
    for a in scenario.assertions:
        wanted.extend(p for p in a.ports() if p not in wanted)
    for s in scenario.stimuli:
        if s.action in ("set", "force") and s.target not in wanted:
            wanted.append(s.target)
    for f in scenario.faults:
        port = f.target if "." in f.target else f"{f.target}.current" if f.type == "motor_failure" else None
        if port is not None and port not in wanted:
            wanted.append(port)
    wanted.extend(b.port for b in model_doc.bindings if b.direction == "read" and b.port not in wanted)
    return wanted


def _units(model_doc: ModelDocument, ports: list[str]) -> dict[str, str]:
    """The unit of each recorded port that has one (for the reports' axes)."""
    types = {c.name: REGISTRY[c.type] for c in model_doc.components if c.type in REGISTRY}
    units = {}
    for ref in ports:
        comp, _, port = ref.partition(".")
        cls = types.get(comp)
        spec = None if cls is None else cls.input_ports.get(port) or cls.output_ports.get(port)
        if spec is not None and spec.unit:
            units[ref] = spec.unit
    return units


def _grouped(events: list[_Event], last: int) -> list[tuple[int, list[_Event]]]:
    groups: dict[int, list[_Event]] = {}
    for e in sorted(events):
        if e.tick <= last:
            groups.setdefault(e.tick, []).append(e)
    return sorted(groups.items())


def _advance(sim: Simulator, tick: int, clock: Any, faults: list[ActiveFault]) -> None:
    """Tick up to (not including) ``tick``, calling per-tick fault hooks when some are active."""
    if tick <= sim.tick:
        return
    hooks = [f.after_tick for f in faults if f.after_tick is not None]
    on_tick = None
    if hooks:
        def on_tick(s: Simulator) -> None:
            for hook in hooks:
                hook(s)  # type: ignore[misc]
    sim.run(ticks=tick - sim.tick, clock=clock, on_tick=on_tick)


def _timeline(scenario: Scenario, sim: Simulator, faults: list[ActiveFault], periods: list[Any],
              dt: float) -> list[_Event]:
    events: list[_Event] = []
    for s in scenario.stimuli:
        start = quantize(s.at, dt)
        end = quantize(s.at + s.duration, dt) if s.duration is not None else None
        if s.action == "force":
            events.append(_Event(start, 1, s.index, partial(sim.force, s.target, s.value)))
            if end is not None:
                events.append(_Event(end, 0, s.index, partial(sim.release, s.target)))
        elif s.action == "release":
            events.append(_Event(start, 1, s.index, partial(sim.release, s.target)))
        elif s.action == "parameter":
            comp, _, name = s.target.partition(".")
            saved: dict[str, Any] = {}

            def set_param(c: str = comp, n: str = name, v: Any = s.value, saved: dict[str, Any] = saved) -> None:
                saved["value"] = sim.plan.by_name[c].params[n]
                sim.set_parameter(c, n, v)  # several changes before one boundary add up

            def restore(c: str = comp, n: str = name, saved: dict[str, Any] = saved) -> None:
                sim.set_parameter(c, n, saved["value"])

            events.append(_Event(start, 1, s.index, set_param))
            if end is not None:
                events.append(_Event(end, 0, s.index, restore))
        else:  # set: change the given value of an unconnected input, as a PLC output would
            comp, _, port = s.target.partition(".")
            value = _cast(sim.plan.port_types[s.target], s.value)
            held: dict[str, Any] = {}

            def set_value(c: str = comp, p: str = port, v: Any = value, held: dict[str, Any] = held) -> None:
                held["value"] = set_input(sim, c, p, v)

            events.append(_Event(start, 1, s.index, set_value))
            if end is not None:
                def unset(c: str = comp, p: str = port, held: dict[str, Any] = held) -> None:
                    set_input(sim, c, p, held["value"])

                events.append(_Event(end, 0, s.index, unset))
    for p in periods:
        fault = faults[p.fault]
        events.append(_Event(p.start_tick, 3, p.fault, fault.start))
        events.append(_Event(p.end_tick, 2, p.fault, fault.stop))
    return events


def set_input(sim: Simulator, comp: str, port: str, value: Any) -> Any:
    """Give an unconnected input a new value between ticks; returns the value it had been given before."""
    return sim.set_input(f"{comp}.{port}", value)


def _cast(dtype: str, value: Any) -> Any:
    return bool(value) if dtype == "bool" else int(value) if dtype == "int" else float(value)


def _trace_from_recording(doc: ModelDocument, columns: dict[str, list[Any]], times: list[float],
                          reads: list[str]) -> Trace:
    """Without a PortIO the twin's own values are the live inputs; store them raw (undo scale/offset)."""
    scales = {b.port: (b.scale, b.offset) for b in doc.bindings if b.direction == "read"}
    cols = []
    for port in reads:
        scale, offset = scales[port]
        col = columns[port]
        if scale != 1.0 or offset != 0.0:
            col = [v if isinstance(v, bool) else (v - offset) / scale for v in col]
        cols.append(col)
    return Trace(list(reads), list(times), list(zip(*cols)) if cols else [])


# ------------------------------------------------------------------------------------------- verdicts


def _index_range(window: tuple[float, float] | None, dt: float, n: int) -> range:
    if window is None:
        return range(n)
    k0 = max(0, math.ceil(window[0] / dt - 1e-9))
    k1 = min(n - 1, math.floor(window[1] / dt + 1e-9))
    return range(k0, k1 + 1)


def _values_at(columns: dict[str, list[Any]], ports: list[str], k: int) -> dict[str, Any]:
    return {p: columns[p][k] for p in ports if k < len(columns[p])}


def _show(values: dict[str, Any]) -> str:
    return ", ".join(f"{p}={fmt(v)}" for p, v in values.items())


def _judge(a: AssertionSpec, columns: dict[str, list[Any]], times: list[float], dt: float) -> AssertionResult:
    n = len(times)
    ports = a.ports()
    res = AssertionResult(a.index, a.name, a.kind, a.describe(), True, "", a.expr.source, window=a.window,
                          ports=ports, thresholds=a.expr.thresholds() + (a.condition.thresholds() if a.condition
                                                                           else []))
    values = a.expr.evaluate(columns, n)
    if a.kind == "always":
        cond = a.condition.evaluate(columns, n) if a.condition is not None else None
        checked = 0
        for k in _index_range(a.window, dt, n):
            if cond is not None and not cond[k]:
                continue
            checked += 1
            if not values[k]:
                res.passed = False
                res.time = times[k]
                res.values_at_time = _values_at(columns, ports, k)
                res.actual = _show(_values_at(columns, a.expr.ports, k)) or fmt(values[k])
                res.expected = a.expr.source + (f" while {a.condition.source}" if a.condition else "")
                res.message = f"expected {res.expected}, but at t={times[k]:g} s {res.actual}"
                return res
        res.message = f"held at all {checked} samples" if checked else (
            f"{a.condition.source} never held, nothing to check" if a.condition else "no samples in the window")
        return res
    if a.kind == "eventually":
        rng = _index_range(a.window, dt, n)
        for k in rng:
            if values[k]:
                res.time = times[k]
                res.values_at_time = _values_at(columns, ports, k)
                res.actual = _show(res.values_at_time)
                res.message = f"true at t={times[k]:g} s ({res.actual})"
                return res
        res.passed = False
        end = rng[-1] if len(rng) else n - 1
        res.time = times[end]
        res.values_at_time = _values_at(columns, ports, end)
        best = a.expr.comparison()
        where = f"[{a.window[0]:g}, {a.window[1]:g}] s" if a.window else "the run"
        if best is not None and len(rng):
            port, op, _ = best
            series = [columns[port][k] for k in rng]
            pick = max if op in (">", ">=") else min if op in ("<", "<=") else None
            if pick is not None:
                v = pick(series)
                k = rng[series.index(v)]
                res.actual = f"{port} reached at most {fmt(v)} (t={times[k]:g} s)" if pick is max else \
                    f"{port} fell to at least {fmt(v)} (t={times[k]:g} s)"
        if res.actual is None:
            res.actual = _show(res.values_at_time)
        res.message = f"expected {a.expr.source} at some time in {where}, never true; {res.actual}"
        return res
    if a.kind == "after":
        assert a.trigger is not None and a.within is not None
        trig = a.trigger.evaluate(columns, n)
        width = quantize(a.within, dt)
        nxt = [n] * (n + 1)
        for k in range(n - 1, -1, -1):
            nxt[k] = k if values[k] else nxt[k + 1]
        unjudged = 0
        for k in _index_range(a.window, dt, n):
            if not trig[k]:
                continue
            j = nxt[k]
            responded = j < n and j - k <= width
            if not responded and k + width >= n:
                unjudged += 1  # the run ended before the response window closed: not enough to judge
                continue
            res.trigger_times.append(times[k])
            res.response_times.append((j - k) * dt if responded else None)
        res.expected = f"{a.expr.source} within {a.within:g} s after {a.trigger.source}"
        note = f"; {unjudged} trigger(s) too close to the end of the run to judge" if unjudged else ""
        if not res.trigger_times:
            res.passed = False
            res.message = f"the trigger {a.trigger.source} never occurred" + (
                " early enough to judge" if unjudged else "")
            res.actual = "no trigger"
            return res
        for t0, r in zip(res.trigger_times, res.response_times):
            if r is None:
                res.passed = False
                k = quantize(t0, dt)
                fail_k = min(n - 1, k + width)
                res.time = times[fail_k]
                res.window = (t0, t0 + a.within)  # the response window that was missed (shaded in plots)
                res.values_at_time = _values_at(columns, ports, fail_k)
                j = nxt[k]
                res.actual = f"it became true after {(j - k) * dt:g} s" if j < n else "it never became true"
                res.message = (f"expected {a.expr.source} within {a.within:g} s after {a.trigger.source}; "
                               f"triggered at t={t0:g} s, deadline t={res.time:g} s: {res.actual}")
                return res
        worst = max(r for r in res.response_times if r is not None)
        res.actual = f"slowest response {worst:g} s"
        res.message = (f"{len(res.trigger_times)} trigger(s), slowest response {worst:g} s (limit {a.within:g} s)"
                       + note)
        return res
    # at
    assert a.at is not None
    k = min(n - 1, quantize(a.at, dt))
    res.time = times[k]
    res.window = (times[k], times[k])
    res.values_at_time = _values_at(columns, ports, k)
    v = values[k]
    if a.value is not None:
        res.thresholds = [a.value - a.tolerance, a.value + a.tolerance] if a.tolerance > 1e-9 else [a.value]
        res.expected = f"{a.expr.source} = {fmt(a.value)} ± {fmt(a.tolerance)}"
        res.actual = fmt(v)
        ok = isinstance(v, (int, float)) and abs(v - a.value) <= a.tolerance
        res.passed = bool(ok)
        res.message = (f"{a.expr.source} = {fmt(v)} at t={times[k]:g} s" + ("" if ok else
                       f"; expected {fmt(a.value)} ± {fmt(a.tolerance)} (off by {fmt(abs(v - a.value))})"))
        return res
    res.passed = bool(v)
    res.actual = _show(res.values_at_time) or fmt(v)
    res.message = f"{a.expr.source} is {'true' if v else 'false'} at t={times[k]:g} s ({res.actual})"
    return res
