"""Campaign set-up: sweep and metric syntax, the grid, and every problem against the model found before a run."""

from __future__ import annotations

import pytest

from app.engine.campaigns import CampaignError, apply_point, check_campaign, linspace, parse_metric, parse_sweep
from tests.engine.campaigns.support import campaign


def test_a_sweep_is_a_list_of_values_keeping_their_types() -> None:
    sweep = parse_sweep("tank.area=0.4,0.5,2,true")
    assert (sweep.component, sweep.parameter) == ("tank", "area")
    assert sweep.values == (0.4, 0.5, 2, True)
    assert type(sweep.values[2]) is int


def test_a_range_is_start_stop_count_with_both_ends_included() -> None:
    assert parse_sweep("level_pid.kp=1:4:7").values == (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)
    assert linspace(0.1, 0.3, 3)[-1] == 0.3  # the last value is stop itself, not stop plus rounding


@pytest.mark.parametrize("text, reason", [
    ("tank.area", "expected component.parameter=VALUES"),
    ("tank=1,2", "must name a parameter as component.parameter"),
    ("tank.area=1:2", "a range is start:stop:count"),
    ("tank.area=a:2:3", "start and stop of a range must be numbers"),
    ("tank.area=1:2:x", "the count of a range must be a whole number"),
    ("tank.area=1:2:0", "the count must be between 1"),
    ("tank.area=1,,2", "none empty"),
    ("tank.area=1,1", "listed twice"),
])
def test_bad_sweep_syntax_says_what_is_expected(text: str, reason: str) -> None:
    with pytest.raises(CampaignError, match=reason):
        parse_sweep(text)


def test_a_metric_is_a_port_and_a_reducer() -> None:
    metric = parse_metric("tank.level:max")
    assert (metric.port, metric.reducer, metric.name) == ("tank.level", "max", "tank.level:max")
    with pytest.raises(CampaignError, match="did you mean 'mean'"):
        parse_metric("tank.level:median")
    with pytest.raises(CampaignError, match="component.port:REDUCER"):
        parse_metric("tank.level")


def test_the_grid_is_the_product_of_the_sweeps_first_sweep_slowest() -> None:
    points = campaign().points()
    assert points[:3] == [{"g.k": 1.5, "ramp.slope": 0.9}, {"g.k": 1.5, "ramp.slope": 1.0},
                          {"g.k": 2, "ramp.slope": 0.9}]
    assert len(points) == 6 and campaign().runs == 24


def test_a_point_changes_a_copy_of_the_model() -> None:
    c = campaign()
    changed = apply_point(c.model, {"g.k": 3.0})
    assert changed.component("g").parameters["k"] == 3.0
    assert c.model.component("g").parameters["k"] == 2.0


def test_unknown_names_and_bad_values_are_located_with_a_did_you_mean() -> None:
    c = campaign(sweeps=("g.kk=1,2", "rmp.slope=1", "ramp.slope=1,-1"), metrics=("g.outt:max",))
    problems = {p["loc"]: p for p in check_campaign(c)}
    assert problems["sweep[0]"]["did_you_mean"] == "g.k" and "has no parameter 'kk'" in problems["sweep[0]"]["message"]
    assert problems["sweep[1]"]["did_you_mean"] == "ramp.slope" and "unknown component 'rmp'" in \
        problems["sweep[1]"]["message"]
    assert problems["metrics[0]"]["did_you_mean"] == "g.out"
    assert len(check_campaign(c)) == 3  # a wrong name is reported once, not once per value


def test_a_value_the_parameter_refuses_names_the_value() -> None:
    c = campaign(sweeps=("ramp.slope=1,true",))
    [problem] = check_campaign(c)
    assert problem["loc"] == "sweep[0]" and problem["message"].startswith("ramp.slope=True:")


def test_the_same_parameter_twice_is_refused() -> None:
    c = campaign(sweeps=("g.k=1,2", "g.k=3"))
    assert [p["message"] for p in check_campaign(c)] == ["g.k is already given by sweep[0]"]
