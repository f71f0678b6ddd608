"""The running twin served as an OPC UA server.

Every component port becomes a variable ``Objects/<model>/<component>/<port>`` with the string node id
``<component>.<port>`` in the namespace ``TWIN_NAMESPACE_URI`` ("urn:dtwin:twin"), typed Boolean / Int32 / Double.
Input ports are writable and a client write is handed to ``on_input_write(component, port, value)`` (the simulator
turns it into a force); outputs are read-only and writes to them answer BadNotWritable.

Threading: the asyncua server runs in its own thread and event loop. ``update(values)`` is called by the engine
thread once per tick and only stores a reference to the snapshot (no lock, no syscall, so the tick never waits on
the server thread). The server loop picks up the newest snapshot every ``publish_interval`` (5 ms by default), so
snapshots arriving faster are coalesced, and writes only the values that changed: through the address space's
internal ``write_attribute_value`` for subscribed nodes (which notifies the monitored items), and by setting the
stored DataValue directly, as that method does, for unsubscribed ones. ``on_input_write`` runs on the server thread
and must be quick and thread-safe.

Quality: the ports named in ``quality_ports`` (those a PLC feeds) carry a status code. Their qualities follow the
port values in the snapshot (``update(values + qualities)``, ``app.engine.io`` GOOD/STALE/BAD): Good,
UncertainLastUsableValue for a held value (the PLC is unreachable or the read failed) and BadNoCommunication when the
PLC answered a Bad status. A status change is published like a value change.

asyncua quirk guarded here: asyncua's server answers a Republish for a sequence number it no longer holds with an
empty NotificationMessage instead of BadMessageNotAvailable (``SubscriptionService.republish`` /
``InternalSubscription.republish``), and an asyncua 2.1 client restoring a transferred subscription after a frozen or
dropped connection loops on Republish until it sees that status. ``TwinServer`` answers it properly.

Reach: an unsecured server may only listen on a loopback address (127.0.0.0/8, ::1, localhost): anyone who reaches
the port could force the twin's inputs, so ``TwinServer`` refuses any other host with ``TwinServerError`` unless
``security`` is given. Each served model has its own application URI (``urn:dtwin:twin:<machine>:<model>:<port>``)
and application name, not asyncua's defaults, so clients and certificate stores can tell twins apart.

Security: without ``security`` the twin serves SecurityPolicy None with anonymous sessions only. asyncua offers
user-name and certificate logins by default and warns at every start that, without a signing/encrypting policy, a
certificate cannot be verified and a password would travel in plain text; neither applies once those logins are not
offered. With ``TwinServerSecurity(mode, authenticate)`` it serves Basic256Sha256 in that one mode (``Sign`` or
``SignAndEncrypt``) and nothing else: no None endpoint, user-name logins only (no anonymous session at all), each
checked by ``authenticate(username, password)`` at session activation on the server thread (asyncua calls it
synchronously, so it blocks the server loop while it runs: keep it short; the engine's tick never waits on it). A
refused login answers BadUserAccessDenied, an anonymous one BadIdentityTokenRejected. The server's application
instance certificate is made on first use by ``security.ensure_server_certificate`` under ``<data_dir>/pki`` (one per
application URI, key file 0600) and sent to clients in GetEndpoints; client certificates are not checked against a
trust list (the account decides who may write; the certificates secure the channel).

asyncua quirk guarded here: asyncua's server accepts a SecurityPolicy None channel even when it offers no None
endpoint (clients need one for GetEndpoints), and requests on such a channel skip its permission checks, so a client
could create and activate a session over it, or adopt another session by its authentication token, and then read
and write unsigned. With security on, ``TwinServer`` gives that channel a rule set that allows discovery only, and
its account check refuses an activation whose channel carries no client certificate (an unsecured one). A port
that cannot be bound is reported as ``TwinServerError``; asyncua's own traceback for it is not logged.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import quote

from asyncua import Server, ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import security_policies
from asyncua.crypto.permission_rules import PermissionRuleset, User, UserRole

from app.engine.hil.security import ensure_server_certificate

__all__ = [
    "SERVER_SECURITY_MODES",
    "TWIN_NAMESPACE_URI",
    "Authenticate",
    "PortDescriptor",
    "TwinServer",
    "TwinServerError",
    "TwinServerSecurity",
    "is_loopback",
]

_logger = logging.getLogger(__name__)


def _not_start_failure(record: logging.LogRecord) -> bool:
    """Drop asyncua's traceback for a server that cannot start: ``TwinServer.start`` raises a clear error."""
    return not str(record.msg).endswith("error starting server")


logging.getLogger("asyncua.server.server").addFilter(_not_start_failure)

