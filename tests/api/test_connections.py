"""Connections: output -> input, compatible types, one model, one driver per input."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import assert_error, create


@pytest.fixture
def parts(client: TestClient, model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = {"a": "Gain", "b": "Gain", "c": "Gain", "cmp": "Comparator", "inv": "Not"}
    return {n: create(client, "components", machine_model_id=model["id"], name=n, type=t) for n, t in names.items()}


def _connect(client: TestClient, source: dict[str, Any], sport: str, target: dict[str, Any], tport: str) -> Any:
    body = {
        "source_component_id": source["id"],
        "source_port": sport,
        "target_component_id": target["id"],
        "target_port": tport,
    }
    return client.post("/api/v1/connections", json=body)


def test_output_to_input_connection_is_created(client: TestClient, parts: dict[str, Any]) -> None:
    response = _connect(client, parts["a"], "out", parts["b"], "in")
    assert response.status_code == 201 and response.json()["machine_model_id"] == parts["a"]["machine_model_id"]


def test_source_must_be_an_output_port(client: TestClient, parts: dict[str, Any]) -> None:
    error = assert_error(_connect(client, parts["a"], "in", parts["b"], "in"), 422, "unknown_port")
    assert error["details"][0]["loc"] == "source_port" and error["details"][0]["valid"] == ["out"]


def test_target_must_be_an_input_port(client: TestClient, parts: dict[str, Any]) -> None:
    error = assert_error(_connect(client, parts["a"], "out", parts["b"], "out"), 422, "unknown_port")
    assert error["details"][0]["loc"] == "target_port" and error["details"][0]["valid"] == ["in"]


def test_unknown_port_is_422_listing_valid_ports(client: TestClient, parts: dict[str, Any]) -> None:
    error = assert_error(_connect(client, parts["a"], "output", parts["b"], "in"), 422, "unknown_port")
    assert "out" in error["message"]


def test_float_output_cannot_drive_bool_input(client: TestClient, parts: dict[str, Any]) -> None:
    assert_error(_connect(client, parts["a"], "out", parts["inv"], "in"), 422, "incompatible_types")


def test_bool_output_may_drive_float_input(client: TestClient, parts: dict[str, Any]) -> None:
    assert _connect(client, parts["cmp"], "out", parts["a"], "in").status_code == 201


def test_components_of_different_models_cannot_be_connected(
    client: TestClient, model: dict[str, Any], parts: dict[str, Any]
) -> None:
    other = create(client, "machine-models", project_id=model["project_id"], name="other")
    stranger = create(client, "components", machine_model_id=other["id"], name="s", type="Gain")
    assert_error(_connect(client, parts["a"], "out", stranger, "in"), 422, "cross_model_connection")


def test_missing_source_component_is_404(client: TestClient, parts: dict[str, Any]) -> None:
    error = assert_error(_connect(client, {"id": 999}, "out", parts["b"], "in"), 404)
    assert error["details"][0]["loc"] == "source_component_id"


def test_second_driver_on_an_input_is_409_naming_the_existing_connection(
    client: TestClient, parts: dict[str, Any]
) -> None:
    first = _connect(client, parts["a"], "out", parts["c"], "in").json()
    error = assert_error(_connect(client, parts["b"], "out", parts["c"], "in"), 409, "input_already_driven")
    assert error["details"][0]["connection_id"] == first["id"]
    assert "a.out -> c.in" in error["message"]


def test_read_binding_counts_as_the_driver_of_an_input(
    client: TestClient, parts: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    create(
        client,
        "communication-bindings",
        component_id=parts["c"]["id"],
        port="in",
        endpoint_id=endpoint["id"],
        node_id="ns=2;s=C.In",
        direction="read",
    )
    error = assert_error(_connect(client, parts["a"], "out", parts["c"], "in"), 409, "input_already_driven")
    assert "binding_id" in error["details"][0]


def test_rerouting_a_connection_is_checked_like_a_new_one(client: TestClient, parts: dict[str, Any]) -> None:
    _connect(client, parts["a"], "out", parts["c"], "in")
    second = _connect(client, parts["a"], "out", parts["b"], "in").json()
    response = client.patch(f"/api/v1/connections/{second['id']}", json={"target_component_id": parts["c"]["id"]})
    assert_error(response, 409, "input_already_driven")


def test_rerouting_a_connection_onto_its_own_input_is_allowed(client: TestClient, parts: dict[str, Any]) -> None:
    conn = _connect(client, parts["a"], "out", parts["c"], "in").json()
    response = client.patch(f"/api/v1/connections/{conn['id']}", json={"source_component_id": parts["b"]["id"]})
    assert response.status_code == 200 and response.json()["source_component_id"] == parts["b"]["id"]


def test_list_connections_filters_by_component(client: TestClient, parts: dict[str, Any]) -> None:
    _connect(client, parts["a"], "out", parts["b"], "in")
    _connect(client, parts["b"], "out", parts["c"], "in")
    assert client.get(f"/api/v1/connections?component_id={parts['b']['id']}").json()["total"] == 2
    assert client.get(f"/api/v1/connections?component_id={parts['a']['id']}").json()["total"] == 1
