"""Cost of ``TwinServer.update`` on the engine thread, and what the server loop does with the snapshots.

Run: ``python benchmarks/twin_server_update.py [--ports 2000] [--ticks 3000] [--tick-ms 1] [--changing 0.5]``.
Prints the engine-side cost of one ``update`` call (median, p99) next to the cost of building the same tuple, and
the server-side coalescing (flushes per update, values written per flush).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time

from app.engine.hil.server import PortDescriptor, TwinServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=2000)
    parser.add_argument("--ticks", type=int, default=3000)
    parser.add_argument("--tick-ms", type=float, default=1.0)
    parser.add_argument("--changing", type=float, default=0.5, help="fraction of ports whose value changes per tick")
    args = parser.parse_args()

    kinds = ("float", "int", "bool", "float")
    ports = [
        PortDescriptor(f"c{i // 4}", f"p{i % 4}", "output" if i % 2 else "input", kinds[i % 4])
        for i in range(args.ports)
    ]
    changing = int(args.ports * args.changing)
    started = time.perf_counter()
    with TwinServer("bench", ports, port=free_port()) as twin:
        print(f"start with {args.ports} ports: {time.perf_counter() - started:.2f} s")
        update_us: list[float] = []
        build_us: list[float] = []
        period = args.tick_ms / 1000
        next_tick = time.perf_counter()
        for tick in range(args.ticks):
            t0 = time.perf_counter()
            values = [tick if i < changing else 0 for i in range(args.ports)]
            t1 = time.perf_counter()
            twin.update(values)
            t2 = time.perf_counter()
            build_us.append((t1 - t0) * 1e6)
            update_us.append((t2 - t1) * 1e6)
            next_tick += period
            time.sleep(max(0.0, next_tick - time.perf_counter()))
        time.sleep(0.5)
        stats = twin.stats()
    print(f"update(): median {statistics.median(update_us):.1f} us, p99 {percentile(update_us, 0.99):.1f} us")
    print(f"building the values list: median {statistics.median(build_us):.1f} us (for scale)")
    flushes = max(stats["flushes"], 1)
    print(
        f"server loop: {stats['flushes']} flushes for {stats['updates']} updates "
        f"({stats['flushes'] / max(stats['updates'], 1):.2f} per update), "
        f"{stats['values_written'] / flushes:.0f} values written per flush ({changing} change per tick)"
    )


if __name__ == "__main__":
    main()
