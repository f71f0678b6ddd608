"""Authentication and authorization of API requests.

- ``get_principal`` (on every router under /api/v1 but sign-in): the request's identity from
  ``Authorization: Bearer <session or dtw_ token>`` or the ``dtwin_session`` cookie; the local user when no
  user exists; 401 otherwise.
- ``access(loader, ROLE)``: loads a path object the request may see (else the same 404 as a missing id) and
  requires ``ROLE`` in its project (else 403). The role then also applies to every object the route's service
  looks up from the body (app/services/access.py).
- ``requires(ROLE)``: the same for routes without a path object (lists, creates).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, get_type_hints

from fastapi import Depends, Request, WebSocket
from fastapi.security import APIKeyCookie, HTTPBearer
from sqlalchemy.orm import Session

from app.api.deps import SessionDep, SettingsDep
from app.core import logs
from app.core.errors import ForbiddenError
from app.services import access, auth
from app.services.access import ADMIN, ENGINEER, OBSERVER, OPERATOR, Principal

COOKIE_NAME = "dtwin_session"
AUDIT_SCOPE_KEY = "dtwin.audit"

# Declared so OpenAPI describes how to authenticate (both are checked by get_principal itself).
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A session token from `POST /api/v1/auth/login` or an API token (`dtw_...`) from "
    "`POST /api/v1/tokens` or `run.py tokens create`. Not needed while no user exists (local single-user mode).",
)
cookie_scheme = APIKeyCookie(
    name=COOKIE_NAME,
    auto_error=False,
    scheme_name="session cookie",
    description="The HttpOnly, SameSite=Strict cookie set by `POST /api/v1/auth/login` (browsers).",
)


def presented_token(authorization: str | None, cookie: str | None, query: str | None = None) -> str | None:
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return cookie or query or None


def get_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _bearer: Annotated[Any, Depends(bearer_scheme)] = None,
    _cookie: Annotated[Any, Depends(cookie_scheme)] = None,
) -> Principal:
    """The request's principal (401 if a user exists and no valid session or token was sent)."""
    audit = request.scope.get(AUDIT_SCOPE_KEY)
    token = presented_token(request.headers.get("authorization"), request.cookies.get(COOKIE_NAME))
    try:
        principal = auth.authenticate(session, settings.database_url, token)
    finally:
        session.info[access.AUDIT_KEY] = audit
    session.info[access.PRINCIPAL_KEY] = principal
    if audit is not None:
        audit.principal = principal
    logs.note_user(principal.username or ("local" if principal.local else f"token {principal.token_id}"))
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def websocket_principal(websocket: WebSocket, session: Session, database_url: str) -> Principal:
    """The principal of a WebSocket: the cookie, ``Authorization: Bearer`` or ``?token=`` (raises 401 errors)."""
    token = presented_token(
        websocket.headers.get("authorization"), websocket.cookies.get(COOKIE_NAME), websocket.query_params.get("token")
    )
    return auth.authenticate(session, database_url, token)


def requires(role: str | None) -> Callable[..., Principal]:
    """A dependency: the principal, with ``role`` required in the project of every object the route looks up.

    ``None``: any signed-in principal not limited to one project (creating a project)."""

    def dependency(principal: PrincipalDep, session: SessionDep) -> Principal:
        if role is None and principal.token_project is not None:
            raise ForbiddenError(
                f"token {principal.token_id} is limited to project {principal.token_project}",
                [{"token_project": principal.token_project}],
            )
        session.info[access.REQUIRED_ROLE_KEY] = role
        return principal

    dependency.__name__ = f"requires_{role or 'user'}"
    return dependency


def access_to(loader: Callable[..., Any], role: str) -> Callable[..., Any]:
    """A dependency that loads a path object with ``loader(..., session)`` and requires ``role`` in its project."""
    hints = get_type_hints(loader, include_extras=True)
    params = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in inspect.signature(loader).parameters.values()
    ]
    principal_param = inspect.Parameter("_principal", inspect.Parameter.KEYWORD_ONLY, annotation=PrincipalDep)

    def dependency(_principal: Principal, **kwargs: Any) -> Any:
        kwargs["session"].info[access.REQUIRED_ROLE_KEY] = role
        return loader(**kwargs)

    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [principal_param.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD), *params],
        return_annotation=hints.get("return", Any),
    )
    dependency.__name__ = f"{loader.__name__}_as_{role}"
    return dependency


Anyone = Annotated[Principal, Depends(requires(None))]
Observer = Annotated[Principal, Depends(requires(OBSERVER))]
Operator = Annotated[Principal, Depends(requires(OPERATOR))]
Engineer = Annotated[Principal, Depends(requires(ENGINEER))]
Admin = Annotated[Principal, Depends(requires(ADMIN))]

__all__ = [
    "ADMIN",
    "ENGINEER",
    "OBSERVER",
    "OPERATOR",
    "Admin",
    "Anyone",
    "Engineer",
    "Observer",
    "Operator",
    "PrincipalDep",
    "access_to",
    "get_principal",
    "requires",
]
