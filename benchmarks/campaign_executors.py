"""Campaign executors side by side: a 1,000-run campaign on local processes and on a Dask cluster with 2 workers.

The campaign is a noisy ramp through a gain (the tests' small model): 10 gains x 100 seeds, 1 simulated second at
dt = 10 ms each. It runs once in this process (the cost of the runs themselves), then on 2 local processes and on
a Dask scheduler with 2 one-thread workers on loopback (started beforehand; their start-up is printed apart),
interleaved over a few rounds; the best round of each counts. Prints both wall times, their ratio, and each
executor's overhead per run: (wall - serial / 2) / runs, the time per run beyond a perfect split over 2 workers.
Every executor must give the very same result; the script checks it.

    python benchmarks/campaign_executors.py [--seeds 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.campaigns import CampaignResult, dask_executor, run_campaign  # noqa: E402
from tests.engine.campaigns.support import campaign  # noqa: E402
from tests.peers.dask_cluster import DaskCluster  # noqa: E402

WORKERS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="seeds per grid point (10 points)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sweeps = ("g.k=1.5:2.5:10",)
    runs = 10 * args.seeds
    print(f"{runs} runs (10 points x {args.seeds} seeds, 101 ticks each) on {os.cpu_count()} CPUs; "
          f"load average before: {os.getloadavg()[0]:.1f}")

    started = time.perf_counter()
    serial = run_campaign(campaign(seeds=args.seeds, sweeps=sweeps), workers=1)
    serial_time = time.perf_counter() - started
    print(f"{'serial, this process:':<26}{serial_time:6.2f} s  ({serial_time / runs * 1e3:.2f} ms per run)")

    started = time.perf_counter()
    with DaskCluster(workers=WORKERS) as cluster:
        print(f"{'Dask cluster start-up:':<26}{time.perf_counter() - started:6.2f} s  (scheduler + {WORKERS} workers, "
              "not counted below)")
        best = {"local": float("inf"), "dask": float("inf")}
        results: dict[str, CampaignResult] = {}
        with dask_executor(cluster.address) as (executor, threads):
            for _ in range(args.rounds):
                for name in ("local", "dask"):
                    c = campaign(seeds=args.seeds, sweeps=sweeps)
                    t0 = time.perf_counter()
                    if name == "local":
                        results[name] = run_campaign(c, workers=WORKERS)
                    else:
                        results[name] = run_campaign(c, executor=executor, workers=threads)
                    best[name] = min(best[name], time.perf_counter() - t0)
    for name, result in results.items():
        if result.verdicts() != serial.verdicts():
            sys.exit(f"{name}: the result differs from the serial run")
    ideal = serial_time / WORKERS
    for name, label in (("local", f"{WORKERS} local processes:"), ("dask", f"Dask, {WORKERS} workers:")):
        overhead = (best[name] - ideal) / runs
        print(f"{label:<26}{best[name]:6.2f} s  (overhead {overhead * 1e3:+.2f} ms per run over a perfect split)")
    print(f"Dask / local processes: {best['dask'] / best['local']:.2f}   (same {runs} verdicts and numbers on all "
          "three)")
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"note: load average {load:.1f} on {os.cpu_count()} CPUs; other work shared the cores")


if __name__ == "__main__":
    main()
