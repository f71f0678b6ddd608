"""Scenarios in ``hil`` mode over the API, with the asyncua PLC peer in the loop: run, judged, quality reported,
the same PLC-write permission as starting a HIL simulation, and an unreachable PLC ending the run ``failed``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_audit import hil_world  # noqa: F401  (fixture)
from tests.api.test_scenarios import API, RUNS, finished, store
from tests.api.test_simulations import import_model, wait_until
from tests.api.test_simulations_hil import free_port, hil_model, loop_document
from tests.conftest import assert_error
from tests.engine.hil.conftest import AsyncuaPlc

pytestmark = pytest.mark.timeout(120)


def hil_scenario(name: str = "the PLC answers") -> dict[str, Any]:
    """The PLC's scan answers Feedback = Cmd * 2, so fb.out reaches 3.0 (cmd is 1.5)."""
    return {
        "name": name,
        "run": {"duration": 0.6, "mode": "hil", "realtime": True},
        "assertions": [
            {"name": "reads the answer", "eventually": "fb.out >= 2.99"},
            {"name": "never above", "always": "fb.out <= 3.01"},
        ],
    }


def test_a_hil_scenario_runs_with_the_plc_in_the_loop_and_is_judged(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    created = store(client, hil_model(client, project, plc), hil_scenario())
    response = client.post(f"{API}/{created['id']}/run")
    assert response.status_code == 202, response.text
    run = finished(client, response.json()["id"])
    assert run["status"] == "completed" and run["verdict"] == "passed", run
    assert [a["passed"] for a in run["assertions"]] == [True, True]
    assert run["degraded"] is False
    assert run["quality"]["ticks"] == run["ticks"] and run["quality"]["stale"] == run["quality"]["bad"] == 0
    assert client.get(f"{RUNS}/{run['id']}/junit").status_code == 200


def test_a_hil_scenario_needs_the_plc_write_permission_like_a_hil_start(
    client: TestClient, hil_world: dict[str, Any]  # noqa: F811
) -> None:
    w = hil_world
    response = client.post(f"{API}?machine_model_id={w['model']['id']}", json=hil_scenario(), headers=w["adam"])
    assert response.status_code == 201, response.text
    scenario_id = response.json()["id"]
    refused = client.post(f"{API}/{scenario_id}/run", headers=w["otto"])
    error = assert_error(refused, 403, "plc_write_required")
    assert error["details"] == [{"loc": "plc_write", "endpoint_id": w["endpoint"]["id"], "endpoint": "plc"}]
    accepted = client.post(f"{API}/{scenario_id}/run", headers=w["oscar"])
    assert accepted.status_code == 202, accepted.text
    run = wait_until(lambda: client.get(f"{RUNS}/{accepted.json()['id']}", headers=w["oscar"]).json(),
                     lambda r: r["status"] not in ("pending", "running"), "the hil scenario run to finish")
    assert run["status"] == "completed" and run["verdict"] == "passed", run


def test_a_hil_scenario_against_an_unreachable_plc_fails_naming_endpoint_and_reason(
    client: TestClient, project: dict[str, Any]
) -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}"
    model_id = import_model(client, project["id"], loop_document(url, "ns=2;s=Cmd", "ns=2;s=Feedback"))["id"]
    created = store(client, model_id, hil_scenario())
    response = client.post(f"{API}/{created['id']}/run")
    assert response.status_code == 202, response.text
    run = finished(client, response.json()["id"])
    assert run["status"] == "failed" and run["verdict"] is None
    assert "plc" in run["error"] and "refused" in run["error"] and url in run["error"]


def test_a_hil_scenario_run_reruns_with_the_plc_in_the_loop_behind_the_same_permission(
    client: TestClient, hil_world: dict[str, Any]  # noqa: F811
) -> None:
    w = hil_world
    response = client.post(f"{API}?machine_model_id={w['model']['id']}", json=hil_scenario(), headers=w["adam"])
    assert response.status_code == 201, response.text
    first = client.post(f"{API}/{response.json()['id']}/run", headers=w["oscar"])
    assert first.status_code == 202, first.text
    wait_until(lambda: client.get(f"{RUNS}/{first.json()['id']}", headers=w["oscar"]).json(),
               lambda r: r["status"] not in ("pending", "running"), "the first run to finish")
    assert_error(client.post(f"{RUNS}/{first.json()['id']}/rerun", headers=w["otto"]), 403, "plc_write_required")
    again = client.post(f"{RUNS}/{first.json()['id']}/rerun", headers=w["oscar"])
    assert again.status_code == 202, again.text
    rerun = wait_until(lambda: client.get(f"{RUNS}/{again.json()['id']}", headers=w["oscar"]).json(),
                       lambda r: r["status"] not in ("pending", "running"), "the rerun to finish")
    assert rerun["rerun_of"] == first.json()["id"]
    assert rerun["status"] == "completed" and rerun["verdict"] == "passed" and rerun["degraded"] is False, rerun
