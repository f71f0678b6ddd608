"""A secured asyncua server in a background thread: Basic256Sha256 (Sign, SignAndEncrypt), None, and a user list.

Used by the security and probe tests. Its own loop runs in a daemon thread, so synchronous code under test (which
calls ``asyncio.run``) can talk to it from the test thread. Namespace ``urn:dtwin:secure-peer`` holds a small folder
``Objects/Plant`` with typed variables (see ``_build``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

from asyncua import Server, ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from cryptography.x509.oid import ExtendedKeyUsageOID

NAMESPACE = "urn:dtwin:secure-peer"
SERVER_URI = "urn:dtwin:secure-peer:server"
ALL_POLICIES = [
    ua.SecurityPolicyType.NoSecurity,
    ua.SecurityPolicyType.Basic256Sha256_Sign,
    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Users:
    """Username/password check; anonymous allowed unless ``anonymous`` is False."""

    def __init__(self, users: dict[str, str], anonymous: bool) -> None:
        self.users = users
        self.anonymous = anonymous
        self.seen: list[str | None] = []

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None):
        self.seen.append(username)
        if username is None:
            return User(role=UserRole.User) if self.anonymous else None
        if self.users.get(username) == password:
            return User(role=UserRole.User, name=username)
        return None


class SecurePeer:
    """Start with ``with SecurePeer(tmp_path) as peer:``; ``peer.url`` is the endpoint."""

    def __init__(
        self,
        pki_dir: Path,
        policies: list[ua.SecurityPolicyType] | None = None,
        users: dict[str, str] | None = None,
        anonymous: bool = True,
        reject_client_certificates: bool = False,
    ) -> None:
        self.pki_dir = Path(pki_dir)
        self.policies = policies or ALL_POLICIES
        self.user_manager = _Users(users or {}, anonymous)
        self.reject_client_certificates = reject_client_certificates
        self.port = free_port()
        self.url = f"opc.tcp://127.0.0.1:{self.port}"
        self.client_certificates: list[Any] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="secure-peer", daemon=True)

    def __enter__(self) -> "SecurePeer":
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("secure asyncua peer did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"secure asyncua peer failed to start: {self._error!r}") from self._error
        return self

    @property
    def certificate(self) -> bytes:
        """The server's certificate (DER), as it sends it to clients."""
        return (self.pki_dir / "server_cert.der").read_bytes()

    def trust_in(self, data_dir: Path) -> Path:
        """Put the server's certificate in the twin's trust list under ``data_dir`` (``pki/trusted/certs``)."""
        target = Path(data_dir) / "pki" / "trusted" / "certs" / f"secure-peer-{self.port}.der"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.certificate)
        return target

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        key, cert = self.pki_dir / "server_key.pem", self.pki_dir / "server_cert.der"
        self.pki_dir.mkdir(parents=True, exist_ok=True)
        await cert_gen.setup_self_signed_certificate(
            key, cert, SERVER_URI, socket.gethostname(), [ExtendedKeyUsageOID.SERVER_AUTH], {}
        )
        server = Server(user_manager=self.user_manager)
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name("dtwin secure peer")
        await server.set_application_uri(SERVER_URI)
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))
        server.set_security_policy(self.policies)
        server.set_identity_tokens([ua.AnonymousIdentityToken, ua.UserNameIdentityToken])
        server.set_certificate_validator(self._validate)
        await self._build(server)
        async with server:
            self._ready.set()
            await self._stop.wait()

    async def _validate(self, certificate: Any, app_description: ua.ApplicationDescription) -> None:
        self.client_certificates.append(certificate)
        if self.reject_client_certificates:
            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)

    async def _build(self, server: Server) -> None:
        ns = await server.register_namespace(NAMESPACE)
        plant = await server.nodes.objects.add_folder(ua.NodeId("Plant", ns), ua.QualifiedName("Plant", ns))
        await plant.add_variable(
            ua.NodeId("Plant.Level", ns), ua.QualifiedName("Level", ns), ua.Variant(1.5, ua.VariantType.Double)
        )
        command = await plant.add_variable(
            ua.NodeId("Plant.Command", ns), ua.QualifiedName("Command", ns), ua.Variant(0, ua.VariantType.Int32)
        )
        await command.set_writable()
        await plant.add_variable(
            ua.NodeId("Plant.Running", ns), ua.QualifiedName("Running", ns), ua.Variant(True, ua.VariantType.Boolean)
        )
