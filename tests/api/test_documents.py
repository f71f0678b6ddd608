"""Export, all-or-nothing import and validation of whole machine models."""

from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import CommunicationBinding, Component, Connection, Endpoint, MachineModel
from tests.conftest import assert_error, create

DOCUMENT: dict[str, Any] = {
    "schema_version": 1,
    "name": "chain",
    "description": "a constant through two gains",
    "dt": 0.05,
    "components": [
        {"name": "src", "type": "Constant", "parameters": {"value": 2.0}},
        {"name": "g1", "type": "Gain", "parameters": {"k": 3.0}},
        {"name": "g2", "type": "Gain"},
        {"name": "inv", "type": "Not"},
    ],
    "connections": [{"from": "src.out", "to": "g1.in"}, {"from": "g1.out", "to": "g2.in"}],
    "endpoints": [
        {
            "name": "plc",
            "url": "opc.tcp://127.0.0.1:4840",
            "security_policy": "None",
            "security_mode": "None",
            "username": "op",
        }
    ],
    "bindings": [
        {
            "port": "inv.in",
            "endpoint": "plc",
            "node_id": "nsu=urn:plant;s=Run",
            "direction": "read",
            "data_type": "bool",
        },
        {
            "port": "g2.out",
            "endpoint": "plc",
            "node_id": "ns=2;s=Out",
            "direction": "write",
            "scale": 10.0,
            "offset": 1.0,
        },
    ],
}


def _import(client: TestClient, project_id: int, document: Any, content_type: str = "application/json") -> Any:
    body = document if isinstance(document, str) else __import__("json").dumps(document)
    return client.post(
        f"/api/v1/machine-models/import?project_id={project_id}", content=body, headers={"content-type": content_type}
    )


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(table))
        for table in (MachineModel, Component, Connection, Endpoint, CommunicationBinding)
    )


def test_import_creates_model_components_connections_and_bindings(
    client: TestClient, project: dict[str, Any], session: Session
) -> None:
    model = _import(client, project["id"], DOCUMENT).json()
    assert model["name"] == "chain" and model["dt"] == 0.05
    assert _counts(session) == (1, 4, 2, 1, 2)


def test_export_then_import_then_export_is_identical(client: TestClient, project: dict[str, Any]) -> None:
    first = _import(client, project["id"], DOCUMENT).json()
    exported = client.get(f"/api/v1/machine-models/{first['id']}/export").text
    other = create(client, "projects", name="copy")
    second = _import(client, other["id"], exported).json()
    assert client.get(f"/api/v1/machine-models/{second['id']}/export").text == exported


def test_yaml_export_then_import_then_export_is_identical(client: TestClient, project: dict[str, Any]) -> None:
    first = _import(client, project["id"], DOCUMENT).json()
    exported = client.get(f"/api/v1/machine-models/{first['id']}/export?format=yaml").text
    other = create(client, "projects", name="copy")
    second = _import(client, other["id"], exported, "application/yaml").json()
    assert client.get(f"/api/v1/machine-models/{second['id']}/export?format=yaml").text == exported


def test_export_honours_accept_yaml(client: TestClient, project: dict[str, Any]) -> None:
    model = _import(client, project["id"], DOCUMENT).json()
    response = client.get(f"/api/v1/machine-models/{model['id']}/export", headers={"accept": "application/yaml"})
    assert response.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(response.text)["name"] == "chain"


def test_export_writes_connections_as_port_paths_and_no_password(client: TestClient, project: dict[str, Any]) -> None:
    create(client, "endpoints", project_id=project["id"], name="plc", url="opc.tcp://127.0.0.1:4840", password="s3cret")
    model = _import(client, project["id"], DOCUMENT).json()
    response = client.get(f"/api/v1/machine-models/{model['id']}/export")
    assert {"from": "g1.out", "to": "g2.in"} in response.json()["connections"]
    assert "s3cret" not in response.text and "password" not in response.text


def test_import_matches_existing_endpoint_by_name(
    client: TestClient, project: dict[str, Any], session: Session
) -> None:
    existing = create(client, "endpoints", project_id=project["id"], name="plc", url="opc.tcp://127.0.0.1:4840")
    _import(client, project["id"], DOCUMENT)
    endpoint_ids = set(session.scalars(select(CommunicationBinding.endpoint_id)))
    assert endpoint_ids == {existing["id"]} and _counts(session)[3] == 1


def test_import_refuses_an_endpoint_name_the_project_has_with_another_url(
    client: TestClient, project: dict[str, Any], session: Session
) -> None:
    existing = create(client, "endpoints", project_id=project["id"], name="plc", url="opc.tcp://10.0.0.9:4840",
                      password="s3cret")  # fmt: skip
    before = _counts(session)
    error = assert_error(_import(client, project["id"], DOCUMENT), 409, "endpoint_mismatch")
    assert "opc.tcp://127.0.0.1:4840" in error["message"] and "opc.tcp://10.0.0.9:4840" in error["message"]
    assert f"PATCH /api/v1/endpoints/{existing['id']}" in error["message"]
    assert error["details"] == [{"loc": "endpoints[0].url", "endpoint": "plc", "endpoint_id": existing["id"],
                                 "document": "opc.tcp://127.0.0.1:4840", "stored": "opc.tcp://10.0.0.9:4840"}]
    assert _counts(session) == before
    stored = client.get(f"/api/v1/endpoints/{existing['id']}").json()
    assert (stored["url"], stored["has_password"]) == ("opc.tcp://10.0.0.9:4840", True)  # untouched
    secured = {**DOCUMENT, "endpoints": [{**DOCUMENT["endpoints"][0], "url": "opc.tcp://10.0.0.9:4840",
                                          "security_policy": "Basic256Sha256", "security_mode": "Sign"}]}
    error = assert_error(_import(client, project["id"], secured), 409, "endpoint_mismatch")
    assert [d["loc"] for d in error["details"]] == ["endpoints[0].security_policy", "endpoints[0].security_mode"]
    renamed = {**DOCUMENT, "endpoints": [{**DOCUMENT["endpoints"][0], "name": "plc2"}],
               "bindings": [{**b, "endpoint": "plc2"} for b in DOCUMENT["bindings"]]}  # fmt: skip
    assert _import(client, project["id"], renamed).status_code == 201


