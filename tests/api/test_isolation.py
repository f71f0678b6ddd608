"""Isolation between projects: every object of a project the caller does not belong to answers exactly as if
it did not exist (404, the same message and details as a missing id; never 403) on every route of the OpenAPI
document, as a filter, as a reference in a body, in lists, in the audit trail and on the live stream."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from tests.api.auth_support import add_user, bearer, login, post
from tests.api.test_scenarios import scenario
from tests.api.test_simulations import ramp_gain

pytestmark = pytest.mark.timeout(180)

MISSING = 987654  # an id no object has; its answers are what "does not exist" looks like
PARAM_RE = re.compile(r"\{(\w+)\}")
# Platform-level routes, not objects of a project: refused to non-admins with 403 (tested in test_auth.py).
NOT_PROJECT_OBJECTS = {"/api/v1/users/{user_id}", "/api/v1/pki/rejected/{thumbprint}/trust"}


def other_team(client: TestClient, bob: dict[str, str]) -> dict[str, Any]:
    """Bob's project with one object of every kind, and their ids by path parameter name."""
    project = post(client, bob, "projects", name="team-b")
    document = {
        **ramp_gain(),
        "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
        "bindings": [{"port": "g.out", "endpoint": "plc", "node_id": "ns=2;s=Out", "direction": "write"}],
    }
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=document, headers=bob)
    assert response.status_code == 201, response.text
    model = response.json()
    components = client.get(f"/api/v1/components?machine_model_id={model['id']}", headers=bob).json()["items"]
    connection = client.get(f"/api/v1/connections?machine_model_id={model['id']}", headers=bob).json()["items"][0]
    endpoint = client.get(f"/api/v1/endpoints?project_id={project['id']}", headers=bob).json()["items"][0]
    binding = client.get(f"/api/v1/communication-bindings?machine_model_id={model['id']}", headers=bob).json()
    stored = client.post(f"/api/v1/scenarios?machine_model_id={model['id']}", json=scenario(), headers=bob).json()
    scenario_run = post(client, bob, f"scenarios/{stored['id']}/run")
    campaign = client.post("/api/v1/campaigns", json={"scenario_id": stored["id"], "seeds": 2}, headers=bob)
    assert campaign.status_code == 202, campaign.text
    run = post(client, bob, "simulations/start", machine_model_id=model["id"], record={"ports": ["g.out"]},
               realtime=True, time_scale=0.1)
    token = post(client, bob, "tokens", name="bob's")
    return {
        "project_id": project["id"],
        "machine_model_id": model["id"],
        "component_id": components[0]["id"],
        "source_component_id": components[0]["id"],
        "target_component_id": components[1]["id"],
        "connection_id": connection["id"],
        "endpoint_id": endpoint["id"],
        "binding_id": binding["items"][0]["id"],
        "scenario_id": stored["id"],
        "scenario_run_id": scenario_run["id"],
        "campaign_id": campaign.json()["id"],
        "simulation_run_id": run["id"],
        "token_id": token["id"],
    }


@pytest.fixture
def world(client: TestClient, session: Session) -> dict[str, Any]:
    add_user(session, "root", admin=True)
    add_user(session, "alice")
    add_user(session, "bob")
    alice, bob, root = login(client, "alice"), login(client, "bob"), login(client, "root")
    post(client, alice, "projects", name="team-a")
    b = other_team(client, bob)
    # Root is a platform admin, but a token of root limited to another project must not see team B either.
    limited = bearer(post(client, root, "tokens", project_id=post(client, root, "projects", name="x")["id"])["token"])
    yield {"alice": alice, "bob": bob, "limited": limited, "b": b}
    client.post(f"/api/v1/simulations/{b['simulation_run_id']}/stop", headers=bob)


