"""The semantic difference between two model documents: what a reviewer asks, not what a text diff shows.

Both documents are parsed first, so parameters are compared with their defaults filled in (writing a default out
is no change) and order never matters. A component that disappears while one of the same type with the same
parameters and input values appears is a *rename*; connections and bindings are then compared through the
rename, so renaming a component reads as one change instead of a cascade of removed and added wires.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .document import ComponentSpec, ModelDocument
from .io import BindingSpec, EndpointSpec

__all__ = ["Change", "diff_documents"]


@dataclass(frozen=True)
class Change:
    """One difference. ``target`` names what changed (a component, ``component.parameter``, a wire, a binding)."""

    kind: str
    target: str
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "old": self.old, "new": self.new}

    def describe(self) -> str:
        """One line for people, e.g. ``~ parameter tank.area: 0.5 -> 0.6``."""
        sign, text = _TEXT[self.kind]
        if self.kind.endswith("_changed") or self.kind == "component_renamed":
            return f"{sign} {text} {self.target}: {_show(self.old)} -> {_show(self.new)}"
        shown = self.new if self.new is not None else self.old
        suffix = f" ({_show(shown)})" if shown is not None and not isinstance(shown, dict) else ""
        return f"{sign} {text} {self.target}{suffix}"


_TEXT = {
    "model_changed": ("~", "model"),
    "component_added": ("+", "component"),
    "component_removed": ("-", "component"),
    "component_renamed": ("~", "renamed"),
    "type_changed": ("~", "type of"),
    "parameter_changed": ("~", "parameter"),
    "input_changed": ("~", "input value"),
    "connection_added": ("+", "connection"),
    "connection_removed": ("-", "connection"),
    "endpoint_added": ("+", "endpoint"),
    "endpoint_removed": ("-", "endpoint"),
    "endpoint_changed": ("~", "endpoint"),
    "binding_added": ("+", "binding"),
    "binding_removed": ("-", "binding"),
    "binding_changed": ("~", "binding"),
}


def _show(value: Any) -> str:
    return "(none)" if value is None else repr(value) if isinstance(value, str) else str(value)


def _renames(old: dict[str, ComponentSpec], new: dict[str, ComponentSpec]) -> dict[str, str]:
    """Old name -> new name for components that only changed their name (one candidate each way)."""
    gone = [c for name, c in old.items() if name not in new]
    came = [c for name, c in new.items() if name not in old]

    def signature(c: ComponentSpec) -> tuple[str, str, str]:
        return c.type, repr(sorted(c.parameters.items())), repr(sorted(c.inputs.items()))

    by_signature: dict[tuple[str, str, str], list[ComponentSpec]] = defaultdict(list)
    for c in came:
        by_signature[signature(c)].append(c)
    gone_count: dict[tuple[str, str, str], int] = defaultdict(int)
    for c in gone:
        gone_count[signature(c)] += 1
    return {
        c.name: by_signature[signature(c)][0].name
        for c in gone
        if gone_count[signature(c)] == 1 and len(by_signature[signature(c)]) == 1
    }


def _port(ref: str, renames: dict[str, str]) -> str:
    component, _, port = ref.partition(".")
    return f"{renames.get(component, component)}.{port}"


def _endpoint_fields(e: EndpointSpec) -> dict[str, Any]:
    return {"url": e.url, "security_policy": e.security_policy, "security_mode": e.security_mode,
            "username": e.username}  # fmt: skip  (never the password: documents carry none, diffs show none)


def _binding_fields(b: BindingSpec) -> dict[str, Any]:
    return {"data_type": b.data_type, "scale": b.scale, "offset": b.offset}


def diff_documents(a: ModelDocument, b: ModelDocument) -> list[Change]:
    """Every difference from ``a`` to ``b``, in a stable order (model, components, connections, endpoints,
    bindings; by name within each). An empty list means the two simulate the same model."""
    changes: list[Change] = []
    for key in ("name", "description", "dt"):
        if getattr(a, key) != getattr(b, key):
            changes.append(Change("model_changed", key, getattr(a, key), getattr(b, key)))

    old = {c.name: c for c in a.components}
    new = {c.name: c for c in b.components}
    renames = _renames(old, new)
    renamed_to = set(renames.values())
    for name in sorted(set(old) | set(new)):
        if name in old and name not in new:
            if name in renames:
                changes.append(Change("component_renamed", name, name, renames[name]))
            else:
                changes.append(Change("component_removed", name, old[name].type, None))
            continue
        if name not in old:
            if name not in renamed_to:
                changes.append(Change("component_added", name, None, new[name].type))
            continue
        before, after = old[name], new[name]
        if before.type != after.type:
            changes.append(Change("type_changed", name, before.type, after.type))
            continue  # other parameters, other inputs: the type change says it all
        for key in sorted(set(before.parameters) | set(after.parameters)):
            if before.parameters.get(key) != after.parameters.get(key):
                changes.append(Change("parameter_changed", f"{name}.{key}", before.parameters.get(key),
                                      after.parameters.get(key)))  # fmt: skip
        for key in sorted(set(before.inputs) | set(after.inputs)):
            if before.inputs.get(key) != after.inputs.get(key):
                changes.append(Change("input_changed", f"{name}.{key}", before.inputs.get(key), after.inputs.get(key)))

    wires_a = {(_port(f"{c.source}.{c.source_port}", renames), _port(f"{c.target}.{c.target_port}", renames))
               for c in a.connections}  # fmt: skip
    wires_b = {(f"{c.source}.{c.source_port}", f"{c.target}.{c.target_port}") for c in b.connections}
    for source, target in sorted(wires_a - wires_b, key=lambda w: (w[1], w[0])):
        changes.append(Change("connection_removed", f"{source} -> {target}"))
    for source, target in sorted(wires_b - wires_a, key=lambda w: (w[1], w[0])):
        changes.append(Change("connection_added", f"{source} -> {target}"))

    ends_a = {e.name: _endpoint_fields(e) for e in a.endpoints}
    ends_b = {e.name: _endpoint_fields(e) for e in b.endpoints}
    for name in sorted(set(ends_a) | set(ends_b)):
        if name not in ends_b:
            changes.append(Change("endpoint_removed", name, ends_a[name]["url"], None))
        elif name not in ends_a:
            changes.append(Change("endpoint_added", name, None, ends_b[name]["url"]))
        else:
            for key, value in ends_a[name].items():
                if value != ends_b[name][key]:
                    changes.append(Change("endpoint_changed", f"{name}.{key}", value, ends_b[name][key]))

    # A binding is who it connects: port, direction and PLC node; its scaling can change in place.
    binds_a = {(_port(x.port, renames), x.direction, x.endpoint, x.node_id): _binding_fields(x) for x in a.bindings}
    binds_b = {(x.port, x.direction, x.endpoint, x.node_id): _binding_fields(x) for x in b.bindings}
    for bound in sorted(set(binds_a) | set(binds_b)):
        port, direction, endpoint, node_id = bound
        target = f"{port} {'<-' if direction == 'read' else '->'} {endpoint}:{node_id}"
        if bound not in binds_b:
            changes.append(Change("binding_removed", target))
        elif bound not in binds_a:
            changes.append(Change("binding_added", target))
        else:
            before_fields, after_fields = binds_a[bound], binds_b[bound]
            for field_name, value in before_fields.items():
                if value != after_fields[field_name]:
                    changes.append(Change("binding_changed", f"{target} {field_name}", value, after_fields[field_name]))
    return changes
