"""Machine parts, each on its own, checked tick by tick against their declared behaviour."""

from __future__ import annotations

import math
import statistics

import pytest

from tests.engine.support import comp, drive, model, trace

T, F = True, False


# ------------------------------------------------------------------------------------------ Sensor


def test_sensor_value_is_gain_times_input_plus_offset() -> None:
    doc = model([comp("s", "Sensor", {"in": 3.0}, gain=2.0, offset=1.0)])
    assert trace(doc, ["s.value"], 2)["s.value"] == [7.0, 7.0]


def test_sensor_active_switches_with_hysteresis_on_the_value() -> None:
    seq = [0.0, 0.55, 0.65, 0.5, 0.45, 0.35, 0.5]
    out = drive("Sensor", {"in": seq}, ["active"], threshold=0.5, hysteresis=0.2)["active"]
    assert out == [F, F, T, T, T, F, F]


def _noisy(seed: int, ticks: int = 2000) -> list[float]:
    doc = model([comp("s", "Sensor", {"in": 10.0}, noise_std=0.5)])
    return trace(doc, ["s.value"], ticks, seed=seed)["s.value"]


def test_sensor_noise_is_gaussian_with_the_given_std() -> None:
    values = _noisy(1)
    assert statistics.fmean(values) == pytest.approx(10.0, abs=0.05)
    assert statistics.stdev(values) == pytest.approx(0.5, rel=0.1)


def test_sensor_noise_repeats_with_the_same_seed() -> None:
    assert _noisy(7, 50) == _noisy(7, 50)


def test_sensor_noise_differs_with_another_seed() -> None:
    assert _noisy(7, 50) != _noisy(8, 50)


def test_two_sensors_get_independent_noise() -> None:
    doc = model([comp("a", "Sensor", {"in": 0.0}, noise_std=1.0), comp("b", "Sensor", {"in": 0.0}, noise_std=1.0)])
    out = trace(doc, ["a.value", "b.value"], 20)
    assert out["a.value"] != out["b.value"]


# ------------------------------------------------------------------------------------------ Heater


def test_heater_step_is_the_exact_exponential() -> None:
    c, k, ta, dt = 1000.0, 20.0, 15.0, 0.5
    doc = model([comp("h", "Heater", {"power": 400.0}, thermal_mass=c, loss_coefficient=k, ambient=ta,
                      initial_temperature=50.0)], dt=dt)
    out = trace(doc, ["h.temperature"], 3)["h.temperature"]
    ss = ta + 400.0 / k
    assert out == pytest.approx([ss + (50.0 - ss) * math.exp(-k * n * dt / c) for n in range(3)], rel=1e-12)


def test_heater_power_is_clipped_to_max_power() -> None:
    params = {"max_power": 1000.0, "thermal_mass": 100.0, "loss_coefficient": 10.0}
    doc = model([comp("a", "Heater", {"power": 5000.0}, **params), comp("b", "Heater", {"power": 1000.0}, **params)])
    out = trace(doc, ["a.temperature", "b.temperature"], 10)
    assert out["a.temperature"] == out["b.temperature"]


def test_heater_negative_power_is_no_power() -> None:
    doc = model([comp("h", "Heater", {"power": -500.0}, ambient=20.0, initial_temperature=20.0)])
    assert trace(doc, ["h.temperature"], 5)["h.temperature"] == [20.0] * 5


def test_heater_without_power_cools_towards_ambient() -> None:
    doc = model([comp("h", "Heater", initial_temperature=80.0, ambient=20.0)], dt=1.0)
    out = trace(doc, ["h.temperature"], 50)["h.temperature"]
    assert all(20.0 < b < a for a, b in zip(out, out[1:]))


# ------------------------------------------------------------------------------------------ Valve


def test_valve_opening_moves_at_one_over_travel_time() -> None:
    doc = model([comp("v", "Valve", {"command": 1.0}, travel_time=0.5, max_flow=0.002)], dt=0.1)
    out = trace(doc, ["v.opening", "v.flow"], 8)
    assert out["v.opening"] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0])
    assert out["v.flow"] == pytest.approx([0.002 * x for x in out["v.opening"]])


def test_valve_stops_at_a_partial_command_and_closes_again() -> None:
    seq = [0.3] * 4 + [0.0] * 3
    out = drive("Valve", {"command": seq}, ["opening"], dt=0.1, travel_time=1.0)["opening"]
    assert out == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.3, 0.2, 0.1])


