"""The request guard: one pure ASGI middleware in front of every route (README "Hardening").

For HTTP requests, in this order: the ``Host`` header must be one of ``ALLOWED_HOSTS`` (400, no DNS
rebinding); a state-changing request that carries an ``Origin`` must come from this server or a configured
CORS origin (403, no cross-site stop or force); the body is read up to ``MAX_BODY_BYTES`` (413 as soon as
``Content-Length`` or the bytes read exceed it, so a huge body is never read first); a JSON body must not
nest deeper than ``MAX_NESTING`` nor contain ``NaN``/``Infinity`` (422 naming the place). WebSocket
upgrades get the Host and Origin checks (a cross-site page must not open the live stream); lifespan
messages pass through untouched.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_json
from app.core.config import Settings, get_settings
from app.engine.document import MAX_NESTING, plain_data_problems

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _settings(scope: Scope) -> Settings:
    # Tests override get_settings per application; the guard must see the same settings as the routes.
    app = scope.get("app")
    overrides = getattr(app, "dependency_overrides", {})
    return overrides.get(get_settings, get_settings)()  # type: ignore[no-any-return]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def host_name(host_header: str) -> str:
    """``example.com:7777`` -> ``example.com``; ``[::1]:7777`` -> ``[::1]``; lower case, no trailing dot."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[: host.find("]") + 1] if "]" in host else host
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host.rstrip(".")


def host_allowed(host_header: str | None, allowed: list[str]) -> bool:
    if host_header is None or "*" in allowed:
        return True  # HTTP/1.0 without Host: not a browser, so not DNS rebinding
    return host_name(host_header) in {name.lower().rstrip(".") for name in allowed}


def origin_allowed(origin: str, host_header: str | None, cors_origins: list[str]) -> bool:
    """Same origin as the request's Host, or one of the configured CORS origins."""
    if origin.rstrip("/") in {o.rstrip("/") for o in cors_origins}:
        return True
    if origin == "null" or host_header is None:
        return False
    return urlsplit(origin).netloc.lower() == host_header.strip().lower()


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


class RequestGuard:
    """Host, Origin, body size and JSON body checks; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._cors: dict[tuple[str, ...], ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        settings = _settings(scope)
        try:
            self._check_host_and_origin(scope, settings)
            if scope["type"] == "http":
                receive = await self._read_body(scope, receive, settings.max_body_bytes)
        except _Refused as refused:
            await self._refuse(scope, receive, send, refused)
            return
        await self._inner(settings)(scope, receive, send)

    def _inner(self, settings: Settings) -> ASGIApp:
        if not settings.cors_origins:
            return self.app
        key = tuple(settings.cors_origins)
        if key not in self._cors:
            self._cors[key] = CORSMiddleware(
                self.app, allow_origins=list(key), allow_methods=["*"], allow_headers=["*"]
            )
        return self._cors[key]

    @staticmethod
    def _check_host_and_origin(scope: Scope, settings: Settings) -> None:
        host = _header(scope, b"host")
        if not host_allowed(host, settings.allowed_hosts):
            shown = (host or "")[:100]
            raise _Refused(
                400,
                "host_not_allowed",
                f"this server does not answer to host {shown!r}; add it to the ALLOWED_HOSTS setting",
                [{"loc": "header.host", "value": shown, "allowed": settings.allowed_hosts}],
            )
        origin = _header(scope, b"origin")
        checked = scope["type"] == "websocket" or scope.get("method") in UNSAFE_METHODS
        if checked and origin is not None and not origin_allowed(origin, host, settings.cors_origins):
            raise _Refused(
                403,
                "cross_site_request",
                f"a request from origin {origin[:100]!r} may not change this server (or open its live streams)",
                [{"loc": "header.origin", "value": origin[:100]}],
            )

    @staticmethod
    async def _read_body(scope: Scope, receive: Receive, limit: int) -> Receive:
        """Read the whole body (at most ``limit`` bytes), check a JSON body, and hand the app a replay of it."""
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away; let the app see the same disconnect.
                return _replay([message], receive)
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                raise _too_large(limit)
            chunks.append(body)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        if data and _is_json(_header(scope, b"content-type")):
            _check_json(data)
        return _replay([{"type": "http.request", "body": data, "more_body": False}], receive)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, refused: _Refused) -> None:
        response = error_json(refused.status, refused.code, refused.message, refused.details)
        if scope["type"] == "http":
            await response(scope, receive, send)
            return
        await receive()  # websocket.connect
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": refused.status,
                        "headers": response.raw_headers})
            await send({"type": "websocket.http.response.body", "body": response.body})
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": refused.code})


def _too_large(limit: int) -> _Refused:
    return _Refused(
        413,
        "payload_too_large",
        f"the request body is larger than the limit of {limit} bytes (setting MAX_BODY_BYTES)",
        [{"loc": "body", "limit": limit}],
    )


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _check_json(data: bytes) -> None:
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # not JSON at all: the route reports it as it always did
    except RecursionError:
        parsed = None
        problems = [{"loc": "body", "message": f"nested deeper than the limit of {MAX_NESTING} levels",
                     "type": "too_deep", "limit": MAX_NESTING}]
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        problems = [{"loc": "body", "message": str(exc)[:200], "type": "value_error"}]
        parsed = None
    else:
        problems = plain_data_problems(parsed, "body")
    if problems:
        raise _Refused(422, "validation_error", f"the request body is not acceptable: {problems[0]['loc']}: "
                       f"{problems[0]['message']}", problems)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
