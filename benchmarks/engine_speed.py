"""Engine speed, measured side by side in one run and printed as ratios against the targets of issue 3.

    python benchmarks/engine_speed.py [--quick]

(a) a chain of 1,000 Gain blocks vs a plain Python loop calling 1,000 trivial functions per tick;
(b) a mixed 1,000-component plant built from the library;
(c) parse + compile + first build of the step function for a 10,000-component, 10,000-connection model;
(d) the same 1,000-block chain on PathSim, if installed (``pip install -r benchmarks/requirements.txt``).
Each figure is the best of a few repeats, run interleaved, so other work on the machine disturbs them alike.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine import Simulator, compile_model, load_document, parse_document  # noqa: E402
from app.engine.compiler import _CODE_CACHE, build_step  # noqa: E402

CHAIN = 1000


# ------------------------------------------------------------------------------------------ models


def gain_chain(n: int = CHAIN) -> dict[str, Any]:
    """A Constant feeding n Gain blocks in series."""
    comps: list[dict[str, Any]] = [{"name": "src", "type": "Constant", "parameters": {"value": 1.0}}]
    conns = []
    prev = "src"
    for i in range(n):
        comps.append({"name": f"g{i}", "type": "Gain", "parameters": {"k": 1.0}})
        conns.append({"from": f"{prev}.out", "to": f"g{i}.in"})
        prev = f"g{i}"
    return {"name": f"gain_chain_{n}", "dt": 0.01, "components": comps, "connections": conns}


def _tank_loop(p: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    comps = [
        {"name": f"{p}sp", "type": "Constant", "parameters": {"value": 1.0}},
        {"name": f"{p}pid", "type": "PID", "parameters": {"kp": 2.0, "ki": 0.2}},
        {"name": f"{p}inlet", "type": "Valve", "parameters": {"max_flow": 0.01, "travel_time": 2.0}},
        {"name": f"{p}tank", "type": "Tank", "parameters": {"area": 0.5, "initial_level": 0.2}},
        {"name": f"{p}level", "type": "Sensor", "parameters": {"noise_std": 0.002}},
        {"name": f"{p}outlet", "type": "Valve", "parameters": {"max_flow": 0.004}, "inputs": {"command": 0.5}},
    ]
    conns = [("sp.out", "pid.setpoint"), ("level.value", "pid.measurement"), ("pid.out", "inlet.command"),
             ("inlet.flow", "tank.inflow"), ("outlet.flow", "tank.outflow"), ("tank.level", "level.in")]
    return comps, conns


def _heater_loop(p: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    comps = [
        {"name": f"{p}tsp", "type": "Constant", "parameters": {"value": 60.0}},
        {"name": f"{p}tpid", "type": "PID", "parameters": {"kp": 200.0, "ki": 5.0, "out_max": 2000.0}},
        {"name": f"{p}heater", "type": "Heater"},
        {"name": f"{p}temp", "type": "Sensor", "parameters": {"noise_std": 0.05}},
    ]
    conns = [("tsp.out", "tpid.setpoint"), ("temp.value", "tpid.measurement"), ("tpid.out", "heater.power"),
             ("heater.temperature", "temp.in")]
    return comps, conns


def _motor_line(p: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    comps = [
        {"name": f"{p}start", "type": "Step", "parameters": {"time": 0.5}},
        {"name": f"{p}run", "type": "Comparator", "parameters": {"threshold": 0.5}},
        {"name": f"{p}motor", "type": "Motor"},
        {"name": f"{p}gear", "type": "Gain", "parameters": {"k": 0.0003}},
        {"name": f"{p}belt", "type": "Conveyor"},
        {"name": f"{p}amps", "type": "Sensor", "parameters": {"threshold": 6.0}},
        {"name": f"{p}overload", "type": "Lamp"},
    ]
    conns = [("start.out", "run.in"), ("run.out", "motor.enable"), ("start.out", "motor.load"),
             ("motor.speed", "gear.in"), ("gear.out", "belt.speed"), ("motor.current", "amps.in"),
             ("amps.active", "overload.in")]
    return comps, conns


def _cylinder_cell(p: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    comps = [
        {"name": f"{p}clock", "type": "Pulse", "parameters": {"period": 2.0, "width": 1.0}},
        {"name": f"{p}cmd", "type": "Comparator", "parameters": {"threshold": 0.5}},
        {"name": f"{p}cyl", "type": "Cylinder", "parameters": {"extend_time": 0.5, "retract_time": 0.5}},
        {"name": f"{p}dwell_out", "type": "TimerOn", "parameters": {"preset_time": 0.2}},
        {"name": f"{p}dwell_in", "type": "TimerOn", "parameters": {"preset_time": 0.2}},
        {"name": f"{p}strokes", "type": "Counter", "parameters": {"preset": 1000}},
    ]
    conns = [("clock.out", "cmd.in"), ("cmd.out", "cyl.extend"), ("cyl.extended", "dwell_out.in"),
             ("cyl.retracted", "dwell_in.in"), ("cyl.extended", "strokes.up"), ("dwell_in.q", "strokes.reset")]
    return comps, conns


SUB_PLANTS: list[Callable[[str], tuple[list[dict[str, Any]], list[tuple[str, str]]]]] = [
    _tank_loop, _heater_loop, _motor_line, _cylinder_cell]


def mixed_plant(n_components: int) -> dict[str, Any]:
    """Sub-plants (tank/valve/PID/sensor, heater/PID, motor/belt, cylinder/timers) until exactly n components
    and n connections (padded with a Gain chain hanging off the first tank level)."""
    comps: list[dict[str, Any]] = []
    conns: list[dict[str, str]] = []
    i = 0
    while True:
        prefix = f"u{i}_"
        sub_comps, sub_conns = SUB_PLANTS[i % len(SUB_PLANTS)](prefix)
        if len(comps) + len(sub_comps) > n_components:
            break
        comps.extend(sub_comps)
        conns.extend({"from": prefix + a, "to": prefix + b} for a, b in sub_conns)
        i += 1
    prev = "u0_tank.level"
    for j in range(n_components - len(comps)):
        comps.append({"name": f"pad{j}", "type": "Gain"})
        conns.append({"from": prev, "to": f"pad{j}.in"})
        prev = f"pad{j}.out"
    return {"name": f"mixed_plant_{n_components}", "dt": 0.01, "components": comps, "connections": conns}


# ------------------------------------------------------------------------------------------ measures


def engine_timer(doc_dict: dict[str, Any], ticks: int) -> Callable[[], float]:
    """A callable that runs ``ticks`` ticks of the model and returns the seconds taken."""
    sim = Simulator(parse_document(doc_dict))
    sim.run(ticks=1)  # builds the step function

    def once() -> float:
        started = time.perf_counter()
        sim.run(ticks=ticks)
        return time.perf_counter() - started

    return once


def plain_loop_timer(n: int, ticks: int) -> Callable[[], float]:
    """The practical limit: per tick, call n trivial Python functions, each feeding the next."""

    def make(k: float) -> Callable[[float], float]:
        def f(x: float) -> float:
            return k * x

        return f

    funcs = [make(1.0) for _ in range(n)]

    def once() -> float:
        started = time.perf_counter()
        for _ in range(ticks):
            x = 1.0
            for f in funcs:
                x = f(x)
        return time.perf_counter() - started

    return once


def side_by_side(timers: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Best seconds of each timer, run interleaved so a busy machine slows all of them alike."""
    best = {name: float("inf") for name in timers}
    for _ in range(repeats):
        for name, once in timers.items():
            best[name] = min(best[name], once())
    return best


