"""Faults injected into running simulations over the real HTTP stack: inject, see, list, clear, errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_simulations import (
    constant_gain,
    import_model,
    start,
    values,
    wait_status,
    wait_ticking,
    wait_until,
)
from tests.conftest import assert_error

API = "/api/v1/simulations"

pytestmark = pytest.mark.timeout(120)


def moving_actuator() -> dict[str, Any]:
    """act.position = t (1 mm/s towards a far setpoint)."""
    return {
        "schema_version": 1,
        "name": "moving_actuator",
        "dt": 0.01,
        "components": [
            {
                "name": "act",
                "type": "Actuator",
                "parameters": {"max_speed": 1.0, "max_position": 1e6},
                "inputs": {"setpoint": 1e6},
            }
        ],
    }


@pytest.fixture
def running(client: TestClient, project: dict[str, Any]) -> int:
    """An open-ended run of const(1) -> g(k=2), ticking."""
    model = import_model(client, project["id"], constant_gain())
    run = start(client, model["id"])
    wait_ticking(client, run["id"])
    return int(run["id"])


def inject(client: TestClient, run_id: int, **fault: Any) -> dict[str, Any]:
    response = client.post(f"{API}/{run_id}/faults", json=fault)
    assert response.status_code == 201, response.text
    return response.json()


def faults(client: TestClient, run_id: int) -> list[dict[str, Any]]:
    response = client.get(f"{API}/{run_id}/faults")
    assert response.status_code == 200, response.text
    return response.json()


def wait_value(client: TestClient, run_id: int, port: str, wanted: Any) -> dict[str, Any]:
    return wait_until(lambda: values(client, run_id)[port], lambda v: v["value"] == wanted, f"{port} == {wanted}")


def test_stuck_output_shows_in_values_flagged_as_faulted(client: TestClient, running: int) -> None:
    created = inject(client, running, port="g.out", type="stuck", value=5.0)
    assert created["id"] == 1 and created["port"] == "g.out" and created["ports"] == ["g.out"]
    reading = wait_value(client, running, "g.out", 5.0)
    assert reading["faulted"] and not reading["forced"]
    assert not values(client, running)["const.out"]["faulted"]


def test_fault_on_a_connected_input_changes_what_the_component_sees(client: TestClient, running: int) -> None:
    inject(client, running, port="g.in", type="offset", value=1.5)
    assert wait_value(client, running, "g.out", 5.0)["value"] == 5.0  # 2 * (1 + 1.5)


def test_active_faults_are_listed_with_their_start_time(client: TestClient, running: int) -> None:
    created = inject(client, running, port="g.out", type="noise", std=0.1, name="noisy gain")
    listed = wait_until(lambda: faults(client, running), lambda f: f and f[0]["status"] == "active", "fault active")
    assert [f["id"] for f in listed] == [created["id"]]
    assert listed[0]["name"] == "noisy gain" and listed[0]["options"] == {"std": 0.1}
    assert listed[0]["started_at"] is not None and listed[0]["ends_at"] is None and listed[0]["for"] is None


def test_cleared_fault_leaves_the_port_to_the_model_again(client: TestClient, running: int) -> None:
    created = inject(client, running, port="g.out", type="stuck", value=5.0)
    wait_value(client, running, "g.out", 5.0)
    assert client.delete(f"{API}/{running}/faults/{created['id']}").status_code == 204
    reading = wait_value(client, running, "g.out", 2.0)
    assert not reading["faulted"] and faults(client, running) == []


def test_fault_with_for_clears_itself(client: TestClient, running: int) -> None:
    created = inject(client, running, port="g.out", type="short", **{"for": 0.05})
    assert created["for"] == 0.05
    wait_until(lambda: faults(client, running), lambda f: f == [], "the fault to clear itself")
    assert wait_value(client, running, "g.out", 2.0)["faulted"] is False


def test_jam_freezes_a_position_until_cleared(client: TestClient, project: dict[str, Any]) -> None:
    model = import_model(client, project["id"], moving_actuator())
    run_id = start(client, model["id"], realtime=True, time_scale=10.0)["id"]
    wait_ticking(client, run_id)
    created = inject(client, run_id, component="act", type="jam")
    assert set(created["ports"]) == {"act.position", "act.setpoint", "act.at_min", "act.at_max"}
    wait_until(lambda: faults(client, run_id), lambda f: f[0]["status"] == "active", "jam active")
    frozen = values(client, run_id)["act.position"]
    assert frozen["faulted"]
    tick = wait_ticking(client, run_id, beyond=values_tick(client, run_id) + 10)["tick"]
    assert tick > 0 and values(client, run_id)["act.position"]["value"] == frozen["value"]
    assert client.delete(f"{API}/{run_id}/faults/{created['id']}").status_code == 204
    wait_until(
        lambda: values(client, run_id)["act.position"]["value"], lambda v: v > frozen["value"], "the actuator moving"
    )


def values_tick(client: TestClient, run_id: int) -> int:
    return int(client.get(f"{API}/{run_id}/values").json()["tick"])


# ---------------------------------------------------------------------------------------------- errors


def test_unknown_fault_type_is_422_listing_the_valid_ones(client: TestClient, running: int) -> None:
    error = assert_error(client.post(f"{API}/{running}/faults", json={"port": "g.out", "type": "melt"}), 422)
    assert error["code"] == "invalid_fault" and error["details"][0]["loc"] == "type"
    assert "stuck" in error["details"][0]["valid"] and "jam" in error["details"][0]["valid"]


def test_unknown_port_is_422_listing_the_valid_ones(client: TestClient, running: int) -> None:
    response = client.post(f"{API}/{running}/faults", json={"port": "g.nope", "type": "stuck", "value": 1})
    error = assert_error(response, 422, "invalid_fault")
    assert error["details"][0]["loc"] == "port" and "g.out" in error["details"][0]["valid"]


def test_missing_option_is_422_at_its_name(client: TestClient, running: int) -> None:
    error = assert_error(client.post(f"{API}/{running}/faults", json={"port": "g.out", "type": "drift"}), 422)
    assert [d["loc"] for d in error["details"]] == ["rate"]


def test_component_fault_on_the_wrong_component_type_is_422(client: TestClient, running: int) -> None:
    error = assert_error(client.post(f"{API}/{running}/faults", json={"component": "g", "type": "jam"}), 422)
    assert error["details"][0]["loc"] == "component" and "Actuator" in error["details"][0]["message"]


def test_second_fault_on_the_same_port_is_409(client: TestClient, running: int) -> None:
    first = inject(client, running, port="g.out", type="open")
    error = assert_error(client.post(f"{API}/{running}/faults", json={"port": "g.out", "type": "short"}), 409)
    assert error["code"] == "fault_exists" and error["details"][0]["fault_id"] == first["id"]


def test_clearing_an_unknown_fault_is_404(client: TestClient, running: int) -> None:
    assert_error(client.delete(f"{API}/{running}/faults/42"), 404, "not_found")


def test_faults_on_a_missing_run_are_404(client: TestClient) -> None:
    assert_error(client.get(f"{API}/999/faults"), 404, "not_found")
    assert_error(client.post(f"{API}/999/faults", json={"port": "g.out", "type": "open"}), 404, "not_found")


def test_injecting_into_a_finished_run_is_409(client: TestClient, project: dict[str, Any]) -> None:
    model = import_model(client, project["id"], constant_gain())
    run = start(client, model["id"], duration=0.05)
    wait_status(client, run["id"], "completed")
    error = assert_error(client.post(f"{API}/{run['id']}/faults", json={"port": "g.out", "type": "open"}), 409)
    assert error["code"] == "run_not_active"
    assert faults(client, run["id"]) == []
