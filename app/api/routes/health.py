"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from app.api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, str]:
    """Report that the service is up and its database answers."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
