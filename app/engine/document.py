"""The model document: one JSON/YAML file that carries a whole machine model.

It is what the API imports and exports and what the headless CLI runs. ``parse_document`` checks
the whole document and reports every problem with its location (``components[3].parameters.k``);
graph-level checks (algebraic loops, unconnected inputs) live in the compiler.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ._exceptions import DocumentError, SimulationError
from ._hints import hint, hint_details
from .components import REGISTRY, component_type_names, input_value_problem, parameter_problems, types_compatible
from .io import BindingSpec, EndpointSpec

SCHEMA_VERSION = 1
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
_NAME = re.compile(NAME_PATTERN)
_NODE_ID = re.compile(r"^(?:(?:ns=\d+|nsu=[^;]+);)?(?:i=\d+|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                      r"[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/=]+)$", re.S)
SECURITY_POLICIES = ("None", "Basic256Sha256")
SECURITY_MODES = ("None", "Sign", "SignAndEncrypt")
DIRECTIONS = ("read", "write")
_TOP_KEYS = ("schema_version", "name", "description", "dt", "components", "connections", "endpoints", "bindings")


def node_id_problem(node_id: Any) -> str | None:
    """Why a text is not an OPC UA node id (``ns=2;s=Tag``, ``nsu=urn:x;i=5``...), or None."""
    if not isinstance(node_id, str) or not _NODE_ID.match(node_id):
        return "not a valid OPC UA node id; expected e.g. 'ns=2;s=Tank.Level', 'nsu=urn:plant;s=Tag' or 'i=2258'"
    return None


@dataclass
class ComponentSpec:
    name: str
    type: str
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "parameters": dict(self.parameters)}
        if self.inputs:
            d["inputs"] = dict(sorted(self.inputs.items()))
        return d


@dataclass(frozen=True)
class ConnectionSpec:
    source: str
    source_port: str
    target: str
    target_port: str

    def to_dict(self) -> dict[str, str]:
        return {"from": f"{self.source}.{self.source_port}", "to": f"{self.target}.{self.target_port}"}


@dataclass
class ModelDocument:
    """A parsed, checked model document."""

    name: str
    dt: float = 0.01
    description: str = ""
    components: list[ComponentSpec] = field(default_factory=list)
    connections: list[ConnectionSpec] = field(default_factory=list)
    endpoints: list[EndpointSpec] = field(default_factory=list)
    bindings: list[BindingSpec] = field(default_factory=list)

    def component(self, name: str) -> ComponentSpec:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The canonical form: stable order, so export -> import -> export is identical."""
        d: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "description": self.description,
            "dt": self.dt,
            "components": [c.to_dict() for c in sorted(self.components, key=lambda c: c.name)],
            "connections": [c.to_dict() for c in sorted(self.connections, key=lambda c: (c.target, c.target_port))],
        }
        if self.endpoints:
            d["endpoints"] = [_endpoint_dict(e) for e in sorted(self.endpoints, key=lambda e: e.name)]
        if self.bindings:
            ordered = sorted(self.bindings, key=lambda b: (b.port, b.direction, b.node_id))
            d["bindings"] = [_binding_dict(b) for b in ordered]
        return d

    def digest(self) -> str:
        """sha256 of the canonical JSON form: identifies the model in run summaries."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _endpoint_dict(e: EndpointSpec) -> dict[str, Any]:
    d: dict[str, Any] = {"name": e.name, "url": e.url, "security_policy": e.security_policy,
                         "security_mode": e.security_mode, "username": e.username}  # fmt: skip
    # Only when set, so documents without the overrides export as before.
    for key in ("max_nodes_per_read", "max_nodes_per_write"):
        if getattr(e, key) is not None:
            d[key] = getattr(e, key)
    return d


def _binding_dict(b: BindingSpec) -> dict[str, Any]:
    return {"port": b.port, "endpoint": b.endpoint, "node_id": b.node_id, "direction": b.direction,
            "data_type": b.data_type, "scale": b.scale, "offset": b.offset}


# ---------------------------------------------------------------------------------------------- text


MAX_NESTING = 64
"""Deepest nesting of objects and lists a document (or a JSON request body) may have."""


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases (a small document must not expand) and with a nesting limit."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                problem=f"aliases (*{event.anchor}) are not accepted; write the value out",
                problem_mark=event.start_mark,
            )
        container = self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent)
        if container:
            self._depth += 1
            if self._depth > MAX_NESTING:
                raise yaml.MarkedYAMLError(
                    problem=f"nested deeper than the limit of {MAX_NESTING} levels",
                    problem_mark=self.peek_event().start_mark,
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if container:
                self._depth -= 1


def _path(loc: str, key: Any) -> str:
    return f"{loc}[{key}]" if isinstance(key, int) else f"{loc}.{key}" if loc else str(key)


def plain_data_problems(data: Any, loc: str = "", max_depth: int = MAX_NESTING) -> list[dict[str, Any]]:
    """Located problems of parsed JSON/YAML data: nesting beyond ``max_depth``, NaN or ±Infinity anywhere.

    Iterative, so it cannot hit the recursion limit itself; at most 20 problems are listed.
    """
    problems: list[dict[str, Any]] = []
    stack: list[tuple[Any, str, int]] = [(data, loc, 0)]
    while stack and len(problems) < 20:
        value, where, depth = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                problems.append({"loc": where, "message": "must be a finite number (NaN and Infinity are not "
                                 "accepted)", "type": "finite_number"})
            continue
        if isinstance(value, dict):
            children: Any = value.items()
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            continue
        if depth >= max_depth:
            problems.append({"loc": where, "message": f"nested deeper than the limit of {max_depth} levels",
                             "type": "too_deep", "limit": max_depth})
            continue
        stack.extend((child, _path(where, key), depth + 1) for key, child in reversed(list(children)))
    return problems


def load_document(text: str | bytes, fmt: str | None = None) -> dict[str, Any]:
    """Parse JSON or YAML text (``fmt`` "json"/"yaml", or guessed) into a dict; DocumentError with the line.

    YAML aliases, nesting deeper than ``MAX_NESTING`` and NaN/Infinity values are refused.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    guess = fmt or ("json" if text.lstrip().startswith(("{", "[")) else "yaml")
    try:
        if guess == "json":
            data = json.loads(text)
        else:
            loader = _LimitedLoader(text)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()  # type: ignore[no-untyped-call]
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                            [{"loc": f"line {exc.lineno}", "message": exc.msg}]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        msg = getattr(exc, "problem", None) or str(exc)
        raise DocumentError(f"invalid YAML at {where}: {msg}", [{"loc": where, "message": str(msg)}]) from None
    except RecursionError:
        msg = f"nested deeper than the limit of {MAX_NESTING} levels"
        raise DocumentError(f"invalid {guess.upper()}: {msg}", [{"loc": "document", "message": msg,
                                                                   "limit": MAX_NESTING}]) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        msg = str(exc)[:200]
        raise DocumentError(f"invalid {guess.upper()}: {msg}", [{"loc": "document", "message": msg}]) from None
    if not isinstance(data, dict):
        raise DocumentError("the document must be an object (a mapping) at the top level",
                            [{"loc": "", "message": "must be an object"}])
    problems = plain_data_problems(data)
    if problems:
        raise DocumentError(f"invalid document: {problems[0]['loc']}: {problems[0]['message']}", problems)
    return data


