"""The input_drivers table: one claim per input across connections and read bindings, kept in step by the
database (cascades) and by the services (moves, direction changes, import), and filled by migration 0006."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.migrate import alembic_config
from app.db.models import CommunicationBinding, Connection, InputDriver
from app.db.session import make_engine
from tests.conftest import assert_error, create


def claims(session: Session) -> list[tuple[int, str, int | None, int | None]]:
    session.expire_all()
    rows = session.execute(select(InputDriver.component_id, InputDriver.port, InputDriver.connection_id,
                                  InputDriver.binding_id).order_by(InputDriver.id)).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.fixture
def parts(client: TestClient, model: dict[str, Any], endpoint: dict[str, Any]) -> dict[str, Any]:
    a = create(client, "components", machine_model_id=model["id"], name="a", type="Constant")
    b = create(client, "components", machine_model_id=model["id"], name="b", type="Gain")
    c = create(client, "components", machine_model_id=model["id"], name="c", type="Gain")
    return {"a": a, "b": b, "c": c, "endpoint": endpoint}


def connect(client: TestClient, parts: dict[str, Any], target: str) -> dict[str, Any]:
    return create(client, "connections", source_component_id=parts["a"]["id"], source_port="out",
                  target_component_id=parts[target]["id"], target_port="in")


def bind(client: TestClient, parts: dict[str, Any], target: str, direction: str = "read") -> dict[str, Any]:
    return create(client, "communication-bindings", component_id=parts[target]["id"], port="in",
                  endpoint_id=parts["endpoint"]["id"], node_id="ns=2;s=X", direction=direction)


def test_a_connection_and_a_read_binding_each_claim_their_input(
    client: TestClient, parts: dict[str, Any], session: Session
) -> None:
    conn = connect(client, parts, "b")
    binding = bind(client, parts, "c")
    assert claims(session) == [
        (parts["b"]["id"], "in", conn["id"], None), (parts["c"]["id"], "in", None, binding["id"])
    ]


def test_a_write_binding_claims_nothing_and_turning_it_to_read_claims(
    client: TestClient, parts: dict[str, Any], session: Session
) -> None:
    binding = bind(client, parts, "b", "write")
    assert claims(session) == []
    url = f"/api/v1/communication-bindings/{binding['id']}"
    assert client.patch(url, json={"direction": "read"}).status_code == 200
    assert claims(session) == [(parts["b"]["id"], "in", None, binding["id"])]
    assert client.patch(url, json={"direction": "write"}).status_code == 200
    assert claims(session) == []


def test_moving_a_connection_moves_its_claim(client: TestClient, parts: dict[str, Any], session: Session) -> None:
    conn = connect(client, parts, "b")
    response = client.patch(f"/api/v1/connections/{conn['id']}", json={"target_component_id": parts["c"]["id"]})
    assert response.status_code == 200
    assert claims(session) == [(parts["c"]["id"], "in", conn["id"], None)]
    bind(client, parts, "b")  # b.in is free again


def test_the_database_refuses_a_second_claim_and_cascades_deletes(
    client: TestClient, parts: dict[str, Any], session: Session
) -> None:
    conn = connect(client, parts, "b")
    binding = bind(client, parts, "c")
    session.add(InputDriver(component_id=parts["b"]["id"], port="in", binding_id=binding["id"]))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    session.execute(delete(Connection).where(Connection.id == conn["id"]))  # bulk SQL: the database cascades
    session.execute(delete(CommunicationBinding).where(CommunicationBinding.id == binding["id"]))
    session.commit()
    assert claims(session) == []


def test_a_read_binding_on_a_connected_input_is_still_409(client: TestClient, parts: dict[str, Any]) -> None:
    connect(client, parts, "b")
    response = client.post("/api/v1/communication-bindings", json={
        "component_id": parts["b"]["id"], "port": "in", "endpoint_id": parts["endpoint"]["id"],
        "node_id": "ns=2;s=X", "direction": "read"})
    assert_error(response, 409, "input_already_driven")


def test_an_imported_model_claims_its_inputs(client: TestClient, project: dict[str, Any], session: Session) -> None:
    document = {
        "name": "imported",
        "components": [{"name": "k", "type": "Constant"}, {"name": "g", "type": "Gain"}, {"name": "h", "type": "Gain"}],
        "connections": [{"from": "k.out", "to": "g.in"}],
        "endpoints": [{"name": "plc2", "url": "opc.tcp://127.0.0.1:4841"}],
        "bindings": [{"port": "h.in", "endpoint": "plc2", "node_id": "ns=2;s=H", "direction": "read"},
                     {"port": "g.out", "endpoint": "plc2", "node_id": "ns=2;s=G", "direction": "write"}],
    }
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=document)
    assert response.status_code == 201, response.text
    assert sorted((port, conn is not None, binding is not None) for _c, port, conn, binding in claims(session)) == [
        ("in", False, True), ("in", True, False)]


@pytest.mark.sqlite_only
def test_migration_0006_claims_the_inputs_existing_rows_drive(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0005")
    engine = make_engine(url)
    now = "'2026-01-01 00:00:00'"
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO projects (id, name, description, created_at, updated_at) "
                          f"VALUES (1, 'p', '', {now}, {now})"))
        conn.execute(text(f"INSERT INTO machine_models (id, project_id, name, description, dt, created_at, "
                          f"updated_at) VALUES (1, 1, 'm', '', 0.01, {now}, {now})"))
        for cid, name, ctype in ((1, "a", "Constant"), (2, "b", "Gain"), (3, "c", "Gain")):
            conn.execute(text(f"INSERT INTO components (id, machine_model_id, name, type, parameters, inputs, "
                              f"created_at, updated_at) VALUES ({cid}, 1, '{name}', '{ctype}', '{{}}', '{{}}', "
                              f"{now}, {now})"))
        conn.execute(text(f"INSERT INTO endpoints (id, project_id, name, url, security_policy, security_mode, "
                          f"created_at, updated_at) VALUES (1, 1, 'plc', 'opc.tcp://x:4840', 'None', 'None', "
                          f"{now}, {now})"))
        conn.execute(text(f"INSERT INTO connections (id, machine_model_id, source_component_id, source_port, "
                          f"target_component_id, target_port, created_at, updated_at) "
                          f"VALUES (1, 1, 1, 'out', 2, 'in', {now}, {now})"))
        # a read binding on the connected input (left by an old race) and two read bindings on c.in
        for bid, component in ((1, 2), (2, 3), (3, 3)):
            conn.execute(text(f"INSERT INTO communication_bindings (id, component_id, port, endpoint_id, node_id, "
                              f"direction, scale, \"offset\", created_at, updated_at) VALUES ({bid}, {component}, "
                              f"'in', 1, 'ns=2;s=X', 'read', 1.0, 0.0, {now}, {now})"))
    command.upgrade(config, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT component_id, port, connection_id, binding_id FROM input_drivers "
                                 "ORDER BY component_id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(2, "in", 1, None), (3, "in", None, 2)]
