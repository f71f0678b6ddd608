"""Fixtures of the API tests that need a real OPC UA server: the asyncua PLC peer, shared by the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.hil.conftest import AsyncuaPlc


@pytest.fixture(scope="session")
def plc() -> Iterator[AsyncuaPlc]:
    """One asyncua PLC peer for the API tests (tests that freeze it thaw it before they end)."""
    peer = AsyncuaPlc().start()
    yield peer
    peer.stop()
