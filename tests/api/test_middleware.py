"""The request guard: Host and Origin checks, the body size limit and JSON body checks, in the one error shape."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.api.middleware import host_name
from app.core.config import Settings
from app.engine.document import MAX_NESTING
from tests.api.live_server import live_server
from tests.api.test_simulations import API, import_model, ramp_gain, start
from tests.conftest import assert_error

pytestmark = pytest.mark.timeout(120)

YAML = {"content-type": "application/yaml"}
JSON = {"content-type": "application/json"}


# ------------------------------------------------------------------------------------------------ host


@pytest.mark.parametrize(
    ("header", "name"),
    [("localhost:7777", "localhost"), ("[::1]:7777", "[::1]"), ("127.0.0.1", "127.0.0.1"),
     ("Example.COM.", "example.com")],
)
def test_host_name_drops_the_port_and_case(header: str, name: str) -> None:
    assert host_name(header) == name


def test_a_host_not_configured_is_400_naming_the_setting(client: TestClient) -> None:
    error = assert_error(client.get("/api/v1/projects", headers={"host": "attacker.example"}), 400, "host_not_allowed")
    assert "ALLOWED_HOSTS" in error["message"] and error["details"][0]["value"] == "attacker.example"


def test_configured_hosts_with_a_port_pass(client: TestClient) -> None:
    assert client.get("/api/v1/projects", headers={"host": "localhost:7777"}).status_code == 200
    assert client.get("/health", headers={"host": "[::1]:80"}).status_code == 200


def test_the_default_hosts_are_loopback_names() -> None:
    assert Settings(_env_file=None).allowed_hosts == ["localhost", "127.0.0.1", "[::1]"]


def test_a_star_allows_any_host(client: TestClient, settings: Settings) -> None:
    settings.allowed_hosts = ["*"]
    assert client.get("/health", headers={"host": "twin.plant.example"}).status_code == 200


# ---------------------------------------------------------------------------------------------- origin


def test_a_cross_site_post_is_403_and_changes_nothing(client: TestClient) -> None:
    response = client.post("/api/v1/projects", json={"name": "evil"}, headers={"origin": "http://attacker.example"})
    error = assert_error(response, 403, "cross_site_request")
    assert "attacker.example" in error["message"]
    assert client.get("/api/v1/projects").json()["total"] == 0


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_state_changing_method_checks_the_origin(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/v1/projects/1", headers={"origin": "null"})
    assert_error(response, 403, "cross_site_request")


def test_same_origin_and_no_origin_pass(client: TestClient) -> None:
    same_origin = {"origin": "http://testserver"}
    assert client.post("/api/v1/projects", json={"name": "a"}, headers=same_origin).status_code == 201
    assert client.post("/api/v1/projects", json={"name": "b"}).status_code == 201  # curl, scripts


def test_a_cross_site_get_is_not_refused(client: TestClient) -> None:
    assert client.get("/api/v1/projects", headers={"origin": "http://attacker.example"}).status_code == 200


def test_cors_is_off_unless_configured(client: TestClient, settings: Settings) -> None:
    headers = {"origin": "http://console.example", "access-control-request-method": "POST"}
    preflight = client.options("/api/v1/projects", headers=headers)
    assert "access-control-allow-origin" not in preflight.headers
    settings.cors_origins = ["http://console.example"]
    preflight = client.options("/api/v1/projects", headers=headers)
    assert preflight.headers["access-control-allow-origin"] == "http://console.example"
    response = client.post("/api/v1/projects", json={"name": "x"}, headers={"origin": "http://console.example"})
    assert response.status_code == 201 and response.headers["access-control-allow-origin"] == "http://console.example"


def test_a_cross_site_page_cannot_open_the_live_stream(client: TestClient, project: dict[str, Any]) -> None:
    run = start(client, int(import_model(client, project["id"], ramp_gain())["id"]), realtime=True)
    try:
        with pytest.raises(WebSocketDenialResponse) as denied:
            with client.websocket_connect(f"{API}/{run['id']}/stream", headers={"origin": "http://attacker.example"}):
                pass
        assert denied.value.status_code == 403
        assert denied.value.json()["error"]["code"] == "cross_site_request"
        with client.websocket_connect(f"{API}/{run['id']}/stream", headers={"origin": "http://testserver"}) as ws:
            assert ws.receive_json()["type"] == "schema"
    finally:
        client.post(f"{API}/{run['id']}/stop")


# ---------------------------------------------------------------------------------------------- body size


@pytest.fixture
def small_limit(settings: Settings) -> Settings:
    settings.max_body_bytes = 1000
    return settings


def test_a_body_over_the_limit_is_413_naming_it(client: TestClient, small_limit: Settings) -> None:
    body = {"name": "x", "description": "d" * 2000}
    error = assert_error(client.post("/api/v1/projects", json=body), 413, "payload_too_large")
    assert "1000" in error["message"] and "MAX_BODY_BYTES" in error["message"]


def test_a_chunked_body_without_length_is_cut_at_the_limit(client: TestClient, small_limit: Settings) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "x", "description": "'
        for _ in range(100):
            yield b"d" * 100
        yield b'"}'

    assert_error(client.post("/api/v1/projects", content=chunks(), headers=JSON), 413, "payload_too_large")


def test_a_yaml_import_over_the_limit_is_413(
    client: TestClient, small_limit: Settings, project: dict[str, Any]
) -> None:
    text = "name: big\ndescription: " + "d" * 2000 + "\ncomponents: []\n"
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", content=text, headers=YAML)
    assert_error(response, 413, "payload_too_large")
    assert_error(client.post("/api/v1/scenarios", content=text, headers=YAML), 413, "payload_too_large")


def test_a_body_under_the_limit_passes(client: TestClient, small_limit: Settings) -> None:
    assert client.post("/api/v1/projects", json={"name": "x", "description": "d" * 500}).status_code == 201


@pytest.mark.sqlite_only
def test_a_huge_declared_body_is_refused_before_it_is_sent(database_url: str, tmp_path: Path) -> None:
    """Real sockets: a 2 GB Content-Length gets its 413 while the client has sent no byte of the body."""
    with live_server(database_url, tmp_path / "data") as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /api/v1/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 2000000000\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413")
        assert json.loads(body)["error"]["code"] == "payload_too_large"
        # The live stream still works through the guard on a real server; a cross-site page cannot open it.
        with httpx.Client(base_url=f"{base}/api/v1") as http:
            project = http.post("/projects", json={"name": "p"}).json()
            model = http.post(f"/machine-models/import?project_id={project['id']}", json=ramp_gain()).json()
            run = http.post("/simulations/start", json={"machine_model_id": model["id"], "realtime": True}).json()
            ws_url = f"ws://127.0.0.1:{port}/api/v1/simulations/{run['id']}/stream"

            async def talk() -> tuple[str, int]:
                async with connect(ws_url) as ws:
                    first = json.loads(await ws.recv())["type"]
                try:
                    async with connect(ws_url, origin="http://attacker.example"):  # type: ignore[arg-type]
                        pass
                except InvalidStatus as refused:
                    return first, refused.response.status_code
                return first, 101

            assert asyncio.run(talk()) == ("schema", 403)
            http.post(f"/simulations/{run['id']}/stop")


# ---------------------------------------------------------------------------------------------- JSON bodies


def test_deeply_nested_json_is_422_naming_the_limit(client: TestClient, project: dict[str, Any]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("/api/v1/projects", f"/api/v1/machine-models/import?project_id={project['id']}", "/api/v1/scenarios"):
        error = assert_error(client.post(path, content=deep, headers=JSON), 422, "validation_error")
        assert str(MAX_NESTING) in error["message"]
    nested: Any = 1
    for _ in range(MAX_NESTING + 1):
        nested = {"k": nested}
    body = {"machine_model_id": 1, "name": "c", "type": "Gain", "parameters": nested}
    error = assert_error(client.post("/api/v1/components", json=body), 422, "validation_error")
    assert error["details"][0]["limit"] == MAX_NESTING and error["details"][0]["loc"].startswith("body.parameters.k")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_in_json_are_422_naming_the_field(
    client: TestClient, project: dict[str, Any], literal: str
) -> None:
    text = '{"project_id": %d, "name": "m", "dt": %s}' % (project["id"], literal)
    error = assert_error(client.post("/api/v1/machine-models", content=text, headers=JSON), 422, "validation_error")
    assert error["details"][0]["loc"] == "body.dt" and "finite" in error["details"][0]["message"]


def test_an_integer_too_long_to_convert_is_422(client: TestClient) -> None:
    text = '{"name": "x", "description": "", "extra": ' + "9" * 5000 + "}"
    assert_error(client.post("/api/v1/projects", content=text, headers=JSON), 422, "validation_error")


def test_malformed_json_still_reaches_the_route_as_before(client: TestClient) -> None:
    assert_error(client.post("/api/v1/projects", content=b"{not json", headers=JSON), 422, "validation_error")