TWIN_NAMESPACE_URI = "urn:dtwin:twin"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost`` (so only this machine can connect)."""
    if host.strip("[]").lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

_VARIANT_TYPES = {"bool": ua.VariantType.Boolean, "int": ua.VariantType.Int32, "float": ua.VariantType.Double}
_DATA_TYPES = {
    "bool": ua.NodeId(ua.ObjectIds.Boolean),
    "int": ua.NodeId(ua.ObjectIds.Int32),
    "float": ua.NodeId(ua.ObjectIds.Double),
}
_DEFAULTS = {"bool": False, "int": 0, "float": 0.0}
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_GOOD = ua.StatusCode(ua.StatusCodes.Good)
# By quality (app.engine.io GOOD, STALE, BAD): what a client sees for a port fed by a PLC read.
QUALITY_STATUS = (
    _GOOD,
    ua.StatusCode(ua.StatusCodes.UncertainLastUsableValue),
    ua.StatusCode(ua.StatusCodes.BadNoCommunication),
)
_READ = ua.AccessLevel.CurrentRead.mask
_READ_WRITE = ua.AccessLevel.CurrentRead.mask | ua.AccessLevel.CurrentWrite.mask

InputWriteCallback = Callable[[str, str, Any], None]
Authenticate = Callable[[str, str], bool]

SERVER_SECURITY_MODES: dict[str, ua.SecurityPolicyType] = {
    "Sign": ua.SecurityPolicyType.Basic256Sha256_Sign,
    "SignAndEncrypt": ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
}


class TwinServerError(RuntimeError):
    """The twin's OPC UA server could not start (e.g. the port is taken)."""


@dataclass(frozen=True)
class PortDescriptor:
    """One component port to serve."""

    component: str
    port: str
    direction: str  # input | output
    data_type: str  # bool | int | float
    initial: Any = None
    description: str | None = None


def _coerce(data_type: str, value: Any) -> Any:
    if data_type == "float":
        return float(value)
    if data_type == "int":
        return min(max(int(value), _INT32_MIN), _INT32_MAX)
    return bool(value)


def _object_item(node_id: ua.NodeId, name: str, ns: int, parent: ua.NodeId, reference: int) -> ua.AddNodesItem:
    attrs = ua.ObjectAttributes()
    attrs.DisplayName = ua.LocalizedText(name)
    item = ua.AddNodesItem()
    item.RequestedNewNodeId = node_id
    item.BrowseName = ua.QualifiedName(name, ns)
    item.NodeClass = ua.NodeClass.Object
    item.ParentNodeId = parent
    item.ReferenceTypeId = ua.NodeId(reference)
    item.TypeDefinition = ua.NodeId(ua.ObjectIds.BaseObjectType)
    item.NodeAttributes = attrs
    return item


@dataclass(frozen=True)
class TwinServerSecurity:
    """Serve Basic256Sha256 in ``mode`` (``Sign`` or ``SignAndEncrypt``), logins checked by ``authenticate``."""

    mode: str
    authenticate: Authenticate

    def __post_init__(self) -> None:
        if self.mode not in SERVER_SECURITY_MODES:
            raise ValueError(f"security mode must be one of {', '.join(SERVER_SECURITY_MODES)}, not {self.mode!r}")


class _AlwaysUser:
    """Every session is a plain user: nobody gets the admin role that bypasses access levels."""

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None):
        return User(role=UserRole.User, name=username)


class _Accounts:
    """User-name logins over a secured channel, checked by the caller's ``authenticate``; never the admin role."""

    def __init__(self, authenticate: Authenticate, counters: dict[str, int]) -> None:
        self.authenticate = authenticate
        self.counters = counters

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None):
        # asyncua passes the channel's client certificate (DER): a secured channel always has one, an unsecured one
        # has none (b"").
        ok = False
        if username and certificate:
            try:
                ok = bool(self.authenticate(username, password or ""))
            except Exception:
                _logger.exception("twin OPC UA server: checking the login of %r failed", username)
        self.counters["logins" if ok else "refused_logins"] += 1
        return User(role=UserRole.User, name=username) if ok else None


class _DiscoveryOnly(PermissionRuleset):
    """The rule set of an unsecured channel to a secured server: no service beyond discovery and closing it."""

    _allowed = frozenset({ua.NodeId(ua.ObjectIds.CloseSecureChannelRequest_Encoding_DefaultBinary)})

    def check_validity(self, user: Any, action_type_id: ua.NodeId, body: Any) -> bool:
        return action_type_id in self._allowed


