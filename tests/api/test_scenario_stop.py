"""Scenario runs can be stopped (and deleting the scenario stops them); runs too large are refused up front."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from tests.api.test_scenarios import API, RUNS, finished, run, scenario, store
from tests.api.test_simulations import import_model, ramp_gain, wait_until
from tests.conftest import assert_error

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def model_id(client: TestClient, project: dict[str, Any]) -> int:
    return int(import_model(client, project["id"], ramp_gain())["id"])


def long_scenario() -> dict[str, Any]:
    """A scenario paced to the wall clock for an hour: it only ends when stopped."""
    return scenario("an hour of ramp", run={"duration": 3600.0, "dt": 0.01, "realtime": True}, faults=[])


def running(client: TestClient, run_id: int) -> dict[str, Any]:
    return wait_until(lambda: client.get(f"{RUNS}/{run_id}").json(), lambda r: r["status"] == "running",
                      f"scenario run {run_id} to run")


def test_stopping_a_running_scenario_ends_it_aborted_without_a_verdict(client: TestClient, model_id: int) -> None:
    started = run(client, store(client, model_id, long_scenario())["id"])
    running(client, started["id"])
    response = client.post(f"{RUNS}/{started['id']}/stop")
    assert response.status_code == 200, response.text
    stopped = finished(client, started["id"])
    assert stopped["status"] == "aborted" and stopped["verdict"] is None
    assert stopped["error"].startswith("stopped by request: stopped at t = ")
    assert stopped["assertions"] == []


def test_stopping_an_ended_run_is_409(client: TestClient, model_id: int) -> None:
    done = finished(client, run(client, store(client, model_id, scenario())["id"])["id"])
    assert done["status"] == "completed"
    assert_error(client.post(f"{RUNS}/{done['id']}/stop"), 409, "run_not_active")
    assert_error(client.post(f"{RUNS}/{2**63}/stop"), 404)


def test_deleting_a_scenario_stops_its_runs_and_keeps_them(client: TestClient, model_id: int) -> None:
    stored = store(client, model_id, long_scenario())
    started = run(client, stored["id"])
    running(client, started["id"])
    assert client.delete(f"{API}/{stored['id']}").status_code == 204
    stopped = finished(client, started["id"])
    assert stopped["status"] == "aborted" and stopped["scenario_id"] is None
    assert "stopped by request" in stopped["error"]


def test_a_scenario_run_over_the_tick_limit_is_refused_naming_the_numbers(
    client: TestClient, model_id: int, settings: Settings
) -> None:
    settings.max_run_ticks = 1000
    stored = store(client, model_id, scenario("long", run={"duration": 20.0, "dt": 0.01}, faults=[]))
    error = assert_error(client.post(f"{API}/{stored['id']}/run"), 422, "run_too_large")
    (detail,) = error["details"]
    assert detail["ticks"] == 2001 and detail["limit"] == 1000 and "MAX_RUN_TICKS" in detail["message"]
    assert client.get(f"{API}/{stored['id']}/runs").json()["total"] == 0


def test_a_scenario_run_over_the_value_limit_is_refused(
    client: TestClient, model_id: int, settings: Settings
) -> None:
    settings.max_recorded_values = 100
    stored = store(client, model_id, scenario())
    error = assert_error(client.post(f"{API}/{stored['id']}/run"), 422, "run_too_large")
    assert error["details"][0]["values"] == 201 * 2 and error["details"][0]["limit"] == 100
