"""Simulation runs with a duration are refused up front when they would exceed the tick or recording limits."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.core.config import Settings
from tests.api.test_simulations import API, import_model, ramp_gain
from tests.conftest import assert_error


def test_a_run_over_the_tick_limit_is_422_naming_both_numbers(
    client: TestClient, project: dict[str, Any], settings: Settings
) -> None:
    settings.max_run_ticks = 500
    model_id = import_model(client, project["id"], ramp_gain())["id"]
    error = assert_error(client.post(f"{API}/start", json={"machine_model_id": model_id, "duration": 10.0}), 422,
                         "run_too_large")
    assert error["details"] == [{"loc": "body.duration", "ticks": 1001, "limit": 500, "message": error["details"][0][
        "message"]}]
    assert "1001 ticks" in error["message"] and "500" in error["message"]
    assert client.get(API).json()["total"] == 0


def test_a_run_over_the_recording_limit_is_422(client: TestClient, project: dict[str, Any], settings: Settings) -> None:
    settings.max_recorded_values = 1000
    model_id = import_model(client, project["id"], ramp_gain())["id"]
    body = {"machine_model_id": model_id, "duration": 10.0, "record": {"ports": ["*"], "every": 1}}
    error = assert_error(client.post(f"{API}/start", json=body), 422, "run_too_large")
    assert error["details"][0]["values"] == 3 * 1001 and error["details"][0]["loc"] == "body.record"
    body["record"] = {"ports": ["*"], "every": 10}  # 3 ports x 101 samples
    assert client.post(f"{API}/start", json=body).status_code == 201


def test_an_open_ended_run_is_not_refused(client: TestClient, project: dict[str, Any], settings: Settings) -> None:
    settings.max_run_ticks = 10
    model_id = import_model(client, project["id"], ramp_gain())["id"]
    run = client.post(f"{API}/start", json={"machine_model_id": model_id, "realtime": True}).json()
    assert client.post(f"{API}/{run['id']}/stop").status_code == 200


def test_the_twin_opc_ua_server_cannot_be_asked_to_listen_beyond_loopback(
    client: TestClient, project: dict[str, Any]
) -> None:
    model_id = import_model(client, project["id"], ramp_gain())["id"]
    body = {"machine_model_id": model_id, "opcua_server": {"port": 4999, "host": "0.0.0.0"}}
    error = assert_error(client.post(f"{API}/start", json=body), 422, "validation_error")
    assert error["details"][0]["loc"] == "body.opcua_server.host" and "loopback" in error["details"][0]["message"]
    assert client.get(API).json()["total"] == 0
