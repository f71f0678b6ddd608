"""Requests waiting on a PLC that never answers, against a real uvicorn server: limited per user and in total,
refused at once beyond the limits, and holding no database connection while they wait."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db.session import get_session_factory
from app.services import auth
from tests.api.auth_support import PASSWORD
from tests.api.live_server import free_port, live_server
from tests.peers.tarpit import Tarpit

pytestmark = pytest.mark.timeout(120)

API = "/api/v1"
# The waits end when the test releases the tarpit; this timeout only bounds a test that has gone wrong.
SILENT_PLC = {"PLC_PROBE_TIMEOUT": "60"}
NAMES = itertools.count()


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    with Tarpit() as peer:
        yield peer


@contextmanager
def server(database_url: str, data_dir: Path, **env: str) -> Iterator[httpx.Client]:
    with live_server(database_url, data_dir, **SILENT_PLC, **env) as url:
        with httpx.Client(base_url=url, timeout=60) as http:
            yield http


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return dict(response.json())


def silent_endpoint(http: httpx.Client, tarpit: Tarpit, headers: dict[str, str] | None = None) -> tuple[int, int]:
    """(project id, endpoint id) of a new project's endpoint at the tarpit."""
    project = created(http.post(f"{API}/projects", json={"name": "line-3"}, headers=headers))
    endpoint = created(http.post(f"{API}/endpoints", headers=headers,
                                 json={"project_id": project["id"], "name": "silent", "url": tarpit.url}))
    return int(project["id"]), int(endpoint["id"])


def probe(http: httpx.Client, endpoint_id: int, i: int = 0, headers: dict[str, str] | None = None) -> httpx.Response:
    """Half of the probes test the endpoint, half browse it: both wait on the PLC."""
    if i % 2:
        return http.get(f"{API}/endpoints/{endpoint_id}/browse", headers=headers)
    return http.post(f"{API}/endpoints/{endpoint_id}/test", headers=headers)


def probe_on_own_connection(
    base_url: str, endpoint_id: int, i: int = 0, headers: dict[str, str] | None = None
) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=90) as http:
        return probe(http, endpoint_id, i, headers)


def fire(pool: ThreadPoolExecutor, base_url: str, count: int, request: Callable[[httpx.Client, int], httpx.Response]
         ) -> list[Future[httpx.Response]]:
    """``count`` requests at once, each on its own connection, released together by a barrier."""
    barrier = threading.Barrier(count)

    def one(i: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=90) as http:
            barrier.wait()
            return request(http, i)

    return [pool.submit(one, i) for i in range(count)]


def assert_refused(response: httpx.Response, setting: str) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert set(response.json()) == {"error"} and set(error) == {"code", "message", "details"}
    assert error["code"] == "too_many_plc_requests" and setting in error["message"]
    assert error["details"][0]["setting"] == setting and error["details"][0]["retry_after"] == 60
    assert response.headers["retry-after"] == "60"
    return dict(error)


def assert_unrelated_requests_complete(http: httpx.Client, headers: dict[str, str] | None = None) -> None:
    assert http.get("/health").status_code == 200
    assert http.get(f"{API}/projects", headers=headers).status_code == 200
    created(http.post(f"{API}/projects", json={"name": f"meanwhile-{next(NAMES)}"}, headers=headers))


def assert_probes_end_when_the_plc_closes(admitted: list[Future[httpx.Response]]) -> None:
    for future in admitted:
        response = future.result(timeout=60)
        if response.request.method == "POST":
            assert response.status_code == 200 and response.json()["ok"] is False, response.text
        else:
            assert response.status_code == 502, response.text


def test_sixty_probes_of_a_silent_plc_admit_the_per_user_limit_and_refuse_the_rest_at_once(
    database_url: str, tmp_path: Path, tarpit: Tarpit
) -> None:
    with server(database_url, tmp_path / "data") as http, ThreadPoolExecutor(60) as pool:
        _, endpoint_id = silent_endpoint(http, tarpit)
        futures = fire(pool, str(http.base_url), 60, lambda client, i: probe(client, endpoint_id, i))
        assert tarpit.wait_for(4) == 4  # the local user's four slots (PLC_WAITS_PER_USER's default) are waiting
        # The other 56 are answered while those four still wait: refused at once, not queued behind them.
        refused = [future for _, future in zip(range(56), as_completed(futures, timeout=60), strict=False)]
        for future in refused:
            error = assert_refused(future.result(), "PLC_WAITS_PER_USER")
            assert "the local user" in error["message"] and error["details"][0]["limit"] == 4
        assert_unrelated_requests_complete(http)
        assert tarpit.accepted == 4 and sum(future.done() for future in futures) == 56
        tarpit.release()
        assert_probes_end_when_the_plc_closes([future for future in futures if future not in refused])


