"""``python run.py simulate --hil`` in a real subprocess against the asyncua PLC peer."""

from __future__ import annotations

import csv
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.test_simulate import simulate
from tests.engine.hil.conftest import AsyncuaPlc

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def plc() -> Iterator[AsyncuaPlc]:
    peer = AsyncuaPlc().start()
    yield peer
    peer.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hil_model(path: Path, url: str, cmd_node: str, feedback_node: str) -> Path:
    document: dict[str, Any] = {
        "schema_version": 1,
        "name": "hil_loop",
        "dt": 0.02,
        "components": [
            {"name": "cmd", "type": "Constant", "parameters": {"value": 1.5}},
            {"name": "fb", "type": "Gain", "inputs": {"in": 0.0}},
        ],
        "endpoints": [{"name": "plc", "url": url}],
        "bindings": [
            {"port": "cmd.out", "endpoint": "plc", "node_id": cmd_node, "direction": "write"},
            {"port": "fb.in", "endpoint": "plc", "node_id": feedback_node, "direction": "read"},
        ],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_hil_run_reads_the_plcs_answer_into_the_telemetry(tmp_path: Path, plc: AsyncuaPlc) -> None:
    model = hil_model(tmp_path / "loop.yaml", plc.url, plc.node_id("Cmd"), plc.node_id("Feedback"))
    result = simulate(model, "--hil", "--duration", "1", "--quiet", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    with (tmp_path / "out" / "telemetry.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert float(rows[-1]["fb.out"]) == 3.0  # the PLC's scan: Feedback = Cmd * 2
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["realtime"] is True and summary["io"]["binding_errors"] == []
    assert summary["io"]["read_ms"]["count"] == summary["ticks"] and "overruns" in summary


def test_hil_with_bad_bindings_exits_3_listing_every_problem(tmp_path: Path, plc: AsyncuaPlc) -> None:
    model = hil_model(tmp_path / "bad.yaml", plc.url, plc.node_id("NoSuchTag"), plc.node_id("In.String"))
    result = simulate(model, "--hil", "--duration", "1", "--out", tmp_path / "out")
    assert result.returncode == 3, result.stderr
    lines = result.stderr.splitlines()
    assert any("cmd.out" in line and "NoSuchTag" in line for line in lines)
    assert any("fb.in" in line and "In.String" in line and "String" in line for line in lines)


def test_hil_against_an_unreachable_plc_exits_3_naming_endpoint_and_reason(tmp_path: Path) -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}"
    model = hil_model(tmp_path / "dead.yaml", url, "ns=2;s=Cmd", "ns=2;s=Feedback")
    result = simulate(model, "--hil", "--duration", "1", "--out", tmp_path / "out")
    assert result.returncode == 3, result.stderr
    assert f"endpoint plc ({url})" in result.stderr and "refused" in result.stderr


def test_a_hil_run_records_the_plc_inputs_and_replaying_them_reproduces_its_telemetry(
    tmp_path: Path, plc: AsyncuaPlc
) -> None:
    model = hil_model(tmp_path / "loop.yaml", plc.url, plc.node_id("Cmd"), plc.node_id("Feedback"))
    live = simulate(model, "--hil", "--duration", "1", "--quiet", "--out", tmp_path / "live")
    assert live.returncode == 0, live.stderr
    trace = (tmp_path / "live" / "trace.csv").read_text()
    assert trace.splitlines()[0] == "time,fb.in"
    replay = simulate(model, "--replay", tmp_path / "live" / "trace.csv", "--duration", "1", "--quiet",
                      "--out", tmp_path / "replay")
    assert replay.returncode == 0, replay.stderr
    telemetry = "telemetry.csv"
    assert (tmp_path / "replay" / telemetry).read_bytes() == (tmp_path / "live" / telemetry).read_bytes()


def test_replaying_a_trace_that_does_not_fit_the_model_exits_2(tmp_path: Path) -> None:
    model = hil_model(tmp_path / "loop.yaml", "opc.tcp://127.0.0.1:4840", "ns=2;s=Cmd", "ns=2;s=Feedback")
    (tmp_path / "trace.csv").write_text("time,other.in\n0.0,1.0\n")
    result = simulate(model, "--replay", tmp_path / "trace.csv", "--quiet", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "fb.in" in result.stderr and "other.in" in result.stderr


def test_endpoint_option_points_a_run_at_another_plc(tmp_path: Path, plc: AsyncuaPlc) -> None:
    dead = f"opc.tcp://127.0.0.1:{free_port()}"
    model = hil_model(tmp_path / "loop.yaml", dead, plc.node_id("Cmd"), plc.node_id("Feedback"))
    result = simulate(model, "--hil", "--endpoint", f"plc={plc.url}", "--duration", "1", "--quiet",
                      "--out", tmp_path / "out")  # fmt: skip
    assert result.returncode == 0, result.stderr
    with (tmp_path / "out" / "telemetry.csv").open(newline="") as fh:
        assert float(list(csv.DictReader(fh))[-1]["fb.out"]) == 3.0
    assert yaml.safe_load(model.read_text())["endpoints"][0]["url"] == dead  # the file is left as it is


def test_endpoint_option_with_an_unknown_name_exits_2_with_a_hint(tmp_path: Path) -> None:
    model = hil_model(tmp_path / "loop.yaml", "opc.tcp://127.0.0.1:1", "ns=2;s=Cmd", "ns=2;s=Feedback")
    result = simulate(model, "--hil", "--endpoint", "plcc=opc.tcp://127.0.0.1:4840", "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert "no endpoint 'plcc' (did you mean 'plc'?)" in result.stderr
    for bad in ("plc", "plc=http://x"):
        assert simulate(model, "--hil", "--endpoint", bad, "--out", tmp_path / "o2").returncode == 2
