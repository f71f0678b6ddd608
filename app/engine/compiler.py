"""Model document -> execution plan -> generated tick function.

Compile once per graph change: ports become integer slots in one flat value list, the execution
order is a topological sort of the port-level graph (feedthrough derived from each type's code,
ties broken by document order), and the behaviour of every component is emitted as straight-line
Python into one function. Parameter or force changes regenerate that function without re-sorting.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
import textwrap
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ._exceptions import AlgebraicLoopError, GraphError
from .components import REGISTRY, ComponentType
from .components._base import PLACEHOLDER, Code
from .document import ModelDocument

if TYPE_CHECKING:
    import networkx as nx

_RNG = re.compile(r"\b_rng\b")

StepFunction = Callable[[list[Any], float], None]


@dataclass
class CompiledComponent:
    index: int
    name: str
    cls: type[ComponentType]
    params: dict[str, Any]
    output_slots: dict[str, int]
    input_slots: dict[str, int]  # each input's own slot (value when unconnected, forced or bound)
    state_slots: dict[str, int]
    drivers: dict[str, int] = field(default_factory=dict)  # input -> driving output slot


@dataclass
class Plan:
    """The compiled, runnable form of a model document."""

    doc: ModelDocument
    dt: float
    components: list[CompiledComponent]
    by_name: dict[str, CompiledComponent]
    output_order: list[tuple[int, str]]  # (component index, output name) in execution order
    order: list[str]  # component names in execution order (first output computed)
    initial_values: list[Any]
    port_types: dict[str, str]  # "comp.port" -> data type
    bound_inputs: frozenset[tuple[str, str]]  # inputs driven by read bindings

    @property
    def slot_count(self) -> int:
        return len(self.initial_values)

    def port_names(self) -> list[str]:
        """Every port as "component.port", components in document order, inputs then outputs."""
        names: list[str] = []
        for c in self.components:
            names.extend(f"{c.name}.{p}" for p in c.cls.input_ports)
            names.extend(f"{c.name}.{p}" for p in c.cls.output_ports)
        return names

    def read_slot(self, comp: str, port: str, overridden: Iterable[tuple[str, str]] = ()) -> int:
        """The slot holding a port's current value."""
        c = self.by_name[comp]
        if port in c.output_slots:
            return c.output_slots[port]
        if port in c.drivers and (comp, port) not in overridden and (comp, port) not in self.bound_inputs:
            return c.drivers[port]
        return c.input_slots[port]


@dataclass
class PortGraph:
    """Port-level dependency graph as integer adjacency lists; node ids follow document order."""

    names: list[tuple[str, str]]
    successors: list[list[int]]

    def to_networkx(self) -> nx.DiGraph:
        import networkx as nx  # imported when needed: it costs a fifth of a second at start-up

        g = nx.DiGraph()
        g.add_nodes_from(range(len(self.names)))
        g.add_edges_from((u, v) for u, succ in enumerate(self.successors) for v in succ)
        return g


def port_graph(doc: ModelDocument) -> PortGraph:
    """Edges: every connection (output -> input) and, inside a component, input/output -> the outputs reading it."""
    names: list[tuple[str, str]] = []
    ids: dict[tuple[str, str], int] = {}
    for comp in doc.components:
        cls = REGISTRY[comp.type]
        for port in (*cls.input_ports, *cls.output_ports):
            ids[(comp.name, port)] = len(names)
            names.append((comp.name, port))
    successors: list[list[int]] = [[] for _ in names]
    for comp in doc.components:
        cls = REGISTRY[comp.type]
        for out in cls.output_ports:
            o = ids[(comp.name, out)]
            for i in cls.feedthrough[out]:
                successors[ids[(comp.name, i)]].append(o)
            for d in cls.local_deps[out]:
                successors[ids[(comp.name, d)]].append(o)
    for conn in doc.connections:
        successors[ids[(conn.source, conn.source_port)]].append(ids[(conn.target, conn.target_port)])
    return PortGraph(names, successors)


