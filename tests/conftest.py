"""Shared fixtures: a migrated, file-backed SQLite database per test and a TestClient on the real app."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.db.migrate import upgrade_to_head
from app.db.session import dispose_engine, get_session_factory
from app.main import create_app


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file brought to ``head`` once per run; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Iterator[Settings]:
    db_path = tmp_path / "test.db"
    shutil.copyfile(migrated_template, db_path)
    test_settings = Settings(database_url=f"sqlite:///{db_path}", data_dir=tmp_path / "data", _env_file=None)
    yield test_settings
    dispose_engine(test_settings.database_url)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: settings
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    """A session on the test database, for looking at rows directly."""
    with get_session_factory(settings.database_url)() as db_session:
        yield db_session


def create(client: TestClient, path: str, **body: Any) -> dict[str, Any]:
    """POST and insist on 201; returns the created object."""
    response = client.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response has the one error shape, the status and (optionally) the code; returns the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and isinstance(error["details"], list)
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.fixture
def project(client: TestClient) -> dict[str, Any]:
    return create(client, "projects", name="line-3", description="packaging line 3")


@pytest.fixture
def model(client: TestClient, project: dict[str, Any]) -> dict[str, Any]:
    return create(client, "machine-models", project_id=project["id"], name="chain")


@pytest.fixture
def endpoint(client: TestClient, project: dict[str, Any]) -> dict[str, Any]:
    return create(client, "endpoints", project_id=project["id"], name="plc", url="opc.tcp://127.0.0.1:4840")
