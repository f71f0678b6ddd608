"""A PLC stand-in: an asyncua server in its own process with typed tags and a scan cycle.

Run: ``python tests/peers/asyncua_plc.py [--port 0] [--bench-tags N] [--max-read N] [--max-write N] [--max-refs N]``.
Prints ``READY <port>`` on stdout once it accepts connections.

Address space (namespace ``urn:dtwin:test-plc``, string node ids):

- ``In.<Type>``   writable, one per type in ``TYPES``;  ``Echo.<Type>`` read-only copy of it (scan cycle)
- ``Cmd`` (Double, writable) and ``Feedback`` (Double, read-only) = ``Cmd * 2`` (scan cycle)
- ``Count`` (Int32, read-only) incremented every scan
- ``ReadOnly.Double`` read-only constant; ``Array.Double`` a read-only Double[3]; ``Reject.Int32`` writable, but
  negative values are rejected (BadOutOfRange)
- ``Faulty.Double`` readable; its status is Bad while ``Ctl.Faulty`` (Boolean, writable) is true
- ``Bench.In.<i>`` (Double, writable) and ``Bench.Out.<i>`` (Double) for ``--bench-tags``; ``Out = In * 2`` if
  ``--scan-bench``
- ``Stats.ReadCalls`` / ``Stats.WriteCalls`` / ``Stats.MaxReadBatch`` / ``Stats.MaxWriteBatch`` (UInt32): Read and
  Write service calls touching this namespace (calls that touch ``Stats.*`` are not counted), and the largest batch.

``--max-read`` / ``--max-write`` publish small OperationLimits and *enforce* them (BadTooManyOperations), like a real
PLC; with ``--hide-limits`` they are enforced but not published (the server keeps advertising asyncua's 10000).
``--max-refs N`` makes Browse return at most N references per node with a continuation point, continued by
BrowseNext (asyncua's server has neither: both are implemented here, per session, as the spec says; a BrowseNext with
``releaseContinuationPoints`` true frees the point and returns nothing). ``--folder-vars N`` adds an object
``Folder`` with N Double variables ``Folder.<i>`` (even ones writable, each with a Description).
``--extra-namespaces N`` registers N decoy namespaces first, so the PLC namespace index differs between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from datetime import datetime, timezone
from typing import Any

from asyncua import Server, ua
from asyncua.server.internal_session import InternalSession
from asyncua.server.uaprocessor import UaProcessor
from asyncua.ua.ua_binary import struct_from_binary

NAMESPACE = "urn:dtwin:test-plc"

TYPES: dict[str, Any] = {
    "Boolean": False,
    "SByte": 0,
    "Byte": 0,
    "Int16": 0,
    "UInt16": 0,
    "Int32": 0,
    "UInt32": 0,
    "Int64": 0,
    "UInt64": 0,
    "Float": 0.0,
    "Double": 0.0,
    "String": "",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Counters:
    """Service-call counters kept by the patched session (read back through Stats.* variables)."""

    def __init__(self, ns: int, max_read: int, max_write: int, max_refs: int = 0) -> None:
        self.ns = ns
        self.max_read = max_read
        self.max_write = max_write
        self.max_refs = max_refs
        self.continuations: dict[bytes, list[ua.ReferenceDescription]] = {}
        self.next_point = 0
        self.reads = 0
        self.writes = 0
        self.max_read_batch = 0
        self.max_write_batch = 0

    def _counted(self, node_ids: list[ua.NodeId]) -> bool:
        ours = [n for n in node_ids if n.NamespaceIndex == self.ns]
        return bool(ours) and not any(isinstance(n.Identifier, str) and n.Identifier.startswith("Stats.") for n in ours)


def install_limits(counters: Counters) -> None:
    """Wrap the server session's Read/Write to enforce operation limits and count calls."""
    original_read = InternalSession.read
    original_write = InternalSession.write

    async def read(self: InternalSession, params: ua.ReadParameters) -> list[ua.DataValue]:
        size = len(params.NodesToRead)
        if counters.max_read and size > counters.max_read:
            raise ua.UaStatusCodeError(ua.StatusCodes.BadTooManyOperations)
        if counters._counted([r.NodeId for r in params.NodesToRead]):
            counters.reads += 1
            counters.max_read_batch = max(counters.max_read_batch, size)
        return await original_read(self, params)

    async def write(self: InternalSession, params: ua.WriteParameters) -> list[ua.StatusCode]:
        size = len(params.NodesToWrite)
        if counters.max_write and size > counters.max_write:
            raise ua.UaStatusCodeError(ua.StatusCodes.BadTooManyOperations)
        if counters._counted([w.NodeId for w in params.NodesToWrite]):
            counters.writes += 1
            counters.max_write_batch = max(counters.max_write_batch, size)
        results = await original_write(self, params)
        for i, item in enumerate(params.NodesToWrite):
            # A PLC-style range check on one tag: the rest of the batch is unaffected.
            if item.NodeId == ua.NodeId("Reject.Int32", counters.ns) and (item.Value.Value.Value or 0) < 0:
                results[i] = ua.StatusCode(ua.StatusCodes.BadOutOfRange)
        return results

    original_browse = InternalSession.browse

    def page(references: list[ua.ReferenceDescription]) -> tuple[list[ua.ReferenceDescription], bytes | None]:
        if not counters.max_refs or len(references) <= counters.max_refs:
            return references, None
        counters.next_point += 1
        point = f"cp{counters.next_point}".encode()
        counters.continuations[point] = references[counters.max_refs :]
        return references[: counters.max_refs], point

    async def browse(self: InternalSession, params: ua.BrowseParameters) -> list[ua.BrowseResult]:
        results = await original_browse(self, params)
        for result in results:
            result.References, result.ContinuationPoint = page(list(result.References))
        return results

    async def browse_next(self: InternalSession, params: ua.BrowseNextParameters) -> list[ua.BrowseResult]:
        results = []
        for point in params.ContinuationPoints:
            rest = counters.continuations.pop(point, None)
            result = ua.BrowseResult()
            if rest is None:
                result.StatusCode = ua.StatusCode(ua.StatusCodes.BadContinuationPointInvalid)
            elif not params.ReleaseContinuationPoints:
                result.References, result.ContinuationPoint = page(rest)
            results.append(result)
        return results

    original_process = UaProcessor._process_message
    browse_next_request = ua.NodeId(ua.ObjectIds.BrowseNextRequest_Encoding_DefaultBinary)

    async def process_message(self: UaProcessor, typeid: ua.NodeId, header: Any, seqhdr: Any, body: Any) -> bool:
        # asyncua 2.1.0 does not dispatch BrowseNext at all (nor allow it in its permission rules).
        if typeid != browse_next_request:
            return await original_process(self, typeid, header, seqhdr, body)
        if self.session is None:
            raise ua.uaerrors.BadSessionIdInvalid
        response = ua.BrowseNextResponse()
        params = struct_from_binary(ua.BrowseNextParameters, body)
        response.Parameters.Results = await self.session.browse_next(params)
        self.send_response(header.RequestHandle, seqhdr, response)
        return True

    UaProcessor._process_message = process_message  # type: ignore[method-assign]
    InternalSession.read = read  # type: ignore[method-assign]
    InternalSession.write = write  # type: ignore[method-assign]
    InternalSession.browse = browse  # type: ignore[method-assign]
    InternalSession.browse_next = browse_next  # type: ignore[method-assign]


