"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.errors import error_responses
from app.api.security import PrincipalDep
from app.core.errors import ForbiddenError

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
               **error_responses(401, 403)},
)  # fmt: skip
def metrics(request: Request, principal: PrincipalDep) -> Response:
    """Prometheus metrics: simulation and scenario runs by status; per active run ticks, ticks/s, overruns and
    lateness; per HIL endpoint Read/Write round-trip histograms, reconnects and whether it is connected; request
    latency histograms by route (its name, as in the audit trail). Open in local single-user mode; with users, a
    platform admin's session or token (one limited to the observer role is enough:
    `run.py tokens create --user ADMIN --role observer`)."""
    if not (principal.local or (principal.is_admin and principal.token_project is None)):
        raise ForbiddenError(
            f"{principal.describe()} may not read the metrics: they span every project",
            [{"required": "platform_admin"}],
        )
    return Response(generate_latest(request.app.state.observability.registry), media_type=CONTENT_TYPE_LATEST)
