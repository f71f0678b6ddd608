"""Stored scenarios over the real HTTP stack: CRUD, located validation errors, background runs, reports, restart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.scenarios import ScenarioRun
from tests.api.test_simulations import import_model, ramp_gain, second_app, wait_until  # noqa: F401
from tests.conftest import assert_error

API = "/api/v1/scenarios"
RUNS = "/api/v1/scenario-runs"

pytestmark = pytest.mark.timeout(120)


def scenario(name: str = "ramp doubles", **extra: Any) -> dict[str, Any]:
    """A scenario on ramp_gain (g.out = 2 t) that passes: stuck fault on the ramp for [1, 1.5) s."""
    return {
        "name": name,
        "run": {"duration": 2.0, "dt": 0.01, "seed": 1},
        "faults": [{"at": 1.0, "for": 0.5, "port": "ramp.out", "type": "stuck", "value": 0}],
        "assertions": [
            {"name": "never negative", "always": "g.out >= 0"},
            {"name": "reaches 3", "eventually": "g.out >= 3", "within": [1.5, 2.0]},
            {"name": "zero while stuck", "at": 1.2, "expect": "g.out", "value": 0, "tolerance": 1e-9},
        ],
        **extra,
    }


def failing_scenario() -> dict[str, Any]:
    """Two assertions fail: g.out never reaches 10, and it is 2.4 (not 0) at 1.2 s without the fault."""
    return {
        "name": "ramp too slow",
        "run": {"duration": 2.0, "dt": 0.01},
        "assertions": [
            {"name": "never negative", "always": "g.out >= 0"},
            {"name": "reaches 10", "eventually": "g.out >= 10"},
            {"name": "zero at 1.2", "at": 1.2, "expect": "g.out", "value": 0},
        ],
    }


@pytest.fixture
def ramp_id(client: TestClient, project: dict[str, Any]) -> int:
    return int(import_model(client, project["id"], ramp_gain())["id"])


def store(client: TestClient, machine_model_id: int, document: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}?machine_model_id={machine_model_id}", json=document)
    assert response.status_code == 201, response.text
    return response.json()


def run(client: TestClient, scenario_id: int) -> dict[str, Any]:
    response = client.post(f"{API}/{scenario_id}/run")
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"{RUNS}/{response.json()['id']}"
    return response.json()


def finished(client: TestClient, run_id: int) -> dict[str, Any]:
    return wait_until(
        lambda: client.get(f"{RUNS}/{run_id}").json(),
        lambda r: r["status"] not in ("pending", "running"),
        f"scenario run {run_id} to finish",
    )


# ---------------------------------------------------------------------------------------------- CRUD


def test_create_stores_the_document_with_the_model_id(client: TestClient, ramp_id: int, project: dict) -> None:
    created = store(client, ramp_id, scenario())
    assert created["name"] == "ramp doubles"
    assert created["machine_model_id"] == ramp_id and created["project_id"] == project["id"]
    assert created["document"]["model_id"] == ramp_id
    assert client.get(f"{API}/{created['id']}").json() == created


def test_create_takes_model_id_from_the_document(client: TestClient, ramp_id: int) -> None:
    response = client.post(API, json=scenario(model_id=ramp_id))
    assert response.status_code == 201, response.text
    assert response.json()["machine_model_id"] == ramp_id


def test_create_accepts_yaml(client: TestClient, ramp_id: int) -> None:
    text = f"""name: yaml scenario
model_id: {ramp_id}
run: {{duration: 1.0}}
assertions:
  - {{always: "g.out >= 0"}}
