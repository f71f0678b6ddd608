"""Edits of a stored model reach its running simulations at the next tick boundary."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_simulations import API, constant_gain, import_model, start, status, values, wait_until

pytestmark = pytest.mark.timeout(120)


def components_by_name(client: TestClient, model_id: int) -> dict[str, dict[str, Any]]:
    items = client.get(f"/api/v1/components?machine_model_id={model_id}").json()["items"]
    return {c["name"]: c for c in items}


@pytest.fixture
def model_id(client: TestClient, project: dict[str, Any]) -> int:
    return int(import_model(client, project["id"], constant_gain())["id"])


def test_a_parameter_edit_reaches_the_running_simulation(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    wait_until(lambda: values(client, run["id"]), lambda v: v["g.out"]["value"] == 2.0, "first ticks")
    gain = components_by_name(client, model_id)["g"]
    response = client.patch(f"/api/v1/components/{gain['id']}", json={"parameters": {"k": 5.0}})
    assert response.status_code == 200, response.text
    wait_until(lambda: values(client, run["id"]), lambda v: v["g.out"]["value"] == 5.0, "edited gain")
    assert status(client, run["id"])["model_edits"] == {"applied": 1, "last": "parameters", "error": None}
    client.post(f"{API}/{run['id']}/stop")


def test_a_new_component_and_connection_join_the_running_graph(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    gain = components_by_name(client, model_id)["g"]
    created = client.post("/api/v1/components", json={"machine_model_id": model_id, "name": "h", "type": "Gain",
                                                      "parameters": {"k": 10.0}, "inputs": {"in": 0.0}})
    assert created.status_code == 201, created.text
    connected = client.post("/api/v1/connections", json={"source_component_id": gain["id"], "source_port": "out",
                                                         "target_component_id": created.json()["id"],
                                                         "target_port": "in"})
    assert connected.status_code == 201, connected.text
    current = wait_until(lambda: values(client, run["id"]), lambda v: v.get("h.out", {}).get("value") == 20.0,
                         "the new component")
    assert current["g.out"]["value"] == 2.0
    assert status(client, run["id"])["model_edits"]["last"] == "graph"
    client.post(f"{API}/{run['id']}/stop")


def test_an_edit_that_makes_an_algebraic_loop_leaves_the_run_on_its_model(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    parts = components_by_name(client, model_id)
    h = client.post("/api/v1/components", json={"machine_model_id": model_id, "name": "h", "type": "Sum"}).json()
    for body in (
        {"source_component_id": parts["g"]["id"], "source_port": "out", "target_component_id": h["id"],
         "target_port": "in1"},
        {"source_component_id": h["id"], "source_port": "out", "target_component_id": h["id"], "target_port": "in2"},
    ):
        assert client.post("/api/v1/connections", json=body).status_code == 201
    report = wait_until(lambda: status(client, run["id"]), lambda s: s["model_edits"]["error"] is not None, "error")
    assert "algebraic loop" in report["model_edits"]["error"]["message"]
    assert report["status"] == "running"
    # The edits before the loop were taken (h added, fed by g); the loop's connection was not.
    current = values(client, run["id"])
    assert current["h.in1"]["value"] == 2.0 and current["h.in2"]["value"] == 0.0 and current["h.out"]["value"] == 2.0
    client.post(f"{API}/{run['id']}/stop")


def test_a_finished_run_reports_no_edits(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.05)
    final = wait_until(lambda: status(client, run["id"]), lambda s: s["status"] == "completed", "completion")
    assert final["model_edits"] is None
