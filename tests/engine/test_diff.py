"""The semantic model diff: changes a reviewer reads, independent of order, formatting and written-out defaults."""

from __future__ import annotations

import copy
from typing import Any

from app.engine import parse_document
from app.engine.diff import Change, diff_documents


def base() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "line",
        "dt": 0.1,
        "components": [
            {"name": "src", "type": "Constant", "parameters": {"value": 2.0}},
            {"name": "amp", "type": "Gain", "parameters": {"k": 3.0}},
            {"name": "hold", "type": "UnitDelay", "inputs": {"in": 0.0}},
        ],
        "connections": [{"from": "src.out", "to": "amp.in"}, {"from": "amp.out", "to": "hold.in"}],
        "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
        "bindings": [{"port": "amp.out", "endpoint": "plc", "node_id": "ns=2;s=Out", "direction": "write"}],
    }


def changes(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    return [(c.kind, c.target, c.old, c.new) for c in diff_documents(parse_document(a), parse_document(b))]


def test_the_same_model_in_another_order_and_with_defaults_written_out_has_no_changes() -> None:
    a = base()
    b = copy.deepcopy(a)
    b["components"].reverse()
    b["connections"].reverse()
    b["components"][0]["parameters"] = {}  # UnitDelay's defaults, now implicit
    b["components"][1]["parameters"]["k"] = 3  # the same number, written as an int
    assert changes(a, b) == []


def test_parameters_inputs_and_model_settings_show_old_and_new() -> None:
    b = base()
    b["dt"] = 0.05
    b["components"][1]["parameters"]["k"] = 4.5
    b["components"][2]["inputs"]["in"] = 1.0
    assert changes(base(), b) == [
        ("model_changed", "dt", 0.1, 0.05),
        ("parameter_changed", "amp.k", 3.0, 4.5),
        ("input_changed", "hold.in", 0.0, 1.0),
    ]


def test_a_renamed_component_is_one_change_and_its_wires_and_bindings_follow_it() -> None:
    b = copy.deepcopy(base())
    b["components"][1]["name"] = "gain"
    b["connections"] = [{"from": "src.out", "to": "gain.in"}, {"from": "gain.out", "to": "hold.in"}]
    b["bindings"][0]["port"] = "gain.out"
    assert changes(base(), b) == [("component_renamed", "amp", "amp", "gain")]


def test_added_and_removed_components_connections_endpoints_and_bindings() -> None:
    b = copy.deepcopy(base())
    b["components"] = [c for c in b["components"] if c["name"] != "hold"]
    b["components"].append({"name": "lim", "type": "Limit", "parameters": {"lower": 0.0, "upper": 5.0}})
    b["connections"] = [{"from": "src.out", "to": "amp.in"}, {"from": "amp.out", "to": "lim.in"}]
    b["endpoints"].append({"name": "plc2", "url": "opc.tcp://127.0.0.1:4841"})
    b["bindings"] = [{"port": "lim.out", "endpoint": "plc2", "node_id": "ns=2;s=Lim", "direction": "write"}]
    found = changes(base(), b)
    assert ("component_removed", "hold", "UnitDelay", None) in found
    assert ("component_added", "lim", None, "Limit") in found
    assert ("connection_removed", "amp.out -> hold.in", None, None) in found
    assert ("connection_added", "amp.out -> lim.in", None, None) in found
    assert ("endpoint_added", "plc2", None, "opc.tcp://127.0.0.1:4841") in found
    assert ("binding_removed", "amp.out -> plc:ns=2;s=Out", None, None) in found
    assert ("binding_added", "lim.out -> plc2:ns=2;s=Lim", None, None) in found
    assert len(found) == 7


def test_a_changed_type_hides_its_parameter_noise_and_endpoint_fields_are_compared_one_by_one() -> None:
    b = copy.deepcopy(base())
    b["components"][0] = {"name": "src", "type": "Step", "parameters": {}}
    b["endpoints"][0]["url"] = "opc.tcp://10.0.0.7:4840"
    b["bindings"][0]["scale"] = 10.0
    assert changes(base(), b) == [
        ("type_changed", "src", "Constant", "Step"),
        ("endpoint_changed", "plc.url", "opc.tcp://127.0.0.1:4840", "opc.tcp://10.0.0.7:4840"),
        ("binding_changed", "amp.out -> plc:ns=2;s=Out scale", 1.0, 10.0),
    ]


def test_each_change_reads_as_one_line() -> None:
    assert Change("parameter_changed", "tank.area", 0.5, 0.6).describe() == "~ parameter tank.area: 0.5 -> 0.6"
    assert Change("component_added", "lim", None, "Limit").describe() == "+ component lim ('Limit')"
    assert Change("connection_removed", "a.out -> b.in").describe() == "- connection a.out -> b.in"
    assert Change("component_renamed", "amp", "amp", "gain").describe() == "~ renamed amp: 'amp' -> 'gain'"
