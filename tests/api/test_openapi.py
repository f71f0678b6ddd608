"""/docs is usable: every route is described and declares its error responses."""

from fastapi.testclient import TestClient


def test_every_api_route_has_a_description_and_declared_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method.upper()} {path} has no description"
            takes_input = operation.get("parameters") or operation.get("requestBody")
            if path.startswith("/api/v1/") and takes_input:  # a route without input has no 4xx to declare
                assert set(operation["responses"]) - {"200", "201", "204"}, f"{method.upper()} {path} declares no error"


def test_create_routes_carry_request_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for name in (
        "ProjectCreate",
        "MachineModelCreate",
        "ComponentCreate",
        "ConnectionCreate",
        "EndpointCreate",
        "BindingCreate",
    ):
        assert schemas[name].get("examples"), name


def test_docs_page_is_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