"""
    response = client.post(API, content=text, headers={"content-type": "application/yaml"})
    assert response.status_code == 201, response.text
    assert response.json()["document"]["assertions"] == [{"always": "g.out >= 0"}]


def test_list_filters_by_project_and_model(client: TestClient, ramp_id: int, project: dict) -> None:
    store(client, ramp_id, scenario("a"))
    store(client, ramp_id, scenario("b"))
    page = client.get(f"{API}?project_id={project['id']}&limit=1").json()
    assert page["total"] == 2 and [s["name"] for s in page["items"]] == ["a"]
    assert client.get(f"{API}?machine_model_id={ramp_id}").json()["total"] == 2


def test_name_is_unique_per_project(client: TestClient, ramp_id: int) -> None:
    store(client, ramp_id, scenario())
    error = assert_error(client.post(f"{API}?machine_model_id={ramp_id}", json=scenario()), 409, "duplicate_name")
    assert error["details"][0]["loc"] == "name"


def test_put_replaces_the_document_and_keeps_the_model(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, scenario())
    response = client.put(f"{API}/{created['id']}", json=scenario("renamed"))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "renamed" and response.json()["document"]["model_id"] == ramp_id


def test_delete_removes_the_scenario_but_keeps_its_runs(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, scenario())
    done = finished(client, run(client, created["id"])["id"])
    assert client.delete(f"{API}/{created['id']}").status_code == 204
    assert_error(client.get(f"{API}/{created['id']}"), 404, "not_found")
    kept = client.get(f"{RUNS}/{done['id']}").json()
    assert kept["scenario_id"] is None and kept["verdict"] == "passed"


# ---------------------------------------------------------------------------------------------- validation


def test_invalid_document_lists_every_problem_with_its_location(client: TestClient, ramp_id: int) -> None:
    bad = scenario()
    bad["faults"][0]["type"] = "melted"
    bad["assertions"][1]["within"] = "soon"
    bad["run"]["duration"] = -1
    error = assert_error(client.post(f"{API}?machine_model_id={ramp_id}", json=bad), 422, "invalid_scenario")
    locs = {d["loc"] for d in error["details"]}
    assert {"faults[0].type", "assertions[1].within", "run.duration"} <= locs


def test_ports_are_checked_against_the_model(client: TestClient, ramp_id: int) -> None:
    bad = scenario()
    bad["faults"][0]["port"] = "ramp.nope"
    bad["assertions"][0]["always"] = "pump.flow >= 0"
    error = assert_error(client.post(f"{API}?machine_model_id={ramp_id}", json=bad), 422, "invalid_scenario")
    by_loc = {d["loc"]: d["message"] for d in error["details"]}
    assert "has no port 'nope'" in by_loc["faults[0].port"] and "ports: out" in by_loc["faults[0].port"]
    assert "unknown component 'pump'" in by_loc["assertions[0].always"]


def test_bad_expression_is_located_with_its_column(client: TestClient, ramp_id: int) -> None:
    bad = scenario()
    bad["assertions"][0]["always"] = "g.out >= "
    error = assert_error(client.post(f"{API}?machine_model_id={ramp_id}", json=bad), 422, "invalid_scenario")
    assert error["details"][0]["loc"] == "assertions[0].always" and error["details"][0]["column"] >= 1


def test_scenario_without_a_model_is_422(client: TestClient) -> None:
    error = assert_error(client.post(API, json=scenario()), 422, "invalid_scenario")
    assert error["details"][0]["loc"] == "model_id"


def test_model_file_paths_are_refused_over_the_api(client: TestClient, ramp_id: int) -> None:
    error = assert_error(client.post(API, json=scenario(model="models/tank.yaml")), 422, "invalid_scenario")
    assert error["details"][0]["loc"] == "model"


def test_missing_model_is_404(client: TestClient) -> None:
    error = assert_error(client.post(f"{API}?machine_model_id=999", json=scenario()), 404, "not_found")
    assert error["details"][0]["loc"] == "model_id"


def test_yaml_syntax_error_is_422(client: TestClient, ramp_id: int) -> None:
    response = client.post(
        f"{API}?machine_model_id={ramp_id}", content="name: [", headers={"content-type": "text/yaml"}
    )
    assert_error(response, 422)


def test_unsupported_content_type_is_422(client: TestClient, ramp_id: int) -> None:
    response = client.post(API, content="x", headers={"content-type": "text/plain"})
    assert_error(response, 422, "unsupported_media_type")


@pytest.mark.parametrize(
    "path", [f"{API}/999", f"{API}/999/runs", f"{RUNS}/999", f"{RUNS}/999/junit", f"{RUNS}/999/html"]
)
def test_reading_missing_objects_is_404(client: TestClient, path: str) -> None:
    assert_error(client.get(path), 404, "not_found")


def test_running_a_missing_scenario_is_404(client: TestClient) -> None:
    assert_error(client.post(f"{API}/999/run"), 404, "not_found")


def test_a_hil_scenario_on_a_model_without_bindings_is_422(client: TestClient, ramp_id: int) -> None:
    doc = scenario()
    doc["run"]["mode"] = "hil"
    created = store(client, ramp_id, doc)
    error = assert_error(client.post(f"{API}/{created['id']}/run"), 422, "no_bindings")
    assert error["details"][0]["loc"] == "run.mode"


# ---------------------------------------------------------------------------------------------- runs


def test_passing_scenario_runs_to_a_passed_verdict(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, scenario())
    started = run(client, created["id"])
    assert started["status"] == "pending" and started["verdict"] is None
    done = finished(client, started["id"])
    assert done["status"] == "completed" and done["verdict"] == "passed"
    assert done["ticks"] == 201 and done["assertions_total"] == 3 and done["assertions_failed"] == 0
    assert [a["passed"] for a in done["assertions"]] == [True, True, True]
    assert done["fault_periods"] == [
        {"fault": 0, "name": "stuck ramp.out", "type": "stuck", "target": "ramp.out", "start": 1.0, "end": 1.5}
    ]
    assert done["started_at"] and done["finished_at"] and done["error"] is None


def test_failing_scenario_reports_expected_actual_and_failure_time(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, failing_scenario())
    done = finished(client, run(client, created["id"])["id"])
    assert done["status"] == "completed" and done["verdict"] == "failed" and done["assertions_failed"] == 2
    by_name = {a["name"]: a for a in done["assertions"]}
    assert by_name["never negative"]["passed"]
    reach = by_name["reaches 10"]
    assert not reach["passed"] and reach["kind"] == "eventually" and reach["time"] == pytest.approx(2.0)
    assert "g.out reached at most 4" in reach["actual"]
    at = by_name["zero at 1.2"]
    assert not at["passed"] and at["actual"] == "2.4" and at["time"] == pytest.approx(1.2)
    assert "0" in at["expected"]


def test_same_scenario_gives_the_same_results_every_run(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, scenario())
    first = finished(client, run(client, created["id"])["id"])
    second = finished(client, run(client, created["id"])["id"])
    assert first["assertions"] == second["assertions"] and first["fault_periods"] == second["fault_periods"]


def test_past_runs_are_listed_newest_first(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, scenario())
    ids = [finished(client, run(client, created["id"])["id"])["id"] for _ in range(3)]
    page = client.get(f"{API}/{created['id']}/runs?limit=2").json()
    assert page["total"] == 3 and [r["id"] for r in page["items"]] == ids[::-1][:2]
    assert all(r["verdict"] == "passed" for r in page["items"])


def test_a_model_changed_to_no_longer_fit_refuses_the_run(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, scenario())
    components = client.get(f"/api/v1/components?machine_model_id={ramp_id}").json()["items"]
    g = next(c for c in components if c["name"] == "g")
    assert client.delete(f"/api/v1/components/{g['id']}").status_code == 204
    error = assert_error(client.post(f"{API}/{created['id']}/run"), 422, "invalid_scenario")
    assert any("unknown component 'g'" in d["message"] for d in error["details"])


# ---------------------------------------------------------------------------------------------- reports


def test_junit_report_parses_with_the_right_counts(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, failing_scenario())
    done = finished(client, run(client, created["id"])["id"])
    response = client.get(f"{RUNS}/{done['id']}/junit")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["never negative", "reaches 10", "zero at 1.2"]
    failure = cases[2].find("failure")
    assert failure is not None and "t=1.2" in (failure.get("message") or "") + (failure.text or "")


def test_html_report_is_a_page_with_a_plot_per_assertion(client: TestClient, ramp_id: int) -> None:
    created = store(client, ramp_id, scenario())
    done = finished(client, run(client, created["id"])["id"])
    response = client.get(f"{RUNS}/{done['id']}/html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "ramp doubles" in response.text and response.text.count("class='fig'") == 1 + 3  # overview + assertions


def test_reports_of_a_run_without_a_result_are_404(client: TestClient, ramp_id: int, session: Session) -> None:
    created = store(client, ramp_id, scenario())
    row = aborted_row(session, created["id"], ramp_id, "aborted")
    assert_error(client.get(f"{RUNS}/{row}/junit"), 404, "no_result")
    assert_error(client.get(f"{RUNS}/{row}/html"), 404, "no_result")


# ---------------------------------------------------------------------------------------------- restart


def aborted_row(session: Session, scenario_id: int, machine_model_id: int, status: str) -> int:
    row = ScenarioRun(
        scenario_id=scenario_id,
        machine_model_id=machine_model_id,
        scenario_name="ramp doubles",
        model_name="ramp_gain",
        model_hash="0" * 64,
        engine_version="0",
        status=status,
        seed=0,
        dt=0.01,
        duration=2.0,
        wall_time=0.0,
        document={},
    )
    session.add(row)
    session.commit()
    return row.id


def test_restart_marks_scenario_runs_left_running_as_aborted(
    client: TestClient,
    ramp_id: int,
    session: Session,
    second_app: Callable[[], TestClient],  # noqa: F811
) -> None:
    created = store(client, ramp_id, scenario())
    ids = [aborted_row(session, created["id"], ramp_id, state) for state in ("running", "pending")]
    with second_app() as restarted:
        for run_id in ids:
            row = restarted.get(f"{RUNS}/{run_id}").json()
            assert row["status"] == "aborted" and row["error"] and row["finished_at"] and row["verdict"] is None


# ---------------------------------------------------------------------------------------------- docs


def test_openapi_shows_scenario_body_examples_and_fault_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/api/v1/scenarios"]["post"]["requestBody"]["content"]
    assert (
        content["application/json"]["example"]["assertions"] and "assertions:" in content["application/yaml"]["example"]
    )
    assert spec["components"]["schemas"]["FaultCreate"]["examples"]
    assert "422" in spec["paths"]["/api/v1/simulations/{run_id}/faults"]["post"]["responses"]
