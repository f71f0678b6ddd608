"""The live stream protocol over the real app (TestClient WebSockets): order, credit, subscribe, flags, end."""

from __future__ import annotations

import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.services.run_stream_frames import values_json
from tests.api.test_simulations import API, import_model, ramp_gain, start, wait_status, wait_ticking

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def ramp_id(client: TestClient, project: dict[str, Any]) -> int:
    return int(import_model(client, project["id"], ramp_gain())["id"])


@pytest.fixture
def paced_run(client: TestClient, ramp_id: int) -> Any:
    """An open-ended ramp run paced at real time (100 ticks/s), stopped after the test."""
    run = start(client, ramp_id, realtime=True)
    yield run
    client.post(f"{API}/{run['id']}/stop")


def stream(client: TestClient, run_id: int, query: str = "") -> Any:
    return client.websocket_connect(f"{API}/{run_id}/stream{query}")


def next_of(ws: WebSocketTestSession, kind: str, seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The next message of this type (others are collected in ``seen``)."""
    while True:
        message = ws.receive_json()
        if message["type"] == kind:
            return message
        if seen is not None:
            seen.append(message)


def frames(ws: WebSocketTestSession, count: int, ack: bool = True) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < count:
        frame = next_of(ws, "frame")
        out.append(frame)
        if ack:
            ws.send_json({"type": "ack", "seq": frame["seq"]})
    return out


def closed(ws: WebSocketTestSession) -> WebSocketDisconnect:
    """Read until the server closes; returns the close (code, reason)."""
    with pytest.raises(WebSocketDisconnect) as info:
        while True:
            ws.receive_json()
    return info.value


# ------------------------------------------------------------------------------------------------ order


def test_schema_comes_first_then_status_then_frames_in_schema_order(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"], "?hz=50") as ws:
        schema = ws.receive_json()
        assert schema["type"] == "schema" and schema["run_id"] == paced_run["id"]
        assert schema["model_name"] == "ramp_gain" and schema["dt"] == 0.01
        assert [p["name"] for p in schema["ports"]] == ["g.in", "g.out", "ramp.out"]  # components by name
        assert schema["ports"][0] == {"name": "g.in", "component": "g", "port": "in", "direction": "input",
                                      "data_type": "float", "unit": None}
        assert ws.receive_json()["type"] == "status"
        got = frames(ws, 5)
    assert [f["seq"] for f in got] == [1, 2, 3, 4, 5]
    ticks = [f["tick"] for f in got]
    assert ticks == sorted(set(ticks))
    assert got[0]["v"] != got[-1]["v"]
    for f in got:
        assert math.isclose(f["t"], f["tick"] * 0.01)
        assert "forced" not in f and "faulted" not in f


def test_every_value_of_a_frame_comes_from_the_same_tick(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"], "?hz=100") as ws:
        for f in frames(ws, 20):
            g_in, g_out, ramp = f["v"]
            assert g_in == ramp and g_out == pytest.approx(2 * ramp)


def test_status_on_connect_has_the_fields_of_the_status_route(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"]) as ws:
        status = next_of(ws, "status")
    assert set(status) - {"type"} == set(client.get(f"{API}/{paced_run['id']}/status").json())
    assert status["id"] == paced_run["id"]


# ------------------------------------------------------------------------------------------------ credit


def test_without_acks_the_server_stops_after_two_frames(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"], "?hz=100") as ws:
        got = frames(ws, 2, ack=False)
        # Status messages come about once a second; at 100 Hz two seconds would be ~200 frames.
        seen: list[dict[str, Any]] = []
        next_of(ws, "status", seen)
        next_of(ws, "status", seen)
    assert [f["seq"] for f in got] == [1, 2]
    assert [m for m in seen if m["type"] == "frame"] == []


def test_a_late_ack_gets_the_newest_tick_not_a_backlog(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"], "?hz=100") as ws:
        first, second = frames(ws, 2, ack=False)
        next_of(ws, "status")
        status = next_of(ws, "status")  # the run has ticked on for about a second
        ws.send_json({"type": "ack", "seq": second["seq"]})
        third = next_of(ws, "frame")
    assert third["seq"] == 3
    assert third["tick"] >= status["tick"] > second["tick"] + 1


def test_acks_keep_frames_coming(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"], "?hz=100") as ws:
        got = frames(ws, 30)
    assert [f["seq"] for f in got] == list(range(1, 31))


# ------------------------------------------------------------------------------------------------ ports


def test_ports_query_selects_ports_by_glob(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"], "?ports=g.*") as ws:
        schema = ws.receive_json()
        assert [p["name"] for p in schema["ports"]] == ["g.in", "g.out"]
        (f,) = frames(ws, 1)
    assert len(f["v"]) == 2


def test_subscribe_sends_a_new_schema_and_frames_in_the_new_order(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"], "?ports=ramp.out") as ws:
        assert len(frames(ws, 2)[0]["v"]) == 1
        ws.send_json({"type": "subscribe", "ports": ["g.out", "g.in"]})
        schema = next_of(ws, "schema")
        assert [p["name"] for p in schema["ports"]] == ["g.in", "g.out"]
        later = frames(ws, 3)
    assert all(len(f["v"]) == 2 and f["v"][1] == pytest.approx(2 * f["v"][0]) for f in later)


def test_forced_and_faulted_ports_are_flagged_by_index(client: TestClient, paced_run: Any) -> None:
    run_id = paced_run["id"]
    wait_ticking(client, run_id)
    with stream(client, run_id, "?hz=50") as ws:
        assert client.put(f"{API}/{run_id}/forces", json={"component": "g", "port": "in", "value": 5.0}).is_success
        fault = client.post(f"{API}/{run_id}/faults", json={"port": "ramp.out", "type": "stuck", "value": 0.25})
        assert fault.status_code == 201, fault.text
        while True:
            (f,) = frames(ws, 1)
            if f.get("forced") == [0] and f.get("faulted") == [2]:
                break
    assert f["v"] == [5.0, 10.0, 0.25]
    kinds = [e["kind"] for e in client.get(f"{API}/{run_id}/events").json()]
    assert "force" in kinds and "fault_injected" in kinds


def test_force_and_fault_events_arrive_live(client: TestClient, paced_run: Any) -> None:
    run_id = paced_run["id"]
    with stream(client, run_id) as ws:
        next_of(ws, "status")
        assert client.put(f"{API}/{run_id}/forces", json={"component": "g", "port": "in", "value": 1.0}).is_success
        force = next_of(ws, "event")
        while force["kind"] != "force":
            force = next_of(ws, "event")
        assert client.delete(f"{API}/{run_id}/forces/g/in").status_code == 204
        release = next_of(ws, "event")
    assert force["data"] == {"port": "g.in", "value": 1.0, "source": "api"}
    assert release["kind"] == "release" and release["seq"] == force["seq"] + 1
    assert {"tick", "t", "at", "message"} <= set(release)


def test_past_events_are_replayed_on_connect_in_order(client: TestClient, paced_run: Any) -> None:
    run_id = paced_run["id"]
    wait_ticking(client, run_id)
    assert client.put(f"{API}/{run_id}/forces", json={"component": "g", "port": "in", "value": 2.0}).is_success
    with stream(client, run_id) as ws:
        assert ws.receive_json()["type"] == "schema"
        assert ws.receive_json()["type"] == "status"
        replayed = [ws.receive_json(), ws.receive_json()]
    assert [(e["type"], e["seq"], e["kind"]) for e in replayed] == [("event", 1, "started"), ("event", 2, "force")]


# ------------------------------------------------------------------------------------------------ the end


def test_end_of_run_sends_final_frame_and_status_then_closes_1000(client: TestClient, ramp_id: int) -> None:
    run = start(client, ramp_id, realtime=True, duration=0.5)
    with stream(client, run["id"], "?hz=20") as ws:
        seen: list[dict[str, Any]] = []
        finished = next_of(ws, "event", seen)
        while finished["kind"] != "finished":
            finished = next_of(ws, "event", seen)
        final_frame = next_of(ws, "frame")
        final_status = ws.receive_json()
        close = closed(ws)
    assert finished["data"] == {"status": "completed", "error": None}
    assert final_frame["tick"] == 50 and final_frame["v"][2] == pytest.approx(0.49)
    assert final_status["type"] == "status" and final_status["status"] == "completed"
    assert close.code == 1000


def test_an_ended_run_sends_schema_final_frame_events_status_and_closes(client: TestClient, ramp_id: int) -> None:
    run = start(client, ramp_id, duration=0.2)
    wait_status(client, run["id"], "completed")
    with stream(client, run["id"], "?ports=g.out") as ws:
        messages = [ws.receive_json() for _ in range(5)]
        close = closed(ws)
    assert [m["type"] for m in messages] == ["schema", "frame", "event", "event", "status"]
    schema, frame, started, finished, status = messages
    assert schema["status"] == "completed" and [p["name"] for p in schema["ports"]] == ["g.out"]
    assert schema["ports"][0]["direction"] == "output"
    assert frame["seq"] == 1 and frame["tick"] == 20 and frame["v"] == [pytest.approx(0.38)]
    assert [started["kind"], finished["kind"]] == ["started", "finished"]
    assert status["status"] == "completed" and status["tick"] == 20
    assert close.code == 1000


# ------------------------------------------------------------------------------------------------ refusals


def test_an_unknown_run_closes_with_4404(client: TestClient) -> None:
    with stream(client, 999) as ws:
        close = closed(ws)
    assert (close.code, close.reason) == (4404, "simulation run 999 not found")


@pytest.mark.parametrize("hz", ["0", "101", "fast", "nan"])
def test_hz_outside_1_to_100_closes_with_4422(client: TestClient, paced_run: Any, hz: str) -> None:
    with stream(client, paced_run["id"], f"?hz={hz}") as ws:
        close = closed(ws)
    assert close.code == 4422 and "1 to 100" in close.reason


def test_a_glob_matching_no_port_closes_with_4422(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"], "?ports=g.*,tank.*") as ws:
        close = closed(ws)
    assert close.code == 4422 and "tank.*" in close.reason


def test_subscribing_to_no_port_closes_with_4422(client: TestClient, paced_run: Any) -> None:
    with stream(client, paced_run["id"]) as ws:
        next_of(ws, "status")
        ws.send_json({"type": "subscribe", "ports": ["nope"]})
        close = closed(ws)
    assert close.code == 4422 and "nope" in close.reason


def test_non_finite_floats_are_sent_as_null() -> None:
    assert values_json((1.5, math.nan, True, 3, -math.inf)) == "[1.5,null,true,3,null]"