def _topological_order(graph: PortGraph) -> list[int]:
    """Kahn's algorithm taking the smallest ready id first: a stable order. Shorter than the graph on a cycle."""
    indegree = [0] * len(graph.names)
    for succ in graph.successors:
        for v in succ:
            indegree[v] += 1
    ready = [n for n, d in enumerate(indegree) if d == 0]
    heapq.heapify(ready)
    order: list[int] = []
    successors = graph.successors
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for v in successors[n]:
            indegree[v] -= 1
            if indegree[v] == 0:
                heapq.heappush(ready, v)
    return order


def _loop_problems(graph: PortGraph, ordered: list[int]) -> list[dict[str, Any]]:
    """Name every algebraic loop: one cycle per strongly connected component of the unordered rest (networkx)."""
    import networkx as nx

    done = set(ordered)
    rest = [n for n in range(len(graph.names)) if n not in done]
    g = nx.DiGraph()
    g.add_nodes_from(rest)
    g.add_edges_from((u, v) for u in rest for v in graph.successors[u] if v not in done)
    names = graph.names
    problems = []
    for scc in nx.strongly_connected_components(g):
        if len(scc) < 2:
            continue
        cycle_edges = nx.find_cycle(g.subgraph(scc))
        ports = [f"{names[u][0]}.{names[u][1]}" for u, _ in cycle_edges]
        ports.append(ports[0])
        comps = sorted({names[n][0] for n in scc})
        problems.append({
            "code": "algebraic_loop",
            "loc": "connections",
            "message": "algebraic loop through feedthrough ports: " + " -> ".join(ports)
            + "; break it with a UnitDelay (or another stateful block) on one of these connections",
            "cycle": ports,
            "components": comps,
        })
    problems.sort(key=lambda p: tuple(p["cycle"]))
    return problems


def _split(ref: str) -> tuple[str, str]:
    comp, _, port = ref.partition(".")
    return comp, port


def _analyse(doc: ModelDocument) -> tuple[list[dict[str, Any]], PortGraph, list[int]]:
    problems: list[dict[str, Any]] = []
    driven = {(c.target, c.target_port) for c in doc.connections}
    driven |= {_split(b.port) for b in doc.bindings if b.direction == "read"}
    for i, comp in enumerate(doc.components):
        cls = REGISTRY[comp.type]
        for port in cls.inputs:
            if port.required and (comp.name, port.name) not in driven and port.name not in comp.inputs:
                problems.append({
                    "code": "unconnected_input",
                    "loc": f"components[{i}].inputs.{port.name}",
                    "message": f"input {comp.name}.{port.name} has no driver and no default; connect an output "
                               f"to it or give a value in the component's 'inputs'",
                    "port": f"{comp.name}.{port.name}",
                })
    graph = port_graph(doc)
    order = _topological_order(graph)
    if len(order) < len(graph.names):
        problems.extend(_loop_problems(graph, order))
    return problems, graph, order


def check_model(doc: ModelDocument) -> list[dict[str, Any]]:
    """Every graph-level reason the model cannot run (all at once); empty when runnable."""
    return _analyse(doc)[0]


def _zero(data_type: str) -> Any:
    return False if data_type == "bool" else 0 if data_type == "int" else 0.0


