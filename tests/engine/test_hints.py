"""Unknown names come with a near-match hint ("did you mean 'tank.level'?") in the message and the details."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine import ModelError, Simulator, UnknownComponentTypeError, get_component_type, parse_document
from app.engine._hints import did_you_mean, hint
from app.engine.scenarios import check_scenario, parse_scenario

from .support import comp, model


def test_close_names_are_suggested_and_far_ones_are_not() -> None:
    assert did_you_mean("tank.levl", ["tank.level", "tank.volume"]) == "tank.level"
    assert did_you_mean("heater", ["Heater", "Tank"]) == "Heater"
    assert did_you_mean("xyz", ["tank.level"]) is None
    assert hint("xyz", ["tank.level"]) == ""


def test_unknown_component_type_suggests_the_closest() -> None:
    with pytest.raises(UnknownComponentTypeError) as info:
        get_component_type("Hearter")
    assert "unknown component type 'Hearter' (did you mean 'Heater'?)" in info.value.message
    assert info.value.problems[0]["did_you_mean"] == "Heater"


def document_problems(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    with pytest.raises(ModelError) as info:
        parse_document(data)
    return {p["loc"]: p for p in info.value.problems}


def test_document_problems_suggest_types_parameters_ports_and_components() -> None:
    problems = document_problems({"name": "t", "components": [
        {"name": "tank", "type": "Tnak"},
        {"name": "h", "type": "Heater", "parameters": {"max_powr": 3}, "inputs": {"powr": 1.0}},
        {"name": "g", "type": "Gain"},
    ], "connections": [{"from": "h.temprature", "to": "g.in"}, {"from": "g.out", "to": "hh.power"}]})
    expected = {
        "components[0].type": "Tank",
        "components[1].parameters.max_powr": "max_power",
        "components[1].inputs.powr": "power",
        "connections[0].from": "temperature",
        "connections[1].to": "h",
    }
    for loc, suggestion in expected.items():
        assert problems[loc]["did_you_mean"] == suggestion, loc
        assert f"(did you mean {suggestion!r}?)" in problems[loc]["message"], loc


def test_simulator_suggests_ports_and_components() -> None:
    sim = Simulator(model([comp("tank", "Tank")]))
    with pytest.raises(ModelError) as info:
        sim.force("tank.levl", 1.0)
    assert "(did you mean 'level'?)" in info.value.message and info.value.problems[0]["did_you_mean"] == "level"
    with pytest.raises(ModelError) as info:
        sim.set_parameter("tnak", "area", 2.0)
    assert "(did you mean 'tank'?)" in info.value.message


def test_scenario_check_suggests_ports_components_and_parameters() -> None:
    doc = model([comp("tank", "Tank"), comp("pump", "Motor")])
    scenario = parse_scenario({
        "name": "s", "model": "m.yaml", "run": {"duration": 10},
        "stimuli": [{"at": 1, "parameter": "tank.aera", "value": 2.0}],
        "faults": [{"type": "motor_failure", "component": "pumb"}, {"type": "stuck", "port": "tank.levle", "value": 0}],
        "assertions": [{"always": "tank.levl < 1"}],
    })
    problems = {p["loc"]: p for p in check_scenario(scenario, doc)}
    assert problems["stimuli[0].parameter"]["did_you_mean"] == "tank.area"
    assert problems["faults[0].component"]["did_you_mean"] == "pump"
    assert problems["faults[1].port"]["did_you_mean"] == "tank.level"
    assert problems["assertions[0].always"]["did_you_mean"] == "tank.level"
    assert "did you mean 'tank.level'?" in problems["assertions[0].always"]["message"]


def test_scenario_fault_type_suggests_the_closest() -> None:
    from app.engine.scenarios import ScenarioError

    with pytest.raises(ScenarioError) as info:
        parse_scenario({"name": "s", "model": "m.yaml", "run": {"duration": 10},
                        "faults": [{"type": "stuk", "port": "tank.level", "value": 0}]})
    assert any("did you mean 'stuck'?" in p["message"] for p in info.value.problems)
