"""kill -9 of a real server in the middle of a long recorded run: at the next start the run is aborted at its last
persisted tick, and its telemetry and events are all there but for the last second or so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.live_server import ROOT, free_port
from tests.api.test_simulations import ramp_gain

pytestmark = pytest.mark.timeout(240)

DT = 0.01
TIME_SCALE = 10.0  # 1,000 ticks per wall second
TICKS_PER_SECOND = TIME_SCALE / DT
LOSS_ALLOWED_TICKS = 2 * TICKS_PER_SECOND  # "at most the last ~1-2 s of samples"


def wait_for(check: Any, what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


@contextmanager
def server(database_url: str, data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """uvicorn on a free port in its own process; yields the process (to kill) and the API's base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail("the server exited")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, "the server to start")
        yield process, f"http://127.0.0.1:{port}/api/v1"
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(20)


def test_kill_9_keeps_all_but_the_last_second_and_marks_the_run_aborted_at_its_last_persisted_tick(
    database_url: str, tmp_path: Path
) -> None:
    with server(database_url, tmp_path / "data") as (process, base), httpx.Client(base_url=base, timeout=30) as http:
        project = http.post("/projects", json={"name": "p"}).json()
        model = http.post(f"/machine-models/import?project_id={project['id']}", json=ramp_gain()).json()
        run = http.post("/simulations/start", json={
            "machine_model_id": model["id"], "realtime": True, "time_scale": TIME_SCALE, "record": {}}).json()
        run_id = run["id"]

        def tick() -> int:
            return int(http.get(f"/simulations/{run_id}/status").json()["tick"])

        wait_for(lambda: tick() > 2 * TICKS_PER_SECOND, "the run to tick")
        forced = http.put(f"/simulations/{run_id}/forces", json={"component": "g", "port": "in", "value": -5.0})
        assert forced.status_code == 200, forced.text
        forced_at = tick()
        wait_for(lambda: tick() > forced_at + 3 * TICKS_PER_SECOND, "the run to go on for a while")
        reached = tick()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(20)

    with server(database_url, tmp_path / "data") as (_process, base), httpx.Client(base_url=base, timeout=60) as http:
        status = http.get(f"/simulations/{run_id}/status").json()
        assert status["status"] == "aborted"
        persisted = status["tick"]
        assert f"up to tick {persisted}" in status["error"]
        assert reached - LOSS_ALLOWED_TICKS <= persisted, (reached, persisted)

        body = http.get(f"/simulations/{run_id}/telemetry", params={"ports": "ramp.out,g.in"}).json()
        # Every sample up to the last persisted tick, none missing and none beyond it.
        assert body["times"] == [k * DT for k in range(persisted)]
        assert body["series"]["ramp.out"] == body["times"]
        assert -5.0 in body["series"]["g.in"]  # the force is in the stored telemetry

        events = http.get(f"/simulations/{run_id}/events").json()
        assert [e["kind"] for e in events] == ["started", "force", "finished"]
        assert events[1]["data"]["value"] == -5.0 and events[2]["data"]["status"] == "aborted"
        assert events[2]["tick"] == persisted

        lines = 0
        with http.stream("GET", f"/simulations/{run_id}/telemetry", params={"format": "csv"}) as response:
            assert response.status_code == 200
            for piece in response.iter_text():
                lines += piece.count("\n")
        assert lines == persisted + 1  # the header and every sample

        decimated = http.get(f"/simulations/{run_id}/telemetry",
                             params={"ports": "ramp.out", "max_points": 100}).json()
        assert decimated["decimated"] and decimated["samples"] <= 100
        assert decimated["series"]["ramp.out"][0] == 0.0 and decimated["series"]["ramp.out"][-1] == (persisted - 1) * DT
