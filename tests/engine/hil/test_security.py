"""Security set-up against a real asyncua server offering None and Basic256Sha256 with a user list."""

from __future__ import annotations

import asyncio
import logging
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest
from asyncua import Client, ua
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.engine.hil.security import (
    CLIENT_APPLICATION_URI,
    SecurityConfigError,
    configure_security,
    ensure_client_certificate,
    resolve_security,
)
from app.engine.io import EndpointSpec
from tests.peers.asyncua_secure import NAMESPACE, SecurePeer

pytestmark = pytest.mark.timeout(60)

USERS = {"operator": "s3cret-pa55"}


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecurePeer]:
    with SecurePeer(tmp_path_factory.mktemp("server-pki"), users=USERS) as server:
        yield server


@pytest.fixture
def data_dir(peer: SecurePeer, tmp_path: Path) -> Path:
    """A data directory whose trust list holds the peer's server certificate."""
    peer.trust_in(tmp_path)
    return tmp_path


def _spec(peer: SecurePeer, policy: str = "None", mode: str = "None", **kw: Any) -> EndpointSpec:
    return EndpointSpec(name="plc", url=peer.url, security_policy=policy, security_mode=mode, **kw)


async def _read_level(spec: EndpointSpec, data_dir: Path) -> tuple[float, str]:
    client = Client(spec.url, timeout=5)
    await configure_security(client, spec, data_dir)
    async with client:
        ns = await client.get_namespace_index(NAMESPACE)
        value = await client.get_node(ua.NodeId("Plant.Level", ns)).read_value()
        return value, client.security_policy.URI


def test_certificate_is_generated_on_first_use_under_pki(tmp_path: Path) -> None:
    cert_path, key_path = ensure_client_certificate(tmp_path)
    assert cert_path == tmp_path / "pki" / "own" / "certs" / "client_cert.der"
    assert key_path == tmp_path / "pki" / "own" / "private" / "client_key.pem"
    cert = x509.load_der_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert CLIENT_APPLICATION_URI in san.get_values_for_type(x509.UniformResourceIdentifier)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_certificate_is_reused_afterwards(tmp_path: Path) -> None:
    cert_path, key_path = ensure_client_certificate(tmp_path)
    first = (cert_path.read_bytes(), key_path.read_bytes())
    ensure_client_certificate(tmp_path)
    assert (cert_path.read_bytes(), key_path.read_bytes()) == first


def test_certificate_is_regenerated_when_the_stored_one_is_corrupt(tmp_path: Path) -> None:
    cert_path, _ = ensure_client_certificate(tmp_path)
    cert_path.write_bytes(b"not a certificate")
    ensure_client_certificate(tmp_path)
    x509.load_der_x509_certificate(cert_path.read_bytes())


def test_policy_none_connects_anonymously(peer: SecurePeer, tmp_path: Path) -> None:
    value, policy_uri = asyncio.run(_read_level(_spec(peer), tmp_path))
    assert value == 1.5
    assert policy_uri.endswith("#None")
    assert not (tmp_path / "pki").exists()  # no certificate needed without security


def test_basic256sha256_sign_connects_with_username(peer: SecurePeer, data_dir: Path) -> None:
    spec = _spec(peer, "Basic256Sha256", "Sign", username="operator", password=USERS["operator"])
    value, policy_uri = asyncio.run(_read_level(spec, data_dir))
    assert value == 1.5
    assert policy_uri.endswith("#Basic256Sha256")
    assert peer.user_manager.seen[-1] == "operator"


def test_basic256sha256_sign_and_encrypt_connects(peer: SecurePeer, data_dir: Path) -> None:
    spec = _spec(peer, "Basic256Sha256", "SignAndEncrypt")
    value, _ = asyncio.run(_read_level(spec, data_dir))
    assert value == 1.5


def test_server_sees_the_stored_client_certificate(peer: SecurePeer, data_dir: Path) -> None:
    asyncio.run(_read_level(_spec(peer, "Basic256Sha256", "SignAndEncrypt"), data_dir))
    cert_path, _ = ensure_client_certificate(data_dir)
    stored = x509.load_der_x509_certificate(cert_path.read_bytes())
    assert peer.client_certificates[-1].fingerprint(stored.signature_hash_algorithm) == stored.fingerprint(
        stored.signature_hash_algorithm
    )


def test_full_policy_uri_is_accepted() -> None:
    spec = EndpointSpec(
        name="plc",
        url="opc.tcp://127.0.0.1:1",
        security_policy="http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256",
        security_mode="Sign",
    )
    assert resolve_security(spec) == ("Basic256Sha256", "Sign")


def test_bad_password_is_rejected_with_a_status_code(peer: SecurePeer, data_dir: Path) -> None:
    spec = _spec(peer, "Basic256Sha256", "SignAndEncrypt", username="operator", password="wrong")
    with pytest.raises(ua.UaStatusCodeError) as info:
        asyncio.run(_read_level(spec, data_dir))
    assert "Bad" in type(info.value).__name__


def test_password_never_appears_in_logs(peer: SecurePeer, data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    spec = _spec(peer, "Basic256Sha256", "Sign", username="operator", password=USERS["operator"])
    asyncio.run(_read_level(spec, data_dir))
    assert USERS["operator"] not in caplog.text
    assert USERS["operator"] not in repr(spec)


@pytest.mark.parametrize(
    ("policy", "mode"),
    [("None", "Sign"), ("Basic256Sha256", "None"), ("Basic128Rsa15", "Sign"), ("None", "Encrypt")],
)
def test_unusable_security_combinations_are_refused(policy: str, mode: str) -> None:
    spec = EndpointSpec(name="plc", url="opc.tcp://127.0.0.1:1", security_policy=policy, security_mode=mode)
    with pytest.raises(SecurityConfigError):
        resolve_security(spec)


def test_concurrent_first_use_yields_one_matching_pair(tmp_path: Path) -> None:
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: ensure_client_certificate(tmp_path), range(4)))
    cert_path, key_path = ensure_client_certificate(tmp_path)
    cert = x509.load_der_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
