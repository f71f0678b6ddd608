"""OpcUaIO against a real asyncua server (tests/peers/asyncua_plc.py) in its own process."""

from __future__ import annotations

import math
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.engine._exceptions import PortIOError
from app.engine.hil import OpcUaIO
from app.engine.io import BindingSpec, EndpointSpec
from tests.engine.hil.conftest import AsyncuaPlc, wait_for

pytestmark = pytest.mark.timeout(60)

TYPES = [
    "Boolean",
    "SByte",
    "Byte",
    "Int16",
    "UInt16",
    "Int32",
    "UInt32",
    "Int64",
    "UInt64",
    "Float",
    "Double",
    "String",
]
EXTREMES: list[Any] = [True, -128, 255, -32768, 65535, -(2**31), 2**32 - 1, -(2**63), 2**64 - 1, 1.5, -2.25e300, "hé"]
FAST = {"request_timeout": 0.5, "connect_timeout": 1.0, "keepalive_interval": 0.5, "backoff_initial": 0.2,
        "backoff_max": 1.0}  # fmt: skip


def _io(plc: AsyncuaPlc, **options: Any) -> OpcUaIO:
    return OpcUaIO([EndpointSpec("plc", plc.url)], **{**FAST, **options})


def _read(port: str, node_id: str, data_type: str | None = None) -> BindingSpec:
    return BindingSpec(port, "plc", node_id, "read", data_type)


def _write(port: str, node_id: str, data_type: str | None = None) -> BindingSpec:
    return BindingSpec(port, "plc", node_id, "write", data_type)


def _settled_stats(plc: AsyncuaPlc) -> dict[str, int]:
    """The peer's call counters once they stopped moving (it publishes them every scan)."""
    previous: list[dict[str, int]] = [{}]

    def settled() -> dict[str, int] | None:
        current = plc.server_stats()
        stable = current == previous[0]
        previous[0] = current
        return current if stable else None

    return wait_for(settled)


@pytest.fixture
def opened() -> Iterator[Callable[..., OpcUaIO]]:
    ios: list[OpcUaIO] = []

    def open_io(plc: AsyncuaPlc, reads: list[BindingSpec], writes: list[BindingSpec], **options: Any) -> OpcUaIO:
        io = _io(plc, **options)
        ios.append(io)
        io.open(reads, writes)
        return io

    yield open_io
    for io in ios:
        io.close()


def test_every_type_round_trips_with_the_nodes_own_data_type(plc: AsyncuaPlc, opened: Callable[..., OpcUaIO]) -> None:
    reads = [_read(f"echo.{t}", plc.node_id(f"Echo.{t}")) for t in TYPES]
    writes = [_write(f"in.{t}", plc.node_id(f"In.{t}")) for t in TYPES]
    io = opened(plc, reads, writes)
    io.write(EXTREMES)
    values = wait_for(lambda: (v := io.read())[-1] == "hé" and v)
    assert values == EXTREMES
    assert [type(v) for v in values] == [type(v) for v in EXTREMES]
    assert io.stats()["binding_errors"] == []


def test_float_values_are_converted_to_integer_and_boolean_nodes(
    plc: AsyncuaPlc, opened: Callable[..., OpcUaIO]
) -> None:
    names = ["Boolean", "Int16", "UInt32", "Float"]
    io = opened(
        plc, [_read(n, plc.node_id(f"Echo.{n}")) for n in names], [_write(n, plc.node_id(f"In.{n}")) for n in names]
    )
    io.write([1.0, 41.6, 7.0, 3])  # the simulator hands over floats after scale/offset
    assert wait_for(lambda: (v := io.read()) == [True, 42, 7, 3.0] and v)


def test_namespace_index_node_ids_work_like_namespace_uris(plc: AsyncuaPlc, opened: Callable[..., OpcUaIO]) -> None:
    # The peer registers two decoy namespaces first, so its own namespace is index 4.
    io = opened(plc, [_read("a", "ns=4;s=ReadOnly.Double"), _read("b", plc.node_id("ReadOnly.Double"))], [])
    assert io.read() == [42.0, 42.0]


def test_the_plc_scan_cycle_answers_the_twins_writes(plc: AsyncuaPlc, opened: Callable[..., OpcUaIO]) -> None:
    io = opened(plc, [_read("fb", plc.node_id("Feedback"), "float")], [_write("cmd", plc.node_id("Cmd"), "float")])
    io.write([3.5])
    assert wait_for(lambda: io.read() == [7.0])


