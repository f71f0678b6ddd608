"""Commissioning helpers: test an endpoint (who is there, how secure, what limits) and browse its address space.

Both are synchronous (each runs its own event loop) so a service can call them from a worker thread. Failures are
classified into a short ``reason`` a user can act on:

``refused``            nothing listens on that host/port
``timeout``            the host did not answer in time (firewall, frozen server, wrong port)
``host_not_found``     the host name does not resolve
``certificate``        the server rejected our certificate (trust it on the server) or its own is unusable
``bad_credentials``    user name / password (or anonymous login) rejected
``security_mismatch``  the server offers no endpoint with the requested security policy and mode
``invalid_config``     the endpoint's settings are not a usable combination
``unknown_node``       (browse) the node to browse does not exist, or its namespace URI is not on the server
``error``              anything else; ``message`` has the details
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any, Iterable

from asyncua import Client, ua

from app.engine._exceptions import PortIOError
from app.engine.hil._session import read_chunked
from app.engine.hil.security import SecurityConfigError, UntrustedCertificateError, configure_security
from app.engine.io import EndpointSpec

__all__ = ["EndpointError", "browse", "classify_error", "format_node_id", "parse_node_id", "test_endpoint"]

_CREDENTIAL_CODES = {
    ua.StatusCodes.BadUserAccessDenied,
    ua.StatusCodes.BadIdentityTokenInvalid,
    ua.StatusCodes.BadIdentityTokenRejected,
    ua.StatusCodes.BadUserSignatureInvalid,
}
_CERTIFICATE_CODES = {
    ua.StatusCodes.BadCertificateInvalid,
    ua.StatusCodes.BadCertificateUntrusted,
    ua.StatusCodes.BadCertificateTimeInvalid,
    ua.StatusCodes.BadCertificateIssuerTimeInvalid,
    ua.StatusCodes.BadCertificateHostNameInvalid,
    ua.StatusCodes.BadCertificateUriInvalid,
    ua.StatusCodes.BadCertificateUseNotAllowed,
    ua.StatusCodes.BadCertificateIssuerUseNotAllowed,
    ua.StatusCodes.BadCertificateRevoked,
    ua.StatusCodes.BadCertificateIssuerRevoked,
    ua.StatusCodes.BadCertificateRevocationUnknown,
    ua.StatusCodes.BadCertificateChainIncomplete,
    ua.StatusCodes.BadSecurityChecksFailed,
    ua.StatusCodes.BadNoValidCertificates,
}
_LIMITS = {
    "max_nodes_per_read": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    "max_nodes_per_write": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
    "max_nodes_per_browse": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
}
_BUILD_INFO = {
    "product_name": ua.ObjectIds.Server_ServerStatus_BuildInfo_ProductName,
    "product_uri": ua.ObjectIds.Server_ServerStatus_BuildInfo_ProductUri,
    "manufacturer_name": ua.ObjectIds.Server_ServerStatus_BuildInfo_ManufacturerName,
    "software_version": ua.ObjectIds.Server_ServerStatus_BuildInfo_SoftwareVersion,
    "build_number": ua.ObjectIds.Server_ServerStatus_BuildInfo_BuildNumber,
}
# Read for every browsed variable, in this order (UserAccessLevel: what this session may do).
_VARIABLE_ATTRIBUTES = (
    ua.AttributeIds.DataType,
    ua.AttributeIds.UserAccessLevel,
    ua.AttributeIds.ValueRank,
    ua.AttributeIds.ArrayDimensions,
    ua.AttributeIds.Description,
)
_BROWSE_CLASSES = ua.NodeClass.Object | ua.NodeClass.Variable | ua.NodeClass.Method | ua.NodeClass.View


class EndpointError(PortIOError):
    """An endpoint could not be reached or used; ``reason`` is one of the module's reason codes."""

    code = "endpoint_error"

    def __init__(self, endpoint: str, reason: str, message: str) -> None:
        super().__init__(f"{endpoint}: {message}" if endpoint else message,
                         [{"endpoint": endpoint, "reason": reason, "message": message}])
        self.endpoint = endpoint
        self.reason = reason
        self.detail = message  # without the endpoint name, for re-raising under another name


