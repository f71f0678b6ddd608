"""Users (platform admins only) and each user's own API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import select

from app.api.deps import PageDep, SessionDep
from app.api.errors import error_responses
from app.api.security import PrincipalDep
from app.core.errors import ForbiddenError, NotFoundError
from app.db.auth import ApiToken, User
from app.db.models import Project
from app.schemas.auth import TokenCreate, TokenCreated, TokenRead, UserCreate, UserRead, UserUpdate
from app.schemas.common import Page
from app.services import access, auth
from app.services.common import get_or_404, paginate, storable_id

router = APIRouter(prefix="/users", tags=["users and tokens"])
tokens_router = APIRouter(prefix="/tokens", tags=["users and tokens"])


def platform_admin(principal: PrincipalDep) -> access.Principal:
    """The principal, if it may manage users (a platform admin's own session or unlimited token; local mode)."""
    if not principal.manages_users:
        raise ForbiddenError(f"{principal.describe()} is not a platform admin", [{"required": "platform_admin"}])
    return principal


PlatformAdmin = Annotated[access.Principal, Depends(platform_admin)]


def _user(session: Any, user_id: int) -> User:
    user = session.get(User, user_id) if storable_id(user_id) else None
    if user is None:
        raise NotFoundError(f"user {user_id} not found", [{"id": user_id}])
    return user


@router.get("", responses=error_responses(403, 422))
def list_users(session: SessionDep, page: PageDep, _: PlatformAdmin) -> Page[UserRead]:
    """Every user (platform admins)."""
    items, total = paginate(session, select(User).order_by(User.id), page.limit, page.offset)
    return Page(items=[UserRead.model_validate(auth.user_read(u)) for u in items], total=total, limit=page.limit,
                offset=page.offset)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 409, 422))
def create_user(data: UserCreate, session: SessionDep, _: PlatformAdmin) -> UserRead:
    """Create a user (platform admins; in local mode, the first user ends local mode). Passwords: 8+ characters."""
    return UserRead.model_validate(auth.user_read(auth.create_user(session, data.username, data.password,
                                                                   data.is_admin)))


@router.patch("/{user_id}", responses=error_responses(403, 404, 422))
def update_user(user_id: int, data: UserUpdate, session: SessionDep, _: PlatformAdmin) -> UserRead:
    """Make a user platform admin or not, deactivate (signs them out, refuses their tokens) or set a password."""
    user = _user(session, user_id)
    if data.is_admin is not None:
        user.is_admin = data.is_admin
    if data.is_active is not None:
        user.is_active = data.is_active
        if not data.is_active:
            auth.end_sessions(session, user.id)
    if data.password is not None:
        auth.set_password(session, user, data.password)
    session.flush()
    return UserRead.model_validate(auth.user_read(user))


# -------------------------------------------------------------------------------------------- tokens


def token_read(row: ApiToken, now: datetime | None = None) -> dict[str, Any]:
    fields = {c.key: getattr(row, c.key) for c in ApiToken.__table__.columns if c.key != "token_hash"}
    return {**fields, "state": auth.token_state(row, now)}


def _own_token(session: Any, principal: access.Principal, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id) if storable_id(token_id) else None
    if row is None or principal.user_id is None or row.user_id != principal.user_id:
        raise NotFoundError(f"token {token_id} not found", [{"id": token_id}])
    return row


def signed_in_user(principal: PrincipalDep) -> access.Principal:
    if principal.user_id is None:
        raise ForbiddenError("API tokens belong to users; create one first with `run.py users create NAME`")
    return principal


UserPrincipal = Annotated[access.Principal, Depends(signed_in_user)]


@tokens_router.get("", responses=error_responses(403))
def list_tokens(session: SessionDep, principal: UserPrincipal) -> list[TokenRead]:
    """Your API tokens (never the tokens themselves: only their `prefix`)."""
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id))
    return [TokenRead.model_validate(token_read(r)) for r in rows]


@tokens_router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(403, 404, 422))
def create_token(data: TokenCreate, session: SessionDep, principal: UserPrincipal) -> TokenCreated:
    """Create an API token for CI and scripts: `Authorization: Bearer dtw_...`. The token is in this answer
    only. `project_id` limits it to one project you can see, `role` to a role (it never exceeds yours);
    `expires_days` makes it expire. A token cannot create tokens beyond its own limits."""
    if principal.token_project is not None and data.project_id != principal.token_project:
        raise ForbiddenError(f"this token is limited to project {principal.token_project}",
                             [{"loc": "body.project_id", "token_project": principal.token_project}])
    if data.project_id is not None:
        get_or_404(session, Project, data.project_id, "project_id")
    role = data.role
    if principal.token_role is not None and (role is None or access.LEVEL[role] > access.LEVEL[principal.token_role]):
        role = principal.token_role  # type: ignore[assignment]
    user = session.get(User, principal.user_id)
    assert user is not None
    token, row = auth.create_token(session, user, data.name, data.project_id, role, data.expires_days)
    return TokenCreated.model_validate({**token_read(row), "token": token})


@tokens_router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404))
def revoke_token(token_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    """Revoke one of your tokens: it stops working at once (it stays listed as `revoked`)."""
    auth.revoke_token(session, _own_token(session, principal, token_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
