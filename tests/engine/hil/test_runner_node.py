"""TwinLink against node-opcua, an OPC UA implementation we did not write: typed round trip and reconnect."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine import Simulator, parse_document
from app.engine.hil.runner import TwinLink
from tests.engine.hil.conftest import wait_for
from tests.peers.node_peer import NodePlc, node_plc  # noqa: F401

pytestmark = pytest.mark.timeout(90)

FAST = {"request_timeout": 0.5, "connect_timeout": 1.0, "keepalive_interval": 0.3, "backoff_initial": 0.2,
        "backoff_max": 0.5}  # fmt: skip


def typed_document(peer: NodePlc) -> dict[str, Any]:
    """Double, Boolean and Int32 written to the peer's inputs, its scan cycle's outputs read back."""

    def bind(port: str, tag: str, direction: str) -> dict[str, Any]:
        return {"port": port, "endpoint": "plc", "node_id": peer.node_id(f"PLC.{tag}"), "direction": direction}

    return {
        "schema_version": 1,
        "name": "typed",
        "dt": 0.02,
        "components": [
            {"name": "cmd", "type": "Constant", "parameters": {"value": 1.25}},
            {"name": "flag", "type": "Not", "inputs": {"in": False}},
            {"name": "cnt", "type": "Counter", "inputs": {"up": False, "reset": False}},
            {"name": "dbl", "type": "Gain", "inputs": {"in": 0.0}},
            {"name": "lamp", "type": "Lamp", "inputs": {"in": True}},
            {"name": "int_back", "type": "Gain", "inputs": {"in": 0.0}},
        ],
        "connections": [],
        "endpoints": [{"name": "plc", "url": peer.url}],
        "bindings": [
            bind("cmd.out", "In_Double", "write"),
            bind("flag.out", "In_Bool", "write"),
            bind("cnt.count", "In_Int", "write"),
            bind("dbl.in", "Out_Double", "read"),
            bind("lamp.in", "Out_Bool", "read"),
            bind("int_back.in", "Out_Int", "read"),
        ],
    }


def run_until(link: TwinLink, condition: Any, timeout: float = 15.0) -> Any:
    return wait_for(condition, timeout=timeout, step=lambda: link.run(ticks=5))


def test_typed_round_trip_through_the_node_opcua_scan_cycle(node_plc: NodePlc) -> None:  # noqa: F811
    sim = Simulator(parse_document(typed_document(node_plc)))
    sim.force("cnt.count", 21)  # an int output: written as the node's Int32
    with TwinLink(sim, **FAST) as link:
        run_until(
            link,
            lambda: (sim.value("dbl.out"), sim.value("lamp.on"), sim.value("int_back.out")) == (2.5, False, 42.0),
        )
        status = link.status()
    assert status["binding_errors"] == [] and status["state"] == "connected"


def test_node_opcua_peer_frozen_mid_run_degrades_then_reconnects_and_rewrites(node_plc: NodePlc) -> None:  # noqa: F811
    # Frozen (SIGSTOP), not killed: a second node-opcua start costs ~10 s of CPU; the shared peer is thawed
    # again before the test ends. (Killing is covered against the asyncua peer in test_client.py.)
    sim = Simulator(parse_document(typed_document(node_plc)))
    try:
        with TwinLink(sim, **FAST) as link:
            run_until(link, lambda: sim.value("dbl.out") == 2.5)
            node_plc.freeze()
            run_until(link, lambda: link.io_state == "degraded")
            held = sim.value("dbl.out")
            sim.force("cmd.out", 3.0)  # changed while the PLC is away: must reach it after the reconnect
            ticks = sim.tick
            link.run(ticks=10)
            assert sim.tick == ticks + 10 and sim.value("dbl.out") == held  # keeps ticking on the last good value
            node_plc.thaw()
            run_until(link, lambda: link.io_state == "connected" and sim.value("dbl.out") == 6.0, timeout=30)
            status = link.status()
        assert status["reconnects"] >= 1 and status["seconds_degraded"] > 0
    finally:
        node_plc.thaw()
