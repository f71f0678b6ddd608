"""Per-request observability: a request id (``X-Request-ID``) and log context for every HTTP request, and the
request latency histogram by route that ``GET /metrics`` reports.

Pure ASGI and outermost, so it also times what the request guard refuses. Requests are labelled by the name of
the route they matched (``get_simulation_status``, the OpenAPI operation and the audit trail's action), never by
the raw path, so ids cannot grow the label set; requests that matched no route share ``<unmatched>``.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

from app.core.logs import LogContext, request_context

REQUEST_ID_HEADER = b"x-request-id"
_CLIENT_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")  # a proxy's id is kept if it is short and plain


class Observability:
    """The app's metrics registry and request histogram (one per application, so tests do not share them)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "dtwin_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )


class RequestContextMiddleware:
    def __init__(self, app: Any, observability: Observability) -> None:
        self.app = app
        self.observability = observability

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope.get("headers", []) if k == REQUEST_ID_HEADER), b"")
        request_id = incoming.decode() if _CLIENT_ID.match(incoming) else uuid.uuid4().hex[:16]
        token = request_context.set(LogContext(request_id))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            label = getattr(route, "name", None) or "<unmatched>"
            self.observability.requests.labels(scope["method"], label, str(status)).observe(
                time.perf_counter() - started
            )
            request_context.reset(token)