def path_ids(path: str, b: dict[str, Any]) -> dict[str, Any]:
    """Team B's values for a path's parameters; the first id names the object the route acts on."""
    values: dict[str, Any] = {}
    for name in PARAM_RE.findall(path):
        if name == "run_id":
            values[name] = b["scenario_run_id"] if path.startswith("/api/v1/scenario-runs") else b["simulation_run_id"]
        elif name in b:
            values[name] = b[name]
        else:  # names inside the object (a fault id, a port, a user name, a component type)
            values[name] = {"fault_id": 1, "component": "g", "port": "in", "username": "bob",
                            "type_name": "Gain", "number": 1}[name]
    return values


def same_as_missing(client: TestClient, headers: dict[str, str], method: str, url: str, object_id: int,
                    missing_url: str, **kwargs: Any) -> None:
    """The answer for a team-B object equals the answer for a missing id, with that id in its place."""
    hidden = client.request(method, url, headers=headers, **kwargs)
    missing = client.request(method, missing_url, headers=headers, **kwargs)
    assert missing.status_code == 404, (method, missing_url, missing.text)
    assert hidden.status_code == 404, (method, url, hidden.text)
    expected = json.loads(json.dumps(missing.json()).replace(str(MISSING), str(object_id)))
    assert hidden.json() == expected, (method, url)


BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("put", "/api/v1/projects/{project_id}/members/{username}"): {"role": "observer"},
    ("put", "/api/v1/simulations/{run_id}/forces"): {"component": "g", "port": "in", "value": 1.0},
    ("patch", "/api/v1/simulations/{run_id}/parameters"): {"component": "g", "name": "k", "value": 1.0},
    ("post", "/api/v1/simulations/{run_id}/faults"): {"port": "g.in", "type": "stuck", "value": 0},
    ("patch", "/api/v1/simulations/{run_id}"): {"time_scale": 1.0},
}
QUERIES: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/api/v1/machine-models/{machine_model_id}/diff"): {"from": 1},
}


@pytest.mark.parametrize("who", ["alice", "limited"])
def test_every_route_answers_for_another_projects_object_as_if_it_did_not_exist(
    client: TestClient, world: dict[str, Any], who: str
) -> None:
    headers, b = world[who], world["b"]
    walked = 0
    for path, item in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        if "{" not in path or path in NOT_PROJECT_OBJECTS or path.startswith("/api/v1/component-types"):
            continue
        for method in item:
            values = path_ids(path, b)
            first = PARAM_RE.findall(path)[0]
            url = path.format(**values)
            missing_url = path.format(**{**values, first: MISSING})
            body = BODIES.get((method, path), {})
            kwargs: dict[str, Any] = {"json": body} if method in ("post", "put", "patch") else {}
            if (method, path) in QUERIES:
                kwargs["params"] = QUERIES[method, path]
            same_as_missing(client, headers, method.upper(), url, values[first], missing_url, **kwargs)
            walked += 1
    assert walked >= 40  # every object route of the document, not a lucky few


FILTERS = {
    "project_id": ["/api/v1/machine-models", "/api/v1/endpoints", "/api/v1/scenarios", "/api/v1/audit",
                   "/api/v1/campaigns"],
    "machine_model_id": ["/api/v1/components", "/api/v1/connections", "/api/v1/communication-bindings",
                         "/api/v1/simulations", "/api/v1/scenarios"],
    "scenario_id": ["/api/v1/campaigns"],
    "component_id": ["/api/v1/connections", "/api/v1/communication-bindings"],
    "endpoint_id": ["/api/v1/communication-bindings"],
}


def test_filters_naming_another_projects_object_are_404_as_if_missing(client: TestClient, world: dict) -> None:
    headers, b = world["alice"], world["b"]
    for name, paths in FILTERS.items():
        for path in paths:
            same_as_missing(client, headers, "GET", f"{path}?{name}={b[name]}", b[name], f"{path}?{name}={MISSING}")


