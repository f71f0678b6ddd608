"""Does the API stay responsive while a 1,000-component model runs as fast as it can?

For each way of sharing the GIL between the run thread and request handling, start a real server
(uvicorn in a child process on a free 127.0.0.1 port, its own SQLite file), then measure GET /health and
GET /api/v1/simulations/{id}/status latency (median and p99) with no run, and again while an open-ended
run of a chain of 1,000 Gain blocks ticks as fast as possible. Prints the loaded/idle ratios and the
ticks per second the run kept while being polled.

    python benchmarks/api_responsiveness.py [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.migrate import upgrade_to_head  # noqa: E402

COMPONENTS = 1000

# name -> (GIL switch interval, yield interval, yield pause) given to the server as settings;
# 0 = Python's default switch interval / no yield.
VARIANTS: dict[str, tuple[float, float, float]] = {
    "python defaults (5 ms switch, no yield)": (0.0, 0.0, 0.0),
    "sleep(0) every 2 ms": (0.0, 0.002, 0.0),
    "1 ms switch only": (0.001, 0.0, 0.0),
    "1 ms switch + sleep(0.1 ms) every 2 ms (default)": (0.001, 0.002, 0.0001),
}


def chain_document(n: int = COMPONENTS) -> dict[str, Any]:
    """A constant feeding n-1 Gain blocks in a chain: n components."""
    components = [{"name": "src", "type": "Constant", "parameters": {"value": 1.0}}]
    connections = []
    previous = "src"
    for i in range(n - 1):
        name = f"g{i}"
        components.append({"name": name, "type": "Gain", "parameters": {"k": 1.0}})
        connections.append({"from": f"{previous}.out", "to": f"{name}.in"})
        previous = name
    return {"schema_version": 1, "name": "chain", "dt": 0.01, "components": components, "connections": connections}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def latencies(client: httpx.Client, path: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        response = client.get(path)
        out.append(time.perf_counter() - t0)
        response.raise_for_status()
    return out


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def measure(switch: float, yield_every: float, pause: float, requests: int, workdir: Path) -> dict[str, Any]:
    """Start a server with these settings and measure idle vs. loaded latency."""
    db = workdir / f"bench-{time.monotonic_ns()}.db"
    url = f"sqlite:///{db}"
    upgrade_to_head(url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATA_DIR": str(workdir / "data"),
        "RUN_SWITCH_INTERVAL": str(switch),
        "RUN_YIELD_INTERVAL": str(yield_every),
        "RUN_YIELD_PAUSE": str(pause),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.05)
            project = client.post("/api/v1/projects", json={"name": "bench"}).json()
            model = client.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=chain_document())
            model.raise_for_status()
            model_id = model.json()["id"]
            # a finished run gives the idle status request something to read
            done = client.post("/api/v1/simulations/start", json={"machine_model_id": model_id, "duration": 0.01})
            done_id = done.json()["id"]
            time.sleep(0.5)
            idle_health = latencies(client, "/health", requests)
            idle_status = latencies(client, f"/api/v1/simulations/{done_id}/status", requests)

            run = client.post("/api/v1/simulations/start", json={"machine_model_id": model_id}).json()
            time.sleep(0.5)
            first = client.get(f"/api/v1/simulations/{run['id']}/status").json()
            busy_health = latencies(client, "/health", requests)
            busy_status = latencies(client, f"/api/v1/simulations/{run['id']}/status", requests)
            last = client.get(f"/api/v1/simulations/{run['id']}/status").json()
            client.post(f"/api/v1/simulations/{run['id']}/stop")
            ticks_per_s = (last["tick"] - first["tick"]) / max(1e-9, last["wall_time"] - first["wall_time"])
    finally:
        server.terminate()
        server.wait(10)
    return {
        "idle_health": summary(idle_health),
        "busy_health": summary(busy_health),
        "idle_status": summary(idle_status),
        "busy_status": summary(busy_status),
        "ticks_per_s": ticks_per_s,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the median round is printed")
    args = parser.parse_args()
    print(f"{COMPONENTS}-component Gain chain, {args.requests} sequential requests per figure, "
          f"{args.rounds} interleaved rounds; latency in ms; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs\n")
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name, (switch, yield_every, pause) in VARIANTS.items():
                results[name].append(measure(switch, yield_every, pause, args.requests, Path(tmp)))
    header = (f"{'variant':50} {'health idle med/p99':>19} {'running med/p99':>17} {'ratio':>6}   "
              f"{'status idle med/p99':>19} {'running med/p99':>17} {'ratio':>6}   {'ticks/s':>8}")
    print(header)
    print("-" * len(header))
    for name, rounds in results.items():
        cells = []
        for kind in ("health", "status"):
            ratios = sorted(r[f"busy_{kind}"][0] / r[f"idle_{kind}"][0] for r in rounds)
            r = next(r for r in rounds if r[f"busy_{kind}"][0] / r[f"idle_{kind}"][0] == ratios[len(ratios) // 2])
            idle, busy = r[f"idle_{kind}"], r[f"busy_{kind}"]
            cells.append(
                f"{idle[0] * 1e3:9.2f}/{idle[1] * 1e3:<9.2f} {busy[0] * 1e3:8.2f}/{busy[1] * 1e3:<8.2f}"
                f" {busy[0] / idle[0]:6.1f}x"
            )
        ticks = statistics.median(r["ticks_per_s"] for r in rounds)
        print(f"{name:50} {cells[0]}   {cells[1]}   {ticks:8.0f}", flush=True)
    print("\nratio = median latency while the run ticks / median latency with no run (median round)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
