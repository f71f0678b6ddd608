"""Components: type, parameters and input values validated by the engine's library."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import assert_error, create


def _post(client: TestClient, model: dict[str, Any], **body: Any) -> Any:
    return client.post("/api/v1/components", json={"machine_model_id": model["id"], **body})


def test_component_parameters_are_returned_with_defaults(client: TestClient, model: dict[str, Any]) -> None:
    component = _post(client, model, name="g", type="Gain").json()
    assert component["parameters"] == {"k": 1.0}


def test_unknown_component_type_is_422_listing_valid_types(client: TestClient, model: dict[str, Any]) -> None:
    error = assert_error(_post(client, model, name="x", type="Teleporter"), 422, "unknown_component_type")
    assert error["details"][0]["loc"] == "type" and "Gain" in error["details"][0]["valid"]


def test_parameter_out_of_bounds_is_422_naming_field_and_bound(client: TestClient, model: dict[str, Any]) -> None:
    error = assert_error(
        _post(client, model, name="s", type="Step", parameters={"time": -1}), 422, "invalid_parameters"
    )
    problem = error["details"][0]
    assert problem["field"] == "time" and problem["bound"] == {"minimum": 0.0}
    assert problem["loc"] == "parameters.time"


def test_unknown_parameter_is_422(client: TestClient, model: dict[str, Any]) -> None:
    assert_error(_post(client, model, name="g", type="Gain", parameters={"gain": 2}), 422, "invalid_parameters")


def test_value_for_unknown_input_port_is_422_listing_valid_ports(client: TestClient, model: dict[str, Any]) -> None:
    error = assert_error(_post(client, model, name="g", type="Gain", inputs={"x": 1.0}), 422, "unknown_port")
    assert error["details"][0]["valid"] == ["in"]


def test_component_name_is_unique_within_model(client: TestClient, model: dict[str, Any]) -> None:
    _post(client, model, name="g", type="Gain")
    assert_error(_post(client, model, name="g", type="Gain"), 409, "duplicate_name")


def test_component_name_cannot_contain_a_dot(client: TestClient, model: dict[str, Any]) -> None:
    assert_error(_post(client, model, name="a.b", type="Gain"), 422, "validation_error")


def test_component_in_missing_model_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/components", json={"machine_model_id": 9, "name": "g", "type": "Gain"})
    assert_error(response, 404, "not_found")


def test_updating_parameters_revalidates_them(client: TestClient, model: dict[str, Any]) -> None:
    step = _post(client, model, name="s", type="Step").json()
    response = client.patch(f"/api/v1/components/{step['id']}", json={"parameters": {"time": -5}})
    assert_error(response, 422, "invalid_parameters")


def test_updating_type_revalidates_parameters(client: TestClient, model: dict[str, Any]) -> None:
    gain = _post(client, model, name="g", type="Gain", parameters={"k": 3}).json()
    response = client.patch(f"/api/v1/components/{gain['id']}", json={"type": "Step", "parameters": {"k": 3}})
    assert_error(response, 422, "invalid_parameters")


def test_updating_type_resets_parameters_to_new_defaults(client: TestClient, model: dict[str, Any]) -> None:
    gain = _post(client, model, name="g", type="Gain", parameters={"k": 3}).json()
    updated = client.patch(f"/api/v1/components/{gain['id']}", json={"type": "Constant"}).json()
    assert updated["type"] == "Constant" and updated["parameters"] == {"value": 0.0}


def test_updating_type_is_409_while_connections_use_missing_ports(client: TestClient, model: dict[str, Any]) -> None:
    a = _post(client, model, name="a", type="Gain").json()
    b = _post(client, model, name="b", type="Gain").json()
    create(
        client,
        "connections",
        source_component_id=a["id"],
        source_port="out",
        target_component_id=b["id"],
        target_port="in",
    )
    response = client.patch(f"/api/v1/components/{b['id']}", json={"type": "Constant"})
    assert_error(response, 409, "component_in_use")


def test_list_components_filters_by_model_and_paginates(client: TestClient, model: dict[str, Any]) -> None:
    other = create(client, "machine-models", project_id=model["project_id"], name="other")
    for i in range(5):
        _post(client, model, name=f"g{i}", type="Gain")
    _post(client, other, name="x", type="Gain")
    page = client.get(f"/api/v1/components?machine_model_id={model['id']}&limit=2&offset=4").json()
    assert page["total"] == 5 and [c["name"] for c in page["items"]] == ["g4"]
