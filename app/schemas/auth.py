"""Schemas of sign-in, users, API tokens, project members, PLC-write grants and the audit trail.

No read schema has a password or token field, except the one-time answers of sign-in and token creation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["observer", "operator", "engineer", "admin"]
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    username: str = Field(max_length=100)
    password: str = Field(max_length=1000)


class UserRead(BaseModel):
    id: int
    username: str
    is_admin: bool
    is_active: bool
    created_at: datetime


class LoginRead(BaseModel):
    token: str = Field(description="the session token, shown once (also set as an HttpOnly cookie)")
    expires_at: datetime
    user: UserRead


class ProjectRole(BaseModel):
    project_id: int
    name: str
    role: Role


class MeRead(BaseModel):
    mode: Literal["local", "multi-user"] = Field(
        description="`local`: no user exists, the server only listens on loopback and everyone is the local user"
    )
    user: UserRead | None
    token_id: int | None = Field(None, description="set when the request came with an API token")
    token_project_id: int | None = None
    token_role: Role | None = None
    projects: list[ProjectRole] = Field(description="the projects the caller sees, with the caller's role")


class PasswordChange(Strict):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(min_length=8, max_length=1000)


class UserCreate(Strict):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=8, max_length=1000)
    is_admin: bool = False


class UserUpdate(Strict):
    is_admin: bool | None = None
    is_active: bool | None = Field(None, description="false signs the user out everywhere and refuses their tokens")
    password: str | None = Field(None, min_length=8, max_length=1000, description="sets a new password")


class TokenCreate(Strict):
    name: str = Field("", max_length=200)
    project_id: int | None = Field(None, description="limit the token to this project")
    role: Role | None = Field(None, description="limit the token to this role (never above the user's own)")
    expires_days: float | None = Field(None, gt=0, le=3650)


class TokenRead(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="the first characters of the token, to recognise it")
    project_id: int | None
    role: Role | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    state: Literal["active", "expired", "revoked"]


class TokenCreated(TokenRead):
    token: str = Field(description="the token, shown this once; only its hash is stored")


class MemberSet(Strict):
    role: Role


class MemberRead(BaseModel):
    user_id: int
    username: str
    role: Role
    since: datetime


class GrantRead(BaseModel):
    endpoint_id: int
    user_id: int
    username: str
    granted_by: int | None
    since: datetime


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    user_id: int | None
    username: str | None
    token_id: int | None
    source: str
    project_id: int | None
    action: str
    method: str
    target: str
    outcome: int
    details: dict[str, Any]
