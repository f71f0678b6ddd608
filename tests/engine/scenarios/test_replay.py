from __future__ import annotations

import pytest

from app.engine import InMemoryIO, ModelDocument
from app.engine.scenarios import (
    ScenarioError,
    Trace,
    TraceReplayIO,
    read_trace,
    run_scenario,
    trace_from_text,
    trace_to_text,
    write_trace,
)

from .conftest import scenario

ASSERTIONS = [{"always": "act.position <= 100"}, {"eventually": "cyl.extended"},
              {"at": 8, "expect": "act.position", "value": 60, "tolerance": 1e-9}]
PLC_STIMULI = [{"at": 0.5, "set": "act.setpoint", "value": 37.25}, {"at": 2, "set": "cyl.extend", "value": True},
               {"at": 3, "set": "act.setpoint", "value": 60.0}, {"at": 6, "set": "cyl.extend", "value": False}]


def test_a_sim_run_records_its_read_bindings(model: ModelDocument) -> None:
    r = run_scenario(scenario(stimuli=PLC_STIMULI, assertions=ASSERTIONS), model)
    assert r.trace is not None
    assert r.trace.ports == ["act.setpoint", "cyl.extend"]
    assert len(r.trace.rows) == r.ticks
    assert r.trace.rows[10] == (37.25, False)


def test_replay_equals_the_recorded_run_bit_for_bit(model: ModelDocument, tmp_path) -> None:  # type: ignore[no-untyped-def]
    recorded = run_scenario(scenario(stimuli=PLC_STIMULI, assertions=ASSERTIONS), model)
    assert recorded.trace is not None
    path = str(tmp_path / "plc.trace.csv")
    write_trace(path, recorded.trace)
    # The replay has no stimuli at all: the trace stands in for the PLC.
    replayed = run_scenario(scenario(assertions=ASSERTIONS), model, replay=read_trace(path))
    # Fed through a PortIO, the replay also records each read binding's quality (all good: the trace has no gaps).
    quality = {p: replayed.series["ports"].pop(p) for p in list(replayed.series["ports"]) if p.endswith(":quality")}
    assert sorted(quality) == ["act.setpoint:quality", "cyl.extend:quality"]
    assert all(set(column) == {0} for column in quality.values())
    assert replayed.series == recorded.series
    assert [a.passed for a in replayed.assertions] == [a.passed for a in recorded.assertions] == [True, True, True]
    assert replayed.trace is not None and replayed.trace.rows == recorded.trace.rows


def test_replay_of_a_hil_run_with_scaled_bindings_is_exact(model: ModelDocument) -> None:
    doc = ModelDocument(model.name, model.dt, "", model.components, model.connections, model.endpoints,
                        [b if b.port != "act.setpoint" else type(b)(b.port, b.endpoint, b.node_id, b.direction,
                                                                       b.data_type, 0.1, 3.0)
                         for b in model.bindings])

    class PlcStandIn(InMemoryIO):
        """Serves a changing raw setpoint, like a PLC program would."""

        def read(self) -> list:
            self.nodes["ns=2;s=Setpoint"] = 100.0 + 7.0 * (self.read_calls % 13)
            self.nodes["ns=2;s=Extend"] = self.read_calls % 40 > 20
            return super().read()

    hil = scenario(run={"duration": 10, "seed": 1, "mode": "hil"}, assertions=ASSERTIONS[:1])
    recorded = run_scenario(hil, doc, io=PlcStandIn())
    assert recorded.trace is not None and recorded.trace.rows[5][0] == 135.0  # raw, before scale/offset
    trace = trace_from_text(trace_to_text(recorded.trace))
    replayed = run_scenario(scenario(assertions=ASSERTIONS[:1]), doc, replay=trace)
    assert replayed.series == recorded.series


def test_hil_mode_without_an_adapter_is_a_clear_error(model: ModelDocument) -> None:
    from app.engine import RunError

    with pytest.raises(RunError, match="mode hil needs a PortIO"):
        run_scenario(scenario(run={"duration": 1, "mode": "hil"}), model)


def test_trace_csv_round_trips_types_and_gaps() -> None:
    trace = Trace(["a.x", "b.y", "c.z"], [0.0, 0.1], [(0.1 + 0.2, True, 3), (None, False, -2)])
    back = trace_from_text(trace_to_text(trace))
    assert back == trace
    assert trace_to_text(trace).splitlines()[1] == "0.0,0.30000000000000004,true,3"


def test_a_trace_that_does_not_match_the_bindings_is_rejected(model: ModelDocument) -> None:
    trace = Trace(["act.setpoint", "cyl.retracted"], [0.0], [(1.0, True)])
    with pytest.raises(ScenarioError) as info:
        run_scenario(scenario(), model, replay=trace)
    messages = [p["message"] for p in info.value.problems]
    assert messages == ["no column for read binding cyl.extend",
                        "column cyl.retracted is not a read binding of the model"]


def test_a_bad_trace_cell_is_located() -> None:
    with pytest.raises(ScenarioError, match="line 3"):
        trace_from_text("time,a.x\n0.0,1.0\n0.1,abc\n")


def test_replay_io_holds_past_the_end_of_the_trace() -> None:
    io = TraceReplayIO(Trace(["a.x"], [0.0], [(5.0,)]), 0.1)
    from app.engine import BindingSpec

    io.open([BindingSpec("a.x", "plc", "ns=2;s=A", "read")], [])
    assert io.read() == [5.0] and io.read() == [None]
