"""What do live-stream clients cost the server? 20 WebSocket clients x 200 ports x 20 Hz against a paced run.

uvicorn serves the app in a child process (free 127.0.0.1 port, its own SQLite file) and runs a 200-port
model paced in real time (dt 0.01 s: 100 ticks/s). Rounds alternate two phases side by side:

- idle: the run ticks, no stream client;
- streaming: another process holds 20 clients, each streaming all 200 ports at hz=20 and acking every frame.

In each phase the server process's CPU time is read from /proc over a fixed window (no requests meanwhile),
then /health and a list endpoint are timed. Prints CPU as % of one core (and the streaming cost above idle
against the 15 % target), frames/s per client, and request latency median/p95 streaming vs idle as ratios
against the 2x target.

    python benchmarks/stream_server.py [--clients 20] [--hz 20] [--window 5] [--requests 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

CPU_TARGET = 15.0  # % of one core for the stream clients
LATENCY_TARGET = 2.0  # streaming / idle


def model_200_ports() -> dict[str, Any]:
    """A sine through 99 Gain blocks plus a constant: 1 + 99 * 2 + 1 = 200 ports."""
    components = [{"name": "src", "type": "Sine", "parameters": {"frequency": 0.5}},
                  {"name": "bias", "type": "Constant", "parameters": {"value": 1.0}}]
    connections = []
    previous = "src"
    for i in range(99):
        components.append({"name": f"g{i:02d}", "type": "Gain", "parameters": {"k": 1.001}})
        connections.append({"from": f"{previous}.out", "to": f"g{i:02d}.in"})
        previous = f"g{i:02d}"
    return {"schema_version": 1, "name": "stream_bench", "dt": 0.01, "components": components,
            "connections": connections}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_percent(pid: int, window: float) -> float:
    start_cpu, start = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return 100.0 * (cpu_seconds(pid) - start_cpu) / (time.monotonic() - start)


def latencies(client: httpx.Client, path: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


# ----------------------------------------------------------------------------------- the client process


async def _client(url: str, seconds: float, warmup: float, counts: list[int], index: int) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None) as ws:
        started = time.monotonic()
        end = started + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                text = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                break
            if text.startswith('{"type":"frame","seq":'):
                seq = text[22 : text.index(",", 22)]  # no need to parse 200 values to ack
                await ws.send('{"type":"ack","seq":' + seq + "}")
                if time.monotonic() - started >= warmup:
                    counts[index] += 1


def run_clients(url: str, clients: int, seconds: float, warmup: float) -> None:
    counts = [0] * clients

    async def main() -> None:
        await asyncio.gather(*(_client(url, seconds, warmup, counts, i) for i in range(clients)))

    asyncio.run(main())
    print(json.dumps({"frames_per_s": [c / (seconds - warmup) for c in counts]}), flush=True)


# ----------------------------------------------------------------------------------- the benchmark


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--hz", type=int, default=20)
    parser.add_argument("--window", type=float, default=5.0, help="seconds of CPU measurement per phase")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint per phase")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client-process", nargs=4, metavar=("URL", "N", "SECONDS", "WARMUP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_process:
        url, n, seconds, warmup = args.client_process
        run_clients(url, int(n), float(seconds), float(warmup))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="stream-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade_to_head(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(workdir / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    results: dict[str, list[Any]] = {k: [] for k in ("idle_cpu", "stream_cpu", "idle_health", "stream_health",
                                                     "idle_list", "stream_list", "fps")}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.05)
            project = http.post("/api/v1/projects", json={"name": "bench"}).json()
            model = http.post(f"/api/v1/machine-models/import?project_id={project['id']}", json=model_200_ports())
            model.raise_for_status()
            model_id = model.json()["id"]
            run = http.post("/api/v1/simulations/start", json={"machine_model_id": model_id, "realtime": True})
            run.raise_for_status()
            run_id = run.json()["id"]
            list_path = f"/api/v1/components?machine_model_id={model_id}&limit=50"
            stream_url = f"ws://127.0.0.1:{port}/api/v1/simulations/{run_id}/stream?hz={args.hz}"
            latency_seconds = 2 * args.requests * 0.02 + 5  # generous: the clients outlast the latency phase
            warmup = 2.0
            time.sleep(1.0)
            for _ in range(args.rounds):
                results["idle_cpu"].append(cpu_percent(server.pid, args.window))
                results["idle_health"] += latencies(http, "/health", args.requests)
                results["idle_list"] += latencies(http, list_path, args.requests)

                seconds = warmup + args.window + latency_seconds
                clients = subprocess.Popen(
                    [sys.executable, __file__, "--client-process", stream_url, str(args.clients), str(seconds),
                     str(warmup)],
                    stdout=subprocess.PIPE, text=True,
                )
                time.sleep(warmup)
                results["stream_cpu"].append(cpu_percent(server.pid, args.window))
                results["stream_health"] += latencies(http, "/health", args.requests)
                results["stream_list"] += latencies(http, list_path, args.requests)
                out, _ = clients.communicate(timeout=seconds + 60)
                results["fps"] += json.loads(out.strip().splitlines()[-1])["frames_per_s"]
                time.sleep(1.0)
            status = http.get(f"/api/v1/simulations/{run_id}/status").json()
            http.post(f"/api/v1/simulations/{run_id}/stop")
    finally:
        server.terminate()
        server.wait(10)

    idle_cpu, stream_cpu = statistics.median(results["idle_cpu"]), statistics.median(results["stream_cpu"])
    cost = stream_cpu - idle_cpu
    fps = results["fps"]
    print(f"{args.clients} clients x 200 ports x {args.hz} Hz, run paced at 100 ticks/s "
          f"(overruns {status['overruns']}, real-time factor {status['real_time_factor']:.3f}); "
          f"{args.rounds} rounds of {args.window:g} s")
    print(f"server CPU, % of one core: idle run {idle_cpu:.1f}, streaming {stream_cpu:.1f} "
          f"(rounds: {', '.join(f'{c:.1f}' for c in results['stream_cpu'])}); "
          f"stream cost {cost:.1f} % vs target {CPU_TARGET:g} % -> {cost / CPU_TARGET:.2f}x of the budget")
    print(f"frames/s per client: median {statistics.median(fps):.1f}, min {min(fps):.1f}, max {max(fps):.1f} "
          f"(requested {args.hz})")
    for name in ("health", "list"):
        idle, busy = results[f"idle_{name}"], results[f"stream_{name}"]
        med_ratio = statistics.median(busy) / statistics.median(idle)
        p95_ratio = p95(busy) / p95(idle)
        label = "/health" if name == "health" else "GET /components (list, 50 of 101)"
        print(f"{label}: idle median {statistics.median(idle):.2f} ms / p95 {p95(idle):.2f} ms; streaming "
              f"{statistics.median(busy):.2f} / {p95(busy):.2f} ms -> ratio median {med_ratio:.2f}x, "
              f"p95 {p95_ratio:.2f}x (target <= {LATENCY_TARGET:g}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
