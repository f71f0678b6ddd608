"""Recorded telemetry in chunks: one row per second or so of a run's samples, written while it ticks.

A chunk covers consecutive samples (``seq`` 1, 2, 3... per run) and says which ticks and simulated times it
spans, so a time range is read without touching the chunks outside it. ``data`` is the columnar payload of
``app.services.telemetry_codec`` (one compressed column per port, so a subset of ports decompresses only those).
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TimestampedBase


class RunTelemetryChunk(TimestampedBase):
    """Consecutive samples of one run: ticks ``first_tick``..``last_tick``, times ``first_time``..``last_time``."""

    __tablename__ = "run_telemetry_chunks"
    __table_args__ = (UniqueConstraint("run_id", "seq"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("simulation_runs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    first_tick: Mapped[int] = mapped_column(Integer)
    last_tick: Mapped[int] = mapped_column(Integer)
    first_time: Mapped[float] = mapped_column(Float)
    last_time: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
