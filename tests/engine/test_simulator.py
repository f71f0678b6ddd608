"""The simulator: determinism, forces, faults (transforms), parameter changes, recording, stopping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.engine import InMemoryIO, ModelDocument, ModelError, Simulator, UnknownPortError, parse_document, run_document
from tests.engine.support import comp, model

ROOT = Path(__file__).resolve().parents[2]


def noisy_plant() -> ModelDocument:
    """A small closed loop with noise: PID -> heater, measured by a noisy sensor."""
    return model([
        comp("sp", "Step", initial=20.0, final=50.0, time=1.0),
        comp("pid", "PID", kp=0.2, ki=0.01, out_min=0.0, out_max=1.0),
        comp("amp", "Gain", k=2000.0),
        comp("h", "Heater", thermal_mass=500.0),
        comp("s", "Sensor", noise_std=0.3, threshold=40.0, hysteresis=1.0),
        comp("lamp", "Lamp"),
    ], [("sp.out", "pid.setpoint"), ("s.value", "pid.measurement"), ("pid.out", "amp.in"), ("amp.out", "h.power"),
        ("h.temperature", "s.in"), ("s.active", "lamp.in")], dt=0.05)


def chain() -> ModelDocument:
    return model([comp("c", "Constant", value=2.0), comp("g", "Gain", k=3.0), comp("s", "Sum", {"in2": 5.0}),
                  comp("x", "Integrator")],
                 [("c.out", "g.in"), ("g.out", "s.in1"), ("s.out", "x.in")], dt=0.1)


# ------------------------------------------------------------------------------------------ determinism


def test_same_document_seed_dt_duration_give_identical_recordings() -> None:
    a = run_document(noisy_plant(), 20.0, seed=3, record=["*"])
    b = run_document(noisy_plant(), 20.0, seed=3, record=["*"])
    assert a.recording is not None and b.recording is not None
    assert repr(a.recording.rows) == repr(b.recording.rows)
    assert repr(a.recording.times) == repr(b.recording.times)


def test_different_seed_gives_a_different_noisy_run() -> None:
    a = run_document(noisy_plant(), 5.0, seed=3, record=["s.value"])
    b = run_document(noisy_plant(), 5.0, seed=4, record=["s.value"])
    assert a.recording.rows != b.recording.rows  # type: ignore[union-attr]


def test_recording_is_identical_in_another_process() -> None:
    # String hashing is randomised per process; the seeded generators must not depend on it.
    code = ("from tests.engine.test_simulator import noisy_plant; from app.engine import run_document; "
            "print(repr(run_document(noisy_plant(), 5.0, seed=9, record=['*']).recording.rows))")
    outs = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": str(h), "PATH": ""}).stdout for h in (1, 2)}
    local = repr(run_document(noisy_plant(), 5.0, seed=9, record=["*"]).recording.rows)  # type: ignore[union-attr]
    assert outs == {local + "\n"}


def test_duration_is_rounded_to_whole_ticks() -> None:
    sim = run_document(chain(), 1.0)
    assert sim.tick == 10 and sim.time == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------ values


def test_snapshot_shows_every_port_and_connected_inputs_show_their_driver() -> None:
    sim = Simulator(chain())
    sim.step()
    assert sim.snapshot() == {"c.out": 2.0, "g.in": 2.0, "g.out": 6.0, "s.in1": 6.0, "s.in2": 5.0, "s.out": 11.0,
                              "x.in": 11.0, "x.out": 0.0}


def test_value_of_an_unknown_port_lists_the_valid_ones() -> None:
    sim = Simulator(chain())
    with pytest.raises(UnknownPortError) as err:
        sim.value("g.nope")
    assert err.value.valid == ["in", "out"]
    with pytest.raises(ModelError):
        sim.value("nope.out")


# ------------------------------------------------------------------------------------------ forces


def test_forcing_an_output_overrides_it_for_every_reader() -> None:
    sim = Simulator(chain())
    sim.force("g.out", 100.0)
    sim.step()
    assert (sim.value("g.out"), sim.value("s.in1"), sim.value("s.out")) == (100.0, 100.0, 105.0)
    assert sim.forces == {"g.out": 100.0}


def test_forcing_a_connected_input_overrides_its_driver_only_for_that_input() -> None:
    sim = Simulator(chain())
    sim.force("g.in", -1.0)
    sim.step()
    assert (sim.value("c.out"), sim.value("g.in"), sim.value("g.out")) == (2.0, -1.0, -3.0)


def test_releasing_a_forced_connected_input_returns_it_to_its_driver() -> None:
    sim = Simulator(chain())
    sim.force("g.in", -1.0)
    sim.step()
    assert sim.release("g.in") is True
    sim.step()
    assert (sim.value("g.in"), sim.value("g.out")) == (2.0, 6.0)
    assert sim.forces == {}


def test_releasing_a_forced_unconnected_input_restores_its_given_value() -> None:
    sim = Simulator(chain())
    sim.force("s.in2", 0.0)
    sim.step()
    assert sim.value("s.out") == 6.0
    sim.release("s.in2")
    sim.step()
    assert (sim.value("s.in2"), sim.value("s.out")) == (5.0, 11.0)


def test_releasing_an_unforced_port_says_so() -> None:
    assert Simulator(chain()).release("g.out") is False


def test_a_force_released_before_its_tick_boundary_never_lands() -> None:
    sim = Simulator(chain())
    sim.step()
    sim.force("g.out", 0.0)
    assert sim.release("g.out") is True  # still pending: the release is queued behind it
    sim.step()
    assert sim.value("g.out") == 6.0 and sim.forces == {}


def test_force_value_is_coerced_to_the_port_type_and_checked() -> None:
    sim = Simulator(model([comp("n", "Not", {"in": False}), comp("k", "Counter", {"up": False})]))
    sim.force("k.count", 7)
    sim.force("n.in", True)
    sim.step()
    assert sim.value("k.count") == 7 and sim.value("n.out") is False
    with pytest.raises(ModelError):
        sim.force("n.in", 2.5)


def test_force_takes_effect_at_the_next_tick_boundary() -> None:
    sim = Simulator(chain())
    sim.step()
    sim.force("g.out", 0.0)
    assert sim.value("g.out") == 6.0  # not yet applied
    sim.step()
    assert sim.value("g.out") == 0.0


# ------------------------------------------------------------------------------------------ transforms (faults)


def test_transform_on_an_output_applies_right_after_it_is_computed() -> None:
    sim = Simulator(chain())
    sim.set_transform("g.out", lambda v, t: v + 10.0 * t)
    sim.step(3)
    assert (sim.value("g.out"), sim.value("s.in1")) == pytest.approx((8.0, 8.0))
    sim.set_transform("g.out", None)
    sim.step()
    assert sim.value("g.out") == 6.0


def test_transform_on_a_connected_input_changes_what_the_component_sees() -> None:
    sim = Simulator(chain())
    sim.set_transform("g.in", lambda v, t: v + 1.0)
    sim.step(3)
    assert (sim.value("c.out"), sim.value("g.in"), sim.value("g.out")) == (2.0, 3.0, 9.0)
    sim.set_transform("g.in", None)
    sim.step()
    assert (sim.value("g.in"), sim.value("g.out")) == (2.0, 6.0)


def test_transform_on_a_connected_input_sees_the_drivers_value_of_the_same_tick() -> None:
    sim = Simulator(model([comp("r", "Ramp", slope=1.0), comp("g", "Gain", k=2.0)], [("r.out", "g.in")], dt=0.5),
                    record=["g.out"])
    sim.set_transform("g.in", lambda v, t: v + 10.0)
    sim.run(ticks=4)
    assert [r[0] for r in sim.recording.rows] == [20.0, 21.0, 22.0, 23.0]  # type: ignore[union-attr]


def test_transform_on_an_unconnected_input_does_not_compound() -> None:
    sim = Simulator(chain())
    sim.set_transform("s.in2", lambda v, t: v * 2.0)
    sim.step(5)
    assert sim.value("s.in2") == 10.0
    sim.set_transform("s.in2", None)
    sim.step()
    assert sim.value("s.in2") == 5.0


# ------------------------------------------------------------------------------------------ parameters


def test_set_parameter_applies_at_the_tick_boundary_without_recompiling() -> None:
    sim = Simulator(chain())
    plan, order, output_order = sim.plan, sim.plan.order, sim.plan.output_order
    sim.step(4)  # x integrates 11 per second; the output seen is tick 3's
    assert sim.value("x.out") == pytest.approx(3.3)
    sim.set_parameter("g", "k", 0.0)
    assert sim.value("g.out") == 6.0
    sim.step()
    assert sim.value("g.out") == 0.0 and sim.value("x.out") == pytest.approx(4.4)  # state carried over
    sim.step()
    assert sim.value("x.out") == pytest.approx(4.9)
    assert sim.plan is plan and sim.plan.order is order and sim.plan.output_order is output_order


def test_set_parameter_changes_derived_constants() -> None:
    sim = Simulator(model([comp("h", "Heater", {"power": 0.0}, initial_temperature=100.0, ambient=0.0,
                                loss_coefficient=10.0, thermal_mass=1000.0)], dt=1.0))
    sim.step(2)
    sim.set_parameter("h", "thermal_mass", 10.0)  # decay per second exp(-1)
    sim.step(2)
    assert sim.value("h.temperature") == pytest.approx(100.0 * 0.99004983374 ** 2 * 0.36787944117, rel=1e-9)


def test_set_parameter_is_validated_immediately() -> None:
    sim = Simulator(chain())
    with pytest.raises(ModelError):
        sim.set_parameter("x", "lower", "low")
    with pytest.raises(ModelError):
        sim.set_parameter("nope", "k", 1.0)


# ------------------------------------------------------------------------------------------ recording


def test_recording_patterns_choose_ports_in_plan_order() -> None:
    sim = Simulator(chain(), record=["g.*", "x.out"])
    sim.run(ticks=2)
    rec = sim.recording
    assert rec is not None
    assert rec.ports == ["g.in", "g.out", "x.out"]
    assert rec.rows == [(2.0, 6.0, 0.0), (2.0, 6.0, pytest.approx(1.1))]


def test_record_every_k_ticks_samples_tick_0_k_2k() -> None:
    sim = Simulator(chain(), record=["x.out"], record_every=3)
    sim.run(ticks=10)
    rec = sim.recording
    assert rec is not None
    assert rec.times == pytest.approx([0.0, 0.3, 0.6, 0.9])
    assert [r[0] for r in rec.rows] == pytest.approx([0.0, 3.3, 6.6, 9.9])


def test_empty_record_list_records_every_port() -> None:
    sim = Simulator(chain(), record=[])
    assert sim.recording is not None and sim.recording.ports == sim.port_names()


def test_recording_refuses_patterns_matching_nothing_and_bad_every() -> None:
    with pytest.raises(ModelError):
        Simulator(chain(), record=["nothing.*"])
    with pytest.raises(ModelError):
        Simulator(chain(), record=["*"], record_every=0)


def test_recording_shows_forced_values() -> None:
    sim = Simulator(chain(), record=["g.in"])
    sim.force("g.in", 9.0)
    sim.run(ticks=1)
    assert sim.recording.rows == [(9.0,)]  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ running


def test_stop_requested_stops_within_the_tick() -> None:
    sim = Simulator(chain())

    def on_tick(s: Simulator) -> None:
        if s.tick == 5:
            s.stop_requested = True

    sim.run(on_tick=on_tick)  # open-ended
    assert sim.tick == 5


def test_progress_every_calls_back_every_k_ticks() -> None:
    seen: list[int] = []
    Simulator(chain()).run(ticks=10, on_tick=lambda s: seen.append(s.tick), progress_every=4)
    assert seen == [4, 8]


def test_run_continues_from_where_it_stopped() -> None:
    one = Simulator(chain())
    one.run(ticks=7)
    two = Simulator(chain())
    two.run(ticks=3)
    two.run(ticks=4)
    assert one.snapshot() == two.snapshot() and two.tick == 7


def test_failure_in_a_tick_becomes_a_run_error_with_the_tick() -> None:
    from app.engine import RunError

    sim = Simulator(chain())
    sim.set_transform("g.out", lambda v, t: 1.0 / 0.0 if t > 0.25 else v)
    with pytest.raises(RunError) as err:
        sim.run(ticks=10)
    assert "tick 3" in err.value.message and "ZeroDivisionError" in err.value.message


# ------------------------------------------------------------------------------------------ public hooks


def test_two_parameter_changes_before_one_boundary_both_land() -> None:
    sim = Simulator(model([comp("l", "Limit", {"in": 5.0}, lower=0.0, upper=1.0)]))
    sim.set_parameter("l", "upper", 10.0)
    sim.set_parameter("l", "lower", 6.0)  # validated against upper=10 requested just before
    sim.step()
    assert sim.value("l.out") == 6.0


def test_set_input_changes_an_unconnected_inputs_given_value_at_the_boundary() -> None:
    sim = Simulator(chain())
    assert sim.set_input("s.in2", 1.0) == 5.0
    assert sim.value("s.in2") == 5.0  # not yet
    sim.step()
    assert sim.value("s.out") == 7.0
    sim.force("s.in2", 0.0)
    sim.step()
    sim.release("s.in2")
    sim.step()
    assert sim.value("s.in2") == 1.0  # a released force returns to the new given value


def test_set_input_refuses_connected_inputs_and_outputs() -> None:
    sim = Simulator(chain())
    with pytest.raises(ModelError, match="connected"):
        sim.set_input("g.in", 1.0)
    with pytest.raises(ModelError, match="output"):
        sim.set_input("g.out", 1.0)


def test_tick_hooks_run_after_every_tick_until_removed() -> None:
    sim = Simulator(chain())
    seen: list[int] = []

    def hook(s: Simulator) -> None:
        seen.append(s.tick)

    sim.add_tick_hook(hook)
    sim.step(3)
    sim.remove_tick_hook(hook)
    sim.step(2)
    assert seen == [1, 2, 3]


def test_call_at_boundary_runs_in_order_before_the_next_tick() -> None:
    sim = Simulator(chain())
    calls: list[tuple[str, int]] = []
    sim.call_at_boundary(lambda: calls.append(("a", sim.tick)))
    sim.call_at_boundary(lambda: calls.append(("b", sim.tick)))
    sim.step()
    assert calls == [("a", 0), ("b", 0)]


def test_a_port_io_with_read_bindings_only_gets_empty_writes() -> None:
    doc = parse_document({
        "name": "reads", "dt": 0.1,
        "components": [{"name": "g", "type": "Gain", "parameters": {"k": 2.0}}],
        "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
        "bindings": [{"port": "g.in", "endpoint": "plc", "node_id": "ns=2;s=X", "direction": "read"}],
    })
    io = InMemoryIO({"ns=2;s=X": 4.0})
    sim = Simulator(doc, io=io)
    sim.open_io()
    sim.step(2)
    assert sim.value("g.out") == 8.0 and io.write_calls == 2


# ------------------------------------------------------------------------------------------ live model edits


def test_a_parameter_edit_applies_at_the_boundary_without_recompiling_the_plan() -> None:
    sim = Simulator(chain())
    sim.step()
    plan = sim.plan
    edited = chain()
    edited.component("g").parameters["k"] = 10.0
    assert sim.replace_document(edited) == "parameters"
    sim.step()
    assert sim.plan is plan and sim.value("g.out") == 20.0


def test_an_edited_input_value_applies_like_set_input() -> None:
    sim = Simulator(chain())
    edited = chain()
    edited.component("s").inputs["in2"] = 1.0
    assert sim.replace_document(edited) == "parameters"
    sim.step()
    assert sim.value("s.out") == 7.0


def test_a_graph_edit_keeps_the_state_of_components_that_stay() -> None:
    sim = Simulator(chain(), record=["x.out", "s.out"])
    sim.step(10)
    integral = sim.value("x.out")
    edited = model([comp("c", "Constant", value=2.0), comp("g", "Gain", k=3.0), comp("s", "Sum", {"in2": 5.0}),
                    comp("x", "Integrator"), comp("h", "Gain", k=0.5)],
                   [("c.out", "g.in"), ("g.out", "h.in"), ("h.out", "s.in1"), ("s.out", "x.in")], dt=0.1)
    assert sim.replace_document(edited) == "graph"
    sim.step()
    assert sim.value("h.out") == 3.0 and sim.value("s.out") == 8.0
    carried = sim.value("x.out")  # the integrator's state went on from where it was, not from zero
    assert carried == pytest.approx(integral + 1.1)
    sim.step()
    assert sim.value("x.out") == pytest.approx(carried + 0.8)


def test_a_graph_edit_keeps_forces_on_ports_that_still_exist_and_records_none_for_lost_ports() -> None:
    sim = Simulator(chain(), record=["g.out", "x.out"])
    sim.force("g.out", 1.0)
    sim.step()
    edited = model([comp("c", "Constant", value=2.0), comp("g", "Gain", k=3.0)], [("c.out", "g.in")], dt=0.1)
    sim.replace_document(edited)
    sim.step()
    assert sim.value("g.out") == 1.0 and sim.forces == {"g.out": 1.0}
    assert sim.recording is not None and sim.recording.rows[-1] == (1.0, None)


def test_an_edit_that_cannot_run_leaves_the_run_on_its_model() -> None:
    sim = Simulator(chain())
    looped = model([comp("a", "Gain"), comp("b", "Gain")], [("a.out", "b.in"), ("b.out", "a.in")], dt=0.1)
    with pytest.raises(ModelError):
        sim.replace_document(looped)
    sim.step()
    assert sim.value("g.out") == 6.0
