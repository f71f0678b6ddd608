"""Endpoint test and browse against real servers: a secured asyncua server and the node-opcua PLC peer."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from asyncua import ua

from app.engine.hil.probe import EndpointError, browse, test_endpoint
from app.engine.io import EndpointSpec
from tests.peers.asyncua_secure import NAMESPACE, SecurePeer, free_port
from tests.peers.node_peer import NodePlc, node_plc  # noqa: F401

pytestmark = pytest.mark.timeout(60)

PASSWORD = "pr0be-pa55word"


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecurePeer]:
    # No Basic256Sha256/Sign endpoint, so a mismatch can be shown without a second server.
    policies = [ua.SecurityPolicyType.NoSecurity, ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt]
    with SecurePeer(tmp_path_factory.mktemp("pki"), policies=policies, users={"operator": PASSWORD}) as server:
        yield server


@pytest.fixture(scope="module")
def data_dir(peer: SecurePeer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose trust list holds the peer's server certificate."""
    path = tmp_path_factory.mktemp("data")
    peer.trust_in(path)
    return path


def spec_for(url: str, **kw: Any) -> EndpointSpec:
    return EndpointSpec(name="plc", url=url, **kw)


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """A TCP port that accepts connections and never answers (a frozen server)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"opc.tcp://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    sock.close()


# ---- test_endpoint: asyncua server ---------------------------------------------------------------------------------


def test_endpoint_reports_server_namespaces_and_limits(peer: SecurePeer, data_dir: Path) -> None:
    result = test_endpoint(spec_for(peer.url), data_dir)
    assert result["ok"] is True
    assert result["server"]["product_name"]
    assert result["server"]["software_version"]
    assert result["security"] == {"policy": "None", "mode": "None", "user": "anonymous"}
    assert NAMESPACE in result["namespaces"]
    assert set(result["operation_limits"]) == {"max_nodes_per_read", "max_nodes_per_write", "max_nodes_per_browse"}


def test_endpoint_reports_the_security_used(peer: SecurePeer, data_dir: Path) -> None:
    spec = spec_for(
        peer.url,
        security_policy="Basic256Sha256",
        security_mode="SignAndEncrypt",
        username="operator",
        password=PASSWORD,
    )
    result = test_endpoint(spec, data_dir)
    assert result["ok"] is True
    assert result["security"] == {"policy": "Basic256Sha256", "mode": "SignAndEncrypt", "user": "operator"}


def test_bad_password_is_reported_as_bad_credentials(peer: SecurePeer, data_dir: Path) -> None:
    spec = spec_for(
        peer.url, security_policy="Basic256Sha256", security_mode="SignAndEncrypt", username="operator", password="x1"
    )
    result = test_endpoint(spec, data_dir)
    assert (result["ok"], result["reason"]) == (False, "bad_credentials")
    assert "operator" in result["message"] and "x1" not in result["message"]


def test_nothing_listening_is_reported_as_refused(data_dir: Path) -> None:
    result = test_endpoint(spec_for(f"opc.tcp://127.0.0.1:{free_port()}"), data_dir)
    assert (result["ok"], result["reason"]) == (False, "refused")


def test_silent_server_is_reported_as_timeout(silent_listener: str, data_dir: Path) -> None:
    result = test_endpoint(spec_for(silent_listener), data_dir, timeout=0.5)
    assert (result["ok"], result["reason"]) == (False, "timeout")


def test_unresolvable_host_is_reported(data_dir: Path) -> None:
    result = test_endpoint(spec_for("opc.tcp://no-such-host.invalid:4840"), data_dir, timeout=2)
    assert (result["ok"], result["reason"]) == (False, "host_not_found")


def test_rejected_client_certificate_is_reported_as_certificate(peer: SecurePeer, data_dir: Path) -> None:
    peer.reject_client_certificates = True
    try:
        spec = spec_for(peer.url, security_policy="Basic256Sha256", security_mode="SignAndEncrypt")
        result = test_endpoint(spec, data_dir)
    finally:
        peer.reject_client_certificates = False
    assert (result["ok"], result["reason"]) == (False, "certificate")


def test_missing_security_endpoint_is_reported_as_mismatch(peer: SecurePeer, data_dir: Path) -> None:
    result = test_endpoint(spec_for(peer.url, security_policy="Basic256Sha256", security_mode="Sign"), data_dir)
    assert (result["ok"], result["reason"]) == (False, "security_mismatch")
    assert result["offered_security"] == [
        {"policy": "None", "mode": "None"},
        {"policy": "Basic256Sha256", "mode": "SignAndEncrypt"},
    ]
    assert "it offers None/None, Basic256Sha256/SignAndEncrypt" in result["message"]


def test_unusable_settings_are_reported_as_invalid_config(peer: SecurePeer, data_dir: Path) -> None:
    result = test_endpoint(spec_for(peer.url, security_policy="None", security_mode="Sign"), data_dir)
    assert (result["ok"], result["reason"]) == (False, "invalid_config")


# ---- browse: asyncua server ----------------------------------------------------------------------------------------


def test_browse_defaults_to_the_objects_folder(peer: SecurePeer, data_dir: Path) -> None:
    children = {c["browse_name"]: c for c in browse(spec_for(peer.url), data_dir)}
    assert children["Plant"]["node_id"] == f"nsu={NAMESPACE};s=Plant"
    assert children["Plant"]["node_class"] == "Object"
    assert children["Server"]["node_id"] == "i=2253"


def test_browse_lists_variables_with_type_and_access(peer: SecurePeer, data_dir: Path) -> None:
    children = {c["browse_name"]: c for c in browse(spec_for(peer.url), data_dir, f"nsu={NAMESPACE};s=Plant")}
    assert children["Level"] == {
        "node_id": f"nsu={NAMESPACE};s=Plant.Level",
        "browse_name": "Level",
        "display_name": "Level",
        "node_class": "Variable",
        "data_type": "Double",
        "readable": True,
        "writable": False,
        "access_level": 1,
        "value_rank": -1,
        "array_dimensions": None,
        "description": "Level",  # asyncua's default Description is the browse name
    }
    assert (children["Command"]["data_type"], children["Command"]["writable"]) == ("Int32", True)
    assert children["Running"]["data_type"] == "Boolean"


def test_browse_accepts_numeric_namespace_node_ids(peer: SecurePeer, data_dir: Path) -> None:
    namespaces = test_endpoint(spec_for(peer.url), data_dir)["namespaces"]
    node = f"ns={namespaces.index(NAMESPACE)};s=Plant"
    assert {c["browse_name"] for c in browse(spec_for(peer.url), data_dir, node)} == {"Level", "Command", "Running"}


def test_browse_unknown_node_raises_unknown_node(peer: SecurePeer, data_dir: Path) -> None:
    with pytest.raises(EndpointError) as info:
        browse(spec_for(peer.url), data_dir, f"nsu={NAMESPACE};s=Nope")
    assert info.value.reason == "unknown_node"


def test_browse_unknown_namespace_raises_unknown_node(peer: SecurePeer, data_dir: Path) -> None:
    with pytest.raises(EndpointError) as info:
        browse(spec_for(peer.url), data_dir, "nsu=urn:not-there;s=Plant")
    assert info.value.reason == "unknown_node"


def test_browse_of_an_unreachable_endpoint_raises_with_reason(data_dir: Path) -> None:
    with pytest.raises(EndpointError) as info:
        browse(spec_for(f"opc.tcp://127.0.0.1:{free_port()}"), data_dir)
    assert info.value.reason == "refused"


# ---- node-opcua peer -----------------------------------------------------------------------------------------------


def test_endpoint_against_node_opcua(node_plc: NodePlc, data_dir: Path) -> None:  # noqa: F811
    result = test_endpoint(spec_for(node_plc.url), data_dir)
    assert result["ok"] is True
    assert result["server"]["product_name"] == "dtwin node-opcua PLC peer"
    assert node_plc.namespace in result["namespaces"]
    assert result["operation_limits"]["max_nodes_per_read"] > 0


def test_endpoint_against_node_opcua_with_sign_and_encrypt(node_plc: NodePlc, data_dir: Path) -> None:  # noqa: F811
    spec = spec_for(node_plc.url, security_policy="Basic256Sha256", security_mode="SignAndEncrypt")
    result = test_endpoint(spec, data_dir, trust_new=True)  # its certificate is made when it starts
    assert result["ok"] is True, result
    assert result["security"]["mode"] == "SignAndEncrypt"


def test_browse_against_node_opcua(node_plc: NodePlc, data_dir: Path) -> None:  # noqa: F811
    top = {c["browse_name"]: c for c in browse(spec_for(node_plc.url), data_dir)}
    assert top["PLC"]["node_id"] == node_plc.node_id("PLC")
    tags = {c["browse_name"]: c for c in browse(spec_for(node_plc.url), data_dir, top["PLC"]["node_id"])}
    assert (tags["In_Double"]["data_type"], tags["In_Double"]["writable"]) == ("Double", True)
    assert (tags["Out_Float"]["data_type"], tags["Out_Float"]["writable"]) == ("Float", False)
    assert (tags["In_Bool"]["data_type"], tags["Out_Int"]["data_type"]) == ("Boolean", "Int32")
    assert tags["Out_Int"]["node_id"] == node_plc.node_id("PLC.Out_Int")
