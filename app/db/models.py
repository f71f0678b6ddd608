"""The tables: projects own machine models and OPC UA endpoints; models own components and connections."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import TimestampedBase


class Project(TimestampedBase):
    __tablename__ = "projects"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    machine_models: Mapped[list[MachineModel]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )
    endpoints: Mapped[list[Endpoint]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )


class MachineModel(TimestampedBase):
    __tablename__ = "machine_models"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    dt: Mapped[float] = mapped_column(Float, default=0.01)

    project: Mapped[Project] = relationship(back_populates="machine_models")


class Component(TimestampedBase):
    __tablename__ = "components"
    __table_args__ = (UniqueConstraint("machine_model_id", "name"),)

    machine_model_id: Mapped[int] = mapped_column(ForeignKey("machine_models.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Connection(TimestampedBase):
    """An output port driving an input port; ``machine_model_id`` is denormalised for listing and export."""

    __tablename__ = "connections"
    # The database also enforces "an input port has at most one connection driving it".
    __table_args__ = (UniqueConstraint("target_component_id", "target_port"),)

    machine_model_id: Mapped[int] = mapped_column(ForeignKey("machine_models.id", ondelete="CASCADE"), index=True)
    source_component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), index=True)
    source_port: Mapped[str] = mapped_column(String(100))
    target_component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), index=True)
    target_port: Mapped[str] = mapped_column(String(100))


class Endpoint(TimestampedBase):
    """An OPC UA server; the password is stored encrypted and never returned by the API."""

    __tablename__ = "endpoints"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    security_policy: Mapped[str] = mapped_column(String(40), default="None")
    security_mode: Mapped[str] = mapped_column(String(40), default="None")
    username: Mapped[str | None] = mapped_column(String(200))
    password: Mapped[str | None] = mapped_column(String(1000))  # Fernet-encrypted (app/services/secrets.py)
    # Nodes per Read/Write service call at most (None: the server's advertised MaxNodesPerRead/Write).
    max_nodes_per_read: Mapped[int | None] = mapped_column(Integer)
    max_nodes_per_write: Mapped[int | None] = mapped_column(Integer)

    project: Mapped[Project] = relationship(back_populates="endpoints")


class CommunicationBinding(TimestampedBase):
    """One component port mapped to one OPC UA node; ``read`` = PLC -> twin, ``write`` = twin -> PLC."""

    __tablename__ = "communication_bindings"

    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), index=True)
    port: Mapped[str] = mapped_column(String(100))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[str] = mapped_column(String(500))
    direction: Mapped[str] = mapped_column(String(10))
    data_type: Mapped[str | None] = mapped_column(String(10))
    scale: Mapped[float] = mapped_column(Float, default=1.0)
    offset: Mapped[float] = mapped_column(Float, default=0.0)

class InputDriver(TimestampedBase):
    """The claim of one input port by its one driver: a connection or a read binding (never both, never two).

    ``UNIQUE(component_id, port)`` makes "an input has at most one driver" a database rule across both
    tables, so concurrent requests cannot both win; deleting the connection, binding or component deletes
    the claim (``ON DELETE CASCADE``).
    """

    __tablename__ = "input_drivers"
    __table_args__ = (
        UniqueConstraint("component_id", "port"),
        CheckConstraint("(connection_id IS NULL) <> (binding_id IS NULL)", name="one_driver_kind"),
    )

    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), index=True)
    port: Mapped[str] = mapped_column(String(100))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), unique=True
    )
    binding_id: Mapped[int | None] = mapped_column(
        ForeignKey("communication_bindings.id", ondelete="CASCADE"), unique=True
    )


# Simulation runs live in their own module; importing it here registers them on the metadata Alembic compares.
from app.db.auth import ApiToken, AuditEvent, AuthSession, PlcWriteGrant, ProjectMember, User  # noqa: E402
from app.db.campaigns import Campaign  # noqa: E402
from app.db.model_documents import StoredModelDocument  # noqa: E402
from app.db.revisions import ModelRevision  # noqa: E402
from app.db.runs import RunTelemetry, SimulationRun  # noqa: E402
from app.db.scenarios import Scenario, ScenarioRun  # noqa: E402
from app.db.telemetry import RunTelemetryChunk  # noqa: E402

__all__ = [
    "ApiToken",
    "Campaign",
    "AuditEvent",
    "AuthSession",
    "CommunicationBinding",
    "Component",
    "Connection",
    "PlcWriteGrant",
    "ProjectMember",
    "Endpoint",
    "InputDriver",
    "MachineModel",
    "ModelRevision",
    "Project",
    "RunTelemetry",
    "RunTelemetryChunk",
    "Scenario",
    "ScenarioRun",
    "SimulationRun",
    "StoredModelDocument",
    "User",
]
