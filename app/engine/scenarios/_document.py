"""The scenario document: JSON Schema, parsing with located problems, and the check against a model.

A scenario names a model, the run settings and a timeline of stimuli, faults and assertions. Parsing
reports every problem at once with its location (``assertions[2].within``); ``check_scenario`` then
checks the ports, components and parameters it mentions against the model it will run on.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from .._exceptions import SimulationError
from .._hints import hint, hint_details
from ..components import REGISTRY, parameter_problems
from ..document import ModelDocument, load_document
from ._errors import ExpressionError, ScenarioError
from ._expr import Expression

__all__ = [
    "AssertionSpec",
    "FAULT_TYPES",
    "FaultSpec",
    "Scenario",
    "Stimulus",
    "check_scenario",
    "load_scenario_file",
    "parse_scenario",
    "scenario_json_schema",
]

MODES = ("sim", "hil")
DROPOUT_MODES = ("zero", "hold")
# fault type -> (target key, required fields, optional fields with defaults)
FAULT_TYPES: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {
    "stuck": ("port", ("value",), {}),
    "offset": ("port", ("value",), {}),
    "drift": ("port", ("rate",), {}),
    "noise": ("port", ("std",), {}),
    "open": ("port", (), {}),
    "short": ("port", (), {}),
    "delay": ("port", ("seconds",), {}),
    "dropout": ("port", ("probability",), {"mode": "zero"}),
    "motor_failure": ("component", (), {"factor": 3.0, "health_drop": 0.0}),
    "jam": ("component", (), {}),
    "leak": ("component", ("value",), {}),
}
FAULT_COMPONENT_TYPES = {
    "motor_failure": ("Motor",),
    "jam": ("Actuator", "Cylinder", "Valve"),
    "leak": ("Valve",),
}
ASSERTION_KINDS = ("always", "eventually", "after", "at")
STIMULUS_ACTIONS = ("set", "force", "release", "parameter")

_PORT = r"^[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_]*$"
_NAME = r"^[A-Za-z_][A-Za-z0-9_-]*$"


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario document; semantic rules are checked in code."""
    number = {"type": "number"}
    time = {"type": "number", "minimum": 0}
    window = {"type": "array", "items": time, "minItems": 2, "maxItems": 2,
              "description": "[t0, t1] in seconds"}
    expr = {"type": "string", "minLength": 1, "description": "an expression (see the README)"}
    scalar = {"type": ["number", "boolean"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Test scenario",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "run"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "model": {"type": ["string", "object"],
                      "description": "model file path (relative to the scenario file) or an inline model document"},
            "model_id": {"type": "integer", "minimum": 1, "description": "a stored machine model (API)"},
            "run": {
                "type": "object", "additionalProperties": False, "required": ["duration"],
                "properties": {
                    "duration": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
                    "dt": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
                    "seed": {"type": "integer"},
                    "mode": {"enum": list(MODES)},
                    "realtime": {"type": "boolean"},
                },
            },
            "stimuli": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["at"],
                "properties": {
                    "at": time, "for": {"type": "number", "exclusiveMinimum": 0},
                    "set": {"type": "string", "pattern": _PORT},
                    "force": {"type": "string", "pattern": _PORT},
                    "release": {"type": "string", "pattern": _PORT},
                    "parameter": {"type": "string", "pattern": _PORT, "description": "component.parameter"},
                    "value": {"type": ["number", "boolean", "string", "null"]},
                },
            }},
            "faults": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["type"],
                "properties": {
                    "type": {"enum": list(FAULT_TYPES)},
                    "name": {"type": "string"},
                    "port": {"type": "string", "pattern": _PORT},
                    "component": {"type": "string", "pattern": _NAME},
                    "at": time, "for": {"type": "number", "exclusiveMinimum": 0},
                    "mtbf": {"type": "number", "exclusiveMinimum": 0, "description": "mean time between failures"},
                    "mttr": {"type": "number", "exclusiveMinimum": 0, "description": "mean time to repair"},
                    "value": scalar, "rate": number, "std": {"type": "number", "minimum": 0},
                    "seconds": {"type": "number", "minimum": 0},
                    "probability": {"type": "number", "minimum": 0, "maximum": 1},
                    "mode": {"enum": list(DROPOUT_MODES)},
                    "factor": {"type": "number", "minimum": 0},
                    "health_drop": {"type": "number", "minimum": 0, "maximum": 1},
                },
            }},
            "assertions": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "always": expr, "eventually": expr, "after": expr, "expect": expr, "while": expr,
                    "at": time, "window": window,
                    "within": {"oneOf": [window, {"type": "number", "exclusiveMinimum": 0}]},
                    "value": number, "tolerance": {"type": "number", "minimum": 0},
                },
            }},
        },
    }


