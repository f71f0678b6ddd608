"""The twin's OPC UA server starts quietly and fails with one clear error, not the library's traceback."""

from __future__ import annotations

import logging
import socket

import pytest
from asyncua import Client

from app.engine.hil.server import PortDescriptor, TwinServer, TwinServerError
from tests.peers.asyncua_secure import free_port

pytestmark = pytest.mark.timeout(60)

PORTS = [PortDescriptor("tank", "level", "output", "float", 0.0)]


def test_start_logs_no_security_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with TwinServer("quiet", PORTS, port=free_port()):
        pass
    assert [r.getMessage() for r in caplog.records if r.name.startswith("asyncua")] == []


def test_offers_anonymous_sessions_only() -> None:
    import asyncio

    async def token_types(url: str) -> set[str]:
        client = Client(url, timeout=5)
        endpoints = await client.connect_and_get_server_endpoints()
        return {t.TokenType.name for e in endpoints for t in e.UserIdentityTokens}

    with TwinServer("anon", PORTS, port=free_port()) as twin:
        assert asyncio.run(token_types(twin.url)) == {"Anonymous"}


def test_busy_port_raises_without_library_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(TwinServerError, match="failed to start"):
            TwinServer("busy", PORTS, port=port).start()
    assert not [r for r in caplog.records if r.name.startswith("asyncua") and r.exc_info]
