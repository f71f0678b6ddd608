"""Hostile model documents: aliases, deep nesting, NaN/Infinity and huge numbers are refused with a location."""

from __future__ import annotations

import math

import pytest

from app.engine import load_document, parse_document
from app.engine._exceptions import DocumentError
from app.engine.document import MAX_NESTING, plain_data_problems


def alias_bomb(levels: int = 7, width: int = 9) -> str:
    """A few hundred bytes of YAML that expand to width**levels strings when aliases are followed."""
    lines = ['  a: &a ["' + '","'.join(["xxxxxxxx"] * width) + '"]']
    names = "abcdefghijkl"[:levels]
    for previous, name in zip(names, names[1:]):
        lines.append(f"  {name}: &{name} [" + ",".join([f"*{previous}"] * width) + "]")
    return "name: bomb\ncomponents: []\ndt:\n" + "\n".join(lines) + "\n"


def problems_of(text: str, fmt: str | None = None) -> list[dict[str, object]]:
    with pytest.raises(DocumentError) as info:
        load_document(text, fmt)
    return info.value.problems


def test_the_alias_bomb_is_refused_at_its_first_alias() -> None:
    text = alias_bomb()
    assert len(text.encode()) < 500
    (problem,) = problems_of(text, "yaml")
    assert problem["loc"] == "line 5" and "aliases (*a) are not accepted" in str(problem["message"])


def test_a_merge_key_is_an_alias_too() -> None:
    (problem,) = problems_of("base: &b {k: 1}\nother:\n  <<: *b\n", "yaml")
    assert "aliases" in str(problem["message"])


def test_an_anchor_without_aliases_is_harmless_and_accepted() -> None:
    assert load_document("name: m\ncomponents: &c []\n", "yaml") == {"name": "m", "components": []}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_nesting_beyond_the_limit_is_refused_naming_it_never_a_recursion_error(fmt: str) -> None:
    text = "{\"a\": " + "[" * 50_000 + "]" * 50_000 + "}"
    (problem,) = problems_of(text, fmt)
    assert f"limit of {MAX_NESTING} levels" in str(problem["message"])


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_nesting_at_the_limit_is_accepted(fmt: str) -> None:
    text = '{"a": ' + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "}"
    assert "a" in load_document(text, fmt)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_yaml_nan_and_infinity_are_refused_naming_the_field(value: str) -> None:
    text = f"name: m\ncomponents:\n  - name: g\n    type: Gain\n    parameters: {{k: {value}}}\n"
    (problem,) = problems_of(text, "yaml")
    assert problem["loc"] == "components[0].parameters.k" and "finite" in str(problem["message"])


def test_json_nan_literals_are_refused_naming_the_field() -> None:
    (problem,) = problems_of('{"name": "m", "dt": NaN, "components": []}', "json")
    assert problem["loc"] == "dt"


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_an_integer_too_long_to_convert_is_a_document_error(fmt: str) -> None:
    text = '{"name": "m", "dt": ' + "9" * 5000 + "}"
    (problem,) = problems_of(text, fmt)
    assert "digits" in str(problem["message"])


@pytest.mark.parametrize(
    ("path", "value"),
    [("dt", math.inf), ("components[0].parameters.k", math.nan), ("components[0].inputs.in", -math.inf),
     ("bindings[0].scale", math.nan), ("bindings[0].offset", math.inf)],
)
def test_parse_document_refuses_non_finite_numbers_handed_in_directly(path: str, value: float) -> None:
    document = {
        "name": "m", "dt": 0.01,
        "components": [{"name": "g", "type": "Gain", "parameters": {"k": 1.0}, "inputs": {"in": 0.0}}],
        "endpoints": [{"name": "plc", "url": "opc.tcp://127.0.0.1:4840"}],
        "bindings": [{"port": "g.out", "endpoint": "plc", "node_id": "ns=2;s=X", "direction": "write",
                      "scale": 1.0, "offset": 0.0}],
    }
    if path == "dt":
        document["dt"] = value
    elif path.startswith("components"):
        part = path.split(".")[1]
        document["components"][0][part][path.rsplit(".", 1)[1]] = value  # type: ignore[index]
    else:
        document["bindings"][0][path.rsplit(".", 1)[1]] = value  # type: ignore[index]
    with pytest.raises(DocumentError) as info:
        parse_document(document)
    assert path in [p["loc"] for p in info.value.problems]


def test_plain_data_problems_walks_without_recursion() -> None:
    deep: object = 1.0
    for _ in range(100_000):
        deep = [deep]
    (problem,) = plain_data_problems(deep, "body")
    assert problem["type"] == "too_deep" and str(problem["loc"]).startswith("body[0][0]")
