"""What a campaign runs: one scenario over a grid of parameter values and a list of seeds, and what it measures.

``parse_sweep("tank.area=0.4,0.5,0.6")`` (a list) or ``parse_sweep("level_pid.kp=1:4:7")`` (start:stop:count,
inclusive, evenly spaced) give a ``Sweep``; ``parse_metric("tank.level:max")`` a ``Metric``. ``check_campaign``
lists every reason a campaign cannot run on its model (unknown component or parameter, with a did-you-mean; a
value the parameter does not accept; a metric port the model does not have), each with its location
(``sweep[1]``, ``metrics[0]``, ``seeds``), before anything runs.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import SimulationError
from .._hints import hint, hint_details
from ..components import REGISTRY, parameter_problems
from ..document import ModelDocument
from ..scenarios import Scenario
from ..scenarios._document import quantize

__all__ = [
    "REDUCERS",
    "Campaign",
    "CampaignError",
    "Metric",
    "Sweep",
    "apply_point",
    "check_campaign",
    "linspace",
    "parse_metric",
    "parse_sweep",
    "parse_value",
    "sweep_from_values",
]

REDUCERS = ("min", "max", "mean", "final")
MAX_SWEEP_VALUES = 10_000


class CampaignError(SimulationError):
    """A campaign's sweeps, seeds or metrics are not acceptable; ``problems`` carry locations."""

    code = "invalid_campaign"


@dataclass(frozen=True)
class Sweep:
    """The values one parameter (``component.parameter``) takes across the grid."""

    target: str
    values: tuple[Any, ...]

    @property
    def component(self) -> str:
        return self.target.partition(".")[0]

    @property
    def parameter(self) -> str:
        return self.target.partition(".")[2]


@dataclass(frozen=True)
class Metric:
    """A number taken from every run: ``reducer`` (min, max, mean, final) of one recorded port."""

    port: str
    reducer: str

    @property
    def name(self) -> str:
        return f"{self.port}:{self.reducer}"


@dataclass
class Campaign:
    """A scenario run once per (grid point, seed); the grid is the product of the sweeps, first sweep slowest."""

    scenario: Scenario
    model: ModelDocument
    seeds: tuple[int, ...]
    sweeps: tuple[Sweep, ...] = ()
    metrics: tuple[Metric, ...] = ()
    fixed: dict[str, Any] = field(default_factory=dict)  # parameters set at every point (``--set``)

    def points(self) -> list[dict[str, Any]]:
        """Every grid point as ``{target: value}`` in order; one empty point when nothing is swept."""
        targets = [s.target for s in self.sweeps]
        return [dict(zip(targets, combo)) for combo in itertools.product(*(s.values for s in self.sweeps))]

    @property
    def runs(self) -> int:
        return math.prod(len(s.values) for s in self.sweeps) * len(self.seeds)


def parse_value(text: str) -> Any:
    """A parameter value as typed: ``true``/``false``, an integer, a float, or else the text itself."""
    word = text.strip()
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word


def linspace(start: float, stop: float, count: int) -> list[float]:
    """``count`` evenly spaced values from ``start`` to ``stop``, both included (the last is ``stop`` exactly)."""
    if count == 1:
        return [float(start)]
    step = (stop - start) / (count - 1)
    return [float(start + i * step) for i in range(count - 1)] + [float(stop)]


def _target_problem(target: str) -> str | None:
    comp, dot, name = target.partition(".")
    if not dot or not comp or not name or "." in name:
        return f"{target!r} must name a parameter as component.parameter (e.g. tank.area)"
    return None


