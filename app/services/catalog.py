"""The engine's component library seen from the service: type look-ups and port checks as 422s."""

from __future__ import annotations

from typing import Any

from app import engine
from app.core.errors import NotFoundError, UnprocessableError
from app.engine._exceptions import UnknownComponentTypeError


def catalogue() -> list[dict[str, Any]]:
    return engine.catalogue()


def catalogue_entry(type_name: str) -> dict[str, Any]:
    for entry in engine.catalogue():
        if entry["type"] == type_name:
            return entry
    valid = engine.component_type_names()
    raise NotFoundError(
        f"unknown component type {type_name!r}; valid types: {', '.join(valid)}", [{"type": type_name, "valid": valid}]
    )


def component_type(type_name: str, loc: str = "type") -> Any:
    """The engine's ComponentType, or a 422 listing the valid type names."""
    try:
        return engine.get_component_type(type_name)
    except UnknownComponentTypeError as exc:
        raise UnprocessableError(
            exc.message, [{"loc": loc, "type": type_name, "valid": exc.valid}], code="unknown_component_type"
        ) from exc


def ports_of(ctype: Any, direction: str | None = None) -> dict[str, Any]:
    """A type's ports by name; ``direction`` "input"/"output" narrows them, None means all."""
    found: dict[str, Any] = {}
    for kind in ("inputs", "outputs"):
        if direction is None or kind == f"{direction}s":
            declared = getattr(ctype, kind)
            found.update(declared if isinstance(declared, dict) else {p.name: p for p in declared})
    return found


def port(type_name: str, component_name: str, port_name: str, direction: str | None, loc: str) -> Any:
    """The Port of a component; ``direction`` ("input"/"output"/None=any) narrows what is valid. 422 if absent."""
    ctype = component_type(type_name)
    ports = ports_of(ctype, direction)
    found = ports.get(port_name)
    if found is None:
        kind = f"{direction} port" if direction else "port"
        valid = sorted(ports)
        raise UnprocessableError(
            f"component {component_name!r} ({type_name}) has no {kind} {port_name!r}; "
            f"valid: {', '.join(valid) or '(none)'}",
            [{"loc": loc, "component": component_name, "port": port_name, "valid": valid}],
            code="unknown_port",
        )
    return found
