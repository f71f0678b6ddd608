"""Machine models as one document: export, all-or-nothing import, and validation by the engine.

Rows become the engine's document dict here and nowhere else, so the engine never sees the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import ConflictError, UnprocessableError
from app.db.base import utcnow
from app.db.models import CommunicationBinding, Component, Connection, Endpoint, MachineModel, Project
from app.engine._exceptions import DocumentError, ModelError
from app.services import drivers, machine_models, revisions
from app.services.endpoints import CREDENTIAL_BOUND
from app.services.rules import check_node_id, check_scale, check_url

SCHEMA_VERSION = 1


def build_document(session: Session, model: MachineModel) -> dict[str, Any]:
    """The model's rows as a (not yet canonical) document dict."""
    components = session.execute(
        select(Component.id, Component.name, Component.type, Component.parameters, Component.inputs).where(
            Component.machine_model_id == model.id
        )
    ).all()
    names = {row.id: row.name for row in components}
    connections = session.execute(
        select(
            Connection.source_component_id,
            Connection.source_port,
            Connection.target_component_id,
            Connection.target_port,
        ).where(Connection.machine_model_id == model.id)
    ).all()
    bindings = session.execute(
        select(CommunicationBinding, Endpoint.name)
        .join(Component, Component.id == CommunicationBinding.component_id)
        .join(Endpoint, Endpoint.id == CommunicationBinding.endpoint_id)
        .where(Component.machine_model_id == model.id)
    ).all()
    endpoint_ids = sorted({binding.endpoint_id for binding, _ in bindings})
    endpoints = session.scalars(select(Endpoint).where(Endpoint.id.in_(endpoint_ids))).all() if endpoint_ids else []
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": model.name,
        "description": model.description,
        "dt": model.dt,
        "components": [
            {"name": c.name, "type": c.type, "parameters": c.parameters or {}, "inputs": c.inputs or {}}
            for c in sorted(components, key=lambda c: c.name)
        ],
        "connections": sorted(
            (
                {
                    "from": f"{names[c.source_component_id]}.{c.source_port}",
                    "to": f"{names[c.target_component_id]}.{c.target_port}",
                }
                for c in connections
            ),
            key=lambda c: c["to"],
        ),
        "endpoints": [
            {
                "name": e.name,
                "url": e.url,
                "security_policy": e.security_policy,
                "security_mode": e.security_mode,
                "username": e.username,
                "max_nodes_per_read": e.max_nodes_per_read,
                "max_nodes_per_write": e.max_nodes_per_write,
            }
            for e in sorted(endpoints, key=lambda e: e.name)
        ],
        "bindings": sorted(
            (
                {
                    "port": f"{names[b.component_id]}.{b.port}",
                    "endpoint": endpoint_name,
                    "node_id": b.node_id,
                    "direction": b.direction,
                    "data_type": b.data_type,
                    "scale": b.scale,
                    "offset": b.offset,
                }
                for b, endpoint_name in bindings
            ),
            key=lambda b: (b["port"], b["direction"], b["node_id"]),
        ),
    }
    return document


def export_document(session: Session, model: MachineModel) -> dict[str, Any]:
    """The canonical document of a stored model (the engine's ``to_dict`` form)."""
    document = build_document(session, model)
    try:
        return engine.parse_document(document).to_dict()
    except DocumentError:
        # Rows were validated when written; if the library changed since, still hand the user their model.
        return document


def validate(session: Session, model: MachineModel) -> dict[str, Any]:
    """Every reason the model is not runnable, or the execution order when it is."""
    try:
        parsed = engine.parse_document(build_document(session, model))
    except DocumentError as exc:
        return {"valid": False, "problems": exc.problems, "execution_order": None}
    problems = engine.check_model(parsed)
    if problems:
        return {"valid": False, "problems": problems, "execution_order": None}
    try:
        plan = engine.compile_model(parsed)
    except ModelError as exc:
        return {"valid": False, "problems": exc.problems or [{"code": exc.code, "message": exc.message}]}
    return {"valid": True, "problems": [], "execution_order": list(plan.order)}


