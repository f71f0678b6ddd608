"""One connection to one OPC UA endpoint: connect, describe nodes once, and send pre-encoded requests.

The per-tick path bypasses asyncua's Node/service layers and hands the pre-encoded body straight to the
secure channel (``SecureConnection.message_to_binary`` still signs/encrypts it, so every security policy works).
"""

from __future__ import annotations

import asyncio
import inspect
import re
import socket
import struct
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncua import Client, ua
from asyncua.common.utils import Buffer
from asyncua.ua.ua_binary import nodeid_from_binary, nodeid_to_binary, struct_from_binary

from app.engine.hil._codec import SCALAR_FORMATS, request_header, status_name
from app.engine.hil.security import configure_security
from app.engine.io import EndpointSpec

ClientFactory = Callable[[EndpointSpec], "Client | Awaitable[Client]"]

_BAD = 0x80000000
_SERVICE_FAULT = ua.ObjectIds.ServiceFault_Encoding_DefaultBinary
_NSU = re.compile(r"^nsu=(.+?);([isgb]=.*)$", re.DOTALL)
# Fast path of a ResponseHeader: Timestamp, RequestHandle, ServiceResult, empty DiagnosticInfo, StringTable, null ext.
_RESPONSE_HEADER = struct.Struct("<qIIBi3s")
_NO_EXTENSION = b"\x00\x00\x00"

# Service results that mean the session or channel is gone: treat like a lost connection.
CONNECTION_LOST_CODES = frozenset(
    getattr(ua.StatusCodes, name)
    for name in (
        "BadSessionIdInvalid",
        "BadSessionClosed",
        "BadSessionNotActivated",
        "BadSecureChannelIdInvalid",
        "BadSecureChannelClosed",
        "BadSecureChannelTokenUnknown",
        "BadTcpSecureChannelUnknown",
        "BadConnectionClosed",
        "BadServerNotConnected",
        "BadCommunicationError",
        "BadShutdown",
        "BadServerHalted",
    )
)
_CREDENTIAL_CODES = {"BadUserAccessDenied", "BadIdentityTokenInvalid", "BadIdentityTokenRejected"}
_CERTIFICATE_HINTS = ("Certificate", "SecurityChecksFailed", "SecurityPolicyRejected", "NoValidCertificates")


class ConnectionLost(Exception):
    """The endpoint stopped answering or closed the connection."""


@dataclass
class NodeInfo:
    """What the adapter needs to know about one bound node, read once per connection."""

    node_id: ua.NodeId
    vtype: int  # VariantType id of the node's own data type (1..12)
    access: int  # AccessLevel & UserAccessLevel bits (1 = read, 2 = write)


def describe_error(exc: BaseException, timeout: float) -> str:
    """A readable reason for a failed connection attempt: refused, timeout, bad credentials, certificate, ..."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running and the port right?)"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return f"timed out after {timeout:g} s (server not answering)"
    if isinstance(exc, socket.gaierror):
        return f"host not found ({exc.strerror or exc})"
    if isinstance(exc, ua.UaStatusCodeError):
        name = status_name(exc.code)
        if name in _CREDENTIAL_CODES:
            return f"bad credentials: server rejected the user identity ({name})"
        if any(hint in name for hint in _CERTIFICATE_HINTS):
            return f"certificate or security policy rejected ({name})"
        return f"server refused the session ({name})"
    if isinstance(exc, ConnectionLost | ConnectionError):
        return f"connection lost ({exc or 'closed by peer'})"
    if isinstance(exc, OSError):
        return f"network error: {exc.strerror or exc}"
    text = str(exc) or type(exc).__name__
    if "certificate" in text.lower():
        return f"certificate problem: {text}"
    return text


def parse_node_id(text: str, namespaces: Sequence[str]) -> ua.NodeId:
    """Parse ``ns=2;s=X``, ``i=85`` or ``nsu=<uri>;s=X`` against the server's NamespaceArray; ValueError if bad."""
    match = _NSU.match(text)
    if match:
        uri, rest = match.groups()
        try:
            index = list(namespaces).index(uri)
        except ValueError:
            raise ValueError(f"namespace URI {uri!r} is not in the server's NamespaceArray") from None
        text = f"ns={index};{rest}"
    try:
        node_id = ua.NodeId.from_string(text)
    except Exception as exc:
        raise ValueError(f"not a valid node id ({exc})") from None
    if node_id.NamespaceIndex >= len(namespaces):
        raise ValueError(f"namespace index {node_id.NamespaceIndex} does not exist on the server")
    return node_id


