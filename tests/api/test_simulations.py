"""Simulation runs over the real HTTP stack: lifecycle, forces, parameters, telemetry, persistence, errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.db.base import utcnow
from app.db.runs import SimulationRun
from app.main import create_app
from tests.conftest import assert_error

T = TypeVar("T")
API = "/api/v1/simulations"
DEADLINE_SECONDS = 30.0

pytestmark = pytest.mark.timeout(120)


def wait_for(probe: Callable[[], T | None], what: str, deadline: float = DEADLINE_SECONDS) -> T:
    """Poll ``probe`` until it returns something truthy; fail (not time) after a generous deadline."""
    end = time.monotonic() + deadline
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def wait_until(fetch: Callable[[], T], holds: Callable[[T], bool], what: str) -> T:
    """Fetch until ``holds(result)``; returns that result."""
    box: list[T] = []

    def probe() -> bool:
        box[:] = [fetch()]
        return holds(box[0])

    wait_for(probe, what)
    return box[0]


def import_model(client: TestClient, project_id: int, document: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/machine-models/import?project_id={project_id}", json=document)
    assert response.status_code == 201, response.text
    return response.json()


def constant_gain(name: str = "const_gain", value: float = 1.0, k: float = 2.0) -> dict[str, Any]:
    """const.out -> g.in: g.out = k * value."""
    return {
        "schema_version": 1,
        "name": name,
        "dt": 0.01,
        "components": [
            {"name": "const", "type": "Constant", "parameters": {"value": value}},
            {"name": "g", "type": "Gain", "parameters": {"k": k}},
        ],
        "connections": [{"from": "const.out", "to": "g.in"}],
    }


def ramp_gain() -> dict[str, Any]:
    """ramp.out (= t) -> g.in: g.out = 2 t."""
    return {
        "schema_version": 1,
        "name": "ramp_gain",
        "dt": 0.01,
        "components": [
            {"name": "ramp", "type": "Ramp", "parameters": {"slope": 1.0}},
            {"name": "g", "type": "Gain", "parameters": {"k": 2.0}},
        ],
        "connections": [{"from": "ramp.out", "to": "g.in"}],
    }


@pytest.fixture
def model_id(client: TestClient, project: dict[str, Any]) -> int:
    return int(import_model(client, project["id"], constant_gain())["id"])


@pytest.fixture
def ramp_id(client: TestClient, project: dict[str, Any]) -> int:
    return int(import_model(client, project["id"], ramp_gain())["id"])


def start(client: TestClient, machine_model_id: int, **settings: Any) -> dict[str, Any]:
    response = client.post(f"{API}/start", json={"machine_model_id": machine_model_id, **settings})
    assert response.status_code == 201, response.text
    return response.json()


def status(client: TestClient, run_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/{run_id}/status")
    assert response.status_code == 200, response.text
    return response.json()


def wait_status(client: TestClient, run_id: int, *wanted: str) -> dict[str, Any]:
    return wait_until(lambda: status(client, run_id), lambda s: s["status"] in wanted, f"run {wanted}")


def wait_ticking(client: TestClient, run_id: int, beyond: int = 0) -> dict[str, Any]:
    return wait_until(
        lambda: status(client, run_id),
        lambda s: s["status"] == "running" and s["tick"] > beyond,
        f"run {run_id} ticking beyond {beyond}",
    )


def values(client: TestClient, run_id: int) -> dict[str, dict[str, Any]]:
    response = client.get(f"{API}/{run_id}/values")
    assert response.status_code == 200, response.text
    return {v["port"]: v for v in response.json()["values"]}


@pytest.fixture
def second_app(settings: Settings) -> Callable[[], TestClient]:
    """A fresh application on the same database: what a server restart looks like to the runs."""

    def make() -> TestClient:
        application = create_app()
        application.dependency_overrides[get_settings] = lambda: settings
        return TestClient(application)

    return make


# ---------------------------------------------------------------------------------------------- lifecycle


def test_start_returns_201_with_the_run_settings(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.5, seed=7)
    assert run["status"] in ("pending", "running", "completed")
    assert run["machine_model_id"] == model_id and run["model_name"] == "const_gain"
    assert run["seed"] == 7 and run["dt"] == 0.01 and run["duration"] == 0.5 and run["mode"] == "sim"
    assert len(run["model_hash"]) == 64


def test_duration_bounded_run_completes_with_expected_tick_count(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=1.0)
    final = wait_status(client, run["id"], "completed")
    assert final["tick"] == 100 and final["sim_time"] == pytest.approx(1.0)
    assert final["started_at"] is not None and final["finished_at"] is not None and final["error"] is None


def test_dt_in_the_request_overrides_the_model_dt(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=1.0, dt=0.1)
    final = wait_status(client, run["id"], "completed")
    assert final["dt"] == 0.1 and final["tick"] == 10


def test_open_ended_run_keeps_ticking_until_stopped(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    first = wait_ticking(client, run["id"])
    wait_ticking(client, run["id"], beyond=first["tick"])
    stopped = client.post(f"{API}/{run['id']}/stop")
    assert stopped.status_code == 200
    final = wait_status(client, run["id"], "stopped")
    assert final["duration"] is None and final["tick"] > first["tick"]


def test_tick_stops_growing_once_stopped(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    wait_ticking(client, run["id"])
    client.post(f"{API}/{run['id']}/stop")
    final = wait_status(client, run["id"], "stopped")
    for _ in range(5):
        assert status(client, run["id"])["tick"] == final["tick"]


def test_paced_run_stops_within_one_tick(client: TestClient, model_id: int) -> None:
    # One tick per wall-clock second: a stop that waited for more than the tick in progress would show.
    run = start(client, model_id, dt=1.0, realtime=True, time_scale=1.0)
    before = wait_ticking(client, run["id"])["tick"]
    client.post(f"{API}/{run['id']}/stop")
    final = wait_status(client, run["id"], "stopped")
    assert before <= final["tick"] <= before + 2


def test_paced_run_completes_and_reports_real_time_factor(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.5, realtime=True, time_scale=100.0)
    final = wait_status(client, run["id"], "completed")
    assert final["tick"] == 50 and final["realtime"] is True and final["time_scale"] == 100.0
    assert final["real_time_factor"] > 0 and final["overruns"] >= 0 and final["max_lateness"] >= 0


def test_several_runs_tick_at_once(client: TestClient, model_id: int, ramp_id: int) -> None:
    runs = [start(client, model_id), start(client, ramp_id), start(client, model_id, seed=3)]
    for run in runs:
        wait_ticking(client, run["id"])
    page = client.get(f"{API}?status=running").json()
    assert {r["id"] for r in runs} <= {r["id"] for r in page["items"]}
    for run in runs:
        client.post(f"{API}/{run['id']}/stop")
    for run in runs:
        wait_status(client, run["id"], "stopped")


def test_stop_a_finished_run_is_409(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.1)
    wait_status(client, run["id"], "completed")
    assert_error(client.post(f"{API}/{run['id']}/stop"), 409, "run_not_active")


def test_progress_is_written_to_the_run_row_while_it_runs(client: TestClient, model_id: int, session: Session) -> None:
    run = start(client, model_id)

    def stored_tick() -> int:
        session.expire_all()
        row = session.get(SimulationRun, run["id"])
        return row.tick if row is not None and row.status == "running" else 0

    assert wait_for(stored_tick, "a progress write") > 0
    client.post(f"{API}/{run['id']}/stop")


# ---------------------------------------------------------------------------------------------- listing


def test_list_filters_by_model_and_status(client: TestClient, model_id: int, ramp_id: int) -> None:
    done = start(client, model_id, duration=0.1)
    start(client, ramp_id, duration=0.1)
    wait_status(client, done["id"], "completed")
    page = client.get(f"{API}?machine_model_id={model_id}&status=completed").json()
    assert page["total"] == 1 and page["items"][0]["id"] == done["id"]


def test_list_is_paginated_newest_first(client: TestClient, model_id: int) -> None:
    ids = [start(client, model_id, duration=0.05)["id"] for _ in range(3)]
    page = client.get(f"{API}?limit=2&offset=0").json()
    assert page["total"] == 3 and page["limit"] == 2 and [r["id"] for r in page["items"]] == ids[::-1][:2]


def test_list_of_missing_model_is_404(client: TestClient) -> None:
    assert_error(client.get(f"{API}?machine_model_id=999"), 404, "not_found")


def test_list_with_unknown_status_is_422(client: TestClient) -> None:
    assert_error(client.get(f"{API}?status=sleeping"), 422, "validation_error")


# ---------------------------------------------------------------------------------------------- refusals


def test_start_missing_model_is_404(client: TestClient) -> None:
    error = assert_error(client.post(f"{API}/start", json={"machine_model_id": 404}), 404, "not_found")
    assert error["details"][0]["loc"] == "machine_model_id"


def test_start_model_with_unconnected_input_is_refused_with_problems(
    client: TestClient, project: dict[str, Any]
) -> None:
    document = {"schema_version": 1, "name": "loose", "components": [{"name": "g", "type": "Gain"}]}
    model = import_model(client, project["id"], document)
    error = assert_error(client.post(f"{API}/start", json={"machine_model_id": model["id"]}), 422)
    assert any(p.get("code") == "unconnected_input" for p in error["details"]), error
    assert client.get(API).json()["total"] == 0


def test_start_model_with_algebraic_loop_is_refused_naming_the_loop(
    client: TestClient, project: dict[str, Any]
) -> None:
    document = {
        "schema_version": 1,
        "name": "loop",
        "components": [{"name": "a", "type": "Gain"}, {"name": "b", "type": "Gain"}],
        "connections": [{"from": "a.out", "to": "b.in"}, {"from": "b.out", "to": "a.in"}],
    }
    model = import_model(client, project["id"], document)
    error = assert_error(client.post(f"{API}/start", json={"machine_model_id": model["id"]}), 422)
    assert "UnitDelay" in error["message"] or any("UnitDelay" in str(p) for p in error["details"]), error


def test_start_hil_without_bindings_is_422(client: TestClient, model_id: int) -> None:
    response = client.post(f"{API}/start", json={"machine_model_id": model_id, "mode": "hil"})
    assert_error(response, 422, "no_bindings")


def test_start_time_scale_outside_range_is_422(client: TestClient, model_id: int) -> None:
    response = client.post(f"{API}/start", json={"machine_model_id": model_id, "realtime": True, "time_scale": 500})
    error = assert_error(response, 422, "validation_error")
    assert error["details"][0]["loc"] == "body.time_scale"


def test_start_record_pattern_matching_no_port_is_422(client: TestClient, model_id: int) -> None:
    response = client.post(f"{API}/start", json={"machine_model_id": model_id, "record": {"ports": ["pump.*"]}})
    error = assert_error(response, 422)
    assert error["details"][0]["loc"] == "record"


@pytest.mark.parametrize(
    "path",
    ["/status", "", "/values", "/forces", "/telemetry"],
)
def test_reading_a_missing_run_is_404(client: TestClient, path: str) -> None:
    assert_error(client.get(f"{API}/999{path}"), 404, "not_found")


def test_stopping_a_missing_run_is_404(client: TestClient) -> None:
    assert_error(client.post(f"{API}/999/stop"), 404, "not_found")


# ---------------------------------------------------------------------------------------------- values, forces


def test_values_list_every_port(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.1)
    wait_status(client, run["id"], "completed")
    current = values(client, run["id"])
    assert set(current) == {"const.out", "g.in", "g.out"}
    assert current["g.out"]["value"] == 2.0 and not current["g.out"]["forced"]


def test_forced_output_holds_against_the_model_and_shows_in_values(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    response = client.put(f"{API}/{run['id']}/forces", json={"component": "const", "port": "out", "value": 5})
    assert response.status_code == 200 and response.json()["value"] == 5
    current = wait_until(lambda: values(client, run["id"]), lambda v: v["g.out"]["value"] == 10.0, "force")
    assert current["const.out"]["value"] == 5.0 and current["const.out"]["forced"] is True
    assert not current["g.out"]["forced"]
    client.post(f"{API}/{run['id']}/stop")


def test_forced_input_overrides_its_connection(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    client.put(f"{API}/{run['id']}/forces", json={"component": "g", "port": "in", "value": 3.5})
    current = wait_until(lambda: values(client, run["id"]), lambda v: v["g.out"]["value"] == 7.0, "force")
    assert current["g.in"]["forced"] and current["const.out"]["value"] == 1.0
    client.post(f"{API}/{run['id']}/stop")


def test_forces_are_listed_once_applied(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    client.put(f"{API}/{run['id']}/forces", json={"component": "g", "port": "out", "value": -1})
    listed = wait_until(
        lambda: client.get(f"{API}/{run['id']}/forces").json(), lambda f: f[0]["applied"], "force applied"
    )
    assert listed == [{"component": "g", "port": "out", "value": -1, "applied": True}]
    client.post(f"{API}/{run['id']}/stop")


def test_released_port_follows_the_model_again(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    client.put(f"{API}/{run['id']}/forces", json={"component": "const", "port": "out", "value": 5})
    wait_for(lambda: values(client, run["id"])["const.out"]["forced"], "force applied")
    assert client.delete(f"{API}/{run['id']}/forces/const/out").status_code == 204
    current = wait_until(lambda: values(client, run["id"]), lambda v: v["g.out"]["value"] == 2.0, "release")
    assert not current["const.out"]["forced"]
    assert client.get(f"{API}/{run['id']}/forces").json() == []
    client.post(f"{API}/{run['id']}/stop")


def test_releasing_a_port_that_is_not_forced_is_404(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    assert_error(client.delete(f"{API}/{run['id']}/forces/g/out"), 404, "not_forced")
    client.post(f"{API}/{run['id']}/stop")


def test_forcing_an_unknown_port_is_422(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    response = client.put(f"{API}/{run['id']}/forces", json={"component": "g", "port": "nope", "value": 1})
    error = assert_error(response, 422, "unknown_port")
    assert "out" in error["details"][0]["valid"]
    client.post(f"{API}/{run['id']}/stop")


def test_forcing_a_finished_run_is_409(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.05)
    wait_status(client, run["id"], "completed")
    response = client.put(f"{API}/{run['id']}/forces", json={"component": "g", "port": "out", "value": 1})
    assert_error(response, 409, "run_not_active")


def test_final_values_keep_the_forces_in_place_at_the_end(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    client.put(f"{API}/{run['id']}/forces", json={"component": "g", "port": "out", "value": 9})
    wait_for(lambda: values(client, run["id"])["g.out"]["forced"], "force applied")
    client.post(f"{API}/{run['id']}/stop")
    wait_status(client, run["id"], "stopped")
    final = values(client, run["id"])["g.out"]
    assert final["value"] == 9.0 and final["forced"] is True


# ---------------------------------------------------------------------------------------------- parameters


def test_parameter_change_applies_while_running(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    response = client.patch(f"{API}/{run['id']}/parameters", json={"component": "g", "name": "k", "value": 4.0})
    assert response.status_code == 200
    wait_for(lambda: values(client, run["id"])["g.out"]["value"] == 4.0, "new gain in effect")
    client.post(f"{API}/{run['id']}/stop")


def test_parameter_change_to_unknown_component_is_422(client: TestClient, model_id: int) -> None:
    run = start(client, model_id)
    response = client.patch(f"{API}/{run['id']}/parameters", json={"component": "zz", "name": "k", "value": 4.0})
    assert_error(response, 422)
    client.post(f"{API}/{run['id']}/stop")


# ---------------------------------------------------------------------------------------------- telemetry


def test_telemetry_json_has_every_kth_sample_of_recorded_ports(client: TestClient, ramp_id: int) -> None:
    run = start(client, ramp_id, duration=0.1, record={"ports": ["g.*"], "every": 2})
    wait_status(client, run["id"], "completed")
    body = client.get(f"{API}/{run['id']}/telemetry").json()
    assert body["ports"] == ["g.in", "g.out"] and body["every"] == 2 and body["samples"] == 5
    assert body["times"] == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08])
    assert body["series"]["g.out"] == pytest.approx([2 * t for t in body["times"]])
    assert body["truncated"] is False


def test_telemetry_csv_has_a_time_column_and_one_column_per_port(client: TestClient, ramp_id: int) -> None:
    run = start(client, ramp_id, duration=0.03, record={"ports": None, "every": 1})
    wait_status(client, run["id"], "completed")
    response = client.get(f"{API}/{run['id']}/telemetry?format=csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().split("\n")
    assert lines[0] == "time,g.in,g.out,ramp.out"
    rows = [[float(x) for x in line.split(",")] for line in lines[1:]]
    expected = [[0.0, 0.0, 0.0, 0.0], [0.01, 0.01, 0.02, 0.01], [0.02, 0.02, 0.04, 0.02]]
    assert len(rows) == 3 and all(row == pytest.approx(want) for row, want in zip(rows, expected))


def test_telemetry_is_readable_while_the_run_is_active(client: TestClient, ramp_id: int) -> None:
    run = start(client, ramp_id, record={"ports": ["ramp.out"], "every": 1})
    body = wait_until(
        lambda: client.get(f"{API}/{run['id']}/telemetry").json(), lambda b: b["samples"] > 0, "first samples"
    )
    assert body["series"]["ramp.out"][: body["samples"]] == pytest.approx(body["times"])
    client.post(f"{API}/{run['id']}/stop")


def test_telemetry_of_a_run_recording_nothing_is_404(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.05)
    wait_status(client, run["id"], "completed")
    assert_error(client.get(f"{API}/{run['id']}/telemetry"), 404, "no_telemetry")


def test_telemetry_with_unknown_format_is_422(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.05, record={})
    assert_error(client.get(f"{API}/{run['id']}/telemetry?format=xml"), 422, "validation_error")


# ---------------------------------------------------------------------------------------------- persistence


def test_restart_marks_runs_left_running_as_aborted(
    client: TestClient, model_id: int, session: Session, second_app: Callable[[], TestClient]
) -> None:
    for state in ("running", "pending"):
        session.add(
            SimulationRun(
                machine_model_id=model_id,
                model_name="const_gain",
                model_hash="0" * 64,
                engine_version="0",
                mode="sim",
                status=state,
                dt=0.01,
                duration=None,
                realtime=False,
                time_scale=1.0,
                seed=0,
                record=None,
                tick=42,
                sim_time=0.42,
                wall_time=1.0,
                overruns=0,
                mean_lateness=0.0,
                max_lateness=0.0,
                started_at=utcnow(),
            )
        )
    session.commit()
    with second_app() as restarted:
        page = restarted.get(API).json()
        assert [r["status"] for r in page["items"]] == ["aborted", "aborted"]
        assert all(r["error"] and r["finished_at"] for r in page["items"])


def test_shutdown_aborts_active_runs_and_keeps_their_telemetry(
    model_id: int, ramp_id: int, second_app: Callable[[], TestClient]
) -> None:
    with second_app() as first:
        run = start(first, ramp_id, record={"ports": ["ramp.out"], "every": 1})
        wait_ticking(first, run["id"])
    with second_app() as restarted:
        final = status(restarted, run["id"])
        assert final["status"] == "aborted" and final["tick"] > 0
        assert restarted.get(f"{API}/{run['id']}/telemetry").json()["samples"] > 0


def test_finished_run_and_its_telemetry_survive_a_restart(
    client: TestClient, ramp_id: int, second_app: Callable[[], TestClient]
) -> None:
    run = start(client, ramp_id, duration=0.1, record={"ports": None, "every": 5})
    wait_status(client, run["id"], "completed")
    before = client.get(f"{API}/{run['id']}/telemetry").json()
    with second_app() as restarted:
        assert status(restarted, run["id"])["status"] == "completed"
        assert restarted.get(f"{API}/{run['id']}/telemetry").json() == before


def test_deleting_the_model_keeps_its_runs(client: TestClient, model_id: int) -> None:
    run = start(client, model_id, duration=0.05)
    wait_status(client, run["id"], "completed")
    assert client.delete(f"/api/v1/machine-models/{model_id}").status_code == 204
    kept = status(client, run["id"])
    assert kept["machine_model_id"] is None and kept["model_name"] == "const_gain"
