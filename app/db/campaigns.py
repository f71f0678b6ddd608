"""The campaigns table: one scenario run over a grid of parameter values and many seeds, its progress and results.

A campaign keeps its history when its scenario or model is deleted (the ids become NULL; the names and the model's
document hash say what ran), like a scenario run. ``summary`` is the aggregated result (pass rate per point,
distributions, worst cases) as JSON; ``cases`` every (point, seed) result, zlib-compressed JSON, for JUnit and HTML.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TimestampedBase, UTCDateTime

CAMPAIGN_STATUSES = ("pending", "running", "completed", "failed", "aborted")
ACTIVE_CAMPAIGN_STATUSES = ("pending", "running")


class Campaign(TimestampedBase):
    """A campaign of one stored scenario: what was asked (``request``), how far it got, and what it found."""

    __tablename__ = "campaigns"

    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id", ondelete="SET NULL"), index=True)
    machine_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("machine_models.id", ondelete="SET NULL"), index=True
    )
    # Who may see the campaign: it outlives its scenario and model, so the project is kept on the row itself.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    scenario_name: Mapped[str] = mapped_column(String(200))
    model_name: Mapped[str] = mapped_column(String(200))
    model_hash: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    verdict: Mapped[str | None] = mapped_column(String(10))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # seeds, sweep, metrics as given (normalised)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the scenario as it was run
    executor: Mapped[str] = mapped_column(String(200), default="")
    runs_total: Mapped[int] = mapped_column(Integer)
    runs_done: Mapped[int] = mapped_column(Integer, default=0)
    runs_passed: Mapped[int] = mapped_column(Integer, default=0)
    wall_time: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cases: Mapped[bytes | None] = mapped_column(LargeBinary)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