def load(text: str, fmt: str | None) -> dict[str, Any]:
    """JSON or YAML text to a document dict; syntax errors are 422s with their line."""
    try:
        data = engine.load_document(text, fmt)
    except DocumentError as exc:
        raise UnprocessableError(exc.message, exc.problems, code=exc.code) from exc
    if not isinstance(data, dict):
        raise UnprocessableError("the document must be an object", [{"loc": "", "message": "expected an object"}])
    return data


def _shell_problems(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules the service adds on top of the engine's document checks (URL, node id syntax, scale, dt)."""
    problems: list[dict[str, Any]] = []
    dt = document.get("dt", 0.01)
    if not isinstance(dt, int | float) or dt <= 0:
        problems.append({"loc": "dt", "message": "dt must be a number > 0"})
    for i, endpoint in enumerate(document.get("endpoints") or []):
        try:
            check_url(str(endpoint.get("url", "")))
        except ValueError as exc:
            problems.append({"loc": f"endpoints[{i}].url", "message": str(exc)})
    for i, binding in enumerate(document.get("bindings") or []):
        try:
            check_node_id(str(binding.get("node_id", "")))
        except ValueError as exc:
            problems.append({"loc": f"bindings[{i}].node_id", "message": str(exc)})
        try:
            check_scale(float(binding.get("scale", 1.0)))
        except (TypeError, ValueError) as exc:
            problems.append({"loc": f"bindings[{i}].scale", "message": str(exc)})
    return problems


def _ensure_endpoints_match(session: Session, project: Project, endpoints: list[dict[str, Any]]) -> None:
    """409 when an endpoint of the document exists in the project under the same name with another URL or security.

    The stored endpoint is shared by every model of the project and may hold a password for its server, so an
    import neither moves it silently nor runs the model against the stored server instead of the file's.
    """
    names = [e["name"] for e in endpoints]
    stored = {e.name: e for e in session.scalars(
        select(Endpoint).where(Endpoint.project_id == project.id, Endpoint.name.in_(names))
    )} if names else {}  # fmt: skip
    problems = []
    for i, wanted in enumerate(endpoints):
        existing = stored.get(wanted["name"])
        if existing is None:
            continue
        for key in CREDENTIAL_BOUND:
            theirs = wanted.get(key) or ("opc.tcp://" if key == "url" else "None")
            if theirs != getattr(existing, key):
                problems.append({
                    "loc": f"endpoints[{i}].{key}", "endpoint": wanted["name"], "endpoint_id": existing.id,
                    "document": theirs, "stored": getattr(existing, key),
                })  # fmt: skip
    if problems:
        first = problems[0]
        what = "URL" if first["loc"].endswith(".url") else first["loc"].rsplit(".", 1)[1]
        raise ConflictError(
            f"endpoint {first['endpoint']!r} of the document has {what} {first['document']!r}, but the project's "
            f"endpoint {first['endpoint']!r} (id {first['endpoint_id']}) has {first['stored']!r}: rename the endpoint "
            "in the document to add a new one, or change the stored endpoint first "
            f"(PATCH /api/v1/endpoints/{first['endpoint_id']}) if the model should use the document's server",
            problems,
            code="endpoint_mismatch",
        )


def _checked_document(
    session: Session, project: Project, data: dict[str, Any], model_id: int | None = None
) -> dict[str, Any]:
    """The document in canonical form, or 422 listing every problem / 409 for a taken name or a moved endpoint."""
    try:
        document = engine.parse_document(data).to_dict()
    except DocumentError as exc:
        raise UnprocessableError(exc.message, exc.problems, code=exc.code) from exc
    problems = _shell_problems(document)
    if problems:
        raise UnprocessableError(f"the document has {len(problems)} problem(s)", problems, code="invalid_document")
    machine_models.ensure_unique_name(session, project.id, document["name"], exclude_id=model_id)
    _ensure_endpoints_match(session, project, document.get("endpoints") or [])
    return document


def import_document(session: Session, project: Project, data: dict[str, Any]) -> MachineModel:
    """Create a machine model from a document, all or nothing; endpoints are matched by name in the project."""
    document = _checked_document(session, project, data)
    model = MachineModel(
        project_id=project.id,
        name=document["name"],
        description=document.get("description") or "",
        dt=float(document.get("dt", 0.01)),
    )
    session.add(model)
    session.flush()
    revisions.note_change(session, model.id)  # revision 1, recorded once everything is in place
    _fill(session, project, model, document)
    return model


def replace_contents(session: Session, model: MachineModel, data: dict[str, Any]) -> None:
    """Make the model what ``data`` describes (name, description, dt, components, connections, bindings), all or
    nothing: its components go (with their connections, bindings and input claims) and the document's come."""
    project = session.get(Project, model.project_id)
    assert project is not None
    document = _checked_document(session, project, data, model_id=model.id)
    session.execute(sql_delete(Component).where(Component.machine_model_id == model.id))
    model.name = document["name"]
    model.description = document.get("description") or ""
    model.dt = float(document.get("dt", 0.01))
    session.flush()
    _fill(session, project, model, document)


def _fill(session: Session, project: Project, model: MachineModel, document: dict[str, Any]) -> None:
    """Add a checked document's endpoints (those the project lacks), components, connections and bindings."""
    now = utcnow()
    endpoint_ids = dict(
        session.execute(select(Endpoint.name, Endpoint.id).where(Endpoint.project_id == project.id)).all()
    )
    missing = [e for e in document.get("endpoints") or [] if e["name"] not in endpoint_ids]
    if missing:
        session.execute(
            insert(Endpoint),
            [
                {
                    "project_id": project.id,
                    "name": e["name"],
                    "url": e["url"],
                    "security_policy": e.get("security_policy") or "None",
                    "security_mode": e.get("security_mode") or "None",
                    "username": e.get("username"),
                    "password": None,
                    "max_nodes_per_read": e.get("max_nodes_per_read"),
                    "max_nodes_per_write": e.get("max_nodes_per_write"),
                    "created_at": now,
                    "updated_at": now,
                }
                for e in missing
            ],
        )
        endpoint_ids = dict(
            session.execute(select(Endpoint.name, Endpoint.id).where(Endpoint.project_id == project.id)).all()
        )

    components = document.get("components") or []
    if components:
        session.execute(
            insert(Component),
            [
                {
                    "machine_model_id": model.id,
                    "name": c["name"],
                    "type": c["type"],
                    "parameters": c.get("parameters") or {},
                    "inputs": c.get("inputs") or {},
                    "created_at": now,
                    "updated_at": now,
                }
                for c in components
            ],
        )
    ids = dict(
        session.execute(select(Component.name, Component.id).where(Component.machine_model_id == model.id)).all()
    )

    connections = document.get("connections") or []
    if connections:
        rows = []
        for c in connections:
            source, source_port = c["from"].split(".", 1)
            target, target_port = c["to"].split(".", 1)
            rows.append(
                {
                    "machine_model_id": model.id,
                    "source_component_id": ids[source],
                    "source_port": source_port,
                    "target_component_id": ids[target],
                    "target_port": target_port,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        session.execute(insert(Connection), rows)

    bindings = document.get("bindings") or []
    if bindings:
        rows = []
        for b in bindings:
            component, port = b["port"].split(".", 1)
            rows.append(
                {
                    "component_id": ids[component],
                    "port": port,
                    "endpoint_id": endpoint_ids[b["endpoint"]],
                    "node_id": b["node_id"],
                    "direction": b["direction"],
                    "data_type": b.get("data_type"),
                    "scale": float(b.get("scale", 1.0)),
                    "offset": float(b.get("offset", 0.0)),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        session.execute(insert(CommunicationBinding), rows)
    drivers.claim_model_inputs(session, model.id)
    session.flush()