def test_one_read_and_one_write_call_per_tick_without_limits(plc: AsyncuaPlc, opened: Callable[..., OpcUaIO]) -> None:
    reads = [_read(f"r{i}", plc.node_id(f"Bench.Out.{i}")) for i in range(10)]
    writes = [_write(f"w{i}", plc.node_id(f"Bench.In.{i}")) for i in range(10)]
    io = opened(plc, reads, writes)
    before = _settled_stats(plc)
    for _ in range(5):
        io.read()
        io.write([1.0] * 10)
    after = _settled_stats(plc)
    assert after["ReadCalls"] - before["ReadCalls"] == 5
    assert after["WriteCalls"] - before["WriteCalls"] == 5


def test_reads_and_writes_are_split_by_the_servers_operation_limits(
    make_plc: Callable[..., AsyncuaPlc], opened: Callable[..., OpcUaIO]
) -> None:
    plc = make_plc("--bench-tags", "10", "--scan-bench", "--max-read", "4", "--max-write", "3")
    reads = [_read(f"r{i}", plc.node_id(f"Bench.Out.{i}")) for i in range(10)]
    writes = [_write(f"w{i}", plc.node_id(f"Bench.In.{i}")) for i in range(10)]
    io = opened(plc, reads, writes)
    endpoint = io.stats()["endpoints"]["plc"]
    assert (endpoint["max_nodes_per_read"], endpoint["max_nodes_per_write"]) == (4, 3)
    before = _settled_stats(plc)
    io.write([float(i) for i in range(10)])
    for _ in range(3):
        io.read()
    after = _settled_stats(plc)
    assert after["WriteCalls"] - before["WriteCalls"] == 4  # ceil(10 / 3) for one tick
    assert after["ReadCalls"] - before["ReadCalls"] == 9  # ceil(10 / 4) for each of three ticks
    assert wait_for(lambda: (v := io.read()) == [2.0 * i for i in range(10)] and v)
    assert after["MaxReadBatch"] <= 4 and after["MaxWriteBatch"] <= 3
    assert io.stats()["binding_errors"] == []


def test_open_lists_every_binding_problem_at_once(plc: AsyncuaPlc) -> None:
    reads = [
        _read("missing.node", plc.node_id("No.Such.Tag")),
        _read("bad.syntax", "ns=4;x=what"),
        _read("unknown.namespace", "nsu=urn:nowhere;s=Tag"),
        _read("narrowing.type", plc.node_id("Echo.Double"), "bool"),
        _read("not.a.variable", plc.node_id("PLC")),
        _read("fine", plc.node_id("Echo.Double"), "float"),
    ]
    writes = [
        _write("read.only", plc.node_id("ReadOnly.Double"), "float"),
        _write("string.node", plc.node_id("In.String"), "float"),
        BindingSpec("other.endpoint", "nope", "ns=2;s=X", "write"),
    ]
    io = _io(plc)
    with pytest.raises(PortIOError) as caught:
        io.open(reads, writes)
    problems = {p["port"]: p for p in caught.value.problems}
    assert set(problems) == {b.port for b in reads + writes} - {"fine"}
    assert "BadNodeIdUnknown" in problems["missing.node"]["reason"]
    assert "urn:nowhere" in problems["unknown.namespace"]["reason"]
    assert "Double" in problems["narrowing.type"]["reason"]
    assert "not a variable" in problems["not.a.variable"]["reason"]
    assert "not writable" in problems["read.only"]["reason"]
    assert "String" in problems["string.node"]["reason"]
    assert "unknown endpoint" in problems["other.endpoint"]["reason"]
    assert problems["missing.node"]["node_id"] == plc.node_id("No.Such.Tag")
    assert "missing.node" in caught.value.message
    assert io.stats()["state"] == "closed"


def test_unreachable_endpoint_fails_open_naming_endpoint_and_reason() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    io = OpcUaIO([EndpointSpec("line3", f"opc.tcp://127.0.0.1:{port}/")], **FAST)
    with pytest.raises(PortIOError) as caught:
        io.open([BindingSpec("a.b", "line3", "ns=2;s=X", "read")], [])
    assert caught.value.problems == [
        {"endpoint": "line3", "url": f"opc.tcp://127.0.0.1:{port}/", "reason": caught.value.problems[0]["reason"]}
    ]
    assert "refused" in caught.value.problems[0]["reason"]
    assert "line3" in caught.value.message


def test_a_bad_read_status_is_reported_per_binding_and_not_fatal(
    plc: AsyncuaPlc, opened: Callable[..., OpcUaIO]
) -> None:
    reads = [_read("faulty", plc.node_id("Faulty.Double")), _read("ok", plc.node_id("ReadOnly.Double"))]
    io = opened(plc, reads, [_write("ctl", plc.node_id("Ctl.Faulty"), "bool")])
    io.write([True])
    assert wait_for(lambda: io.read() == [None, 42.0])
    errors = io.stats()["binding_errors"]
    assert [(e["port"], e["direction"]) for e in errors] == [("faulty", "read")]
    assert "BadSensorFailure" in errors[0]["error"]
    io.write([False])
    assert wait_for(lambda: io.read() == [1.5, 42.0])
    assert io.stats()["binding_errors"] == []


