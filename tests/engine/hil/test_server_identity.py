"""The twin's OPC UA server: loopback only while it serves without security, and its own application identity."""

from __future__ import annotations

import asyncio

import pytest
from asyncua import Client, ua

from app.engine.hil.server import PortDescriptor, TwinServer, TwinServerError, is_loopback
from tests.peers.asyncua_secure import free_port

pytestmark = pytest.mark.timeout(60)

PORTS = [PortDescriptor("tank", "level", "output", "float", 0.5)]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_recognised(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "plc-gateway.example"])
def test_the_unsecured_server_refuses_to_listen_beyond_loopback(host: str) -> None:
    server = TwinServer("tank", PORTS, port=free_port(), host=host)
    with pytest.raises(TwinServerError) as info:
        server.start()
    assert "loopback" in str(info.value) and host in str(info.value)


def test_each_served_model_has_its_own_application_uri_and_name() -> None:
    a = TwinServer("heated tank", PORTS, port=4841)
    b = TwinServer("conveyor", PORTS, port=4842)
    assert a.application_uri != b.application_uri and a.application_name != b.application_name
    assert a.application_uri.startswith("urn:dtwin:twin:") and a.application_uri.endswith(":heated%20tank:4841")
    assert "freeopcua" not in a.application_uri


def test_clients_see_the_model_s_application_uri_and_name() -> None:
    with TwinServer("heated_tank", PORTS, port=free_port()) as server:
        async def described() -> tuple[str, str, list[str]]:
            async with Client(server.url, timeout=5) as client:
                endpoints = await client.get_endpoints()
                servers = await client.get_node(ua.NodeId(ua.ObjectIds.Server_ServerArray)).read_value()
                return endpoints[0].Server.ApplicationUri, endpoints[0].Server.ApplicationName.Text, servers

        uri, name, server_array = asyncio.run(described())
    assert uri == server.application_uri and server_array == [server.application_uri]
    assert name == server.application_name and "heated_tank" in name
