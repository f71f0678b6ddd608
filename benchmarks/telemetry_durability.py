"""What does durable telemetry cost the tick loop, and what does decimation buy when reading a long run?

1. Ticks per second of a recorded run through the server's own RunManager (run thread, GIL sharing as in the
   server, a SQLite file): with incremental persistence (a chunk, the counters and the events written about once a
   second by the run's writer thread) against without (the same run writing everything only at its end), in
   interleaved rounds, median per variant. The model is a chain of 100 Gain blocks, recorded two ways: 11 ports at
   every tick (a typical recording, about a million values per second flat out) and all 201 ports every 4th tick
   (about ten million values per second: it reaches the 20 M-value recording cap in under two seconds).
2. A day of a paced run at dt = 0.1 s recording 10 ports (864,000 samples) stored in chunks of 8,192 samples, as
   the writer grows them, and for comparison in chunks of 10 (one per wall second, what a writer that never grows
   its last chunk would leave); the time to read 3 ports decimated to 2,000 points (the whole day, one hour),
   against reading the full telemetry (every port, every sample), through ``app.services.telemetry.read`` plus
   the JSON encoding a response needs.

    python benchmarks/telemetry_durability.py [--rounds 3] [--ticks 360000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from app.db.base import utcnow  # noqa: E402
from app.db.migrate import upgrade_to_head  # noqa: E402
from app.db.runs import RunTelemetry, SimulationRun  # noqa: E402
from app.db.session import dispose_engine, get_session_factory  # noqa: E402
from app.db.telemetry import RunTelemetryChunk  # noqa: E402
from app.engine import FastClock, Simulator, parse_document  # noqa: E402
from app.services import telemetry  # noqa: E402
from app.services.run_manager import RunHandle, RunManager  # noqa: E402
from app.services.telemetry_codec import encode_chunk  # noqa: E402


def chain(n: int) -> dict[str, Any]:
    components = [{"name": "ramp", "type": "Ramp", "parameters": {"slope": 1.0}}]
    components += [{"name": f"g{i:03d}", "type": "Gain", "parameters": {"k": 1.0}} for i in range(n)]
    connections = [{"from": "ramp.out", "to": "g000.in"}]
    connections += [{"from": f"g{i - 1:03d}.out", "to": f"g{i:03d}.in"} for i in range(1, n)]
    return {"schema_version": 1, "name": "chain", "dt": 0.001, "components": components, "connections": connections}


def new_run(url: str, dt: float) -> int:
    with get_session_factory(url)() as session, session.begin():
        run = SimulationRun(model_name="bench", model_hash="0" * 64, engine_version="bench", mode="sim",
                            status="pending", dt=dt, duration=None, realtime=False, time_scale=1.0, seed=0,
                            record={"ports": None, "every": 1}, tick=0, sim_time=0.0, wall_time=0.0, overruns=0,
                            mean_lateness=0.0, max_lateness=0.0)
        session.add(run)
        session.flush()
        return run.id


def ticks_per_second(
    url: str, flush_interval: float, ticks: int, record: list[str] | None, every: int
) -> tuple[float, float]:
    """One recorded run of ``ticks`` ticks through a RunManager: its ticks per second of ticking, and the seconds
    from its start until everything is stored (what a user waits for: the final write included)."""
    manager = RunManager(url, flush_interval=flush_interval)
    sim = Simulator(parse_document(chain(100)))
    sim.set_recording(record, every)
    handle = RunHandle(new_run(url, sim.dt), sim, ticks * sim.dt, FastClock())
    started = time.perf_counter()
    manager.launch(handle)
    assert handle.thread is not None
    handle.thread.join()
    stored = time.perf_counter() - started
    assert handle.status == "completed", handle.error
    return sim.tick / sim.wall_time, stored


def store_day(url: str, per_chunk: int) -> int:
    """A day at dt = 0.1 s of 10 ports in chunks of ``per_chunk`` samples."""
    dt, samples = 0.1, 864_000
    run_id = new_run(url, dt)
    ports = [f"p{i}.out" for i in range(10)]
    kinds = ["f8"] * 9 + ["b1"]
    rows = []
    now = utcnow()
    for seq, start in enumerate(range(0, samples, per_chunk), start=1):
        ticks = range(start, min(samples, start + per_chunk))
        times = [k * dt for k in ticks]
        columns = [[((k * (i + 1)) % 977) * 0.01 for k in ticks] for i in range(9)] + [[k % 600 < 300 for k in ticks]]
        rows.append({"run_id": run_id, "seq": seq, "first_tick": start, "last_tick": ticks[-1],
                     "first_time": times[0], "last_time": times[-1], "samples": len(times),
                     "data": encode_chunk(times, list(zip(*columns)), kinds), "created_at": now, "updated_at": now})
    with get_session_factory(url)() as session, session.begin():
        session.execute(insert(RunTelemetryChunk), rows)
        session.add(RunTelemetry(run_id=run_id, ports=ports, every=1, samples=samples, truncated=False, data=None))
        session.execute(SimulationRun.__table__.update().where(SimulationRun.id == run_id).values(status="completed"))
    return run_id


def timed_read(url: str, run_id: int, query: telemetry.TelemetryQuery) -> tuple[float, int, int]:
    manager = RunManager(url)
    with get_session_factory(url)() as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        started = time.perf_counter()
        body = telemetry.read(session, run, manager, query)
        text = json.dumps(body)
        return time.perf_counter() - started, body["samples"], len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ticks", type=int, default=360_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_to_head(url)

        print(f"1. recorded run, chain of 100 Gains, {args.ticks:,} ticks per round, {args.rounds} rounds")
        for label, record, every in (("11 ports every tick", ["g00*.out", "ramp.out"], 1),
                                     ("201 ports every 4th tick", None, 4)):
            results: dict[str, list[float]] = {"incremental": [], "at the end only": []}
            stored: dict[str, list[float]] = {"incremental": [], "at the end only": []}
            for _ in range(args.rounds):
                for name, interval in (("incremental", 1.0), ("at the end only", 1e9)):
                    rate, seconds = ticks_per_second(url, interval, args.ticks, record, every)
                    results[name].append(rate)
                    stored[name].append(seconds)
            medians = {name: statistics.median(values) for name, values in results.items()}
            waits = {name: statistics.median(values) for name, values in stored.items()}
            print(f"   {label}:")
            for name, values in results.items():
                rounds = ", ".join(f"{v:,.0f}" for v in values)
                print(f"   {name:>18}: {medians[name]:9,.0f} ticks/s, stored after {waits[name]:.2f} s"
                      f"  (rounds: {rounds})")
            rate_ratio = medians["incremental"] / medians["at the end only"]
            wait_ratio = waits["incremental"] / waits["at the end only"]
            print(f"   ratio incremental / at the end: ticks/s {rate_ratio:.3f}, time until stored {wait_ratio:.3f}")

        print("2. a day of a paced run: dt 0.1 s, 10 ports, 864,000 samples")
        decimated = telemetry.TelemetryQuery(ports=["p0.out", "p4.out", "p9.out"], max_points=2000)
        hour = telemetry.TelemetryQuery(start=43_200.0, end=46_800.0, ports=["p0.out", "p4.out", "p9.out"],
                                        max_points=2000)
        full = telemetry.TelemetryQuery()
        for per_chunk in (8192, 10):
            started = time.perf_counter()
            run_id = store_day(url, per_chunk)
            chunks = -(-864_000 // per_chunk)
            stored_in = time.perf_counter() - started
            print(f"   chunks of {per_chunk} samples ({chunks:,} chunks, stored in {stored_in:.1f} s)")
            took: dict[str, float] = {}
            for name, query in (("3 ports, whole day, max_points 2000", decimated),
                                ("3 ports, one hour, max_points 2000", hour), ("full telemetry", full)):
                seconds, rows, size = timed_read(url, run_id, query)
                took[name] = seconds
                print(f"   {name:>36}: {seconds:7.3f} s, {rows:,} rows, {size / 1e6:.1f} MB of JSON")
            day, one_hour, everything = took.values()
            print(f"   ratio full / decimated day: {everything / day:.1f}x; full / decimated hour: "
                  f"{everything / one_hour:.1f}x")
        dispose_engine(url)


if __name__ == "__main__":
    main()
