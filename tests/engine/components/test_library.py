"""The library as a whole: every type the issue lists exists and declares itself completely."""

from __future__ import annotations

import pytest

from app.engine import catalogue, component_type_names, get_component_type, validate_parameters
from app.engine.components import REGISTRY

ISSUE_TYPES = [
    "Constant", "Step", "Ramp", "Sine", "Pulse", "Gain", "Sum", "Product", "Limit", "Comparator", "And", "Or",
    "Not", "UnitDelay", "Integrator", "TimerOn", "Counter", "PID",
    "Sensor", "Heater", "Valve", "Actuator", "Tank", "Motor", "Conveyor", "Cylinder", "Lamp",
]


def test_every_type_listed_in_the_issue_exists() -> None:
    assert set(ISSUE_TYPES) <= set(component_type_names())


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_type_has_a_docstring(name: str) -> None:
    assert (get_component_type(name).__doc__ or "").strip()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_type_defaults_are_valid_parameters(name: str) -> None:
    cls = get_component_type(name)
    assert validate_parameters(name, {}) == {p.name: p.default for p in cls.params}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_machine_ports_carry_units(name: str) -> None:
    cls = get_component_type(name)
    if cls.category != "machine":
        return
    missing = [p.name for p in (*cls.inputs, *cls.outputs) if p.data_type == "float" and not p.unit]
    # Sensor measures any quantity, so its in/value are unit-less by design.
    assert missing == ([] if name != "Sensor" else ["in", "value"])


@pytest.mark.parametrize(
    ("name", "ports"),
    [
        ("Heater", {"power": "W", "temperature": "°C"}),
        ("Valve", {"flow": "m³/s"}),
        ("Tank", {"inflow": "m³/s", "outflow": "m³/s", "level": "m", "volume": "m³"}),
        ("Motor", {"speed": "rpm", "current": "A", "runtime": "s"}),
        ("Conveyor", {"speed": "m/s", "position": "m"}),
        ("TimerOn", {"preset": "s", "elapsed": "s"}),
    ],
)
def test_physical_ports_have_the_issue_units(name: str, ports: dict[str, str]) -> None:
    cls = get_component_type(name)
    declared = {p.name: p.unit for p in (*cls.inputs, *cls.outputs)}
    assert {k: declared[k] for k in ports} == ports


def test_catalogue_renders_parameter_bounds_as_json_schema() -> None:
    heater = next(t for t in catalogue() if t["type"] == "Heater")
    mass = heater["parameters"]["properties"]["thermal_mass"]
    assert mass["exclusiveMinimum"] == 0.0 and mass["default"] == 5000.0 and "J/K" in mass["description"]


def test_catalogue_lists_feedthrough_outputs_only() -> None:
    by_type = {t["type"]: t for t in catalogue()}
    assert by_type["Gain"]["feedthrough"] == ["out"]
    assert by_type["Integrator"]["feedthrough"] == []
    assert by_type["UnitDelay"]["feedthrough"] == []
    assert by_type["Heater"]["feedthrough"] == []
    assert by_type["Sensor"]["feedthrough"] == ["value", "active"]


@pytest.mark.parametrize(("name", "params", "field"), [
    ("Limit", {"lower": 2.0, "upper": 1.0}, "lower"),
    ("PID", {"out_min": 2.0, "out_max": 1.0}, "out_min"),
    ("Actuator", {"min_position": 5.0, "max_position": 5.0}, "min_position"),
    ("Integrator", {"lower": 1.0, "upper": 0.0}, "lower"),
])
def test_inconsistent_limits_are_refused(name: str, params: dict[str, float], field: str) -> None:
    from app.engine import ParameterError

    with pytest.raises(ParameterError) as err:
        validate_parameters(name, params)
    assert [p["field"] for p in err.value.problems] == [field]
