"""Sources, signal blocks, logic and control, each on its own, checked tick by tick."""

from __future__ import annotations

import math

import pytest

from tests.engine.support import comp, drive, model, trace

T, F = True, False


# ------------------------------------------------------------------------------------------ sources


def test_constant_outputs_its_value_every_tick() -> None:
    out = trace(model([comp("c", "Constant", value=-2.5)]), ["c.out"], 3)["c.out"]
    assert out == [-2.5, -2.5, -2.5]


def test_step_jumps_at_its_time() -> None:
    out = trace(model([comp("s", "Step", initial=1.0, final=4.0, time=0.3)], dt=0.1), ["s.out"], 6)["s.out"]
    assert out == [1.0, 1.0, 1.0, 4.0, 4.0, 4.0]


def test_step_is_not_late_when_tick_time_rounds_below_the_step_time() -> None:
    # 3 * 0.3 == 0.8999999999999999 < 0.9 in floating point.
    out = trace(model([comp("s", "Step", time=0.9)], dt=0.3), ["s.out"], 5)["s.out"]
    assert out == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_ramp_rises_at_slope_from_start_time() -> None:
    out = trace(model([comp("r", "Ramp", slope=2.0, start_time=0.2, offset=1.0)], dt=0.1), ["r.out"], 5)["r.out"]
    assert out == pytest.approx([1.0, 1.0, 1.0, 1.2, 1.4])


def test_sine_follows_amplitude_frequency_offset_phase() -> None:
    doc = model([comp("s", "Sine", amplitude=2.0, frequency=0.5, offset=1.0, phase=math.pi / 2)], dt=0.25)
    out = trace(doc, ["s.out"], 9)["s.out"]
    expected = [1.0 + 2.0 * math.cos(math.pi * k * 0.25) for k in range(9)]
    assert out == pytest.approx(expected, abs=1e-12)


def test_pulse_is_high_for_width_every_period_after_delay() -> None:
    doc = model([comp("p", "Pulse", period=0.4, width=0.2, delay=0.2, high=5.0, low=-1.0)], dt=0.1)
    out = trace(doc, ["p.out"], 10)["p.out"]
    assert out == [-1, -1, 5, 5, -1, -1, 5, 5, -1, -1]


def test_pulse_starts_every_period_despite_tick_time_rounding() -> None:
    # (k * 0.1) % 0.3 is 0.2999... at some period starts; the pulse must still rise there.
    out = trace(model([comp("p", "Pulse", period=0.3, width=0.1)], dt=0.1), ["p.out"], 300)["p.out"]
    assert out == [1.0 if k % 3 == 0 else 0.0 for k in range(300)]


# ------------------------------------------------------------------------------------------ blocks


def test_gain_multiplies_by_k() -> None:
    doc = model([comp("c", "Constant", value=4.0), comp("g", "Gain", k=-2.5)], [("c.out", "g.in")])
    assert trace(doc, ["g.out"], 2)["g.out"] == [-10.0, -10.0]


@pytest.mark.parametrize(("signs", "expected"), [("++", 8.0), ("+-", -2.0), ("-+", 2.0), ("--", -8.0)])
def test_sum_applies_signs(signs: str, expected: float) -> None:
    doc = model([comp("s", "Sum", {"in1": 3.0, "in2": 5.0}, signs=signs)])
    assert trace(doc, ["s.out"], 1)["s.out"] == [expected]


def test_sum_unconnected_inputs_default_to_zero() -> None:
    doc = model([comp("c", "Constant", value=7.0), comp("s", "Sum", signs="-+")], [("c.out", "s.in2")])
    assert trace(doc, ["s.out"], 1)["s.out"] == [7.0]


def test_product_multiplies_inputs() -> None:
    doc = model([comp("p", "Product", {"in1": 3.0, "in2": -4.0})])
    assert trace(doc, ["p.out"], 1)["p.out"] == [-12.0]