def compile_times(doc_dict: dict[str, Any], repeats: int) -> dict[str, float]:
    """Seconds for load (JSON text -> dict), parse_document, compile_model, first build_step (the compiled-code
    cache emptied first), and a repeated build_step (served from that cache, as for a second run of the model)."""
    text = json.dumps(doc_dict)
    results: dict[str, list[float]] = {"load": [], "parse": [], "compile": [], "build": [], "cached": []}
    for _ in range(repeats):
        _CODE_CACHE.clear()
        t0 = time.perf_counter()
        data = load_document(text, "json")
        t1 = time.perf_counter()
        doc = parse_document(data)
        t2 = time.perf_counter()
        plan = compile_model(doc)
        t3 = time.perf_counter()
        build_step(plan, [None] * len(plan.components), [], [])
        t4 = time.perf_counter()
        build_step(plan, [None] * len(plan.components), [], [])
        t5 = time.perf_counter()
        for key, value in zip(results, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            results[key].append(value)
    return {k: min(v) for k, v in results.items()}


def pathsim_chain_ticks_per_second(n: int, ticks: int) -> float | None:
    try:
        from pathsim import Connection, Simulation
        from pathsim.blocks import Amplifier, Constant
        from pathsim.solvers import EUF
    except ImportError:
        return None
    src = Constant(1.0)
    blocks: list[Any] = [src]
    conns = []
    prev: Any = src
    for _ in range(n):
        amp = Amplifier(1.0)
        blocks.append(amp)
        conns.append(Connection(prev, amp))
        prev = amp
    dt = 0.01
    sim = Simulation(blocks, conns, dt=dt, Solver=EUF, log=False)
    sim.run(duration=dt, adaptive=False)  # set-up outside the timing
    started = time.perf_counter()
    sim.run(duration=ticks * dt, adaptive=False)
    return ticks / (time.perf_counter() - started)


# ------------------------------------------------------------------------------------------ report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer ticks and repeats (noisier)")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    ticks = 1000 if args.quick else 5000

    plant = mixed_plant(1000)
    best = side_by_side({"chain": engine_timer(gain_chain(CHAIN), ticks), "plain": plain_loop_timer(CHAIN, ticks),
                         "plant": engine_timer(plant, ticks)}, repeats)
    engine_chain, plain, engine_plant = (ticks / best[k] for k in ("chain", "plain", "plant"))
    big = mixed_plant(10_000)
    times = compile_times(big, 2 if args.quick else 3)
    pathsim = pathsim_chain_ticks_per_second(CHAIN, 50 if args.quick else 200)

    rows: list[tuple[str, str, str, float, bool]] = []  # what, target, measured, ratio to target, pass

    def num(x: float) -> str:
        return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"

    def higher(what: str, target: float, measured: float, unit: str) -> None:
        ok = measured >= target
        rows.append((what, f">= {num(target)} {unit}", f"{num(measured)} {unit}", measured / target, ok))

    def lower(what: str, target: float, measured: float, unit: str) -> None:
        rows.append((what, f"< {num(target)} {unit}", f"{num(measured)} {unit}", target / measured, measured < target))

    higher("(a) 1,000-Gain chain", 10_000, engine_chain, "ticks/s")
    higher("(a) chain / plain Python loop", 0.5, engine_chain / plain, "x")
    higher("(b) mixed 1,000-component plant", 2_000, engine_plant, "ticks/s")
    plan_time = times["load"] + times["parse"] + times["compile"]
    lower("(c) 10k model: load+parse+compile_model", 1.0, plan_time, "s")
    lower("(c) 10k model: ... + first build_step", 1.0, plan_time + times["build"], "s")
    lower("(c) 10k model: ... + cached build_step", 1.0, plan_time + times["cached"], "s")

    print(f"Engine speed (best of {repeats}; {ticks} ticks per measure; Python {sys.version.split()[0]})")
    print(f"  plain loop, 1,000 trivial calls/tick: {plain:,.0f} ticks/s (the practical limit)")
    nc, ncx = len(plant["components"]), len(plant["connections"])
    bc, bcx = len(big["components"]), len(big["connections"])
    print(f"  mixed plant: {nc} components, {ncx} connections;  compile model: {bc} components, {bcx} connections")
    ms = {k: f"{v * 1000:.0f} ms" for k, v in times.items()}
    print(f"  10k model, separately: load JSON {ms['load']}, parse_document {ms['parse']}, "
          f"compile_model {ms['compile']}, first build_step {ms['build']}, build_step again (cached) {ms['cached']}")
    print()
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'measure':<{width}}{'target':>18}{'measured':>18}{'measured/target':>17}  result")
    for what, target, measured, ratio, ok in rows:
        print(f"{what:<{width}}{target:>18}{measured:>18}{ratio:>16.2f}x  {'PASS' if ok else 'FAIL'}")
    print()
    if pathsim is None:
        print("(d) 1,000-block chain on PathSim: not installed (pip install -r benchmarks/requirements.txt)")
    else:
        print(f"(d) 1,000-block chain on PathSim (fixed-step EUF): {pathsim:,.1f} ticks/s; "
              f"this engine is {engine_chain / pathsim:,.0f}x faster")
    return 0 if all(r[4] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
