"""The model documents that runs ran, content-addressed: one row per distinct document, keyed by its hash.

``hash`` is ``ModelDocument.digest()``, the sha256 of the canonical JSON text, and ``data`` is exactly that text,
zlib-compressed: ``sha256(zlib.decompress(data)) == hash``. Runs of identical models share one row; rows are
never changed or deleted (a run may refer to one for as long as the run exists).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow


class StoredModelDocument(Base):
    """One canonical model document; its primary key is its own hash (not an id), so storing it twice is a no-op."""

    __tablename__ = "model_documents"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed canonical JSON text
    size: Mapped[int] = mapped_column(Integer)  # bytes of the JSON text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # rows never change: = created_at
