"""How a component type is declared: ports, parameters, states, and its behaviour as code templates.

A type's behaviour is written as small Python statement templates. ``{name}`` placeholders refer to
the type's input/output ports, states, parameters, derived constants, ``{t}`` (tick time) and
``{dt}``. The compiler substitutes slots of one flat value array for ports and states and literal
numbers for parameters, then generates one straight-line function per model: no dict look-ups or
method calls per component per tick.

- ``outputs[name]`` computes one output at tick *k*. Feedthrough is derived from the template: an
  output whose code mentions an input depends on the current value of that input.
- ``update`` advances the states from tick *k* to *k + 1* after every output has been computed.
- Local temporaries must start with ``_``; ``_rng`` is the component's own seeded ``random.Random``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

DATA_TYPES = ("bool", "int", "float")
_WIDENING = {"bool": 0, "int": 1, "float": 2}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Code(str):
    """A constant that is inserted into generated code as source text, not as a literal."""


def types_compatible(source: str, target: str) -> bool:
    """True when a value of ``source`` type may drive a port of ``target`` type (bool -> int -> float)."""
    return _WIDENING[source] <= _WIDENING[target]


@dataclass(frozen=True)
class Port:
    """One input or output of a component type."""

    name: str
    direction: str  # input | output
    data_type: str = "float"
    unit: str | None = None
    description: str = ""
    default: Any = None  # inputs only: value when unconnected; None = must be connected or given

    @property
    def required(self) -> bool:
        return self.direction == "input" and self.default is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "direction": self.direction,
            "data_type": self.data_type,
            "unit": self.unit,
            "description": self.description,
            "default": self.default,
            "required": self.required,
        }


def In(
    name: str, data_type: str = "float", unit: str | None = None, description: str = "", default: Any = None
) -> Port:
    return Port(name, "input", data_type, unit, description, default)


def Out(name: str, data_type: str = "float", unit: str | None = None, description: str = "") -> Port:
    return Port(name, "output", data_type, unit, description)


@dataclass(frozen=True)
class Param:
    """One parameter: its type, default and bounds (rendered as JSON Schema in the catalogue)."""

    name: str
    default: Any
    kind: str = "float"  # float | int | bool | str
    unit: str | None = None
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    choices: tuple[Any, ...] | None = None
    nullable: bool = False

    def json_schema(self) -> dict[str, Any]:
        json_type = {"float": "number", "int": "integer", "bool": "boolean", "str": "string"}[self.kind]
        schema: dict[str, Any] = {"type": [json_type, "null"] if self.nullable else json_type, "default": self.default}
        if self.description or self.unit:
            schema["description"] = self.description + (f" [{self.unit}]" if self.unit else "")
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.exclusive_minimum is not None:
            schema["exclusiveMinimum"] = self.exclusive_minimum
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        return schema

    def check(self, value: Any) -> tuple[Any, dict[str, Any] | None]:
        """Return (normalised value, None) or (value, problem)."""
        if value is None:
            if self.nullable:
                return None, None
            return value, {"field": self.name, "message": "must not be null", "value": None}
        if self.kind == "bool":
            if not isinstance(value, bool):
                return value, {"field": self.name, "message": "must be a boolean", "value": value}
        elif self.kind == "str":
            if not isinstance(value, str):
                return value, {"field": self.name, "message": "must be a string", "value": value}
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return value, {"field": self.name, "message": f"must be a number ({self.kind})", "value": value}
            if self.kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    return value, {"field": self.name, "message": "must be an integer", "value": value}
                value = int(value)
            else:
                value = float(value)
                if value != value or value in (float("inf"), float("-inf")):
                    return value, {"field": self.name, "message": "must be finite", "value": value}
            if self.minimum is not None and value < self.minimum:
                return value, {"field": self.name, "message": f"must be >= {self.minimum}", "value": value,
                               "bound": {"minimum": self.minimum}}
            if self.exclusive_minimum is not None and value <= self.exclusive_minimum:
                return value, {"field": self.name, "message": f"must be > {self.exclusive_minimum}", "value": value,
                               "bound": {"exclusiveMinimum": self.exclusive_minimum}}
            if self.maximum is not None and value > self.maximum:
                return value, {"field": self.name, "message": f"must be <= {self.maximum}", "value": value,
                               "bound": {"maximum": self.maximum}}
        if self.choices is not None and value not in self.choices:
            return value, {"field": self.name, "message": f"must be one of {list(self.choices)}", "value": value,
                           "bound": {"enum": list(self.choices)}}
        return value, None


class ComponentType:
    """Base class of every component type; subclasses only declare."""

    name: ClassVar[str]
    category: ClassVar[str] = "signal"
    inputs: ClassVar[tuple[Port, ...]] = ()
    outputs: ClassVar[tuple[Port, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    states: ClassVar[tuple[str, ...]] = ()
    output_code: ClassVar[dict[str, str]] = {}
    update_code: ClassVar[str] = ""
    uses_rng: ClassVar[bool] = False

    # Filled by __init_subclass__.
    input_ports: ClassVar[dict[str, Port]]
    output_ports: ClassVar[dict[str, Port]]
    param_index: ClassVar[dict[str, Param]]
    feedthrough: ClassVar[dict[str, tuple[str, ...]]]  # output -> inputs it reads directly
    local_deps: ClassVar[dict[str, tuple[str, ...]]]  # output -> outputs of the same component it reads

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        cls.input_ports = {p.name: p for p in cls.inputs}
        cls.output_ports = {p.name: p for p in cls.outputs}
        cls.param_index = {p.name: p for p in cls.params}
        names = [*cls.input_ports, *cls.output_ports, *cls.param_index, *cls.states]
        if len(names) != len(set(names)):
            raise TypeError(f"{cls.name}: port, parameter and state names must be distinct")
        if set(cls.output_code) != set(cls.output_ports):
            raise TypeError(f"{cls.name}: output_code must define exactly the outputs")
        cls.feedthrough = {}
        cls.local_deps = {}
        for out, code in cls.output_code.items():
            used = PLACEHOLDER.findall(code)
            cls.feedthrough[out] = tuple(n for n in cls.input_ports if n in used)
            cls.local_deps[out] = tuple(n for n in cls.output_ports if n in used and n != out)

    @classmethod
    def constants(cls, params: dict[str, Any], dt: float) -> dict[str, Any]:
        """Numbers derived from parameters and the step (e.g. an exact decay factor)."""
        return {}

    @classmethod
    def initial_state(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {name: 0.0 for name in cls.states}

    @classmethod
    def validate_params(cls, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Cross-parameter rules beyond per-field bounds; return problems."""
        return []

    @classmethod
    def depends_on_inputs(cls, output: str, _seen: frozenset[str] = frozenset()) -> bool:
        """True when the output reads a current input, directly or through another output."""
        if cls.feedthrough[output]:
            return True
        return any(cls.depends_on_inputs(o, _seen | {output}) for o in cls.local_deps[output] if o not in _seen)

    @classmethod
    def describe(cls) -> dict[str, Any]:
        doc = (cls.__doc__ or "").strip()
        return {
            "type": cls.name,
            "category": cls.category,
            "description": doc,
            "ports": [p.to_dict() for p in (*cls.inputs, *cls.outputs)],
            "parameters": {
                "type": "object",
                "additionalProperties": False,
                "properties": {p.name: p.json_schema() for p in cls.params},
            },
            "feedthrough": [o for o in cls.output_ports if cls.depends_on_inputs(o)],
            "states": list(cls.states),
        }