async def _build_client(
    spec: EndpointSpec, timeout: float, factory: ClientFactory | None, data_dir: Any, trust_new: bool = False
) -> Client:
    if factory is not None:
        made = factory(spec)
        return await made if inspect.isawaitable(made) else made  # type: ignore[return-value]
    # watchdog_intervall is huge: the adapter runs its own keepalive with a short timeout (see OpcUaIO).
    client = Client(spec.url, timeout=timeout, watchdog_intervall=3600.0)
    client.session_timeout = 30_000  # orphaned sessions after a freeze expire quickly on the PLC
    client.name = client.description = "dtwin HIL client"
    secure = (spec.security_policy or "None") != "None" or (spec.security_mode or "None") != "None"
    if secure and data_dir is None:
        raise RuntimeError(f"security policy {spec.security_policy} needs a data directory for the client certificate")
    # Policy, mode, identity and the client certificate are set up by the security module (one place for it).
    await configure_security(client, spec, Path(data_dir) if data_dir is not None else Path("."), trust_new=trust_new)
    return client


class Link:
    """A connected asyncua client plus the raw request path used every tick."""

    def __init__(self, client: Client, request_timeout: float) -> None:
        self.client = client
        self.request_timeout = request_timeout
        self.namespaces: list[str] = []
        self.max_read = 0
        self.max_write = 0
        # True when max_read/max_write were learned from a BadTooManyOperations answer, not advertised.
        self.learned_read = False
        self.learned_write = False
        # Per-endpoint overrides (EndpointSpec.max_nodes_per_read/_write); 0 when not set.
        self.configured_read = 0
        self.configured_write = 0
        self.calls = 0
        self._token_source: ua.NodeId | None = None
        self._token = b""
        self._timeout_ms = int(request_timeout * 1000)
        self._loop = asyncio.get_running_loop()

    @classmethod
    async def open(
        cls,
        spec: EndpointSpec,
        *,
        connect_timeout: float,
        request_timeout: float,
        factory: ClientFactory | None = None,
        data_dir: Any = None,
        trust_new: bool = False,
    ) -> Link:
        """Connect, then read NamespaceArray and operation limits."""
        client = await _build_client(spec, connect_timeout, factory, data_dir, trust_new)
        try:
            await asyncio.wait_for(client.connect(), connect_timeout * 2)
        except BaseException:
            abandon(client)
            raise
        link = cls(client, request_timeout)
        link.configured_read = spec.max_nodes_per_read or 0
        link.configured_write = spec.max_nodes_per_write or 0
        try:
            await link._read_server_facts()
        except BaseException:
            abandon(client)
            raise
        return link

    async def _read_server_facts(self) -> None:
        ids = (
            ua.ObjectIds.Server_NamespaceArray,
            ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
            ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
        )
        results = await self.read_attributes([(ua.NodeId(i), ua.AttributeIds.Value) for i in ids], chunk=0)
        learned = self.max_read if self.learned_read else 0  # a server that takes fewer than these 3 at once
        namespaces, max_read, max_write = (
            r.Value.Value if r.StatusCode.is_good() and r.Value else None for r in results
        )
        self.namespaces = list(namespaces or [])
        self.max_read = _smallest(int(max_read or 0), self.configured_read, learned)
        self.max_write = _smallest(int(max_write or 0), self.configured_write)

    async def read_attributes(
        self, items: Sequence[tuple[ua.NodeId, int]], chunk: int | None = None
    ) -> list[ua.DataValue]:
        """Read arbitrary attributes through asyncua (connect-time only), split by MaxNodesPerRead.

        A BadTooManyOperations answer (a limit the server enforces but does not advertise) halves the chunk and
        retries; the size that worked becomes ``max_read``, so the per-tick batches are built with it too.
        """
        size = self.max_read if chunk is None else chunk
        out, used = await read_chunked(self.client, items, size)
        if used < len(items) and (not self.max_read or used < self.max_read):
            self.max_read = used
            self.learned_read = True
        self.calls += -(-len(items) // max(used, 1))
        return out

    async def describe(self, node_ids: Sequence[ua.NodeId]) -> list[NodeInfo | str]:
        """DataType, ValueRank and access level of each node: a NodeInfo, or the reason it cannot be bound."""
        attributes = (
            ua.AttributeIds.DataType,
            ua.AttributeIds.ValueRank,
            ua.AttributeIds.AccessLevel,
            ua.AttributeIds.UserAccessLevel,
            ua.AttributeIds.Value,
        )
        items = [(n, a) for n in node_ids for a in attributes]
        results = await self.read_attributes(items)
        out: list[NodeInfo | str] = []
        for k, node_id in enumerate(node_ids):
            dtype, rank, access, user_access, value = results[k * 5 : k * 5 + 5]
            out.append(_node_info(node_id, dtype, rank, access, user_access, value))
        return out

    async def request(self, type_id: bytes, body: bytes, response_id: int) -> tuple[bytes | memoryview, int]:
        """Send a pre-encoded service request; return (buffer, offset of the first field after the header)."""
        proto = self.client.uaclient.protocol
        if proto is None or proto.transport is None:
            raise ConnectionLost("socket closed")
        token = proto.authentication_token
        if token is not self._token_source:
            self._token_source = token
            self._token = nodeid_to_binary(token)
        proto._request_handle += 1
        binary = type_id + request_header(self._token, proto._request_handle, self._timeout_ms) + body
        proto.revolve_security_token()
        request_id = proto._request_id + 1
        message = proto._connection.message_to_binary(
            binary, message_type=ua.MessageType.SecureMessage, request_id=request_id
        )
        proto._request_id = request_id
        future = self._loop.create_future()
        proto._callbackmap[request_id] = future
        proto.transport.write(message)
        self.calls += 1
        try:
            response: Buffer = await asyncio.wait_for(future, self.request_timeout)
        except asyncio.TimeoutError:
            proto._callbackmap.pop(request_id, None)
            raise ConnectionLost(f"no answer within {self.request_timeout:g} s") from None
        except (ConnectionError, OSError) as exc:
            raise ConnectionLost(str(exc) or "connection closed") from None
        return _skip_response_header(response, response_id)


def _smallest(*limits: int) -> int:
    """The smallest positive limit, 0 when none is set."""
    return min((n for n in limits if n > 0), default=0)


def halved(size: int, exc: BaseException) -> int:
    """The next batch size after ``exc`` for a batch of ``size``, or 0 when halving cannot help."""
    if isinstance(exc, ua.UaStatusCodeError) and exc.code == ua.StatusCodes.BadTooManyOperations and size > 1:
        return size // 2
    return 0


async def read_chunked(
    client: Client, items: Sequence[tuple[ua.NodeId, int]], size: int
) -> tuple[list[ua.DataValue], int]:
    """Read ``(node, attribute)`` pairs in Reads of at most ``size`` nodes (0: all at once).

    A Read the server refuses with BadTooManyOperations is retried in halves, down to one node per Read. Returns
    the values and the batch size that last worked (``len(items)`` when no split was needed).
    """
    size = size or len(items) or 1
    out: list[ua.DataValue] = []
    start = 0
    while start < len(items):
        params = ua.ReadParameters()
        params.TimestampsToReturn = ua.TimestampsToReturn.Neither
        for node_id, attribute in items[start : start + size]:
            params.NodesToRead.append(ua.ReadValueId(NodeId=node_id, AttributeId=attribute))
        try:
            values = await client.uaclient.read(params)
        except ua.UaStatusCodeError as exc:
            smaller = halved(min(size, len(items) - start), exc)
            if not smaller:
                raise
            size = smaller
            continue
        out.extend(values)
        start += len(values)
    return out, min(size, len(items))


def _skip_response_header(response: Buffer, response_id: int) -> tuple[bytes | memoryview, int]:
    data = response._data
    pos = response._cur_pos
    # Four-byte NodeId (0x01, ns 0, uint16 id) is what every server sends for response type ids.
    if data[pos] == 1 and data[pos + 1] == 0 and data[pos + 2] | (data[pos + 3] << 8) == response_id:
        stamp, handle, result, diag, strings, ext = _RESPONSE_HEADER.unpack_from(data, pos + 4)
        if diag == 0 and strings <= 0 and ext == _NO_EXTENSION:
            if result & _BAD:
                raise ua.UaStatusCodeError(result)
            return data, pos + 4 + _RESPONSE_HEADER.size
    type_id = nodeid_from_binary(response)
    header = struct_from_binary(ua.ResponseHeader, response)
    if type_id.Identifier == _SERVICE_FAULT or header.ServiceResult.value & _BAD:
        raise ua.UaStatusCodeError(header.ServiceResult.value or ua.StatusCodes.BadUnexpectedError)
    if type_id.Identifier != response_id:
        raise ua.UaError(f"unexpected response type {type_id}")
    return response._data, response._cur_pos


def _node_info(
    node_id: ua.NodeId,
    dtype: ua.DataValue,
    rank: ua.DataValue,
    access: ua.DataValue,
    user_access: ua.DataValue,
    value: ua.DataValue,
) -> NodeInfo | str:
    if not dtype.StatusCode.is_good():
        name = dtype.StatusCode.name
        if name == "BadNodeIdUnknown":
            return "node does not exist (BadNodeIdUnknown)"
        if name == "BadAttributeIdInvalid":
            return "node is not a variable"
        return f"cannot read the node's data type ({name})"
    vtype = 0
    type_node = dtype.Value.Value if dtype.Value else None
    if isinstance(type_node, ua.NodeId) and type_node.NamespaceIndex == 0 and type_node.Identifier in SCALAR_FORMATS:
        vtype = int(type_node.Identifier)
    elif value.StatusCode.is_good() and value.Value is not None and value.Value.VariantType.value in SCALAR_FORMATS:
        # An abstract or derived data type (Number, Duration, an enum...): the value's own type decides.
        vtype = value.Value.VariantType.value
    if not vtype:
        return f"data type {type_node} is not supported (Boolean, integer, Float, Double or String only)"
    value_rank = rank.Value.Value if rank.StatusCode.is_good() and rank.Value else -1
    if value_rank is not None and value_rank >= 0:
        return f"node is an array (ValueRank {value_rank}); only scalars can be bound"
    if value.StatusCode.is_good() and value.Value is not None and value.Value.is_array:
        return "node holds an array; only scalars can be bound"
    bits = int(access.Value.Value) if access.StatusCode.is_good() and access.Value else 0
    if user_access.StatusCode.is_good() and user_access.Value and user_access.Value.Value is not None:
        bits &= int(user_access.Value.Value)
    return NodeInfo(node_id, vtype, bits)


def abandon(client: Client) -> None:
    """Drop a client without talking to the server (it may be frozen or gone)."""
    client.uaclient.request_disconnect()
    for name in ("_supervisor_task", "_stale_watchdog_task", "_renew_channel_task"):
        task = getattr(client, name, None)
        if task is not None and not task.done():
            task.cancel()
    try:
        client.disconnect_socket()
    except Exception:
        pass


async def close_gracefully(client: Client, timeout: float) -> None:
    """CloseSession and the channel if the server answers in time, then drop the socket regardless."""
    try:
        await asyncio.wait_for(client.disconnect(), timeout)
    except Exception:
        pass
    finally:
        abandon(client)
