"""Server certificate validation with a trust list (pki/trusted/certs, pki/rejected/certs) against a real secured
asyncua server, and the key usages of the twin's client certificate."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Any, Iterator

import pytest
from asyncua import Client, ua
from cryptography import x509

from app.engine._exceptions import PortIOError
from app.engine.hil import OpcUaIO
from app.engine.hil.probe import test_endpoint as probe_endpoint
from app.engine.hil.security import (
    UntrustedCertificateError,
    certificate_thumbprint,
    configure_security,
    ensure_client_certificate,
    list_rejected_certificates,
    trust_rejected_certificate,
)
from app.engine.io import BindingSpec, EndpointSpec
from tests.peers.asyncua_secure import NAMESPACE, SecurePeer

pytestmark = pytest.mark.timeout(60)

USERS = {"operator": "tru5t-l1st-pa55"}


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecurePeer]:
    with SecurePeer(tmp_path_factory.mktemp("server-pki"), users=USERS) as server:
        yield server


def _spec(peer: SecurePeer, **kw: Any) -> EndpointSpec:
    return EndpointSpec(name="plc", url=peer.url, security_policy="Basic256Sha256", security_mode="SignAndEncrypt",
                        **kw)


async def _read_level(spec: EndpointSpec, data_dir: Path, trust_new: bool = False) -> float:
    client = Client(spec.url, timeout=5)
    await configure_security(client, spec, data_dir, trust_new=trust_new)
    async with client:
        ns = await client.get_namespace_index(NAMESPACE)
        return float(await client.get_node(ua.NodeId("Plant.Level", ns)).read_value())


def test_the_client_certificate_has_the_key_usages_opc_ua_requires(tmp_path: Path) -> None:
    cert_path, _ = ensure_client_certificate(tmp_path)
    cert = x509.load_der_x509_certificate(cert_path.read_bytes())
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and usage.key_encipherment
    assert usage.data_encipherment and usage.key_cert_sign
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca  # RFC 5280: keyCertSign needs cA


def test_an_unknown_server_certificate_is_rejected_before_any_credentials_are_sent(
    peer: SecurePeer, tmp_path: Path
) -> None:
    logins, sessions = len(peer.user_manager.seen), len(peer.client_certificates)
    spec = _spec(peer, username="operator", password=USERS["operator"])
    with pytest.raises(UntrustedCertificateError) as info:
        asyncio.run(_read_level(spec, tmp_path))
    rejected = list((tmp_path / "pki" / "rejected" / "certs").iterdir())
    assert [p.read_bytes() for p in rejected] == [peer.certificate]
    assert info.value.path == rejected[0]
    assert certificate_thumbprint(peer.certificate) in str(info.value)
    assert f"mv {rejected[0]} {tmp_path / 'pki' / 'trusted' / 'certs'}/" in str(info.value)
    # No session was created (the server's certificate validator never ran) and no user name reached it.
    assert (len(peer.user_manager.seen), len(peer.client_certificates)) == (logins, sessions)
    assert list((tmp_path / "pki" / "trusted" / "certs").iterdir()) == []  # there, so the mv works as written


def test_the_rejected_certificate_moved_to_trusted_connects(peer: SecurePeer, tmp_path: Path) -> None:
    with pytest.raises(UntrustedCertificateError) as info:
        asyncio.run(_read_level(_spec(peer), tmp_path))
    command = str(info.value).split("trust it with: ", 1)[1].split(" (or allow", 1)[0]
    mv, source, target = shlex.split(command)
    assert mv == "mv"
    Path(source).rename(Path(target) / Path(source).name)  # what mv does
    assert asyncio.run(_read_level(_spec(peer), tmp_path)) == 1.5
    assert list((tmp_path / "pki" / "rejected" / "certs").iterdir()) == []


def test_trust_on_first_use_stores_and_accepts_a_new_certificate(peer: SecurePeer, tmp_path: Path) -> None:
    assert asyncio.run(_read_level(_spec(peer), tmp_path, trust_new=True)) == 1.5
    trusted = list((tmp_path / "pki" / "trusted" / "certs").iterdir())
    assert [p.read_bytes() for p in trusted] == [peer.certificate]
    assert asyncio.run(_read_level(_spec(peer), tmp_path)) == 1.5  # trusted from now on, without the option


def test_a_rejected_certificate_is_listed_and_can_be_trusted_by_thumbprint(peer: SecurePeer, tmp_path: Path) -> None:
    with pytest.raises(UntrustedCertificateError):
        asyncio.run(_read_level(_spec(peer), tmp_path))
    (listed,) = list_rejected_certificates(tmp_path)
    thumbprint = certificate_thumbprint(peer.certificate)
    assert listed["thumbprint"] == thumbprint
    assert "CN=" in listed["subject"]
    assert trust_rejected_certificate(tmp_path, "00" * 20) is None
    moved = trust_rejected_certificate(tmp_path, thumbprint.lower())
    assert moved is not None and moved.parent == tmp_path / "pki" / "trusted" / "certs"
    assert asyncio.run(_read_level(_spec(peer), tmp_path)) == 1.5


def test_the_probe_reports_an_untrusted_server_as_certificate_naming_the_file(peer: SecurePeer, tmp_path: Path) -> None:
    result = probe_endpoint(_spec(peer), tmp_path)
    assert result["ok"] is False
    assert result["reason"] == "certificate"
    (rejected,) = (tmp_path / "pki" / "rejected" / "certs").iterdir()
    assert str(rejected) in result["message"]
    assert probe_endpoint(_spec(peer), tmp_path, trust_new=True)["ok"] is True


def _level_binding() -> BindingSpec:
    return BindingSpec("tank.level", "plc", f"nsu={NAMESPACE};s=Plant.Level", "read")


def test_a_hil_connection_to_an_untrusted_server_fails_naming_the_file(peer: SecurePeer, tmp_path: Path) -> None:
    io = OpcUaIO([_spec(peer)], data_dir=tmp_path, connect_timeout=5.0)
    with pytest.raises(PortIOError) as caught:
        io.open([_level_binding()], [])
    (rejected,) = (tmp_path / "pki" / "rejected" / "certs").iterdir()
    assert str(rejected) in caught.value.problems[0]["reason"]
    assert caught.value.problems[0]["endpoint"] == "plc"
    assert caught.value.problems[0]["reason"].startswith("certificate problem: the server certificate of")


def test_a_hil_connection_with_trust_on_first_use_connects_and_stores(peer: SecurePeer, tmp_path: Path) -> None:
    io = OpcUaIO([_spec(peer)], data_dir=tmp_path, connect_timeout=5.0, trust_new_certificates=True)
    io.open([_level_binding()], [])
    try:
        assert io.read() == [1.5]
    finally:
        io.close()
    (trusted,) = (tmp_path / "pki" / "trusted" / "certs").iterdir()
    assert trusted.read_bytes() == peer.certificate
