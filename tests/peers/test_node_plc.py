"""The node-opcua PLC peer behaves as documented: typed tags, scan cycle, read-only outputs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua

from tests.peers import node_peer
from tests.peers.node_peer import NodePeerUnavailable, NodePlc, node_plc  # noqa: F401

pytestmark = pytest.mark.timeout(60)

CASES = [
    ("Bool", ua.VariantType.Boolean, True, False),
    ("Int", ua.VariantType.Int32, 21, 42),
    ("Double", ua.VariantType.Double, 1.25, 2.5),
    ("Float", ua.VariantType.Float, 0.75, 1.5),
]


async def _round_trip(url: str) -> list[tuple[Any, ua.VariantType]]:
    async with Client(url, timeout=5) as client:
        ns = await client.get_namespace_index(node_peer.NAMESPACE)
        inputs = [client.get_node(ua.NodeId(f"PLC.In_{name}", ns)) for name, *_ in CASES]
        outputs = [client.get_node(ua.NodeId(f"PLC.Out_{name}", ns)) for name, *_ in CASES]
        await client.write_values(inputs, [ua.DataValue(ua.Variant(v, t)) for _, t, v, _ in CASES])
        expected = [out for *_, out in CASES]
        for _ in range(200):  # the scan cycle runs every 10 ms
            values = await client.read_attributes(outputs)
            if [dv.Value.Value for dv in values] == expected:
                return [(dv.Value.Value, dv.Value.VariantType) for dv in values]
            await asyncio.sleep(0.02)
        return [(dv.Value.Value, dv.Value.VariantType) for dv in values]


def test_scan_cycle_computes_typed_outputs_from_inputs(node_plc: NodePlc) -> None:  # noqa: F811
    result = asyncio.run(_round_trip(node_plc.url))
    assert result == [(out, vtype) for _, vtype, _, out in CASES]


def test_outputs_are_read_only(node_plc: NodePlc) -> None:  # noqa: F811
    async def attempt() -> None:
        async with Client(node_plc.url, timeout=5) as client:
            ns = await client.get_namespace_index(node_peer.NAMESPACE)
            await client.get_node(ua.NodeId("PLC.Out_Double", ns)).write_value(
                ua.DataValue(ua.Variant(1.0, ua.VariantType.Double))
            )

    with pytest.raises(ua.uaerrors.BadNotWritable):
        asyncio.run(attempt())


def test_bench_tags_are_created_on_request(node_plc: NodePlc) -> None:  # noqa: F811
    async def count(url: str) -> int:
        async with Client(url, timeout=5) as client:
            ns = await client.get_namespace_index(node_peer.NAMESPACE)
            return len(await client.get_node(ua.NodeId("PLC.Bench", ns)).get_children())

    assert asyncio.run(count(node_plc.url)) == 2 * node_peer.SHARED_TAGS


def test_missing_node_modules_is_reported_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node_peer, "NODE_DIR", tmp_path)
    with pytest.raises(NodePeerUnavailable, match="npm ci --prefix tests/peers/node"):
        node_peer.node_executable()


def test_missing_node_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(NodePeerUnavailable, match="node"):
        node_peer.node_executable()
