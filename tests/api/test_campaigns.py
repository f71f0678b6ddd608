"""Campaigns over the real HTTP stack: create, follow to the end, summary, JUnit and HTML, a worst case rerun from its
reproduce body, list, stop, and every bad request answered before anything runs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_simulations import import_model, wait_until
from tests.conftest import assert_error
from tests.engine.campaigns.support import MODEL, scenario_document

API = "/api/v1/campaigns"
GRID = {"seeds": 4, "sweep": {"g.k": [1.5, 2, 2.5], "ramp.slope": "0.9:1.0:2"}, "metrics": ["g.out:max"]}

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def scenario_id(client: TestClient, project: dict[str, Any]) -> int:
    model = import_model(client, project["id"], MODEL)
    document = {k: v for k, v in scenario_document().items() if k != "model"}
    response = client.post(f"/api/v1/scenarios?machine_model_id={model['id']}", json=document)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def start(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(API, json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"{API}/{response.json()['id']}"
    return response.json()


def finished(client: TestClient, campaign_id: int) -> dict[str, Any]:
    return wait_until(lambda: client.get(f"{API}/{campaign_id}").json(),
                      lambda c: c["status"] not in ("pending", "running"), f"campaign {campaign_id} to end")


def test_a_campaign_runs_every_point_and_seed_and_summarises_them(client: TestClient, scenario_id: int,
                                                                  project: dict) -> None:
    created = start(client, {"scenario_id": scenario_id, **GRID})
    assert created["status"] == "pending" and created["runs_total"] == 24 and created["project_id"] == project["id"]
    assert created["request"]["sweep"] == {"g.k": [1.5, 2, 2.5], "ramp.slope": [0.9, 1.0]}
    done = finished(client, created["id"])
    assert (done["status"], done["verdict"], done["runs_done"], done["runs_passed"]) == ("completed", "failed", 24, 10)
    assert done["executor"].endswith("local process(es)")
    points = done["summary"]["points"]
    assert [p["passed"] for p in points] == [0, 4, 4, 2, 0, 0]
    assert points[3]["parameters"] == {"g.k": 2, "ramp.slope": 1.0} and points[3]["pass_rate"] == 0.5
    assert points[3]["failed_assertions"] == {"bounded": 2}
    d = points[3]["metrics"]["g.out:max"]
    assert d["n"] == 4 and d["min"] <= d["p50"] <= d["max"] and d["max_case"][0] == 3
    worst = done["summary"]["worst"]
    assert len(worst) == 10 and worst[0]["reproduce"] == {"scenario_id": scenario_id, "seeds": [worst[0]["seed"]],
                                                          "parameters": {"g.k": 1.5, "ramp.slope": 0.9}}


def test_a_worst_case_rerun_from_its_reproduce_body_fails_the_same_way(client: TestClient, scenario_id: int) -> None:
    done = finished(client, start(client, {"scenario_id": scenario_id, **GRID, "worst": 20})["id"])
    case = next(c for c in done["summary"]["worst"] if c["point"] == 3)
    again = finished(client, start(client, case["reproduce"])["id"])
    assert (again["runs_total"], again["verdict"]) == (1, "failed")
    [rerun] = again["summary"]["worst"]
    assert (rerun["seed"], rerun["failures"]) == (case["seed"], case["failures"])


def test_junit_has_a_case_per_point_and_seed_and_html_is_one_page(client: TestClient, scenario_id: int) -> None:
    campaign_id = start(client, {"scenario_id": scenario_id, **GRID})["id"]
    finished(client, campaign_id)
    junit = client.get(f"{API}/{campaign_id}/junit")
    assert junit.status_code == 200 and junit.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(junit.text)
    assert len(root.findall("testsuite")) == 6 and len(list(root.iter("testcase"))) == 24
    assert root.get("failures") == "14"
    assert "reproduce: POST /api/v1/campaigns" in junit.text
    page = client.get(f"{API}/{campaign_id}/html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Pass rate: g.k (rows) × ramp.slope (columns)" in page.text


def test_campaigns_are_listed_newest_first_without_their_summary(client: TestClient, scenario_id: int) -> None:
    first = start(client, {"scenario_id": scenario_id})
    second = start(client, {"scenario_id": scenario_id, "seeds": [3, 5]})
    finished(client, first["id"])
    finished(client, second["id"])
    page = client.get(f"{API}?scenario_id={scenario_id}").json()
    assert [c["id"] for c in page["items"]] == [second["id"], first["id"]] and page["total"] == 2
    assert all(c["summary"] is None for c in page["items"])
    assert page["items"][0]["request"]["seeds"] == [3, 5] and page["items"][1]["request"]["seeds"] == [1]
    assert_error(client.get(f"{API}?scenario_id=987654"), 404)


def test_a_stopped_campaign_ends_aborted_with_the_runs_that_finished(client: TestClient, scenario_id: int) -> None:
    created = start(client, {"scenario_id": scenario_id, "seeds": 3000})
    stopped = client.post(f"{API}/{created['id']}/stop")
    assert stopped.status_code == 200, stopped.text
    done = finished(client, created["id"])
    assert done["status"] == "aborted" and done["verdict"] is None
    assert done["runs_done"] < 3000 and done["error"].startswith("stopped by request")
    assert_error(client.post(f"{API}/{created['id']}/stop"), 409, "campaign_not_active")


@pytest.mark.parametrize("body, loc, message", [
    ({"sweep": {"g.kk": [1, 2]}}, "body.sweep.g.kk", "Gain 'g' has no parameter 'kk' (did you mean 'k'?)"),
    ({"sweep": {"gain.k": [1]}}, "body.sweep.gain.k", "unknown component 'gain'"),
    ({"sweep": {"g.k": "1:2"}}, "body.sweep.g.k", "a range is start:stop:count"),
    ({"sweep": {"ramp.slope": [1, True]}}, "body.sweep.ramp.slope", "ramp.slope=True:"),
    ({"parameters": {"g.kk": 1}}, "body.parameters.g.kk", "has no parameter 'kk'"),
    ({"metrics": ["g.outt:max"]}, "body.metrics[0]", "unknown port 'g.outt' (did you mean 'g.out'?)"),
    ({"metrics": ["g.out:median"]}, "body.metrics[0]", "unknown reducer 'median'"),
    ({"seeds": [1, 1]}, "body.seeds", "a seed is listed twice"),
    ({"seeds": 0}, "body.seeds", "must be >= 1"),
])
def test_a_bad_campaign_is_a_located_422_and_runs_nothing(client: TestClient, scenario_id: int, body: dict,
                                                          loc: str, message: str) -> None:
    error = assert_error(client.post(API, json={"scenario_id": scenario_id, **body}), 422, "invalid_campaign")
    problem = next(p for p in error["details"] if p["loc"] == loc)
    assert message in problem["message"]
    if "did you mean" in message and "reducer" not in message:
        assert problem["did_you_mean"]
    assert client.get(API).json()["total"] == 0


def test_a_campaign_beyond_the_run_limit_is_refused_with_the_numbers(client: TestClient, scenario_id: int) -> None:
    error = assert_error(client.post(API, json={"scenario_id": scenario_id, "seeds": 10**9}), 422,
                         "campaign_too_large")
    assert error["details"][0]["runs"] == 10**9 and error["details"][0]["limit"] == 100_000


def test_malformed_bodies_and_missing_scenarios(client: TestClient, scenario_id: int) -> None:
    assert_error(client.post(API, json={"scenario_id": scenario_id, "seeds": "many"}), 422)
    assert_error(client.post(API, json={"scenario_id": scenario_id, "unknown": 1}), 422)
    error = assert_error(client.post(API, json={"scenario_id": 987654}), 404)
    assert error["message"] == "scenario 987654 not found"
    assert_error(client.get(f"{API}/987654"), 404)
    assert client.get(f"{API}/987654").json()["error"]["message"] == "campaign 987654 not found"
