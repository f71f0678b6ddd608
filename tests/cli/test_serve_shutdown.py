"""``run.py serve`` on SIGTERM: every active run is marked and keeps its data, and the process ends in time."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.db.migrate import upgrade_to_head
from app.db.models import RunTelemetry, RunTelemetryChunk, ScenarioRun, SimulationRun
from app.db.session import dispose_engine, get_session_factory
from app.services.telemetry_codec import decode_chunk
from tests.api.live_server import ROOT, free_port

pytestmark = pytest.mark.timeout(180)

SHUTDOWN_DEADLINE_S = 10.0  # the requirement; the server's own budget is below it (README "Hardening")


def chain(n: int) -> dict[str, Any]:
    components = [{"name": "ramp", "type": "Ramp", "parameters": {"slope": 1.0}}]
    components += [{"name": f"g{i:03d}", "type": "Gain", "parameters": {"k": 1.0}} for i in range(n)]
    connections = [{"from": "ramp.out", "to": "g000.in"}]
    connections += [{"from": f"g{i - 1:03d}.out", "to": f"g{i:03d}.in"} for i in range(1, n)]
    return {"name": "chain", "dt": 0.001, "components": components, "connections": connections}


def wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_sigterm_marks_every_active_run_keeps_its_data_and_exits_in_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    upgrade_to_head(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, "the server to start")
        with httpx.Client(base_url=base, timeout=30) as http:
            project = http.post("/projects", json={"name": "p"}).json()
            model = http.post(f"/machine-models/import?project_id={project['id']}", json=chain(100)).json()
            # A flat-out run recording all 201 ports at every tick: a large recording by the time of the signal.
            big = http.post("/simulations/start", json={"machine_model_id": model["id"], "record": {}}).json()
            paced = http.post("/simulations/start", json={"machine_model_id": model["id"], "realtime": True}).json()
            scenario = http.post(f"/scenarios?machine_model_id={model['id']}", json={
                "name": "hour", "run": {"duration": 3600.0, "realtime": True},
                "assertions": [{"name": "x", "always": "g000.out >= 0"}]}).json()
            scenario_run = http.post(f"/scenarios/{scenario['id']}/run").json()
            wait_for(lambda: http.get(f"/simulations/{big['id']}/status").json()["tick"] > 50_000,
                     "the big run to record")
            wait_for(lambda: http.get(f"/scenario-runs/{scenario_run['id']}").json()["status"] == "running",
                     "the scenario run to start")

        async def hold_stream_and_signal() -> float:
            """Keep a live stream open (shutdown must not wait for it), then send SIGTERM; seconds to exit."""
            from websockets.asyncio.client import connect

            async with connect(f"ws://127.0.0.1:{port}/api/v1/simulations/{paced['id']}/stream") as ws:
                assert json.loads(await ws.recv())["type"] == "schema"
                started = time.monotonic()
                process.send_signal(signal.SIGTERM)
                while process.poll() is None and time.monotonic() - started < 60:
                    await asyncio.sleep(0.05)
                return time.monotonic() - started

        took = asyncio.run(hold_stream_and_signal())
        assert process.poll() is not None, "the server did not exit"
        output = process.stdout.read() if process.stdout else ""
        assert took < SHUTDOWN_DEADLINE_S, f"took {took:.1f} s\n{output}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)

    with get_session_factory(url)() as session:
        runs = {r.id: r for r in session.scalars(select(SimulationRun))}
        assert {runs[big["id"]].status, runs[paced["id"]].status} == {"aborted"}
        assert runs[big["id"]].tick > 10_000 and runs[big["id"]].final_values
        telemetry = session.scalar(select(RunTelemetry).where(RunTelemetry.run_id == big["id"]))
        assert telemetry is not None
        chunks = list(session.scalars(select(RunTelemetryChunk).where(RunTelemetryChunk.run_id == big["id"])))
        samples = sum(c.samples for c in chunks)
        _times, columns, _kinds = decode_chunk(chunks[-1].data)
        assert samples > 10_000 and samples == telemetry.samples and len(columns) == 201 and len(telemetry.ports) == 201
        stopped = session.get(ScenarioRun, scenario_run["id"])
        assert stopped is not None and stopped.status == "aborted" and "server stopped" in (stopped.error or "")
    dispose_engine(url)
