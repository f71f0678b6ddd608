"""The compiler: graph checks (loops, unconnected inputs), the execution order and the generated code."""

from __future__ import annotations

import re

import pytest

from app.engine import AlgebraicLoopError, GraphError, ModelError, check_model, compile_model, generate_source
from tests.engine.support import comp, model, trace


def test_algebraic_loop_names_components_ports_and_suggests_unit_delay() -> None:
    doc = model([comp("a", "Gain"), comp("b", "Gain"), comp("c", "Sum")],
                [("a.out", "b.in"), ("b.out", "c.in1"), ("c.out", "a.in")])
    with pytest.raises(AlgebraicLoopError) as err:
        compile_model(doc)
    (problem,) = err.value.problems
    assert problem["code"] == "algebraic_loop"
    assert problem["components"] == ["a", "b", "c"]
    assert set(problem["cycle"]) == {"a.in", "a.out", "b.in", "b.out", "c.in1", "c.out"}
    assert problem["cycle"][0] == problem["cycle"][-1]
    assert "UnitDelay" in problem["message"] and "a.out" in problem["message"]
    assert "UnitDelay" in err.value.message


def test_loop_through_a_unit_delay_is_legal() -> None:
    doc = model([comp("a", "Gain"), comp("z", "UnitDelay")], [("a.out", "z.in"), ("z.out", "a.in")])
    assert check_model(doc) == []
    compile_model(doc)


@pytest.mark.parametrize(("stateful", "port_in", "port_out"), [
    ("Integrator", "in", "out"), ("Heater", "power", "temperature"), ("Tank", "inflow", "level"),
    ("Cylinder", "extend", "extended"), ("Motor", "enable", "running"), ("Valve", "command", "opening"),
])
def test_loop_through_a_stateful_output_is_legal(stateful: str, port_in: str, port_out: str) -> None:
    # Each connection is type-compatible: bool outputs go through Not, floats through Gain.
    is_bool = stateful in ("Cylinder", "Motor")
    middle = comp("m", "Not" if is_bool else "Gain")
    doc = model([comp("s", stateful), middle], [(f"s.{port_out}", "m.in"), ("m.out", f"s.{port_in}")])
    assert check_model(doc) == []


def test_two_separate_loops_are_both_reported() -> None:
    doc = model([comp("a", "Gain"), comp("b", "Gain"), comp("c", "Not")], [("a.out", "b.in"), ("b.out", "a.in"),
                                                                             ("c.out", "c.in")])
    with pytest.raises(AlgebraicLoopError) as err:
        compile_model(doc)
    assert [p["components"] for p in err.value.problems] == [["a", "b"], ["c"]]


def test_unconnected_required_input_is_reported_with_its_location() -> None:
    doc = model([comp("c", "Constant"), comp("g", "Gain")])
    problems = check_model(doc)
    assert problems == [{"code": "unconnected_input", "loc": "components[1].inputs.in", "port": "g.in",
                         "message": problems[0]["message"]}]
    assert "g.in" in problems[0]["message"]
    with pytest.raises(GraphError):
        compile_model(doc)


def test_value_in_inputs_satisfies_a_required_input() -> None:
    doc = model([comp("g", "Gain", {"in": 4.0}, k=2.0)])
    assert check_model(doc) == []
    assert trace(doc, ["g.out"], 1)["g.out"] == [8.0]


def test_every_graph_problem_is_listed_at_once() -> None:
    doc = model([comp("g", "Gain"), comp("h", "Gain"), comp("a", "Gain"), comp("b", "Gain")],
                [("a.out", "b.in"), ("b.out", "a.in")])
    with pytest.raises(ModelError) as err:
        compile_model(doc)
    assert [p["code"] for p in err.value.problems] == ["unconnected_input", "unconnected_input", "algebraic_loop"]
    assert "(and 2 more)" in err.value.message
    assert not isinstance(err.value, AlgebraicLoopError)


def test_execution_order_follows_data_flow_whatever_the_document_order() -> None:
    doc = model([comp("g2", "Gain"), comp("g1", "Gain"), comp("c", "Constant")],
                [("c.out", "g1.in"), ("g1.out", "g2.in")])
    assert compile_model(doc).order == ["c", "g1", "g2"]


def test_execution_order_breaks_ties_by_document_order() -> None:
    names = ["d", "a", "c", "b"]
    doc = model([comp(n, "Constant") for n in names])
    assert compile_model(doc).order == names
    assert compile_model(model([comp(n, "Constant") for n in reversed(names)])).order == list(reversed(names))


def test_execution_order_is_the_same_on_every_compile() -> None:
    spec = ([comp("x", "Integrator"), comp("g", "Gain", k=-1.0), comp("s", "Sum"), comp("c", "Constant")],
            [("x.out", "g.in"), ("g.out", "s.in1"), ("c.out", "s.in2"), ("s.out", "x.in")])
    orders = {tuple(compile_model(model(*spec)).output_order) for _ in range(5)}
    assert len(orders) == 1


def test_stateful_outputs_come_before_their_readers() -> None:
    doc = model([comp("g", "Gain"), comp("x", "Integrator")], [("x.out", "g.in"), ("g.out", "x.in")])
    assert compile_model(doc).order == ["x", "g"]


def test_compile_uses_the_dt_given_over_the_document_dt() -> None:
    doc = model([comp("c", "Constant")], dt=0.1)
    assert compile_model(doc).dt == 0.1
    assert compile_model(doc, 0.02).dt == 0.02


def test_gain_chain_source_has_no_function_call_per_gain() -> None:
    # The speed design: each Gain is one straight-line assignment, no call, no dict look-up.
    n = 50
    comps = [comp("src", "Constant", value=1.0)] + [comp(f"g{i}", "Gain", k=1.5) for i in range(n)]
    conns = [("src.out", "g0.in")] + [(f"g{i}.out", f"g{i + 1}.in") for i in range(n - 1)]
    plan = compile_model(model(comps, conns))
    source = generate_source(plan)
    body = source.splitlines()[1:]
    assert len(body) == n + 1  # one line per block, no state updates
    for line in body[1:]:
        assert "(" not in line
        assert re.fullmatch(r"    v\[\d+\] = 1\.5 \* v\[\d+\]", line)


def test_port_names_list_inputs_then_outputs_per_component() -> None:
    plan = compile_model(model([comp("t", "TimerOn", {"in": False})]))
    assert plan.port_names() == ["t.in", "t.preset", "t.q", "t.elapsed"]


def test_the_same_generated_source_is_compiled_once_and_reused() -> None:
    from app.engine import Simulator, parse_document

    doc = parse_document({"name": "cache", "components": [{"name": "g", "type": "Gain", "inputs": {"in": 1.0}}]})
    first, second = Simulator(doc), Simulator(doc)
    first.step()
    second.step()
    assert first._step.__code__ is second._step.__code__
    second.force("g.out", 2.0)
    second.step()
    assert second._step.__code__ is not first._step.__code__
    second.release("g.out")
    second.step()
    assert second._step.__code__ is first._step.__code__  # back to the cached build
