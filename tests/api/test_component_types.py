"""The catalogue comes from the engine's library."""

from fastapi.testclient import TestClient

from app import engine
from tests.conftest import assert_error


def test_catalogue_lists_every_engine_type(client: TestClient) -> None:
    types = [entry["type"] for entry in client.get("/api/v1/component-types").json()]
    assert types == engine.component_type_names()


def test_component_type_shows_ports_and_parameter_schema(client: TestClient) -> None:
    gain = client.get("/api/v1/component-types/Gain").json()
    assert {p["name"]: p["direction"] for p in gain["ports"]} == {"in": "input", "out": "output"}
    assert gain["parameters"]["properties"]["k"]["default"] == 1.0


def test_unknown_component_type_is_404_listing_valid_names(client: TestClient) -> None:
    error = assert_error(client.get("/api/v1/component-types/Nope"), 404)
    assert "Gain" in error["details"][0]["valid"]
