from __future__ import annotations

import pytest

from app.engine import ModelDocument
from app.engine.scenarios import fault_periods
from app.engine.scenarios._report import telemetry_csv

from .conftest import at, run, scenario


def faulted(model: ModelDocument, port: str, **fault: object):  # type: ignore[no-untyped-def]
    return run(model, faults=[{"at": 2, "for": 2, "port": port, **fault}], assertions=[{"always": "true"}])


def test_stuck_holds_the_value_during_the_fault_only(model: ModelDocument) -> None:
    r = faulted(model, "gain.out", type="stuck", value=7)
    assert [at(r, "gain.out", t) for t in (1.9, 2.0, 3.9, 4.0)] == pytest.approx([1.9, 7.0, 7.0, 4.0])


def test_stuck_output_is_what_downstream_components_see(model: ModelDocument) -> None:
    r = run(model, faults=[{"at": 2, "for": 2, "port": "ramp.out", "type": "stuck", "value": 0}],
            assertions=[{"always": "gain.out >= 0"}])
    assert at(r, "gain.out", 3.0) == 0.0


def test_offset_on_a_connected_input(model: ModelDocument) -> None:
    r = run(model, faults=[{"at": 2, "for": 2, "port": "scale.in", "type": "offset", "value": 10}],
            assertions=[{"always": "scale.out >= 0"}])
    assert [at(r, "scale.out", t) for t in (1.0, 3.0, 5.0)] == pytest.approx([2.0, 12.0, 2.0])


def test_offset_on_an_unconnected_input_does_not_accumulate(model: ModelDocument) -> None:
    r = run(model, stimuli=[{"at": 0, "set": "valve.command", "value": 0.25}],
            faults=[{"at": 2, "for": 2, "port": "valve.command", "type": "offset", "value": 0.5}])
    assert [at(r, "valve.command", t) for t in (1.0, 2.5, 3.9, 4.5)] == pytest.approx([0.25, 0.75, 0.75, 0.25])


def test_drift_grows_at_its_rate_from_the_fault_start(model: ModelDocument) -> None:
    r = faulted(model, "gain.out", type="drift", rate=2.0)
    assert at(r, "gain.out", 3.0) == pytest.approx(3.0 + 2.0 * 1.0)


def test_noise_is_seeded_and_only_during_the_fault(model: ModelDocument) -> None:
    a = faulted(model, "gain.out", type="noise", std=0.5)
    b = faulted(model, "gain.out", type="noise", std=0.5)
    during = [at(a, "gain.out", t) - t for t in (2.0, 2.5, 3.0, 3.5)]
    assert a.series == b.series
    assert all(abs(d) > 0 for d in during)
    assert at(a, "gain.out", 5.0) == 5.0


def test_noise_differs_with_another_seed(model: ModelDocument) -> None:
    parts = dict(faults=[{"port": "gain.out", "type": "noise", "std": 0.5}], assertions=[{"always": "true"}])
    s1, s2 = scenario(**parts), scenario(**parts)
    s2.seed = 2
    from app.engine.scenarios import run_scenario

    assert run_scenario(s1, model).series != run_scenario(s2, model).series


def test_open_circuit_reads_zero_or_false(model: ModelDocument) -> None:
    r = run(model, stimuli=[{"at": 0, "set": "cyl.extend", "value": True}],
            faults=[{"at": 2, "for": 2, "port": "cyl.extended", "type": "open"},
                    {"at": 2, "for": 2, "port": "gain.out", "type": "open"}])
    assert (at(r, "cyl.extended", 3.0), at(r, "cyl.extended", 5.0)) == (False, True)
    assert at(r, "gain.out", 3.0) == 0.0


def test_short_reads_one_or_true(model: ModelDocument) -> None:
    r = run(model, faults=[{"at": 2, "for": 2, "port": "cyl.extended", "type": "short"},
                           {"at": 2, "for": 2, "port": "gain.out", "type": "short"}])
    assert (at(r, "cyl.extended", 1.0), at(r, "cyl.extended", 3.0)) == (False, True)
    assert at(r, "gain.out", 3.0) == 1.0


def test_transport_delay_shifts_the_signal(model: ModelDocument) -> None:
    r = faulted(model, "gain.out", type="delay", seconds=0.5)
    assert [at(r, "gain.out", t) for t in (2.2, 2.5, 3.0, 4.0)] == pytest.approx([2.0, 2.0, 2.5, 4.0])


def test_dropout_zero_reads_zero_on_dropped_ticks(model: ModelDocument) -> None:
    r = faulted(model, "gain.out", type="dropout", probability=0.5, mode="zero")
    during = [at(r, "gain.out", 2.0 + 0.1 * i) for i in range(20)]
    dropped = [v for v in during if v == 0.0]
    assert 0 < len(dropped) < 20
    assert all(v == 0.0 or v == pytest.approx(2.0 + 0.1 * i) for i, v in enumerate(during))


