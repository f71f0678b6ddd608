"""A small model that exercises every fault target, and a scenario builder with defaults."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine import ModelDocument, parse_document
from app.engine.scenarios import Scenario, ScenarioResult, parse_scenario, run_scenario

MODEL: dict[str, Any] = {
    "name": "bench",
    "dt": 0.1,
    "components": [
        {"name": "ramp", "type": "Ramp", "parameters": {"slope": 1.0}},
        {"name": "gain", "type": "Gain", "parameters": {"k": 1.0}},
        {"name": "level", "type": "Constant", "parameters": {"value": 2.0}},
        {"name": "scale", "type": "Gain", "parameters": {"k": 1.0}},
        {"name": "cyl", "type": "Cylinder", "parameters": {"extend_time": 1.0, "retract_time": 1.0}},
        {"name": "valve", "type": "Valve", "parameters": {"max_flow": 0.01, "travel_time": 1.0}},
        {"name": "act", "type": "Actuator", "parameters": {"max_speed": 10.0}},
        {"name": "motor", "type": "Motor", "parameters": {"ramp_time": 1.0}},
    ],
    "connections": [{"from": "ramp.out", "to": "gain.in"}, {"from": "level.out", "to": "scale.in"}],
    "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
    "bindings": [
        {"port": "act.setpoint", "endpoint": "plc", "node_id": "ns=2;s=Setpoint", "direction": "read"},
        {"port": "cyl.extend", "endpoint": "plc", "node_id": "ns=2;s=Extend", "direction": "read"},
        {"port": "act.position", "endpoint": "plc", "node_id": "ns=2;s=Position", "direction": "write"},
    ],
}


@pytest.fixture
def model() -> ModelDocument:
    return parse_document(MODEL)


def scenario(**parts: Any) -> Scenario:
    """A scenario dict with defaults (10 s, seed 1, one trivial assertion) overridden by ``parts``."""
    data: dict[str, Any] = {"name": "s", "model": "bench.yaml", "run": {"duration": 10, "seed": 1},
                            "assertions": [{"always": "true"}]}
    data.update(parts)
    return parse_scenario(data)


def run(model: ModelDocument, **parts: Any) -> ScenarioResult:
    return run_scenario(scenario(**parts), model)


def at(result: ScenarioResult, port: str, t: float) -> Any:
    """The recorded value of a port at time t."""
    k = round(t / result.dt)
    return result.series["ports"][port][k]
