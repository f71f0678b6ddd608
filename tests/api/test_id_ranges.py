"""Ids no database column can hold (>= 2**63, negative, 0) are 404/422 on every route, never a 500."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import assert_error

BAD_IDS = [2**63, 2**64 + 5, 10**30, -1, 0]


def _routes(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    return [(method.upper(), path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_out_of_range_ids_in_paths_are_404_or_422(client: TestClient, bad: int) -> None:
    checked = 0
    for method, path, _op in _routes(client):
        if "{" not in path:
            continue
        url = re.sub(r"\{[^}]+\}", str(bad), path)
        response = client.request(method, url, json={} if method in ("POST", "PATCH", "PUT") else None)
        assert response.status_code in (404, 405, 422), (method, url, response.text)
        assert_error(response, response.status_code)
        checked += 1
    assert checked > 30


@pytest.mark.parametrize("bad", BAD_IDS)
def test_out_of_range_ids_in_queries_are_404_or_422(client: TestClient, bad: int) -> None:
    checked = 0
    for method, path, op in _routes(client):
        if "{" in path or method != "GET":
            continue
        for parameter in op.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"].endswith("_id"):
                response = client.get(path, params={parameter["name"]: bad})
                assert response.status_code in (404, 422), (path, parameter["name"], response.text)
                assert_error(response, response.status_code)
                checked += 1
    assert checked >= 5


@pytest.mark.parametrize("bad", BAD_IDS)
def test_out_of_range_ids_in_bodies_are_404_or_422(
    client: TestClient, bad: int, project: dict[str, Any], model: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    bodies = [
        ("/api/v1/machine-models", {"project_id": bad, "name": "m2"}),
        ("/api/v1/endpoints", {"project_id": bad, "name": "e2", "url": "opc.tcp://127.0.0.1:4840"}),
        ("/api/v1/components", {"machine_model_id": bad, "name": "c", "type": "Gain"}),
        ("/api/v1/connections", {"source_component_id": bad, "source_port": "out", "target_component_id": bad,
                                 "target_port": "in"}),
        ("/api/v1/communication-bindings", {"component_id": bad, "port": "in", "endpoint_id": endpoint["id"],
                              "node_id": "ns=2;s=X", "direction": "read"}),
        ("/api/v1/simulations/start", {"machine_model_id": bad}),
        ("/api/v1/scenarios", {"name": "s", "model_id": bad, "duration": 1.0, "assertions": []}),
        (f"/api/v1/scenarios?machine_model_id={bad}", {"name": "s", "duration": 1.0, "assertions": []}),
        (f"/api/v1/machine-models/import?project_id={bad}", {"name": "m3", "components": []}),
    ]
    for path, body in bodies:
        response = client.post(path, json=body)
        assert response.status_code in (404, 422), (path, response.text)
        assert_error(response, response.status_code)
