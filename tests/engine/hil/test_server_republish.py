"""A client that loses its connection and reconnects to the twin's server must not spin on Republish.

asyncua's server answers a Republish for an unknown sequence number with an empty message; an asyncua 2.1 client
restoring its subscription then asks for the next number forever. ``TwinServer`` answers BadMessageNotAvailable.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asyncua import Client, Server, ua

from app.engine.hil.server import TWIN_NAMESPACE_URI, PortDescriptor, TwinServer
from tests.peers.asyncua_secure import free_port

pytestmark = pytest.mark.timeout(60)

PORTS = [PortDescriptor("tank", "level", "output", "float", 0.0)]


class PlainRepublishTwin(TwinServer):
    """The same server with asyncua's own Republish (only counted), to show the guard is what helps."""

    def _guard_republish(self, server: Server) -> None:
        service = server.iserver.subscription_service
        original = service.republish

        def republish(params: ua.RepublishParameters) -> ua.NotificationMessage:
            self._counters["republish_requests"] += 1
            return original(params)

        service.republish = republish  # type: ignore[method-assign]


async def drop_connection_and_count_republish(twin: TwinServer) -> tuple[list[float], int]:
    """Subscribe, cut the TCP connection under the client, let it reconnect, then count Republish over 1 s."""
    client = Client(twin.url, timeout=2, watchdog_intervall=0.5)
    await client.connect(auto_reconnect=True)
    received: list[float] = []

    class Handler:
        def datachange_notification(self, node: Any, value: float, data: Any) -> None:
            received.append(value)

    try:
        ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
        subscription = await client.create_subscription(50, Handler())
        await subscription.subscribe_data_change(client.get_node(ua.NodeId("tank.level", ns)))
        twin.update([1.0])
        for _ in range(100):
            if 1.0 in received:
                break
            await asyncio.sleep(0.02)
        client.uaclient.protocol.transport.abort()  # type: ignore[union-attr]
        for step in range(200):  # until notifications flow again on the new connection
            twin.update([2.0 + step])
            await asyncio.sleep(0.05)
            if received and received[-1] >= 2.0:
                break
        await asyncio.sleep(1.0)
        return received, twin.stats()["republish_requests"]
    finally:
        await asyncio.wait_for(client.disconnect(), 10)


def test_reconnecting_client_does_not_spin_on_republish() -> None:
    with TwinServer("m", PORTS, port=free_port()) as twin:
        received, republish_requests = asyncio.run(drop_connection_and_count_republish(twin))
    assert received[-1] >= 2.0  # the subscription works again after the reconnect
    assert 1 <= republish_requests <= 3


def test_plain_asyncua_republish_makes_the_same_client_spin() -> None:
    with PlainRepublishTwin("m", PORTS, port=free_port()) as twin:
        _, republish_requests = asyncio.run(drop_connection_and_count_republish(twin))
    assert republish_requests > 100
