"""GET /metrics (Prometheus text) and the request id every response carries."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from tests.api.auth_support import add_member, add_user, bearer, login, post
from tests.api.test_simulations import constant_gain, import_model, start, wait_status, wait_ticking, wait_until
from tests.api.test_simulations_hil import hil_model, stop, value
from tests.conftest import assert_error
from tests.engine.hil.conftest import AsyncuaPlc


def samples(client: TestClient, headers: dict[str, str] | None = None) -> dict[tuple[str, frozenset[Any]], float]:
    """Every sample of GET /metrics as {(name, labels): value}, parsed with prometheus-client's own parser."""
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def find(all_samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float | None:
    wanted = set(labels.items())
    found = [v for (n, lbls), v in all_samples.items() if n == name and wanted <= lbls]
    assert len(found) <= 1, f"{name} {labels} is ambiguous"
    return found[0] if found else None


def test_runs_are_counted_by_status(client: TestClient, project: dict[str, Any]) -> None:
    model = import_model(client, project["id"], constant_gain())
    run = start(client, model["id"], duration=0.5)
    wait_status(client, run["id"], "completed")
    assert find(samples(client), "dtwin_simulation_runs", status="completed") == 1.0


def test_an_active_run_reports_its_ticks_and_pacing(client: TestClient, project: dict[str, Any]) -> None:
    model = import_model(client, project["id"], constant_gain())
    run = start(client, model["id"], realtime=True)
    wait_ticking(client, run["id"], beyond=5)
    now = samples(client)
    assert find(now, "dtwin_simulation_runs", status="running") == 1.0
    assert find(now, "dtwin_run_ticks_total", run_id=str(run["id"])) >= 5  # type: ignore[operator]
    assert find(now, "dtwin_run_ticks_per_second", run_id=str(run["id"])) > 0  # type: ignore[operator]
    assert find(now, "dtwin_run_lateness_seconds", run_id=str(run["id"]), stat="max") is not None
    stop(client, run["id"])
    # Once ended (and written), a run leaves the live figures: its history is the database's.
    wait_until(lambda: find(samples(client), "dtwin_run_ticks_total", run_id=str(run["id"])), lambda v: v is None,
               "the ended run to leave the live metrics")  # fmt: skip


def test_requests_are_timed_by_route_name_never_by_raw_path(client: TestClient) -> None:
    for project_id in (123456, 654321):
        assert_error(client.get(f"/api/v1/projects/{project_id}"), 404)
    now = samples(client)
    count = find(now, "dtwin_http_request_duration_seconds_count", method="GET", route="get_project", status="404")
    assert count == 2.0
    assert not any("123456" in str(labels) for _name, labels in now)
    client.get("/no/such/page/at/all.txt")
    assert find(samples(client), "dtwin_http_request_duration_seconds_count", route="<unmatched>", method="GET")


def test_a_hil_run_has_read_and_write_latency_histograms_per_endpoint(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    run = start(client, hil_model(client, project, plc), mode="hil")
    wait_until(lambda: value(client, run["id"], "fb.out"), lambda v: v == 3.0, "the PLC's answer")
    now = samples(client)
    labels = {"run_id": str(run["id"]), "endpoint": "plc"}
    reads = find(now, "dtwin_hil_io_seconds_count", direction="read", **labels)
    writes = find(now, "dtwin_hil_io_seconds_count", direction="write", **labels)
    assert reads is not None and reads > 0 and writes is not None and writes > 0
    assert find(now, "dtwin_hil_io_seconds_bucket", direction="read", le="+Inf", **labels) == reads
    assert find(now, "dtwin_hil_io_seconds_sum", direction="read", **labels) > 0  # type: ignore[operator]
    assert find(now, "dtwin_hil_reconnects_total", **labels) == 0.0
    assert find(now, "dtwin_hil_endpoint_connected", **labels) == 1.0
    stop(client, run["id"])


def test_with_users_metrics_need_a_platform_admin(client: TestClient, session: Session) -> None:
    add_user(session, "root", admin=True)
    add_user(session, "olga")
    admin = login(client, "root")
    assert_error(client.get("/metrics"), 401)
    project = post(client, admin, "projects", name="line")
    add_member(client, admin, project["id"], "olga", "admin")
    refused = assert_error(client.get("/metrics", headers=login(client, "olga")), 403)
    assert "every project" in refused["message"]
    scraper = post(client, admin, "tokens", name="prometheus", role="observer")["token"]
    assert find(samples(client, bearer(scraper)), "dtwin_http_request_duration_seconds_count", route="metrics",
                status="403", method="GET") == 1.0  # fmt: skip


def test_every_response_has_a_request_id_and_a_plain_client_id_is_kept(client: TestClient) -> None:
    generated = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)
    assert client.get("/health").headers["x-request-id"] != generated
    assert client.get("/health", headers={"X-Request-ID": "proxy-42.a"}).headers["x-request-id"] == "proxy-42.a"
    hostile = client.get("/health", headers={"X-Request-ID": "x" * 65}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", hostile)
