"""Schemas of the commissioning helpers: testing an OPC UA endpoint and browsing its address space."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ServerInfo(BaseModel):
    product_name: str | None = None
    product_uri: str | None = None
    manufacturer_name: str | None = None
    software_version: str | None = None
    build_number: str | None = None


class SecurityInfo(BaseModel):
    policy: str = Field(examples=["None", "Basic256Sha256"])
    mode: str = Field(examples=["None", "Sign", "SignAndEncrypt"])
    user: str = Field(description="the user name, or `anonymous`")


class OperationLimits(BaseModel):
    max_nodes_per_read: int | None = Field(None, description="null: the server states no limit")
    max_nodes_per_write: int | None = None
    max_nodes_per_browse: int | None = None


class EndpointTestRead(BaseModel):
    """The outcome of connecting to an endpoint: what answered, or a readable reason it failed."""

    ok: bool
    endpoint: str
    url: str
    server: ServerInfo | None = None
    security: SecurityInfo | None = None
    namespaces: list[str] = Field(default_factory=list, description="the namespace array, index 0 first")
    operation_limits: OperationLimits | None = None
    connect_ms: float | None = None
    reason: str | None = Field(
        None,
        description="when ok is false: refused, timeout, unreachable, host_not_found, certificate, bad_credentials, "
        "security_mismatch, invalid_config or error",
    )
    message: str | None = Field(None, description="when ok is false: what happened, in words")


class BrowseChild(BaseModel):
    node_id: str = Field(examples=["nsu=urn:plant;s=Tank.Level"], description="usable as a binding's node_id")
    browse_name: str
    display_name: str | None = None
    node_class: str = Field(examples=["Object", "Variable"])
    data_type: str | None = Field(None, examples=["Double"], description="variables only")
    readable: bool | None = Field(None, description="variables only: the session may read it")
    writable: bool | None = Field(None, description="variables only: the session may write it")
    access_level: int | None = Field(
        None, description="variables only: the UserAccessLevel bits (1 CurrentRead, 2 CurrentWrite, ...)"
    )
    value_rank: int | None = Field(None, description="variables only: -1 scalar, 1 one-dimensional array, ...")
    array_dimensions: list[int] | None = Field(None, description="variables only: the length of each dimension")
    description: str | None = Field(None, description="the node's Description, when it has one")


class BrowseRead(BaseModel):
    """The children of ``node`` (the Objects folder when absent)."""

    endpoint_id: int
    node: str | None
    children: list[BrowseChild]
