"""Sign-in, sign-out, the caller's identity and password change."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from app.api.deps import SessionDep, SettingsDep
from app.api.errors import error_responses
from app.api.security import AUDIT_SCOPE_KEY, COOKIE_NAME, PrincipalDep
from app.core.errors import ForbiddenError, UnauthorizedError
from app.db.auth import User
from app.db.models import Project
from app.schemas.auth import LoginRead, LoginRequest, MeRead, PasswordChange, ProjectRole, UserRead
from app.services import auth

router = APIRouter(prefix="/auth", tags=["authentication"])


@router.post("/login", responses=error_responses(401, 422))
def login(data: LoginRequest, request: Request, response: Response, session: SessionDep,
          settings: SettingsDep) -> LoginRead:
    """Sign in: the answer carries the session token (for `Authorization: Bearer`) and sets it as an HttpOnly,
    SameSite=Strict cookie for browsers. Wrong name or password, or a deactivated user: 401 `invalid_credentials`
    (the same answer for each, so it does not tell which). Every attempt is in the audit trail."""
    audit = request.scope.get(AUDIT_SCOPE_KEY)
    if audit is not None:
        audit.username = data.username[:100]
    user = auth.verify(session, data.username, data.password)
    if user is None:
        raise UnauthorizedError("wrong username or password", code="invalid_credentials")
    if audit is not None:
        audit.user_id = user.id
    client = request.client.host if request.client else ""
    token, row = auth.open_session(session, user, settings.session_hours, request.headers.get("user-agent", ""), client)
    response.set_cookie(
        COOKIE_NAME, token, max_age=int(settings.session_hours * 3600), httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/",
    )
    return LoginRead(token=token, expires_at=row.expires_at, user=UserRead.model_validate(auth.user_read(user)))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401))
def logout(principal: PrincipalDep, session: SessionDep) -> Response:
    """End the current session (its token stops working at once) and clear the cookie. With an API token
    this does nothing to the token: revoke it with `DELETE /api/v1/tokens/{id}`."""
    if principal.session_id is not None:
        auth.close_session(session, principal.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


@router.get("/me", responses=error_responses(401))
def me(principal: PrincipalDep, session: SessionDep) -> MeRead:
    """Who the caller is: `mode` (local single-user or multi-user), the user, the token's limits if any, and the
    projects the caller sees with the caller's role in each."""
    visible = principal.visible_projects()
    stmt = select(Project.id, Project.name).order_by(Project.id)
    if visible is not None:
        stmt = stmt.where(Project.id.in_(visible))
    projects = [
        ProjectRole(project_id=pid, name=name, role=role)  # type: ignore[arg-type]
        for pid, name in session.execute(stmt)
        if (role := principal.role_in(pid)) is not None
    ]
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    return MeRead(
        mode="local" if principal.local else "multi-user",
        user=UserRead.model_validate(auth.user_read(user)) if user is not None else None,
        token_id=principal.token_id,
        token_project_id=principal.token_project,
        token_role=principal.token_role,  # type: ignore[arg-type]
        projects=projects,
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401, 403, 422))
def change_password(data: PasswordChange, principal: PrincipalDep, session: SessionDep) -> Response:
    """Change your own password (the current one is required). Every other session of yours ends; API tokens
    stay valid (revoke them separately)."""
    if principal.user_id is None:
        raise ForbiddenError("there are no users yet (local mode): create one with `run.py users create NAME`")
    user = session.get(User, principal.user_id)
    assert user is not None
    if auth.verify(session, user.username, data.current_password) is None:
        raise ForbiddenError("the current password is wrong", [{"loc": "body.current_password"}],
                             code="wrong_password")
    auth.set_password(session, user, data.new_password, keep_session=principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)



