"""The web app is served next to the API: hashed assets cached for good, the page for every deep link,
JSON errors kept for the API, and a page that says how to build the app when it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import web
from app.api import errors

INDEX = "<!doctype html><title>twin</title><div id=root></div><script type=module src=/assets/index-abc123.js></script>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('twin')")
    (tmp_path / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return tmp_path


def _client(dist: Path) -> TestClient:
    app = FastAPI()
    errors.install(app)

    @app.get("/api/v1/things")
    def things() -> list[int]:
        return [1]

    web.install(app, dist)
    return TestClient(app)


@pytest.mark.parametrize("path", ["/", "/projects/3", "/runs/12", "/models/1?x=2", "/scenario-runs/4"])
def test_every_app_route_gets_the_page_uncached_with_a_content_security_policy(dist: Path, path: str) -> None:
    response = _client(dist).get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_hashed_assets_are_cached_for_a_year(dist: Path) -> None:
    response = _client(dist).get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('twin')"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_a_missing_asset_is_a_json_404_not_the_page(dist: Path) -> None:
    response = _client(dist).get("/assets/index-gone.js")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_top_level_file_of_the_bundle_is_served(dist: Path) -> None:
    response = _client(dist).get("/favicon.svg")
    assert response.status_code == 200
    assert response.text.startswith("<svg")


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api", "/docs/nothing", "/openapi.json/x", "/health/x"])
def test_unknown_api_paths_keep_the_json_error_shape(dist: Path, path: str) -> None:
    response = _client(dist).get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_other_methods_on_unknown_paths_keep_the_json_error_shape(dist: Path) -> None:
    response = _client(dist).post("/runs/12")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_routes_are_untouched(dist: Path) -> None:
    assert _client(dist).get("/api/v1/things").json() == [1]


def test_path_traversal_does_not_leave_the_bundle(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    response = _client(dist).get("/..%2F..%2Fetc%2Fpasswd")
    assert response.status_code == 200
    assert response.text == INDEX


def test_without_a_bundle_the_page_says_how_to_build_it(tmp_path: Path) -> None:
    response = _client(tmp_path / "no-dist").get("/runs/1")
    assert response.status_code == 503
    assert "npm run build --prefix web" in response.text
    assert "/docs" in response.text


def test_the_real_app_serves_the_committed_bundle(client: TestClient) -> None:
    index = web.DIST / "index.html"
    assert index.is_file(), "app/web/dist is committed: build it with npm run build --prefix web"
    page = client.get("/models/1")
    assert page.status_code == 200
    assert page.text == index.read_text()
    assert client.get("/api/v1/nope").json()["error"]["code"] == "not_found"
