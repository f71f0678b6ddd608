"""Shared fixtures: a migrated database per test (a SQLite file; for the API and database tests also a real
PostgreSQL database) and a TestClient on the real app."""

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
from tests.postgres import PostgresServer

# Tests under these folders run once per database backend; mark a test ``sqlite_only`` where it checks SQLite itself.
BOTH_BACKENDS = ("tests/api/", "tests/db/")
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: checks SQLite itself; not repeated on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_backend" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    path = metafunc.definition.path.as_posix()
    if any(f"/{folder}" in path for folder in BOTH_BACKENDS):
        metafunc.parametrize("database_backend", BACKENDS, indirect=True)


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` unless the test is one of those run on both backends."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL server for the whole run, with a database migrated to head as template."""
    server = PostgresServer().start()
    try:
        server.template = server.create_database()
        url = server.url(server.template)
        upgrade_to_head(url)
        dispose_engine(url)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file brought to ``head`` once per run; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, database_backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the head revision on the test's backend."""
    if database_backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        name = server.create_database(template=server.template)
        yield server.url(name)
        dispose_engine(server.url(name))
        server.drop_database(name)
        return
    db_path = tmp_path / "test.db"
    shutil.copyfile(request.getfixturevalue("migrated_template"), db_path)
    yield f"sqlite:///{db_path}"
    dispose_engine(f"sqlite:///{db_path}")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # "testserver" is the Host header of Starlette's TestClient.
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        allowed_hosts=["localhost", "127.0.0.1", "[::1]", "testserver"],
        _env_file=None,
    )


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
