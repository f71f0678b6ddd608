"""The twin served over OPC UA, checked with a real asyncua client on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from asyncua import Client, ua

from app.engine.hil.probe import browse
from app.engine.hil.server import TWIN_NAMESPACE_URI, PortDescriptor, TwinServer, TwinServerError
from app.engine.io import EndpointSpec
from tests.peers.asyncua_secure import free_port

pytestmark = pytest.mark.timeout(60)

PORTS = [
    PortDescriptor("heater", "power", "input", "float", 0.0, "heating power"),
    PortDescriptor("heater", "temperature", "output", "float", 20.0),
    PortDescriptor("valve", "open", "input", "bool", False),
    PortDescriptor("valve", "position", "output", "float"),
    PortDescriptor("counter", "reset", "input", "bool"),
    PortDescriptor("counter", "count", "output", "int", 3),
]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.threads: set[str] = set()

    def __call__(self, component: str, port: str, value: Any) -> None:
        self.calls.append((component, port, value))
        self.threads.add(threading.current_thread().name)


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def twin(recorder: Recorder) -> Iterator[TwinServer]:
    with TwinServer("heated_tank", PORTS, port=free_port(), on_input_write=recorder) as server:
        yield server


def run(twin: TwinServer, scenario: Any) -> Any:
    async def main() -> Any:
        async with Client(twin.url, timeout=5) as client:
            ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
            return await scenario(client, ns)

    return asyncio.run(main())


async def wait_for_value(client: Client, node_id: ua.NodeId, expected: Any) -> Any:
    node = client.get_node(node_id)
    value = None
    for _ in range(250):
        value = await node.read_value()
        if value == expected:
            return value
        await asyncio.sleep(0.02)
    return value


def test_ports_are_served_under_objects_model_component(twin: TwinServer) -> None:
    async def scenario(client: Client, ns: int) -> list[str]:
        paths = []
        for d in PORTS:
            node = await client.nodes.objects.get_child([f"{ns}:heated_tank", f"{ns}:{d.component}", f"{ns}:{d.port}"])
            paths.append(node.nodeid.to_string())
        return paths

    assert run(twin, scenario) == [f"ns={twin.namespace_index};s={d.component}.{d.port}" for d in PORTS]


def test_variables_are_typed_boolean_int32_double(twin: TwinServer) -> None:
    async def scenario(client: Client, ns: int) -> list[Any]:
        out = []
        for name in ("valve.open", "counter.count", "heater.temperature"):
            node = client.get_node(ua.NodeId(name, ns))
            out.append((await node.read_data_type_as_variant_type(), (await node.read_data_value()).Value.VariantType))
        return out

    assert run(twin, scenario) == [(ua.VariantType.Boolean, ua.VariantType.Boolean)] + [
        (ua.VariantType.Int32, ua.VariantType.Int32),
        (ua.VariantType.Double, ua.VariantType.Double),
    ]


def test_initial_values_are_served(twin: TwinServer) -> None:
    async def scenario(client: Client, ns: int) -> list[Any]:
        return await client.read_values([client.get_node(ua.NodeId(n, ns)) for n in ("counter.count", "valve.open")])

    assert run(twin, scenario) == [3, False]


def test_access_levels_mark_inputs_writable_and_outputs_read_only(twin: TwinServer) -> None:
    async def scenario(client: Client, ns: int) -> list[set[ua.AccessLevel]]:
        return [
            await client.get_node(ua.NodeId(name, ns)).get_user_access_level()
            for name in ("heater.power", "heater.temperature")
        ]

    writable, read_only = run(twin, scenario)
    assert ua.AccessLevel.CurrentWrite in writable
    assert ua.AccessLevel.CurrentWrite not in read_only and ua.AccessLevel.CurrentRead in read_only


def test_update_publishes_output_values(twin: TwinServer) -> None:
    twin.update([0.0, 55.5, True, 0.25, False, 12])

    async def scenario(client: Client, ns: int) -> list[Any]:
        await wait_for_value(client, ua.NodeId("counter.count", ns), 12)
        names = ("heater.temperature", "valve.position", "counter.count")
        return await client.read_values([client.get_node(ua.NodeId(n, ns)) for n in names])

    assert run(twin, scenario) == [55.5, 0.25, 12]


def test_update_coerces_values_to_the_port_type(twin: TwinServer) -> None:
    twin.update([None, 7, 1, 1, None, 4.0])  # ints for floats, 1 for a bool, a float for an int

    async def scenario(client: Client, ns: int) -> list[ua.Variant]:
        await wait_for_value(client, ua.NodeId("counter.count", ns), 4)
        names = ("heater.temperature", "valve.open", "counter.count")
        return [(await client.get_node(ua.NodeId(n, ns)).read_data_value()).Value for n in names]

    assert run(twin, scenario) == [
        ua.Variant(7.0, ua.VariantType.Double),
        ua.Variant(True, ua.VariantType.Boolean),
        ua.Variant(4, ua.VariantType.Int32),
    ]


def test_update_writes_only_changed_values(twin: TwinServer) -> None:
    values = [0.0, 61.0, False, 0.5, False, 100]
    twin.update(values)

    async def settle(client: Client, ns: int) -> None:
        await wait_for_value(client, ua.NodeId("counter.count", ns), 100)

    run(twin, settle)
    before = twin.stats()["values_written"]
    twin.update([0.0, 61.0, False, 0.5, False, 101])
    run(twin, lambda client, ns: wait_for_value(client, ua.NodeId("counter.count", ns), 101))
    assert twin.stats()["values_written"] - before == 1


def test_rapid_updates_are_coalesced_and_the_newest_wins(twin: TwinServer) -> None:
    before = twin.stats()
    for i in range(2000):
        twin.update([0.0, float(i), False, 0.0, False, i])

    async def scenario(client: Client, ns: int) -> Any:
        return await wait_for_value(client, ua.NodeId("counter.count", ns), 1999)

    assert run(twin, scenario) == 1999
    after = twin.stats()
    assert after["updates"] - before["updates"] == 2000
    assert after["flushes"] - before["flushes"] <= 2000


def test_client_write_to_an_input_calls_back_with_component_port_value(twin: TwinServer, recorder: Recorder) -> None:
    async def scenario(client: Client, ns: int) -> None:
        await client.get_node(ua.NodeId("heater.power", ns)).write_value(
            ua.DataValue(ua.Variant(1500.0, ua.VariantType.Double))
        )
        await client.get_node(ua.NodeId("valve.open", ns)).write_value(
            ua.DataValue(ua.Variant(True, ua.VariantType.Boolean))
        )

    run(twin, scenario)
    assert recorder.calls[-2:] == [("heater", "power", 1500.0), ("valve", "open", True)]
    assert recorder.threads == {f"twin-opcua-{twin.port}"}


def test_client_write_to_an_output_is_rejected_as_not_writable(twin: TwinServer, recorder: Recorder) -> None:
    calls = len(recorder.calls)

    async def scenario(client: Client, ns: int) -> None:
        await client.get_node(ua.NodeId("heater.temperature", ns)).write_value(
            ua.DataValue(ua.Variant(1.0, ua.VariantType.Double))
        )

    with pytest.raises(ua.uaerrors.BadNotWritable):
        run(twin, scenario)
    assert len(recorder.calls) == calls


def test_user_name_login_is_refused_so_no_admin_can_write_outputs(twin: TwinServer) -> None:
    async def main() -> None:
        client = Client(twin.url, timeout=5)
        client.set_user("admin")
        client.set_password("admin")
        async with client:
            ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
            await client.get_node(ua.NodeId("counter.count", ns)).write_value(
                ua.DataValue(ua.Variant(1, ua.VariantType.Int32))
            )

    with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):  # anonymous only: a password would travel unencrypted
        asyncio.run(main())


def test_client_write_with_the_wrong_type_is_rejected_without_callback(twin: TwinServer, recorder: Recorder) -> None:
    calls = len(recorder.calls)

    async def scenario(client: Client, ns: int) -> None:
        await client.get_node(ua.NodeId("heater.power", ns)).write_value(
            ua.DataValue(ua.Variant("hot", ua.VariantType.String))
        )

    with pytest.raises(ua.uaerrors.BadTypeMismatch):
        run(twin, scenario)
    assert len(recorder.calls) == calls


def test_batched_write_reports_each_node(twin: TwinServer) -> None:
    async def scenario(client: Client, ns: int) -> list[ua.StatusCode]:
        params = ua.WriteParameters()
        for name, variant in (
            ("heater.power", ua.Variant(2.0, ua.VariantType.Double)),
            ("heater.temperature", ua.Variant(2.0, ua.VariantType.Double)),
            ("counter.reset", ua.Variant(True, ua.VariantType.Boolean)),
        ):
            params.NodesToWrite.append(
                ua.WriteValue(
                    NodeId=ua.NodeId(name, ns), AttributeId=ua.AttributeIds.Value, Value=ua.DataValue(variant)
                )
            )
        return await client.uaclient.write(params)

    statuses = run(twin, scenario)
    assert [s.name for s in statuses] == ["Good", "BadNotWritable", "Good"]


def test_update_before_start_and_after_stop_is_a_no_op() -> None:
    server = TwinServer("m", PORTS, port=free_port())
    server.update([1.0] * len(PORTS))
    server.stop()
    assert server.stats()["updates"] == 0


def test_port_in_use_fails_to_start(twin: TwinServer) -> None:
    with pytest.raises(TwinServerError, match="failed to start"):
        TwinServer("other", PORTS, port=twin.port).start()


@pytest.mark.parametrize(
    "descriptor",
    [PortDescriptor("a", "b", "sideways", "float"), PortDescriptor("a", "b", "input", "string")],
)
def test_bad_descriptors_are_refused(descriptor: PortDescriptor) -> None:
    with pytest.raises(ValueError):
        TwinServer("m", [descriptor])


def test_browse_shows_the_served_tree_with_types_and_access(twin: TwinServer, tmp_path: Path) -> None:
    spec = EndpointSpec(name="twin", url=twin.url)
    top = {c["browse_name"]: c for c in browse(spec, tmp_path)}
    assert top["heated_tank"]["node_id"] == f"nsu={TWIN_NAMESPACE_URI};s=model:heated_tank"
    components = {c["browse_name"] for c in browse(spec, tmp_path, top["heated_tank"]["node_id"])}
    assert components == {"heater", "valve", "counter"}
    ports = {c["browse_name"]: c for c in browse(spec, tmp_path, f"nsu={TWIN_NAMESPACE_URI};s=heater")}
    assert ports["power"]["node_id"] == f"nsu={TWIN_NAMESPACE_URI};s=heater.power"
    assert (ports["power"]["data_type"], ports["power"]["writable"]) == ("Double", True)
    assert (ports["temperature"]["data_type"], ports["temperature"]["writable"]) == ("Double", False)
