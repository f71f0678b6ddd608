"""Schemas of the six resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.schemas.common import NAME_PATTERN, ReadBase, UpdateBase
from app.services.rules import check_node_id, check_scale, check_url

SecurityPolicy = Literal["None", "Basic256Sha256"]
SecurityMode = Literal["None", "Sign", "SignAndEncrypt"]
Direction = Literal["read", "write"]
DataType = Literal["bool", "int", "float"]

Name = Field(min_length=1, max_length=200)
ComponentName = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
PortName = Field(min_length=1, max_length=100)


class CreateBase(BaseModel):
    model_config = ConfigDict(extra="forbid")


# projects ------------------------------------------------------------------------------------------------------


class ProjectCreate(CreateBase):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "line-3", "description": "Packaging line 3"}]})
    name: str = Name
    description: str = ""


class ProjectUpdate(UpdateBase):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None


class ProjectRead(ReadBase):
    name: str
    description: str


# machine models -----------------------------------------------------------------------------------------------


class MachineModelCreate(CreateBase):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"project_id": 1, "name": "heated_tank", "description": "", "dt": 0.01}]}
    )
    project_id: int
    name: str = Name
    description: str = ""
    dt: float = Field(0.01, gt=0, description="default simulation step in seconds")


class MachineModelUpdate(UpdateBase):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    dt: float | None = Field(None, gt=0)


class MachineModelRead(ReadBase):
    project_id: int
    name: str
    description: str
    dt: float


class ValidationReport(BaseModel):
    valid: bool
    problems: list[dict[str, Any]]
    execution_order: list[str] | None = Field(description="component names in execution order when valid")


# components ---------------------------------------------------------------------------------------------------


class ComponentCreate(CreateBase):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "machine_model_id": 1,
                    "name": "gain1",
                    "type": "Gain",
                    "parameters": {"k": 2.0},
                    "inputs": {"in": 1.0},
                }
            ]
        }
    )
    machine_model_id: int
    name: str = ComponentName
    type: str = Field(min_length=1, max_length=100, description="a name from GET /api/v1/component-types")
    parameters: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Any] = Field(default_factory=dict, description="values for input ports left unconnected")


class ComponentUpdate(UpdateBase):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=NAME_PATTERN)
    type: str | None = Field(None, min_length=1, max_length=100)
    parameters: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None


class ComponentRead(ReadBase):
    machine_model_id: int
    name: str
    type: str
    parameters: dict[str, Any]
    inputs: dict[str, Any]


# connections --------------------------------------------------------------------------------------------------


class ConnectionCreate(CreateBase):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"source_component_id": 1, "source_port": "out", "target_component_id": 2, "target_port": "in"}
            ]
        }
    )
    source_component_id: int
    source_port: str = PortName
    target_component_id: int
    target_port: str = PortName


class ConnectionUpdate(UpdateBase):
    source_component_id: int | None = None
    source_port: str | None = Field(None, min_length=1, max_length=100)
    target_component_id: int | None = None
    target_port: str | None = Field(None, min_length=1, max_length=100)


class ConnectionRead(ReadBase):
    machine_model_id: int
    source_component_id: int
    source_port: str
    target_component_id: int
    target_port: str


# endpoints ----------------------------------------------------------------------------------------------------


class _EndpointChecks(BaseModel):
    @field_validator("url", check_fields=False)
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)


_MAX_READ = "nodes per Read at most, below the server's MaxNodesPerRead (null: the server's limit)"
_MAX_WRITE = "nodes per Write at most, below the server's MaxNodesPerWrite (null: the server's limit)"


class EndpointCreate(CreateBase, _EndpointChecks):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 1,
                    "name": "plc",
                    "url": "opc.tcp://127.0.0.1:4840",
                    "security_policy": "None",
                    "security_mode": "None",
                    "username": None,
                    "password": None,
                }
            ]
        }
    )
    project_id: int
    name: str = Name
    url: str = Field(max_length=500, description="must start with opc.tcp://")
    security_policy: SecurityPolicy = "None"
    security_mode: SecurityMode = "None"
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=500, description="write-only: never returned")
    max_nodes_per_read: int | None = Field(None, ge=1, description=_MAX_READ)
    max_nodes_per_write: int | None = Field(None, ge=1, description=_MAX_WRITE)


class EndpointUpdate(UpdateBase, _EndpointChecks):
    nullable = frozenset({"username", "password", "max_nodes_per_read", "max_nodes_per_write"})
    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Field(None, max_length=500)
    security_policy: SecurityPolicy | None = None
    security_mode: SecurityMode | None = None
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=500)
    max_nodes_per_read: int | None = Field(None, ge=1, description=_MAX_READ)
    max_nodes_per_write: int | None = Field(None, ge=1, description=_MAX_WRITE)


class EndpointRead(ReadBase):
    project_id: int
    name: str
    url: str
    security_policy: str
    security_mode: str
    username: str | None
    has_password: bool
    max_nodes_per_read: int | None = Field(None, description=_MAX_READ)
    max_nodes_per_write: int | None = Field(None, description=_MAX_WRITE)


# communication bindings ---------------------------------------------------------------------------------------


class _BindingChecks(BaseModel):
    @field_validator("node_id", check_fields=False)
    @classmethod
    def _node_id(cls, value: str | None) -> str | None:
        return None if value is None else check_node_id(value)

    @field_validator("scale", check_fields=False)
    @classmethod
    def _scale(cls, value: float | None) -> float | None:
        return None if value is None else check_scale(value)


class BindingCreate(CreateBase, _BindingChecks):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "component_id": 1,
                    "port": "in",
                    "endpoint_id": 1,
                    "node_id": "ns=2;s=Line3.Valve1.Cmd",
                    "direction": "read",
                    "data_type": "float",
                    "scale": 1.0,
                    "offset": 0.0,
                }
            ]
        }
    )
    component_id: int
    port: str = PortName
    endpoint_id: int
    node_id: str = Field(max_length=500, description="OPC UA node id, e.g. ns=2;s=Tag or nsu=urn:plant;i=42")
    direction: Direction = Field(description="read: PLC -> twin (input ports only); write: twin -> PLC")
    data_type: DataType | None = None
    scale: float = Field(1.0, description="twin = raw * scale + offset; must not be 0")
    offset: float = 0.0


class BindingUpdate(UpdateBase, _BindingChecks):
    nullable = frozenset({"data_type"})
    port: str | None = Field(None, min_length=1, max_length=100)
    endpoint_id: int | None = None
    node_id: str | None = Field(None, max_length=500)
    direction: Direction | None = None
    data_type: DataType | None = None
    scale: float | None = None
    offset: float | None = None


class BindingRead(ReadBase):
    component_id: int
    port: str
    endpoint_id: int
    node_id: str
    direction: str
    data_type: str | None
    scale: float
    offset: float
