"""Probe errors read once: the endpoint name, then the reason (no doubled ': :')."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.hil.probe import EndpointError, browse
from app.engine.hil.server import PortDescriptor, TwinServer
from app.engine.io import EndpointSpec
from tests.peers.asyncua_secure import free_port

pytestmark = pytest.mark.timeout(60)


def test_browsing_an_unknown_node_names_the_endpoint_once(tmp_path: Path) -> None:
    ports = [PortDescriptor("tank", "level", "output", "float", 0.0)]
    with TwinServer("probe", ports, port=free_port()) as twin:
        with pytest.raises(EndpointError) as info:
            browse(EndpointSpec(name="plc", url=twin.url), tmp_path, "ns=1;s=no.such.node")
    assert info.value.reason == "unknown_node"
    assert info.value.message.startswith("plc: cannot ") and ": :" not in info.value.message, info.value.message