def test_import_with_errors_is_422_listing_every_problem_with_location(
    client: TestClient, project: dict[str, Any]
) -> None:
    broken = {
        **DOCUMENT,
        "components": [*DOCUMENT["components"], {"name": "bad", "type": "Step", "parameters": {"time": -1}}],
        "connections": [*DOCUMENT["connections"], {"from": "ghost.out", "to": "g2.in"}],
    }
    error = assert_error(_import(client, project["id"], broken), 422)
    locations = " ".join(str(d.get("loc")) for d in error["details"])
    assert "components[4]" in locations and "connections[" in locations
    assert len(error["details"]) >= 2


def test_failed_import_leaves_no_rows(client: TestClient, project: dict[str, Any], session: Session) -> None:
    broken = {**DOCUMENT, "bindings": [{**DOCUMENT["bindings"][1], "node_id": "not a node"}]}
    error = assert_error(_import(client, project["id"], broken), 422)
    assert error["details"][0]["loc"] == "bindings[0].node_id"
    assert _counts(session) == (0, 0, 0, 0, 0)


def test_import_with_name_clash_is_409_and_leaves_no_new_rows(
    client: TestClient, project: dict[str, Any], session: Session
) -> None:
    _import(client, project["id"], DOCUMENT)
    before = _counts(session)
    assert_error(_import(client, project["id"], DOCUMENT), 409, "duplicate_name")
    assert _counts(session) == before


def test_import_yaml_syntax_error_is_422(client: TestClient, project: dict[str, Any]) -> None:
    assert_error(_import(client, project["id"], "name: [unclosed", "application/yaml"), 422)


def test_import_into_missing_project_is_404(client: TestClient) -> None:
    assert_error(_import(client, 999, DOCUMENT), 404, "not_found")


def test_import_rejects_unknown_content_type(client: TestClient, project: dict[str, Any]) -> None:
    assert_error(_import(client, project["id"], DOCUMENT, "text/csv"), 422, "unsupported_media_type")


def test_validate_runnable_model_returns_execution_order(client: TestClient, project: dict[str, Any]) -> None:
    model = _import(client, project["id"], DOCUMENT).json()
    report = client.get(f"/api/v1/machine-models/{model['id']}/validate").json()
    assert report["valid"] is True and report["problems"] == []
    order = report["execution_order"]
    assert order.index("src") < order.index("g1") < order.index("g2")


def test_validate_reports_unconnected_input(client: TestClient, model: dict[str, Any]) -> None:
    create(client, "components", machine_model_id=model["id"], name="g", type="Gain")
    report = client.get(f"/api/v1/machine-models/{model['id']}/validate").json()
    assert report["valid"] is False and report["execution_order"] is None
    assert any(p["code"] == "unconnected_input" for p in report["problems"])


def test_validate_reports_algebraic_loop_naming_the_cycle(client: TestClient, model: dict[str, Any]) -> None:
    a = create(client, "components", machine_model_id=model["id"], name="a", type="Gain")
    b = create(client, "components", machine_model_id=model["id"], name="b", type="Gain")
    for s, t in ((a, b), (b, a)):
        create(
            client,
            "connections",
            source_component_id=s["id"],
            source_port="out",
            target_component_id=t["id"],
            target_port="in",
        )
    report = client.get(f"/api/v1/machine-models/{model['id']}/validate").json()
    loops = [p for p in report["problems"] if p["code"] == "algebraic_loop"]
    assert report["valid"] is False and loops
    assert any("a." in part for part in loops[0]["cycle"]) and any("b." in part for part in loops[0]["cycle"])


def test_endpoint_operation_limits_round_trip_through_import_and_export(
    client: TestClient, project: dict[str, Any]
) -> None:
    document = {**DOCUMENT, "endpoints": [{**DOCUMENT["endpoints"][0], "max_nodes_per_read": 64,
                                           "max_nodes_per_write": 16}]}  # fmt: skip
    model = _import(client, project["id"], document).json()
    exported = client.get(f"/api/v1/machine-models/{model['id']}/export").json()
    (endpoint,) = exported["endpoints"]
    assert (endpoint["max_nodes_per_read"], endpoint["max_nodes_per_write"]) == (64, 16)
    (stored,) = client.get(f"/api/v1/endpoints?project_id={project['id']}").json()["items"]
    assert stored["max_nodes_per_read"] == 64
    bad = {**DOCUMENT, "endpoints": [{**DOCUMENT["endpoints"][0], "max_nodes_per_read": 0}]}
    error = assert_error(_import(client, project["id"], bad), 422)
    assert any(d["loc"] == "endpoints[0].max_nodes_per_read" for d in error["details"])
