"""Provenance and reruns: runs keep the exact model document they ran (content-addressed, stored once), and a
rerun runs exactly the same thing again, bit for bit in `sim` mode, whatever became of the stored model."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.model_documents import StoredModelDocument
from app.db.runs import SimulationRun
from app.db.scenarios import ScenarioRun
from tests.api.auth_support import add_member, add_user, login, post
from tests.api.test_scenarios import scenario
from tests.api.test_simulations import API, import_model, ramp_gain, start, wait_status, wait_until
from tests.api.test_simulations_hil import free_port, loop_document
from tests.conftest import assert_error
from tests.engine.hil.conftest import AsyncuaPlc

pytestmark = pytest.mark.timeout(120)

MISSING = 987654


def noisy_tank() -> dict[str, Any]:
    """A tank filled through a valve by a PID on a noisy sensor: seeded noise, state and feedback."""
    return {
        "schema_version": 1,
        "name": "noisy_tank",
        "dt": 0.05,
        "components": [
            {"name": "valve", "type": "Valve", "parameters": {"max_flow": 0.004, "travel_time": 2.0}},
            {"name": "tank", "type": "Tank", "parameters": {"area": 0.5, "height": 1.2, "initial_level": 0.1}},
            {"name": "sensor", "type": "Sensor", "parameters": {"noise_std": 0.01}},
            {"name": "pid", "type": "PID", "parameters": {"kp": 4.0, "ki": 0.4}, "inputs": {"setpoint": 0.6}},
        ],
        "connections": [
            {"from": "valve.flow", "to": "tank.inflow"},
            {"from": "tank.level", "to": "sensor.in"},
            {"from": "sensor.value", "to": "pid.measurement"},
            {"from": "pid.out", "to": "valve.command"},
        ],
    }


RUN = {"duration": 20.0, "seed": 7, "record": {"ports": None, "every": 1}}


def finished(client: TestClient, run_id: int) -> dict[str, Any]:
    return wait_status(client, run_id, "completed", "stopped", "failed", "aborted")


def telemetry(client: TestClient, run_id: int) -> tuple[dict[str, Any], bytes]:
    as_json = client.get(f"{API}/{run_id}/telemetry")
    as_csv = client.get(f"{API}/{run_id}/telemetry?format=csv")
    assert as_json.status_code == as_csv.status_code == 200, (as_json.text, as_csv.text)
    data = as_json.json()
    data.pop("run_id")
    return data, as_csv.content


def rerun(client: TestClient, run_id: int) -> dict[str, Any]:
    response = client.post(f"{API}/{run_id}/rerun")
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/v1/simulations/{body['id']}" and body["rerun_of"] == run_id
    return body


def component_id(client: TestClient, model_id: int, name: str) -> int:
    items = client.get(f"/api/v1/components?machine_model_id={model_id}").json()["items"]
    return int(next(c["id"] for c in items if c["name"] == name))


def edit_parameter(client: TestClient, model_id: int, component: str, **parameters: Any) -> None:
    response = client.patch(f"/api/v1/components/{component_id(client, model_id, component)}",
                            json={"parameters": parameters})
    assert response.status_code == 200, response.text


def stored_documents(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(StoredModelDocument)) or 0)


# ------------------------------------------------------------------------------------ content addressing


def test_two_runs_of_one_model_share_one_stored_document_and_an_edit_makes_a_new_one(
    client: TestClient, project: dict[str, Any], session: Session
) -> None:
    model_id = import_model(client, project["id"], noisy_tank())["id"]
    first = finished(client, start(client, model_id, duration=1.0)["id"])
    second = finished(client, start(client, model_id, duration=2.0, seed=3)["id"])
    assert first["document_hash"] == second["document_hash"] == first["model_hash"]
    assert stored_documents(session) == 1
    edit_parameter(client, model_id, "tank", area=0.6)
    third = finished(client, start(client, model_id, duration=1.0)["id"])
    assert third["document_hash"] not in (None, first["document_hash"])
    assert stored_documents(session) == 2
    # The stored bytes are the very text the hash was computed on.
    for row in session.scalars(select(StoredModelDocument)):
        text = zlib.decompress(row.data)
        assert hashlib.sha256(text).hexdigest() == row.hash and len(text) == row.size


def test_a_run_keeps_its_start_settings(client: TestClient, project: dict[str, Any]) -> None:
    model_id = import_model(client, project["id"], noisy_tank())["id"]
    run = finished(client, start(client, model_id, **RUN)["id"])
    assert run["settings"] == {
        "mode": "sim", "dt": None, "duration": 20.0, "realtime": False, "time_scale": 1.0, "seed": 7,
        "record": {"ports": None, "every": 1}, "opcua_server": None, "on_disconnect": "continue",
    }
    assert run["rerun_of"] is None and run["engine_version"]


def test_the_model_route_returns_the_document_the_run_ran_even_after_an_edit(
    client: TestClient, project: dict[str, Any]
) -> None:
    model_id = import_model(client, project["id"], noisy_tank())["id"]
    exported = client.get(f"/api/v1/machine-models/{model_id}/export").json()
    run = finished(client, start(client, model_id, duration=1.0)["id"])
    edit_parameter(client, model_id, "pid", kp=9.0)
    as_json = client.get(f"{API}/{run['id']}/model")
    assert as_json.status_code == 200 and as_json.headers["content-type"].startswith("application/json")
    assert as_json.json() == exported
    as_yaml = client.get(f"{API}/{run['id']}/model", headers={"accept": "application/yaml"})
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == exported
    assert client.get(f"{API}/{run['id']}/model?format=yaml").text == as_yaml.text
    assert client.get(f"/api/v1/machine-models/{model_id}/export").json() != exported  # the model did change


# ------------------------------------------------------------------------------------------------ reruns


def test_a_rerun_after_the_model_was_edited_records_bit_identical_telemetry(
    client: TestClient, project: dict[str, Any]
) -> None:
    model_id = import_model(client, project["id"], noisy_tank())["id"]
    original = finished(client, start(client, model_id, **RUN)["id"])
    assert original["status"] == "completed"
    edit_parameter(client, model_id, "sensor", noise_std=0.05)
    edit_parameter(client, model_id, "tank", area=0.7)
    again = finished(client, rerun(client, original["id"])["id"])
    assert again["status"] == "completed" and again["tick"] == original["tick"] == 400
    assert again["document_hash"] == original["document_hash"] and again["machine_model_id"] == model_id
    assert {k: again[k] for k in ("dt", "duration", "seed", "record", "mode", "realtime")} == {
        k: original[k] for k in ("dt", "duration", "seed", "record", "mode", "realtime")}
    first, first_csv = telemetry(client, original["id"])
    second, second_csv = telemetry(client, again["id"])
    assert first["samples"] >= 400 and len(set(first["series"]["sensor.value"])) > 100  # noise was drawn
    assert second == first and second_csv == first_csv
    # A fresh run of the edited model is different: the rerun did not take the edit.
    fresh = finished(client, start(client, model_id, **RUN)["id"])
    assert telemetry(client, fresh["id"])[0]["series"] != first["series"]


def test_a_rerun_after_the_model_was_deleted_records_bit_identical_telemetry(
    client: TestClient, project: dict[str, Any]
) -> None:
    model_id = import_model(client, project["id"], noisy_tank())["id"]
    original = finished(client, start(client, model_id, **RUN)["id"])
    assert client.delete(f"/api/v1/machine-models/{model_id}").status_code == 204
    again = finished(client, rerun(client, original["id"])["id"])
    assert again["status"] == "completed" and again["machine_model_id"] is None
    assert again["model_name"] == "noisy_tank" and again["document_hash"] == original["document_hash"]
    assert telemetry(client, again["id"]) == telemetry(client, original["id"])
    assert client.get(f"{API}/{again['id']}/model").json() == client.get(f"{API}/{original['id']}/model").json()


def test_a_rerun_of_a_rerun_is_the_same_run_again(client: TestClient, project: dict[str, Any]) -> None:
    model_id = import_model(client, project["id"], noisy_tank())["id"]
    original = finished(client, start(client, model_id, duration=5.0, seed=11, record={"ports": ["sensor.*"],
                                                                                       "every": 3})["id"])
    once = finished(client, rerun(client, original["id"])["id"])
    twice = finished(client, rerun(client, once["id"])["id"])
    assert twice["rerun_of"] == once["id"] and twice["settings"] == once["settings"]
    assert telemetry(client, twice["id"]) == telemetry(client, original["id"])


def test_an_open_ended_paced_rerun_keeps_its_pace_and_runs_until_stopped(
    client: TestClient, project: dict[str, Any]
) -> None:
    model_id = import_model(client, project["id"], ramp_gain())["id"]
    original = start(client, model_id, realtime=True, time_scale=2.0)
    client.post(f"{API}/{original['id']}/stop")
    again = rerun(client, original["id"])
    try:
        running = wait_status(client, again["id"], "running")
        assert running["duration"] is None and running["realtime"] is True and running["time_scale"] == 2.0
    finally:
        stopped = client.post(f"{API}/{again['id']}/stop")
        assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"


# --------------------------------------------------------------------------- runs from before documents were kept


def old_run(session: Session, model_id: int, project_id: int) -> int:
    """A run as migration 0008 leaves the runs before it: a hash, no stored document, no settings."""
    row = SimulationRun(machine_model_id=model_id, project_id=project_id, model_name="noisy_tank", model_hash="ab" * 32,
                        engine_version="0.1.0", mode="sim", status="completed", dt=0.05, duration=1.0, seed=0)
    session.add(row)
    session.commit()
    return row.id


def test_a_run_from_before_documents_were_kept_says_so(
    client: TestClient, project: dict[str, Any], session: Session
) -> None:
    model_id = import_model(client, project["id"], noisy_tank())["id"]
    run_id = old_run(session, model_id, project["id"])
    read = client.get(f"{API}/{run_id}").json()
    assert read["model_hash"] == "ab" * 32 and read["document_hash"] is None and read["settings"] is None
    for response in (client.get(f"{API}/{run_id}/model"), client.post(f"{API}/{run_id}/rerun")):
        error = assert_error(response, 404, "document_not_kept")
        assert "before runs kept the document" in error["message"] and "ab" * 32 in error["message"]
        assert error["details"] == [{"id": run_id, "model_hash": "ab" * 32}]


def test_unknown_runs_are_404_in_the_error_shape(client: TestClient) -> None:
    for response in (
        client.get(f"{API}/{MISSING}/model"),
        client.post(f"{API}/{MISSING}/rerun"),
        client.get(f"/api/v1/scenario-runs/{MISSING}/model"),
        client.get(f"/api/v1/scenario-runs/{MISSING}/scenario"),
        client.post(f"/api/v1/scenario-runs/{MISSING}/rerun"),
    ):
        error = assert_error(response, 404, "not_found")
        assert error["details"] == [{"id": MISSING}]
    assert_error(client.post(f"{API}/{2**63}/rerun"), 404, "not_found")
    assert_error(client.get(f"{API}/abc/model"), 422)


# ------------------------------------------------------------------------------------------ scenario runs


def scenario_run(client: TestClient, scenario_id: int) -> dict[str, Any]:
    response = client.post(f"/api/v1/scenarios/{scenario_id}/run")
    assert response.status_code == 202, response.text
    return wait_until(lambda: client.get(f"/api/v1/scenario-runs/{response.json()['id']}").json(),
                      lambda r: r["status"] in ("completed", "failed", "aborted"), "the scenario run to end")


def test_a_scenario_rerun_judges_what_the_original_ran_with_the_same_verdicts(
    client: TestClient, project: dict[str, Any]
) -> None:
    model_id = import_model(client, project["id"], ramp_gain())["id"]
    stored = client.post(f"/api/v1/scenarios?machine_model_id={model_id}", json=scenario()).json()
    original = scenario_run(client, stored["id"])
    assert original["status"] == "completed" and original["document_hash"] == original["model_hash"]
    as_run = client.get(f"/api/v1/scenario-runs/{original['id']}/scenario").json()
    model_as_run = client.get(f"/api/v1/scenario-runs/{original['id']}/model").json()
    # Change both the model and the scenario: a new run judges them as they are now; the rerun as they were.
    edit_parameter(client, model_id, "g", k=50.0)
    assert client.put(f"/api/v1/scenarios/{stored['id']}", json={**scenario(), "name": "renamed"}).status_code == 200
    response = client.post(f"/api/v1/scenario-runs/{original['id']}/rerun")
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/scenario-runs/{response.json()['id']}"
    again = wait_until(lambda: client.get(response.headers["location"]).json(),
                       lambda r: r["status"] in ("completed", "failed", "aborted"), "the rerun to end")
    assert again["rerun_of"] == original["id"] and again["scenario_name"] == original["scenario_name"]
    same = ("status", "verdict", "assertions", "fault_periods", "ticks", "seed", "dt", "duration", "document_hash")
    assert {k: again[k] for k in same} == {k: original[k] for k in same}
    assert client.get(f"/api/v1/scenario-runs/{again['id']}/scenario").json() == as_run
    assert client.get(f"/api/v1/scenario-runs/{again['id']}/model").json() == model_as_run
    assert client.get(f"/api/v1/scenario-runs/{original['id']}/scenario?format=yaml").headers[
        "content-type"].startswith("application/yaml")
    fresh = scenario_run(client, stored["id"])
    assert fresh["verdict"] != original["verdict"] or fresh["assertions"] != original["assertions"]


def test_a_scenario_rerun_from_before_documents_were_kept_is_404(
    client: TestClient, project: dict[str, Any], session: Session
) -> None:
    model_id = import_model(client, project["id"], ramp_gain())["id"]
    stored = client.post(f"/api/v1/scenarios?machine_model_id={model_id}", json=scenario()).json()
    row = ScenarioRun(scenario_id=stored["id"], machine_model_id=model_id, project_id=project["id"],
                      scenario_name="s", model_name="ramp_gain", model_hash="cd" * 32, engine_version="0.1.0",
                      status="completed", seed=0, dt=0.01, duration=1.0, document=stored["document"])
    session.add(row)
    session.commit()
    for response in (client.get(f"/api/v1/scenario-runs/{row.id}/model"),
                     client.post(f"/api/v1/scenario-runs/{row.id}/rerun")):
        assert_error(response, 404, "document_not_kept")
    assert client.get(f"/api/v1/scenario-runs/{row.id}/scenario").json() == stored["document"]


# ------------------------------------------------------------------------------------------ roles and isolation


def test_reading_a_runs_document_needs_observer_and_rerunning_needs_operator(
    client: TestClient, session: Session
) -> None:
    for name in ("adam", "olga", "oscar", "visitor"):
        add_user(session, name)
    adam = login(client, "adam")
    project = post(client, adam, "projects", name="line-1")
    add_member(client, adam, project["id"], "olga", "observer")
    add_member(client, adam, project["id"], "oscar", "operator")
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=ramp_gain(), headers=adam)
    model_id = response.json()["id"]
    run = post(client, adam, "simulations/start", machine_model_id=model_id, duration=0.5, record={"ports": None})
    stored = client.post(f"/api/v1/scenarios?machine_model_id={model_id}", json=scenario(), headers=adam).json()
    srun = post(client, adam, f"scenarios/{stored['id']}/run")
    olga, oscar, visitor = login(client, "olga"), login(client, "oscar"), login(client, "visitor")
    reads = [f"{API}/{run['id']}/model", f"/api/v1/scenario-runs/{srun['id']}/model",
             f"/api/v1/scenario-runs/{srun['id']}/scenario"]
    reruns = [f"{API}/{run['id']}/rerun", f"/api/v1/scenario-runs/{srun['id']}/rerun"]
    for url in reads:
        assert client.get(url, headers=olga).status_code == 200, url
    for url in reruns:
        error = assert_error(client.post(url, headers=olga), 403, "forbidden")
        assert error["details"][0]["required_role"] == "operator"
        assert client.post(url, headers=oscar).status_code in (201, 202), url
        # Not a member: the run does not exist for them, exactly like a missing id.
        hidden, missing = client.post(url, headers=visitor), client.post(url.replace(
            f"/{run['id']}/" if url.startswith(API) else f"/{srun['id']}/", f"/{MISSING}/"), headers=visitor)
        assert_error(hidden, 404, "not_found")
        assert hidden.json()["error"]["message"] == missing.json()["error"]["message"].replace(
            str(MISSING), str(run["id"] if url.startswith(API) else srun["id"]))
    entries = client.get(f"/api/v1/audit?project_id={project['id']}&action=rerun_simulation", headers=adam).json()
    assert [(e["username"], e["outcome"]) for e in reversed(entries["items"])] == [("olga", 403), ("oscar", 201)]


@pytest.fixture
def hil_world(client: TestClient, session: Session, plc: AsyncuaPlc) -> dict[str, Any]:
    for name in ("adam", "oscar", "otto"):
        add_user(session, name)
    adam = login(client, "adam")
    project = post(client, adam, "projects", name="plant")
    add_member(client, adam, project["id"], "oscar", "operator")
    add_member(client, adam, project["id"], "otto", "operator")
    document = loop_document(plc.url, plc.node_id("Cmd"), plc.node_id("Feedback"))
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=document, headers=adam)
    assert response.status_code == 201, response.text
    endpoint = client.get(f"/api/v1/endpoints?project_id={project['id']}", headers=adam).json()["items"][0]
    assert client.put(f"/api/v1/endpoints/{endpoint['id']}/plc-write/oscar", headers=adam).status_code == 200
    return {"adam": adam, "oscar": login(client, "oscar"), "otto": login(client, "otto"),
            "model": response.json(), "endpoint": endpoint}


def test_a_hil_rerun_goes_through_the_plc_write_checks_of_a_start_and_talks_to_the_plc(
    client: TestClient, hil_world: dict[str, Any]
) -> None:
    w = hil_world
    first = post(client, w["oscar"], "simulations/start", machine_model_id=w["model"]["id"], mode="hil")
    client.post(f"{API}/{first['id']}/stop", headers=w["oscar"])
    error = assert_error(client.post(f"{API}/{first['id']}/rerun", headers=w["otto"]), 403, "plc_write_required")
    assert error["details"] == [{"loc": "plc_write", "endpoint_id": w["endpoint"]["id"], "endpoint": "plc"}]
    response = client.post(f"{API}/{first['id']}/rerun", headers=w["oscar"])
    assert response.status_code == 201, response.text
    again = response.json()
    try:
        assert again["mode"] == "hil" and again["realtime"] is True

        def feedback() -> Any:
            values = client.get(f"{API}/{again['id']}/values", headers=w["oscar"]).json()["values"]
            return next(v["value"] for v in values if v["port"] == "fb.out")

        wait_until(feedback, lambda v: v == 3.0, "the PLC's answer in the rerun")
    finally:
        client.post(f"{API}/{again['id']}/stop", headers=w["oscar"])


def test_a_hil_rerun_whose_endpoint_now_points_elsewhere_is_refused(
    client: TestClient, project: dict[str, Any]
) -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}"
    model_id = import_model(client, project["id"], loop_document(url, "ns=2;s=Cmd", "ns=2;s=Feedback"))["id"]
    failed = start(client, model_id, mode="hil")
    assert failed["status"] == "failed" and failed["document_hash"]  # unreachable, but what it tried is kept
    endpoint = client.get(f"/api/v1/endpoints?project_id={project['id']}").json()["items"][0]
    moved = f"opc.tcp://127.0.0.1:{free_port()}"
    assert client.patch(f"/api/v1/endpoints/{endpoint['id']}", json={"url": moved}).status_code == 200
    error = assert_error(client.post(f"{API}/{failed['id']}/rerun"), 409, "endpoint_changed")
    assert error["details"] == [{"loc": "endpoints", "endpoint": "plc", "endpoint_id": endpoint["id"],
                                 "reason": "changed", "url": url, "current_url": moved}]
    assert client.delete(f"/api/v1/endpoints/{endpoint['id']}").status_code == 204
    error = assert_error(client.post(f"{API}/{failed['id']}/rerun"), 409, "endpoint_changed")
    assert error["details"] == [{"loc": "endpoints", "endpoint": "plc", "reason": "deleted"}]
