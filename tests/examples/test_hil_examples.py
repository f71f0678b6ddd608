"""The one-machine HIL example: the plant twin served over OPC UA, the controller twin bound to it."""

from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "hil"

pytestmark = pytest.mark.timeout(120)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def simulate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(ROOT / "run.py"), "simulate", *map(str, args)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=90)


def test_the_controller_closes_the_loop_over_opc_ua_and_its_trace_replays(tmp_path: Path) -> None:
    port = free_port()
    plant = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "simulate", str(EXAMPLES / "tank_plant.yaml"), "--duration", "120",
         "--opcua-server", str(port), "--quiet", "--out", str(tmp_path / "plant")],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not accepts(port):
            assert plant.poll() is None, plant.stderr.read() if plant.stderr else "plant exited"
            assert time.monotonic() < deadline, "the plant twin did not start serving"
            time.sleep(0.2)
        controller = tmp_path / "level_controller.yaml"
        controller.write_text((EXAMPLES / "level_controller.yaml").read_text().replace(":4841", f":{port}"))
        live = simulate(controller, "--hil", "--duration", "3", "--quiet", "--out", tmp_path / "live")
        assert live.returncode == 0, live.stderr
    finally:
        plant.terminate()
        plant.wait(timeout=30)

    summary = json.loads((tmp_path / "live" / "summary.json").read_text())
    assert summary["io"]["binding_errors"] == [] and summary["io"]["reconnects"] == 0
    with (tmp_path / "live" / "telemetry.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    levels = [float(r["level_pid.measurement"]) for r in rows]
    assert len(set(levels)) > 10 and all(0.0 < x < 1.0 for x in levels)  # live, noisy plant readings
    assert float(rows[-1]["level_pid.out"]) > 0.0  # the controller opens the plant's inlet valve

    replay = simulate(controller, "--replay", tmp_path / "live" / "trace.csv", "--duration", "3", "--quiet",
                      "--out", tmp_path / "replay")
    assert replay.returncode == 0, replay.stderr
    assert (tmp_path / "replay" / "telemetry.csv").read_bytes() == (tmp_path / "live" / "telemetry.csv").read_bytes()
