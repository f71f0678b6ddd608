"""Eval: the heater's exponential approach against the closed form.

C dT/dt = P - k (T - Ta)  =>  T(t) = Ta + P/k + (T0 - Ta - P/k) exp(-k t / C).
The heater uses the exact discretisation, so the tolerance is float rounding: 1e-9 relative, at any dt.
"""

from __future__ import annotations

import math

import pytest

from tests.engine.support import comp, model, trace

C, K, TA, T0, P = 8000.0, 12.0, 18.0, 25.0, 1500.0
REL_TOL = 1e-9


def closed_form(t: float) -> float:
    return TA + P / K + (T0 - TA - P / K) * math.exp(-K * t / C)


@pytest.mark.parametrize("dt", [0.01, 0.1, 1.0, 7.5, 60.0])
def test_heater_matches_exponential_approach_at_any_step(dt: float) -> None:
    ticks = round(3000.0 / dt) + 1
    doc = model([comp("src", "Constant", value=P),
                 comp("h", "Heater", max_power=5000.0, thermal_mass=C, loss_coefficient=K, ambient=TA,
                      initial_temperature=T0)], [("src.out", "h.power")], dt=dt)
    temps = trace(doc, ["h.temperature"], ticks)["h.temperature"]
    expected = [closed_form(n * dt) for n in range(ticks)]
    worst = max(abs(a - b) / abs(b) for a, b in zip(temps, expected))
    assert worst < REL_TOL


def test_heater_saturated_power_approaches_the_max_power_equilibrium() -> None:
    doc = model([comp("h", "Heater", {"power": 1e6}, max_power=600.0, thermal_mass=100.0, loss_coefficient=10.0,
                      ambient=0.0, initial_temperature=0.0)], dt=1.0)
    temps = trace(doc, ["h.temperature"], 400)["h.temperature"]
    assert temps[-1] == pytest.approx(60.0 * (1.0 - math.exp(-0.1 * 399)), rel=REL_TOL)
