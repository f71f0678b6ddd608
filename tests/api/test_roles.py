"""The roles matrix: each project role against each action (observer < operator < engineer < admin).

Allowed means the route did its work (its own success answer); denied means 403 `forbidden` naming the role
needed, for an object the caller can see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.auth import ROLES
from tests.api.auth_support import add_member, add_user, login, post
from tests.api.test_scenarios import scenario
from tests.api.test_simulations import ramp_gain
from tests.conftest import assert_error

pytestmark = pytest.mark.timeout(180)

Request = tuple[str, str, Any]  # method, url, json body
FAULT_PORT = {"observer": "g.out", "operator": "ramp.out", "engineer": "g.in", "admin": "g.out"}  # one fault each


def actions(ids: dict[str, Any], start_run: Callable[[], int]) -> list[tuple[str, str, Callable[..., Request]]]:
    """(action, lowest role allowed, (role, allowed) -> request)."""
    m, p, e, s, run = ids["model"], ids["project"], ids["endpoint"], ids["scenario"], ids["run"]
    sims = "/api/v1/simulations"
    return [
        ("read model", "observer", lambda r, ok: ("GET", f"/api/v1/machine-models/{m}", None)),
        ("export model", "observer", lambda r, ok: ("GET", f"/api/v1/machine-models/{m}/export", None)),
        ("list runs", "observer", lambda r, ok: ("GET", sims, None)),
        ("read run values", "observer", lambda r, ok: ("GET", f"{sims}/{run}/values", None)),
        ("read telemetry", "observer", lambda r, ok: ("GET", f"{sims}/{run}/telemetry?format=csv", None)),
        ("read endpoint", "observer", lambda r, ok: ("GET", f"/api/v1/endpoints/{e}", None)),
        ("start run", "operator", lambda r, ok: ("POST", f"{sims}/start", {"machine_model_id": m, "duration": 0.05})),
        ("force port", "operator", lambda r, ok: ("PUT", f"{sims}/{run}/forces", {"component": "g", "port": "in",
                                                                            "value": 1.0})),
        ("change parameter", "operator", lambda r, ok: ("PATCH", f"{sims}/{run}/parameters", {"component": "g",
                                                                                        "name": "k", "value": 3.0})),
        ("inject fault", "operator", lambda r, ok: ("POST", f"{sims}/{run}/faults", {"port": FAULT_PORT[r],
                                                                               "type": "offset", "value": 0.1})),
        ("pace run", "operator", lambda r, ok: ("PATCH", f"{sims}/{run}", {"time_scale": 1.0})),
        ("stop run", "operator", lambda r, ok: ("POST", f"{sims}/{start_run() if ok else run}/stop", None)),
        ("run scenario", "operator", lambda r, ok: ("POST", f"/api/v1/scenarios/{s}/run", None)),
        ("run campaign", "operator", lambda r, ok: ("POST", "/api/v1/campaigns", {"scenario_id": s, "seeds": 2})),
        ("list campaigns", "observer", lambda r, ok: ("GET", "/api/v1/campaigns", None)),
        ("add component", "engineer", lambda r, ok: ("POST", "/api/v1/components", {"machine_model_id": m,
                                                                                "name": f"c_{r}", "type": "Gain",
                                                                                "inputs": {"in": 0.0}})),
        ("edit model", "engineer", lambda r, ok: ("PATCH", f"/api/v1/machine-models/{m}", {"description": r})),
        ("add endpoint", "engineer", lambda r, ok: ("POST", "/api/v1/endpoints", {"project_id": p, "name": f"e_{r}",
                                                                              "url": "opc.tcp://127.0.0.1:4840"})),
        ("edit endpoint", "engineer", lambda r, ok: ("PATCH", f"/api/v1/endpoints/{e}", {"username": r})),
        ("add scenario", "engineer", lambda r, ok: ("POST", f"/api/v1/scenarios?machine_model_id={m}",
                                                scenario(f"s {r}"))),
        ("list members", "admin", lambda r, ok: ("GET", f"/api/v1/projects/{p}/members", None)),
        ("set member role", "admin", lambda r, ok: ("PUT", f"/api/v1/projects/{p}/members/visitor",
                                                    {"role": "observer"})),
        ("grant PLC write", "admin", lambda r, ok: ("PUT", f"/api/v1/endpoints/{e}/plc-write/oscar", None)),
        ("edit project", "admin", lambda r, ok: ("PATCH", f"/api/v1/projects/{p}", {"description": r})),
        ("read project audit", "admin", lambda r, ok: ("GET", f"/api/v1/audit?project_id={p}", None)),
    ]


def test_each_role_may_do_exactly_its_actions(client: TestClient, session: Session) -> None:
    users = {"observer": "olga", "operator": "oscar", "engineer": "erin", "admin": "adam"}
    for name in [*users.values(), "visitor"]:
        add_user(session, name)
    adam = login(client, "adam")
    project = post(client, adam, "projects", name="line-1")
    for role, name in users.items():
        if role != "admin":
            add_member(client, adam, project["id"], name, role)
    document = {**ramp_gain(), "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}]}
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=document, headers=adam)
    model = response.json()
    endpoint = client.get(f"/api/v1/endpoints?project_id={project['id']}", headers=adam).json()["items"][0]
    stored = client.post(f"/api/v1/scenarios?machine_model_id={model['id']}", json=scenario(), headers=adam).json()

    def start_run() -> int:
        return int(post(client, adam, "simulations/start", machine_model_id=model["id"], realtime=True,
                        record={"ports": ["g.out"]})["id"])

    ids = {"project": project["id"], "model": model["id"], "endpoint": endpoint["id"], "scenario": stored["id"],
           "run": start_run()}
    seen: dict[tuple[str, str], str] = {}
    expected: dict[tuple[str, str], str] = {}
    try:
        for role, name in users.items():
            headers = login(client, name)
            for action, lowest, build in actions(ids, start_run):
                allowed = ROLES.index(role) >= ROLES.index(lowest)
                method, url, body = build(role, allowed)  # a fresh run to stop only when stopping is allowed
                response = client.request(method, url, json=body, headers=headers)
                expected[(role, action)] = "allowed" if allowed else "denied"
                if response.status_code < 300:
                    seen[(role, action)] = "allowed"
                elif response.status_code == 403:
                    assert_error(response, 403, "forbidden")
                    assert response.json()["error"]["details"][0]["required_role"] == lowest
                    seen[(role, action)] = "denied"
                else:
                    seen[(role, action)] = f"{response.status_code}: {response.text[:200]}"
    finally:
        client.post(f"/api/v1/simulations/{ids['run']}/stop", headers=adam)
    mismatches = {k: (seen[k], expected[k]) for k in expected if seen[k] != expected[k]}
    assert mismatches == {}
    assert len(expected) == len(users) * len(actions(ids, start_run))
