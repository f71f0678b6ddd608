"""Tables of simulation runs: one row per run, its events, and its recorded telemetry once the run has ended.

A run keeps its history when its machine model is deleted (``machine_model_id`` becomes NULL); the model's
name and the hash of the document it ran identify what was simulated, and the document itself is kept in
``model_documents`` (app/db/model_documents.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TimestampedBase, UTCDateTime

RUN_STATUSES = ("pending", "running", "degraded", "completed", "stopped", "failed", "aborted")
ACTIVE_STATUSES = ("pending", "running", "degraded")  # degraded: ticking while a PLC connection is lost


class SimulationRun(TimestampedBase):
    """One simulation run: its settings, live counters (refreshed about once a second) and outcome."""

    __tablename__ = "simulation_runs"

    machine_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("machine_models.id", ondelete="SET NULL"), index=True
    )
    # Who may see the run: it outlives its model, so the project is kept on the row itself.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_hash: Mapped[str] = mapped_column(String(64))
    # The document it ran (model_documents, by hash); null for runs from before documents were kept.
    document_hash: Mapped[str | None] = mapped_column(String(64), ForeignKey("model_documents.hash"), index=True)
    # The start request as given (without the model id): what a rerun replays.
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rerun_of: Mapped[int | None] = mapped_column(ForeignKey("simulation_runs.id", ondelete="SET NULL"), index=True)
    engine_version: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10), default="sim")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    dt: Mapped[float] = mapped_column(Float)
    duration: Mapped[float | None] = mapped_column(Float)
    realtime: Mapped[bool] = mapped_column(Boolean, default=False)
    time_scale: Mapped[float] = mapped_column(Float, default=1.0)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tick: Mapped[int] = mapped_column(Integer, default=0)
    sim_time: Mapped[float] = mapped_column(Float, default=0.0)
    wall_time: Mapped[float] = mapped_column(Float, default=0.0)
    overruns: Mapped[int] = mapped_column(Integer, default=0)
    mean_lateness: Mapped[float] = mapped_column(Float, default=0.0)
    max_lateness: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    final_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # HIL runs and served twins: I/O health (state, reconnects, seconds degraded, read/write ms, binding errors).
    io: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RunTelemetry(TimestampedBase):
    """What a run records: its ports, ``every`` and how many samples are stored so far.

    The samples are in ``run_telemetry_chunks`` (app/db/telemetry.py), written about once a second while the run
    ticks. Runs stored before chunks existed keep them here instead: ``data`` is zlib-compressed JSON of
    ``{"times", "rows"}``, written once when the run ended (null for chunked runs).
    """

    __tablename__ = "run_telemetry"

    run_id: Mapped[int] = mapped_column(ForeignKey("simulation_runs.id", ondelete="CASCADE"), unique=True)
    ports: Mapped[list[str]] = mapped_column(JSON)
    every: Mapped[int] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(Integer)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)


class RunEvent(TimestampedBase):
    """One entry of a run's event log (started, force, fault_injected, finished, ...), written as the run goes."""

    __tablename__ = "run_events"
    __table_args__ = (UniqueConstraint("run_id", "seq"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("simulation_runs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    tick: Mapped[int] = mapped_column(Integer)
    t: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Who caused it (the request's user); null for the run itself, an OPC UA client or local mode.
    user: Mapped[str | None] = mapped_column(String(100))
