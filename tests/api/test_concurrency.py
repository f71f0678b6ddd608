"""Invariants the database enforces under concurrency: 40 simultaneous requests against a real uvicorn server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db.models import CommunicationBinding, Connection, InputDriver
from app.db.session import get_session_factory
from tests.api.live_server import live_server

pytestmark = pytest.mark.timeout(180)

ATTEMPTS = 40


@pytest.fixture
def base(database_url: str, tmp_path: Path) -> Iterator[str]:
    with live_server(database_url, tmp_path / "data") as url:
        yield f"{url}/api/v1"


def race(attempt: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """Run ``ATTEMPTS`` requests at once (each thread its own connection), released together by a barrier."""
    barrier = threading.Barrier(ATTEMPTS)

    def one(i: int) -> httpx.Response:
        with httpx.Client(timeout=60) as http:
            barrier.wait()
            return attempt(http, i)

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        return list(pool.map(one, range(ATTEMPTS)))


def outcome(responses: list[httpx.Response]) -> tuple[int, set[str]]:
    """(number of 201s, error codes of the rest); every refusal has the one error shape."""
    codes: set[str] = set()
    for response in responses:
        assert response.status_code in (201, 409), response.text
        if response.status_code == 409:
            error = response.json()["error"]
            assert set(error) == {"code", "message", "details"}
            codes.add(error["code"])
    return sum(r.status_code == 201 for r in responses), codes


def test_forty_attempts_to_drive_one_input_leave_exactly_one_driver(base: str, database_url: str) -> None:
    with httpx.Client(base_url=base) as http:
        project = http.post("/projects", json={"name": "p"}).json()
        model = http.post("/machine-models", json={"project_id": project["id"], "name": "m"}).json()
        plc = http.post("/endpoints", json={"project_id": project["id"], "name": "plc",
                                            "url": "opc.tcp://127.0.0.1:4840"}).json()
        sources = [http.post("/components", json={"machine_model_id": model["id"], "name": f"s{i}",
                                                  "type": "Constant"}).json() for i in range(4)]
        target = http.post("/components", json={"machine_model_id": model["id"], "name": "g", "type": "Gain"}).json()

    def attempt(http: httpx.Client, i: int) -> httpx.Response:
        if i % 2:  # half connect an output, half bind a PLC tag to the same input
            return http.post(f"{base}/connections", json={
                "source_component_id": sources[i % 4]["id"], "source_port": "out",
                "target_component_id": target["id"], "target_port": "in"})
        return http.post(f"{base}/communication-bindings", json={
            "component_id": target["id"], "port": "in", "endpoint_id": plc["id"], "node_id": f"ns=2;s=T{i}",
            "direction": "read"})

    created, codes = outcome(race(attempt))
    assert created == 1 and codes == {"input_already_driven"}
    with get_session_factory(database_url)() as session:
        connections = session.scalar(select(func.count()).select_from(Connection).where(
            Connection.target_component_id == target["id"]))
        reads = session.scalar(select(func.count()).select_from(CommunicationBinding).where(
            CommunicationBinding.component_id == target["id"], CommunicationBinding.direction == "read"))
        claims = session.scalar(select(func.count()).select_from(InputDriver).where(
            InputDriver.component_id == target["id"], InputDriver.port == "in"))
    assert (connections or 0) + (reads or 0) == 1 and claims == 1


@pytest.mark.parametrize("kind", ["projects", "components"])
def test_forty_attempts_at_one_name_create_exactly_one(base: str, kind: str) -> None:
    body: dict[str, Any] = {"name": "same"}
    if kind == "components":
        with httpx.Client(base_url=base) as http:
            project = http.post("/projects", json={"name": "p"}).json()
            model = http.post("/machine-models", json={"project_id": project["id"], "name": "m"}).json()
        body = {"machine_model_id": model["id"], "name": "same", "type": "Gain"}

    created, codes = outcome(race(lambda http, _i: http.post(f"{base}/{kind}", json=body)))
    assert created == 1 and codes <= {"conflict", "duplicate_name"} and codes
