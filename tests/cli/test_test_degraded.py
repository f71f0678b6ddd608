"""``run.py test --fail-on-degraded``: exit 4 only when a hil (or replayed) scenario run was degraded; against the
asyncua PLC peer, and with a replayed trace that has gaps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_simulate_degraded import set_faulty
from tests.cli.test_simulate_hil import hil_model
from tests.cli.test_test_command import test_cli, write
from tests.engine.hil.conftest import AsyncuaPlc

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def plc() -> Iterator[AsyncuaPlc]:
    peer = AsyncuaPlc().start()
    yield peer
    peer.stop()


def hil_scenario(tmp_path: Path, plc: AsyncuaPlc, feedback: str, **run: Any) -> Path:
    hil_model(tmp_path / "loop.yaml", plc.url, plc.node_id("Cmd"), plc.node_id(feedback))
    return write(tmp_path / "hil.yaml", {
        "name": "loop in the PLC", "model": "loop.yaml",
        "run": {"duration": 0.5, "mode": "hil", "realtime": True, **run},
        "assertions": [{"name": "sane", "always": "fb.out >= 0"}]})  # fmt: skip


def test_a_hil_scenario_with_every_sample_good_passes_with_the_flag(tmp_path: Path, plc: AsyncuaPlc) -> None:
    result = test_cli(hil_scenario(tmp_path, plc, "Feedback"), "--fail-on-degraded", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    saved = json.loads((tmp_path / "out" / "hil.json").read_text())
    assert saved["degraded"] is False and saved["quality"]["stale"] == saved["quality"]["bad"] == 0


def test_a_hil_scenario_that_read_bad_values_exits_4_with_the_flag_and_0_without(
    tmp_path: Path, plc: AsyncuaPlc
) -> None:
    scenario = hil_scenario(tmp_path, plc, "Faulty.Double")
    set_faulty(plc, True)
    try:
        flagged = test_cli(scenario, "--fail-on-degraded", "--out", tmp_path / "out")
        plain = test_cli(scenario)
    finally:
        set_faulty(plc, False)
    assert flagged.returncode == 4, flagged.stdout + flagged.stderr
    assert "PASS" in flagged.stdout and "degraded:" in flagged.stdout and "bad of" in flagged.stdout
    assert "--fail-on-degraded: degraded run(s): loop in the PLC" in flagged.stderr
    saved = json.loads((tmp_path / "out" / "hil.json").read_text())
    assert saved["degraded"] is True and saved["quality"]["bad"] == saved["quality"]["ticks"] > 0
    header = (tmp_path / "out" / "hil.csv").read_text().splitlines()[0].split(",")
    assert header[header.index("fb.in") + 1] == "fb.in:quality"
    assert plain.returncode == 0, plain.stdout + plain.stderr


def test_a_replayed_trace_with_gaps_is_degraded(tmp_path: Path, plc: AsyncuaPlc) -> None:
    scenario = hil_scenario(tmp_path, plc, "Feedback")
    recorded = test_cli(scenario, "--out", tmp_path / "rec")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    trace = (tmp_path / "rec" / "hil.trace.csv").read_text().splitlines()
    assert trace[0] == "time,fb.in"
    gappy = [trace[0], *(line.split(",")[0] + "," if 5 <= i < 8 else line for i, line in enumerate(trace[1:]))]
    (tmp_path / "gappy.csv").write_text("\n".join(gappy) + "\n")
    replay = write(tmp_path / "replay.yaml", {"name": "replayed", "model": "loop.yaml", "run": {"duration": 0.5},
                                              "assertions": [{"name": "sane", "always": "fb.out >= 0"}]})
    clean = test_cli(replay, "--replay", tmp_path / "rec" / "hil.trace.csv", "--fail-on-degraded")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    result = test_cli(replay, "--replay", tmp_path / "gappy.csv", "--fail-on-degraded", "--out", tmp_path / "rep")
    assert result.returncode == 4, result.stdout + result.stderr
    saved = json.loads((tmp_path / "rep" / "replay.json").read_text())
    assert saved["quality"]["stale"] == 3 and saved["quality"]["bindings"][0]["port"] == "fb.in"