def test_valve_command_is_clipped_to_zero_one() -> None:
    out = drive("Valve", {"command": [5.0] * 4 + [-3.0] * 3}, ["opening"], dt=0.5, travel_time=1.0)["opening"]
    assert out == [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0]


def test_valve_leak_flows_when_closed() -> None:
    doc = model([comp("v", "Valve", max_flow=1.0, leak=0.05)])
    assert trace(doc, ["v.flow"], 1)["v.flow"] == [0.05]


# ------------------------------------------------------------------------------------------ Actuator


def test_actuator_is_rate_limited_then_settles_on_setpoint() -> None:
    doc = model([comp("a", "Actuator", {"setpoint": 3.5}, max_speed=10.0)], dt=0.1)
    out = trace(doc, ["a.position"], 6)["a.position"]
    assert out == pytest.approx([0.0, 1.0, 2.0, 3.0, 3.5, 3.5])


def test_actuator_stays_within_limits_and_reports_end_positions() -> None:
    doc = model([comp("a", "Actuator", {"setpoint": 500.0}, max_speed=100.0, min_position=0.0,
                      max_position=30.0)], dt=0.1)
    out = trace(doc, ["a.position", "a.at_min", "a.at_max"], 5)
    assert out["a.position"] == pytest.approx([0.0, 10.0, 20.0, 30.0, 30.0])
    assert out["a.at_min"] == [T, F, F, F, F]
    assert out["a.at_max"] == [F, F, F, T, T]


def test_actuator_moves_down_to_min_position() -> None:
    doc = model([comp("a", "Actuator", {"setpoint": -50.0}, max_speed=50.0, min_position=-10.0,
                      initial_position=10.0)], dt=0.1)
    out = trace(doc, ["a.position", "a.at_min"], 6)
    assert out["a.position"] == pytest.approx([10.0, 5.0, 0.0, -5.0, -10.0, -10.0])
    assert out["a.at_min"][-2:] == [T, T]


# ------------------------------------------------------------------------------------------ Tank


def test_tank_level_rises_with_net_inflow_over_area() -> None:
    doc = model([comp("t", "Tank", {"inflow": 0.3, "outflow": 0.1}, area=2.0, height=5.0)], dt=1.0)
    out = trace(doc, ["t.level", "t.volume"], 4)
    assert out["t.level"] == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert out["t.volume"] == pytest.approx([0.0, 0.2, 0.4, 0.6])


def test_tank_never_exceeds_height_and_reports_overflow() -> None:
    doc = model([comp("t", "Tank", {"inflow": 1.0}, area=1.0, height=2.5)], dt=1.0)
    out = trace(doc, ["t.level", "t.overflow"], 5)
    assert out["t.level"] == [0.0, 1.0, 2.0, 2.5, 2.5]
    assert out["t.overflow"] == [F, F, F, T, T]


def test_tank_never_goes_below_empty() -> None:
    doc = model([comp("t", "Tank", {"outflow": 0.4}, area=1.0, initial_level=1.0)], dt=1.0)
    out = trace(doc, ["t.level", "t.empty"], 5)
    assert out["t.level"] == pytest.approx([1.0, 0.6, 0.2, 0.0, 0.0])
    assert out["t.empty"] == [F, F, F, T, T]


def test_tank_overflow_clears_when_inflow_stops() -> None:
    out = drive("Tank", {"inflow": [3.0, 3.0, 0.0, 0.0]}, ["level", "overflow"], dt=1.0, height=2.0)
    assert out["level"] == [0.0, 2.0, 2.0, 2.0]
    assert out["overflow"] == [F, T, T, F]


# ------------------------------------------------------------------------------------------ Motor


def _motor(ticks: int, **inputs: object) -> dict[str, list[object]]:
    doc = model([comp("m", "Motor", dict(inputs), rated_speed=1000.0, ramp_time=1.0, no_load_current=1.0,
                      rated_current=5.0, overcurrent_limit=6.0, wear_per_hour=36.0, overcurrent_wear=0.1)], dt=0.1)
    return trace(doc, ["m.speed", "m.current", "m.running", "m.runtime", "m.health"], ticks)


