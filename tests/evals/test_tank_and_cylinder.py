"""Evals: a tank filling at constant inflow, and cylinders reaching their end switches on time.

Tank: level(t) = q t / A until full (t_full = H A / q), then held at H with overflow set;
tolerance 1e-9 m (sums of a constant step). Cylinder: the front switch closes at exactly the first
tick k with k dt >= extend_time, with no tolerance on the tick index.
"""

from __future__ import annotations

import math

import pytest

from tests.engine.support import comp, model, trace

Q, AREA, HEIGHT = 0.002, 0.5, 1.2  # m³/s, m², m  -> full at t = 300 s


@pytest.mark.parametrize("dt", [0.1, 0.5, 2.0])
def test_tank_fills_linearly_until_full_then_overflows(dt: float) -> None:
    ticks = round(400.0 / dt)
    doc = model([comp("q", "Constant", value=Q), comp("t", "Tank", area=AREA, height=HEIGHT)],
                [("q.out", "t.inflow")], dt=dt)
    out = trace(doc, ["t.level", "t.overflow", "t.volume"], ticks)
    t_full = HEIGHT * AREA / Q
    for n, (level, overflow, volume) in enumerate(zip(out["t.level"], out["t.overflow"], out["t.volume"])):
        t = n * dt
        assert level == pytest.approx(min(Q * t / AREA, HEIGHT), abs=1e-9)
        assert volume == pytest.approx(level * AREA, abs=1e-12)
        if t < t_full - 1e-9:
            assert not overflow
        elif t > t_full + dt + 1e-9:
            assert overflow
    assert max(out["t.level"]) == HEIGHT


def test_tank_fed_by_a_valve_holds_the_integral_of_its_flow() -> None:
    # The valve opens linearly over 10 s, so the volume is max_flow * (t²/20) up to 10 s, then grows by max_flow t.
    dt, max_flow = 0.01, 0.01
    doc = model([comp("v", "Valve", {"command": 1.0}, max_flow=max_flow, travel_time=10.0),
                 comp("t", "Tank", area=1.0, height=100.0)], [("v.flow", "t.inflow")], dt=dt)
    volume = trace(doc, ["t.volume"], 2001)["t.volume"]
    # Discrete sum of opening k*dt/10 over ticks: exact value of the held-input integration.
    expected_10s = max_flow * dt * sum(k * dt / 10.0 for k in range(1000))
    assert volume[1000] == pytest.approx(expected_10s, rel=1e-9)
    assert volume[2000] == pytest.approx(expected_10s + max_flow * 10.0, rel=1e-9)
    assert volume[1000] == pytest.approx(max_flow * 10.0 / 2.0, rel=2e-3)  # continuous answer, O(dt) apart


@pytest.mark.parametrize("dt", [0.001, 0.01, 0.05, 0.1])
@pytest.mark.parametrize("extend_time", [0.3, 0.7, 1.0, 2.5])
def test_cylinder_front_switch_closes_at_the_stroke_time_tick(dt: float, extend_time: float) -> None:
    ticks = round(extend_time / dt) + 5
    doc = model([comp("on", "Step", time=0.0, final=1.0),
                 comp("cmp", "Comparator", threshold=0.5),
                 comp("c", "Cylinder", stroke=80.0, extend_time=extend_time, retract_time=1.0)],
                [("on.out", "cmp.in"), ("cmp.out", "c.extend")], dt=dt)
    out = trace(doc, ["c.extended", "c.position"], ticks)
    expected_tick = math.ceil(extend_time / dt - 1e-9)
    assert out["c.extended"].index(True) == expected_tick
    assert out["c.position"][expected_tick] == 80.0
    assert out["c.position"][expected_tick - 1] < 80.0
