"""Run events name the user whose request caused them, live and once stored; the run's own events name nobody."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.runs import RunEvent, SimulationRun
from tests.api.auth_support import add_member, add_user, login, post
from tests.api.test_simulations import API, constant_gain, wait_for, wait_until

pytestmark = pytest.mark.timeout(120)


def test_forces_parameters_faults_edits_and_stop_name_their_user(client: TestClient, session: Session) -> None:
    add_user(session, "ada", admin=True)
    add_user(session, "otto")
    ada = login(client, "ada")
    project = post(client, ada, "projects", name="p")
    add_member(client, ada, project["id"], "otto", "engineer")
    otto = login(client, "otto")
    model = post(client, ada, f"machine-models/import?project_id={project['id']}", **constant_gain())
    run = post(client, ada, "simulations/start", machine_model_id=model["id"])
    run_id = run["id"]
    wait_until(lambda: client.get(f"{API}/{run_id}/status", headers=ada).json(),
               lambda s: s["tick"] > 0, "the run to tick")
    assert client.put(f"{API}/{run_id}/forces", json={"component": "g", "port": "in", "value": 3.0},
                      headers=otto).is_success
    assert client.delete(f"{API}/{run_id}/forces/g/in", headers=ada).status_code == 204
    assert client.patch(f"{API}/{run_id}/parameters", json={"component": "g", "name": "k", "value": 4.0},
                        headers=otto).is_success
    fault = client.post(f"{API}/{run_id}/faults", json={"port": "g.out", "type": "offset", "value": 1.0},
                        headers=ada).json()
    assert client.delete(f"{API}/{run_id}/faults/{fault['id']}", headers=otto).status_code == 204
    items = client.get(f"/api/v1/components?machine_model_id={model['id']}", headers=otto).json()["items"]
    gain = next(c for c in items if c["name"] == "g")
    assert client.patch(f"/api/v1/components/{gain['id']}", json={"parameters": {"k": 5.0}},
                        headers=otto).is_success
    wait_until(lambda: client.get(f"{API}/{run_id}/events", headers=ada).json(),
               lambda e: any(x["kind"] == "model_edit_applied" for x in e), "the edit to reach the run")
    client.post(f"{API}/{run_id}/stop", headers=ada)

    def stored() -> list[tuple[str, str | None]] | None:
        session.rollback()
        row = session.get(SimulationRun, run_id, populate_existing=True)
        if row is None or row.status != "stopped":
            return None
        events = session.scalars(select(RunEvent).where(RunEvent.run_id == run_id).order_by(RunEvent.seq))
        return [(e.kind, e.user) for e in events]

    expected = [
        ("started", None), ("force", "otto"), ("release", "ada"), ("parameter", "otto"), ("fault_injected", "ada"),
        ("fault_cleared", "otto"), ("model_edit_applied", "otto"), ("finished", "ada"),
    ]
    assert wait_for(stored, "the stored events") == expected
    listed = client.get(f"{API}/{run_id}/events", headers=otto).json()
    assert [(e["kind"], e["user"]) for e in listed] == expected


def test_local_mode_events_name_no_user(client: TestClient, project: dict[str, Any]) -> None:
    model = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=constant_gain()).json()
    run = client.post(f"{API}/start", json={"machine_model_id": model["id"], "realtime": True}).json()
    assert client.put(f"{API}/{run['id']}/forces", json={"component": "g", "port": "in", "value": 3.0}).is_success
    client.post(f"{API}/{run['id']}/stop")
    assert {e["user"] for e in client.get(f"{API}/{run['id']}/events").json()} == {None}
