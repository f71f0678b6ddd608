"""Model history: one row per change of a stored model's document, pointing at the document it became."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TimestampedBase


class ModelRevision(TimestampedBase):
    """Revision ``number`` (1, 2, ... per model) of a model: the stored document it became, who changed it and a
    short summary of what changed against the revision before (the full diff is computed on request)."""

    __tablename__ = "model_revisions"
    __table_args__ = (UniqueConstraint("machine_model_id", "number"),)

    machine_model_id: Mapped[int] = mapped_column(ForeignKey("machine_models.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    document_hash: Mapped[str] = mapped_column(ForeignKey("model_documents.hash"))
    user: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[int] = mapped_column(Integer, default=0)  # how many changes against the revision before
    summary: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the first few changes, one line each
    restored_from: Mapped[int | None] = mapped_column(Integer)  # the revision number a restore brought back
