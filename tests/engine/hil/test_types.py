"""Type rules of HIL bindings against the asyncua PLC peer: rounding, range checks, and what a start refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.engine import Simulator, parse_document
from app.engine._exceptions import PortIOError
from app.engine.hil import OpcUaIO
from app.engine.hil.runner import TwinLink
from app.engine.io import BindingSpec, EndpointSpec, round_half_away
from tests.engine.hil.conftest import AsyncuaPlc, wait_for

pytestmark = pytest.mark.timeout(60)

FAST = {"request_timeout": 0.5, "connect_timeout": 1.0, "keepalive_interval": 0.5, "backoff_initial": 0.2,
        "backoff_max": 1.0}  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.5, 3), (-2.5, -3), (0.5, 1), (-0.5, -1), (1.5, 2), (2.4999999, 2), (0.49999999999999994, 0), (-7.0, -7),
     (1e16 + 2, 10**16 + 2)],
)  # fmt: skip
def test_round_half_away_from_zero(value: float, expected: int) -> None:
    assert round_half_away(value) == expected


@pytest.fixture
def io(plc: AsyncuaPlc) -> Iterator[OpcUaIO]:
    adapter = OpcUaIO([EndpointSpec("plc", plc.url)], **FAST)
    writes = [BindingSpec("a.x", "plc", plc.node_id("In.Int16"), "write", "int"),
              BindingSpec("a.y", "plc", plc.node_id("In.UInt16"), "write", "int"),
              BindingSpec("a.z", "plc", plc.node_id("In.Int32"), "write", "int")]  # fmt: skip
    reads = [BindingSpec("b.x", "plc", plc.node_id(n), "read", "int") for n in ("In.Int16", "In.UInt16", "In.Int32")]
    adapter.open(reads, writes)
    yield adapter
    adapter.close()


def _written(io: OpcUaIO, values: list[Any]) -> list[Any]:
    io.write(values)
    io.write(values)  # the second waits for the first Write's answer
    return io.read()


def test_float_to_integer_writes_round_half_away_from_zero(io: OpcUaIO) -> None:
    assert _written(io, [2.5, 0.5, -2.5]) == [3, 1, -3]
    assert _written(io, [-0.5, 1.5, 2.4]) == [-1, 2, 2]


def test_an_out_of_range_write_is_a_binding_error_not_a_clamp(io: OpcUaIO) -> None:
    assert _written(io, [1, 7, 1]) == [1, 7, 1]
    assert _written(io, [2, 70000, 5]) == [2, 7, 5]  # UInt16 keeps 7; the rest of the batch is written
    (error,) = io.stats()["binding_errors"]
    assert error["port"] == "a.y" and error["direction"] == "write"
    assert "out of range for UInt16 (0..65535)" in error["error"] and "not written" in error["error"]
    assert _written(io, [2, -1, 5])[1] == 7  # negative into unsigned: refused too
    wait_for(lambda: _written(io, [2, 65535, 5]) == [2, 65535, 5])
    assert io.stats()["binding_errors"] == []  # a good value clears it


def _model(plc: AsyncuaPlc, port: str, node: str, **binding: Any) -> dict[str, Any]:
    return {
        "schema_version": 1, "name": "types", "dt": 0.02,
        "components": [{"name": "cmd", "type": "Constant", "parameters": {"value": 2.5}},
                       {"name": "n", "type": "Counter", "inputs": {"up": False, "reset": False}}],
        "connections": [],
        "endpoints": [{"name": "plc", "url": plc.url}],
        "bindings": [{"port": port, "endpoint": "plc", "node_id": plc.node_id(node), "direction": "write", **binding}],
    }  # fmt: skip


def _open(document: dict[str, Any]) -> TwinLink:
    link = TwinLink(Simulator(parse_document(document)), **FAST)
    link.open()
    return link


@pytest.mark.parametrize(
    ("port", "node", "hint"),
    [("cmd.out", "In.Int16", "add `data_type: int` to the binding to bind a float port to an Int16 node"),
     ("cmd.out", "In.Boolean", "add `data_type: bool`"),
     ("n.count", "In.UInt16", "an int port may not fit a UInt16 node (0..65535): add `data_type: int`"),
     ("n.count", "In.Byte", "add `data_type: int`")],
)  # fmt: skip
def test_a_start_refuses_narrowing_and_says_how_to_accept_it(plc: AsyncuaPlc, port: str, node: str, hint: str) -> None:
    link = TwinLink(Simulator(parse_document(_model(plc, port, node))), **FAST)
    with pytest.raises(PortIOError) as caught:
        link.open()
    (problem,) = caught.value.problems
    assert hint in problem["reason"], problem["reason"]
    link.close()


def test_an_explicit_data_type_accepts_the_narrowing(plc: AsyncuaPlc) -> None:
    link = _open(_model(plc, "cmd.out", "In.Int16", data_type="int"))
    try:
        link.run(ticks=3)
        assert link.status()["binding_errors"] == []
    finally:
        link.close()
    reader = OpcUaIO([EndpointSpec("plc", plc.url)], **FAST)
    reader.open([BindingSpec("b.x", "plc", plc.node_id("In.Int16"), "read", "int")], [])
    try:
        assert reader.read() == [3]  # 2.5 rounded half away from zero
    finally:
        reader.close()
    for port, node in (("n.count", "In.UInt16"), ("n.count", "In.Int32"), ("cmd.out", "In.Float")):
        binding = {"data_type": "int"} if node == "In.UInt16" else {}
        _open(_model(plc, port, node, **binding)).close()
