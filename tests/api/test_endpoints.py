"""OPC UA endpoints: URL rule, security enums, write-only password."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import assert_error, create


def _body(project: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {"project_id": project["id"], "name": "plc", "url": "opc.tcp://10.0.0.5:4840", **overrides}


def test_endpoint_url_must_start_with_opc_tcp(client: TestClient, project: dict[str, Any]) -> None:
    error = assert_error(client.post("/api/v1/endpoints", json=_body(project, url="http://plc")), 422)
    assert error["details"][0]["loc"] == "body.url"


def test_endpoint_security_policy_must_be_known(client: TestClient, project: dict[str, Any]) -> None:
    assert_error(client.post("/api/v1/endpoints", json=_body(project, security_policy="Basic128")), 422)


def test_endpoint_accepts_sign_and_encrypt(client: TestClient, project: dict[str, Any]) -> None:
    body = _body(project, security_policy="Basic256Sha256", security_mode="SignAndEncrypt")
    assert client.post("/api/v1/endpoints", json=body).json()["security_mode"] == "SignAndEncrypt"


def test_endpoint_password_is_never_returned(client: TestClient, project: dict[str, Any]) -> None:
    created = create(client, "endpoints", **_body(project, username="op", password="s3cret"))
    fetched = client.get(f"/api/v1/endpoints/{created['id']}")
    listed = client.get("/api/v1/endpoints")
    for text in (str(created), fetched.text, listed.text):
        assert "s3cret" not in text and 'password"' not in text.replace("has_password", "")
    assert created["has_password"] is True and "password" not in created


def test_patch_password_to_null_clears_it(client: TestClient, project: dict[str, Any]) -> None:
    created = create(client, "endpoints", **_body(project, password="x"))
    updated = client.patch(f"/api/v1/endpoints/{created['id']}", json={"password": None}).json()
    assert updated["has_password"] is False


def test_endpoint_name_is_unique_within_project(client: TestClient, project: dict[str, Any]) -> None:
    create(client, "endpoints", **_body(project))
    assert_error(client.post("/api/v1/endpoints", json=_body(project)), 409, "duplicate_name")


def test_endpoint_in_missing_project_is_404(client: TestClient) -> None:
    assert_error(client.post("/api/v1/endpoints", json={"project_id": 5, "name": "e", "url": "opc.tcp://h:1"}), 404)


def test_list_endpoints_filters_by_project(client: TestClient, project: dict[str, Any]) -> None:
    other = create(client, "projects", name="other")
    create(client, "endpoints", **_body(project))
    create(client, "endpoints", **_body(other))
    assert client.get(f"/api/v1/endpoints?project_id={project['id']}").json()["total"] == 1


def test_endpoint_operation_limits_are_stored_changed_and_cleared(client: TestClient, project: dict[str, Any]) -> None:
    created = create(client, "endpoints", **_body(project, max_nodes_per_read=100, max_nodes_per_write=50))
    assert (created["max_nodes_per_read"], created["max_nodes_per_write"]) == (100, 50)
    url = f"/api/v1/endpoints/{created['id']}"
    assert client.patch(url, json={"max_nodes_per_write": 20}).json()["max_nodes_per_write"] == 20
    cleared = client.patch(url, json={"max_nodes_per_read": None}).json()
    assert (cleared["max_nodes_per_read"], cleared["max_nodes_per_write"]) == (None, 20)
    error = assert_error(client.patch(url, json={"max_nodes_per_read": 0}), 422)
    assert error["details"][0]["loc"] == "body.max_nodes_per_read"
