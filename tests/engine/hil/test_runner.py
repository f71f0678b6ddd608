"""TwinLink: a Simulator with a real PLC (asyncua peer) in the loop and/or served as an OPC UA server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asyncua import Client, ua

from app.engine import Simulator, parse_document
from app.engine._exceptions import PortIOError
from app.engine.hil.runner import TWIN_NAMESPACE_URI, TwinLink, password_env_var, with_env_passwords
from app.engine.io import EndpointSpec
from tests.engine.hil.conftest import AsyncuaPlc, wait_for

pytestmark = pytest.mark.timeout(60)

FAST = {"request_timeout": 0.5, "connect_timeout": 1.0, "keepalive_interval": 0.5, "backoff_initial": 0.2,
        "backoff_max": 1.0}  # fmt: skip


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loop_document(url: str, bindings: list[dict[str, Any]], name: str = "loop") -> dict[str, Any]:
    """cmd (Constant 1.5) -> PLC; PLC -> fb (Gain 1) -> gained: the smallest closed HIL loop."""
    return {
        "schema_version": 1,
        "name": name,
        "dt": 0.02,
        "components": [
            {"name": "cmd", "type": "Constant", "parameters": {"value": 1.5}},
            {"name": "fb", "type": "Gain", "inputs": {"in": 0.0}},
        ],
        "connections": [],
        "endpoints": [{"name": "plc", "url": url}],
        "bindings": bindings,
    }


def plc_loop(plc: AsyncuaPlc, **feedback: Any) -> dict[str, Any]:
    return loop_document(
        plc.url,
        [
            {"port": "cmd.out", "endpoint": "plc", "node_id": plc.node_id("Cmd"), "direction": "write"},
            {"port": "fb.in", "endpoint": "plc", "node_id": plc.node_id("Feedback"), "direction": "read", **feedback},
        ],
    )


@pytest.fixture
def links() -> Iterator[Callable[..., TwinLink]]:
    made: list[TwinLink] = []

    def make(document: dict[str, Any], **options: Any) -> TwinLink:
        sim = Simulator(parse_document(document))
        link = TwinLink(sim, **{**FAST, **options})
        made.append(link)
        link.open()
        return link

    yield make
    for link in made:
        link.close()


def run_until(link: TwinLink, condition: Callable[[], Any]) -> Any:
    return wait_for(condition, step=lambda: link.run(ticks=5))


def test_the_plc_scan_cycle_answers_the_twins_command_and_the_twin_reads_it_back(
    plc: AsyncuaPlc, links: Callable[..., TwinLink]
) -> None:
    link = links(plc_loop(plc))
    run_until(link, lambda: link.sim.value("fb.out") == 3.0)  # Feedback = Cmd * 2 in the PLC's scan
    assert link.io_state == "connected"


def test_read_bindings_apply_scale_and_offset(plc: AsyncuaPlc, links: Callable[..., TwinLink]) -> None:
    link = links(plc_loop(plc, scale=0.5, offset=1.0))
    run_until(link, lambda: link.sim.value("fb.in") == 2.5)  # 3.0 * 0.5 + 1.0


def test_a_port_both_bound_and_forced_follows_the_force(plc: AsyncuaPlc, links: Callable[..., TwinLink]) -> None:
    link = links(plc_loop(plc))
    run_until(link, lambda: link.sim.value("fb.in") == 3.0)
    link.sim.force("fb.in", 7.0)
    link.run(ticks=10)
    assert link.sim.value("fb.out") == 7.0
    link.sim.release("fb.in")
    run_until(link, lambda: link.sim.value("fb.out") == 3.0)


def test_bad_bindings_refuse_to_open_listing_every_problem_and_leave_nothing_bound(plc: AsyncuaPlc) -> None:
    document = loop_document(
        plc.url,
        [
            {"port": "cmd.out", "endpoint": "plc", "node_id": plc.node_id("NoSuchTag"), "direction": "write"},
            {"port": "fb.in", "endpoint": "plc", "node_id": plc.node_id("In.String"), "direction": "read"},
        ],
    )
    sim = Simulator(parse_document(document))
    link = TwinLink(sim, **FAST)
    with pytest.raises(PortIOError) as caught:
        link.open()
    problems = {(p["port"], p["node_id"]): p["reason"] for p in caught.value.problems}
    assert set(problems) == {("cmd.out", plc.node_id("NoSuchTag")), ("fb.in", plc.node_id("In.String"))}
    assert "String" in problems[("fb.in", plc.node_id("In.String"))]
    assert sim.io is None
    link.close()


def test_unreachable_plc_refuses_to_open_naming_endpoint_and_reason() -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}"
    link = TwinLink(Simulator(parse_document(loop_document(url, [
        {"port": "fb.in", "endpoint": "plc", "node_id": "ns=2;s=X", "direction": "read"}]))), **FAST)  # fmt: skip
    with pytest.raises(PortIOError) as caught:
        link.open()
    (problem,) = caught.value.problems
    assert problem["endpoint"] == "plc" and problem["url"] == url and problem["reason"]


def test_a_model_without_bindings_cannot_run_in_the_loop() -> None:
    link = TwinLink(Simulator(parse_document(loop_document("opc.tcp://127.0.0.1:1", []))))
    with pytest.raises(PortIOError, match="needs bindings"):
        link.open()


def test_status_reports_io_health_timings_and_pacing(plc: AsyncuaPlc, links: Callable[..., TwinLink]) -> None:
    link = links(plc_loop(plc))
    link.run(ticks=10)
    status = link.status()
    assert status["state"] == "connected" and status["on_disconnect"] == "continue"
    assert status["reconnects"] == 0 and status["seconds_degraded"] == 0.0
    assert status["read_ms"]["count"] == 10 and status["write_ms"]["p99"] is not None
    assert status["binding_errors"] == [] and "overruns" in status and "max_lateness" in status


def test_stop_policy_is_handed_to_the_adapter(plc: AsyncuaPlc, links: Callable[..., TwinLink]) -> None:
    link = links(plc_loop(plc), on_disconnect="stop")
    assert link.io.on_disconnect == "stop"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------- served twin


async def _read_twin(url: str, refs: list[str]) -> list[Any]:
    async with Client(url, timeout=5) as client:
        ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
        return await client.read_values([client.get_node(ua.NodeId(r, ns)) for r in refs])


async def _write_twin(url: str, ref: str, value: float) -> None:
    async with Client(url, timeout=5) as client:
        ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
        await client.get_node(ua.NodeId(ref, ns)).write_value(ua.Variant(value, ua.VariantType.Double))


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[TwinLink, list[tuple[str, Any]]]]:
    """Twin A served on a free port (an asyncua server takes seconds to start: shared by the module)."""
    forced: list[tuple[str, Any]] = []
    sim = Simulator(parse_document(loop_document("opc.tcp://127.0.0.1:1", [], name="a")))
    link = TwinLink(sim, hil=False, server_port=free_port(), on_client_force=lambda r, v: forced.append((r, v)))
    link.open()
    yield link, forced
    link.close()


def release_all(link: TwinLink) -> None:
    for ref in link.sim.forces:
        link.sim.release(ref)
    link.run(ticks=1)


def test_a_served_twin_publishes_every_port_each_tick(served: tuple[TwinLink, list[Any]]) -> None:
    link, _ = served
    release_all(link)
    link.run(ticks=3)
    assert wait_for(lambda: asyncio.run(_read_twin(link.server_url, ["cmd.out", "fb.in"])) == [1.5, 0.0])  # type: ignore[arg-type]


def test_a_client_write_to_a_served_input_becomes_a_force(served: tuple[TwinLink, list[Any]]) -> None:
    link, forced = served
    before = link.status()["opcua_server"]["client_forces"]
    asyncio.run(_write_twin(link.server_url, "fb.in", 4.25))  # type: ignore[arg-type]
    link.run(ticks=2)
    assert link.sim.forces == {"fb.in": 4.25} and forced[-1] == ("fb.in", 4.25)
    assert link.sim.value("fb.out") == 4.25
    assert link.status()["opcua_server"]["client_forces"] == before + 1
    release_all(link)


def test_twin_b_in_the_loop_with_twin_a_served_on_the_same_machine(
    served: tuple[TwinLink, list[Any]], links: Callable[..., TwinLink]
) -> None:
    twin_a, _ = served
    release_all(twin_a)
    node = f"nsu={TWIN_NAMESPACE_URI};s="
    document_b = loop_document(
        twin_a.server_url,  # type: ignore[arg-type]
        [
            {"port": "fb.in", "endpoint": "plc", "node_id": node + "cmd.out", "direction": "read"},  # A's output
            {"port": "cmd.out", "endpoint": "plc", "node_id": node + "fb.in", "direction": "write"},  # A's input
        ],
        name="b",
    )
    document_b["components"][0]["parameters"] = {"value": 2.5}
    twin_b = links(document_b)
    run_until(twin_b, lambda: twin_b.sim.value("fb.out") == 1.5)  # B reads A's cmd.out
    run_until(twin_a, lambda: twin_a.sim.forces == {"fb.in": 2.5})  # B's write lands on A's input as a force
    twin_a.run(ticks=1)
    assert twin_a.sim.value("fb.out") == 2.5
    twin_b.close()
    release_all(twin_a)


def test_an_output_of_a_served_twin_cannot_be_bound_for_writing(
    served: tuple[TwinLink, list[Any]], links: Callable[..., TwinLink]
) -> None:
    document_b = loop_document(
        served[0].server_url,  # type: ignore[arg-type]
        [{"port": "cmd.out", "endpoint": "plc", "node_id": f"nsu={TWIN_NAMESPACE_URI};s=fb.out", "direction": "write"}],
        name="b",
    )
    with pytest.raises(PortIOError, match="not writable"):
        links(document_b)


def test_env_passwords_override_the_document_by_endpoint_name() -> None:
    endpoints = [EndpointSpec("plc-1", "opc.tcp://x", password="doc"), EndpointSpec("hmi", "opc.tcp://y")]
    resolved = with_env_passwords(endpoints, {password_env_var("plc-1"): "env"})
    assert password_env_var("plc-1") == "DTWIN_PASSWORD_PLC_1"
    assert [e.password for e in resolved] == ["env", None]
