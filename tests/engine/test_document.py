"""The model document: every problem at once with its location, text round trips, the JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from app.engine import (
    DocumentError,
    document_json_schema,
    dump_document,
    load_document,
    node_id_problem,
    parse_document,
    read_document_file,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD: dict[str, Any] = {
    "name": "heated-tank",
    "description": "a small plant",
    "dt": 0.05,
    "components": [
        {"name": "sp", "type": "Constant", "parameters": {"value": 60.0}},
        {"name": "pid", "type": "PID", "parameters": {"kp": 0.05, "ki": 0.001}},
        {"name": "amp", "type": "Gain", "parameters": {"k": 2000.0}},
        {"name": "heater", "type": "Heater", "parameters": {"thermal_mass": 8000.0}},
        {"name": "tank", "type": "Tank", "parameters": {}, "inputs": {"inflow": 0.001}},
        {"name": "lamp", "type": "Lamp", "parameters": {}},
        {"name": "hot", "type": "Comparator", "parameters": {"threshold": 55.0, "hysteresis": 2.0}},
    ],
    "connections": [
        {"from": "sp.out", "to": "pid.setpoint"},
        {"from": "heater.temperature", "to": "pid.measurement"},
        {"from": "pid.out", "to": "amp.in"},
        {"from": "amp.out", "to": "heater.power"},
        {"from": "heater.temperature", "to": "hot.in"},
        {"from": "hot.out", "to": "lamp.in"},
    ],
    "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
    "bindings": [{"port": "lamp.on", "endpoint": "plc", "node_id": "ns=2;s=Lamp.On", "direction": "write"}],
}


def _problems(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    with pytest.raises(DocumentError) as err:
        parse_document(data)
    return {p["loc"]: p for p in err.value.problems}


def test_good_document_parses() -> None:
    doc = parse_document(GOOD)
    assert [c.name for c in doc.components][:2] == ["sp", "pid"]
    assert doc.component("heater").parameters["thermal_mass"] == 8000.0
    assert doc.component("heater").parameters["loss_coefficient"] == 10.0  # default filled
    assert doc.component("tank").inputs == {"inflow": 0.001}


def test_every_problem_is_listed_at_once_with_its_location() -> None:
    data = {
        "name": "bad",
        "components": [
            {"name": "g", "type": "Gian"},
            {"name": "h", "type": "Heater", "parameters": {"thermal_mass": -1.0, "colour": "red"}},
            {"name": "c", "type": "Constant"},
            {"name": "n", "type": "Not"},
            {"name": "k", "type": "Gain"},
        ],
        "connections": [
            {"from": "c.out", "to": "h.pwr"},
            {"from": "c.out", "to": "h.power"},
            {"from": "c.out", "to": "h.power"},
            {"from": "h.power", "to": "k.in"},
            {"from": "c.out", "to": "n.in"},
            {"from": "x.out", "to": "k.in"},
        ],
        "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
        "bindings": [
            {"port": "k.out", "endpoint": "plc", "node_id": "Tank.Level", "direction": "write"},
            {"port": "k.out", "endpoint": "nope", "node_id": "ns=2;s=K", "direction": "write"},
        ],
    }
    problems = _problems(data)
    bad_type = problems["components[0].type"]
    assert "Gian" in bad_type["message"] and "Gain" in bad_type["valid"] and "Heater" in bad_type["valid"]
    assert problems["components[1].parameters.thermal_mass"]["bound"] == {"exclusiveMinimum": 0.0}
    assert "thermal_mass" in problems["components[1].parameters.thermal_mass"]["loc"]
    assert "max_power" in problems["components[1].parameters.colour"]["valid"]
    assert problems["connections[0].to"]["valid"] == ["power"]
    assert "already has a driver" in problems["connections[2].to"]["message"]
    assert "'power' is an input" in problems["connections[3].from"]["message"]
    assert "cannot connect float output c.out to bool input n.in" in problems["connections[4]"]["message"]
    assert "unknown component 'x'" in problems["connections[5].from"]["message"]
    assert "node id" in problems["bindings[0].node_id"]["message"]
    assert "unknown endpoint 'nope'" in problems["bindings[1].endpoint"]["message"]
    assert len(problems) == 10


def test_error_message_names_the_first_problem_and_counts_the_rest() -> None:
    with pytest.raises(DocumentError) as err:
        parse_document({"name": "", "dt": -1})
    assert err.value.message.startswith("invalid model document: name:")
    assert "(and 1 more)" in err.value.message


@pytest.mark.parametrize(("data", "loc"), [
    ({"name": "x", "dt": 0}, "dt"),
    ({"name": "x", "colour": 1}, "colour"),
    ({"name": "x", "schema_version": 9}, "schema_version"),
    ({"name": "x", "components": [{"name": "a.b", "type": "Gain"}]}, "components[0].name"),
    ({"name": "x", "components": [{"name": "a", "type": "Gain"}, {"name": "a", "type": "Gain"}]},
     "components[1].name"),
    ({"name": "x", "components": [{"name": "a", "type": "Gain", "inputs": {"nope": 1}}]}, "components[0].inputs.nope"),
    ({"name": "x", "components": [{"name": "a", "type": "Not", "inputs": {"in": 1.0}}]}, "components[0].inputs.in"),
    ({"name": "x", "components": [{"name": "a", "type": "Gain"}], "connections": [{"from": "a.out"}]},
     "connections[0]"),
    ({"name": "x", "endpoints": [{"name": "e", "url": "http://x"}]}, "endpoints[0].url"),
    ({"name": "x", "endpoints": [{"name": "e", "url": "opc.tcp://h:1", "security_policy": "Basic256Sha256",
                                  "security_mode": "None"}]}, "endpoints[0].security_mode"),
])
def test_single_problem_is_located(data: dict[str, Any], loc: str) -> None:
    assert loc in _problems(data)


def test_read_binding_counts_as_a_second_driver() -> None:
    data = {**GOOD, "bindings": [{"port": "pid.setpoint", "endpoint": "plc", "node_id": "ns=2;s=SP",
                                  "direction": "read"}]}
    assert "already has a driver" in _problems(data)["bindings[0].port"]["message"]


@pytest.mark.parametrize("node_id", ["ns=2;s=Tank.Level", "nsu=urn:plant;s=Tag", "i=2258", "ns=1;i=5",
                                     "ns=3;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63", "ns=2;b=AAEC"])
def test_valid_node_ids(node_id: str) -> None:
    assert node_id_problem(node_id) is None


@pytest.mark.parametrize("node_id", ["Tank.Level", "ns=x;s=A", "s=", "ns=2;q=1", 5, None])
def test_invalid_node_ids(node_id: Any) -> None:
    assert node_id_problem(node_id) is not None


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_dump_and_load_round_trip(fmt: str) -> None:
    canonical = parse_document(GOOD).to_dict()
    text = dump_document(canonical, fmt)
    again = parse_document(load_document(text, fmt)).to_dict()
    assert again == canonical
    assert dump_document(again, fmt) == text


def test_load_guesses_the_format() -> None:
    text = dump_document(GOOD, "yaml")
    assert load_document(text) == load_document(dump_document(GOOD, "json"))


def test_load_reports_the_line_of_a_syntax_error() -> None:
    with pytest.raises(DocumentError) as err:
        load_document('{\n  "name": "x",\n  oops\n}')
    assert "line 3" in err.value.message
    with pytest.raises(DocumentError) as err:
        load_document("name: x\ncomponents: [a, b\n", "yaml")
    assert "line" in err.value.message


def test_digest_is_independent_of_component_order() -> None:
    reordered = {**GOOD, "components": list(reversed(GOOD["components"]))}
    assert parse_document(reordered).digest() == parse_document(GOOD).digest()


def test_read_document_file_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(dump_document(GOOD, "yaml"), encoding="utf-8")
    assert read_document_file(str(path)).name == "heated-tank"


def test_schema_validates_good_documents_and_the_examples() -> None:
    schema = document_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    docs = [GOOD, parse_document(GOOD).to_dict()]
    for path in sorted(EXAMPLES.glob("*.*")) if EXAMPLES.is_dir() else []:
        if path.suffix in (".json", ".yaml", ".yml"):
            docs.append(load_document(path.read_text(encoding="utf-8"), "json" if path.suffix == ".json" else "yaml"))
    for doc in docs:
        errors = [e.message for e in validator.iter_errors(doc)]
        assert errors == [], (doc.get("name"), errors)


def test_examples_parse_and_compile() -> None:
    from app.engine import compile_model

    for path in sorted(EXAMPLES.glob("*.*")) if EXAMPLES.is_dir() else []:
        if path.suffix in (".json", ".yaml", ".yml"):
            compile_model(read_document_file(str(path)))


def test_schema_rejects_a_parameter_outside_its_bound() -> None:
    bad = {"name": "x", "components": [{"name": "h", "type": "Heater", "parameters": {"thermal_mass": 0}}]}
    assert list(jsonschema.Draft202012Validator(document_json_schema()).iter_errors(bad))
