"""``OpcUaIO``: the OPC UA client ``PortIO`` that puts a PLC in the loop.

The engine's tick thread calls the synchronous ``open/read/write/close/stats``; the OPC UA work runs on an
asyncio loop in a thread of its own. Per tick and per endpoint there is one Read and one Write service call
(split only by the server's MaxNodesPerRead/MaxNodesPerWrite), with bodies encoded once at connect.

Connection loss never raises into the tick loop (unless ``on_disconnect="stop"``): the endpoint goes
``degraded``, reads yield ``None`` for its bindings (the engine holds the last good value), writes are dropped,
and a background task reconnects with exponential backoff, re-resolves ``nsu=`` namespaces, re-reads node
metadata and forces a full rewrite before the endpoint is ``connected`` again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from asyncua import ua

from app.engine._exceptions import PortIOError
from app.engine.hil._codec import (
    INTEGER_RANGES,
    KIND,
    RANK,
    READ_REQUEST,
    TYPE_NAMES,
    WRITE_REQUEST,
    ReadBatch,
    WriteBatch,
    status_name,
)
from app.engine.hil._histogram import LatencyHistogram
from app.engine.hil._session import (
    CONNECTION_LOST_CODES,
    ClientFactory,
    ConnectionLost,
    Link,
    NodeInfo,
    abandon,
    close_gracefully,
    describe_error,
    halved,
    parse_node_id,
)
from app.engine.io import BindingSpec, EndpointSpec

__all__ = ["OpcUaIO"]

_READ_RESPONSE = ua.ObjectIds.ReadResponse_Encoding_DefaultBinary
_WRITE_RESPONSE = ua.ObjectIds.WriteResponse_Encoding_DefaultBinary
_UNSENT = object()  # write-on-change cache marker: "must be sent"


def _compatibility(binding: BindingSpec, info: NodeInfo) -> str | None:
    """Why the node cannot serve the binding (type or access level), or None."""
    if binding.direction == "read" and not info.access & 0x01:
        return "node is not readable (AccessLevel lacks CurrentRead)"
    if binding.direction == "write" and not info.access & 0x02:
        return "node is not writable (AccessLevel lacks CurrentWrite)"
    port_kind = binding.data_type
    if port_kind is None:
        return None
    node_kind = KIND[info.vtype]
    type_name = TYPE_NAMES[info.vtype]
    if node_kind == "string" or port_kind not in RANK:
        return f"node type {type_name} is incompatible with port type {port_kind} (String nodes cannot be bound)"
    if binding.direction == "read" and RANK[node_kind] > RANK[port_kind]:
        return (
            f"node type {type_name} cannot be read into a {port_kind} port without narrowing: add "
            f"`data_type: {node_kind}` to the binding to accept it ({_NARROWING[port_kind]})"
        )
    if binding.direction == "write" and RANK[port_kind] > RANK[node_kind]:
        return (
            f"a {port_kind} port cannot be written to {_an(type_name)} node without narrowing: add "
            f"`data_type: {node_kind}` to the binding to bind a {port_kind} port to {_an(type_name)} node "
            f"({_NARROWING[node_kind]})"
        )
    if (
        binding.direction == "write"
        and binding.inferred_type
        and port_kind == "int"
        and info.vtype in INTEGER_RANGES
        and info.vtype not in _HOLDS_TWIN_INT
    ):
        low, high = INTEGER_RANGES[info.vtype]
        return (
            f"an int port may not fit {_an(type_name)} node ({low}..{high}): add `data_type: int` to the binding to "
            "accept it; a value out of that range is then not written and is reported in binding_errors"
        )
    return None


def _an(type_name: str) -> str:
    return ("an " if type_name[0] in "AEIO" else "a ") + type_name  # "a UInt16", "an Int16"


# How a narrowing conversion goes, once a binding's data_type accepts it.
_NARROWING = {"int": "rounded half away from zero, range-checked per value", "bool": "non-zero is true"}
# Integer node types that hold every value of the twin's int (a 32-bit signed DINT, as the twin's own server serves).
_HOLDS_TWIN_INT = {6, 8}  # Int32, Int64


class _Timings:
    """Ring buffer of recent per-tick durations in milliseconds."""

    def __init__(self, size: int) -> None:
        self.samples: deque[float] = deque(maxlen=size)
        self.count = 0

    def add(self, ms: float) -> None:
        self.samples.append(ms)
        self.count += 1

    def summary(self) -> dict[str, Any]:
        data = sorted(self.samples)
        if not data:
            return {"count": self.count, "median": None, "p99": None, "max": None}
        return {
            "count": self.count,
            "median": round(data[len(data) // 2], 3),
            "p99": round(data[min(len(data) - 1, int(len(data) * 0.99))], 3),
            "max": round(data[-1], 3),
        }


class _Endpoint:
    """One endpoint's connection, pre-encoded batches and health, driven from the I/O loop."""

    def __init__(self, owner: OpcUaIO, spec: EndpointSpec) -> None:
        self.owner = owner
        self.spec = spec
        self.reads: list[tuple[int, BindingSpec]] = []
        self.writes: list[tuple[int, BindingSpec]] = []
        self.link: Link | None = None
        self.generation = 0
        self.state = "connecting"
        self.read_batches: list[ReadBatch] = []
        self.write_batches: list[WriteBatch] = []
        self.write_cache: list[list[Any]] = []
        self.infos: dict[tuple[str, int], NodeInfo] = {}
        self.full_write = True
        self.reconnects = 0
        self.degraded_total = 0.0
        self.degraded_since: float | None = None
        self.last_error: str | None = None
        self.dropped_writes = 0
        self.service_calls = 0
        # Round trips of successful Reads and Writes, for GET /metrics (app/services/metrics.py).
        self.read_latency = LatencyHistogram()
        self.write_latency = LatencyHistogram()
        self.last_ok = time.monotonic()
        self.tasks: list[asyncio.Task[None]] = []

    # -- connection ------------------------------------------------------------------------------------------

    async def establish(self) -> list[dict[str, Any]]:
        """Connect, resolve and describe every bound node; build the batches. Returns per-binding problems."""
        owner = self.owner
        link = await Link.open(
            self.spec,
            connect_timeout=owner.connect_timeout,
            request_timeout=owner.request_timeout,
            factory=owner.client_factory,
            data_dir=owner.data_dir,
            trust_new=owner.trust_new_certificates,
        )
        try:
            problems, infos = await self._describe(link)
        except BaseException:
            abandon(link.client)
            raise
        self._build(link, infos)
        self.link = link
        self.generation += 1
        self.last_ok = time.monotonic()
        self.full_write = True
        return problems

    async def _describe(self, link: Link) -> tuple[list[dict[str, Any]], dict[tuple[str, int], NodeInfo]]:
        problems: list[dict[str, Any]] = []
        bindings = [("read", slot, b) for slot, b in self.reads] + [("write", slot, b) for slot, b in self.writes]
        resolved: list[tuple[str, int, BindingSpec, ua.NodeId]] = []
        for direction, slot, binding in bindings:
            try:
                resolved.append((direction, slot, binding, parse_node_id(binding.node_id, link.namespaces)))
            except ValueError as exc:
                problems.append(self._problem(binding, str(exc)))
        infos: dict[tuple[str, int], NodeInfo] = {}
        described = await link.describe([r[3] for r in resolved]) if resolved else []
        for (direction, slot, binding, _node_id), info in zip(resolved, described, strict=True):
            reason = info if isinstance(info, str) else _compatibility(binding, info)
            if reason is not None:
                problems.append(self._problem(binding, reason))
            else:
                infos[(direction, slot)] = info  # type: ignore[assignment]
        return problems, infos

    def _problem(self, binding: BindingSpec, reason: str) -> dict[str, Any]:
        return {
            "port": binding.port,
            "direction": binding.direction,
            "endpoint": self.spec.name,
            "node_id": binding.node_id,
            "reason": reason,
        }

    def _build(self, link: Link, infos: dict[tuple[str, int], NodeInfo]) -> None:
        self.infos = infos
        errors_r, errors_w = self.owner._read_errors, self.owner._write_errors
        read_items = [(slot, infos[("read", slot)]) for slot, _ in self.reads if ("read", slot) in infos]
        for slot, binding in self.reads:
            if ("read", slot) not in infos:
                errors_r[slot] = errors_r.get(slot) or f"node {binding.node_id} unusable after reconnect"
        write_items = [(slot, infos[("write", slot)]) for slot, _ in self.writes if ("write", slot) in infos]
        for slot, binding in self.writes:
            if ("write", slot) not in infos:
                errors_w[slot] = errors_w.get(slot) or f"node {binding.node_id} unusable after reconnect"
        size = link.max_read or len(read_items) or 1
        self.read_batches = [
            ReadBatch([i.node_id for _, i in chunk], [s for s, _ in chunk])
            for chunk in (read_items[k : k + size] for k in range(0, len(read_items), size))
        ]
        size = link.max_write or len(write_items) or 1
        self.write_batches = [
            WriteBatch([i.node_id for _, i in chunk], [i.vtype for _, i in chunk], [s for s, _ in chunk])
            for chunk in (write_items[k : k + size] for k in range(0, len(write_items), size))
        ]
        self.write_cache = [[_UNSENT] * b.size for b in self.write_batches]

    def shrink(self, link: Link, direction: str, exc: BaseException) -> bool:
        """After BadTooManyOperations, halve the batch size of ``direction`` (remembered on the link, reported in
        the endpoint status) and rebuild the batches; False when batches are one node already or ``exc`` is not
        that status."""
        batches = self.read_batches if direction == "read" else self.write_batches
        size = halved(max((b.size for b in batches), default=0), exc)
        if not size or link is not self.link:
            return False
        if direction == "read":
            link.max_read, link.learned_read = size, True
        else:
            link.max_write, link.learned_write = size, True
        self._build(link, self.infos)
        self.full_write = True
        return True

    def lost(self, generation: int, exc: BaseException) -> None:
        """The connection of ``generation`` failed: go degraded (or failed) and start reconnecting."""
        if generation != self.generation or self.state not in ("connected", "connecting"):
            return
        self.last_error = describe_error(exc, self.owner.request_timeout)
        if self.link is not None:
            abandon(self.link.client)
            self.link = None
        self.degraded_since = time.monotonic()
        if self.owner.on_disconnect == "stop":
            self.state = "failed"
            return
        self.state = "degraded"
        self.tasks.append(asyncio.get_running_loop().create_task(self._reconnect()))

    async def _reconnect(self) -> None:
        delay = self.owner.backoff_initial
        while self.state == "degraded":
            await asyncio.sleep(delay)
            try:
                problems = await self.establish()
            except Exception as exc:
                self.last_error = describe_error(exc, self.owner.connect_timeout)
                delay = min(delay * 2, self.owner.backoff_max)
                continue
            for problem in problems:
                target = self.owner._read_errors if problem["direction"] == "read" else self.owner._write_errors
                for slot, binding in self.reads if problem["direction"] == "read" else self.writes:
                    if binding.port == problem["port"] and binding.node_id == problem["node_id"]:
                        target[slot] = problem["reason"]
            self.reconnects += 1
            if self.degraded_since is not None:
                self.degraded_total += time.monotonic() - self.degraded_since
                self.degraded_since = None
            self.state = "connected"
            return

    async def keepalive(self) -> None:
        """Probe the server when the tick loop has been quiet, so a frozen server is noticed and sessions live."""
        interval = self.owner.keepalive_interval
        probe = ReadBatch([ua.NodeId(ua.ObjectIds.Server_ServerStatus_State)], [0])
        while True:
            await asyncio.sleep(interval / 2)
            link, generation = self.link, self.generation
            if self.state != "connected" or link is None or time.monotonic() - self.last_ok < interval:
                continue
            try:
                await link.request(READ_REQUEST, probe.body, _READ_RESPONSE)
                self.last_ok = time.monotonic()
            except (ConnectionLost, ua.UaError, OSError) as exc:
                self.lost(generation, exc)

    # -- per tick -------------------------------------------------------------------------------------------

    async def read_into(self, out: list[Any]) -> None:
        link, generation = self.link, self.generation
        if self.state != "connected" or link is None:
            return
        started = time.perf_counter()
        try:
            while True:
                try:
                    if len(self.read_batches) == 1:
                        await self._read_batch(link, self.read_batches[0], out)
                    else:
                        await asyncio.gather(*(self._read_batch(link, b, out) for b in self.read_batches))
                    break
                except ua.UaStatusCodeError as exc:
                    if not self.shrink(link, "read", exc):
                        raise
            self.last_ok = time.monotonic()
            self.read_latency.observe(time.perf_counter() - started)
        except (ConnectionLost, OSError) as exc:
            self.lost(generation, exc)
        except ua.UaStatusCodeError as exc:
            if exc.code in CONNECTION_LOST_CODES:
                self.lost(generation, exc)

    async def _read_batch(self, link: Link, batch: ReadBatch, out: list[Any]) -> None:
        errors = self.owner._read_errors
        read_no = self.owner._read_no  # before the wait: a late answer belongs to the tick that asked
        try:
            data, pos = await link.request(READ_REQUEST, batch.body, _READ_RESPONSE)
            values, statuses = batch.decode(data, pos)
        except ua.UaStatusCodeError as exc:
            if exc.code not in CONNECTION_LOST_CODES:
                for slot in batch.slots:
                    errors[slot] = f"read service failed: {status_name(exc.code)}"
            raise
        except ua.UaError as exc:
            for slot in batch.slots:
                errors[slot] = f"read response not understood: {exc}"
            return
        self.service_calls += 1
        for slot, value in zip(batch.slots, values, strict=True):
            out[slot] = value
        if statuses is not None:
            bad_at = self.owner._bad_at
            for slot, status in zip(batch.slots, statuses, strict=True):
                if status:
                    errors[slot] = f"bad status {status_name(status)}"
                    bad_at[slot] = read_no
                else:
                    errors.pop(slot, None)
        elif errors:
            for slot in batch.slots:
                errors.pop(slot, None)

    async def write_from(self, values: Sequence[Any]) -> None:
        link, generation = self.link, self.generation
        if self.state != "connected" or link is None:
            self.dropped_writes += 1
            return
        full = self.full_write or not self.owner.write_on_change
        started = time.perf_counter()
        try:
            while True:
                batches = zip(self.write_batches, self.write_cache)
                jobs = [self._write_batch(link, b, c, values, full) for b, c in batches]
                try:
                    results = await asyncio.gather(*jobs) if len(jobs) > 1 else [await jobs[0]] if jobs else []
                    break
                except ua.UaStatusCodeError as exc:
                    if not self.shrink(link, "write", exc):
                        raise
                    full = True
            if all(results):
                self.full_write = False
            self.last_ok = time.monotonic()
            if jobs:
                self.write_latency.observe(time.perf_counter() - started)
        except (ConnectionLost, OSError) as exc:
            self.lost(generation, exc)
        except ua.UaStatusCodeError as exc:
            if exc.code in CONNECTION_LOST_CODES:
                self.lost(generation, exc)

    async def _write_batch(
        self, link: Link, batch: WriteBatch, cache: list[Any], values: Sequence[Any], full: bool
    ) -> bool:
        """Write one chunk; True when every value reached the server with a Good status."""
        errors = self.owner._write_errors
        mine = [values[s] for s in batch.slots]
        if full:
            body, sent, conversion = batch.encode_all(mine)
        else:
            changed = [i for i, (new, old) in enumerate(zip(mine, cache, strict=True)) if new != old]
            if not changed:
                return True
            if len(changed) == batch.size:
                body, sent, conversion = batch.encode_all(mine)
            else:
                body, sent, conversion = batch.encode_some(mine, changed)
        for i, message in conversion.items():
            errors[batch.slots[i]] = message
            cache[i] = _UNSENT
        if not sent:
            return not conversion
        try:
            data, pos = await link.request(WRITE_REQUEST, body, _WRITE_RESPONSE)
            statuses = batch.decode_results(data, pos, len(sent))
        except ua.UaStatusCodeError as exc:
            if exc.code not in CONNECTION_LOST_CODES:
                for i in sent:
                    errors[batch.slots[i]] = f"write service failed: {status_name(exc.code)}"
                    cache[i] = _UNSENT
            raise
        except ua.UaError as exc:
            for i in sent:
                errors[batch.slots[i]] = f"write response not understood: {exc}"
                cache[i] = _UNSENT
            return False
        self.service_calls += 1
        ok = not conversion
        for i, status in zip(sent, statuses, strict=True):
            slot = batch.slots[i]
            if status & 0x80000000:
                errors[slot] = f"write rejected: {status_name(status)}"
                cache[i] = _UNSENT
                ok = False
            else:
                cache[i] = mine[i]
                if errors:
                    errors.pop(slot, None)
        return ok

    def snapshot(self) -> dict[str, Any]:
        degraded = self.degraded_total
        if self.degraded_since is not None:
            degraded += time.monotonic() - self.degraded_since
        link = self.link
        return {
            "url": self.spec.url,
            "state": self.state,
            "reconnects": self.reconnects,
            "seconds_degraded": round(degraded, 3),
            "last_error": self.last_error,
            "max_nodes_per_read": link.max_read if link else None,
            "max_nodes_per_write": link.max_write if link else None,
            # True where the size was learned from a BadTooManyOperations answer (the server did not advertise it).
            "max_nodes_learned": {"read": link.learned_read, "write": link.learned_write} if link else None,
            "read_requests_per_tick": len(self.read_batches),
            "write_requests_per_tick": len(self.write_batches),
            "service_calls": self.service_calls,
            "dropped_writes": self.dropped_writes,
        }


