"""The live stream through a real uvicorn server on a free 127.0.0.1 port, read by the `websockets` library."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.api.test_simulations import ramp_gain

pytestmark = [pytest.mark.timeout(120), pytest.mark.sqlite_only]

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, HZ, SECONDS = 3, 20, 2.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """uvicorn serving the app in its own process; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the server exited"
            if time.monotonic() > deadline:
                pytest.fail("the server did not start")
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(10)


async def watch(url: str) -> dict[str, Any]:
    """Read (and ack) frames for SECONDS; returns what arrived."""
    frames: list[dict[str, Any]] = []
    async with connect(url) as ws:
        schema = json.loads(await ws.recv())
        end = time.monotonic() + SECONDS
        while (left := end - time.monotonic()) > 0:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), left))
            except TimeoutError:
                break
            if message["type"] == "frame":
                frames.append(message)
                await ws.send(json.dumps({"type": "ack", "seq": message["seq"]}))
    return {"schema": schema, "frames": frames}


def test_several_clients_get_frames_at_about_the_requested_rate(server: str) -> None:
    with httpx.Client(base_url=f"{server}/api/v1") as http:
        project = http.post("/projects", json={"name": "loopback"}).json()
        model = http.post(f"/machine-models/import?project_id={project['id']}", json=ramp_gain()).json()
        run = http.post("/simulations/start", json={"machine_model_id": model["id"], "realtime": True}).json()
        url = f"{server.replace('http', 'ws')}/api/v1/simulations/{run['id']}/stream?hz={HZ}"

        async def all_clients() -> list[dict[str, Any]]:
            return await asyncio.gather(*(watch(url) for _ in range(CLIENTS)))

        results = asyncio.run(all_clients())
        http.post(f"/simulations/{run['id']}/stop")
    for result in results:
        assert [p["name"] for p in result["schema"]["ports"]] == ["g.in", "g.out", "ramp.out"]
        frames = result["frames"]
        assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
        ticks = [f["tick"] for f in frames]
        assert ticks == sorted(set(ticks))
        # Roughly the requested rate: well above nothing, never above the cap (plus the first frame).
        assert HZ * SECONDS / 4 <= len(frames) <= HZ * SECONDS + 2, len(frames)