def classify_error(exc: BaseException, spec: EndpointSpec, timeout: float) -> tuple[str, str]:
    """``(reason, message)`` for an exception raised while connecting to ``spec``; never includes the password."""
    where = spec.url
    if isinstance(exc, EndpointError):
        return exc.reason, exc.detail
    if isinstance(exc, SecurityConfigError):
        return "invalid_config", str(exc)
    if isinstance(exc, UntrustedCertificateError):
        return "certificate", str(exc)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timeout", f"no answer from {where} within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "refused", f"connection refused by {where}: is the server running and the port right?"
    if isinstance(exc, socket.gaierror):
        return "host_not_found", f"cannot resolve the host of {where}: {exc.strerror or exc}"
    if isinstance(exc, ua.UaStatusCodeError):
        name = ua.StatusCode(exc.code).name
        if exc.code in _CREDENTIAL_CODES:
            who = f"user {spec.username!r}" if spec.username else "anonymous login"
            return "bad_credentials", f"{where} rejected {who} ({name})"
        if exc.code in _CERTIFICATE_CODES:
            return "certificate", f"{where} rejected the security handshake ({name}); trust the client certificate"
        if exc.code == ua.StatusCodes.BadSecurityPolicyRejected:
            return "security_mismatch", f"{where} rejected security policy {spec.security_policy} ({name})"
        return "error", f"{where} answered {name}"
    if isinstance(exc, ua.UaError) and "No matching endpoints" in str(exc):
        return (
            "security_mismatch",
            f"{where} offers no endpoint with policy {spec.security_policy} and mode {spec.security_mode}",
        )
    if isinstance(exc, (ConnectionError, OSError)):
        return "refused" if isinstance(exc, ConnectionResetError) else "unreachable", f"{where}: {exc}"
    return "error", f"{where}: {type(exc).__name__}: {exc}"


def parse_node_id(text: str, namespaces: list[str]) -> ua.NodeId:
    """Parse ``ns=2;s=X``, ``nsu=urn:...;s=X`` or ``i=85``; ``nsu`` is resolved against the namespace array."""
    parsed = ua.NodeId.from_string(text.strip())
    uri = getattr(parsed, "NamespaceUri", None)
    if uri:
        if uri not in namespaces:
            raise KeyError(f"namespace {uri!r} is not on the server")
        return ua.NodeId(parsed.Identifier, namespaces.index(uri), parsed.NodeIdType)
    return ua.NodeId(parsed.Identifier, parsed.NamespaceIndex, parsed.NodeIdType)


def format_node_id(node_id: ua.NodeId, namespaces: list[str]) -> str:
    """``nsu=<uri>;s=...`` for namespaces above 0 (stable across server restarts), ``i=85`` style for namespace 0."""
    text = node_id.to_string()
    index = node_id.NamespaceIndex
    if index == 0 or index >= len(namespaces):
        return text
    prefix = f"ns={index};"
    identifier = text[len(prefix) :] if text.startswith(prefix) else text
    return f"nsu={namespaces[index]};{identifier}"


async def _connect(
    spec: EndpointSpec, data_dir: Path, timeout: float, trust_new: bool = False
) -> tuple[Client, str, str]:
    client = Client(spec.url, timeout=timeout)
    client.session_timeout = 60_000
    policy, mode = await asyncio.wait_for(configure_security(client, spec, data_dir, trust_new=trust_new), timeout)
    await asyncio.wait_for(client.connect(), timeout)
    return client, policy, mode


async def _read(
    client: Client, node_ids: Iterable[ua.NodeId], attribute: ua.AttributeIds, max_nodes: int = 0
) -> list[ua.DataValue]:
    """One attribute of each node, in Reads of at most ``max_nodes`` (halved on BadTooManyOperations)."""
    values, _ = await _read_items(client, [(n, attribute) for n in node_ids], max_nodes)
    return values


async def _read_items(
    client: Client, items: list[tuple[ua.NodeId, int]], max_nodes: int
) -> tuple[list[ua.DataValue], int]:
    if not items:
        return [], max_nodes
    values, used = await read_chunked(client, items, max_nodes)
    return values, (used if used < len(items) or not max_nodes else max_nodes)


def _good_value(dv: ua.DataValue) -> Any:
    if dv.StatusCode is not None and not dv.StatusCode.is_good():
        return None
    return dv.Value.Value if dv.Value is not None else None


