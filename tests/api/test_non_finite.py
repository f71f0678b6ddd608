"""NaN and ±Infinity are refused wherever a number enters the API, and never leave it in an export."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_simulations import API, import_model, ramp_gain, start, wait_status
from tests.conftest import assert_error, create

JSON = {"content-type": "application/json"}


def strict_json(text: str) -> Any:
    """Parse JSON refusing the NaN/Infinity literals Python's json module accepts."""

    def refuse(literal: str) -> None:
        raise AssertionError(f"non-finite literal {literal} in an export")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def run_id(client: TestClient, project: dict[str, Any]) -> Any:
    run = start(client, int(import_model(client, project["id"], ramp_gain())["id"]), realtime=True)
    yield run["id"]
    client.post(f"{API}/{run['id']}/stop")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_every_number_entering_by_json_refuses_non_finite_values(
    client: TestClient, project: dict[str, Any], model: dict[str, Any], endpoint: dict[str, Any], run_id: int,
    literal: str,
) -> None:
    component = create(client, "components", machine_model_id=model["id"], name="g", type="Gain")
    x = literal
    cases = [
        ("POST", "/api/v1/machine-models", f'{{"project_id": {project["id"]}, "name": "m2", "dt": {x}}}', "body.dt"),
        ("PATCH", f"/api/v1/machine-models/{model['id']}", f'{{"dt": {x}}}', "body.dt"),
        ("POST", "/api/v1/components",
         f'{{"machine_model_id": {model["id"]}, "name": "h", "type": "Gain", "parameters": {{"k": {x}}}}}',
         "body.parameters.k"),
        ("PATCH", f"/api/v1/components/{component['id']}", f'{{"inputs": {{"in": {x}}}}}', "body.inputs.in"),
        ("POST", "/api/v1/communication-bindings",
         f'{{"component_id": {component["id"]}, "port": "in", "endpoint_id": {endpoint["id"]}, '
         f'"node_id": "ns=2;s=X", "direction": "read", "scale": 1.0, "offset": {x}}}', "body.offset"),
        ("POST", "/api/v1/communication-bindings",
         f'{{"component_id": {component["id"]}, "port": "in", "endpoint_id": {endpoint["id"]}, '
         f'"node_id": "ns=2;s=X", "direction": "read", "scale": {x}}}', "body.scale"),
        ("POST", f"{API}/start", f'{{"machine_model_id": {model["id"]}, "dt": {x}}}', "body.dt"),
        ("POST", f"{API}/start", f'{{"machine_model_id": {model["id"]}, "duration": {x}}}', "body.duration"),
        ("POST", f"{API}/start", f'{{"machine_model_id": {model["id"]}, "time_scale": {x}}}', "body.time_scale"),
        ("PATCH", f"{API}/{run_id}", f'{{"time_scale": {x}}}', "body.time_scale"),
        ("PUT", f"{API}/{run_id}/forces", f'{{"component": "g", "port": "in", "value": {x}}}', "body.value"),
        ("PATCH", f"{API}/{run_id}/parameters", f'{{"component": "g", "name": "k", "value": {x}}}', "body.value"),
        ("POST", f"{API}/{run_id}/faults", f'{{"port": "g.in", "type": "stuck", "value": {x}}}', "body.value"),
        ("POST", "/api/v1/scenarios",
         f'{{"name": "s", "model_id": {model["id"]}, "duration": {x}, "assertions": []}}', "body.duration"),
    ]
    for method, path, text, loc in cases:
        response = client.request(method, path, content=text, headers=JSON)
        error = assert_error(response, 422, "validation_error")
        assert error["details"][0]["loc"] == loc, (method, path, error)
    assert client.get(f"/api/v1/components/{component['id']}").json()["parameters"] == {"k": 1.0}


def test_a_run_whose_values_overflow_exports_no_non_finite_numbers(
    client: TestClient, project: dict[str, Any]
) -> None:
    document = {
        "name": "overflow", "dt": 0.1,
        "components": [
            {"name": "a", "type": "Gain", "parameters": {"k": 1e300}, "inputs": {"in": 1e300}},
            {"name": "b", "type": "Gain", "parameters": {"k": 1e300}},
        ],
        "connections": [{"from": "a.out", "to": "b.in"}],
    }
    model_id = int(import_model(client, project["id"], document)["id"])
    run = start(client, model_id, duration=0.3, record={"ports": ["a.out", "b.out"]})
    wait_status(client, run["id"], "completed")
    for path in (f"{API}/{run['id']}", f"{API}/{run['id']}/status", f"{API}/{run['id']}/values",
                 f"{API}/{run['id']}/telemetry", f"/api/v1/machine-models/{model_id}/export"):
        response = client.get(path)
        assert response.status_code == 200, response.text
        strict_json(response.text)
    csv_text = client.get(f"{API}/{run['id']}/telemetry?format=csv").text
    assert "inf" not in csv_text.lower() and "nan" not in csv_text.lower()
