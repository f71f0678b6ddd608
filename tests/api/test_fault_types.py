"""GET /fault-types: the fault catalogue comes from the engine's scenario fault definitions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.engine.scenarios import FAULT_TYPES
from tests.api.test_simulations import API, constant_gain, import_model, start, wait_ticking

pytestmark = pytest.mark.timeout(60)


def catalogue(client: TestClient) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/fault-types")
    assert response.status_code == 200, response.text
    return {f["type"]: f for f in response.json()}


def test_every_engine_fault_type_is_listed_with_its_target(client: TestClient) -> None:
    types = catalogue(client)
    assert list(types) == list(FAULT_TYPES)
    for name, (target, _required, _defaults) in FAULT_TYPES.items():
        assert types[name]["target"] == target and types[name]["description"]


def test_options_are_a_json_schema_with_required_fields_defaults_and_bounds(client: TestClient) -> None:
    types = catalogue(client)
    stuck = types["stuck"]["options"]
    assert stuck["type"] == "object" and stuck["required"] == ["value"]
    assert set(stuck["properties"]) == {"value", "for", "name"}
    dropout = types["dropout"]["options"]["properties"]
    assert dropout["mode"]["enum"] == ["zero", "hold"] and dropout["mode"]["default"] == "zero"
    assert dropout["probability"]["minimum"] == 0 and dropout["probability"]["maximum"] == 1
    assert types["motor_failure"]["options"]["properties"]["factor"]["default"] == 3.0
    assert types["stuck"]["component_types"] is None
    assert types["motor_failure"]["component_types"] == ["Motor"]
    assert types["jam"]["component_types"] == ["Actuator", "Cylinder", "Valve"]


def test_a_fault_built_from_the_catalogue_is_accepted(client: TestClient, project: dict[str, Any]) -> None:
    model = import_model(client, project["id"], constant_gain())
    run = start(client, model["id"])
    wait_ticking(client, run["id"])
    options = catalogue(client)["noise"]["options"]
    body = {"type": "noise", "port": "g.out", **{name: 0.1 for name in options["required"]}}
    response = client.post(f"{API}/{run['id']}/faults", json=body)
    assert response.status_code == 201, response.text
    client.post(f"{API}/{run['id']}/stop")
