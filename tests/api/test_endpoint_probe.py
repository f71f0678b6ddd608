"""Endpoint test and browse routes against a real OPC UA server (the asyncua PLC peer)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import assert_error, create
from tests.engine.hil.conftest import NAMESPACE, AsyncuaPlc

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def plc_endpoint(client: TestClient, project: dict[str, Any], plc: AsyncuaPlc) -> dict[str, Any]:
    return create(client, "endpoints", project_id=project["id"], name="plc", url=plc.url)


@pytest.fixture
def dead_endpoint(client: TestClient, project: dict[str, Any]) -> dict[str, Any]:
    return create(client, "endpoints", project_id=project["id"], name="dead", url=f"opc.tcp://127.0.0.1:{free_port()}")


def test_endpoint_test_describes_the_server(client: TestClient, plc_endpoint: dict[str, Any]) -> None:
    response = client.post(f"/api/v1/endpoints/{plc_endpoint['id']}/test")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["url"] == plc_endpoint["url"]
    assert NAMESPACE in body["namespaces"]
    assert body["security"] == {"policy": "None", "mode": "None", "user": "anonymous"}
    assert set(body["operation_limits"]) == {"max_nodes_per_read", "max_nodes_per_write", "max_nodes_per_browse"}


def test_endpoint_test_of_an_unreachable_server_is_ok_false_with_a_reason(
    client: TestClient, dead_endpoint: dict[str, Any]
) -> None:
    response = client.post(f"/api/v1/endpoints/{dead_endpoint['id']}/test")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False and body["reason"] == "refused" and dead_endpoint["url"] in body["message"]


def test_endpoint_test_of_a_missing_endpoint_is_404(client: TestClient) -> None:
    assert_error(client.post("/api/v1/endpoints/999/test"), 404, "not_found")


def test_browse_lists_the_objects_folder_by_default(client: TestClient, plc_endpoint: dict[str, Any]) -> None:
    response = client.get(f"/api/v1/endpoints/{plc_endpoint['id']}/browse")
    assert response.status_code == 200, response.text
    names = {c["browse_name"]: c for c in response.json()["children"]}
    assert names["PLC"]["node_id"] == f"nsu={NAMESPACE};s=PLC" and names["PLC"]["node_class"] == "Object"


def test_browse_a_node_gives_variables_with_type_and_access(client: TestClient, plc_endpoint: dict[str, Any]) -> None:
    response = client.get(f"/api/v1/endpoints/{plc_endpoint['id']}/browse", params={"node": f"nsu={NAMESPACE};s=PLC"})
    assert response.status_code == 200, response.text
    children = {c["browse_name"]: c for c in response.json()["children"]}
    assert children["Cmd"]["node_id"] == f"nsu={NAMESPACE};s=Cmd"
    assert (children["Cmd"]["data_type"], children["Cmd"]["readable"], children["Cmd"]["writable"]) == (
        "Double",
        True,
        True,
    )
    assert children["Feedback"]["writable"] is False


def test_browse_an_unknown_node_is_404(client: TestClient, plc_endpoint: dict[str, Any]) -> None:
    response = client.get(f"/api/v1/endpoints/{plc_endpoint['id']}/browse", params={"node": "nsu=urn:nowhere;s=X"})
    assert_error(response, 404, "unknown_node")


def test_browse_an_unreachable_endpoint_is_502_with_the_reason(
    client: TestClient, dead_endpoint: dict[str, Any]
) -> None:
    error = assert_error(client.get(f"/api/v1/endpoints/{dead_endpoint['id']}/browse"), 502, "endpoint_refused")
    assert error["details"][0]["reason"] == "refused" and error["details"][0]["endpoint_id"] == dead_endpoint["id"]
