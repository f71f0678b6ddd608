"""PATCH /simulations/{id} changes the pace of an active paced run; errors for the runs it cannot change."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_simulations import API, constant_gain, import_model, start, status, wait_status, wait_ticking
from tests.conftest import assert_error

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def model_id(client: TestClient, project: dict[str, Any]) -> int:
    return int(import_model(client, project["id"], constant_gain())["id"])


def test_time_scale_of_a_paced_run_changes_and_shows_in_status(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, realtime=True, time_scale=1.0)
    before = wait_ticking(client, run["id"])
    response = client.patch(f"{API}/{run['id']}", json={"time_scale": 5.0})
    assert response.status_code == 200, response.text
    assert response.json()["time_scale"] == 5.0
    after = status(client, run["id"])
    assert after["time_scale"] == 5.0 and after["tick"] >= before["tick"]
    (event,) = [e for e in client.get(f"{API}/{run['id']}/events").json() if e["kind"] == "time_scale"]
    assert event["data"] == {"previous": 1.0, "time_scale": 5.0}
    client.post(f"{API}/{run['id']}/stop")
    assert status(client, run["id"])["time_scale"] == 5.0  # stored with the run


def test_an_empty_patch_changes_nothing(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, realtime=True, time_scale=2.0)
    response = client.patch(f"{API}/{run['id']}", json={})
    assert response.status_code == 200 and response.json()["time_scale"] == 2.0
    client.post(f"{API}/{run['id']}/stop")


@pytest.mark.parametrize("scale", [0.05, 100.5, "fast"])
def test_a_time_scale_outside_0_1_to_100_is_a_422(client: TestClient, model_id: int, scale: Any) -> None:
    run = start(client, model_id, realtime=True)
    error = assert_error(client.patch(f"{API}/{run['id']}", json={"time_scale": scale}), 422)
    assert error["details"][0]["loc"] == "body.time_scale"
    client.post(f"{API}/{run['id']}/stop")


def test_a_run_going_as_fast_as_possible_is_not_paced(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    assert_error(client.patch(f"{API}/{run['id']}", json={"time_scale": 2.0}), 409, "run_not_paced")
    client.post(f"{API}/{run['id']}/stop")


def test_an_ended_run_is_not_active(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, realtime=True, time_scale=100.0, duration=0.05)
    wait_status(client, run["id"], "completed")
    assert_error(client.patch(f"{API}/{run['id']}", json={"time_scale": 2.0}), 409, "run_not_active")


def test_an_unknown_run_is_a_404(client: TestClient) -> None:
    assert_error(client.patch(f"{API}/999", json={"time_scale": 2.0}), 404)
