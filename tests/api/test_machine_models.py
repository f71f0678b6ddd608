"""Machine models CRUD."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import assert_error, create


def test_create_model_defaults_dt_to_10_ms(client: TestClient, project: dict[str, Any]) -> None:
    model = create(client, "machine-models", project_id=project["id"], name="m")
    assert model["dt"] == 0.01 and model["project_id"] == project["id"]


def test_create_model_in_missing_project_is_404(client: TestClient) -> None:
    error = assert_error(client.post("/api/v1/machine-models", json={"project_id": 9, "name": "m"}), 404)
    assert error["details"][0]["loc"] == "project_id"


def test_model_dt_must_be_positive(client: TestClient, project: dict[str, Any]) -> None:
    response = client.post("/api/v1/machine-models", json={"project_id": project["id"], "name": "m", "dt": 0})
    assert_error(response, 422, "validation_error")


def test_model_name_is_unique_within_project(client: TestClient, project: dict[str, Any]) -> None:
    create(client, "machine-models", project_id=project["id"], name="m")
    response = client.post("/api/v1/machine-models", json={"project_id": project["id"], "name": "m"})
    assert_error(response, 409, "duplicate_name")


def test_same_model_name_is_allowed_in_another_project(client: TestClient, project: dict[str, Any]) -> None:
    other = create(client, "projects", name="other")
    create(client, "machine-models", project_id=project["id"], name="m")
    create(client, "machine-models", project_id=other["id"], name="m")


def test_list_models_filters_by_project(client: TestClient, project: dict[str, Any]) -> None:
    other = create(client, "projects", name="other")
    create(client, "machine-models", project_id=project["id"], name="a")
    create(client, "machine-models", project_id=other["id"], name="b")
    page = client.get(f"/api/v1/machine-models?project_id={other['id']}").json()
    assert page["total"] == 1 and page["items"][0]["name"] == "b"


def test_list_models_of_missing_project_is_404(client: TestClient) -> None:
    assert_error(client.get("/api/v1/machine-models?project_id=77"), 404)


def test_patch_model_updates_dt(client: TestClient, model: dict[str, Any]) -> None:
    updated = client.patch(f"/api/v1/machine-models/{model['id']}", json={"dt": 0.5}).json()
    assert updated["dt"] == 0.5 and updated["name"] == model["name"]


def test_patch_model_rejects_unknown_fields(client: TestClient, model: dict[str, Any]) -> None:
    assert_error(client.patch(f"/api/v1/machine-models/{model['id']}", json={"project_id": 3}), 422)
