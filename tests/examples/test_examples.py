"""The shipped example models behave like the machines they describe (checked on their telemetry)."""

from __future__ import annotations

from pathlib import Path

from app.engine import Simulator, compile_model, load_document, parse_document, read_document_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name: str, duration: float, record: list[str]) -> dict[str, list[object]]:
    sim = Simulator(read_document_file(str(EXAMPLES / name)), record=record)
    sim.run(duration=duration)
    assert sim.recording is not None
    columns = list(zip(*sim.recording.rows))
    series: dict[str, list[object]] = {"time": list(sim.recording.times)}
    series.update({port: list(col) for port, col in zip(sim.recording.ports, columns)})
    return series


def at(series: dict[str, list[object]], port: str, t: float) -> object:
    index = min(range(len(series["time"])), key=lambda i: abs(series["time"][i] - t))  # type: ignore[operator]
    return series[port][index]


def test_every_example_parses_and_compiles() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        compile_model(parse_document(load_document(path.read_text(encoding="utf-8"), "yaml")))


def test_heated_tank_level_settles_at_the_setpoint_and_recovers_from_the_demand_step() -> None:
    s = run("heated_tank.yaml", 180.0, ["tank.level", "heater.temperature", "high_level_lamp.on"])
    assert abs(at(s, "tank.level", 55.0) - 0.6) < 0.02  # type: ignore[operator]
    assert abs(at(s, "tank.level", 115.0) - 0.6) < 0.02  # type: ignore[operator]
    assert max(s["tank.level"][:2400]) < 0.7  # type: ignore[type-var]  # no alarm-level overshoot


def test_heated_tank_heater_reaches_the_temperature_setpoint() -> None:
    s = run("heated_tank.yaml", 180.0, ["heater.temperature"])
    assert at(s, "heater.temperature", 5.0) < 21.0  # type: ignore[operator]  # interlocked while dry
    assert abs(at(s, "heater.temperature", 175.0) - 45.0) < 0.5  # type: ignore[operator]


def test_heated_tank_high_level_lamp_lights_only_after_the_setpoint_is_raised() -> None:
    s = run("heated_tank.yaml", 180.0, ["high_level_lamp.on"])
    assert not any(on for t, on in zip(s["time"], s["high_level_lamp.on"]) if t < 120.0)  # type: ignore[operator]
    assert at(s, "high_level_lamp.on", 175.0) is True


def test_pick_and_place_places_a_part_every_cycle() -> None:
    s = run("pick_and_place.yaml", 60.0, ["parts_counter.count", "batch_done.on", "slide.position"])
    assert s["parts_counter.count"][-1] == 13
    assert at(s, "batch_done.on", 59.0) is True
    assert max(s["slide.position"]) == 400.0  # type: ignore[type-var]


def test_conveyor_line_starts_counts_boxes_and_stops_on_the_stop_button() -> None:
    s = run("conveyor_line.yaml", 50.0, ["motor_out.speed", "motor_in.speed", "box_counter.count",
                                         "overload_lamp.on"])
    assert at(s, "motor_out.speed", 3.0) == 1500.0
    assert at(s, "motor_in.speed", 3.0) < 1500.0  # type: ignore[operator]  # staggered start
    assert at(s, "motor_in.speed", 10.0) == 1500.0
    assert at(s, "overload_lamp.on", 20.0) is False and at(s, "overload_lamp.on", 30.0) is True
    assert at(s, "motor_out.speed", 45.0) == 0.0
    assert 15 <= s["box_counter.count"][-1] <= 25  # type: ignore[operator]