def test_limit_clamps_to_lower_and_upper() -> None:
    out = drive("Limit", {"in": [-5.0, -1.0, 0.5, 2.0, 9.0]}, ["out"], lower=-1.0, upper=2.0)["out"]
    assert out == [-1.0, -1.0, 0.5, 2.0, 2.0]


def test_comparator_switches_with_hysteresis() -> None:
    seq = [0.0, 1.05, 1.15, 1.0, 0.95, 0.85, 0.95, 1.2]
    out = drive("Comparator", {"in": seq}, ["out"], threshold=1.0, hysteresis=0.2)["out"]
    assert out == [F, F, T, T, T, F, F, T]


def test_comparator_without_hysteresis_switches_at_threshold() -> None:
    out = drive("Comparator", {"in": [0.0, 0.5, 0.51, 0.49]}, ["out"], threshold=0.5)["out"]
    assert out == [F, F, T, F]


def test_and_truth_table() -> None:
    out = drive("And", {"in1": [F, F, T, T], "in2": [F, T, F, T]}, ["out"])["out"]
    assert out == [F, F, F, T]


def test_or_truth_table() -> None:
    out = drive("Or", {"in1": [F, F, T, T], "in2": [F, T, F, T]}, ["out"])["out"]
    assert out == [F, T, T, T]


def test_not_inverts() -> None:
    assert drive("Not", {"in": [F, T]}, ["out"])["out"] == [T, F]


def test_unit_delay_outputs_previous_input() -> None:
    out = drive("UnitDelay", {"in": [1.0, 2.0, 3.0, 4.0]}, ["out"], initial=-1.0)["out"]
    assert out == [-1.0, 1.0, 2.0, 3.0]


def test_integrator_accumulates_k_times_input_times_dt() -> None:
    doc = model([comp("i", "Integrator", {"in": 2.0}, k=0.5, initial=1.0)], dt=0.1)
    out = trace(doc, ["i.out"], 5)["i.out"]
    assert out == pytest.approx([1.0, 1.1, 1.2, 1.3, 1.4])


def test_integrator_holds_at_limits() -> None:
    seq = [10.0] * 4 + [-10.0] * 6
    out = drive("Integrator", {"in": seq}, ["out"], dt=0.1, lower=-1.5, upper=2.0)["out"]
    assert out == pytest.approx([0.0, 1.0, 2.0, 2.0, 2.0, 1.0, 0.0, -1.0, -1.5, -1.5])


def test_integrator_initial_value_is_clamped_to_limits() -> None:
    doc = model([comp("i", "Integrator", {"in": 0.0}, initial=5.0, upper=1.0)])
    assert trace(doc, ["i.out"], 1)["i.out"] == [1.0]


# ------------------------------------------------------------------------------------------ PLC logic


def test_timer_on_turns_q_on_after_preset_of_continuous_input() -> None:
    seq = [F, T, T, T, T, T]
    out = drive("TimerOn", {"in": seq}, ["q", "elapsed"], dt=0.1, preset_time=0.3)
    assert out["q"] == [F, F, F, F, T, T]
    assert out["elapsed"] == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.3, 0.3])


def test_timer_on_resets_when_input_drops() -> None:
    seq = [T, T, F, T, T, T, T, F]
    out = drive("TimerOn", {"in": seq}, ["q", "elapsed"], dt=0.1, preset_time=0.3)
    assert out["q"] == [F, F, F, F, F, F, T, F]
    assert out["elapsed"] == pytest.approx([0.0, 0.1, 0.0, 0.0, 0.1, 0.2, 0.3, 0.0])


def test_timer_on_preset_input_overrides_preset_parameter() -> None:
    out = drive("TimerOn", {"in": [T, T, T], "preset": [0.1, 0.1, 0.1]}, ["q"], dt=0.1, preset_time=5.0)
    assert out["q"] == [F, T, T]


def test_timer_on_with_zero_preset_follows_input() -> None:
    assert drive("TimerOn", {"in": [F, T, F]}, ["q"], preset_time=0.0)["q"] == [F, T, F]