def dump_document(data: dict[str, Any], fmt: str = "json") -> str:
    """Render a document dict as JSON or YAML, keeping the key order given."""
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; valid: json, yaml")


# -------------------------------------------------------------------------------------------- checks


def _split_port(ref: Any) -> tuple[str, str] | None:
    if not isinstance(ref, str) or ref.count(".") != 1:
        return None
    comp, port = ref.split(".")
    return (comp, port) if comp and port else None


def parse_document(data: Any) -> ModelDocument:
    """Check a whole document dict and return it parsed; one DocumentError lists every problem."""
    problems: list[dict[str, Any]] = []

    def bad(loc: str, message: str, **extra: Any) -> None:
        problems.append({"loc": loc, "message": message, **extra})

    if not isinstance(data, dict):
        raise DocumentError("the document must be an object", [{"loc": "", "message": "must be an object"}])
    for key in data:
        if key not in _TOP_KEYS:
            bad(str(key), f"unknown key; valid: {', '.join(_TOP_KEYS)}")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        bad("schema_version", f"unsupported schema_version {version!r}; this engine reads {SCHEMA_VERSION}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        bad("name", "required: a non-empty string")
        name = ""
    description = data.get("description") or ""
    if not isinstance(description, str):
        bad("description", "must be a string")
        description = ""
    dt = data.get("dt", 0.01)
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not dt > 0 or dt > 3600:
        bad("dt", "must be a number of seconds > 0 and <= 3600", value=dt)
        dt = 0.01

    components: list[ComponentSpec] = []
    by_name: dict[str, ComponentSpec] = {}
    raw_components = data.get("components", [])
    if not isinstance(raw_components, list):
        bad("components", "must be a list")
        raw_components = []
    valid_types = component_type_names()
    for i, raw in enumerate(raw_components):
        loc = f"components[{i}]"
        if not isinstance(raw, dict):
            bad(loc, "must be an object with name, type, parameters")
            continue
        for key in raw:
            if key not in ("name", "type", "parameters", "inputs", "description"):
                bad(f"{loc}.{key}", "unknown key; valid: name, type, parameters, inputs")
        cname = raw.get("name")
        if not isinstance(cname, str) or not _NAME.match(cname):
            bad(f"{loc}.name", f"must be a name matching {NAME_PATTERN} (letters, digits, _ and -; no dots)",
                value=cname)
            continue
        if cname in by_name:
            bad(f"{loc}.name", f"duplicate component name {cname!r}")
            continue
        ctype = raw.get("type")
        if ctype not in REGISTRY:
            bad(f"{loc}.type", f"unknown component type {ctype!r}{hint(ctype, valid_types)}; valid: "
                f"{', '.join(valid_types)}", valid=valid_types, **hint_details(ctype, valid_types))
            by_name[cname] = ComponentSpec(cname, "")
            continue
        params, param_problems = parameter_problems(ctype, raw.get("parameters") or {})
        for p in param_problems:
            bad(f"{loc}.parameters" + (f".{p['field']}" if p.get("field") else ""), p["message"],
                **{k: v for k, v in p.items() if k in ("bound", "valid", "value", "did_you_mean")})
        inputs: dict[str, Any] = {}
        raw_inputs = raw.get("inputs") or {}
        if not isinstance(raw_inputs, dict):
            bad(f"{loc}.inputs", "must be an object of input port -> value")
            raw_inputs = {}
        cls = REGISTRY[ctype]
        for port_name, value in raw_inputs.items():
            port = cls.input_ports.get(port_name)
            if port is None:
                bad(f"{loc}.inputs.{port_name}", f"{ctype} has no input port {port_name!r}"
                    f"{hint(port_name, cls.input_ports)}; valid: {', '.join(cls.input_ports) or '(none)'}",
                    valid=list(cls.input_ports), **hint_details(port_name, cls.input_ports))
                continue
            problem = input_value_problem(port, value)
            if problem is None and isinstance(value, float) and not math.isfinite(value):
                problem = "must be a finite number (NaN and Infinity are not accepted)"
            if problem:
                bad(f"{loc}.inputs.{port_name}", problem, value=value)
                continue
            inputs[port_name] = float(value) if port.data_type == "float" else value
        spec = ComponentSpec(cname, ctype, params, inputs)
        by_name[cname] = spec
        components.append(spec)

    def resolve(loc: str, ref: Any, direction: str | None) -> tuple[str, str, str] | None:
        """(component, port, data_type) of a "component.port" reference, or None after reporting."""
        parts = _split_port(ref)
        if parts is None:
            bad(loc, "must be 'component.port'", value=ref)
            return None
        comp, port = parts
        spec = by_name.get(comp)
        if spec is None:
            bad(loc, f"unknown component {comp!r}{hint(comp, by_name)}; valid: "
                f"{', '.join(sorted(by_name)) or '(none)'}", **hint_details(comp, by_name))
            return None
        if not spec.type:
            return None  # its type was already reported
        cls = REGISTRY[spec.type]
        ports = cls.output_ports if direction == "output" else cls.input_ports if direction == "input" else \
            {**cls.input_ports, **cls.output_ports}
        if port not in ports:
            kind = f"{direction} port" if direction else "port"
            other = cls.input_ports if direction == "output" else cls.output_ports if direction == "input" else {}
            wrong_way = f" ({port!r} is an {'input' if direction == 'output' else 'output'})" if port in other \
                else hint(port, ports)
            bad(loc, f"{comp} ({spec.type}) has no {kind} {port!r}{wrong_way}; valid: {', '.join(ports) or '(none)'}",
                valid=list(ports), **({} if port in other else hint_details(port, ports)))
            return None
        return comp, port, ports[port].data_type

    connections: list[ConnectionSpec] = []
    drivers: dict[tuple[str, str], str] = {}
    raw_connections = data.get("connections", [])
    if not isinstance(raw_connections, list):
        bad("connections", "must be a list")
        raw_connections = []
    for i, raw in enumerate(raw_connections):
        loc = f"connections[{i}]"
        if not isinstance(raw, dict) or "from" not in raw or "to" not in raw:
            bad(loc, "must be an object with 'from' (an output port) and 'to' (an input port)")
            continue
        src = resolve(f"{loc}.from", raw["from"], "output")
        dst = resolve(f"{loc}.to", raw["to"], "input")
        if src is None or dst is None:
            continue
        if not types_compatible(src[2], dst[2]):
            bad(loc, f"cannot connect {src[2]} output {raw['from']} to {dst[2]} input {raw['to']}")
            continue
        key = (dst[0], dst[1])
        if key in drivers:
            bad(f"{loc}.to", f"input {raw['to']} already has a driver: {drivers[key]}")
            continue
        drivers[key] = f"{loc} (from {raw['from']})"
        connections.append(ConnectionSpec(src[0], src[1], dst[0], dst[1]))

    endpoints: list[EndpointSpec] = []
    endpoint_names: set[str] = set()
    raw_endpoints = data.get("endpoints") or []
    if not isinstance(raw_endpoints, list):
        bad("endpoints", "must be a list")
        raw_endpoints = []
    for i, raw in enumerate(raw_endpoints):
        loc = f"endpoints[{i}]"
        if not isinstance(raw, dict):
            bad(loc, "must be an object with name and url")
            continue
        ename, url = raw.get("name"), raw.get("url")
        ok = True
        if not isinstance(ename, str) or not _NAME.match(ename):
            bad(f"{loc}.name", f"must be a name matching {NAME_PATTERN}")
            ok = False
        elif ename in endpoint_names:
            bad(f"{loc}.name", f"duplicate endpoint name {ename!r}")
            ok = False
        if not isinstance(url, str) or not url.startswith("opc.tcp://"):
            bad(f"{loc}.url", "must be an OPC UA url such as 'opc.tcp://127.0.0.1:4840'", value=url)
            ok = False
        policy = str(raw.get("security_policy") or "None")
        mode = str(raw.get("security_mode") or ("None" if policy == "None" else "SignAndEncrypt"))
        if policy not in SECURITY_POLICIES:
            bad(f"{loc}.security_policy", f"must be one of {', '.join(SECURITY_POLICIES)}", value=policy)
            ok = False
        if mode not in SECURITY_MODES:
            bad(f"{loc}.security_mode", f"must be one of {', '.join(SECURITY_MODES)}", value=mode)
            ok = False
        elif (policy == "None") != (mode == "None"):
            bad(f"{loc}.security_mode", "security_policy None goes with security_mode None, and only with it")
            ok = False
        for key in ("username", "password"):
            if raw.get(key) is not None and not isinstance(raw.get(key), str):
                bad(f"{loc}.{key}", "must be a string")
                ok = False
        for key in ("max_nodes_per_read", "max_nodes_per_write"):
            limit = raw.get(key)
            if limit is not None and (type(limit) is not int or limit < 1):
                bad(f"{loc}.{key}", "must be a whole number >= 1 (nodes per service call), or null", value=limit)
                ok = False
        if ok and isinstance(ename, str) and isinstance(url, str):
            endpoint_names.add(ename)
            endpoints.append(
                EndpointSpec(ename, url, policy, mode, raw.get("username"), raw.get("password"),
                             raw.get("max_nodes_per_read"), raw.get("max_nodes_per_write"))
            )  # fmt: skip

    bindings: list[BindingSpec] = []
    raw_bindings = data.get("bindings") or []
    if not isinstance(raw_bindings, list):
        bad("bindings", "must be a list")
        raw_bindings = []
    for i, raw in enumerate(raw_bindings):
        loc = f"bindings[{i}]"
        if not isinstance(raw, dict):
            bad(loc, "must be an object with port, endpoint, node_id, direction")
            continue
        direction = raw.get("direction")
        if direction not in DIRECTIONS:
            bad(f"{loc}.direction", "must be 'read' (PLC -> twin) or 'write' (twin -> PLC)", value=direction)
            continue
        target = resolve(f"{loc}.port", raw.get("port"), "input" if direction == "read" else None)
        ok = target is not None
        if raw.get("endpoint") not in endpoint_names:
            endpoint = raw.get("endpoint")
            bad(f"{loc}.endpoint", f"unknown endpoint {endpoint!r}{hint(endpoint, endpoint_names)}; valid: "
                f"{', '.join(sorted(endpoint_names)) or '(none)'}", **hint_details(endpoint, endpoint_names))
            ok = False
        problem = node_id_problem(raw.get("node_id"))
        if problem:
            bad(f"{loc}.node_id", problem, value=raw.get("node_id"))
            ok = False
        data_type = raw.get("data_type")
        if data_type is not None and data_type not in ("bool", "int", "float"):
            bad(f"{loc}.data_type", "must be bool, int or float", value=data_type)
            ok = False
        scale, offset = raw.get("scale", 1.0), raw.get("offset", 0.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale == 0 or not math.isfinite(scale):
            bad(f"{loc}.scale", "must be a finite, non-zero number", value=scale)
            ok = False
        if isinstance(offset, bool) or not isinstance(offset, (int, float)) or not math.isfinite(offset):
            bad(f"{loc}.offset", "must be a finite number", value=offset)
            ok = False
        if not ok or target is None:
            continue
        if direction == "read":
            key = (target[0], target[1])
            if key in drivers:
                bad(f"{loc}.port", f"input {raw['port']} already has a driver: {drivers[key]}")
                continue
            drivers[key] = f"{loc} (read binding {raw.get('node_id')})"
        bindings.append(BindingSpec(raw["port"], raw["endpoint"], raw["node_id"], direction, data_type,
                                    float(scale), float(offset)))

    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DocumentError(f"invalid model document: {first['loc']}: {first['message']}{more}", problems)
    return ModelDocument(name, float(dt), description, components, connections, endpoints, bindings)


def read_document_file(path: str) -> ModelDocument:
    """Load and parse a model file (.json, .yaml, .yml)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise SimulationError(f"cannot read model file {path}: {exc.strerror}") from None
    fmt = "json" if path.endswith(".json") else "yaml" if path.endswith((".yaml", ".yml")) else None
    return parse_document(load_document(text, fmt))


def document_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the model document, with each type's parameters."""
    port_ref = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_]*$",
                "description": "component.port"}
    per_type = [
        {"if": {"properties": {"type": {"const": name}}},
         "then": {"properties": {"parameters": cls.describe()["parameters"],
                                 "inputs": {"type": "object", "additionalProperties": False,
                                            "properties": {p: {} for p in cls.input_ports}}}}}
        for name, cls in sorted(REGISTRY.items())
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Machine model document",
        "type": "object",
        "required": ["name", "components"],
        "additionalProperties": False,
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "name": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "dt": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600, "default": 0.01,
                   "description": "default step in seconds"},
            "components": {"type": "array", "items": {
                "type": "object", "required": ["name", "type"], "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": NAME_PATTERN},
                    "type": {"enum": component_type_names()},
                    "parameters": {"type": "object"},
                    "inputs": {"type": "object", "description": "values for unconnected input ports"},
                    "description": {"type": "string"},
                },
                "allOf": per_type,
            }},
            "connections": {"type": "array", "items": {
                "type": "object", "required": ["from", "to"], "additionalProperties": False,
                "properties": {"from": {**port_ref, "description": "an output port"},
                               "to": {**port_ref, "description": "an input port"}},
            }},
            "endpoints": {"type": "array", "items": {
                "type": "object", "required": ["name", "url"], "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": NAME_PATTERN},
                    "url": {"type": "string", "pattern": "^opc\\.tcp://"},
                    "security_policy": {"enum": list(SECURITY_POLICIES)},
                    "security_mode": {"enum": list(SECURITY_MODES)},
                    "username": {"type": ["string", "null"]},
                    "password": {"type": ["string", "null"], "description": "accepted on import, never exported"},
                    "max_nodes_per_read": {
                        "type": ["integer", "null"], "minimum": 1,
                        "description": "nodes per Read at most, below the server's MaxNodesPerRead",
                    },
                    "max_nodes_per_write": {
                        "type": ["integer", "null"], "minimum": 1,
                        "description": "nodes per Write at most, below the server's MaxNodesPerWrite",
                    },
                },
            }},
            "bindings": {"type": "array", "items": {
                "type": "object", "required": ["port", "endpoint", "node_id", "direction"],
                "additionalProperties": False,
                "properties": {
                    "port": port_ref,
                    "endpoint": {"type": "string"},
                    "node_id": {"type": "string", "examples": ["ns=2;s=Valve1.Cmd", "nsu=urn:plant;s=Tank.Level"]},
                    "direction": {"enum": list(DIRECTIONS)},
                    "data_type": {"enum": ["bool", "int", "float", None]},
                    "scale": {"type": "number", "default": 1.0},
                    "offset": {"type": "number", "default": 0.0},
                },
            }},
        },
    }
