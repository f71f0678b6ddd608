"""Hostile documents over the API: the alias bomb, deep YAML, NaN in YAML, and errors that stay small."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.errors import MAX_DETAILS_BYTES, MAX_TEXT
from app.engine.document import MAX_NESTING
from tests.conftest import assert_error
from tests.engine.test_document_limits import alias_bomb

YAML = {"content-type": "application/yaml"}


def import_yaml(client: TestClient, project_id: int, text: str) -> Any:
    return client.post(f"/api/v1/machine-models/import?project_id={project_id}", content=text, headers=YAML)


def test_the_alias_bomb_is_a_small_422(client: TestClient, project: dict[str, Any]) -> None:
    for response in (import_yaml(client, project["id"], alias_bomb()),
                     client.post("/api/v1/scenarios", content=alias_bomb(), headers=YAML)):
        error = assert_error(response, 422, "invalid_document")
        assert "aliases" in error["message"] and len(response.content) < 1000


def test_deep_yaml_is_422_naming_the_limit(client: TestClient, project: dict[str, Any]) -> None:
    text = "name: m\ncomponents: " + "[" * 10_000 + "]" * 10_000 + "\n"
    for response in (import_yaml(client, project["id"], text),
                     client.post("/api/v1/scenarios", content=text, headers=YAML)):
        error = assert_error(response, 422, "invalid_document")
        assert f"limit of {MAX_NESTING} levels" in error["message"]


def test_yaml_nan_in_a_model_is_422_naming_the_field_and_nothing_is_stored(
    client: TestClient, project: dict[str, Any]
) -> None:
    text = "name: m\ncomponents:\n  - {name: g, type: Gain, parameters: {k: .nan}, inputs: {in: .inf}}\n"
    error = assert_error(import_yaml(client, project["id"], text), 422, "invalid_document")
    assert {d["loc"] for d in error["details"]} == {"components[0].parameters.k", "components[0].inputs.in"}
    assert client.get("/api/v1/machine-models").json()["total"] == 0


def test_yaml_nan_in_a_scenario_is_422_naming_the_field(client: TestClient) -> None:
    text = "name: s\nduration: .inf\nassertions: []\n"
    error = assert_error(client.post("/api/v1/scenarios", content=text, headers=YAML), 422, "invalid_document")
    assert error["details"][0]["loc"] == "duration"


def test_a_huge_bad_value_is_echoed_cut_short(client: TestClient, project: dict[str, Any]) -> None:
    text = f"name: m\ndt: {'x' * 1_000_000}\ncomponents: []\n"
    response = import_yaml(client, project["id"], text)
    error = assert_error(response, 422)
    (detail,) = [d for d in error["details"] if d["loc"] == "dt"]
    assert detail["value"].startswith("xxx") and len(detail["value"]) < MAX_TEXT + 50
    assert "1000000 characters" in detail["value"] and len(response.content) < 2000


def test_thousands_of_problems_are_capped_and_counted(client: TestClient, project: dict[str, Any]) -> None:
    components = "".join(f"  - {{name: c{i}, type: {'Q' * 300}}}\n" for i in range(5000))
    response = import_yaml(client, project["id"], f"name: m\ncomponents:\n{components}")
    error = assert_error(response, 422, "invalid_document")
    assert len(response.content) < MAX_DETAILS_BYTES + 5000
    assert error["details"][-1]["message"].endswith("more problem(s) not shown")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**30, ["x" * 300] * 100, {"k": {"k": {"k": 1}}}])
def test_bounded_values_are_json_safe_and_small(value: Any) -> None:
    import json

    from app.api.errors import bounded

    text = json.dumps(bounded(value), allow_nan=False)
    assert len(text) < 6000


def test_an_expression_nested_beyond_the_limit_is_422_naming_it(client: TestClient, model: dict[str, Any]) -> None:
    from app.engine.scenarios._expr import MAX_DEPTH

    deep = "(" * 100 + "a.x" + ")" * 100 + " > 1"
    body = {"name": "s", "model_id": model["id"], "run": {"duration": 1.0},
            "assertions": [{"name": "deep", "always": deep}]}
    error = assert_error(client.post("/api/v1/scenarios", json=body), 422)
    located = [d for d in error["details"] if "limit" in d["message"]]
    assert located and located[0]["loc"].startswith("assertions[0]")
    assert f"limit of {MAX_DEPTH} levels" in located[0]["message"]
