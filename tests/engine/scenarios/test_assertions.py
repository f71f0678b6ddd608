from __future__ import annotations

import pytest

from app.engine import ModelDocument

from .conftest import run


def test_always_passes_when_true_at_every_sample(model: ModelDocument) -> None:
    a = run(model, assertions=[{"always": "ramp.out >= 0"}]).assertions[0]
    assert a.passed and "101 samples" in a.message


def test_always_fails_at_the_first_false_sample(model: ModelDocument) -> None:
    a = run(model, assertions=[{"always": "ramp.out < 5"}]).assertions[0]
    assert not a.passed
    assert a.time == pytest.approx(5.0)
    assert a.actual == "ramp.out=5"


def test_always_only_checks_its_window(model: ModelDocument) -> None:
    assert run(model, assertions=[{"always": "ramp.out < 5", "window": [0, 4.9]}]).assertions[0].passed


def test_always_while_ignores_samples_where_the_condition_is_false(model: ModelDocument) -> None:
    stimuli = [{"at": 1, "set": "motor.enable", "value": True, "for": 3}]
    a = run(model, stimuli=stimuli, assertions=[{"always": "motor.current <= 4.0", "while": "motor.running"}])
    assert a.assertions[0].passed


def test_always_while_fails_when_the_condition_holds_and_the_check_does_not(model: ModelDocument) -> None:
    stimuli = [{"at": 1, "set": "motor.enable", "value": True}]
    a = run(model, stimuli=stimuli, assertions=[{"always": "motor.current <= 2.0", "while": "motor.running"}])
    assert not a.assertions[0].passed
    assert a.assertions[0].time == pytest.approx(1.1)  # running from the first tick the speed passes 1 %


def test_eventually_passes_at_the_first_true_sample_in_the_window(model: ModelDocument) -> None:
    a = run(model, assertions=[{"eventually": "ramp.out >= 3", "within": [2, 10]}]).assertions[0]
    assert a.passed and a.time == pytest.approx(3.0)


def test_eventually_fails_with_the_best_value_reached(model: ModelDocument) -> None:
    a = run(model, assertions=[{"eventually": "ramp.out >= 3", "within": [0, 2]}]).assertions[0]
    assert not a.passed
    assert a.time == pytest.approx(2.0)
    assert a.actual == "ramp.out reached at most 2 (t=2 s)"


def test_after_measures_the_response_time_of_every_trigger(model: ModelDocument) -> None:
    stimuli = [{"at": 1, "set": "cyl.extend", "value": True, "for": 2}, {"at": 5, "set": "cyl.extend", "value": True}]
    r = run(model, stimuli=stimuli,
            assertions=[{"after": "rising(cyl.extend)", "expect": "cyl.extended", "within": 1.0}])
    a = r.assertions[0]
    assert a.passed
    assert a.trigger_times == pytest.approx([1.0, 5.0])
    assert a.response_times == pytest.approx([1.0, 1.0])


def test_after_fails_when_a_response_is_too_slow(model: ModelDocument) -> None:
    stimuli = [{"at": 1, "set": "cyl.extend", "value": True}]
    a = run(model, stimuli=stimuli,
            assertions=[{"after": "rising(cyl.extend)", "expect": "cyl.extended", "within": 0.5}]).assertions[0]
    assert not a.passed
    assert a.time == pytest.approx(1.5)
    assert a.actual == "it became true after 1 s"


def test_after_fails_when_the_trigger_never_occurs(model: ModelDocument) -> None:
    a = run(model, assertions=[{"after": "rising(cyl.extend)", "expect": "cyl.extended", "within": 1}]).assertions[0]
    assert not a.passed and "never occurred" in a.message


def test_after_does_not_judge_a_trigger_whose_window_outlasts_the_run(model: ModelDocument) -> None:
    stimuli = [{"at": 1, "set": "cyl.extend", "value": True, "for": 2}, {"at": 9.5, "set": "cyl.extend", "value": True}]
    a = run(model, stimuli=stimuli,
            assertions=[{"after": "rising(cyl.extend)", "expect": "cyl.extended", "within": 1}]).assertions[0]
    assert a.passed and "1 trigger(s) too close to the end" in a.message