@dataclass
class Stimulus:
    index: int
    at: float
    action: str  # set | force | release | parameter
    target: str  # port, or component.parameter
    value: Any = None
    duration: float | None = None  # "for"


@dataclass
class FaultSpec:
    index: int
    type: str
    target: str  # port or component
    options: dict[str, Any]
    at: float = 0.0
    duration: float | None = None  # "for"; None = until the end
    mtbf: float | None = None
    mttr: float | None = None
    name: str = ""

    @property
    def random(self) -> bool:
        return self.mtbf is not None


@dataclass
class AssertionSpec:
    index: int
    name: str
    kind: str  # always | eventually | after | at
    expr: Expression  # always/eventually: the condition; after/at: the expectation
    window: tuple[float, float] | None = None
    condition: Expression | None = None  # always ... while
    trigger: Expression | None = None  # after
    within: float | None = None  # after: response time
    at: float | None = None
    value: float | None = None
    tolerance: float = 1e-9

    def ports(self) -> list[str]:
        out: list[str] = []
        for e in (self.expr, self.condition, self.trigger):
            if e is not None:
                out.extend(p for p in e.ports if p not in out)
        return out

    def describe(self) -> str:
        """The assertion in one line, as written."""
        if self.kind == "always":
            text = f"always {self.expr.source}"
            if self.condition is not None:
                text += f" while {self.condition.source}"
            return text + (f" in [{self.window[0]:g}, {self.window[1]:g}] s" if self.window else "")
        if self.kind == "eventually":
            return f"eventually {self.expr.source}" + (
                f" within [{self.window[0]:g}, {self.window[1]:g}] s" if self.window else "")
        if self.kind == "after":
            return f"after {self.trigger.source if self.trigger else ''} expect {self.expr.source} " \
                   f"within {self.within:g} s"
        if self.value is not None:
            return f"at {self.at:g} s: {self.expr.source} = {self.value:g} ± {self.tolerance:g}"
        return f"at {self.at:g} s: {self.expr.source}"


@dataclass
class Scenario:
    """A parsed scenario document."""

    name: str
    duration: float
    dt: float | None = None
    seed: int = 0
    mode: str = "sim"
    realtime: bool = False
    description: str = ""
    model: str | dict[str, Any] | None = None
    model_id: int | None = None
    stimuli: list[Stimulus] = field(default_factory=list)
    faults: list[FaultSpec] = field(default_factory=list)
    assertions: list[AssertionSpec] = field(default_factory=list)
    path: str | None = None  # the file it was read from

    def model_path(self) -> str | None:
        """The model file, resolved against the scenario file's directory."""
        if not isinstance(self.model, str):
            return None
        if self.path and not os.path.isabs(self.model):
            return os.path.normpath(os.path.join(os.path.dirname(self.path), self.model))
        return self.model


