"""Tables of identity and accountability: users, their sessions and API tokens, project roles, PLC-write
grants and the append-only audit trail.

Secrets are never stored: passwords as argon2 hashes, session and API tokens as SHA-256 hashes of the
random value handed out once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TimestampedBase, UTCDateTime

ROLES = ("observer", "operator", "engineer", "admin")  # lowest first; each includes the ones before it


class User(TimestampedBase):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)  # platform admin: every project, manages users
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuthSession(TimestampedBase):
    """A signed-in browser or client: an opaque token (only its hash here) that sign-out really ends."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(100), default="")


class ApiToken(TimestampedBase):
    """A token for CI and scripts: shown once, optionally limited to one project and a role, revocable."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(20))  # "dtw_" + the first characters, to recognise a token
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProjectMember(TimestampedBase):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class PlcWriteGrant(TimestampedBase):
    """The explicit permission to drive a real PLC through one endpoint (HIL writes, forces feeding them)."""

    __tablename__ = "plc_write_grants"
    __table_args__ = (UniqueConstraint("endpoint_id", "user_id"),)

    endpoint_id: Mapped[int] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)


class AuditEvent(TimestampedBase):
    """One entry of the audit trail; no route changes or deletes it. ``project_id`` and ``user_id`` are plain
    integers (no foreign keys): the history outlives projects and users, and names are copied in."""

    __tablename__ = "audit_events"

    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str | None] = mapped_column(String(100))
    token_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(100), default="")
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    method: Mapped[str] = mapped_column(String(10), default="")
    target: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[int] = mapped_column(Integer)  # the HTTP status answered
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
