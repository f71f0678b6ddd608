"""HIL run benchmark: the whole engine paced to the wall clock with a PLC peer in the loop (TwinLink + OpcUaIO).

    python benchmarks/hil_run.py                      # both peers, 60 s per case
    python benchmarks/hil_run.py --peer node --seconds 10

Cases (the targets of the HIL issue):
  1. 100 read + 100 write bindings, 10 ms tick, 500-component model, against each chosen peer:
     overruns (target 0) and per-tick I/O time read+write, median and p99 (target p99 < 8 ms, ratio printed).
  2. 1,000 + 1,000 bindings, 100 ms tick, node-opcua peer: overruns (target 0).

The peers run in their own processes on this machine, so they compete for the same cores: print the load
average next to the figures and compare runs on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.engine import Simulator, parse_document  # noqa: E402
from app.engine.hil.runner import TwinLink  # noqa: E402
from tests.engine.hil.conftest import AsyncuaPlc  # noqa: E402

TARGET_P99_MS = 8.0


def start_peer(kind: str, tags: int) -> tuple[Any, str, Any]:
    """(handle with .stop(), url, node id maker(side, i)) for the chosen peer with ``tags`` bench pairs."""
    if kind == "asyncua":
        plc = AsyncuaPlc("--bench-tags", str(tags), "--scan-ms", "100").start()
        return plc, plc.url, lambda side, i: f"nsu=urn:dtwin:test-plc;s=Bench.{side}.{i}"
    from tests.peers.node_peer import NodePlc

    peer = NodePlc(tags=tags, cycle_ms=100).start()
    return peer, peer.url, lambda side, i: f"nsu={peer.namespace};s=PLC.Bench.{side}_{i:04d}"


def bench_document(url: str, node: Any, bound: int, components: int, dt: float) -> dict[str, Any]:
    """``bound`` Gains read their input from the PLC and write their output back; the rest is Sine -> Gain pairs."""
    comps: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    connections: list[dict[str, str]] = []
    for i in range(bound):
        comps.append({"name": f"io{i}", "type": "Gain", "inputs": {"in": 0.0}})
        bindings.append({"port": f"io{i}.in", "endpoint": "plc", "node_id": node("Out", i), "direction": "read"})
        bindings.append({"port": f"io{i}.out", "endpoint": "plc", "node_id": node("In", i), "direction": "write"})
    for i in range(max(0, components - bound) // 2):
        comps.append({"name": f"sine{i}", "type": "Sine", "parameters": {"frequency": 0.5 + i % 7}})
        comps.append({"name": f"gain{i}", "type": "Gain", "parameters": {"k": 1.5}})
        connections.append({"from": f"sine{i}.out", "to": f"gain{i}.in"})
    return {
        "schema_version": 1,
        "name": "hil_bench",
        "dt": dt,
        "components": comps,
        "connections": connections,
        "endpoints": [{"name": "plc", "url": url}],
        "bindings": bindings,
    }


def pct(samples: list[float], q: float) -> float:
    data = sorted(samples)
    return data[min(len(data) - 1, int(len(data) * q))] if data else float("nan")


def run_case(kind: str, bound: int, components: int, dt: float, seconds: float) -> dict[str, Any]:
    """One paced run; returns overruns, lateness and per-tick I/O times (read+write, ms)."""
    peer, url, node = start_peer(kind, bound)
    try:
        sim = Simulator(parse_document(bench_document(url, node, bound, components, dt)))
        link = TwinLink(sim)
        link.open()
        io = link.io
        assert io is not None
        per_tick: list[float] = []
        read_ms = [0.0]
        read, write = io.read, io.write
        clock = time.perf_counter

        def timed_read() -> Any:
            t0 = clock()
            out = read()
            read_ms[0] = (clock() - t0) * 1000.0
            return out

        def timed_write(values: Any) -> None:
            t0 = clock()
            write(values)
            per_tick.append(read_ms[0] + (clock() - t0) * 1000.0)

        io.read = timed_read  # type: ignore[method-assign]  # instance attributes shadow the methods
        io.write = timed_write  # type: ignore[method-assign]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        try:
            link.run(duration=seconds)
        finally:
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            status = link.status()
            link.close()
        return {
            "peer": kind,
            "bindings": f"{bound}+{bound}",
            "components": len(sim.plan.components),
            "dt_ms": dt * 1000,
            "ticks": sim.tick,
            "overruns": status["overruns"],
            "max_lateness_ms": status["max_lateness"] * 1000,
            "io_median_ms": pct(per_tick, 0.5),
            "io_p99_ms": pct(per_tick, 0.99),
            "read_p99_ms": (status.get("read_ms") or {}).get("p99"),
            "write_p99_ms": (status.get("write_ms") or {}).get("p99"),
            "reconnects": status.get("reconnects"),
            "binding_errors": len(status.get("binding_errors") or []),
            "cpu_share": cpu / wall if wall > 0 else float("nan"),
        }
    finally:
        peer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", choices=("asyncua", "node", "both"), default="both", help="PLC peer(s) for case 1")
    parser.add_argument("--seconds", type=float, default=60.0, help="wall-clock seconds per case (default 60)")
    parser.add_argument("--skip-large", action="store_true", help="skip case 2 (1,000 + 1,000 bindings, node peer)")
    args = parser.parse_args()
    peers = ["asyncua", "node"] if args.peer == "both" else [args.peer]
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; cpus: {os.cpu_count()}")
    results = [run_case(kind, 100, 500, 0.010, args.seconds) for kind in peers]
    if not args.skip_large and args.peer in ("node", "both"):
        results.append(run_case("node", 1000, 1000, 0.100, args.seconds))
    print(f"load average after:  {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    header = (
        f"{'peer':8} {'bindings':>10} {'comps':>5} {'tick':>6} {'ticks':>6} {'overruns':>8} {'late max':>9} "
        f"{'io med':>7} {'io p99':>7} {'p99/8ms':>7} {'rd p99':>7} {'wr p99':>7} {'errs':>4} {'cpu':>5}"
    )
    print(header)
    for r in results:
        print(
            f"{r['peer']:8} {r['bindings']:>10} {r['components']:>5} {r['dt_ms']:>4.0f}ms {r['ticks']:>6} "
            f"{r['overruns']:>8} {r['max_lateness_ms']:>7.2f}ms {r['io_median_ms']:>5.2f}ms {r['io_p99_ms']:>5.2f}ms "
            f"{r['io_p99_ms'] / TARGET_P99_MS:>7.2f} {r['read_p99_ms']:>5.2f}ms {r['write_p99_ms']:>5.2f}ms "
            f"{r['binding_errors']:>4} {r['cpu_share']:>5.0%}"
        )
    print("\nio = per-tick read + write time seen by the tick thread; p99/8ms < 1 meets the target; "
          "cpu = this process's CPU time / wall time (engine + OPC UA client threads).")  # fmt: skip


if __name__ == "__main__":
    main()
