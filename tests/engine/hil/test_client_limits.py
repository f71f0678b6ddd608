"""Operation limits a server enforces without advertising them, and per-endpoint limits, against the PLC peer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.engine.hil import OpcUaIO
from app.engine.io import BindingSpec, EndpointSpec
from tests.engine.hil.conftest import AsyncuaPlc, wait_for

pytestmark = pytest.mark.timeout(120)

FAST = {"request_timeout": 0.5, "connect_timeout": 1.0, "keepalive_interval": 0.5, "backoff_initial": 0.2,
        "backoff_max": 1.0}  # fmt: skip


@pytest.fixture
def opened() -> Iterator[Callable[..., OpcUaIO]]:
    ios: list[OpcUaIO] = []

    def open_io(spec: EndpointSpec, reads: list[BindingSpec], writes: list[BindingSpec], **kw: Any) -> OpcUaIO:
        io = OpcUaIO([spec], **{**FAST, **kw})
        ios.append(io)
        io.open(reads, writes)
        return io

    yield open_io
    for io in ios:
        io.close()


def _bench(plc: AsyncuaPlc, n: int) -> tuple[list[BindingSpec], list[BindingSpec]]:
    reads = [BindingSpec(f"r{i}", "plc", plc.node_id(f"Bench.Out.{i}"), "read") for i in range(n)]
    writes = [BindingSpec(f"w{i}", "plc", plc.node_id(f"Bench.In.{i}"), "write") for i in range(n)]
    return reads, writes


def test_unadvertised_limits_are_found_by_halving_and_remembered(
    make_plc: Callable[..., AsyncuaPlc], opened: Callable[..., OpcUaIO]
) -> None:
    # The connect-time Read alone is 5 attributes x 40 bindings = 200 nodes against a limit of 8 it never advertised.
    plc = make_plc("--bench-tags", "20", "--scan-bench", "--max-read", "8", "--max-write", "6", "--hide-limits")
    reads, writes = _bench(plc, 20)
    io = opened(EndpointSpec("plc", plc.url), reads, writes)
    endpoint = io.stats()["endpoints"]["plc"]
    assert endpoint["max_nodes_per_read"] <= 8
    assert endpoint["max_nodes_learned"]["read"] is True
    io.write([float(i) for i in range(20)])
    io.write([float(i) for i in range(20)])  # waits for the first Write, which had to be split
    endpoint = io.stats()["endpoints"]["plc"]
    assert endpoint["max_nodes_per_write"] <= 6 and endpoint["max_nodes_learned"]["write"] is True
    assert wait_for(lambda: (v := io.read()) == [2.0 * i for i in range(20)] and v)
    assert io.stats()["binding_errors"] == []
    assert io.stats()["endpoints"]["plc"]["state"] == "connected"
    assert plc.server_stats()["MaxReadBatch"] <= 8 and plc.server_stats()["MaxWriteBatch"] <= 6


def test_per_endpoint_limits_cap_what_the_server_advertises(
    make_plc: Callable[..., AsyncuaPlc], opened: Callable[..., OpcUaIO]
) -> None:
    plc = make_plc("--bench-tags", "10", "--scan-bench")
    reads, writes = _bench(plc, 10)
    spec = EndpointSpec("plc", plc.url, max_nodes_per_read=3, max_nodes_per_write=2)
    io = opened(spec, reads, writes)
    endpoint = io.stats()["endpoints"]["plc"]
    assert (endpoint["max_nodes_per_read"], endpoint["max_nodes_per_write"]) == (3, 2)
    assert (endpoint["read_requests_per_tick"], endpoint["write_requests_per_tick"]) == (4, 5)
    assert endpoint["max_nodes_learned"] == {"read": False, "write": False}
    io.write([float(i) for i in range(10)])
    assert wait_for(lambda: (v := io.read()) == [2.0 * i for i in range(10)] and v)
    stats = plc.server_stats()
    assert stats["MaxReadBatch"] <= 3 and stats["MaxWriteBatch"] <= 2
