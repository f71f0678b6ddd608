"""The FastAPI application: routers, error handlers, OpenAPI metadata."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from app import web
from app.api import errors
from app.api.audit import AuditMiddleware
from app.api.campaign_runner import campaign_runner_lifespan
from app.api.middleware import RequestGuard
from app.api.observability import Observability, RequestContextMiddleware
from app.api.routes import (
    audit,
    auth,
    bindings,
    campaigns,
    component_types,
    components,
    connections,
    endpoints,
    fault_types,
    health,
    machine_models,
    members,
    metrics,
    model_revisions,
    pki,
    projects,
    scenarios,
    schemas,
    simulation_faults,
    simulation_stream,
    simulations,
    users,
)
from app.api.scenario_runner import scenario_runner_lifespan
from app.api.security import get_principal
from app.api.simulation_runs import run_manager_lifespan
from app.core import log_redaction
from app.core.config import get_settings
from app.services.metrics import PlatformCollector

API_PREFIX = "/api/v1"

# Add a router here to expose it under /api/v1.
API_ROUTERS: list[APIRouter] = [
    projects.router,
    machine_models.router,
    model_revisions.router,
    components.router,
    connections.router,
    endpoints.router,
    bindings.router,
    component_types.router,
    schemas.router,
    simulations.router,
    simulation_faults.router,
    fault_types.router,
    scenarios.router,
    scenarios.runs_router,
    campaigns.router,
    members.router,
    users.router,
    users.tokens_router,
    audit.router,
    pki.router,
]
# Every router above needs a signed-in principal (app/api/security.py); these authenticate for themselves
# (sign-in is public; the live stream is a WebSocket and checks its own cookie or token).
PUBLIC_ROUTERS: list[APIRouter] = [auth.router, simulation_stream.router]

DESCRIPTION = """
Build machine models of a digital twin over REST: projects contain machine models and OPC UA endpoints;
models contain components (instances of the engine's component types), connections between their ports
and communication bindings from ports to OPC UA nodes.

Every error has one shape: `{"error": {"code": "...", "message": "...", "details": [...]}}`.
Lists are paginated with `limit`/`offset` and return `{"items", "total", "limit", "offset"}`.

**Authentication.** While no user exists the server runs in local single-user mode (loopback only) and needs no
credentials. Once a user exists, every route but `/health` and `POST /api/v1/auth/login` needs a session token
or API token as `Authorization: Bearer ...` (or the session cookie): 401 otherwise. An object of a project the
caller does not belong to answers 404 exactly as a missing one; a visible object the caller's project role may
not act on answers 403. Roles: observer < operator < engineer < admin.
"""
DESCRIPTION += simulation_stream.STREAM_PROTOCOL


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start-up and shutdown: the run manager, the scenario and the campaign runner live as long as the application."""
    with run_manager_lifespan(app), scenario_runner_lifespan(app), campaign_runner_lifespan(app):
        yield


def create_app() -> FastAPI:
    """Build the application (settings are read per request through ``get_settings``)."""
    app = FastAPI(title=get_settings().app_name, version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    log_redaction.install()
    app.add_middleware(AuditMiddleware)  # inside the guard: what the guard refuses never reaches a route
    app.add_middleware(RequestGuard)  # Host, Origin, body size, JSON body checks (README "Hardening")
    app.state.observability = observability = Observability()
    observability.registry.register(
        PlatformCollector(
            lambda: app.dependency_overrides.get(get_settings, get_settings)().database_url,
            lambda: getattr(app.state, "run_manager", None),
        )
    )
    app.add_middleware(RequestContextMiddleware, observability=observability)  # outermost: request id, timing
    app.include_router(health.router)
    app.include_router(metrics.router)
    for router in PUBLIC_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in API_ROUTERS:
        app.include_router(
            router, prefix=API_PREFIX, dependencies=[Depends(get_principal)], responses=errors.error_responses(401)
        )
    web.install(app)
    return app


app = create_app()
