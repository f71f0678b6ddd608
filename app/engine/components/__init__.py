"""The component library: every type the engine can simulate, looked up by name."""

from __future__ import annotations

from typing import Any

from .._exceptions import ParameterError, UnknownComponentTypeError, UnknownPortError
from .._hints import hint, hint_details
from . import machines, signals
from ._base import DATA_TYPES, Code, ComponentType, Param, Port, types_compatible

__all__ = [
    "DATA_TYPES",
    "Code",
    "ComponentType",
    "Param",
    "Port",
    "REGISTRY",
    "catalogue",
    "component_type_names",
    "get_component_type",
    "register",
    "types_compatible",
    "validate_inputs",
    "validate_parameters",
]

REGISTRY: dict[str, type[ComponentType]] = {}


def register(cls: type[ComponentType]) -> type[ComponentType]:
    """Add a component type to the library (usable as a class decorator by extensions)."""
    REGISTRY[cls.name] = cls
    return cls


for _module in (signals, machines):
    for _obj in vars(_module).values():
        if isinstance(_obj, type) and issubclass(_obj, ComponentType) and _obj.__module__ == _module.__name__:
            register(_obj)


def component_type_names() -> list[str]:
    return sorted(REGISTRY)


def get_component_type(name: str) -> type[ComponentType]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownComponentTypeError(name, component_type_names()) from None


def catalogue() -> list[dict[str, Any]]:
    """Every type's declaration (ports, parameter JSON Schema, feedthrough), sorted by name."""
    return [REGISTRY[name].describe() for name in component_type_names()]


def parameter_problems(type_name: str, params: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Normalise parameters (defaults filled) and list every problem; no exception."""
    ctype = get_component_type(type_name)
    if not isinstance(params, dict):
        return {}, [{"field": None, "message": "parameters must be an object"}]
    problems: list[dict[str, Any]] = []
    valid = list(ctype.param_index)
    for key in params:
        if key not in ctype.param_index:
            problems.append({"field": key, "message": f"unknown parameter {key!r}{hint(key, valid)} of {ctype.name}; "
                             f"valid: {', '.join(valid) or '(none)'}", "valid": valid, **hint_details(key, valid)})
    normalised: dict[str, Any] = {}
    for p in ctype.params:
        value, problem = p.check(params.get(p.name, p.default))
        normalised[p.name] = value
        if problem:
            problems.append(problem)
    if not problems:
        problems.extend(ctype.validate_params(normalised))
    return normalised, problems


def validate_parameters(type_name: str, params: Any) -> dict[str, Any]:
    """Return the parameters with defaults filled, or raise ParameterError listing every problem."""
    normalised, problems = parameter_problems(type_name, params)
    if problems:
        raise ParameterError(f"invalid parameters for {type_name}: " + "; ".join(
            f"{p['field']}: {p['message']}" for p in problems), problems)
    return normalised


def input_value_problem(port: Port, value: Any) -> str | None:
    if port.data_type == "bool":
        return None if isinstance(value, bool) else "must be a boolean"
    if isinstance(value, bool) and port.data_type == "float":
        return None
    if port.data_type == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else "must be an integer"
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "must be a number"


def validate_inputs(type_name: str, inputs: Any, component: str = "") -> dict[str, Any]:
    """Check values given for unconnected input ports; raise UnknownPortError or ParameterError."""
    ctype = get_component_type(type_name)
    if inputs is None:
        return {}
    if not isinstance(inputs, dict):
        raise ParameterError("inputs must be an object", [{"field": "inputs", "message": "must be an object"}])
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        port = ctype.input_ports.get(name)
        if port is None:
            raise UnknownPortError(component or ctype.name, name, list(ctype.input_ports), "input")
        problem = input_value_problem(port, value)
        if problem:
            raise ParameterError(f"input {name!r}: {problem}", [{"field": name, "message": problem, "value": value}])
        out[name] = float(value) if port.data_type == "float" else value
    return out
