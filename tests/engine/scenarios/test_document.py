from __future__ import annotations

from typing import Any

import pytest

from app.engine import ModelDocument
from app.engine.scenarios import ScenarioError, check_scenario, parse_scenario, scenario_json_schema

from .conftest import scenario


def problems_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    base: dict[str, Any] = {"name": "s", "model": "m.yaml", "run": {"duration": 10},
                            "assertions": [{"always": "a.x > 1"}]}
    base.update(data)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(base)
    return info.value.problems


def locs(problems: list[dict[str, Any]]) -> list[str]:
    return [p["loc"] for p in problems]


def test_the_issue_skeleton_parses() -> None:
    s = parse_scenario({
        "name": "heated tank holds its level", "model": "../models/heated_tank.yaml",
        "run": {"duration": 60, "dt": 0.01, "seed": 1, "mode": "sim"},
        "stimuli": [{"at": 1.0, "force": "start_button.in", "value": True, "for": 0.5}],
        "faults": [{"at": 10, "for": 20, "port": "outlet.command", "type": "stuck", "value": 0}],
        "assertions": [
            {"name": "no overflow", "always": "tank.overflow == false"},
            {"name": "reaches level", "eventually": "tank.level >= 0.8", "within": [2, 10]},
            {"name": "cylinder responds", "after": "rising(cylinder.extend)", "expect": "cylinder.extended",
             "within": 1.5},
        ],
    }, "/x/scenarios/s.yaml")
    assert [a.kind for a in s.assertions] == ["always", "eventually", "after"]
    assert s.model_path() == "/x/models/heated_tank.yaml"
    assert s.stimuli[0].duration == 0.5


def test_window_of_the_wrong_shape_is_located() -> None:
    problems = problems_of({"assertions": [{"always": "a.x > 1"}, {"always": "a.x > 1"},
                                           {"eventually": "a.x > 1", "within": "soon"}]})
    # one pass: the bad window, and the duplicate names of the two assertions that are otherwise fine
    assert locs(problems) == ["assertions[2].within", "assertions[0].name", "assertions[1].name"]


def test_reversed_window_is_located() -> None:
    problems = problems_of({"assertions": [{"eventually": "a.x > 1", "within": [5, 2]}]})
    assert locs(problems) == ["assertions[0].within"]
    assert "starts after it ends" in problems[0]["message"]


def test_expression_errors_carry_the_location_and_column() -> None:
    problems = problems_of({"assertions": [{"always": "a.x >"}]})
    assert locs(problems) == ["assertions[0].always"]
    assert problems[0]["column"] == 6


def test_unknown_keys_are_rejected() -> None:
    problems = problems_of({"assertion": []})
    assert "assertion" in problems[0]["message"]


def test_an_assertion_needs_exactly_one_kind() -> None:
    problems = problems_of({"assertions": [{"always": "a.x > 1", "eventually": "a.x > 2"}]})
    assert locs(problems) == ["assertions[0]"]


def test_keys_of_another_kind_are_rejected() -> None:
    problems = problems_of({"assertions": [{"always": "a.x > 1", "within": [0, 1]}]})
    assert locs(problems) == ["assertions[0].within"]


def test_after_needs_expect_and_a_response_time() -> None:
    problems = problems_of({"assertions": [{"after": "rising(a.x)", "within": [0, 1]}]})
    assert set(locs(problems)) == {"assertions[0].expect", "assertions[0].within"}


def test_times_after_the_end_of_the_run_are_rejected() -> None:
    problems = problems_of({"assertions": [{"at": 11, "expect": "a.x"}]})
    assert locs(problems) == ["assertions[0].at"]


def test_fault_options_are_checked_per_type() -> None:
    problems = problems_of({"faults": [{"type": "drift", "port": "a.x"}, {"type": "jam", "port": "a.x"},
                                       {"type": "noise", "port": "a.x", "std": 1, "rate": 2}]})
    assert set(locs(problems)) == {"faults[0].rate", "faults[1].component", "faults[2].rate"}


def test_random_faults_need_mtbf_and_mttr() -> None:
    problems = problems_of({"faults": [{"type": "open", "port": "a.x", "mtbf": 10}]})
    assert locs(problems) == ["faults[0].mttr"]


def test_a_stimulus_needs_one_action_and_a_value() -> None:
    problems = problems_of({"stimuli": [{"at": 1}, {"at": 1, "force": "a.x"}]})
    assert locs(problems) == ["stimuli[0]", "stimuli[1].value"]


def test_a_model_is_required() -> None:
    data = {"name": "s", "run": {"duration": 1}, "assertions": [{"always": "true"}]}
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert locs(info.value.problems) == ["model"]


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of({"assertions": [{"always": "a.x >"}, {"eventually": "(", "within": [3, 1]}]})
    assert len(problems) == 3


def test_unknown_port_is_located_against_the_model(model: ModelDocument) -> None:
    s = scenario(assertions=[{"always": "true"}, {"always": "ramp.out > 0 and tank.level < 1"}])
    problems = check_scenario(s, model)
    assert locs(problems) == ["assertions[1].always"]
    assert "column 18" in problems[0]["message"] and "unknown component 'tank'" in problems[0]["message"]


def test_unknown_port_name_lists_the_valid_ones(model: ModelDocument) -> None:
    problems = check_scenario(scenario(assertions=[{"always": "cyl.extnded"}]), model)
    assert "extended" in problems[0]["message"]


def test_set_on_a_connected_input_is_rejected(model: ModelDocument) -> None:
    problems = check_scenario(scenario(stimuli=[{"at": 1, "set": "gain.in", "value": 1.0}]), model)
    assert locs(problems) == ["stimuli[0].set"]


def test_stimulus_value_must_fit_the_port_type(model: ModelDocument) -> None:
    problems = check_scenario(scenario(stimuli=[{"at": 1, "force": "cyl.extend", "value": 2.5}]), model)
    assert locs(problems) == ["stimuli[0].value"]


def test_parameter_changes_are_checked_against_bounds(model: ModelDocument) -> None:
    problems = check_scenario(scenario(stimuli=[{"at": 1, "parameter": "valve.leak", "value": 2.0}]), model)
    assert locs(problems) == ["stimuli[0].value"]


def test_component_faults_need_the_right_component_type(model: ModelDocument) -> None:
    problems = check_scenario(scenario(faults=[{"type": "leak", "component": "act", "value": 0.1}]), model)
    assert locs(problems) == ["faults[0].component"]
    assert "needs a Valve" in problems[0]["message"]


def test_release_without_a_force_is_rejected(model: ModelDocument) -> None:
    problems = check_scenario(scenario(stimuli=[{"at": 1, "release": "cyl.extend"}]), model)
    assert locs(problems) == ["stimuli[0].release"]


def test_json_schema_is_a_valid_draft_2020_12_schema() -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(scenario_json_schema())


def test_numeric_faults_on_boolean_ports_are_rejected(model: ModelDocument) -> None:
    problems = check_scenario(scenario(faults=[{"type": "noise", "port": "cyl.extended", "std": 0.1}]), model)
    assert locs(problems) == ["faults[0].type"]
