"""GET /simulations/{id}/telemetry with start, end, ports and max_points; CSV; stored chunks; the old blob format."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.runs import RunTelemetry, SimulationRun
from app.db.telemetry import RunTelemetryChunk
from app.services import telemetry
from app.services.run_manager import RunManager
from tests.api.test_simulations import API, import_model, ramp_gain, start, wait_for, wait_status
from tests.conftest import assert_error

pytestmark = pytest.mark.timeout(120)

DT = 0.01


def stored(session: Session, run_id: int) -> SimulationRun | None:
    """The run's row once its final write is committed (the status request answers from memory before that)."""
    session.rollback()
    row = session.get(SimulationRun, run_id, populate_existing=True)
    return row if row is not None and row.status == "completed" else None


@pytest.fixture
def finished(client: TestClient, project: dict[str, Any], session: Session) -> dict[str, Any]:
    """A completed, stored run of ramp.out = t, g.out = 2 t, recorded at every tick for 20 s (2,000 samples)."""
    model = import_model(client, project["id"], ramp_gain())
    run = start(client, model["id"], duration=20.0, record={})
    wait_status(client, run["id"], "completed")
    wait_for(lambda: stored(session, run["id"]), "the final write")
    return run


def get(client: TestClient, run_id: int, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/{run_id}/telemetry", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_stored_run_reads_back_every_sample_exactly(client: TestClient, finished: dict[str, Any]) -> None:
    body = get(client, finished["id"])
    assert body["samples"] == body["range_samples"] == 2000 and not body["decimated"]
    assert body["times"] == [k * DT for k in range(2000)]
    assert body["series"]["ramp.out"] == body["times"]
    assert body["series"]["g.out"] == [2 * t for t in body["times"]]


def test_the_samples_are_stored_in_chunks_with_their_ticks(
    client: TestClient, finished: dict[str, Any], session: Session
) -> None:
    chunks = list(session.scalars(
        select(RunTelemetryChunk).where(RunTelemetryChunk.run_id == finished["id"]).order_by(RunTelemetryChunk.seq)
    ))
    assert chunks and sum(c.samples for c in chunks) == 2000
    assert chunks[0].first_tick == 0 and chunks[-1].last_tick == 1999
    for before, after in zip(chunks, chunks[1:]):
        assert after.first_tick == before.last_tick + 1
    header = session.scalar(select(RunTelemetry).where(RunTelemetry.run_id == finished["id"]))
    assert header is not None and header.data is None and header.samples == 2000


def test_start_and_end_pick_an_inclusive_time_range(client: TestClient, finished: dict[str, Any]) -> None:
    body = get(client, finished["id"], start=3.0, end=3.5)
    assert body["times"] == [k * DT for k in range(300, 351)]
    assert get(client, finished["id"], start=19.99)["times"] == [1999 * DT]
    assert get(client, finished["id"], end=0.02)["times"] == [0.0, DT, 2 * DT]
    assert get(client, finished["id"], start=50.0)["samples"] == 0


def test_ports_pick_a_subset_by_name_or_glob(client: TestClient, finished: dict[str, Any]) -> None:
    assert list(get(client, finished["id"], ports="g.out")["series"]) == ["g.out"]
    assert get(client, finished["id"], ports="ramp.*")["ports"] == ["ramp.out"]
    recorded = get(client, finished["id"])["ports"]
    both = get(client, finished["id"], ports="g.out, ramp.out")["ports"]
    assert both == [p for p in recorded if p in ("g.out", "ramp.out")]  # in recorded order, whatever the asking


def test_max_points_at_or_above_the_samples_returns_them_exactly(
    client: TestClient, finished: dict[str, Any]
) -> None:
    exact = get(client, finished["id"], start=1.0, end=1.99, ports="g.out")
    again = get(client, finished["id"], start=1.0, end=1.99, ports="g.out", max_points=100)
    assert again == {**exact, "range_samples": 100} and not again["decimated"]


def test_max_points_decimates_keeping_each_buckets_min_and_max(
    client: TestClient, finished: dict[str, Any]
) -> None:
    body = get(client, finished["id"], max_points=50)
    assert body["decimated"] and body["samples"] == 50 and body["range_samples"] == 2000
    g = body["series"]["g.out"]
    assert g[0] == 0.0 and g[-1] == 2 * 1999 * DT  # the extremes of the ramp survive
    assert body["times"][0] == 0.0 and body["times"][-1] == 1999 * DT
    assert g == sorted(g)  # a rising ramp: each bucket's min, then its max


def test_csv_has_the_range_and_ports_and_matches_json(client: TestClient, finished: dict[str, Any]) -> None:
    response = client.get(f"{API}/{finished['id']}/telemetry",
                          params={"format": "csv", "start": 1.0, "end": 1.05, "ports": "g.out"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "time,g.out"
    assert lines[1:] == [f"{k * DT!r},{2 * k * DT!r}" for k in range(100, 106)]


def test_csv_is_produced_one_piece_per_stored_chunk(
    client: TestClient, finished: dict[str, Any], session: Session, app: Any
) -> None:
    run = session.get(SimulationRun, finished["id"])
    assert run is not None
    chunks = session.scalar(select(func.count()).where(RunTelemetryChunk.run_id == run.id))
    pieces = list(telemetry.csv_stream(session, run, RunManager(str(session.get_bind().url)),
                                       telemetry.TelemetryQuery()))
    assert len(pieces) == 1 + chunks  # the header, then each chunk as it is read
    assert "".join(pieces) == client.get(f"{API}/{run.id}/telemetry?format=csv").text


@pytest.mark.parametrize(
    ("params", "code", "loc"),
    [
        ({"start": 5, "end": 1}, "invalid_range", "query.start"),
        ({"ports": "g.outt"}, "unknown_port", "query.ports"),
        ({"ports": "tank.*"}, "unknown_port", "query.ports"),
        ({"max_points": 1}, "validation_error", "query.max_points"),
        ({"max_points": 10**9}, "validation_error", "query.max_points"),
        ({"start": "nan"}, "validation_error", "query.start"),
        ({"end": "inf"}, "validation_error", "query.end"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    client: TestClient, finished: dict[str, Any], params: dict[str, Any], code: str, loc: str
) -> None:
    error = assert_error(client.get(f"{API}/{finished['id']}/telemetry", params=params), 422, code)
    assert error["details"][0]["loc"] == loc or error["details"][0]["loc"].endswith(loc.split(".")[1])
    csv_error = assert_error(client.get(f"{API}/{finished['id']}/telemetry", params={**params, "format": "csv"}),
                             422, code)
    assert csv_error == error


def test_an_unknown_port_suggests_the_recorded_one(client: TestClient, finished: dict[str, Any]) -> None:
    error = assert_error(client.get(f"{API}/{finished['id']}/telemetry?ports=g.outt"), 422, "unknown_port")
    assert error["details"][0]["did_you_mean"] == "g.out" and "did you mean 'g.out'" in error["message"]


def test_an_active_run_is_queried_from_memory(client: TestClient, project: dict[str, Any]) -> None:
    model = import_model(client, project["id"], ramp_gain())
    run = start(client, model["id"], record={"ports": ["g.out"]}, realtime=True, time_scale=10)
    try:
        body = get(client, run["id"], start=0.0, end=0.05)
        while body["samples"] < 6:
            body = get(client, run["id"], start=0.0, end=0.05)
        assert body["series"]["g.out"] == [2 * k * DT for k in range(6)]
    finally:
        client.post(f"{API}/{run['id']}/stop")


def test_runs_stored_in_the_old_single_blob_format_are_still_read(
    client: TestClient, finished: dict[str, Any], session: Session
) -> None:
    old = session.get(SimulationRun, finished["id"])
    assert old is not None
    copy = SimulationRun(**{c.key: getattr(old, c.key) for c in SimulationRun.__table__.columns if c.key != "id"})
    session.add(copy)
    session.flush()
    times = [k * DT for k in range(10)]
    rows = [[t, k % 2 == 0] for k, t in enumerate(times)]
    blob = zlib.compress(json.dumps({"times": times, "rows": rows}).encode())
    session.add(RunTelemetry(run_id=copy.id, ports=["ramp.out", "lamp.on"], every=1, samples=10, truncated=False,
                             data=blob, created_at=utcnow(), updated_at=utcnow()))
    session.commit()
    body = get(client, copy.id, start=0.02, end=0.05, ports="lamp.on")
    assert body["times"] == times[2:6] and body["series"]["lamp.on"] == [True, False, True, False]
    assert get(client, copy.id, max_points=4)["series"]["ramp.out"] == [0.0, 0.04, 0.05, 0.09]
    csv_text = client.get(f"{API}/{copy.id}/telemetry", params={"format": "csv", "end": 0.01}).text
    assert csv_text == "time,ramp.out,lamp.on\n0.0,0.0,1\n0.01,0.01,0\n"
