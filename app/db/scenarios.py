"""Tables of test scenarios: the stored scenario documents and the results of running them.

A scenario belongs to a machine model (and through it to a project); deleting the model deletes its
scenarios. A scenario run keeps its history when its scenario or model is deleted (the ids become NULL;
the names and the model's document hash say what ran).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TimestampedBase, UTCDateTime

SCENARIO_RUN_STATUSES = ("pending", "running", "completed", "failed", "aborted")
ACTIVE_SCENARIO_STATUSES = ("pending", "running")


class Scenario(TimestampedBase):
    """A scenario document; ``name`` is the document's name, unique within the project."""

    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    machine_model_id: Mapped[int] = mapped_column(ForeignKey("machine_models.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class ScenarioRun(TimestampedBase):
    """One run of a scenario: status, verdict and the judged result (``result``: JSON without the series)."""

    __tablename__ = "scenario_runs"

    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id", ondelete="SET NULL"), index=True)
    machine_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("machine_models.id", ondelete="SET NULL"), index=True
    )
    # Who may see the run: it outlives its scenario and model, so the project is kept on the row itself.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    scenario_name: Mapped[str] = mapped_column(String(200))
    model_name: Mapped[str] = mapped_column(String(200))
    model_hash: Mapped[str] = mapped_column(String(64))
    # The model document it ran (model_documents, by hash); null for runs from before documents were kept.
    document_hash: Mapped[str | None] = mapped_column(String(64), ForeignKey("model_documents.hash"), index=True)
    rerun_of: Mapped[int | None] = mapped_column(ForeignKey("scenario_runs.id", ondelete="SET NULL"), index=True)
    engine_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    verdict: Mapped[str | None] = mapped_column(String(10))
    seed: Mapped[int] = mapped_column(Integer, default=0)
    dt: Mapped[float] = mapped_column(Float)
    duration: Mapped[float] = mapped_column(Float)
    wall_time: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the scenario as it was run
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    series: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib-compressed JSON {"time", "ports"}
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
