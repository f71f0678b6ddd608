"""The simulation engine: a pure library (no web framework, no database).

Model document -> ``parse_document`` -> ``compile_model`` (execution plan) -> ``Simulator`` ticks it.
"""

from ._exceptions import (
    AlgebraicLoopError,
    DocumentError,
    GraphError,
    ModelError,
    ParameterError,
    PortIOError,
    RunError,
    SimulationError,
    UnknownComponentTypeError,
    UnknownPortError,
)
from .clock import FastClock, WallClock
from .compiler import Plan, check_model, compile_model, generate_source
from .components import (
    ComponentType,
    Port,
    catalogue,
    component_type_names,
    get_component_type,
    types_compatible,
    validate_inputs,
    validate_parameters,
)
from .document import (
    ModelDocument,
    document_json_schema,
    dump_document,
    load_document,
    node_id_problem,
    parse_document,
    read_document_file,
)
from .io import BindingSpec, EndpointSpec, InMemoryIO, PortIO
from .simulator import ENGINE_VERSION, Recording, Simulator, run_document

__all__ = [
    "ENGINE_VERSION",
    "AlgebraicLoopError",
    "BindingSpec",
    "ComponentType",
    "DocumentError",
    "EndpointSpec",
    "FastClock",
    "GraphError",
    "InMemoryIO",
    "ModelDocument",
    "ModelError",
    "ParameterError",
    "Plan",
    "Port",
    "PortIO",
    "PortIOError",
    "Recording",
    "RunError",
    "SimulationError",
    "Simulator",
    "UnknownComponentTypeError",
    "UnknownPortError",
    "WallClock",
    "catalogue",
    "check_model",
    "compile_model",
    "component_type_names",
    "document_json_schema",
    "dump_document",
    "generate_source",
    "get_component_type",
    "load_document",
    "node_id_problem",
    "parse_document",
    "read_document_file",
    "run_document",
    "types_compatible",
    "validate_inputs",
    "validate_parameters",
]
