"""HIL simulation runs over the real HTTP stack against the asyncua PLC peer; the twin served over OPC UA."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.db.models import Endpoint
from app.db.session import get_session_factory
from app.engine.hil.security import configure_security
from app.engine.hil.server import TWIN_NAMESPACE_URI
from app.engine.io import EndpointSpec
from app.services.twin_accounts import login_check
from tests.api.auth_support import PASSWORD, add_member, add_user, login, post
from tests.api.test_simulations import API, import_model, start, status, wait_until
from tests.conftest import assert_error
from tests.engine.hil.conftest import AsyncuaPlc

pytestmark = pytest.mark.timeout(90)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loop_document(url: str, cmd_node: str, feedback_node: str) -> dict[str, Any]:
    """cmd (1.5) is written to the PLC; the PLC's answer is read into fb (Gain 1)."""
    return {
        "schema_version": 1,
        "name": "hil_loop",
        "dt": 0.02,
        "components": [
            {"name": "cmd", "type": "Constant", "parameters": {"value": 1.5}},
            {"name": "fb", "type": "Gain", "inputs": {"in": 0.0}},
        ],
        "connections": [],
        "endpoints": [{"name": "plc", "url": url}],
        "bindings": [
            {"port": "cmd.out", "endpoint": "plc", "node_id": cmd_node, "direction": "write"},
            {"port": "fb.in", "endpoint": "plc", "node_id": feedback_node, "direction": "read"},
        ],
    }


def hil_model(client: TestClient, project: dict[str, Any], plc: AsyncuaPlc) -> int:
    document = loop_document(plc.url, plc.node_id("Cmd"), plc.node_id("Feedback"))
    return int(import_model(client, project["id"], document)["id"])


def value(client: TestClient, run_id: int, port: str) -> Any:
    values = client.get(f"{API}/{run_id}/values").json()["values"]
    return next(v["value"] for v in values if v["port"] == port)


def stop(client: TestClient, run_id: int) -> dict[str, Any]:
    response = client.post(f"{API}/{run_id}/stop")
    assert response.status_code == 200, response.text
    return response.json()


def test_hil_run_writes_the_command_and_reads_the_plcs_answer(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    run = start(client, hil_model(client, project, plc), mode="hil")
    assert run["status"] in ("pending", "running") and run["realtime"] is True and run["mode"] == "hil"
    wait_until(lambda: value(client, run["id"], "fb.out"), lambda v: v == 3.0, "the PLC's Feedback = Cmd * 2")
    live = status(client, run["id"])
    assert live["status"] == "running" and live["io"]["state"] == "connected"
    assert live["io"]["read_ms"]["count"] > 0 and live["io"]["write_ms"]["p99"] is not None
    final = stop(client, run["id"])
    assert final["status"] == "stopped" and final["io"]["reconnects"] == 0 and final["io"]["binding_errors"] == []


def test_hil_against_an_unreachable_plc_is_a_failed_run_naming_endpoint_and_reason(
    client: TestClient, project: dict[str, Any]
) -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}"
    model_id = import_model(client, project["id"], loop_document(url, "ns=2;s=Cmd", "ns=2;s=Feedback"))["id"]
    run = start(client, model_id, mode="hil")
    assert run["status"] == "failed" and "plc" in run["error"] and "refused" in run["error"]
    assert run["io"]["endpoints"]["plc"]["url"] == url and "refused" in run["io"]["endpoints"]["plc"]["last_error"]
    assert status(client, run["id"])["status"] == "failed"


