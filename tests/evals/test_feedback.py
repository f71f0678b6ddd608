"""Evals: closed loops through stateful outputs simulate correctly.

- x' = -a x built from Gain + Integrator equals the forward-Euler solution (1 - a dt)^n to 1e-12
  relative, and e^{-a t} within 1.01 * a dt / (2e) (first-order convergence, checked at two dt).
- A UnitDelay accumulator counts ticks exactly.
- A PID heater loop settles to its setpoint within 0.05 °C and stays within its output limits.
"""

from __future__ import annotations

import math

import pytest

from tests.engine.support import comp, model, trace

A = 2.0


def decay_trace(dt: float, seconds: float = 3.0) -> list[float]:
    doc = model([comp("x", "Integrator", initial=1.0), comp("g", "Gain", k=-A)],
                [("x.out", "g.in"), ("g.out", "x.in")], dt=dt)
    return trace(doc, ["x.out"], round(seconds / dt) + 1)["x.out"]


@pytest.mark.parametrize("dt", [1e-3, 1e-2])
def test_gain_integrator_loop_is_forward_euler_exactly(dt: float) -> None:
    xs = decay_trace(dt)
    assert xs == pytest.approx([(1.0 - A * dt) ** n for n in range(len(xs))], rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("dt", [1e-3, 5e-4])
def test_gain_integrator_loop_follows_exponential_decay(dt: float) -> None:
    xs = decay_trace(dt)
    # max over t of |(1 - a dt)^(t/dt) - e^(-a t)| is a dt / (2e) to first order; 1 % covers the rest.
    bound = 1.01 * A * dt / (2.0 * math.e)
    worst = max(abs(x - math.exp(-A * n * dt)) for n, x in enumerate(xs))
    assert worst < bound


def test_halving_dt_halves_the_decay_error() -> None:
    def err(dt: float) -> float:
        return max(abs(x - math.exp(-A * n * dt)) for n, x in enumerate(decay_trace(dt)))

    assert err(1e-3) / err(5e-4) == pytest.approx(2.0, rel=0.01)


def test_unit_delay_accumulator_counts_ticks() -> None:
    doc = model([comp("one", "Constant", value=1.0), comp("s", "Sum"), comp("z", "UnitDelay")],
                [("one.out", "s.in1"), ("z.out", "s.in2"), ("s.out", "z.in")])
    out = trace(doc, ["z.out", "s.out"], 50)
    assert out["z.out"] == [float(n) for n in range(50)]
    assert out["s.out"] == [float(n + 1) for n in range(50)]


def test_pid_heater_loop_settles_to_setpoint() -> None:
    setpoint = 60.0
    doc = model([
        comp("sp", "Constant", value=setpoint),
        comp("pid", "PID", kp=0.05, ki=0.0005, out_min=0.0, out_max=1.0),
        comp("amp", "Gain", k=2000.0),
        comp("h", "Heater", max_power=2000.0, thermal_mass=5000.0, loss_coefficient=10.0, ambient=20.0,
             initial_temperature=20.0),
    ], [("sp.out", "pid.setpoint"), ("h.temperature", "pid.measurement"), ("pid.out", "amp.in"),
        ("amp.out", "h.power")], dt=1.0)
    out = trace(doc, ["h.temperature", "pid.out"], 3600)
    temps, u = out["h.temperature"], out["pid.out"]
    assert all(0.0 <= x <= 1.0 for x in u)
    assert max(temps[-600:]) - setpoint < 0.05 and setpoint - min(temps[-600:]) < 0.05
    # At equilibrium the heater delivers the loss at the setpoint: k (T - Ta) = 400 W = 0.2 of full power.
    assert u[-1] == pytest.approx(0.2, abs=1e-3)