async def _describe(spec: EndpointSpec, data_dir: Path, timeout: float, trust_new: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    client, policy, mode = await _connect(spec, data_dir, timeout, trust_new)
    try:
        connected_ms = (time.perf_counter() - started) * 1000
        ids = [ua.NodeId(i) for i in (*_BUILD_INFO.values(), *_LIMITS.values(), ua.ObjectIds.Server_NamespaceArray)]
        values = [_good_value(dv) for dv in await _read(client, ids, ua.AttributeIds.Value)]
        build = dict(zip(_BUILD_INFO, values[: len(_BUILD_INFO)]))
        limits = {k: (int(v) if v else None) for k, v in zip(_LIMITS, values[len(_BUILD_INFO) : -1])}
        namespaces = list(values[-1] or [])
    finally:
        try:
            await asyncio.wait_for(client.disconnect(), timeout)
        except Exception:  # noqa: BLE001 - the answer is already in hand
            pass
    return {
        "ok": True,
        "endpoint": spec.name,
        "url": spec.url,
        "server": build,
        "security": {"policy": policy, "mode": mode, "user": spec.username or "anonymous"},
        "namespaces": namespaces,
        "operation_limits": limits,
        "connect_ms": round(connected_ms, 1),
    }


async def _offered_security(url: str, timeout: float) -> list[dict[str, str]]:
    """The (policy, mode) pairs the server's endpoints offer, from GetEndpoints over an unsecured channel."""
    client = Client(url, timeout=timeout)
    endpoints = await asyncio.wait_for(client.connect_and_get_server_endpoints(), timeout)
    offered: list[dict[str, str]] = []
    for endpoint in endpoints:
        item = {
            "policy": endpoint.SecurityPolicyUri.rsplit("#", 1)[-1],
            "mode": endpoint.SecurityMode.name.rstrip("_"),
        }
        if item not in offered:
            offered.append(item)
    return offered


def test_endpoint(
    spec: EndpointSpec, data_dir: Path, timeout: float = 5.0, *, trust_new: bool = False
) -> dict[str, Any]:
    """Connect to ``spec`` and report server product/version, security, namespaces and operation limits.

    Never raises for connection problems: returns ``{"ok": False, "reason": ..., "message": ...}`` instead. When
    the requested security is not offered, ``offered_security`` lists what the server does offer.
    """
    try:
        return asyncio.run(_describe(spec, Path(data_dir), timeout, trust_new))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a readable reason
        reason, message = classify_error(exc, spec, timeout)
    failure: dict[str, Any] = {"ok": False, "endpoint": spec.name, "url": spec.url, "reason": reason}
    if reason == "security_mismatch":
        try:
            offered = asyncio.run(_offered_security(spec.url, timeout))
        except Exception:  # noqa: BLE001 - the mismatch itself is the answer
            offered = []
        if offered:
            failure["offered_security"] = offered
            message += "; it offers " + ", ".join(f"{o['policy']}/{o['mode']}" for o in offered)
    failure["message"] = message
    return failure


test_endpoint.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


async def _browse_references(client: Client, node_id: ua.NodeId) -> list[ua.ReferenceDescription]:
    description = ua.BrowseDescription()
    description.NodeId = node_id
    description.BrowseDirection = ua.BrowseDirection.Forward
    description.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HierarchicalReferences)
    description.IncludeSubtypes = True
    description.NodeClassMask = int(_BROWSE_CLASSES)
    description.ResultMask = int(ua.BrowseResultMask.All)
    params = ua.BrowseParameters()
    params.NodesToBrowse.append(description)
    (result,) = await client.uaclient.browse(params)
    if result.StatusCode is not None and not result.StatusCode.is_good():
        raise EndpointError("", "unknown_node", f"cannot browse {node_id.to_string()}: {result.StatusCode.name}")
    references = list(result.References)
    continuation = result.ContinuationPoint
    while continuation:
        # ReleaseContinuationPoints defaults to True in asyncua: that would free the point and return nothing.
        next_params = ua.BrowseNextParameters(ReleaseContinuationPoints=False, ContinuationPoints=[continuation])
        (result,) = await client.uaclient.browse_next(next_params)
        if result.StatusCode is not None and not result.StatusCode.is_good():
            raise EndpointError(
                "", "error", f"browsing {node_id.to_string()} stopped after {len(references)} children: "
                f"BrowseNext answered {result.StatusCode.name}"
            )  # fmt: skip
        references.extend(result.References)
        continuation = result.ContinuationPoint
    return references


