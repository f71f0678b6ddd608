"""``run.py simulate --hil``: the quality of the PLC's values in telemetry.csv and summary.json, and
``--fail-on-degraded`` (exit 4 only when the run was degraded), against the asyncua PLC peer in a subprocess."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from asyncua import Client, ua

from tests.cli.test_simulate import simulate
from tests.cli.test_simulate_hil import hil_model
from tests.engine.hil.conftest import NAMESPACE, AsyncuaPlc

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def plc() -> Iterator[AsyncuaPlc]:
    peer = AsyncuaPlc().start()
    yield peer
    peer.stop()


def set_faulty(plc: AsyncuaPlc, faulty: bool) -> None:
    """Faulty.Double answers a Bad status (BadSensorFailure) while Ctl.Faulty is true."""

    async def write() -> None:
        async with Client(plc.url, timeout=5) as client:
            ns = await client.get_namespace_index(NAMESPACE)
            await client.get_node(ua.NodeId("Ctl.Faulty", ns)).write_value(ua.Variant(faulty, ua.VariantType.Boolean))
            node = client.get_node(ua.NodeId("Faulty.Double", ns))
            while (await node.read_data_value(raise_on_bad_status=False)).StatusCode.is_good() == faulty:
                await asyncio.sleep(0.02)  # until the peer's scan has applied it

    asyncio.run(write())


@pytest.fixture
def faulty(plc: AsyncuaPlc) -> Iterator[AsyncuaPlc]:
    set_faulty(plc, True)
    yield plc
    set_faulty(plc, False)


def test_fail_on_degraded_exits_0_when_every_sample_was_good(tmp_path: Path, plc: AsyncuaPlc) -> None:
    model = hil_model(tmp_path / "loop.yaml", plc.url, plc.node_id("Cmd"), plc.node_id("Feedback"))
    result = simulate(model, "--hil", "--duration", "1", "--quiet", "--fail-on-degraded", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["degraded"] is False
    quality = summary["io"]["quality"]
    assert quality["stale"] == quality["bad"] == 0 and quality["ticks"] == summary["ticks"]
    assert summary["io"]["dropped_writes"] == 0
    with (tmp_path / "out" / "telemetry.csv").open(newline="") as fh:
        header, *rows = list(csv.reader(fh))
    i = header.index("fb.in:quality")
    assert header[i - 1] == "fb.in" and {row[i] for row in rows} == {"0"}


def test_fail_on_degraded_exits_4_when_the_plc_answered_bad(tmp_path: Path, faulty: AsyncuaPlc) -> None:
    model = hil_model(tmp_path / "loop.yaml", faulty.url, faulty.node_id("Cmd"), faulty.node_id("Faulty.Double"))
    result = simulate(model, "--hil", "--duration", "1", "--quiet", "--fail-on-degraded", "--out", tmp_path / "out")
    assert result.returncode == 4, result.stderr
    assert "error: the run was degraded" in result.stderr and "bad of" in result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["degraded"] is True  # the files are written all the same
    quality = summary["io"]["quality"]
    assert quality["bad"] == quality["ticks"] == summary["ticks"] and quality["bad_ratio"] == 1.0
    assert quality["bindings"][0]["port"] == "fb.in" and quality["bindings"][0]["bad"] == quality["bad"]
    with (tmp_path / "out" / "telemetry.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["fb.in:quality"] for row in rows} == {"2"}


def test_without_the_flag_a_degraded_run_exits_0_with_a_warning(tmp_path: Path, faulty: AsyncuaPlc) -> None:
    model = hil_model(tmp_path / "loop.yaml", faulty.url, faulty.node_id("Cmd"), faulty.node_id("Faulty.Double"))
    result = simulate(model, "--hil", "--duration", "0.5", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "warning: the run was degraded" in result.stderr