def test_bodies_referring_to_another_projects_objects_are_404_as_if_missing(client: TestClient, world: dict) -> None:
    headers, b = world["alice"], world["b"]
    creates = [
        ("machine-models", {"project_id": b["project_id"], "name": "m"}, "project_id"),
        ("endpoints", {"project_id": b["project_id"], "name": "e", "url": "opc.tcp://x:4840"}, "project_id"),
        ("components", {"machine_model_id": b["machine_model_id"], "name": "c", "type": "Gain"}, "machine_model_id"),
        ("connections", {"source_component_id": b["source_component_id"], "source_port": "out",
                         "target_component_id": b["target_component_id"], "target_port": "in"}, "source_component_id"),
        ("communication-bindings", {"component_id": b["component_id"], "port": "out", "endpoint_id": b["endpoint_id"],
                                    "node_id": "ns=2;s=X", "direction": "write"}, "component_id"),
        ("simulations/start", {"machine_model_id": b["machine_model_id"]}, "machine_model_id"),
        ("tokens", {"project_id": b["project_id"]}, "project_id"),
        ("campaigns", {"scenario_id": b["scenario_id"]}, "scenario_id"),
    ]
    for path, body, field in creates:
        hidden = client.post(f"/api/v1/{path}", json=body, headers=headers)
        missing = client.post(f"/api/v1/{path}", json={**body, field: MISSING}, headers=headers)
        assert hidden.status_code == missing.status_code == 404, (path, hidden.text, missing.text)
        assert hidden.json() == json.loads(json.dumps(missing.json()).replace(str(MISSING), str(b[field]))), path
    same_as_missing(client, headers, "POST", f"/api/v1/machine-models/import?project_id={b['project_id']}",
                    b["project_id"], f"/api/v1/machine-models/import?project_id={MISSING}", json=ramp_gain())
    same_as_missing(client, headers, "POST", f"/api/v1/scenarios?machine_model_id={b['machine_model_id']}",
                    b["machine_model_id"], f"/api/v1/scenarios?machine_model_id={MISSING}", json=scenario())


def test_lists_and_the_audit_trail_show_nothing_of_another_project(client: TestClient, world: dict) -> None:
    headers, b = world["alice"], world["b"]
    lists = ["machine-models", "components", "connections", "endpoints", "communication-bindings", "simulations",
             "scenarios", "campaigns"]
    for name in lists:
        body = client.get(f"/api/v1/{name}", headers=headers).json()
        assert body["total"] == 0 and body["items"] == [], name
    projects = client.get("/api/v1/projects", headers=headers).json()["items"]
    assert [p["name"] for p in projects] == ["team-a"]
    entries = client.get("/api/v1/audit?limit=1000", headers=headers).json()["items"]
    assert entries and all(e["project_id"] != b["project_id"] for e in entries)
    assert client.get("/api/v1/tokens", headers=headers).json() == []


def test_the_live_stream_of_another_projects_run_closes_like_an_unknown_run(client: TestClient, world: dict) -> None:
    b = world["b"]
    token = world["alice"]["Authorization"].split()[1]

    def close_of(run_id: int, query: str) -> tuple[int, str]:
        with client.websocket_connect(f"/api/v1/simulations/{run_id}/stream{query}") as ws:
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_text()
        return closed.value.code, closed.value.reason

    hidden = close_of(b["simulation_run_id"], f"?token={token}")
    missing = close_of(MISSING, f"?token={token}")
    assert hidden == (4404, f"simulation run {b['simulation_run_id']} not found")
    assert missing == (4404, f"simulation run {MISSING} not found")
    assert close_of(b["simulation_run_id"], "")[0] == 4401  # no credentials at all
    bob = world["bob"]["Authorization"].split()[1]
    with client.websocket_connect(f"/api/v1/simulations/{b['simulation_run_id']}/stream?token={bob}") as ws:
        assert json.loads(ws.receive_text())["type"] == "schema"


def test_the_owner_still_sees_everything(client: TestClient, world: dict) -> None:
    bob, b = world["bob"], world["b"]
    assert client.get(f"/api/v1/scenario-runs/{b['scenario_run_id']}", headers=bob).status_code == 200
    assert client.get(f"/api/v1/machine-models/{b['machine_model_id']}/export", headers=bob).status_code == 200
    assert client.get(f"/api/v1/simulations/{b['simulation_run_id']}/values", headers=bob).status_code == 200