def test_more_probes_wait_than_the_pool_has_connections_and_the_database_stays_free(
    database_url: str, tmp_path: Path, tarpit: Tarpit
) -> None:
    connections, waits = 3, 12
    settings = {"DB_POOL_SIZE": str(connections), "DB_MAX_OVERFLOW": "0",
                "PLC_WAITS_PER_USER": str(waits), "PLC_WAITS_TOTAL": str(waits)}
    with server(database_url, tmp_path / "data", **settings) as http, ThreadPoolExecutor(waits) as pool:
        _, endpoint_id = silent_endpoint(http, tarpit)
        futures = []
        for i in range(waits):
            # One after another: a probe that kept its connection through the wait would hold one of the three,
            # and the fourth could not even get to the PLC.
            futures.append(pool.submit(probe_on_own_connection, str(http.base_url), endpoint_id, i))
            assert tarpit.wait_for(i + 1) == i + 1
        assert not any(future.done() for future in futures)
        for _ in range(connections + 1):  # more database requests than the pool has connections
            assert_unrelated_requests_complete(http)
        tarpit.release()
        assert_probes_end_when_the_plc_closes(futures)


def sign_in(http: httpx.Client, username: str) -> dict[str, str]:
    response = http.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    http.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_a_second_user_gets_a_slot_while_the_first_is_at_their_limit(
    database_url: str, tmp_path: Path, tarpit: Tarpit
) -> None:
    with get_session_factory(database_url)() as session:
        for username in ("alice", "bob"):
            auth.create_user(session, username, PASSWORD, is_admin=True)
        session.commit()
    limits = {"PLC_WAITS_PER_USER": "2", "PLC_WAITS_TOTAL": "3"}
    with server(database_url, tmp_path / "data", **limits) as http, ThreadPoolExecutor(3) as pool:
        alice, bob = sign_in(http, "alice"), sign_in(http, "bob")
        token = created(http.post(f"{API}/tokens", json={"name": "ci"}, headers=alice))["token"]
        alice_token = {"Authorization": f"Bearer {token}"}
        project_id, endpoint_id = silent_endpoint(http, tarpit, alice)
        admitted = fire(pool, str(http.base_url), 2, lambda client, i: probe(client, endpoint_id, i, alice))
        assert tarpit.wait_for(2) == 2
        # Alice's API token counts for alice: refused, for the probe and for a start that would serve the twin.
        error = assert_refused(probe(http, endpoint_id, headers=alice_token), "PLC_WAITS_PER_USER")
        assert "user 'alice'" in error["message"] and error["details"][0] == {
            "scope": "user", "limit": 2, "setting": "PLC_WAITS_PER_USER", "retry_after": 60}
        model = created(http.post(f"{API}/machine-models", json={"project_id": project_id, "name": "m"}, headers=alice))
        created(http.post(f"{API}/components", json={"machine_model_id": model["id"], "name": "c", "type": "Constant"},
                          headers=alice))
        start = {"machine_model_id": model["id"], "opcua_server": {"port": free_port()}}
        assert_refused(http.post(f"{API}/simulations/start", json=start, headers=alice_token), "PLC_WAITS_PER_USER")
        # Bob still gets a slot; with it the server is at its total, so his next probe is refused for that.
        admitted.append(pool.submit(probe_on_own_connection, str(http.base_url), endpoint_id, 1, bob))
        assert tarpit.wait_for(3) == 3
        error = assert_refused(probe(http, endpoint_id, headers=bob), "PLC_WAITS_TOTAL")
        assert error["details"][0]["scope"] == "server" and error["details"][0]["limit"] == 3
        assert_unrelated_requests_complete(http, bob)
        tarpit.release()
        assert_probes_end_when_the_plc_closes(admitted)
