"""The engine's exception tree.

    SimulationError
    ├── ModelError                      a model document or a part of it is not acceptable
    │   ├── DocumentError               the document does not match the format (problems carry locations)
    │   ├── UnknownComponentTypeError   a type name that is not in the library
    │   ├── ParameterError              parameters outside the type's schema
    │   ├── UnknownPortError            a port that the component type does not declare
    │   └── GraphError                  the connections do not form a runnable graph
    │       └── AlgebraicLoopError      a cycle through feedthrough paths
    └── RunError                        something went wrong while running a plan
        └── PortIOError                 the I/O boundary (e.g. a PLC) failed
"""

from __future__ import annotations

from typing import Any

from ._hints import hint, hint_details


class SimulationError(Exception):
    """Base of every error the engine raises."""

    code = "simulation_error"

    def __init__(self, message: str, problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[dict[str, Any]] = problems or []


class ModelError(SimulationError):
    code = "invalid_model"


class DocumentError(ModelError):
    code = "invalid_document"


class UnknownComponentTypeError(ModelError):
    code = "unknown_component_type"

    def __init__(self, type_name: str, valid: list[str]) -> None:
        super().__init__(
            f"unknown component type {type_name!r}{hint(type_name, valid)}; valid types: {', '.join(valid)}",
            [{"type": type_name, "valid": valid, **hint_details(type_name, valid)}],
        )
        self.type_name = type_name
        self.valid = valid


class ParameterError(ModelError):
    code = "invalid_parameters"


class UnknownPortError(ModelError):
    code = "unknown_port"

    def __init__(self, component: str, port: str, valid: list[str], direction: str | None = None) -> None:
        kind = f"{direction} port" if direction else "port"
        super().__init__(
            f"component {component!r} has no {kind} {port!r}{hint(port, valid)}; valid: {', '.join(valid) or '(none)'}",
            [{"component": component, "port": port, "valid": valid, **hint_details(port, valid)}],
        )
        self.component = component
        self.port = port
        self.valid = valid


class GraphError(ModelError):
    code = "invalid_graph"


class AlgebraicLoopError(GraphError):
    code = "algebraic_loop"


class RunError(SimulationError):
    code = "run_error"


class PortIOError(RunError):
    code = "port_io_error"
