"""Hostile input: the YAML alias bomb (and deep JSON) against the unprotected pipeline and the real server.

Side by side in one run:

* **unprotected** — what the server did before the hardening, in a child process: PyYAML's stock
  ``safe_load`` follows every alias, the model check echoes the expanded value, and the error is rendered
  with ``json.dumps``. Time and peak memory growth of that child.
* **server** — the real app under uvicorn on a free 127.0.0.1 port: median time of the same request and the
  growth of the server's resident and peak memory over all requests.

Targets: a fast 4xx (under 50 ms) with no memory growth (under 5 MB). Prints each figure, its target and
the ratio figure/target (below 1.0 = within target), and the before/after ratios. Not a test.

    python benchmarks/hostile_input.py [--levels 7] [--requests 20]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app.db.migrate import upgrade_to_head  # noqa: E402
from tests.api.live_server import live_server  # noqa: E402
from tests.engine.test_document_limits import alias_bomb  # noqa: E402

TIME_TARGET_S = 0.050
MEMORY_TARGET_MB = 5.0

UNPROTECTED = """
import json, resource, sys, time
import yaml
from app.engine import parse_document
from app.engine._exceptions import DocumentError
text = sys.stdin.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
data = yaml.safe_load(text)
try:
    parse_document(data)
    body = b""
except DocumentError as exc:
    body = json.dumps({"error": {"code": exc.code, "message": exc.message, "details": exc.problems}}).encode()
elapsed = time.perf_counter() - started
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"seconds": elapsed, "grown_mb": grown, "response_bytes": len(body)}))
"""


def unprotected(text: str) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", UNPROTECTED], input=text, capture_output=True, text=True,
                            cwd=ROOT, check=True)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def server_pid(port: int) -> int:
    """The uvicorn child listening on ``port`` (found by its command line)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"uvicorn" in b" ".join(cmdline) and str(port).encode() in cmdline:
                return int(entry.name)
    raise RuntimeError("server process not found")


def measure(base: str, path: str, body: bytes, content_type: str, requests: int) -> dict[str, float]:
    pid = server_pid(int(base.rsplit(":", 1)[1]))
    with httpx.Client(base_url=base, timeout=120) as http:
        http.post(path, content=body, headers={"content-type": content_type})  # warm-up
        before = memory_mb(pid)
        times, sizes, statuses = [], [], set()
        for _ in range(requests):
            started = time.perf_counter()
            response = http.post(path, content=body, headers={"content-type": content_type})
            times.append(time.perf_counter() - started)
            sizes.append(len(response.content))
            statuses.add(response.status_code)
        after = memory_mb(pid)
    return {"seconds": statistics.median(times), "grown_mb": max(after["VmHWM"] - before["VmHWM"],
                                                                  after["VmRSS"] - before["VmRSS"]),
            "response_bytes": max(sizes), "status": min(statuses) if len(statuses) == 1 else -1}


def row(label: str, value: float, target: float, unit: str) -> None:
    print(f"  {label:<34} {value:>10.4f} {unit:<3} target {target:>7.3f} {unit:<3} ratio {value / target:>8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=7, help="alias levels of the bomb (9 ** levels strings)")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    bomb = alias_bomb(args.levels)
    print(f"alias bomb: {len(bomb.encode())} bytes of YAML, {9 ** args.levels:,} strings when expanded")
    before = unprotected(bomb)
    print(f"unprotected pipeline: {before['seconds']:.2f} s, +{before['grown_mb']:.0f} MB peak, "
          f"{before['response_bytes'] / 1e6:.1f} MB error body")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_to_head(url)
        with live_server(url, Path(tmp)) as base:
            project = httpx.post(f"{base}/api/v1/projects", json={"name": "bench"}).json()
            path = f"/api/v1/machine-models/import?project_id={project['id']}"
            after = measure(base, path, bomb.encode(), "application/yaml", args.requests)
            deep = ("[" * 200_000 + "]" * 200_000).encode()
            deep_after = measure(base, "/api/v1/projects", deep, "application/json", args.requests)

    print(f"\nserver, alias bomb ({args.requests} requests): HTTP {after['status']}, "
          f"{after['response_bytes']:.0f} bytes")
    row("median time", after["seconds"], TIME_TARGET_S, "s")
    row("memory growth", max(after["grown_mb"], 0.0) + 1e-9, MEMORY_TARGET_MB, "MB")
    print(f"server, JSON nested 200,000 deep ({len(deep) / 1e6:.1f} MB body): HTTP {deep_after['status']}, "
          f"{deep_after['response_bytes']:.0f} bytes")
    row("median time", deep_after["seconds"], TIME_TARGET_S, "s")
    row("memory growth", max(deep_after["grown_mb"], 0.0) + 1e-9, MEMORY_TARGET_MB, "MB")
    print("\nbefore / after (alias bomb):")
    print(f"  time            {before['seconds'] / after['seconds']:>10.0f}x faster")
    print(f"  response size   {before['response_bytes'] / after['response_bytes']:>10.0f}x smaller")
    print(f"  memory growth   {before['grown_mb']:.0f} MB -> {max(after['grown_mb'], 0.0):.1f} MB")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    raise SystemExit(main())
