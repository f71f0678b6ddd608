"""Communication bindings: node id syntax, direction rules, same project, non-zero scale."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import assert_error, create


@pytest.fixture
def gain(client: TestClient, model: dict[str, Any]) -> dict[str, Any]:
    return create(client, "components", machine_model_id=model["id"], name="g", type="Gain")


def _bind(client: TestClient, component: dict[str, Any], endpoint: dict[str, Any], **fields: Any) -> Any:
    body = {
        "component_id": component["id"],
        "port": "in",
        "endpoint_id": endpoint["id"],
        "node_id": "ns=2;s=G.In",
        "direction": "read",
        **fields,
    }
    return client.post("/api/v1/communication-bindings", json=body)


@pytest.mark.parametrize(
    "node_id",
    [
        "ns=2;s=Line3.Valve1.Cmd",
        "i=85",
        "ns=0;i=2258",
        "nsu=urn:plant:line3;s=Tag",
        "g=72962B91-FA75-4AE6-8D28-B404DC7DAF63",
        "ns=1;b=M/RbKBsRVkePCePcx24oRA==",
    ],
)
def test_valid_node_ids_are_accepted(
    client: TestClient, gain: dict[str, Any], endpoint: dict[str, Any], node_id: str
) -> None:
    assert _bind(client, gain, endpoint, node_id=node_id, direction="write", port="out").status_code == 201


@pytest.mark.parametrize("node_id", ["", "Tag", "ns=x;s=Tag", "ns=2;q=1", "ns=2;i=abc", "ns=2;"])
def test_invalid_node_ids_are_422(
    client: TestClient, gain: dict[str, Any], endpoint: dict[str, Any], node_id: str
) -> None:
    error = assert_error(_bind(client, gain, endpoint, node_id=node_id), 422, "validation_error")
    assert error["details"][0]["loc"] == "body.node_id"


def test_scale_zero_is_422(client: TestClient, gain: dict[str, Any], endpoint: dict[str, Any]) -> None:
    assert_error(_bind(client, gain, endpoint, scale=0), 422, "validation_error")


def test_direction_must_be_read_or_write(client: TestClient, gain: dict[str, Any], endpoint: dict[str, Any]) -> None:
    assert_error(_bind(client, gain, endpoint, direction="both"), 422, "validation_error")


def test_read_binding_must_target_an_input_port(
    client: TestClient, gain: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    error = assert_error(_bind(client, gain, endpoint, port="out"), 422, "unknown_port")
    assert error["details"][0]["valid"] == ["in"]


def test_write_binding_may_publish_an_output_port(
    client: TestClient, gain: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    binding = _bind(client, gain, endpoint, port="out", direction="write", scale=2.0, offset=1.0).json()
    assert (binding["port"], binding["direction"], binding["scale"], binding["offset"]) == ("out", "write", 2.0, 1.0)


def test_unknown_port_is_422_listing_valid_ports(
    client: TestClient, gain: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    error = assert_error(_bind(client, gain, endpoint, port="nope", direction="write"), 422, "unknown_port")
    assert error["details"][0]["valid"] == ["in", "out"]


def test_second_read_binding_on_an_input_is_409(
    client: TestClient, gain: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    _bind(client, gain, endpoint)
    assert_error(_bind(client, gain, endpoint, node_id="ns=2;s=Other"), 409, "input_already_driven")


def test_read_binding_on_a_connected_input_is_409(
    client: TestClient, model: dict[str, Any], gain: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    source = create(client, "components", machine_model_id=model["id"], name="src", type="Constant")
    conn = create(
        client,
        "connections",
        source_component_id=source["id"],
        source_port="out",
        target_component_id=gain["id"],
        target_port="in",
    )
    error = assert_error(_bind(client, gain, endpoint), 409, "input_already_driven")
    assert error["details"][0]["connection_id"] == conn["id"]


def test_endpoint_must_belong_to_the_components_project(client: TestClient, gain: dict[str, Any]) -> None:
    other = create(client, "projects", name="other")
    foreign = create(client, "endpoints", project_id=other["id"], name="plc", url="opc.tcp://h:4840")
    assert_error(_bind(client, gain, foreign), 422, "endpoint_in_other_project")


def test_bool_read_binding_cannot_feed_bool_from_float(
    client: TestClient, model: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    inv = create(client, "components", machine_model_id=model["id"], name="inv", type="Not")
    assert_error(_bind(client, inv, endpoint, data_type="float"), 422, "incompatible_types")


def test_missing_endpoint_is_404(client: TestClient, gain: dict[str, Any]) -> None:
    assert_error(_bind(client, gain, {"id": 404}), 404, "not_found")


def test_list_bindings_filters_by_model_and_direction(
    client: TestClient, model: dict[str, Any], gain: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    _bind(client, gain, endpoint)
    _bind(client, gain, endpoint, port="out", direction="write", node_id="ns=2;s=G.Out")
    assert client.get(f"/api/v1/communication-bindings?machine_model_id={model['id']}").json()["total"] == 2
    assert client.get("/api/v1/communication-bindings?direction=write").json()["total"] == 1