def test_counter_counts_rising_edges_only() -> None:
    out = drive("Counter", {"up": [F, T, T, F, T, F, T]}, ["count", "q"], preset=3)
    assert out["count"] == [0, 1, 1, 1, 2, 2, 3]
    assert out["q"] == [F, F, F, F, F, F, T]


def test_counter_reset_clears_and_wins_over_an_edge() -> None:
    out = drive("Counter", {"up": [T, F, T, F, T, F, T], "reset": [F, F, F, F, T, F, F]}, ["count"])
    assert out["count"] == [1, 1, 2, 2, 0, 0, 1]


# ------------------------------------------------------------------------------------------ PID


def test_pid_proportional_only() -> None:
    doc = model([comp("p", "PID", {"setpoint": 5.0, "measurement": 3.0}, kp=2.0, out_min=-100.0, out_max=100.0)])
    assert trace(doc, ["p.out"], 3)["p.out"] == [4.0, 4.0, 4.0]


def test_pid_reverse_acting_negates_error() -> None:
    doc = model([comp("p", "PID", {"setpoint": 5.0, "measurement": 3.0}, kp=2.0, out_min=-100.0, out_max=100.0,
                      reverse=True)])
    assert trace(doc, ["p.out"], 1)["p.out"] == [-4.0]


def test_pid_integral_grows_by_ki_error_dt_per_tick() -> None:
    doc = model([comp("p", "PID", {"setpoint": 1.0, "measurement": 0.0}, kp=1.0, ki=2.0, out_min=-100.0,
                      out_max=100.0)], dt=0.1)
    assert trace(doc, ["p.out"], 4)["p.out"] == pytest.approx([1.0, 1.2, 1.4, 1.6])


def test_pid_derivative_acts_on_error_change_without_a_first_tick_kick() -> None:
    seq = [2.0, 2.0, 1.0, 1.0]  # measurement; setpoint 3 -> error 1, 1, 2, 2
    out = drive("PID", {"measurement": seq}, ["out"], dt=0.1, inputs={"setpoint": 3.0}, kp=0.0, kd=0.5,
                out_min=-100.0, out_max=100.0)["out"]
    assert out == pytest.approx([0.0, 0.0, 5.0, 0.0])


def test_pid_output_is_clamped_to_limits() -> None:
    doc = model([comp("p", "PID", {"setpoint": 10.0, "measurement": 0.0}, kp=5.0, out_min=-1.0, out_max=2.0),
                 comp("q", "PID", {"setpoint": -10.0, "measurement": 0.0}, kp=5.0, out_min=-1.0, out_max=2.0)])
    out = trace(doc, ["p.out", "q.out"], 2)
    assert out == {"p.out": [2.0, 2.0], "q.out": [-1.0, -1.0]}


def _pid_after_saturation(anti_windup: bool) -> list[float]:
    # 20 ticks of a large positive error (saturated), then a small negative error.
    seq = [0.0] * 20 + [1.2] * 10
    return drive("PID", {"measurement": seq}, ["out"], dt=0.1, inputs={"setpoint": 1.0}, kp=0.5, ki=1.0,
                 out_min=0.0, out_max=1.0, anti_windup=anti_windup)["out"]


def test_pid_anti_windup_leaves_saturation_as_soon_as_error_reverses() -> None:
    out = _pid_after_saturation(True)
    assert out[5:20] == [1.0] * 15
    # The integral stopped at 0.5 (where kp*e + i reached out_max), so kp*(-0.2) + 0.5 at once.
    assert out[20] == pytest.approx(0.4)


def test_pid_without_anti_windup_stays_saturated_while_the_integral_unwinds() -> None:
    out = _pid_after_saturation(False)
    assert out[5:20] == [1.0] * 15
    assert out[20:30] == [1.0] * 10  # the integral wound up to 2.0 and needs 45 ticks of -0.2 to get below 1.1
