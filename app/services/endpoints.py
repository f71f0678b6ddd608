"""OPC UA endpoints of a project; passwords are stored but never leave the service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import BadGatewayError, ConflictError, NotFoundError
from app.db.models import Endpoint, Project
from app.engine.document import ModelDocument
from app.engine.hil import probe
from app.engine.io import EndpointSpec
from app.schemas.resources import EndpointCreate, EndpointRead, EndpointUpdate
from app.services import access, limits, plc_waits, secrets
from app.services.common import get_or_404, paginate, release_connection

# Changing any of these clears the stored password unless the same request sends a new one.
CREDENTIAL_BOUND = ("url", "security_policy", "security_mode")


def with_stored_passwords(
    session: Session, project_id: int | None, endpoints: Sequence[EndpointSpec]
) -> list[EndpointSpec]:
    """A document's endpoints with the passwords stored in the project (documents never carry them)."""
    rows = session.execute(
        select(Endpoint.id, Endpoint.name, Endpoint.password).where(Endpoint.project_id == project_id)
    )
    stored = {name: secrets.decrypt(session, password, endpoint_id) for endpoint_id, name, password in rows}
    return [replace(e, password=stored[e.name]) if stored.get(e.name) else e for e in endpoints]


def to_read(endpoint: Endpoint) -> EndpointRead:
    """The public view: ``has_password`` instead of the password."""
    return EndpointRead(
        id=endpoint.id,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
        project_id=endpoint.project_id,
        name=endpoint.name,
        url=endpoint.url,
        security_policy=endpoint.security_policy,
        security_mode=endpoint.security_mode,
        username=endpoint.username,
        has_password=bool(endpoint.password),
        max_nodes_per_read=endpoint.max_nodes_per_read,
        max_nodes_per_write=endpoint.max_nodes_per_write,
    )


def _ensure_unique_name(session: Session, project_id: int, name: str, exclude_id: int | None = None) -> None:
    existing = session.scalar(select(Endpoint).where(Endpoint.project_id == project_id, Endpoint.name == name))
    if existing is not None and existing.id != exclude_id:
        raise ConflictError(
            f"project {project_id} already has an endpoint named {name!r} (id {existing.id})",
            [{"loc": "name", "existing_id": existing.id}],
            code="duplicate_name",
        )


def create(session: Session, data: EndpointCreate) -> Endpoint:
    get_or_404(session, Project, data.project_id, "project_id")
    _ensure_unique_name(session, data.project_id, data.name)
    fields = data.model_dump()
    fields["password"] = secrets.encrypt(session, fields["password"])
    endpoint = Endpoint(**fields)
    session.add(endpoint)
    session.flush()
    return endpoint


def list_(session: Session, limit: int, offset: int, project_id: int | None) -> tuple[Sequence[Endpoint], int]:
    stmt = access.restrict(session, select(Endpoint).order_by(Endpoint.id), Endpoint.project_id)
    if project_id is not None:
        get_or_404(session, Project, project_id, "project_id")
        stmt = stmt.where(Endpoint.project_id == project_id)
    return paginate(session, stmt, limit, offset)


def update(session: Session, endpoint: Endpoint, data: EndpointUpdate) -> Endpoint:
    changes = data.changes()
    if "name" in changes:
        _ensure_unique_name(session, endpoint.project_id, changes["name"], exclude_id=endpoint.id)
    if "password" in changes:
        changes["password"] = secrets.encrypt(session, changes["password"])
    elif any(key in changes and changes[key] != getattr(endpoint, key) for key in CREDENTIAL_BOUND):
        # A stored password must never follow the endpoint to another server or to weaker security.
        changes["password"] = None
    for key, value in changes.items():
        setattr(endpoint, key, value)
    session.flush()
    return endpoint


def delete(session: Session, endpoint: Endpoint) -> None:
    """Delete the endpoint; the database cascades to the bindings that use it."""
    session.delete(endpoint)
    session.flush()


def spec(session: Session, endpoint: Endpoint) -> EndpointSpec:
    """The engine's view of a stored endpoint, password decrypted (it never leaves the service)."""
    return EndpointSpec(
        endpoint.name,
        endpoint.url,
        endpoint.security_policy,
        endpoint.security_mode,
        endpoint.username,
        secrets.decrypt(session, endpoint.password, endpoint.id),
        endpoint.max_nodes_per_read,
        endpoint.max_nodes_per_write,
    )


def test(session: Session, endpoint: Endpoint, data_dir: Path) -> dict[str, Any]:
    """Connect and describe the server, or say why not (``ok: false`` with ``reason`` and ``message``).

    Like ``browse``: 429 if the caller or the server has as many PLC waits in progress as allowed; the request's
    database connection goes back to the pool before the wait (app/services/plc_waits.py)."""
    endpoint_spec = spec(session, endpoint)
    with plc_waits.waiting_on_plc(session):
        release_connection(session)
        settings = limits.settings_of(session)
        return probe.test_endpoint(endpoint_spec, data_dir, settings.plc_probe_timeout,
                                   trust_new=settings.opcua_trust_on_first_use)


def browse(session: Session, endpoint: Endpoint, data_dir: Path, node: str | None) -> dict[str, Any]:
    """The children of ``node``; 404 for an unknown node, 502 when the endpoint cannot be used."""
    endpoint_spec = spec(session, endpoint)
    try:
        with plc_waits.waiting_on_plc(session):
            release_connection(session)
            settings = limits.settings_of(session)
            children = probe.browse(endpoint_spec, data_dir, node, settings.plc_probe_timeout,
                                    trust_new=settings.opcua_trust_on_first_use)
    except probe.EndpointError as exc:
        details = [{**p, "endpoint_id": endpoint.id} for p in exc.problems]
        if exc.reason == "unknown_node":
            raise NotFoundError(exc.message, [{"loc": "node", **d} for d in details], code="unknown_node") from exc
        raise BadGatewayError(exc.message, details, code=f"endpoint_{exc.reason}") from exc
    return {"endpoint_id": endpoint.id, "node": node, "children": children}


def check_unchanged(session: Session, project_id: int | None, document: ModelDocument) -> None:
    """409 unless every endpoint the document binds to is in the project with the settings the document has.

    Otherwise the endpoint's current password could go to the server the old document names (moving a password
    to another server is what clearing it on a URL change prevents), and its PLC-write grant could not be checked.
    """
    used = {b.endpoint for b in document.bindings}
    rows = {
        e.name: e for e in session.scalars(select(Endpoint).where(Endpoint.project_id == project_id)) if e.name in used
    }
    problems: list[dict[str, Any]] = []
    for spec in sorted((e for e in document.endpoints if e.name in used), key=lambda e: e.name):
        row = rows.get(spec.name)
        then = (spec.url, spec.security_policy, spec.security_mode, spec.username)
        if row is None:
            problems.append({"loc": "endpoints", "endpoint": spec.name, "reason": "deleted"})
        elif (row.url, row.security_policy, row.security_mode, row.username) != then:
            problems.append({"loc": "endpoints", "endpoint": spec.name, "endpoint_id": row.id, "reason": "changed",
                             "url": spec.url, "current_url": row.url})
    if problems:
        names = ", ".join(f"{p['endpoint']} ({p['reason']})" for p in problems)
        raise ConflictError(
            f"a HIL rerun talks to the endpoints the run used, and these are no longer as they were: {names}; "
            "start a new run of the model instead",
            problems,
            code="endpoint_changed",
        )