async def run(args: argparse.Namespace) -> None:
    port = args.port or free_port()
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/")
    server.set_server_name("dtwin test PLC")
    for i in range(args.extra_namespaces):
        await server.register_namespace(f"urn:dtwin:decoy:{i}")
    ns = await server.register_namespace(NAMESPACE)
    counters = Counters(ns, args.max_read, args.max_write, args.max_refs)
    install_limits(counters)

    if (args.max_read or args.max_write) and not args.hide_limits:
        for oid, value in (
            (ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead, args.max_read),
            (ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite, args.max_write),
        ):
            if value:
                limit = ua.DataValue(ua.Variant(value, ua.VariantType.UInt32))
                await server.write_attribute_value(ua.NodeId(oid), limit)

    objects = server.nodes.objects
    plc = await objects.add_object(ua.NodeId("PLC", ns), ua.QualifiedName("PLC", ns))

    async def var(name: str, value: Any, vtype: ua.VariantType, writable: bool = False) -> ua.NodeId:
        node = await plc.add_variable(ua.NodeId(name, ns), ua.QualifiedName(name, ns), ua.Variant(value, vtype))
        if writable:
            await node.set_writable()
        return node.nodeid

    for tname, initial in TYPES.items():
        vtype = getattr(ua.VariantType, tname)
        await var(f"In.{tname}", initial, vtype, writable=True)
        await var(f"Echo.{tname}", initial, vtype)
    cmd = await var("Cmd", 0.0, ua.VariantType.Double, writable=True)
    feedback = await var("Feedback", 0.0, ua.VariantType.Double)
    count = await var("Count", 0, ua.VariantType.Int32)
    await var("ReadOnly.Double", 42.0, ua.VariantType.Double)
    array = await plc.add_variable(ua.NodeId("Array.Double", ns), ua.QualifiedName("Array.Double", ns), [1.0, 2.0, 3.0])
    await array.write_value_rank(1)
    await array.write_array_dimensions([3])
    await var("Reject.Int32", 0, ua.VariantType.Int32, writable=True)
    faulty = await var("Faulty.Double", 1.5, ua.VariantType.Double)
    ctl_faulty = await var("Ctl.Faulty", False, ua.VariantType.Boolean, writable=True)
    stats = {
        name: await var(f"Stats.{name}", 0, ua.VariantType.UInt32)
        for name in ("ReadCalls", "WriteCalls", "MaxReadBatch", "MaxWriteBatch")
    }
    bench_in = [await var(f"Bench.In.{i}", 0.0, ua.VariantType.Double, writable=True) for i in range(args.bench_tags)]
    bench_out = [await var(f"Bench.Out.{i}", 0.0, ua.VariantType.Double) for i in range(args.bench_tags)]
    if args.folder_vars:
        folder = await objects.add_object(ua.NodeId("Folder", ns), ua.QualifiedName("Folder", ns))
        for i in range(args.folder_vars):
            name = f"Folder.{i}"
            node = await folder.add_variable(ua.NodeId(name, ns), ua.QualifiedName(name, ns), 0.0)
            await node.write_attribute(
                ua.AttributeIds.Description, ua.DataValue(ua.Variant(ua.LocalizedText(f"tag {i}")))
            )
            if i % 2 == 0:
                await node.set_writable()

    await server.start()
    print(f"READY {port}", flush=True)

    aspace = server.iserver.aspace

    def get(nodeid: ua.NodeId) -> Any:
        return aspace.read_attribute_value(nodeid, ua.AttributeIds.Value).Value.Value

    async def put(nodeid: ua.NodeId, value: Any, vtype: ua.VariantType, status: int = ua.StatusCodes.Good) -> None:
        dv = ua.DataValue(ua.Variant(value, vtype), StatusCode=ua.StatusCode(status))
        dv.SourceTimestamp = datetime.now(timezone.utc)
        await server.write_attribute_value(nodeid, dv)

    scans = 0
    period = args.scan_ms / 1000.0
    while True:
        await asyncio.sleep(period)
        scans += 1
        for tname in TYPES:
            vtype = getattr(ua.VariantType, tname)
            await put(ua.NodeId(f"Echo.{tname}", ns), get(ua.NodeId(f"In.{tname}", ns)), vtype)
        await put(feedback, float(get(cmd) or 0.0) * 2.0, ua.VariantType.Double)
        await put(count, scans % 2**31, ua.VariantType.Int32)
        bad = ua.StatusCodes.BadSensorFailure if get(ctl_faulty) else ua.StatusCodes.Good
        await put(faulty, 1.5, ua.VariantType.Double, bad)
        await put(stats["ReadCalls"], counters.reads, ua.VariantType.UInt32)
        await put(stats["WriteCalls"], counters.writes, ua.VariantType.UInt32)
        await put(stats["MaxReadBatch"], counters.max_read_batch, ua.VariantType.UInt32)
        await put(stats["MaxWriteBatch"], counters.max_write_batch, ua.VariantType.UInt32)
        if args.scan_bench:
            for src, dst in zip(bench_in, bench_out, strict=True):
                await put(dst, float(get(src)) * 2.0, ua.VariantType.Double)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--bench-tags", type=int, default=0, help="number of Bench.In/Bench.Out pairs")
    parser.add_argument("--scan-bench", action="store_true", help="compute Bench.Out = Bench.In * 2 every scan")
    parser.add_argument("--scan-ms", type=float, default=20.0, help="scan cycle period in milliseconds")
    parser.add_argument("--max-read", type=int, default=0, help="MaxNodesPerRead (0: server default)")
    parser.add_argument("--max-write", type=int, default=0, help="MaxNodesPerWrite (0: server default)")
    parser.add_argument("--hide-limits", action="store_true", help="enforce --max-read/--max-write, do not publish")
    parser.add_argument("--max-refs", type=int, default=0, help="references per Browse result (0: all at once)")
    parser.add_argument("--folder-vars", type=int, default=0, help="variables in Objects/Folder")
    parser.add_argument("--extra-namespaces", type=int, default=0, help="decoy namespaces registered first")
    args = parser.parse_args(argv)
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