def test_hil_with_bad_nodes_is_refused_listing_every_problem(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    document = loop_document(plc.url, plc.node_id("NoSuchTag"), plc.node_id("In.String"))
    model_id = import_model(client, project["id"], document)["id"]
    response = client.post(f"{API}/start", json={"machine_model_id": model_id, "mode": "hil"})
    error = assert_error(response, 422, "invalid_bindings")
    problems = {(d["port"], d["node_id"]) for d in error["details"]}
    assert problems == {("cmd.out", plc.node_id("NoSuchTag")), ("fb.in", plc.node_id("In.String"))}
    assert all(d["reason"] for d in error["details"])
    assert client.get(API).json()["total"] == 0  # no run was stored


def test_hil_uses_the_stored_password_and_never_returns_it(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc, session: Session
) -> None:
    model_id = hil_model(client, project, plc)
    endpoint = session.query(Endpoint).filter_by(project_id=project["id"], name="plc").one()
    secret = "s3cret-plc-password"
    response = client.patch(f"/api/v1/endpoints/{endpoint.id}", json={"username": "operator", "password": secret})
    assert response.status_code == 200 and secret not in response.text
    run = start(client, model_id, mode="hil", duration=0.2)  # the peer accepts anonymous and user logins alike
    final = wait_until(
        lambda: status(client, run["id"]), lambda s: s["status"] not in ("pending", "running"), "the end"
    )
    assert final["status"] == "completed", final["error"]
    assert secret not in str(final) and secret not in client.get(f"{API}/{run['id']}/values").text


def test_hil_run_goes_degraded_while_the_plc_is_frozen_and_back_to_running(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    run = start(client, hil_model(client, project, plc), mode="hil")
    wait_until(lambda: status(client, run["id"]), lambda s: s["status"] == "running", "running")
    try:
        plc.freeze()
        degraded = wait_until(lambda: status(client, run["id"]), lambda s: s["status"] == "degraded", "degraded")
        assert degraded["io"]["state"] == "degraded"
    finally:
        plc.thaw()
    back = wait_until(
        lambda: status(client, run["id"]),
        lambda s: s["status"] == "running" and s["io"]["reconnects"] >= 1,
        "running again",
    )
    assert back["io"]["seconds_degraded"] > 0 and back["tick"] > degraded["tick"]
    final = stop(client, run["id"])
    assert final["status"] == "stopped" and final["io"]["reconnects"] >= 1


def test_hil_run_with_the_stop_policy_fails_when_the_plc_is_lost(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    run = start(client, hil_model(client, project, plc), mode="hil", on_disconnect="stop")
    wait_until(lambda: status(client, run["id"]), lambda s: s["status"] == "running", "running")
    try:
        plc.freeze()
        failed = wait_until(lambda: status(client, run["id"]), lambda s: s["status"] == "failed", "failed")
    finally:
        plc.thaw()
    assert "plc" in failed["error"] and failed["io"]["on_disconnect"] == "stop"


async def _read_and_write_twin(url: str) -> float:
    async with Client(url, timeout=5) as client:
        ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
        await client.get_node(ua.NodeId("fb.in", ns)).write_value(ua.Variant(4.0, ua.VariantType.Double))
        return float(await client.get_node(ua.NodeId("cmd.out", ns)).read_value())


def test_a_sim_run_serves_the_twin_and_a_client_write_becomes_a_force(
    client: TestClient, project: dict[str, Any]
) -> None:
    document = loop_document("opc.tcp://127.0.0.1:1", "ns=2;s=Cmd", "ns=2;s=Feedback")
    document["bindings"] = []
    model_id = import_model(client, project["id"], document)["id"]
    port = free_port()
    run = start(client, model_id, realtime=True, opcua_server={"port": port})
    assert run["io"]["opcua_server"]["url"] == f"opc.tcp://127.0.0.1:{port}" and run["io"]["state"] is None
    # The served values are published after each tick: read them once the run has ticked, not right after start.
    wait_until(lambda: client.get(f"{API}/{run['id']}/status").json()["tick"], lambda t: t >= 2, "the first ticks")
    assert asyncio.run(_read_and_write_twin(f"opc.tcp://127.0.0.1:{port}")) == 1.5
    wait_until(lambda: value(client, run["id"], "fb.out"), lambda v: v == 4.0, "the client's write as a force")
    forces = client.get(f"{API}/{run['id']}/forces").json()
    assert [(f["component"], f["port"], f["value"]) for f in forces] == [("fb", "in", 4.0)]
    assert client.delete(f"{API}/{run['id']}/forces/fb/in").status_code == 204
    stop(client, run["id"])


def test_a_taken_opcua_server_port_is_409(client: TestClient, project: dict[str, Any]) -> None:
    document = loop_document("opc.tcp://127.0.0.1:1", "ns=2;s=Cmd", "ns=2;s=Feedback")
    document["bindings"] = []
    model_id = import_model(client, project["id"], document)["id"]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        response = client.post(f"{API}/start", json={"machine_model_id": model_id, "opcua_server": {"port": port}})
    assert_error(response, 409, "opcua_server_unavailable")


def served_only_document() -> dict[str, Any]:
    document = loop_document("opc.tcp://127.0.0.1:1", "ns=2;s=Cmd", "ns=2;s=Feedback")
    document["bindings"] = []
    return document


def test_an_unsecured_opcua_server_beyond_loopback_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post(
        f"{API}/start", json={"machine_model_id": 1, "opcua_server": {"port": 4841, "host": "0.0.0.0"}}
    )
    error = assert_error(response, 422)
    assert any("host" in str(d.get("loc")) for d in error["details"]), error
    assert "security_mode" in str(error) and "Sign or SignAndEncrypt" in str(error)


def test_a_secured_opcua_server_in_local_mode_is_refused_until_a_user_exists(
    client: TestClient, project: dict[str, Any]
) -> None:
    model_id = import_model(client, project["id"], served_only_document())["id"]
    server = {"port": free_port(), "host": "0.0.0.0", "security_mode": "Sign"}
    response = client.post(f"{API}/start", json={"machine_model_id": model_id, "opcua_server": server})
    error = assert_error(response, 409, "no_user_accounts")
    assert "run.py users create" in error["message"]


async def _twin_login(url: str, mode: str, client_dir: Path, username: str, write: float | None = None) -> str:
    """Log in to the secured served twin (and write fb.in); the outcome: Good or the status name."""
    client = Client(url, timeout=5)
    spec = EndpointSpec("twin", url, security_policy="Basic256Sha256", security_mode=mode, username=username,
                        password=PASSWORD)
    await configure_security(client, spec, client_dir, trust_new=True)  # the served twin's own certificate
    try:
        async with client:
            if write is not None:
                ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
                await client.get_node(ua.NodeId("fb.in", ns)).write_value(ua.Variant(write, ua.VariantType.Double))
    except ua.UaStatusCodeError as exc:
        return type(exc).__name__
    return "Good"


def test_a_secured_served_twin_listens_beyond_loopback_and_logs_in_the_project_s_operators(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    for name in ("adam", "oscar", "olga", "nina"):
        add_user(session, name)
    add_user(session, "root", admin=True)
    adam, nina = login(client, "adam"), login(client, "nina")
    project = post(client, adam, "projects", name="line-1")
    post(client, nina, "projects", name="line-2")  # nina is admin of another project only
    add_member(client, adam, project["id"], "oscar", "operator")
    add_member(client, adam, project["id"], "olga", "observer")
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=served_only_document(),
                           headers=adam)
    assert response.status_code == 201, response.text
    port = free_port()
    server = {"port": port, "host": "0.0.0.0", "security_mode": "SignAndEncrypt"}
    run = post(client, adam, "simulations/start", machine_model_id=response.json()["id"], realtime=True,
               opcua_server=server)
    served = run["io"]["opcua_server"]
    assert served["url"] == f"opc.tcp://0.0.0.0:{port}" and served["security_mode"] == "SignAndEncrypt"
    local_url = f"opc.tcp://127.0.0.1:{port}"  # listening on every interface; the test only uses loopback
    try:
        assert asyncio.run(_twin_login(local_url, "SignAndEncrypt", tmp_path, "oscar", write=4.0)) == "Good"
        wait_until(
            lambda: client.get(f"{API}/{run['id']}/forces", headers=adam).json(),
            lambda forces: [(f["component"], f["port"], f["value"]) for f in forces] == [("fb", "in", 4.0)],
            "the operator's write as a force",
        )
        assert asyncio.run(_twin_login(local_url, "SignAndEncrypt", tmp_path, "root")) == "Good"
        for refused in ("olga", "nina"):
            assert asyncio.run(_twin_login(local_url, "SignAndEncrypt", tmp_path, refused)) == "BadUserAccessDenied"
        counters = client.get(f"{API}/{run['id']}/status", headers=adam).json()["io"]["opcua_server"]
        assert counters["logins"] == 2 and counters["refused_logins"] == 2
    finally:
        assert client.post(f"{API}/{run['id']}/stop", headers=adam).status_code == 200


def test_a_login_to_a_served_hil_run_that_writes_to_a_plc_needs_the_plc_write_permission(
    client: TestClient, session: Session, settings: Settings
) -> None:
    for name in ("adam", "oscar"):
        add_user(session, name)
    adam = login(client, "adam")
    project = post(client, adam, "projects", name="line-1")
    add_member(client, adam, project["id"], "oscar", "operator")
    document = loop_document("opc.tcp://127.0.0.1:1", "ns=2;s=Cmd", "ns=2;s=Feedback")
    response = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=document, headers=adam)
    assert response.status_code == 201, response.text
    endpoint = client.get(f"/api/v1/endpoints?project_id={project['id']}", headers=adam).json()["items"][0]
    check = login_check(get_session_factory(settings.database_url), project["id"], frozenset({"plc"}))
    assert check("oscar", PASSWORD) is False
    granted = client.put(f"/api/v1/endpoints/{endpoint['id']}/plc-write/oscar", headers=adam)
    assert granted.status_code in (200, 201, 204), granted.text
    assert check("oscar", PASSWORD) is True
    assert check("oscar", "not the password") is False
    assert login_check(get_session_factory(settings.database_url), project["id"])("oscar", PASSWORD) is True
