"""Running a plan: the tick loop, forces, parameter changes, I/O exchange and recording.

Per tick k (t = k * dt): read bound inputs from the PortIO, compute every output in order, record a
sample, write bound ports to the PortIO, advance every state. Changes requested between ticks (forces,
parameters, a new document) are applied at the next tick boundary.

Quality of PLC reads: each read binding has an extra slot in the value array holding its quality on the current
tick (``GOOD`` 0, ``STALE`` 1, ``BAD`` 2; see ``app.engine.io``). It is recorded as the column
``<component>.<port>:quality`` right after its port (when the port is recorded and a PortIO is attached), may be
published with the ports (``set_publisher(fn, quality=True)``), and every stale or bad tick is counted per binding
(``read_quality()``). A good tick costs one store per read binding; the counting runs only on ticks with a gap.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field, replace
from functools import partial
from operator import itemgetter
from typing import Any, Callable, Iterable, Sequence

from ._exceptions import ModelError, RunError, UnknownPortError
from ._hints import hint, hint_details
from .clock import Clock, FastClock
from .compiler import Overrides, Plan, build_step, compile_model
from .components import input_value_problem, validate_parameters
from .document import ModelDocument
from .io import BAD, GOOD, QUALITY_SUFFIX, STALE, BindingSpec, PortIO, round_half_away

ENGINE_VERSION = "0.1.0"


def _noop() -> None:
    pass


def _discard(_item: Any) -> None:
    pass


def _split(ref: str) -> tuple[str, str]:
    comp, _, port = ref.partition(".")
    return comp, port


def _getter(slots: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """A fast reader of several slots as a tuple (itemgetter returns a bare value for one slot)."""
    if len(slots) == 1:
        only = slots[0]
        return lambda v: (v[only],)
    return itemgetter(*slots)


def _connection_key(c: Any) -> tuple[str, str, str, str]:
    return (c.source, c.source_port, c.target, c.target_port)


def _binding_key(b: BindingSpec) -> tuple[Any, ...]:
    return (b.port, b.endpoint, b.node_id, b.direction, b.data_type, b.scale, b.offset)


def _coerce(data_type: str, value: Any) -> Any:
    if data_type == "bool":
        return bool(value)
    if data_type == "int":
        return int(value)
    return float(value)


@dataclass
class Recording:
    """Samples of chosen ports every ``every`` ticks: ``times[i]`` and ``rows[i]`` (one value per port)."""

    ports: list[str]
    every: int = 1
    times: list[float] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def _matches(name: str, patterns: Sequence[str]) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(name, p) for p in patterns)


class Simulator:
    """One run of a model: owns the value array, the generated step function and the clock."""

    def __init__(
        self,
        doc: ModelDocument,
        *,
        dt: float | None = None,
        seed: int = 0,
        io: PortIO | None = None,
        record: Sequence[str] | None = None,
        record_every: int = 1,
    ) -> None:
        self.seed = seed
        self.plan: Plan = compile_model(doc, dt)
        self.dt = self.plan.dt
        self.values: list[Any] = list(self.plan.initial_values)
        self.tick = 0
        self._rngs = [random.Random(f"{seed}:{c.name}") for c in self.plan.components]
        self._forces: dict[tuple[str, str], Any] = {}
        self._requested_forces: dict[tuple[str, str], Any] = {}  # what callers asked for, ahead of the boundary
        self._transforms: dict[tuple[str, str], Callable[[Any, float], Any]] = {}
        self._base_slots: dict[tuple[str, str], int] = {}  # extra slots: unfaulted values of unconnected inputs
        self._pending: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._dirty = True
        self._step: Callable[[list[Any], float], None] = lambda v, t: None
        self._forced_values: list[Any] = []
        self.io = io
        self._io_reads: list[BindingSpec] = []
        self._io_writes: list[BindingSpec] = []
        self._read_slots: list[tuple[int, float, float, str, int] | None] = []
        self._quality_slots: dict[str, int] = {}  # read-bound port -> slot of its quality (extra slots)
        self._quality_counts: list[list[int]] = []  # per read binding: [stale ticks, bad ticks]
        self.io_ticks = 0  # ticks that read the PortIO
        self.degraded_ticks = 0  # of those, ticks where some read binding was stale or bad
        self._write_get: Callable[[list[Any]], Any] = lambda v: ()
        self._write_scale: list[tuple[float, float]] = []
        self.recording: Recording | None = None
        self._rec_get: Callable[[list[Any]], Any] = lambda v: ()
        self._publish: Callable[[tuple[Any, ...]], None] | None = None
        self._pub_get: Callable[[list[Any]], Any] | None = None
        self._pub_quality = False
        self._tick_hooks: tuple[Callable[[Simulator], None], ...] = ()
        self._requested_params: dict[str, dict[str, Any]] = {}
        self._none_slot: int | None = None
        if record is not None:
            self.set_recording(record, record_every)
        self.stop_requested = False
        self.wall_time = 0.0

    # ------------------------------------------------------------------ inspection

    @property
    def time(self) -> float:
        return self.tick * self.dt

    def port_names(self) -> list[str]:
        return self.plan.port_names()

    def _port(self, ref: str) -> tuple[str, str]:
        comp, _, port = ref.partition(".")
        c = self.plan.by_name.get(comp)
        if c is None:
            valid = sorted(self.plan.by_name)
            raise ModelError(f"unknown component {comp!r}{hint(comp, valid)}; valid: {', '.join(valid)}",
                             [{"port": ref, "valid": valid, **hint_details(comp, valid)}])
        if port not in c.output_slots and port not in c.input_slots:
            raise UnknownPortError(comp, port, [*c.input_slots, *c.output_slots])
        return comp, port

    def _slot(self, comp: str, port: str) -> int:
        overridden = set(self._forces) | set(self._transforms)
        return self.plan.read_slot(comp, port, overridden)

    def value(self, ref: str) -> Any:
        comp, port = self._port(ref)
        return self.values[self._slot(comp, port)]

    def snapshot(self, values: Sequence[Any] | None = None) -> dict[str, Any]:
        """Current value of every port as {"component.port": value} (of ``values`` if given)."""
        overridden = set(self._forces) | set(self._transforms)
        source = self.values if values is None else values
        out = {}
        for name in self.plan.port_names():
            comp, port = name.split(".")
            out[name] = source[self.plan.read_slot(comp, port, overridden)]
        return out

    def evaluate_now(self) -> list[Any]:
        """The value array with every output computed for the current tick (t = tick * dt), leaving the run as it
        was: after ``run`` the outputs in ``values`` are those of the last tick ticked, one step behind the states.
        Meant for the end of a run (it does not exchange values with a PortIO)."""
        if self._dirty:
            self._rebuild()
        rng_states = [r.getstate() for r in self._rngs]
        values = list(self.values)
        try:
            self._step(values, self.tick * self.dt)
        finally:
            for rng, state in zip(self._rngs, rng_states):
                rng.setstate(state)
        return values

    def record_final_sample(self) -> bool:
        """Record the state at the current tick unless it is recorded already, so a run of N ticks ends its
        recording at t = N * dt (like a scenario) whatever ``every`` is; returns whether a row was added."""
        rec = self.recording
        t = self.tick * self.dt
        if rec is None or (rec.times and rec.times[-1] >= t - self.dt / 2):
            return False
        values = self.evaluate_now()
        rec.times.append(t)
        rec.rows.append(tuple(self._rec_get(values)))
        return True

    @property
    def forces(self) -> dict[str, Any]:
        return {f"{c}.{p}": v for (c, p), v in self._forces.items()}

    # ------------------------------------------------------------------ changes (applied at a tick boundary)

    def call_at_boundary(self, change: Callable[[], None]) -> None:
        """Run ``change()`` in the tick thread before the next tick (thread-safe; in call order)."""
        with self._lock:
            self._pending.append(change)

    def add_tick_hook(self, hook: Callable[[Simulator], None]) -> None:
        """Call ``hook(sim)`` after every tick (``sim.tick`` already advanced); keep it cheap."""
        with self._lock:
            self._tick_hooks = (*self._tick_hooks, hook)
            self._pending.append(_noop)  # the tick loop picks the hooks up at the next boundary

    def remove_tick_hook(self, hook: Callable[[Simulator], None]) -> None:
        with self._lock:
            self._tick_hooks = tuple(h for h in self._tick_hooks if h != hook)
            self._pending.append(_noop)

    def set_input(self, ref: str, value: Any) -> Any:
        """Give an unconnected input a new value from the next tick boundary; returns its previous given value.

        This is the input's *given* value: what it reads when no force or fault overrides it, and what it
        returns to when one ends.
        """
        comp, port = self._port(ref)
        c = self.plan.by_name[comp]
        if port not in c.input_slots:
            raise ModelError(f"{ref} is an output; only inputs have a given value", [{"port": ref}])
        if port in c.drivers:
            raise ModelError(f"{ref} is connected; force it instead", [{"port": ref}])
        slot = c.input_slots[port]
        coerced = _coerce(self.plan.port_types[ref], value)
        previous = self.plan.initial_values[slot]

        def apply() -> None:
            self.plan.initial_values[slot] = coerced
            if (comp, port) not in self._forces:
                self.values[slot] = coerced
            base = self._base_slots.get((comp, port))
            if base is not None:
                self.values[base] = coerced

        self.call_at_boundary(apply)
        return previous

    def _apply_pending(self) -> None:
        with self._lock:
            changes, self._pending = self._pending, []
        for change in changes:
            change()
        self._dirty = True

    def force(self, ref: str, value: Any) -> None:
        """Hold a port at a value against every other writer until released."""
        comp, port = self._port(ref)
        dtype = self.plan.port_types[f"{comp}.{port}"]
        problem = input_value_problem(
            type("P", (), {"data_type": dtype})(), value)  # type: ignore[arg-type]
        if problem and not (dtype == "float" and isinstance(value, (int, float))):
            raise ModelError(f"force value for {ref} ({dtype}): {problem}", [{"port": ref, "message": problem}])
        coerced = _coerce(dtype, value)

        def apply() -> None:
            self._forces[(comp, port)] = coerced

        with self._lock:
            self._requested_forces[(comp, port)] = coerced
            self._pending.append(apply)

    def release(self, ref: str) -> bool:
        """Release a force (also one still waiting for its tick boundary); False if the port was not forced."""
        comp, port = self._port(ref)

        def apply() -> None:
            self._forces.pop((comp, port), None)
            self._restore_input(comp, port)

        with self._lock:
            if (comp, port) not in self._requested_forces:
                return False
            del self._requested_forces[(comp, port)]
            self._pending.append(apply)
        return True

    def _restore_input(self, comp: str, port: str) -> None:
        """An unconnected input's own slot goes back to its given or default value (after a force/fault)."""
        c = self.plan.by_name[comp]
        if port in c.input_slots and (comp, port) not in self._forces:
            slot = c.input_slots[port]
            self.values[slot] = self.plan.initial_values[slot]

    def set_transform(self, ref: str, fn: Callable[[Any, float], Any] | None) -> None:
        """Route a port through ``fn(value, t)`` every tick (faults); None removes it."""
        comp, port = self._port(ref)

        def apply() -> None:
            if fn is None:
                self._transforms.pop((comp, port), None)
                self._restore_input(comp, port)
            else:
                self._transforms[(comp, port)] = fn

        self.call_at_boundary(apply)

    def set_parameter(self, component: str, name: str, value: Any) -> None:
        """Change one parameter; takes effect at the next tick boundary."""
        c = self.plan.by_name.get(component)
        if c is None:
            valid = sorted(self.plan.by_name)
            raise ModelError(f"unknown component {component!r}{hint(component, valid)}",
                             [{"component": component, "valid": valid, **hint_details(component, valid)}])
        with self._lock:  # several changes before one boundary add up
            params = validate_parameters(c.cls.name, {**self._requested_params.get(component, c.params), name: value})
            self._requested_params[component] = params

        def apply() -> None:
            c.params = params

        self.call_at_boundary(apply)

    def replace_document(self, doc: ModelDocument) -> str:
        """Switch to an edited model at the next tick boundary; returns ``"parameters"`` or ``"graph"``.

        With the same components, types, connections and bindings only parameters and the values of
        unconnected inputs change, and nothing is re-sorted. Otherwise the new document is compiled here
        (a ModelError leaves the run on its current model) and swapped in at the boundary: components that
        keep their name and type keep their state, outputs and random stream; forces and faults on ports
        that still exist stay; recorded ports that disappear record None. A run exchanging values with a
        PortIO or a served twin accepts only changes that keep every port and binding.
        """
        old = self.plan.doc
        same_graph = (
            [(c.name, c.type) for c in old.components] == [(c.name, c.type) for c in doc.components]
            and sorted(map(_connection_key, old.connections)) == sorted(map(_connection_key, doc.connections))
            and sorted(map(_binding_key, old.bindings)) == sorted(map(_binding_key, doc.bindings))
        )
        if same_graph:
            for spec in doc.components:
                c = self.plan.by_name[spec.name]
                if spec.parameters != c.params:
                    params = validate_parameters(c.cls.name, spec.parameters)
                    with self._lock:
                        self._requested_params[spec.name] = params
                    self.call_at_boundary(partial(setattr, c, "params", params))
                for port in c.cls.inputs:
                    given = spec.inputs.get(port.name, port.default)
                    unconnected = port.name not in c.drivers and (spec.name, port.name) not in self.plan.bound_inputs
                    current = self.plan.initial_values[c.input_slots[port.name]]
                    if unconnected and given is not None and given != current:
                        self.set_input(f"{spec.name}.{port.name}", given)
            self.call_at_boundary(lambda: setattr(self.plan, "doc", doc))
            return "parameters"
        new_plan = compile_model(doc, self.dt)
        if (self.io is not None or self._publish is not None) and (
            new_plan.port_names() != self.plan.port_names()
            or sorted(map(_binding_key, old.bindings)) != sorted(map(_binding_key, doc.bindings))
        ):
            raise ModelError("this run exchanges values with a PLC or serves the twin over OPC UA: a change that "
                             "adds, removes or rebinds ports needs a new run", [{"loc": "components"}])
        self.call_at_boundary(lambda: self._swap_plan(new_plan))
        return "graph"

    def _swap_plan(self, new: Plan) -> None:
        old, old_values = self.plan, list(self.values)
        values = list(new.initial_values)
        old_rngs = {c.name: self._rngs[c.index] for c in old.components}
        rngs = []
        for c in new.components:
            kept = old.by_name.get(c.name)
            same = kept is not None and kept.cls is c.cls
            rngs.append(old_rngs[c.name] if same else random.Random(f"{self.seed}:{c.name}"))
            if kept is None or not same:
                continue
            for name, slot in c.state_slots.items():
                values[slot] = old_values[kept.state_slots[name]]
            for name, slot in c.output_slots.items():
                values[slot] = old_values[kept.output_slots[name]]
        ports = {tuple(p.split(".")) for p in new.port_names()}
        with self._lock:
            self._forces = {k: v for k, v in self._forces.items() if k in ports}
            self._requested_forces = {k: v for k, v in self._requested_forces.items() if k in ports}
            self._requested_params = {}
        self._transforms = {k: fn for k, fn in self._transforms.items() if k in ports}
        self._base_slots = {}
        self._none_slot = None
        self._quality_slots = {}
        self.plan = new
        self.values[:] = values  # the tick loop holds this very list
        self._rngs[:] = rngs
        self._dirty = True

    def apply_now(self) -> None:
        """Apply pending changes immediately (between runs)."""
        self._apply_pending()
        self._rebuild()

    # ------------------------------------------------------------------ building

    def _rebuild(self) -> None:
        ov = Overrides()
        self._forced_values = []
        transforms: list[Any] = []
        for key, value in self._forces.items():
            ov.forced[key] = len(self._forced_values)
            self._forced_values.append(value)
            c = self.plan.by_name[key[0]]
            if key[1] in c.input_slots:
                self.values[c.input_slots[key[1]]] = value
        for key, fn in self._transforms.items():
            c = self.plan.by_name[key[0]]
            if key[1] in c.output_slots:
                ov.transforms[key] = len(transforms)
                transforms.append(fn)
        for key, fn in self._transforms.items():
            c = self.plan.by_name[key[0]]
            if key[1] in c.input_slots and key not in self._forces:  # a force wins over a fault
                ov.input_transforms[key] = len(transforms)
                transforms.append(fn)
                if key[1] not in c.drivers and key not in self.plan.bound_inputs:
                    if key not in self._base_slots:  # the input's given value, kept apart from its faulted one
                        self._base_slots[key] = len(self.values)
                        self.values.append(self.plan.initial_values[c.input_slots[key[1]]])
                    ov.input_bases[key] = self._base_slots[key]
        self._step = build_step(self.plan, self._rngs, self._forced_values, transforms, ov)
        if self._io_reads and not self._quality_slots:
            for b in self._io_reads:  # after the plan's slots (a new plan starts without them)
                self._quality_slots[b.port] = len(self.values)
                self.values.append(GOOD)
        # Bound reads skip forced ports: a force wins over the PLC (and its value is what it says: good).
        self._read_slots = []
        for b in self._io_reads:
            comp, port = b.port.split(".")
            slot = self.plan.by_name[comp].input_slots[port]
            dtype = self.plan.port_types[b.port]
            qslot = self._quality_slots[b.port]
            if (comp, port) in self._forces:
                self.values[qslot] = GOOD
                self._read_slots.append(None)
            else:
                self._read_slots.append((slot, b.scale, b.offset, dtype, qslot))
        if self._io_writes:
            self._write_get = _getter([self._slot(*_split(b.port)) for b in self._io_writes])
        if self.recording is not None:
            self._rec_get = _getter([self._recorded_slot(p) for p in self.recording.ports])
        if self._publish is not None:
            overridden = set(self._forces) | set(self._transforms)
            slots = [self.plan.read_slot(*_split(p), overridden) for p in self.plan.port_names()]
            if self._pub_quality:
                slots += [self._quality_slots[b.port] for b in self._io_reads]
            self._pub_get = _getter(slots)
        self._dirty = False

    def _recorded_slot(self, ref: str) -> int:
        """A recorded port's slot; a port the model lost while recording reads a slot holding None."""
        if ref.endswith(QUALITY_SUFFIX):
            qslot = self._quality_slots.get(ref[: -len(QUALITY_SUFFIX)])
            if qslot is not None:
                return qslot
        comp, _, port = ref.partition(".")
        c = self.plan.by_name.get(comp)
        if c is not None and (port in c.output_slots or port in c.input_slots):
            return self._slot(comp, port)
        if self._none_slot is None:
            self._none_slot = len(self.values)
            self.values.append(None)
        return self._none_slot

    def set_publisher(self, fn: Callable[[tuple[Any, ...]], None] | None, quality: bool = False) -> None:
        """After every tick hand every port's value (``port_names()`` order) to ``fn``; set before ``run``.

        With ``quality`` the tuple goes on with the quality of each read binding (``read_ports()`` order) once a
        PortIO is open; without one it holds the ports only.
        """
        self._publish = fn
        self._pub_quality = quality
        self._dirty = True

    def read_ports(self) -> list[str]:
        """The ports fed by the PortIO's read bindings, in binding order (known once ``open_io`` has run)."""
        return [b.port for b in self._io_reads]

    def read_quality(self) -> dict[str, Any]:
        """Quality of the PLC reads so far: ticks read, per binding and overall the stale and bad ticks and their
        share (stale_ratio, bad_ratio), and degraded ticks (some binding stale or bad) and their simulated time."""
        ticks = self.io_ticks
        bindings: list[dict[str, Any]] = []
        for b, (stale, bad) in zip(self._io_reads, self._quality_counts or [[0, 0]] * len(self._io_reads)):
            bindings.append({
                "port": b.port, "endpoint": b.endpoint, "node_id": b.node_id, "stale": stale, "bad": bad,
                "stale_ratio": stale / ticks if ticks else 0.0, "bad_ratio": bad / ticks if ticks else 0.0,
            })  # fmt: skip
        samples = ticks * len(bindings)
        stale = sum(b["stale"] for b in bindings)
        bad = sum(b["bad"] for b in bindings)
        return {
            "ticks": ticks,
            "samples": samples,
            "stale": stale,
            "bad": bad,
            "stale_ratio": stale / samples if samples else 0.0,
            "bad_ratio": bad / samples if samples else 0.0,
            "degraded_ticks": self.degraded_ticks,
            "degraded_time": self.degraded_ticks * self.dt,
            "bindings": bindings,
        }

    def set_recording(self, patterns: Sequence[str] | None, every: int = 1) -> Recording:
        """Record ports matching glob patterns ("*" or "tank.*"); empty or None records every port."""
        names = self.plan.port_names()
        chosen = [n for n in names if _matches(n, patterns)] if patterns else names
        if not chosen:
            raise ModelError(f"no port matches {list(patterns or [])}", [{"patterns": list(patterns or [])}])
        if every < 1:
            raise ModelError("record_every must be >= 1", [{"record_every": every}])
        self.recording = Recording(chosen, every)
        self._add_quality_columns()
        self._dirty = True
        return self.recording

    def _add_quality_columns(self) -> None:
        """Put ``<port>:quality`` right after each recorded read-bound port (once a PortIO is open)."""
        rec = self.recording
        if rec is None or not self._io_reads:
            return
        ports: list[str] = []
        reads = {b.port for b in self._io_reads}
        for name in rec.ports:
            if name.endswith(QUALITY_SUFFIX):
                continue
            ports.append(name)
            if name in reads:
                ports.append(name + QUALITY_SUFFIX)
        rec.ports[:] = ports

    # ------------------------------------------------------------------ I/O

    def _typed(self, b: BindingSpec) -> BindingSpec:
        # The port's type is what the adapter checks the node against; a scaled binding may legitimately
        # cross types (float port <-> Int16 raw), so it is checked only if the binding states a type.
        if b.data_type is not None or b.scale != 1.0 or b.offset != 0.0:
            return b
        return replace(b, data_type=self.plan.port_types[b.port], inferred_type=True)

    def open_io(self) -> None:
        if self.io is None:
            return
        bindings = [self._typed(b) for b in self.plan.doc.bindings]
        self._io_reads = [b for b in bindings if b.direction == "read"]
        self._io_writes = [b for b in bindings if b.direction == "write"]
        self._write_scale = [(b.scale, b.offset) for b in self._io_writes]
        self.io.open(self._io_reads, self._io_writes)
        self._quality_counts = [[0, 0] for _ in self._io_reads]
        self._add_quality_columns()
        self._dirty = True

    def close_io(self) -> None:
        if self.io is not None:
            self.io.close()

    def _exchange_reads(self) -> None:
        raw = self.io.read()  # type: ignore[union-attr]
        values = self.values
        self.io_ticks += 1
        missing = False
        for target, value in zip(self._read_slots, raw):
            if target is None:
                continue  # forced: the force wins
            if value is None:
                missing = True  # no fresh value: hold the last good one (quality set below)
                continue
            slot, scale, offset, dtype, qslot = target
            values[qslot] = GOOD
            if dtype == "bool":
                values[slot] = bool(value)
            elif dtype == "int":
                values[slot] = round_half_away(value * scale + offset)
            else:
                values[slot] = float(value) * scale + offset
        if missing:
            self._mark_missing(raw)

    def _mark_missing(self, raw: Sequence[Any]) -> None:
        """A tick with held values: mark each one stale, or bad where the server answered a Bad status."""
        bad_reads = getattr(self.io, "bad_reads", None)
        bad = bad_reads() if bad_reads is not None else ()
        values, counts = self.values, self._quality_counts
        for i, (target, value) in enumerate(zip(self._read_slots, raw)):
            if target is None or value is not None:
                continue
            quality = BAD if i in bad else STALE
            values[target[4]] = quality
            counts[i][quality - 1] += 1
        self.degraded_ticks += 1

    def _exchange_writes(self) -> None:
        current = self._write_get(self.values)  # type: ignore[misc]
        out = []
        for value, (scale, offset) in zip(current, self._write_scale):
            if scale == 1.0 and offset == 0.0 or isinstance(value, bool):
                out.append(value)
            else:
                out.append((value - offset) / scale)
        self.io.write(out)  # type: ignore[union-attr]

    # ------------------------------------------------------------------ ticking

    def step(self, n: int = 1) -> None:
        """Advance n ticks as fast as possible."""
        self.run(ticks=n)

    def run(
        self,
        ticks: int | None = None,
        duration: float | None = None,
        clock: Clock | None = None,
        on_tick: Callable[[Simulator], None] | None = None,
        progress_every: int = 0,
    ) -> None:
        """Tick until ``ticks``/``duration`` are done or ``stop_requested`` is set; pacing from ``clock``."""
        if ticks is None and duration is not None:
            ticks = max(0, round(duration / self.dt))
        end = None if ticks is None else self.tick + ticks
        clock = clock or FastClock()
        clock.start(self.dt, self.tick)
        started = time.perf_counter()
        io = self.io
        dt = self.dt
        values = self.values
        try:
            while end is None or self.tick < end:
                if self._pending:
                    self._apply_pending()
                if self._dirty:
                    self._rebuild()
                if self.stop_requested:
                    break
                step = self._step
                rec = self.recording
                every = rec.every if rec is not None else 0
                # Bound once here, not looked up per recorded tick.
                add_time = rec.times.append if rec is not None else _discard
                add_row = rec.rows.append if rec is not None else _discard
                rec_get = self._rec_get
                publish, pub_get = self._publish, self._pub_get
                hooks = self._tick_hooks
                # Inner loop: no change pending; one generated call per tick.
                while (end is None or self.tick < end) and not self._pending and not self.stop_requested:
                    k = self.tick
                    t = k * dt
                    clock.wait(k)
                    if io is not None:
                        self._exchange_reads()
                    step(values, t)
                    if every and k % every == 0:
                        add_time(t)
                        add_row(rec_get(values))
                    if io is not None:
                        self._exchange_writes()
                    if publish is not None:
                        publish(pub_get(values))  # type: ignore[misc]
                    self.tick = k + 1
                    for hook in hooks:
                        hook(self)
                    if on_tick is not None and (not progress_every or self.tick % progress_every == 0):
                        on_tick(self)
        except Exception as exc:  # a generated-code or I/O failure becomes a run error
            if isinstance(exc, RunError):
                raise
            raise RunError(f"tick {self.tick} (t={self.tick * dt:g} s) failed: {type(exc).__name__}: {exc}") from exc
        finally:
            self.wall_time += time.perf_counter() - started


def run_document(doc: ModelDocument, duration: float, *, seed: int = 0, dt: float | None = None,
                 record: Iterable[str] | None = None, record_every: int = 1) -> Simulator:
    """Convenience: simulate ``duration`` seconds as fast as possible and return the finished simulator."""
    sim = Simulator(doc, dt=dt, seed=seed, record=list(record) if record is not None else None,
                    record_every=record_every)
    sim.run(duration=duration)
    return sim
