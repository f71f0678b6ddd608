"""The twin's OPC UA server with security on: Basic256Sha256 only, user-name logins only, checked by the caller.

Real asyncua clients on 127.0.0.1 against real servers (one per security mode, shared by the module's tests).
"""

from __future__ import annotations

import asyncio
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua
from asyncua.crypto import security_policies
from asyncua.ua.uaerrors import UaStatusCodeError
from cryptography import x509

from app.engine.hil.security import (
    configure_security,
    ensure_server_certificate,
    server_certificate_paths,
)
from app.engine.hil.server import TWIN_NAMESPACE_URI, PortDescriptor, TwinServer, TwinServerError, TwinServerSecurity
from app.engine.io import EndpointSpec
from tests.peers.asyncua_secure import free_port

pytestmark = pytest.mark.timeout(90)

PORTS = [
    PortDescriptor("valve", "command", "input", "float", 0.0),
    PortDescriptor("tank", "level", "output", "float", 0.5),
]
USERS = {"olga": "operator password"}
BASIC256SHA256 = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"


class Accounts:
    """The caller's account check: records who asked, on which thread."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, username: str, password: str) -> bool:
        self.asked.append(username)
        self.threads.add(threading.current_thread().name)
        return USERS.get(username) == password


class Served:
    def __init__(self, server: TwinServer, accounts: Accounts, writes: list[tuple[str, str, Any]], data_dir: Path):
        self.server, self.accounts, self.writes, self.data_dir = server, accounts, writes, data_dir

    @property
    def local_url(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.server.port}"

    def spec(self, username: str | None = None, password: str | None = None) -> EndpointSpec:
        return EndpointSpec(
            "twin",
            self.local_url,
            security_policy="Basic256Sha256",
            security_mode=self.server.security.mode if self.server.security else "None",
            username=username,
            password=password,
        )


def _serve(tmp_path_factory: pytest.TempPathFactory, mode: str, host: str) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp(f"twin-{mode}")
    accounts, writes = Accounts(), []
    server = TwinServer(
        "secured_tank",
        PORTS,
        port=free_port(),
        host=host,
        on_input_write=lambda c, p, v: writes.append((c, p, v)),
        security=TwinServerSecurity(mode, accounts),
        data_dir=data_dir,
    )
    with server:
        yield Served(server, accounts, writes, data_dir)


@pytest.fixture(scope="module")
def encrypting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """SignAndEncrypt, listening on every interface (the tests only ever connect through 127.0.0.1)."""
    yield from _serve(tmp_path_factory, "SignAndEncrypt", "0.0.0.0")


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serve(tmp_path_factory, "Sign", "127.0.0.1")


async def _secure_client(served: Served, client_dir: Path, username: str | None, password: str | None) -> Client:
    client = Client(served.local_url, timeout=5)
    # The twin's server makes its certificate when it starts: the test client trusts it on first use.
    await configure_security(client, served.spec(username, password), client_dir, trust_new=True)
    return client


async def _write_and_read(served: Served, client_dir: Path, username: str, password: str) -> tuple[float, str]:
    """Write the input, read the output, try to write the output (its status name)."""
    client = await _secure_client(served, client_dir, username, password)
    async with client:
        ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
        await client.get_node(ua.NodeId("valve.command", ns)).write_value(ua.Variant(0.75, ua.VariantType.Double))
        level = float(await client.get_node(ua.NodeId("tank.level", ns)).read_value())
        try:
            await client.get_node(ua.NodeId("tank.level", ns)).write_value(ua.Variant(1.0, ua.VariantType.Double))
            output_write = "Good"
        except UaStatusCodeError as exc:
            output_write = type(exc).__name__
    return level, output_write


async def _discover(url: str) -> list[ua.EndpointDescription]:
    """GetEndpoints over an unsecured channel, without a session (as every client starts)."""
    return list(await Client(url, timeout=5).connect_and_get_server_endpoints())


def _login_error(served: Served, client_dir: Path, username: str | None, password: str | None) -> str:
    async def attempt() -> None:
        client = await _secure_client(served, client_dir, username, password)
        async with client:
            pass

    with pytest.raises(UaStatusCodeError) as info:
        asyncio.run(attempt())
    return type(info.value).__name__


def test_a_secured_server_offers_basic256sha256_with_user_names_and_no_none_endpoint(encrypting: Served) -> None:
    offered = asyncio.run(_discover(encrypting.local_url))
    assert [(e.SecurityPolicyUri, e.SecurityMode) for e in offered] == [
        (BASIC256SHA256, ua.MessageSecurityMode.SignAndEncrypt)
    ]
    assert [t.TokenType for t in offered[0].UserIdentityTokens] == [ua.UserTokenType.UserName]
    served_cert = x509.load_der_x509_certificate(offered[0].ServerCertificate)
    cert_path, _ = server_certificate_paths(encrypting.data_dir, encrypting.server.application_uri)
    assert served_cert == x509.load_der_x509_certificate(cert_path.read_bytes())


def test_an_anonymous_session_is_refused(encrypting: Served, tmp_path: Path) -> None:
    assert _login_error(encrypting, tmp_path, None, None) == "BadIdentityTokenRejected"


def test_a_wrong_password_is_refused(encrypting: Served, tmp_path: Path) -> None:
    assert _login_error(encrypting, tmp_path, "olga", "not her password") == "BadUserAccessDenied"
    assert _login_error(encrypting, tmp_path, "mallory", "operator password") == "BadUserAccessDenied"
    assert encrypting.server.stats()["refused_logins"] >= 2


def test_an_account_reads_and_its_input_write_becomes_the_force_callback(encrypting: Served, tmp_path: Path) -> None:
    level, output_write = asyncio.run(_write_and_read(encrypting, tmp_path, "olga", USERS["olga"]))
    assert level == 0.5 and output_write == "BadNotWritable"
    assert ("valve", "command", 0.75) in encrypting.writes
    assert "olga" in encrypting.accounts.asked
    assert encrypting.accounts.threads == {f"twin-opcua-{encrypting.server.port}"}  # checked on the server thread
    assert encrypting.server.stats()["logins"] >= 1


def test_the_sign_mode_serves_sign_only_and_accepts_an_account(signing: Served, tmp_path: Path) -> None:
    assert [(e.SecurityPolicyUri, e.SecurityMode) for e in asyncio.run(_discover(signing.local_url))] == [
        (BASIC256SHA256, ua.MessageSecurityMode.Sign)
    ]
    level, output_write = asyncio.run(_write_and_read(signing, tmp_path, "olga", USERS["olga"]))
    assert level == 0.5 and output_write == "BadNotWritable"
    assert ("valve", "command", 0.75) in signing.writes
    assert _login_error(signing, tmp_path, "olga", "wrong") == "BadUserAccessDenied"
    assert signing.server.stats()["security_mode"] == "Sign"


async def _raw_unsecured_session(url: str, username: str, password: str, adopt: ua.NodeId | None = None) -> Client:
    """An unsecured channel driven by hand, past the checks asyncua's client makes on its own side: create (or adopt
    another session by its authentication token) and activate a session with a plain-text password."""
    client = Client(url, timeout=5)
    await client.connect_socket()
    await client.send_hello()
    await client.open_secure_channel()
    if adopt is None:
        params = ua.CreateSessionParameters()
        params.ClientNonce = b"\x01" * 32
        params.ClientDescription = ua.ApplicationDescription(ApplicationUri="urn:test:raw", ApplicationType=1)
        params.EndpointUrl = url
        params.SessionName = "raw"
        params.RequestedSessionTimeout = 30000
        params.MaxResponseMessageSize = 0
        await client.uaclient.create_session(params)
    else:
        client.uaclient.protocol.authentication_token = adopt  # type: ignore[union-attr]
    activation = ua.ActivateSessionParameters()
    activation.ClientSignature.Algorithm = security_policies.SecurityPolicyBasic256Sha256.AsymmetricSignatureURI
    token = ua.UserNameIdentityToken()
    token.PolicyId, token.UserName, token.Password = "username", username, password.encode()
    activation.UserIdentityToken = token
    try:
        await client.uaclient.activate_session(activation)
    except UaStatusCodeError as exc:
        client.activation_error = type(exc).__name__  # type: ignore[attr-defined]
    else:
        client.activation_error = None  # type: ignore[attr-defined]
    return client


async def _raw_read(client: Client) -> str:
    params = ua.ReadParameters()
    params.NodesToRead = [ua.ReadValueId(NodeId=ua.NodeId(ua.ObjectIds.Server_ServerStatus_State),
                                         AttributeId=ua.AttributeIds.Value)]
    try:
        await client.uaclient.read(params)
    except UaStatusCodeError as exc:
        return type(exc).__name__
    return "Good"


def test_an_unsecured_channel_gets_no_session_even_with_the_right_password(encrypting: Served) -> None:
    async def attempt() -> tuple[str | None, str]:
        client = await _raw_unsecured_session(encrypting.local_url, "olga", USERS["olga"])
        try:
            return client.activation_error, await _raw_read(client)  # type: ignore[attr-defined]
        finally:
            client.disconnect_socket()

    activation, read = asyncio.run(attempt())
    assert activation == "BadUserAccessDenied" and read != "Good"


def test_an_unsecured_channel_cannot_adopt_a_secured_session(encrypting: Served, tmp_path: Path) -> None:
    async def attempt() -> tuple[str | None, str]:
        legit = await _secure_client(encrypting, tmp_path, "olga", USERS["olga"])
        async with legit:
            auth_token = legit.uaclient.protocol.authentication_token  # type: ignore[union-attr]
            client = await _raw_unsecured_session(encrypting.local_url, "olga", USERS["olga"], adopt=auth_token)
            try:
                return client.activation_error, await _raw_read(client)  # type: ignore[attr-defined]
            finally:
                client.disconnect_socket()

    activation, read = asyncio.run(attempt())
    assert activation == "BadUserAccessDenied" and read == "BadUserAccessDenied"


def test_the_server_certificate_is_made_once_per_application_uri_with_the_usages_opc_ua_asks(tmp_path: Path) -> None:
    uri = "urn:dtwin:twin:host:tank:4841"
    cert_path, key_path = ensure_server_certificate(tmp_path, uri, "dtwin twin tank (4841)")
    assert ensure_server_certificate(tmp_path, uri, "dtwin twin tank (4841)") == (cert_path, key_path)
    assert cert_path.read_bytes() == ensure_server_certificate(tmp_path, uri, "x")[0].read_bytes()
    other, _ = ensure_server_certificate(tmp_path, uri.replace("4841", "4842"), "dtwin twin tank (4842)")
    assert other != cert_path and cert_path.parent == tmp_path / "pki"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert = x509.load_der_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [uri]
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and usage.key_encipherment
    assert usage.data_encipherment and usage.key_cert_sign
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca  # keyCertSign needs cA
    assert cert.issuer == cert.subject


def test_a_secured_server_needs_a_data_directory_and_a_known_mode() -> None:
    with pytest.raises(ValueError, match="Sign, SignAndEncrypt"):
        TwinServerSecurity("None", lambda _u, _p: True)
    server = TwinServer("tank", PORTS, port=free_port(), security=TwinServerSecurity("Sign", lambda _u, _p: True))
    with pytest.raises(TwinServerError, match="data directory"):
        server.start()
