"""Clocks: as fast as possible, or paced to absolute wall-clock deadlines (generous sanity bounds only)."""

from __future__ import annotations

import time

import pytest

from app.engine import FastClock, Simulator, WallClock
from tests.engine.support import comp, model


def _sim() -> Simulator:
    return Simulator(model([comp("c", "Constant"), comp("g", "Gain")], [("c.out", "g.in")], dt=0.01))


def test_fast_clock_runs_every_tick_without_overruns() -> None:
    sim = _sim()
    clock = FastClock()
    sim.run(ticks=1000, clock=clock)
    assert sim.tick == 1000 and clock.overruns == 0


def test_wall_clock_paces_ticks_to_real_time() -> None:
    sim = _sim()
    clock = WallClock(1.0)
    started = time.perf_counter()
    sim.run(duration=0.2, clock=clock)
    elapsed = time.perf_counter() - started
    assert sim.tick == 20
    assert elapsed >= 0.19  # tick 19 may not start before 0.19 s
    assert sim.wall_time >= 0.19
    assert clock.max_lateness >= clock.mean_lateness >= 0.0
    assert clock.overruns <= 20


def test_wall_clock_time_scale_speeds_up_pacing() -> None:
    sim = _sim()
    clock = WallClock(10.0)
    started = time.perf_counter()
    sim.run(duration=1.0, clock=clock)  # 100 ticks of 1 ms wall time each
    assert sim.tick == 100 and time.perf_counter() - started >= 0.099


def test_wall_clock_counts_a_late_tick_as_an_overrun() -> None:
    sim = _sim()
    clock = WallClock(1.0)
    sim.run(ticks=5, clock=clock, on_tick=lambda s: time.sleep(0.05) if s.tick == 2 else None)
    assert clock.overruns >= 1
    assert clock.max_lateness >= 0.03


def test_wall_clock_restarts_deadlines_for_a_continued_run() -> None:
    sim = _sim()
    clock = WallClock(1.0)
    sim.run(ticks=3, clock=clock)
    time.sleep(0.05)
    sim.run(ticks=3, clock=clock)  # no catch-up burst counted as overruns
    assert clock.overruns == 0 or clock.max_lateness < 0.05


@pytest.mark.parametrize("scale", [0.05, 150.0])
def test_wall_clock_refuses_time_scale_outside_range(scale: float) -> None:
    with pytest.raises(ValueError):
        WallClock(scale)