def _loc(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(scenario_json_schema())


def _schema_problems(data: dict[str, Any]) -> tuple[list[dict[str, Any]], set[tuple[Any, ...]]]:
    """Every schema problem, and the parts they are in: ``("run",)``, ``("faults", 2)``, ``()`` for the top."""
    validator = _validator()
    problems = []
    broken: set[tuple[Any, ...]] = set()
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        message = err.message
        if err.validator == "pattern":
            message = f"{err.instance!r} must be 'component.port'" if err.schema.get("pattern") == _PORT \
                else f"{err.instance!r} is not a valid name"
        elif err.validator == "enum":
            message += hint(err.instance, map(str, err.validator_value))
        elif err.validator == "oneOf" and list(err.absolute_path)[-1:] == ["within"]:
            message = "must be a window [t0, t1] (eventually) or a number of seconds (after)"
        problems.append({"loc": _loc(err.absolute_path), "message": message})
        path = tuple(err.absolute_path)
        broken.add(path[:2] if path[:1] in (("stimuli",), ("faults",), ("assertions",)) else path[:1])
    return problems, broken


def _expression(problems: list[dict[str, Any]], loc: str, source: Any) -> Expression | None:
    try:
        return Expression(source)
    except ExpressionError as exc:
        problems.append({"loc": loc, "message": exc.message, "column": exc.position + 1, "expression": source})
        return None


def parse_scenario(data: Any, path: str | None = None) -> Scenario:
    """Check a scenario dict against the schema and the rules; ScenarioError lists every problem.

    Items with a problem are left out and the rest is still checked, so one pass finds everything; the
    error's ``scenario`` holds what was usable, for ``check_scenario`` against the model.
    """
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be an object (a mapping)", [{"loc": "", "message": "must be an object"}])
    problems, broken = _schema_problems(data)

    def bad(loc: str, message: str) -> None:
        problems.append({"loc": loc, "message": message})

    def items(section: str) -> list[tuple[int, dict[str, Any]]]:
        raw = data.get(section) or []
        if (section,) in broken or not isinstance(raw, list):
            return []
        return [(i, item) for i, item in enumerate(raw) if (section, i) not in broken]

    run: dict[str, Any] = data["run"] if isinstance(data.get("run"), dict) and ("run",) not in broken else {}
    duration = float(run["duration"]) if "duration" in run else math.inf  # inf: the run's problem is reported
    if "model" not in data and "model_id" not in data:
        bad("model", "required: a model file path relative to the scenario, or an inline model document")
    if "model" in data and "model_id" in data:
        bad("model_id", "give either model or model_id, not both")

    def time_ok(loc: str, t: float) -> None:
        if t > duration:
            bad(loc, f"{t:g} s is after the end of the run ({duration:g} s)")

    stimuli = []
    for i, raw in items("stimuli"):
        loc = f"stimuli[{i}]"
        actions = [a for a in STIMULUS_ACTIONS if a in raw]
        if len(actions) != 1:
            bad(loc, f"needs exactly one of {', '.join(STIMULUS_ACTIONS)}" + (f"; found {', '.join(actions)}"
                                                                              if actions else ""))
            continue
        action = actions[0]
        time_ok(f"{loc}.at", raw["at"])
        if action == "release":
            for key in ("value", "for"):
                if key in raw:
                    bad(f"{loc}.{key}", "not used by release")
        elif "value" not in raw or raw["value"] is None:
            bad(f"{loc}.value", f"required by {action}")
        stimuli.append(Stimulus(i, float(raw["at"]), action, raw[action], raw.get("value"),
                                float(raw["for"]) if "for" in raw else None))

    faults = []
    for i, raw in items("faults"):
        loc = f"faults[{i}]"
        ftype = raw["type"]
        target_key, required, defaults = FAULT_TYPES[ftype]
        other_key = "component" if target_key == "port" else "port"
        if target_key not in raw:
            bad(f"{loc}.{target_key}", f"required by a {ftype} fault")
            continue
        if other_key in raw:
            bad(f"{loc}.{other_key}", f"a {ftype} fault applies to a {target_key}, not a {other_key}")
        known = {"type", "name", "port", "component", "at", "for", "mtbf", "mttr", *required, *defaults}
        for key in raw:
            if key not in known:
                bad(f"{loc}.{key}", f"not used by a {ftype} fault; its options: "
                    f"{', '.join([*required, *defaults]) or '(none)'}")
        for key in required:
            if key not in raw:
                bad(f"{loc}.{key}", f"required by a {ftype} fault")
        if ("mtbf" in raw) != ("mttr" in raw):
            bad(f"{loc}.{'mttr' if 'mtbf' in raw else 'mtbf'}", "random faults need both mtbf and mttr")
        if ftype == "leak" and "value" in raw and not (isinstance(raw["value"], (int, float))
                                                         and not isinstance(raw["value"], bool)
                                                         and 0 <= raw["value"] <= 1):
            bad(f"{loc}.value", "a leak is a flow fraction from 0 to 1")
        if ftype in ("offset", "drift") and isinstance(raw.get("value"), bool):
            bad(f"{loc}.value", "must be a number")
        at = float(raw.get("at", 0.0))
        time_ok(f"{loc}.at", at)
        options = {**defaults, **{k: raw[k] for k in (*required, *defaults) if k in raw}}
        faults.append(FaultSpec(i, ftype, raw[target_key], options, at,
                                float(raw["for"]) if "for" in raw else None,
                                float(raw["mtbf"]) if "mtbf" in raw else None,
                                float(raw["mttr"]) if "mttr" in raw else None,
                                raw.get("name") or f"{ftype} {raw[target_key]}"))

    assertions = []
    for i, raw in items("assertions"):
        loc = f"assertions[{i}]"
        kinds = [k for k in ASSERTION_KINDS if k in raw]
        if len(kinds) != 1:
            bad(loc, f"needs exactly one of {', '.join(ASSERTION_KINDS)}" + (f"; found {', '.join(kinds)}"
                                                                             if kinds else ""))
            continue
        kind = kinds[0]
        allowed = {"always": {"window", "while"}, "eventually": {"within"}, "after": {"expect", "within", "window"},
                   "at": {"expect", "value", "tolerance"}}[kind]
        for key in raw:
            if key not in allowed and key not in ("name", kind):
                bad(f"{loc}.{key}", f"not used by an '{kind}' assertion; its keys: {', '.join(sorted(allowed))}")
        window = None
        wkey = "within" if kind == "eventually" else "window"
        if wkey in raw:
            w = raw[wkey]
            if not isinstance(w, list):
                bad(f"{loc}.{wkey}", "must be a window [t0, t1] in seconds")
            elif w[0] > w[1]:
                bad(f"{loc}.{wkey}", f"the window starts after it ends: [{w[0]:g}, {w[1]:g}]")
            elif w[0] > duration:
                bad(f"{loc}.{wkey}", f"the window starts after the end of the run ({duration:g} s)")
            else:
                window = (float(w[0]), float(w[1]))
        spec = None
        if kind in ("always", "eventually"):
            expr = _expression(problems, f"{loc}.{kind}", raw[kind])
            cond = _expression(problems, f"{loc}.while", raw["while"]) if "while" in raw else None
            if expr is not None and ("while" not in raw or cond is not None):
                spec = AssertionSpec(i, "", kind, expr, window, condition=cond)
        elif kind == "after":
            trigger = _expression(problems, f"{loc}.after", raw["after"])
            if "expect" not in raw:
                bad(f"{loc}.expect", "required: what must become true after the trigger")
            if not isinstance(raw.get("within"), (int, float)):
                bad(f"{loc}.within", "required: the response time in seconds (a number)")
            expect = _expression(problems, f"{loc}.expect", raw["expect"]) if "expect" in raw else None
            if trigger is not None and expect is not None and isinstance(raw.get("within"), (int, float)):
                spec = AssertionSpec(i, "", kind, expect, window, trigger=trigger, within=float(raw["within"]))
        else:
            time_ok(f"{loc}.at", raw["at"])
            if "expect" not in raw:
                bad(f"{loc}.expect", "required: an expression (with value: a number to compare it to)")
                continue
            if "tolerance" in raw and "value" not in raw:
                bad(f"{loc}.tolerance", "only used with value")
            expect = _expression(problems, f"{loc}.expect", raw["expect"])
            if expect is not None:
                spec = AssertionSpec(i, "", kind, expect, at=float(raw["at"]),
                                     value=float(raw["value"]) if "value" in raw else None,
                                     tolerance=float(raw.get("tolerance", 1e-9)))
        if spec is not None:
            spec.name = raw.get("name") or spec.describe()
            assertions.append(spec)
    names = [a.name for a in assertions]
    for a in assertions:
        if names.count(a.name) > 1:
            bad(f"assertions[{a.index}].name", f"duplicate assertion name {a.name!r}")

    fine = {key: data.get(key) for key in ("name", "description", "model", "model_id") if (key,) not in broken}
    scenario = Scenario(
        name=fine.get("name") or "", duration=duration if math.isfinite(duration) else 0.0,
        dt=float(run["dt"]) if "dt" in run else None, seed=int(run.get("seed", 0)), mode=run.get("mode", "sim"),
        realtime=bool(run.get("realtime", False)), description=fine.get("description") or "",
        model=fine.get("model"), model_id=fine.get("model_id"), stimuli=stimuli, faults=faults,
        assertions=assertions, path=path,
    )
    if problems:
        raise ScenarioError(_summary(problems), problems, scenario)
    return scenario


def _summary(problems: list[dict[str, Any]]) -> str:
    first = problems[0]
    text = f"{first['loc'] or 'scenario'}: {first['message']}"
    return text + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")


def load_scenario_file(path: str) -> Scenario:
    """Read and parse a scenario file (.yaml, .yml, .json)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror}",
                            [{"loc": "", "message": f"cannot read: {exc.strerror}"}]) from None
    try:
        data = load_document(text, "json" if path.endswith(".json") else "yaml")
    except SimulationError as exc:
        raise ScenarioError(exc.message, exc.problems) from None
    return parse_scenario(data, path)


# ------------------------------------------------------------------------------------ against a model


def check_scenario(scenario: Scenario, doc: ModelDocument) -> list[dict[str, Any]]:
    """Every reason the scenario cannot run on this model (unknown ports, components, parameters)."""
    problems: list[dict[str, Any]] = []
    specs = {c.name: c for c in doc.components}
    driven = {(c.target, c.target_port) for c in doc.connections}

    all_ports = [f"{c.name}.{p}" for c in doc.components for p in (*REGISTRY[c.type].input_ports,
                                                                   *REGISTRY[c.type].output_ports)]

    def port_problem(ref: str) -> str | None:
        comp, _, port = ref.partition(".")
        spec = specs.get(comp)
        if spec is None:
            return (f"unknown component {comp!r} in {ref!r}{hint(ref, all_ports)}; "
                    f"components: {', '.join(sorted(specs))}")
        cls = REGISTRY[spec.type]
        if port not in cls.input_ports and port not in cls.output_ports:
            return (f"{spec.type} {comp!r} has no port {port!r}{hint(ref, all_ports)}; ports: "
                    f"{', '.join([*cls.input_ports, *cls.output_ports])}")
        return None

    def located(loc: str, message: str, name: str, candidates: list[str], **extra: Any) -> dict[str, Any]:
        return {"loc": loc, "message": message, **extra, **hint_details(name, candidates)}

    def port_type(ref: str) -> str:
        comp, _, port = ref.partition(".")
        cls = REGISTRY[specs[comp].type]
        return (cls.input_ports.get(port) or cls.output_ports[port]).data_type

    forced: set[str] = set()
    for s in sorted(scenario.stimuli, key=lambda s: (s.at, s.index)):
        loc = f"stimuli[{s.index}]"
        if s.action == "parameter":
            comp, _, pname = s.target.partition(".")
            spec = specs.get(comp)
            if spec is None:
                problems.append(located(f"{loc}.parameter", f"unknown component {comp!r}{hint(comp, specs)}", comp,
                                        list(specs)))
                continue
            _, found = parameter_problems(spec.type, {**spec.parameters, pname: s.value})
            for p in found:
                bad_value = p.get("field") == pname and "valid" not in p  # else the name itself is unknown
                problems.append({"loc": f"{loc}.value" if bad_value else f"{loc}.parameter",
                                 "message": f"{spec.type} {comp!r}: {p.get('field')}: {p['message']}",
                                 **({"did_you_mean": f"{comp}.{p['did_you_mean']}"} if "did_you_mean" in p else {})})
            continue
        problem = port_problem(s.target)
        if problem:
            problems.append(located(f"{loc}.{s.action}", problem, s.target, all_ports))
            continue
        comp, _, port = s.target.partition(".")
        if s.action == "set":
            cls = REGISTRY[specs[comp].type]
            if port not in cls.input_ports:
                problems.append({"loc": f"{loc}.set", "message": f"{s.target} is an output; use force"})
                continue
            if (comp, port) in driven:
                problems.append({"loc": f"{loc}.set", "message": f"{s.target} is driven by a connection; use force"})
                continue
        if s.action == "release":
            if s.target not in forced:
                problems.append({"loc": f"{loc}.release", "message": f"{s.target} is not forced before {s.at:g} s"})
            forced.discard(s.target)
            continue
        if s.action == "force" and s.duration is None:
            forced.add(s.target)
        dtype = port_type(s.target)
        value = s.value
        if dtype == "bool" and not isinstance(value, bool) or dtype != "bool" and (
                isinstance(value, bool) and dtype == "int" or not isinstance(value, (int, float))):
            problems.append({"loc": f"{loc}.value", "message": f"{s.target} is {dtype}; {value!r} does not fit"})
        elif dtype == "int" and isinstance(value, float) and not value.is_integer():
            problems.append({"loc": f"{loc}.value", "message": f"{s.target} is int; {value!r} does not fit"})

    for f in scenario.faults:
        loc = f"faults[{f.index}]"
        if FAULT_TYPES[f.type][0] == "port":
            problem = port_problem(f.target)
            if problem:
                problems.append(located(f"{loc}.port", problem, f.target, all_ports))
            elif f.type in ("offset", "drift", "noise") and port_type(f.target) == "bool":
                problems.append({"loc": f"{loc}.type", "message": f"{f.target} is bool; a {f.type} fault needs a "
                                 "number port (use stuck, open, short, delay or dropout)"})
            continue
        spec = specs.get(f.target)
        if spec is None:
            problems.append(located(f"{loc}.component", f"unknown component {f.target!r}{hint(f.target, specs)}; "
                                    f"components: {', '.join(sorted(specs))}", f.target, list(specs)))
        elif spec.type not in FAULT_COMPONENT_TYPES[f.type]:
            problems.append({"loc": f"{loc}.component", "message": f"a {f.type} fault needs a "
                             f"{' or '.join(FAULT_COMPONENT_TYPES[f.type])}; {f.target!r} is a {spec.type}"})

    for a in scenario.assertions:
        loc = f"assertions[{a.index}]"
        for key, expr in ((a.kind if a.kind in ("always", "eventually") else "expect", a.expr),
                          ("while", a.condition), ("after", a.trigger)):
            if expr is None:
                continue
            for ref in expr.ports:
                problem = port_problem(ref)
                if problem:
                    col = expr.source.find(ref) + 1
                    problems.append(located(f"{loc}.{key}", f"column {col}: {problem}", ref, all_ports, column=col))
    for p in problems:
        p.setdefault("code", "invalid_scenario")
    return problems


def quantize(t: float, dt: float) -> int:
    """The tick at which a time takes effect (nearest tick)."""
    return int(math.floor(t / dt + 0.5))
