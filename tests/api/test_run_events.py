"""A run's event log: logged where things happen, listed by GET /events, stored so it outlives the run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.runs import RunEvent
from tests.api.test_live_model_edits import components_by_name
from tests.api.test_simulations import API, constant_gain, import_model, start, wait_status, wait_ticking, wait_until
from tests.conftest import assert_error

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def model_id(client: TestClient, project: dict[str, Any]) -> int:
    return int(import_model(client, project["id"], constant_gain())["id"])


def events(client: TestClient, run_id: int, after_seq: int | None = None) -> list[dict[str, Any]]:
    query = "" if after_seq is None else f"?after_seq={after_seq}"
    response = client.get(f"{API}/{run_id}/events{query}")
    assert response.status_code == 200, response.text
    return response.json()


def kinds(client: TestClient, run_id: int) -> list[str]:
    return [e["kind"] for e in events(client, run_id)]


def test_a_run_logs_start_forces_parameters_faults_and_finish_in_order(
    client: TestClient, model_id: int, session: Session
) -> None:
    run = start(client, model_id)
    run_id = run["id"]
    wait_ticking(client, run_id)
    assert client.put(f"{API}/{run_id}/forces", json={"component": "g", "port": "in", "value": 3.0}).is_success
    assert client.delete(f"{API}/{run_id}/forces/g/in").status_code == 204
    assert client.patch(f"{API}/{run_id}/parameters", json={"component": "g", "name": "k", "value": 4.0}).is_success
    fault = client.post(f"{API}/{run_id}/faults", json={"port": "g.out", "type": "offset", "value": 1.0}).json()
    assert client.delete(f"{API}/{run_id}/faults/{fault['id']}").status_code == 204
    client.post(f"{API}/{run_id}/stop")
    logged = events(client, run_id)
    assert [e["kind"] for e in logged] == [
        "started", "force", "release", "parameter", "fault_injected", "fault_cleared", "finished"
    ]
    assert [e["seq"] for e in logged] == [1, 2, 3, 4, 5, 6, 7]
    started, force, release, parameter, injected, cleared, finished = logged
    assert force["data"] == {"port": "g.in", "value": 3.0, "source": "api"} and "g.in" in force["message"]
    assert release["data"] == {"port": "g.in"}
    assert parameter["data"] == {"component": "g", "name": "k", "value": 4.0}
    assert injected["data"]["fault_id"] == fault["id"] and injected["data"]["type"] == "offset"
    assert cleared["data"]["reason"] == "deleted" and cleared["data"]["port"] == "g.out"
    assert finished["data"] == {"status": "stopped", "error": None}
    ticks = [e["tick"] for e in logged]
    assert ticks == sorted(ticks) and finished["tick"] > 0
    assert all(e["t"] == pytest.approx(e["tick"] * 0.01) for e in logged)
    assert all(datetime.fromisoformat(e["at"]).tzinfo is not None for e in logged)
    session.expire_all()
    stored = session.scalars(select(RunEvent).where(RunEvent.run_id == run_id).order_by(RunEvent.seq)).all()
    assert [r.kind for r in stored] == [e["kind"] for e in logged]


def test_events_are_kept_after_the_run_ends(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.2)
    wait_status(client, run["id"], "completed")
    logged = events(client, run["id"])
    assert [e["kind"] for e in logged] == ["started", "finished"]
    assert logged[1]["data"] == {"status": "completed", "error": None} and logged[1]["tick"] == 20


def test_events_are_written_while_the_run_goes(client: TestClient, model_id: int, session: Session) -> None:
    run = start(client, model_id)
    wait_ticking(client, run["id"])
    assert client.put(f"{API}/{run['id']}/forces", json={"component": "g", "port": "in", "value": 1.0}).is_success

    def stored() -> list[str]:
        session.expire_all()
        return list(session.scalars(select(RunEvent.kind).where(RunEvent.run_id == run["id"])))

    assert wait_until(stored, lambda rows: "force" in rows, "the periodic write") == ["started", "force"]
    client.post(f"{API}/{run['id']}/stop")


def test_after_seq_returns_only_later_events(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.1)
    wait_status(client, run["id"], "completed")
    assert [e["seq"] for e in events(client, run["id"], after_seq=1)] == [2]
    assert events(client, run["id"], after_seq=2) == []
    assert_error(client.get(f"{API}/{run['id']}/events?after_seq=-1"), 422)


def test_events_of_an_unknown_run_are_a_404(client: TestClient) -> None:
    assert_error(client.get(f"{API}/999/events"), 404)


def test_a_fault_that_runs_out_logs_its_clearing(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    wait_ticking(client, run["id"])
    body = {"port": "g.out", "type": "stuck", "value": 0.0, "for": 0.05}
    assert client.post(f"{API}/{run['id']}/faults", json=body).status_code == 201
    logged = wait_until(lambda: events(client, run["id"]), lambda e: e[-1]["kind"] == "fault_cleared", "expiry")
    assert logged[-1]["data"]["reason"] == "expired"
    client.post(f"{API}/{run['id']}/stop")


def test_live_model_edits_log_applied_and_refused(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    wait_ticking(client, run["id"])
    parts = components_by_name(client, model_id)
    assert client.patch(f"/api/v1/components/{parts['g']['id']}", json={"parameters": {"k": 5.0}}).is_success
    h = client.post("/api/v1/components", json={"machine_model_id": model_id, "name": "h", "type": "Sum"}).json()
    loop = {"source_component_id": h["id"], "source_port": "out", "target_component_id": h["id"], "target_port": "in2"}
    assert client.post("/api/v1/connections", json=loop).status_code == 201
    logged = wait_until(lambda: events(client, run["id"]), lambda e: e[-1]["kind"] == "model_edit_refused", "edits")
    applied = [e for e in logged if e["kind"] == "model_edit_applied"]
    assert applied[0]["data"] == {"kind": "parameters"}
    assert "algebraic loop" in logged[-1]["data"]["message"]
    client.post(f"{API}/{run['id']}/stop")