def compile_model(doc: ModelDocument, dt: float | None = None) -> Plan:
    """Compile a parsed document; ModelError listing every problem if it cannot run."""
    problems, graph, node_order = _analyse(doc)
    if problems:
        # The most specific class that covers every problem (both are ModelErrors).
        error = AlgebraicLoopError if all(p["code"] == "algebraic_loop" for p in problems) else GraphError
        raise error(f"the model cannot run: {problems[0]['message']}"
                         + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""), problems)
    step = float(dt if dt is not None else doc.dt)
    names = graph.names
    values: list[Any] = []
    components: list[CompiledComponent] = []
    port_types: dict[str, str] = {}

    def alloc(value: Any) -> int:
        values.append(value)
        return len(values) - 1

    for index, spec in enumerate(doc.components):
        cls = REGISTRY[spec.type]
        out_slots = {p.name: alloc(_zero(p.data_type)) for p in cls.outputs}
        in_slots = {}
        for p in cls.inputs:
            given = spec.inputs.get(p.name, p.default)
            in_slots[p.name] = alloc(_zero(p.data_type) if given is None else given)
        init = cls.initial_state(spec.parameters)
        state_slots = {s: alloc(init[s]) for s in cls.states}
        for p in (*cls.inputs, *cls.outputs):
            port_types[f"{spec.name}.{p.name}"] = p.data_type
        components.append(
            CompiledComponent(index, spec.name, cls, dict(spec.parameters), out_slots, in_slots, state_slots))
    by_name = {c.name: c for c in components}
    for conn in doc.connections:
        by_name[conn.target].drivers[conn.target_port] = by_name[conn.source].output_slots[conn.source_port]

    output_order: list[tuple[int, str]] = []
    order: list[str] = []
    seen: set[str] = set()
    for node in node_order:
        comp, port = names[node]
        c = by_name[comp]
        if port in c.output_slots:
            output_order.append((c.index, port))
            if comp not in seen:
                seen.add(comp)
                order.append(comp)
    order.extend(c.name for c in components if c.name not in seen)
    bound = frozenset(_split(b.port) for b in doc.bindings if b.direction == "read")
    return Plan(doc, step, components, by_name, output_order, order, values, port_types, bound)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ codegen


def _literal(value: Any) -> str:
    if isinstance(value, Code):
        return f"({value})"
    if isinstance(value, float):
        if math.isinf(value):
            return "_inf" if value > 0 else "(-_inf)"
        return f"({value!r})" if value < 0 else repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return f"({value!r})"
    return repr(value)


def _format_template(template: str) -> str:
    """A type's template as a ``str.format_map`` pattern: dedented, braces escaped, ``_rng`` a field."""
    code = textwrap.dedent(template.strip("\n"))
    parts = PLACEHOLDER.split(code)  # text, name, text, name, ...
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append("{" + part + "}")
        else:
            out.append(_RNG.sub("{_rng}", part.replace("{", "{{").replace("}", "}}")))
    return "\n".join("    " + line for line in "".join(out).splitlines())


_TEMPLATES: dict[type[ComponentType], tuple[dict[str, str], str]] = {}


def _templates(cls: type[ComponentType]) -> tuple[dict[str, str], str]:
    """The type's templates as format patterns, prepared once per type."""
    cached = _TEMPLATES.get(cls)
    if cached is not None:
        return cached
    outputs = {name: _format_template(code) for name, code in cls.output_code.items()}
    cached = (outputs, _format_template(cls.update_code) if cls.update_code else "")
    _TEMPLATES[cls] = cached
    return cached


@dataclass
class Overrides:
    """What the generated code must route around: forced ports, faulted ports."""

    forced: dict[tuple[str, str], int] = field(default_factory=dict)  # port -> index into F
    transforms: dict[tuple[str, str], int] = field(default_factory=dict)  # output port -> index into X
    input_transforms: dict[tuple[str, str], int] = field(default_factory=dict)  # input port -> index into X
    input_bases: dict[tuple[str, str], int] = field(default_factory=dict)  # undriven faulted input -> raw slot