def test_motor_ramps_to_the_speed_setpoint_when_enabled() -> None:
    out = _motor(14, enable=True, speed_setpoint=800.0)
    assert out["m.speed"] == pytest.approx([0, 100, 200, 300, 400, 500, 600, 700, 800, 800, 800, 800, 800, 800])


def test_motor_stays_still_when_disabled() -> None:
    out = _motor(5, enable=False, speed_setpoint=800.0)
    assert out["m.speed"] == [0.0] * 5
    assert out["m.running"] == [F] * 5
    assert out["m.current"] == [0.0] * 5


def test_motor_ramps_down_when_disabled() -> None:
    seq = [T] * 5 + [F] * 6
    out = drive("Motor", {"enable": seq}, ["speed"], dt=0.1, inputs={"speed_setpoint": 1000.0},
                rated_speed=1000.0, ramp_time=1.0)["speed"]
    assert out == pytest.approx([0, 100, 200, 300, 400, 500, 400, 300, 200, 100, 0])


def test_motor_current_is_no_load_plus_load_share_when_running() -> None:
    out = _motor(3, enable=True, speed_setpoint=1000.0, load=0.5)
    assert out["m.running"] == [F, T, T]
    assert out["m.current"] == [0.0, 3.0, 3.0]  # 1 A + 0.5 * (5 A - 1 A)


def test_motor_runtime_counts_running_time() -> None:
    out = _motor(6, enable=True)
    assert out["m.runtime"] == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.3, 0.4])


def test_motor_health_wears_with_runtime() -> None:
    out = _motor(4, enable=True, load=0.5)
    # 36 per hour = 0.01 per second = 0.001 per 0.1 s tick while running
    assert out["m.health"] == pytest.approx([1.0, 1.0, 0.999, 0.998])


def test_motor_overcurrent_wears_faster() -> None:
    out = _motor(4, enable=True, load=2.0)  # 1 + 2 * 4 = 9 A > 6 A
    assert out["m.current"][1:] == [9.0, 9.0, 9.0]
    assert out["m.health"] == pytest.approx([1.0, 1.0, 1.0 - 0.011, 1.0 - 0.022])


def test_motor_health_never_goes_below_zero() -> None:
    doc = model([comp("m", "Motor", {"enable": True, "load": 2.0}, overcurrent_wear=1.0)], dt=1.0)
    assert trace(doc, ["m.health"], 10)["m.health"][-1] == 0.0


# ------------------------------------------------------------------------------------------ Conveyor, Cylinder, Lamp


def test_conveyor_position_integrates_belt_speed() -> None:
    out = drive("Conveyor", {"speed": [0.5, 0.5, 0.0, -1.0, 0.0]}, ["position", "moving"], dt=0.2)
    assert out["position"] == pytest.approx([0.0, 0.1, 0.2, 0.2, 0.0])
    assert out["moving"] == [T, T, F, T, F]


def test_cylinder_extends_over_extend_time_and_closes_front_switch() -> None:
    doc = model([comp("c", "Cylinder", {"extend": True}, stroke=50.0, extend_time=0.4)], dt=0.1)
    out = trace(doc, ["c.position", "c.extended", "c.retracted"], 6)
    assert out["c.position"] == pytest.approx([0.0, 12.5, 25.0, 37.5, 50.0, 50.0])
    assert out["c.extended"] == [F, F, F, F, T, T]
    assert out["c.retracted"] == [T, F, F, F, F, F]


def test_cylinder_retracts_over_retract_time() -> None:
    doc = model([comp("c", "Cylinder", stroke=100.0, retract_time=0.2, initially_extended=True)], dt=0.1)
    out = trace(doc, ["c.position", "c.extended", "c.retracted"], 4)
    assert out["c.position"] == pytest.approx([100.0, 50.0, 0.0, 0.0])
    assert out["c.extended"] == [T, F, F, F]
    assert out["c.retracted"] == [F, F, T, T]


def test_cylinder_reverses_mid_stroke() -> None:
    out = drive("Cylinder", {"extend": [T, T, F, F, F]}, ["position"], dt=0.1, stroke=100.0, extend_time=1.0,
                retract_time=0.5)["position"]
    assert out == pytest.approx([0.0, 10.0, 20.0, 0.0, 0.0])


def test_lamp_follows_its_input() -> None:
    assert drive("Lamp", {"in": [F, T, T, F]}, ["on"])["on"] == [F, T, T, F]