def test_a_rejected_or_unconvertible_write_is_reported_per_binding(
    plc: AsyncuaPlc, opened: Callable[..., OpcUaIO]
) -> None:
    writes = [
        _write("reject", plc.node_id("Reject.Int32"), "int"),
        _write("small", plc.node_id("In.Int16"), "int"),
        _write("good", plc.node_id("In.Int32"), "int"),
    ]
    io = opened(plc, [_read("echo", plc.node_id("Echo.Int32"))], writes)
    io.write([-1, 10**6, 1234])  # sent without waiting: the verdicts arrive in stats()
    assert wait_for(lambda: len(io.stats()["binding_errors"]) == 2)
    errors = {e["port"]: e["error"] for e in io.stats()["binding_errors"]}
    assert "BadOutOfRange" in errors["reject"]
    assert "out of range for Int16" in errors["small"]
    assert "good" not in errors
    assert wait_for(lambda: io.read() == [1234])
    io.write([5, 7, 1234])
    assert wait_for(lambda: io.stats()["binding_errors"] == [])


def test_killed_server_degrades_then_reconnects_re_resolves_and_rewrites_everything(
    make_plc: Callable[..., AsyncuaPlc], opened: Callable[..., OpcUaIO]
) -> None:
    plc = make_plc()
    reads = [_read("echo", plc.node_id("Echo.Double")), _read("count", plc.node_id("Count"))]
    io = opened(plc, reads, [_write("in", plc.node_id("In.Double"), "float")], write_on_change=True)
    io.write([6.5])
    assert wait_for(lambda: io.read()[0] == 6.5)

    plc.kill()
    assert wait_for(lambda: io.stats()["state"] == "degraded", step=io.read)
    assert io.read() == [None, None]  # the engine holds the last good values
    io.write([6.5])  # dropped, never raised
    assert wait_for(lambda: io.stats()["endpoints"]["plc"]["dropped_writes"] >= 1)

    plc.start("--extra-namespaces", "3")  # same port; the namespace index moves from 2 to 5
    assert wait_for(lambda: io.stats()["state"] == "connected", step=io.read)
    io.write([6.5])  # unchanged value, but the first write after a reconnect sends everything
    assert wait_for(lambda: io.read()[0] == 6.5)
    stats = io.stats()
    assert stats["reconnects"] == 1
    assert stats["seconds_degraded"] > 0
    assert stats["endpoints"]["plc"]["last_error"]


def test_frozen_server_degrades_and_recovers(
    make_plc: Callable[..., AsyncuaPlc], opened: Callable[..., OpcUaIO]
) -> None:
    plc = make_plc()
    io = opened(plc, [_read("count", plc.node_id("Count"))], [])
    first = wait_for(lambda: io.read()[0])
    plc.freeze()
    try:
        assert wait_for(lambda: io.stats()["state"] == "degraded", step=io.read)
        assert io.read() == [None]
        assert "no answer" in io.stats()["endpoints"]["plc"]["last_error"]
    finally:
        plc.thaw()
    assert wait_for(lambda: io.stats()["state"] == "connected", step=io.read)
    assert wait_for(lambda: (io.read()[0] or 0) > first)
    assert io.stats()["reconnects"] == 1


def test_stop_policy_raises_port_io_error_after_connection_loss(
    make_plc: Callable[..., AsyncuaPlc], opened: Callable[..., OpcUaIO]
) -> None:
    plc = make_plc()
    io = opened(plc, [_read("count", plc.node_id("Count"))], [], on_disconnect="stop")
    io.read()
    plc.kill()

    def read_raises() -> bool:
        try:
            io.read()
        except PortIOError as exc:
            return "plc" in exc.message and exc.problems[0]["endpoint"] == "plc"
        return False

    assert wait_for(read_raises)
    assert io.stats()["state"] == "failed"


def test_stats_report_tick_timings_and_close_is_idempotent(plc: AsyncuaPlc) -> None:
    io = _io(plc)
    io.open([_read("x", plc.node_id("ReadOnly.Double"))], [_write("y", plc.node_id("In.Double"))])
    for _ in range(5):
        io.read()
        io.write([1.0])
    stats = io.stats()
    assert stats["state"] == "connected"
    assert stats["read_ms"]["count"] == 5 and stats["write_ms"]["count"] == 5
    assert 0 < stats["read_ms"]["median"] <= stats["read_ms"]["p99"]
    assert not math.isnan(stats["write_ms"]["p99"])
    io.close()
    io.close()
    assert io.stats()["state"] == "closed"
    with pytest.raises(PortIOError):
        io.read()