async def _data_type_names(client: Client, type_ids: set[ua.NodeId], max_nodes: int) -> dict[ua.NodeId, str]:
    names: dict[ua.NodeId, str] = {}
    unknown = []
    for type_id in type_ids:
        if (
            type_id.NamespaceIndex == 0
            and isinstance(type_id.Identifier, int)
            and type_id.Identifier in ua.ObjectIdNames
        ):
            names[type_id] = ua.ObjectIdNames[type_id.Identifier]
        else:
            unknown.append(type_id)
    for type_id, dv in zip(unknown, await _read(client, unknown, ua.AttributeIds.BrowseName, max_nodes)):
        value = _good_value(dv)
        names[type_id] = value.Name if value is not None else type_id.to_string()
    return names


async def _browse(
    spec: EndpointSpec, data_dir: Path, node_id: str | None, timeout: float, trust_new: bool = False
) -> list[dict[str, Any]]:
    client, _, _ = await _connect(spec, data_dir, timeout, trust_new)
    try:
        namespaces = await client.get_namespace_array()
        if node_id is None:
            parent = ua.NodeId(ua.ObjectIds.ObjectsFolder)
        else:
            try:
                parent = parse_node_id(node_id, namespaces)
            except (KeyError, ValueError, ua.UaError) as exc:
                raise EndpointError(spec.name, "unknown_node", f"cannot use node id {node_id!r}: {exc}") from exc
        try:
            references = await _browse_references(client, parent)
        except EndpointError as exc:
            raise EndpointError(spec.name, exc.reason, exc.detail) from exc
        (advertised,) = await _read(client, [ua.NodeId(_LIMITS["max_nodes_per_read"])], ua.AttributeIds.Value)
        max_nodes = int(_good_value(advertised) or 0)
        variables = [r.NodeId for r in references if r.NodeClass == ua.NodeClass.Variable]
        # Every attribute of every variable in as few Reads as the server's MaxNodesPerRead allows.
        items = [(v, a) for v in variables for a in _VARIABLE_ATTRIBUTES]
        values, max_nodes = await _read_items(client, items, max_nodes)
        width = len(_VARIABLE_ATTRIBUTES)
        per_variable = {
            v: [_good_value(dv) for dv in values[k * width : (k + 1) * width]] for k, v in enumerate(variables)
        }
        type_ids = {row[0] for row in per_variable.values() if isinstance(row[0], ua.NodeId)}
        type_names = await _data_type_names(client, type_ids, max_nodes)
        children = []
        for ref in references:
            child: dict[str, Any] = {
                "node_id": format_node_id(ref.NodeId, namespaces),
                "browse_name": ref.BrowseName.Name,
                "display_name": ref.DisplayName.Text,
                "node_class": ref.NodeClass.name,
                "data_type": None,
                "readable": None,
                "writable": None,
                "access_level": None,
                "value_rank": None,
                "array_dimensions": None,
                "description": None,
            }
            if ref.NodeClass == ua.NodeClass.Variable:
                dtype, access, rank, dimensions, description = per_variable.get(ref.NodeId, [None] * width)
                child["data_type"] = type_names.get(dtype) if dtype is not None else None
                if access is not None:
                    child["access_level"] = int(access)
                    child["readable"] = bool(access & ua.AccessLevel.CurrentRead.mask)
                    child["writable"] = bool(access & ua.AccessLevel.CurrentWrite.mask)
                child["value_rank"] = int(rank) if rank is not None else None
                child["array_dimensions"] = [int(d) for d in dimensions] if dimensions else None
                child["description"] = getattr(description, "Text", None) or None
            children.append(child)
        return children
    finally:
        try:
            await asyncio.wait_for(client.disconnect(), timeout)
        except Exception:  # noqa: BLE001
            pass


def browse(
    spec: EndpointSpec, data_dir: Path, node_id: str | None = None, timeout: float = 5.0, *, trust_new: bool = False
) -> list[dict[str, Any]]:
    """Children of ``node_id`` (default: the Objects folder) with ids in ``nsu=`` form, types and access.

    Raises ``EndpointError`` (``.reason`` as in the module docstring) when the endpoint or node cannot be used.
    """
    try:
        return asyncio.run(_browse(spec, Path(data_dir), node_id, timeout, trust_new))
    except EndpointError:
        raise
    except Exception as exc:  # noqa: BLE001
        reason, message = classify_error(exc, spec, timeout)
        raise EndpointError(spec.name, reason, message) from exc
