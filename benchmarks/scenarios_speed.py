"""Scenario throughput: 100 scenarios of a 200-component model, 60 simulated s each at dt = 10 ms.

Runs ``python run.py test DIR --jobs 1`` and ``--jobs 2`` on the same generated directory and prints
both wall times and the serial/parallel ratio (target: --jobs 2 under 30 s on 2 cores).

    python benchmarks/scenarios_speed.py [--scenarios 100] [--duration 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def model(groups: int = 40) -> dict:
    """groups x 5 components: a source, a sensor, a limiter, a comparator and a lamp (200 by default)."""
    components, connections = [], []
    for g in range(groups):
        components += [
            {"name": f"src{g}", "type": "Sine", "parameters": {"amplitude": 1.0 + g % 3, "frequency": 0.1 + 0.01 * g}},
            {"name": f"sens{g}", "type": "Sensor", "parameters": {"noise_std": 0.01, "threshold": 0.5}},
            {"name": f"lim{g}", "type": "Limit", "parameters": {}},
            {"name": f"cmp{g}", "type": "Comparator", "parameters": {"threshold": 0.8}},
            {"name": f"lamp{g}", "type": "Lamp"},
        ]
        connections += [
            {"from": f"src{g}.out", "to": f"sens{g}.in"},
            {"from": f"sens{g}.value", "to": f"lim{g}.in"},
            {"from": f"lim{g}.out", "to": f"cmp{g}.in"},
            {"from": f"cmp{g}.out", "to": f"lamp{g}.in"},
        ]
    return {"name": "bench200", "dt": 0.01, "components": components, "connections": connections}


def scenario(i: int, duration: float) -> dict:
    g = i % 40
    return {
        "name": f"bench {i:03d}", "model": "bench200.yaml", "run": {"duration": duration, "seed": i},
        "faults": [{"type": "noise", "port": f"sens{g}.value", "std": 0.05, "mtbf": 10, "mttr": 2},
                   {"type": "stuck", "port": f"src{(g + 1) % 40}.out", "value": 0.0, "at": 20, "for": 5}],
        "assertions": [
            {"name": "sensor bounded", "always": f"abs(sens{g}.value) <= 5"},
            {"name": "lamp lights", "eventually": f"lamp{g}.on", "within": [0, duration]},
            {"name": "lamp follows comparator", "after": f"rising(cmp{g}.out)", "expect": f"lamp{g}.on",
             "within": 0.05},
        ],
    }


def run(directory: Path, jobs: int) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "run.py"), "test", str(directory), "--jobs", str(jobs)],
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"run.py test failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--keep", help="write the scenarios here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(args.keep or tmp)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "bench200.yaml").write_text(yaml.safe_dump(model(), sort_keys=False))
        scen_dir = directory / "scenarios"
        scen_dir.mkdir(exist_ok=True)
        for i in range(args.scenarios):
            data = scenario(i, args.duration)
            data["model"] = "../bench200.yaml"
            (scen_dir / f"s{i:03d}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        print(f"{args.scenarios} scenarios x {args.duration:g} s at dt=0.01 of a 200-component model "
              f"({os.cpu_count()} CPUs)")
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        serial, rc1 = run(scen_dir, 1)
        print(f"--jobs 1: {serial:6.2f} s  (exit {rc1})")
        parallel, rc2 = run(scen_dir, 2)
        print(f"--jobs 2: {parallel:6.2f} s  (exit {rc2})")
        print(f"serial/parallel ratio: {serial / parallel:.2f}   target --jobs 2 < 30 s: "
              f"{'met' if parallel < 30 else 'NOT met'}")
        load = os.getloadavg()[0]
        if load > (os.cpu_count() or 1):
            print(f"note: load average {load:.1f} on {os.cpu_count()} CPUs; other work shared the cores")


if __name__ == "__main__":
    main()