def generate_source(plan: Plan, overrides: Overrides | None = None) -> str:
    """Python source of ``step(v, t)`` for the plan: every output in order, then every state update."""
    ov = overrides or Overrides()
    own_inputs = set(ov.forced) | set(ov.transforms) | set(ov.input_transforms) | set(plan.bound_inputs)
    lines = ["def step(v, t):"]
    mappings: list[dict[str, str]] = []
    dt_lit = repr(plan.dt)
    for c in plan.components:
        m: dict[str, str] = {"t": "t", "dt": dt_lit, "_rng": f"_R[{c.index}]"}
        for name, value in c.params.items():
            m[name] = _literal(value) if value is not None else "None"
        for name, value in c.cls.constants(c.params, plan.dt).items():
            m[name] = _RNG.sub(m["_rng"], _literal(value)) if isinstance(value, Code) else _literal(value)
        for name, slot in c.state_slots.items():
            m[name] = f"v[{slot}]"
        for name, slot in c.input_slots.items():
            key = (c.name, name)
            if name in c.drivers and key not in own_inputs:
                slot = c.drivers[name]
            m[name] = f"v[{slot}]"
        for name, slot in c.output_slots.items():
            m[name] = f"v[{slot}]"
        mappings.append(m)
    # A faulted input gets its own slot: computed from its driver right after the driver's output (so the
    # reader sees this tick's value), or, when undriven, from its raw value at the start of the tick (a
    # separate base slot, else the effect would pile up tick after tick).
    body: list[str] = []
    after_output: dict[int, list[str]] = {}
    for (comp, port), j in ov.input_transforms.items():
        c = plan.by_name[comp]
        slot = c.input_slots[port]
        driver = c.drivers.get(port)
        if driver is None or (comp, port) in plan.bound_inputs:
            body.append(f"v[{slot}] = _X[{j}](v[{ov.input_bases.get((comp, port), slot)}], t)")
        else:
            after_output.setdefault(driver, []).append(f"v[{slot}] = _X[{j}](v[{driver}], t)")
    for comp_index, out in plan.output_order:
        c = plan.components[comp_index]
        body.append(_templates(c.cls)[0][out].format_map(mappings[comp_index]))
        key = (c.name, out)
        slot = c.output_slots[out]
        if key in ov.transforms:
            body.append(f"v[{slot}] = _X[{ov.transforms[key]}](v[{slot}], t)")
        if key in ov.forced:
            body.append(f"v[{slot}] = _F[{ov.forced[key]}]")
        body.extend(after_output.get(slot, ()))
    for c in plan.components:
        update = _templates(c.cls)[1]
        if update:
            body.append(update.format_map(mappings[c.index]))
    if not body:
        body = ["    pass"]
    # Generated lines from templates are already indented; lines added here are not.
    lines.extend(line if line.startswith("    ") else "    " + line for line in body)
    return "\n".join(lines) + "\n"


_NAMESPACE = {"_sin": math.sin, "_cos": math.cos, "_exp": math.exp, "_sqrt": math.sqrt, "_log": math.log,
              "_inf": math.inf, "min": min, "max": max, "bool": bool, "float": float, "int": int}


# Compiled step functions by the sha1 of their source. Python's compile is the slow part of a build
# (about 1 s for 10,000 components); the same source comes back often: every scenario of one model,
# every run of a stored model, a force released (back to the source without it).
_CODE_CACHE: OrderedDict[str, CodeType] = OrderedDict()
_CODE_CACHE_SIZE = 32
_CODE_CACHE_LOCK = threading.Lock()


def _compiled(source: str, name: str) -> CodeType:
    key = hashlib.sha1(source.encode()).hexdigest()
    with _CODE_CACHE_LOCK:
        code = _CODE_CACHE.get(key)
        if code is not None:
            _CODE_CACHE.move_to_end(key)
            return code
    code = compile(source, f"<plan {name}>", "exec")
    with _CODE_CACHE_LOCK:
        _CODE_CACHE[key] = code
        while len(_CODE_CACHE) > _CODE_CACHE_SIZE:
            _CODE_CACHE.popitem(last=False)
    return code


def build_step(plan: Plan, rngs: list[Any], forced_values: list[Any], transforms: list[Any],
               overrides: Overrides | None = None) -> StepFunction:
    """Compile the generated source into a function bound to the run's RNGs, force values and transforms."""
    source = generate_source(plan, overrides)
    namespace = dict(_NAMESPACE, _R=rngs, _F=forced_values, _X=transforms)
    exec(_compiled(source, plan.doc.name), namespace)  # noqa: S102 - generated from checked specs
    step: StepFunction = namespace["step"]  # type: ignore[assignment]
    return step
