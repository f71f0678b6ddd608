"""HIL link changes appear in the run's event log and on the stream (asyncua PLC peer, frozen and thawed)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_simulations import API, start, status, wait_until
from tests.api.test_simulations_hil import hil_model
from tests.engine.hil.conftest import AsyncuaPlc

pytestmark = [pytest.mark.timeout(90), pytest.mark.sqlite_only]


def test_a_lost_and_restored_plc_connection_is_logged(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    run = start(client, hil_model(client, project, plc), mode="hil")
    run_id = run["id"]
    wait_until(lambda: status(client, run_id), lambda s: s["status"] == "running", "running")
    with client.websocket_connect(f"{API}/{run_id}/stream") as ws:
        assert ws.receive_json()["type"] == "schema"
        assert ws.receive_json()["type"] == "status"
        io = ws.receive_json()
        assert io["type"] == "io" and io["state"] == "connected" and "plc" in io["endpoints"]
    try:
        plc.freeze()
        wait_until(lambda: status(client, run_id), lambda s: s["status"] == "degraded", "degraded")
    finally:
        plc.thaw()

    def kinds() -> list[str]:
        return [e["kind"] for e in client.get(f"{API}/{run_id}/events").json()]

    logged = wait_until(kinds, lambda k: "io_reconnected" in k, "reconnected event")
    assert logged.index("io_disconnected") < logged.index("io_reconnected")
    events = client.get(f"{API}/{run_id}/events").json()
    lost = next(e for e in events if e["kind"] == "io_disconnected")
    assert lost["data"]["state"] == "degraded" and lost["data"]["endpoints"]["plc"]["state"] == "degraded"
    assert "plc" in lost["message"]
    client.post(f"{API}/{run_id}/stop")
