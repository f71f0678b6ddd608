"""ASGI middleware writing the audit entry of every state-changing request under /api/ (app/services/audit.py).

The entry is written after the route's transaction and *before* the response starts, so a client that has
its answer can already find the entry; a request that crashes is recorded with outcome 500.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio

from app.api.security import AUDIT_SCOPE_KEY
from app.core.config import Settings, get_settings
from app.db.session import get_session_factory
from app.services import audit

logger = logging.getLogger(__name__)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _settings(scope: dict[str, Any]) -> Settings:
    app = scope["app"]
    provider = app.dependency_overrides.get(get_settings, get_settings)
    return provider()


def _write(scope: dict[str, Any], context: audit.AuditContext, tap: audit.BodyTap, status: int) -> None:
    route = scope.get("route")
    if route is None:  # no such route: nothing could change
        return
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    client = scope.get("client")
    values = {
        **audit.body_values(bytes(tap.head), tap.size, tap.sha256, headers.get("content-type", "")),
        **audit.query_values(scope.get("query_string", b"")),
    }
    try:
        with get_session_factory(_settings(scope).database_url)() as session:
            audit.record(
                session,
                context,
                source=client[0] if client else "",
                action=getattr(route, "name", "") or "",
                method=scope["method"],
                target=scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
                outcome=status,
                values=values,
            )
            session.commit()
    except Exception:  # the request is done; losing its entry must be loud, not a second failure
        logger.exception("could not write the audit entry of %s %s", scope["method"], scope["path"])


class AuditMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        context = audit.AuditContext()
        scope[AUDIT_SCOPE_KEY] = context
        tap = audit.BodyTap()
        written = False

        async def tapped_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                tap.feed(message.get("body", b""))
            return message

        async def tapped_send(message: Any) -> None:
            nonlocal written
            if message["type"] == "http.response.start" and not written:
                written = True
                await anyio.to_thread.run_sync(_write, scope, context, tap, message["status"])
            await send(message)

        try:
            await self.app(scope, tapped_receive, tapped_send)
        except Exception:
            if not written:
                written = True
                await anyio.to_thread.run_sync(_write, scope, context, tap, 500)
            raise