class OpcUaIO:
    """A ``PortIO`` that reads and writes bound ports on OPC UA servers (one batched call per endpoint per tick)."""

    def __init__(
        self,
        endpoints: Sequence[EndpointSpec],
        *,
        on_disconnect: str = "continue",
        request_timeout: float = 1.0,
        connect_timeout: float = 3.0,
        keepalive_interval: float = 1.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 5.0,
        write_on_change: bool = False,
        client_factory: ClientFactory | None = None,
        data_dir: Any = None,
        trust_new_certificates: bool = False,
        timing_samples: int = 2000,
        warmup_reads: int = 20,
    ) -> None:
        if on_disconnect not in ("continue", "stop"):
            raise ValueError("on_disconnect must be 'continue' or 'stop'")
        self.specs = {e.name: e for e in endpoints}
        self.on_disconnect = on_disconnect
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.keepalive_interval = keepalive_interval
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.write_on_change = write_on_change
        self.client_factory = client_factory
        self.data_dir = data_dir
        self.trust_new_certificates = trust_new_certificates  # see security.check_server_certificate
        self.warmup_reads = warmup_reads
        self.reads: list[BindingSpec] = []
        self.writes: list[BindingSpec] = []
        self._endpoints: list[_Endpoint] = []
        self._read_errors: dict[int, str] = {}
        # Read binding -> number of the read() whose response gave it a Bad status (see bad_reads()).
        self._bad_at: dict[int, int] = {}
        self._read_no = 0
        self._write_errors: dict[int, str] = {}
        self._read_timing = _Timings(timing_samples)
        self._write_timing = _Timings(timing_samples)
        self._write_roundtrip = _Timings(timing_samples)
        self._write_in_flight: concurrent.futures.Future[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._state = "new"
        # Generous bound on how long the tick thread waits for one tick's I/O (each request has its own timeout).
        self._tick_wait = request_timeout * 2 + 1.0

    # -- PortIO -----------------------------------------------------------------------------------------------

    def open(self, reads: Sequence[BindingSpec], writes: Sequence[BindingSpec]) -> None:
        """Connect every endpoint used, validate every binding, and raise one PortIOError listing all problems."""
        if self._state != "new":
            raise PortIOError("OpcUaIO.open() can only be called once")
        self.reads, self.writes = list(reads), list(writes)
        problems: list[dict[str, Any]] = []
        by_name: dict[str, _Endpoint] = {}
        for direction, bindings in (("read", self.reads), ("write", self.writes)):
            for slot, binding in enumerate(bindings):
                if binding.direction != direction:
                    problems.append(
                        {"port": binding.port, "direction": binding.direction, "endpoint": binding.endpoint,
                         "node_id": binding.node_id, "reason": f"binding given as a {direction} binding"}
                    )  # fmt: skip
                    continue
                spec = self.specs.get(binding.endpoint)
                if spec is None:
                    problems.append(
                        {"port": binding.port, "direction": direction, "endpoint": binding.endpoint,
                         "node_id": binding.node_id, "reason": f"unknown endpoint {binding.endpoint!r}"}
                    )  # fmt: skip
                    continue
                endpoint = by_name.get(spec.name) or by_name.setdefault(spec.name, _Endpoint(self, spec))
                (endpoint.reads if direction == "read" else endpoint.writes).append((slot, binding))
        self._endpoints = list(by_name.values())
        self._start_loop()
        self._state = "open"
        try:
            problems += self._call(self._open_all(), self.connect_timeout * 4 + 10)
        except BaseException:
            self.close()
            raise
        if problems:
            self.close()
            raise PortIOError(_summary(problems), problems)
        self._warm_up()

    def _warm_up(self) -> None:
        """A few untimed Reads before the first tick (reads have no side effects on the PLC).

        The first requests of a connection are slow on both sides (the server's code paths, our response
        decoders learning each batch's layout): measured against node-opcua, the first reads took 20-40 ms
        against 2-4 ms later, enough to put a 10 ms tick hundreds of milliseconds behind at the start.
        """
        if not self.reads:
            return
        out: list[Any] = [None] * len(self.reads)
        for _ in range(self.warmup_reads):
            try:
                self._call(self._read_all(out), self._tick_wait)
            except concurrent.futures.TimeoutError:
                return

    def read(self) -> list[Any]:
        """One raw value per read binding, in order; None where the node or its endpoint has no fresh value."""
        started = time.perf_counter()
        out: list[Any] = [None] * len(self.reads)
        self._read_no += 1
        if self.reads:
            self._call_tick(self._read_all(out))
        self._read_timing.add((time.perf_counter() - started) * 1000.0)
        return out

    def bad_reads(self) -> set[int]:
        """Read bindings whose value in the latest ``read()`` is None because the server answered a Bad status for
        the node (the others without a value are stale: endpoint unreachable, request failed or timed out)."""
        read_no = self._read_no
        return {slot for slot, n in self._bad_at.items() if n == read_no}

    def write(self, values: Sequence[Any]) -> None:
        """Send one raw value per write binding; dropped for endpoints that are not connected.

        The Write is sent without waiting for its response: the tick goes on while the PLC answers, and the
        next tick's Read queues behind it on the same connection, so the PLC always sees tick k's outputs
        before it answers tick k+1's Read. At most one Write is in flight: a second waits for the first.
        Per-binding results arrive in ``stats()``; ``write_ms`` is the time the tick spent here.
        """
        if len(values) != len(self.writes):
            raise PortIOError(f"write() got {len(values)} values for {len(self.writes)} write bindings")
        started = time.perf_counter()
        if self.writes:
            self._finish_write()
            if self._state != "open":
                raise PortIOError("OPC UA I/O is not open")
            assert self._loop is not None
            self._write_in_flight = asyncio.run_coroutine_threadsafe(self._timed_write(list(values)), self._loop)
            self._check_stop_policy()
        self._write_timing.add((time.perf_counter() - started) * 1000.0)

    async def _timed_write(self, values: Sequence[Any]) -> None:
        started = time.perf_counter()
        await self._write_all(values)
        self._write_roundtrip.add((time.perf_counter() - started) * 1000.0)

    def _finish_write(self) -> None:
        """Wait (bounded) for the Write still in flight, if any."""
        pending, self._write_in_flight = self._write_in_flight, None
        if pending is not None:
            try:
                pending.result(self._tick_wait)
            except concurrent.futures.TimeoutError:
                pass  # the endpoint's own request timeout marks it degraded

    def close(self) -> None:
        """Close sessions politely (briefly) and stop the I/O thread; safe to call twice."""
        if self._state == "closed":
            return
        if self._state == "open":
            self._finish_write()
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            try:
                self._call(self._close_all(), self.request_timeout + 3.0)
            except Exception:
                pass
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5.0)
            if not thread.is_alive():
                loop.close()
        self._state = "closed"
        for endpoint in self._endpoints:
            endpoint.state = "closed"

    def latency(self) -> dict[str, dict[str, Any]]:
        """Per endpoint, histograms of Read and Write round trips (``LatencyHistogram.snapshot``) and reconnects."""
        return {
            e.spec.name: {
                "read": e.read_latency.snapshot(),
                "write": e.write_latency.snapshot(),
                "reconnects": e.reconnects,
                "state": e.state,
            }
            for e in self._endpoints
        }

    def stats(self) -> dict[str, Any]:
        """State per endpoint, reconnects, seconds degraded, read/write ms (median, p99), per-binding errors."""
        endpoints = {e.spec.name: e.snapshot() for e in self._endpoints}
        states = {e["state"] for e in endpoints.values()}
        if self._state == "closed":
            state = "closed"
        elif "failed" in states:
            state = "failed"
        elif "degraded" in states:
            state = "degraded"
        elif "connecting" in states or self._state == "new":
            state = "connecting"
        else:
            state = "connected"
        read_errors, write_errors = dict(self._read_errors), dict(self._write_errors)
        binding_errors = [
            {"port": b.port, "direction": "read", "endpoint": b.endpoint, "node_id": b.node_id, "error": read_errors[i]}
            for i, b in enumerate(self.reads)
            if i in read_errors
        ] + [
            {
                "port": b.port,
                "direction": "write",
                "endpoint": b.endpoint,
                "node_id": b.node_id,
                "error": write_errors[i],
            }
            for i, b in enumerate(self.writes)
            if i in write_errors
        ]
        return {
            "state": state,
            "endpoints": endpoints,
            "reconnects": sum(e["reconnects"] for e in endpoints.values()),
            "seconds_degraded": round(sum(e["seconds_degraded"] for e in endpoints.values()), 3),
            "dropped_writes": sum(e["dropped_writes"] for e in endpoints.values()),
            "read_ms": self._read_timing.summary(),
            "write_ms": self._write_timing.summary(),
            "write_roundtrip_ms": self._write_roundtrip.summary(),
            "binding_errors": binding_errors,
        }

    # -- loop plumbing ----------------------------------------------------------------------------------------

    def _start_loop(self) -> None:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="opcua-io", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread

    def _call(self, coro: Any, timeout: float) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _call_tick(self, coro: Any) -> None:
        if self._state != "open":
            coro.close()
            raise PortIOError("OPC UA I/O is not open")
        try:
            self._call(coro, self._tick_wait)
        except concurrent.futures.TimeoutError:
            pass  # the endpoint's own request timeout marks it degraded; never stall the tick loop further
        self._check_stop_policy()

    def _check_stop_policy(self) -> None:
        if self.on_disconnect == "stop":
            failed = [e for e in self._endpoints if e.state == "failed"]
            if failed:
                names = ", ".join(f"{e.spec.name} ({e.last_error})" for e in failed)
                raise PortIOError(
                    f"connection to OPC UA endpoint lost: {names}",
                    [{"endpoint": e.spec.name, "url": e.spec.url, "reason": e.last_error} for e in failed],
                )

    async def _open_all(self) -> list[dict[str, Any]]:
        results = await asyncio.gather(*(e.establish() for e in self._endpoints), return_exceptions=True)
        problems: list[dict[str, Any]] = []
        for endpoint, result in zip(self._endpoints, results, strict=True):
            if isinstance(result, BaseException):
                reason = describe_error(result, self.connect_timeout)
                endpoint.state = "failed"
                endpoint.last_error = reason
                problems.append({"endpoint": endpoint.spec.name, "url": endpoint.spec.url, "reason": reason})
            else:
                problems += result
                endpoint.state = "connected"
                endpoint.tasks.append(asyncio.get_running_loop().create_task(endpoint.keepalive()))
        return problems

    async def _read_all(self, out: list[Any]) -> None:
        if len(self._endpoints) == 1:
            await self._endpoints[0].read_into(out)
        else:
            await asyncio.gather(*(e.read_into(out) for e in self._endpoints if e.reads))

    async def _write_all(self, values: Sequence[Any]) -> None:
        if len(self._endpoints) == 1:
            await self._endpoints[0].write_from(values)
        else:
            await asyncio.gather(*(e.write_from(values) for e in self._endpoints if e.writes))

    async def _close_all(self) -> None:
        for endpoint in self._endpoints:
            endpoint.state = "closed"
            for task in endpoint.tasks:
                task.cancel()
        links = [e.link for e in self._endpoints if e.link is not None]
        await asyncio.gather(*(close_gracefully(link.client, self.request_timeout) for link in links))
        for endpoint in self._endpoints:
            endpoint.link = None


def _summary(problems: list[dict[str, Any]]) -> str:
    lines = []
    for p in problems:
        if "port" in p:
            lines.append(f"{p['direction']} binding {p['port']} -> {p['endpoint']} {p['node_id']}: {p['reason']}")
        else:
            lines.append(f"endpoint {p['endpoint']} ({p['url']}): {p['reason']}")
    return f"OPC UA I/O cannot start, {len(problems)} problem(s): " + "; ".join(lines)
