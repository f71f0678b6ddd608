"""Every 4xx/5xx has the shape {"error": {"code", "message", "details"}} and no stack trace."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import assert_error, create


def test_missing_object_is_404_in_error_shape(client: TestClient) -> None:
    error = assert_error(client.get("/api/v1/projects/999"), 404, "not_found")
    assert "999" in error["message"]


def test_unknown_route_is_404_in_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_in_error_shape(client: TestClient) -> None:
    assert_error(client.put("/api/v1/projects"), 405, "method_not_allowed")


def test_duplicate_is_409_in_error_shape(client: TestClient) -> None:
    create(client, "projects", name="p")
    assert_error(client.post("/api/v1/projects", json={"name": "p"}), 409, "duplicate_name")


def test_fastapi_validation_error_is_422_in_error_shape_with_locations(client: TestClient) -> None:
    error = assert_error(client.post("/api/v1/projects", json={"description": 5}), 422, "validation_error")
    locations = {detail["loc"] for detail in error["details"]}
    assert {"body.name", "body.description"} <= locations


def test_malformed_json_is_422_in_error_shape(client: TestClient) -> None:
    response = client.post("/api/v1/projects", content=b"{not json", headers={"content-type": "application/json"})
    assert_error(response, 422, "validation_error")


def test_bad_query_parameter_is_422_in_error_shape(client: TestClient) -> None:
    error = assert_error(client.get("/api/v1/projects?limit=0"), 422, "validation_error")
    assert error["details"][0]["loc"] == "query.limit"


def test_unexpected_exception_is_500_without_stack_trace(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert error["details"] == []
