"""HIL I/O benchmark: OpcUaIO versus asyncua's plain ``read_values``/``write_values`` on the same nodes, same run.

    python benchmarks/hil_io.py                       # 100 read + 100 write bindings, asyncua peer
    python benchmarks/hil_io.py --peer node           # same against the node-opcua peer (tests/peers/node)
    python benchmarks/hil_io.py --bindings 1000       # 1,000 + 1,000
    python benchmarks/hil_io.py --paced 60 --period-ms 10   # also a wall-clock paced run: overruns, tick I/O p99

Prints per-call wall time (median, p99) and client CPU per value per direction (``time.process_time`` over many
calls; the server runs in its own process so it is not counted), and the ratio asyncua / OpcUaIO.
Both clients are driven the same way: a synchronous caller handing each call to an asyncio loop in another thread.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asyncua import Client, ua  # noqa: E402

from app.engine.hil import OpcUaIO  # noqa: E402
from app.engine.io import BindingSpec, EndpointSpec  # noqa: E402
from tests.engine.hil.conftest import AsyncuaPlc  # noqa: E402


def start_peer(kind: str, tags: int) -> tuple[Any, str, Callable[[str, int], str]]:
    """Start the chosen PLC peer; return (handle with .stop(), url, node id maker)."""
    if kind == "asyncua":
        plc = AsyncuaPlc("--bench-tags", str(tags), "--scan-ms", "100").start()
        return plc, plc.url, lambda side, i: f"nsu=urn:dtwin:test-plc;s=Bench.{side}.{i}"
    from tests.peers.node_peer import NodePlc

    peer = NodePlc(tags=tags, cycle_ms=100).start()
    return peer, peer.url, lambda side, i: f"nsu={peer.namespace};s=PLC.Bench.{side}_{i:04d}"


class PlainAsyncua:
    """asyncua's own high-level calls behind the same sync-over-loop-thread facade."""

    def __init__(self, url: str, read_ids: list[str], write_ids: list[str]) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.client = Client(url, timeout=4)
        self._call(self.client.connect())
        namespaces = self._call(self.client.get_namespace_array())

        def node(text: str) -> Any:
            uri, rest = text[4:].split(";", 1)
            return self.client.get_node(ua.NodeId.from_string(f"ns={namespaces.index(uri)};{rest}"))

        self.read_nodes = [node(t) for t in read_ids]
        self.write_nodes = [node(t) for t in write_ids]

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def read(self) -> list[Any]:
        return self._call(self.client.read_values(self.read_nodes))

    def write(self, values: list[Any]) -> None:
        self._call(self.client.write_values(self.write_nodes, values))

    def close(self) -> None:
        self._call(self.client.disconnect())
        self.loop.call_soon_threadsafe(self.loop.stop)


def measure(call: Callable[[], Any], iterations: int) -> tuple[list[float], float]:
    samples = []
    cpu0 = time.process_time()
    for _ in range(iterations):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000.0)
    return samples, time.process_time() - cpu0


def pct(samples: list[float], q: float) -> float:
    data = sorted(samples)
    return data[min(len(data) - 1, int(len(data) * q))]


def paced(io: OpcUaIO, n: int, seconds: float, period_ms: float) -> None:
    period = period_ms / 1000.0
    values = [0.0] * n
    overruns = 0
    ticks = 0
    io_ms: list[float] = []
    start = time.perf_counter()
    deadline = start
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        io.read()
        values = [v + 1.0 for v in values]
        io.write(values)
        io_ms.append((time.perf_counter() - t0) * 1000.0)
        ticks += 1
        deadline += period
        remaining = deadline - time.perf_counter()
        if remaining < 0:
            overruns += 1
            deadline = time.perf_counter()  # re-anchor: count each late tick once
        else:
            time.sleep(remaining)
    print(
        f"paced {seconds:g} s at {period_ms:g} ms: ticks={ticks} overruns={overruns} "
        f"tick I/O median={statistics.median(io_ms):.2f} ms p99={pct(io_ms, 0.99):.2f} ms max={max(io_ms):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", choices=["asyncua", "node"], default="asyncua")
    parser.add_argument("--bindings", type=int, default=100, help="read bindings and as many write bindings")
    parser.add_argument("--iterations", type=int, default=0, help="calls per measurement (default scales with size)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best-of is not used: all count)")
    parser.add_argument("--paced", type=float, default=0.0, help="seconds of a wall-clock paced run (0: skip)")
    parser.add_argument("--period-ms", type=float, default=10.0)
    args = parser.parse_args()
    n = args.bindings
    iterations = args.iterations or max(20, 30_000 // n)

    peer, url, node_id = start_peer(args.peer, n)
    try:
        read_ids = [node_id("Out", i) for i in range(n)]
        write_ids = [node_id("In", i) for i in range(n)]
        io = OpcUaIO([EndpointSpec("plc", url)])
        io.open(
            [BindingSpec(f"r{i}.x", "plc", t, "read") for i, t in enumerate(read_ids)],
            [BindingSpec(f"w{i}.x", "plc", t, "write") for i, t in enumerate(write_ids)],
        )
        plain = PlainAsyncua(url, read_ids, write_ids)
        values = [float(i) for i in range(n)]
        for _ in range(10):  # warm-up
            io.read(), plain.read(), io.write(values), plain.write(values)
        results: dict[str, tuple[list[float], float]] = {}
        cases: dict[str, Callable[[], Any]] = {
            "OpcUaIO read": io.read,
            "asyncua read_values": plain.read,
            "OpcUaIO write": lambda: io.write(values),
            "asyncua write_values": lambda: plain.write(values),
        }
        for _ in range(args.rounds):
            for name, call in cases.items():
                samples, cpu = measure(call, iterations)
                prev = results.get(name, ([], 0.0))
                results[name] = (prev[0] + samples, prev[1] + cpu)
        calls = iterations * args.rounds
        print(f"peer={args.peer} bindings={n}+{n} calls per case={calls}")
        print(f"{'case':24s} {'median ms':>10s} {'p99 ms':>8s} {'CPU us/value':>13s}")
        cpu_per_value = {}
        for name, (samples, cpu) in results.items():
            cpu_per_value[name] = cpu / (calls * n) * 1e6
            median, p99 = statistics.median(samples), pct(samples, 0.99)
            print(f"{name:24s} {median:10.3f} {p99:8.3f} {cpu_per_value[name]:13.3f}")
        for direction, ours, theirs in (
            ("read", "OpcUaIO read", "asyncua read_values"),
            ("write", "OpcUaIO write", "asyncua write_values"),
        ):
            ratio = cpu_per_value[theirs] / cpu_per_value[ours]
            speed = statistics.median(results[theirs][0]) / statistics.median(results[ours][0])
            print(f"{direction}: client CPU per value asyncua/OpcUaIO = {ratio:.2f}x, median latency {speed:.2f}x")
        if args.paced:
            paced(io, n, args.paced, args.period_ms)
            print("OpcUaIO stats:", {k: io.stats()[k] for k in ("state", "read_ms", "write_ms")})
        plain.close()
        io.close()
    finally:
        peer.stop()


if __name__ == "__main__":
    main()
