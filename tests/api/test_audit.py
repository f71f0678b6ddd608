"""The audit trail: who did what to which project and with what outcome, secrets removed; read-only; the
entries of a HIL run against a real OPC UA PLC peer, with and without the PLC-write permission."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.auth_support import PASSWORD, add_member, add_user, login, post
from tests.api.test_simulations import wait_until
from tests.api.test_simulations_hil import loop_document
from tests.conftest import assert_error
from tests.engine.hil.conftest import AsyncuaPlc

pytestmark = pytest.mark.timeout(120)


def entries(client: TestClient, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/audit?limit=1000{query}", headers=headers)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))  # oldest first


def test_sign_ins_and_failures_are_recorded_without_the_password(client: TestClient, session: Session) -> None:
    add_user(session, "root", admin=True)
    client.post("/api/v1/auth/login", json={"username": "root", "password": "guess-guess"})
    client.post("/api/v1/auth/login", json={"username": "nobody", "password": "guess-guess"})
    root = login(client, "root")
    logins = [e for e in entries(client, root) if e["action"] == "login"]
    assert [(e["username"], e["outcome"]) for e in logins] == [("root", 401), ("nobody", 401), ("root", 200)]
    assert all(e["details"]["body"]["password"] == "***" for e in logins)
    assert all(e["source"] == "testclient" for e in logins)
    assert PASSWORD not in str(logins) and "guess-guess" not in str(logins)


def test_changes_denials_and_failures_are_recorded_per_project(client: TestClient, session: Session) -> None:
    add_user(session, "adam")
    add_user(session, "olga")
    adam, olga = login(client, "adam"), login(client, "olga")
    project = post(client, adam, "projects", name="line-1")
    add_member(client, adam, project["id"], "olga", "observer")
    endpoint = post(client, adam, "endpoints", project_id=project["id"], name="plc", url="opc.tcp://127.0.0.1:4840",
                    username="ua", password="plc-secret-1")
    client.post("/api/v1/machine-models", json={"project_id": project["id"], "name": "m"}, headers=olga)  # 403
    for _ in range(2):  # created, then a duplicate name: 409
        client.post("/api/v1/machine-models", json={"project_id": project["id"], "name": "m"}, headers=adam)
    log = entries(client, adam, f"&project_id={project['id']}")
    summary = [(e["username"], e["action"], e["method"], e["outcome"]) for e in log]
    assert summary == [
        ("adam", "create_project", "POST", 201),
        ("adam", "set_member", "PUT", 201),
        ("adam", "create_endpoint", "POST", 201),
        ("olga", "create_machine_model", "POST", 403),
        ("adam", "create_machine_model", "POST", 201),
        ("adam", "create_machine_model", "POST", 409),
    ]
    assert log[2]["target"] == "/api/v1/endpoints" and log[2]["details"]["body"]["password"] == "***"
    assert log[2]["details"]["body"]["url"] == "opc.tcp://127.0.0.1:4840"
    assert "plc-secret-1" not in client.get(f"/api/v1/audit?format=csv&project_id={project['id']}",
                                             headers=adam).text
    assert endpoint["has_password"] is True
    # Filters and the CSV export.
    assert [e["action"] for e in entries(client, adam, "&user=olga")] == ["create_machine_model"]
    assert [e["outcome"] for e in entries(client, adam, "&action=create_machine_model")] == [403, 201, 409]
    exported = client.get(f"/api/v1/audit?format=csv&project_id={project['id']}", headers=adam)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv") and len(rows) == 6
    assert rows[-1]["action"] == "create_project" and rows[-1]["username"] == "adam"
    # An observer may not read the project's trail.
    assert_error(client.get(f"/api/v1/audit?project_id={project['id']}", headers=olga), 403)
    assert entries(client, olga) == []


def test_large_bodies_are_summarised_not_stored(client: TestClient, session: Session) -> None:
    add_user(session, "adam")
    adam = login(client, "adam")
    project = post(client, adam, "projects", name="line-1")
    description = "x" * 10_000
    client.patch(f"/api/v1/projects/{project['id']}", json={"description": description}, headers=adam)
    entry = entries(client, adam, "&action=update_project")[0]
    assert entry["details"]["body"]["size"] > 10_000 and len(entry["details"]["body"]["sha256"]) == 64


def test_no_route_changes_or_deletes_entries(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    audit_routes = {(path, method) for path, item in paths.items() if path.startswith("/api/v1/audit")
                    for method in item}
    assert audit_routes == {("/api/v1/audit", "get")}
    assert client.delete("/api/v1/audit").status_code == 405


@pytest.fixture
def hil_world(client: TestClient, session: Session, plc: AsyncuaPlc) -> dict[str, Any]:
    for name in ("adam", "oscar", "otto"):
        add_user(session, name)
    adam = login(client, "adam")
    project = post(client, adam, "projects", name="plant")
    add_member(client, adam, project["id"], "oscar", "operator")
    add_member(client, adam, project["id"], "otto", "operator")
    document = loop_document(plc.url, plc.node_id("Cmd"), plc.node_id("Feedback"))
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=document, headers=adam)
    assert response.status_code == 201, response.text
    endpoint = client.get(f"/api/v1/endpoints?project_id={project['id']}", headers=adam).json()["items"][0]
    granted = client.put(f"/api/v1/endpoints/{endpoint['id']}/plc-write/oscar", headers=adam)
    assert granted.status_code == 200, granted.text
    return {"adam": adam, "oscar": login(client, "oscar"), "otto": login(client, "otto"), "project": project,
            "model": response.json(), "endpoint": endpoint}


def test_a_hil_run_needs_the_plc_write_grant_and_every_step_is_audited(
    client: TestClient, hil_world: dict[str, Any]
) -> None:
    w = hil_world
    start = {"machine_model_id": w["model"]["id"], "mode": "hil"}
    refused = client.post("/api/v1/simulations/start", json=start, headers=w["otto"])
    error = assert_error(refused, 403, "plc_write_required")
    assert error["details"] == [{"loc": "plc_write", "endpoint_id": w["endpoint"]["id"], "endpoint": "plc"}]
    response = client.post("/api/v1/simulations/start", json=start, headers=w["oscar"])
    assert response.status_code == 201, response.text
    run = response.json()
    try:
        wait_until(lambda: client.get(f"/api/v1/simulations/{run['id']}", headers=w["oscar"]).json(),
                   lambda s: s["status"] == "running", "the HIL run to tick")
        force = {"component": "cmd", "port": "out", "value": 2.5}  # cmd.out is written to the PLC
        denied = client.put(f"/api/v1/simulations/{run['id']}/forces", json=force, headers=w["otto"])
        assert_error(denied, 403, "plc_write_required")
        # A port that feeds nothing on the PLC needs no grant.
        local = {"component": "fb", "port": "out", "value": 1.0}
        assert client.put(f"/api/v1/simulations/{run['id']}/forces", json=local, headers=w["otto"]).status_code == 200
        forced = client.put(f"/api/v1/simulations/{run['id']}/forces", json=force, headers=w["oscar"])
        assert forced.status_code == 200, forced.text
        released = client.delete(f"/api/v1/simulations/{run['id']}/forces/cmd/out", headers=w["oscar"])
        assert released.status_code in (204, 409)
    finally:
        stopped = client.post(f"/api/v1/simulations/{run['id']}/stop", headers=w["oscar"])
        assert stopped.status_code == 200, stopped.text
    log = entries(client, w["adam"], f"&project_id={w['project']['id']}")
    steps = [(e["username"], e["action"], e["outcome"]) for e in log if e["action"] not in ("set_member",)]
    assert steps[-7:] == [
        ("otto", "start_simulation", 403),
        ("oscar", "start_simulation", 201),
        ("otto", "force_port", 403),
        ("otto", "force_port", 200),
        ("oscar", "force_port", 200),
        ("oscar", "release_port", steps[-2][2]),
        ("oscar", "stop_simulation", 200),
    ]
    grant = next(e for e in log if e["action"] == "grant_plc_write")
    assert grant["username"] == "adam" and grant["target"].endswith("/plc-write/oscar")
    force_entry = next(e for e in log if e["action"] == "force_port" and e["username"] == "oscar")
    assert force_entry["details"]["body"] == force
    assert force_entry["target"] == f"/api/v1/simulations/{run['id']}/forces"
    assert all(e["project_id"] == w["project"]["id"] for e in log)