def test_at_with_a_value_passes_within_the_tolerance(model: ModelDocument) -> None:
    a = run(model, assertions=[{"at": 5.0, "expect": "ramp.out", "value": 5.01, "tolerance": 0.02}]).assertions[0]
    assert a.passed


def test_at_with_a_value_fails_outside_the_tolerance(model: ModelDocument) -> None:
    a = run(model, assertions=[{"at": 5.0, "expect": "ramp.out * 2", "value": 9.0, "tolerance": 0.5}]).assertions[0]
    assert not a.passed
    assert a.actual == "10" and a.time == pytest.approx(5.0)


def test_at_with_a_condition(model: ModelDocument) -> None:
    r = run(model, assertions=[{"name": "ok", "at": 2, "expect": "ramp.out > 1"},
                               {"name": "not ok", "at": 2, "expect": "ramp.out > 3"}])
    assert [a.passed for a in r.assertions] == [True, False]


def test_the_end_time_is_sampled(model: ModelDocument) -> None:
    r = run(model, assertions=[{"at": 10, "expect": "ramp.out", "value": 10}])
    assert r.ticks == 101 and r.assertions[0].passed


def test_verdicts_are_deterministic(model: ModelDocument) -> None:
    parts = dict(faults=[{"type": "noise", "port": "gain.out", "std": 0.5, "mtbf": 2, "mttr": 1}],
                 assertions=[{"always": "gain.out < 9"}])
    assert run(model, **parts).verdicts() == run(model, **parts).verdicts()


def test_a_result_is_json_serialisable(model: ModelDocument) -> None:
    import json

    r = run(model, faults=[{"type": "stuck", "port": "gain.out", "value": 1, "at": 2, "for": 1}])
    assert json.loads(json.dumps(r.to_dict()))["fault_periods"] == [
        {"fault": 0, "name": "stuck gain.out", "type": "stuck", "target": "gain.out", "start": 2.0, "end": 3.0}]


def test_stimulus_force_for_a_duration_releases_afterwards(model: ModelDocument) -> None:
    r = run(model, stimuli=[{"at": 2, "force": "gain.out", "value": 42.0, "for": 1}], assertions=[{"always": "true"}])
    from .conftest import at

    assert (at(r, "gain.out", 1.9), at(r, "gain.out", 2.0), at(r, "gain.out", 2.9), at(r, "gain.out", 3.0)) == \
        pytest.approx((1.9, 42.0, 42.0, 3.0))


def test_stimulus_parameter_change_is_restored_after_for(model: ModelDocument) -> None:
    r = run(model, stimuli=[{"at": 2, "parameter": "gain.k", "value": 2.0, "for": 1}],
            assertions=[{"always": "gain.out >= 0"}])
    from .conftest import at

    assert (at(r, "gain.out", 2.5), at(r, "gain.out", 3.5)) == pytest.approx((5.0, 3.5))


def test_a_tick_hook_sees_every_tick_and_changes_nothing(model: ModelDocument) -> None:
    from app.engine import Simulator
    from app.engine.scenarios import run_scenario

    from .conftest import scenario

    parts = dict(faults=[{"type": "noise", "port": "gain.out", "std": 0.5, "at": 2, "for": 3}],
                 assertions=[{"always": "gain.out < 9"}])
    ticks: list[int] = []

    def hook(sim: Simulator) -> None:
        ticks.append(sim.tick)

    hooked = run_scenario(scenario(**parts), model, tick_hook=hook)
    assert ticks == list(range(1, hooked.ticks + 1))
    assert hooked.to_dict() == run(model, **parts).to_dict() | {"wall_time": hooked.to_dict()["wall_time"]}


def test_a_tick_hook_can_stop_the_run_early(model: ModelDocument) -> None:
    from app.engine import Simulator
    from app.engine.scenarios import run_scenario

    from .conftest import scenario

    def stop_at_tick_5(sim: Simulator) -> None:
        if sim.tick == 5:
            sim.stop_requested = True

    result = run_scenario(scenario(), model, tick_hook=stop_at_tick_5)
    assert result.ticks == 5
