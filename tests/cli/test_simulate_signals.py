"""``run.py simulate`` stopped by SIGTERM (what CI timeouts send) or Ctrl-C keeps its files, as a real subprocess."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.live_server import ROOT

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("signum", "exit_code", "status"),
    [(signal.SIGTERM, 143, "aborted"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_stopped_run_keeps_telemetry_summary_and_events(
    tmp_path: Path, signum: int, exit_code: int, status: str
) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "run.py", "simulate", "examples/heated_tank.yaml", "--duration", "3600", "--realtime",
         "--time-scale", "5", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:  # the run starts ticking right after this line
            if "Ctrl-C stops and keeps the results" in line:
                break
        else:
            pytest.fail(f"the run did not start (exit {process.wait()})")
        process.send_signal(signum)
        assert process.wait(60) == exit_code, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == status
    assert summary["error"] == ("stopped by SIGTERM" if signum == signal.SIGTERM else None)
    assert summary["ticks"] < summary["requested_ticks"]
    rows = (out / "telemetry.csv").read_text().splitlines()
    assert rows[0].startswith("time,") and len(rows) == summary["rows"] + 1 >= 2
    with (out / "events.csv").open(newline="") as fh:
        events = list(csv.DictReader(fh))
    assert [e["kind"] for e in events] == ["started", "finished"]
    finished = events[-1]
    assert json.loads(finished["data"]) == {"status": status, "error": summary["error"]}
    assert int(finished["tick"]) == summary["ticks"] and float(finished["t"]) == summary["simulated_time"]