class TwinServer:
    """An asyncua server in its own thread exposing a twin's ports; see the module docstring."""

    def __init__(
        self,
        model_name: str,
        ports: Sequence[PortDescriptor],
        port: int = 4840,
        on_input_write: InputWriteCallback | None = None,
        namespace_uri: str = TWIN_NAMESPACE_URI,
        host: str = "127.0.0.1",
        publish_interval: float = 0.005,
        security: TwinServerSecurity | None = None,
        data_dir: Path | str | None = None,
        quality_ports: Sequence[str] = (),
    ) -> None:
        for d in ports:
            if d.direction not in ("input", "output"):
                raise ValueError(f"{d.component}.{d.port}: direction must be input or output, not {d.direction!r}")
            if d.data_type not in _VARIANT_TYPES:
                raise ValueError(f"{d.component}.{d.port}: data_type must be bool, int or float, not {d.data_type!r}")
        self.model_name = model_name
        self.ports: tuple[PortDescriptor, ...] = tuple(ports)
        self.port = port
        self.host = host
        self.namespace_uri = namespace_uri
        self.on_input_write = on_input_write
        self.publish_interval = publish_interval
        self.security = security
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.url = f"opc.tcp://{host}:{port}"
        machine, model = quote(socket.gethostname(), safe=""), quote(model_name, safe="")
        self.application_uri = f"urn:dtwin:twin:{machine}:{model}:{port}"
        self.application_name = f"dtwin twin {model_name} ({port})"
        self.namespace_index: int | None = None
        self._vtypes = [_VARIANT_TYPES[d.data_type] for d in self.ports]
        self._kinds = [d.data_type for d in self.ports]
        self._node_ids: list[ua.NodeId] = []
        self._index_by_node: dict[ua.NodeId, int] = {}
        self._attribute_values: list[Any] = []
        self._last: list[Any] = [None] * len(self.ports)
        index_of = {f"{d.component}.{d.port}": i for i, d in enumerate(self.ports)}
        unknown = [name for name in quality_ports if name not in index_of]
        if unknown:
            raise ValueError(f"quality_ports not served: {', '.join(unknown)}")
        self._quality_index = [index_of[name] for name in quality_ports]
        self._last_status: list[ua.StatusCode] = [_GOOD] * len(self.ports)
        self._pending: Sequence[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._stop_event: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._counters = {
            "updates": 0,
            "flushes": 0,
            "values_written": 0,
            "client_writes": 0,
            "rejected_writes": 0,
            "republish_requests": 0,
            "logins": 0,
            "refused_logins": 0,
        }

    # ---- engine-thread API -------------------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Start serving; returns once the endpoint accepts connections, raises ``TwinServerError`` otherwise."""
        if self._thread is not None:
            raise TwinServerError("twin OPC UA server already started")
        if self.security is None and not is_loopback(self.host):
            raise TwinServerError(
                f"the twin OPC UA server serves without security, so it listens on a loopback address only "
                f"(127.0.0.1, ::1, localhost), not {self.host!r}: anyone reaching the port could force the twin's "
                "inputs; serve it with security (Sign or SignAndEncrypt and user accounts) to listen beyond loopback"
            )
        if self.security is not None and self.data_dir is None:
            raise TwinServerError("a secured twin OPC UA server needs a data directory for its certificate")
        self._thread = threading.Thread(target=self._run, name=f"twin-opcua-{self.port}", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            self.stop()
            raise TwinServerError(f"twin OPC UA server on {self.url} did not start within {timeout:.0f} s")
        if self._start_error is not None:
            self._thread.join(5)
            raise TwinServerError(f"twin OPC UA server on {self.url} failed to start: {self._start_error}")

    def update(self, values: Sequence[Any]) -> None:
        """Hand one tick's values (one per port, in ``ports`` order, then one quality per ``quality_ports`` entry
        if the snapshot has them) to the server; never blocks.

        Only a reference is stored (no copy, no lock, no syscall, so the GIL is not given up here): the caller must
        pass a fresh sequence each tick rather than mutating the previous one.
        """
        if self._loop is None:
            return
        self._pending = values
        self._counters["updates"] += 1

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the server thread; safe to call twice."""
        loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None:
            try:
                loop.call_soon_threadsafe(stop_event.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)

    def stats(self) -> dict[str, Any]:
        """Counters: updates handed over, flushes run, values written, client writes accepted/rejected, Republish,
        logins accepted/refused; and the security served (``None``, ``Sign`` or ``SignAndEncrypt``)."""
        return {
            "url": self.url,
            "namespace_uri": self.namespace_uri,
            "ports": len(self.ports),
            "security_mode": self.security.mode if self.security is not None else "None",
            **self._counters,
        }

    def __enter__(self) -> "TwinServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- server thread -----------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._start_error = exc
        finally:
            self._loop = None
            self._started.set()

    async def _main(self) -> None:
        security = self.security
        if security is None:
            server = Server(user_manager=_AlwaysUser())
        else:
            server = Server(user_manager=_Accounts(security.authenticate, self._counters))
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name(self.application_name)
        server.product_uri = "urn:dtwin:twin"
        await server.set_application_uri(self.application_uri)
        if security is None:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
            server.set_identity_tokens([ua.AnonymousIdentityToken])  # no logins over an unsigned channel
        else:
            await self._secure(server, security)
        server.iserver.allow_remote_admin = False
        self.namespace_index = await server.register_namespace(self.namespace_uri)
        await self._build(server)
        self._guard_republish(server)
        self._route_client_writes(server)
        self._server = server
        self._stop_event = asyncio.Event()
        async with server:
            publisher = asyncio.create_task(self._publish_loop())
            self._loop = asyncio.get_running_loop()
            self._started.set()
            await self._stop_event.wait()
            self._loop = None
            publisher.cancel()

    async def _secure(self, server: Server, security: TwinServerSecurity) -> None:
        """Basic256Sha256 in one mode, user-name logins only, and discovery only on an unsecured channel."""
        assert self.data_dir is not None
        cert_path, key_path = ensure_server_certificate(self.data_dir, self.application_uri, self.application_name)
        await server.load_certificate(str(cert_path))
        await server.load_private_key(str(key_path))
        server.set_security_policy([SERVER_SECURITY_MODES[security.mode]])
        server.set_identity_tokens([ua.UserNameIdentityToken])
        # asyncua keeps a None channel open to every client (see the module docstring); a None policy factory of
        # our own, put among the server's policies before start adds the offered ones, is matched first and gives
        # that channel a discovery-only rule set, without advertising a None endpoint.
        server._policies.append(  # noqa: SLF001 - asyncua is pinned (2.1.0); tested by test_server_security.py
            security_policies.SecurityPolicyFactory(
                security_policies.SecurityPolicyNone, ua.MessageSecurityMode.None_, permission_ruleset=_DiscoveryOnly()
            )
        )

    async def _build(self, server: Server) -> None:
        ns = self.namespace_index
        assert ns is not None
        model_id = ua.NodeId(f"model:{self.model_name}", ns)
        objects: list[ua.AddNodesItem] = [
            _object_item(model_id, self.model_name, ns, ua.NodeId(ua.ObjectIds.ObjectsFolder), ua.ObjectIds.Organizes)
        ]
        variables: list[ua.AddNodesItem] = []
        components: set[str] = set()
        for index, d in enumerate(self.ports):
            parent_id = ua.NodeId(d.component, ns)
            if d.component not in components:
                components.add(d.component)
                objects.append(_object_item(parent_id, d.component, ns, model_id, ua.ObjectIds.HasComponent))
            node_id = ua.NodeId(f"{d.component}.{d.port}", ns)
            initial = _coerce(d.data_type, _DEFAULTS[d.data_type] if d.initial is None else d.initial)
            attrs = ua.VariableAttributes()
            attrs.DisplayName = ua.LocalizedText(d.port)
            if d.description:
                attrs.Description = ua.LocalizedText(d.description)
            attrs.Value = ua.Variant(initial, self._vtypes[index])
            attrs.DataType = _DATA_TYPES[d.data_type]
            attrs.ValueRank = ua.ValueRank.Scalar
            access = _READ_WRITE if d.direction == "input" else _READ
            attrs.AccessLevel = access
            attrs.UserAccessLevel = access
            item = ua.AddNodesItem()
            item.RequestedNewNodeId = node_id
            item.BrowseName = ua.QualifiedName(d.port, ns)
            item.NodeClass = ua.NodeClass.Variable
            item.ParentNodeId = parent_id
            item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasComponent)
            item.TypeDefinition = ua.NodeId(ua.ObjectIds.BaseDataVariableType)
            item.NodeAttributes = attrs
            variables.append(item)
            self._node_ids.append(node_id)
            self._index_by_node[node_id] = index
            self._last[index] = initial
        # Two batched AddNodes calls (objects first, so parents exist) instead of one call per node.
        for batch in (objects, variables):
            for item, result in zip(batch, await server.iserver.isession.add_nodes(batch)):
                if not result.StatusCode.is_good():
                    raise TwinServerError(f"cannot create node {item.RequestedNewNodeId}: {result.StatusCode.name}")
        aspace = server.iserver.aspace
        self._attribute_values = [aspace[node_id].attributes[ua.AttributeIds.Value] for node_id in self._node_ids]

    async def _publish_loop(self) -> None:
        """Write the newest pending snapshot every ``publish_interval`` (older ones are simply overwritten)."""
        interval = self.publish_interval
        while True:
            await asyncio.sleep(interval)
            if self._pending is not None:
                try:
                    await self._flush()
                except Exception:
                    _logger.exception("twin OPC UA server: publishing values failed")

    async def _flush(self) -> None:
        values, self._pending = self._pending, None  # an update landing after this is taken next time
        server = self._server
        if values is None or server is None:
            return
        self._counters["flushes"] += 1
        aspace = server.iserver.aspace
        last, kinds, vtypes, node_ids, attvals = (
            self._last,
            self._kinds,
            self._vtypes,
            self._node_ids,
            self._attribute_values,
        )
        stamp: datetime | None = None
        written = 0
        n = len(last)
        statuses = self._last_status
        quality: dict[int, ua.StatusCode] = {}
        if len(values) > n:  # the qualities of the PLC-fed ports follow the values
            quality = {i: QUALITY_STATUS[q] for i, q in zip(self._quality_index, values[n:])}
        for index in range(n):
            value = values[index]
            if value is None:
                continue
            value = _coerce(kinds[index], value)
            status = quality.get(index, _GOOD) if quality else _GOOD
            if value == last[index] and type(value) is type(last[index]) and status is statuses[index]:
                continue
            if stamp is None:
                stamp = datetime.now(timezone.utc)
            last[index] = value
            statuses[index] = status
            # Positional construction with is_array given skips asyncua's type guessing; statuses are immutable.
            dv = ua.DataValue(ua.Variant(value, vtypes[index], None, False), status, stamp, stamp)
            attval = attvals[index]
            if attval.datachange_callbacks or attval.value_setter is not None:
                # Subscribed: the address space's own write path notifies the monitored items.
                await aspace.write_attribute_value(node_ids[index], ua.AttributeIds.Value, dv)
            else:
                # What write_attribute_value does for an unsubscribed node whose type we already guarantee.
                attval.value = dv
                attval.value_callback = None
            written += 1
        self._counters["values_written"] += written

    def _route_client_writes(self, server: Server) -> None:
        """Reject writes to outputs (and non-Value attributes) of our nodes; report accepted input writes."""
        service = server.iserver.attribute_service
        original_write = service.write
        index_by_node, ports, ns = self._index_by_node, self.ports, self.namespace_index

        async def write(params: ua.WriteParameters, user: User = User(role=UserRole.Admin)) -> list[ua.StatusCode]:
            if user.role == UserRole.Admin and not any(w.NodeId.NamespaceIndex == ns for w in params.NodesToWrite):
                return await original_write(params, user)  # the server's own bookkeeping
            results: list[ua.StatusCode] = []
            accepted: list[tuple[int, Any]] = []
            for item in params.NodesToWrite:
                index = index_by_node.get(item.NodeId)
                if item.NodeId.NamespaceIndex == ns and (
                    index is None or ports[index].direction != "input" or item.AttributeId != ua.AttributeIds.Value
                ):
                    self._counters["rejected_writes"] += 1
                    results.append(ua.StatusCode(ua.StatusCodes.BadNotWritable))
                    continue
                sub = ua.WriteParameters(NodesToWrite=[item])
                (status,) = await original_write(sub, user)
                results.append(status)
                if index is not None and status.is_good():
                    value = item.Value.Value.Value if item.Value and item.Value.Value else None
                    accepted.append((index, value))
            for index, value in accepted:
                self._counters["client_writes"] += 1
                self._last[index] = value
                if self.on_input_write is not None:
                    d = ports[index]
                    try:
                        self.on_input_write(d.component, d.port, value)
                    except Exception:
                        _logger.exception("on_input_write failed for %s.%s", d.component, d.port)
            return results

        service.write = write  # type: ignore[method-assign]

    def _guard_republish(self, server: Server) -> None:
        """Answer Republish for a message we do not hold with BadMessageNotAvailable (see module docstring)."""
        service = server.iserver.subscription_service
        original = service.republish

        def republish(params: ua.RepublishParameters) -> ua.NotificationMessage:
            self._counters["republish_requests"] += 1
            if params.SubscriptionId not in service.subscriptions:
                raise ServiceError(ua.StatusCodes.BadSubscriptionIdInvalid)
            message = original(params)
            if message.SequenceNumber != params.RetransmitSequenceNumber:
                raise ServiceError(ua.StatusCodes.BadMessageNotAvailable)
            return message

        service.republish = republish  # type: ignore[method-assign]