def test_dropout_hold_repeats_the_last_good_value(model: ModelDocument) -> None:
    r = faulted(model, "gain.out", type="dropout", probability=0.5, mode="hold")
    during = [at(r, "gain.out", 2.0 + 0.1 * i) for i in range(20)]
    held = [i for i in range(1, 20) if during[i] == during[i - 1]]
    assert held and 0.0 not in during
    assert all(during[i] <= during[i + 1] for i in range(19))


def test_motor_failure_spikes_the_current_and_costs_health(model: ModelDocument) -> None:
    r = run(model, stimuli=[{"at": 0, "set": "motor.enable", "value": True}],
            faults=[{"at": 3, "for": 2, "component": "motor", "type": "motor_failure", "factor": 3.0,
                     "health_drop": 0.1}],
            assertions=[{"name": "overcurrent caught", "always": "motor.current <= 4.0", "while": "motor.running"},
                        {"at": 6, "expect": "motor.health < 0.9"}])
    assert at(r, "motor.current", 4.0) == pytest.approx(3 * at(r, "motor.current", 2.0))
    assert at(r, "motor.current", 6.0) == pytest.approx(at(r, "motor.current", 2.0))
    caught, health = r.assertions
    assert not caught.passed and caught.time == pytest.approx(3.0)
    assert health.passed


def test_actuator_jam_freezes_the_position(model: ModelDocument) -> None:
    r = run(model, stimuli=[{"at": 0, "set": "act.setpoint", "value": 100.0}],
            faults=[{"at": 2, "for": 2, "component": "act", "type": "jam"}],
            assertions=[{"always": "act.position >= 0"}])
    assert [at(r, "act.position", t) for t in (2.0, 3.0, 3.9, 4.5)] == pytest.approx([20.0, 20.0, 20.0, 25.0])


def test_cylinder_jam_keeps_the_end_switch_open(model: ModelDocument) -> None:
    r = run(model, stimuli=[{"at": 1.5, "set": "cyl.extend", "value": True}],
            faults=[{"at": 2, "for": 2, "component": "cyl", "type": "jam"}],
            assertions=[{"always": "cyl.position >= 0 or cyl.extended"}])
    assert at(r, "cyl.position", 3.9) == pytest.approx(50.0)
    assert at(r, "cyl.extended", 3.5) is False
    assert at(r, "cyl.extended", 5.0) is True  # 0.5 s of travel left after the jam clears at 4 s


def test_valve_jam_holds_the_opening(model: ModelDocument) -> None:
    r = run(model, stimuli=[{"at": 0, "set": "valve.command", "value": 1.0}],
            faults=[{"at": 0.5, "for": 2, "component": "valve", "type": "jam"}],
            assertions=[{"always": "valve.opening <= 1"}])
    assert at(r, "valve.opening", 2.0) == pytest.approx(0.5)


def test_valve_leak_lets_flow_through_a_closed_valve(model: ModelDocument) -> None:
    r = run(model, faults=[{"at": 2, "for": 2, "component": "valve", "type": "leak", "value": 0.1}],
            assertions=[{"always": "valve.flow <= 0.01"}])
    assert [at(r, "valve.flow", t) for t in (1.0, 3.0, 5.0)] == pytest.approx([0.0, 0.001, 0.0])


def test_random_faults_follow_mtbf_and_mttr_from_the_seed(model: ModelDocument) -> None:
    s = scenario(run={"duration": 100, "seed": 3},
                 faults=[{"port": "gain.out", "type": "open", "mtbf": 10, "mttr": 2}])
    p1 = fault_periods(s.faults[0], 3, 0.1, 1000)
    assert p1 == fault_periods(s.faults[0], 3, 0.1, 1000)
    assert p1 != fault_periods(s.faults[0], 4, 0.1, 1000)
    assert 2 <= len(p1) <= 30
    assert all(a.end_tick <= b.start_tick for a, b in zip(p1, p1[1:]))
    r = run(model, run={"duration": 100, "seed": 3},
            faults=[{"port": "gain.out", "type": "open", "mtbf": 10, "mttr": 2}])
    assert [(p["start"], p["end"]) for p in r.fault_periods] == [
        pytest.approx((p.start_tick * 0.1, p.end_tick * 0.1)) for p in p1]
    first = r.fault_periods[0]
    assert at(r, "gain.out", first["start"]) == 0.0


def test_fault_periods_appear_as_telemetry_columns(model: ModelDocument) -> None:
    r = faulted(model, "gain.out", type="stuck", value=7)
    lines = telemetry_csv(r).splitlines()
    header = lines[0].split(",")
    assert "fault:gain.out" in header
    col = header.index("fault:gain.out")
    flags = [line.split(",")[col] for line in lines[1:]]
    assert flags.count("1") == 20 and flags[20] == "1" and flags[40] == "0"