def _values_from_text(text: str) -> list[Any]:
    """``a,b,c`` or ``start:stop:count``; CampaignError with the reason if neither."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise CampaignError(f"{text!r}: a range is start:stop:count (e.g. 1:4:7)")
        try:
            start, stop = float(parts[0]), float(parts[1])
        except ValueError:
            raise CampaignError(f"{text!r}: start and stop of a range must be numbers") from None
        try:
            count = int(parts[2])
        except ValueError:
            raise CampaignError(f"{text!r}: the count of a range must be a whole number") from None
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise CampaignError(f"{text!r}: start and stop must be finite")
        if count < 1 or count > MAX_SWEEP_VALUES:
            raise CampaignError(f"{text!r}: the count must be between 1 and {MAX_SWEEP_VALUES}")
        if count == 1 and start != stop:
            raise CampaignError(f"{text!r}: a range of 1 value needs start == stop; give the value instead")
        return list(linspace(start, stop, count))
    words = text.split(",")
    if any(not w.strip() for w in words):
        raise CampaignError(f"{text!r}: a list is values separated by commas, none empty (e.g. 0.4,0.5,0.6)")
    return [parse_value(w) for w in words]


def sweep_from_values(target: str, values: Any) -> Sweep:
    """A sweep from a target and either a list of values or the text form (``a,b,c`` / ``start:stop:count``)."""
    problem = _target_problem(target)
    if problem:
        raise CampaignError(problem)
    if isinstance(values, str):
        parsed = _values_from_text(values)
    elif isinstance(values, (list, tuple)):
        if not values:
            raise CampaignError(f"{target}: give at least one value")
        if len(values) > MAX_SWEEP_VALUES:
            raise CampaignError(f"{target}: at most {MAX_SWEEP_VALUES} values")
        bad = [v for v in values if not isinstance(v, (int, float, str, bool))
               or isinstance(v, float) and not math.isfinite(v)]
        if bad:
            raise CampaignError(f"{target}: {bad[0]!r} is not a number, boolean or text")
        parsed = list(values)
    else:
        raise CampaignError(f"{target}: give a list of values or 'start:stop:count'")
    if len(set(map(repr, parsed))) != len(parsed):
        raise CampaignError(f"{target}: a value is listed twice")
    return Sweep(target, tuple(parsed))


def parse_sweep(text: str) -> Sweep:
    """``component.parameter=v1,v2,...`` or ``component.parameter=start:stop:count``."""
    target, eq, values = text.partition("=")
    if not eq or not target.strip():
        raise CampaignError(f"{text!r}: expected component.parameter=VALUES, e.g. tank.area=0.4,0.5,0.6 or "
                            "level_pid.kp=1:4:7")
    return sweep_from_values(target.strip(), values.strip())


def parse_metric(text: str) -> Metric:
    """``component.port:reducer`` with a reducer of min, max, mean or final."""
    port, colon, reducer = text.strip().rpartition(":")
    if not colon:
        raise CampaignError(f"{text!r}: expected component.port:REDUCER with REDUCER one of {', '.join(REDUCERS)} "
                            "(e.g. tank.level:max)")
    if reducer not in REDUCERS:
        raise CampaignError(f"{text!r}: unknown reducer {reducer!r}{hint(reducer, REDUCERS)}; "
                            f"valid: {', '.join(REDUCERS)}")
    comp, dot, name = port.partition(".")
    if not dot or not comp or not name:
        raise CampaignError(f"{text!r}: {port!r} must be component.port")
    return Metric(port, reducer)


def apply_point(doc: ModelDocument, point: dict[str, Any]) -> ModelDocument:
    """The model with the point's parameter values in place of the document's (the input is not changed)."""
    if not point:
        return doc
    changes: dict[str, dict[str, Any]] = {}
    for target, value in point.items():
        comp, _, name = target.partition(".")
        changes.setdefault(comp, {})[name] = value
    components = [dataclasses.replace(c, parameters={**c.parameters, **changes[c.name]}) if c.name in changes else c
                  for c in doc.components]
    return dataclasses.replace(doc, components=components)


def _name_problem(doc: ModelDocument, loc: str, target: str) -> dict[str, Any] | None:
    """An unknown component or parameter name, with a did-you-mean; None if the model has it."""
    specs = {c.name: c for c in doc.components}
    comp, _, name = target.partition(".")
    spec = specs.get(comp)
    if spec is None:
        found = hint_details(comp, specs)
        return {"loc": loc, "message": f"unknown component {comp!r}{hint(comp, specs)} in {target!r}; components: "
                f"{', '.join(sorted(specs))}", **({"did_you_mean": f"{found['did_you_mean']}.{name}"} if found else {})}
    valid = [p.name for p in REGISTRY[spec.type].params]
    if name not in valid:
        found = hint_details(name, valid)
        return {"loc": loc, "message": f"{spec.type} {comp!r} has no parameter {name!r}{hint(name, valid)}; "
                f"parameters: {', '.join(valid) or '(none)'}",
                **({"did_you_mean": f"{comp}.{found['did_you_mean']}"} if found else {})}
    return None


def _value_problems(doc: ModelDocument, loc: str, target: str, value: Any) -> list[dict[str, Any]]:
    comp, _, name = target.partition(".")
    spec = next(c for c in doc.components if c.name == comp)
    _, found = parameter_problems(spec.type, {**spec.parameters, name: value})
    return [{"loc": loc, "message": f"{target}={value!r}: {p['message']}"} for p in found]


def check_campaign(campaign: Campaign) -> list[dict[str, Any]]:
    """Every reason the campaign cannot run on its model, located (``sweep[i]``, ``set[i]``, ``metrics[i]``)."""
    problems: list[dict[str, Any]] = []
    doc, scenario = campaign.model, campaign.scenario
    if scenario.mode != "sim":
        problems.append({"loc": "scenario", "message": "a campaign runs scenarios in sim mode only (no PLC)"})
    if not campaign.seeds:
        problems.append({"loc": "seeds", "message": "give at least one seed"})
    if len(set(campaign.seeds)) != len(campaign.seeds):
        problems.append({"loc": "seeds", "message": "a seed is listed twice"})
    seen: dict[str, str] = {}
    given = [(f"set[{i}]", t, (v,)) for i, (t, v) in enumerate(campaign.fixed.items())]
    given += [(f"sweep[{i}]", s.target, s.values) for i, s in enumerate(campaign.sweeps)]
    for loc, target, values in given:
        if target in seen:
            problems.append({"loc": loc, "message": f"{target} is already given by {seen[target]}"})
            continue
        seen[target] = loc
        named = _name_problem(doc, loc, target)
        if named is not None:  # a wrong name is wrong for every value: say it once
            problems.append(named)
            continue
        for value in values:
            problems.extend(_value_problems(doc, loc, target, value))
    if not problems and campaign.sweeps:  # combinations: a type may check its parameters together (min < max)
        for point in campaign.points():
            bad = _combination_problems(apply_point(doc, {**campaign.fixed, **point}))
            if bad:
                where = ", ".join(f"{k}={v!r}" for k, v in point.items())
                problems.append({"loc": "sweep", "message": f"at {where}: {bad}"})
                break
    ports = {f"{c.name}.{p}" for c in doc.components for p in (*REGISTRY[c.type].input_ports,
                                                               *REGISTRY[c.type].output_ports)}
    for i, metric in enumerate(campaign.metrics):
        if metric.port not in ports:
            problems.append({"loc": f"metrics[{i}]", "message": f"unknown port {metric.port!r}"
                             f"{hint(metric.port, ports)}", **hint_details(metric.port, ports)})
    names = [m.name for m in campaign.metrics]
    if len(set(names)) != len(names):
        problems.append({"loc": "metrics", "message": "a metric is listed twice"})
    dt = scenario.dt or doc.dt
    if not problems and quantize(scenario.duration, dt) < 0:
        problems.append({"loc": "scenario", "message": "the run has no samples"})
    for p in problems:
        p.setdefault("code", CampaignError.code)
    return problems


def _combination_problems(doc: ModelDocument) -> str | None:
    for c in doc.components:
        _, found = parameter_problems(c.type, c.parameters)
        if found:
            return f"{c.type} {c.name!r}: {found[0].get('field')}: {found[0]['message']}"
    return None
