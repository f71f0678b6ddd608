"""The I/O boundary: how a running plan exchanges port values with the outside world once per tick.

A ``PortIO`` is opened with the read bindings (outside -> twin) and write bindings (twin -> outside)
of a run. Every tick the simulator calls ``read()`` before computing, and ``write()`` after. Values
crossing the boundary are *raw* (as the PLC sees them); the simulator applies each binding's
``scale``/``offset``:  twin = raw * scale + offset,  raw = (twin - offset) / scale.

``InMemoryIO`` is the in-process implementation used by tests and as the model of what an adapter
must do; the OPC UA adapter lives in ``app.engine.hil``.

Quality: every value a read binding delivers is ``GOOD``, ``STALE`` (``read()`` gave ``None``: the endpoint is
unreachable or the read failed, so the twin holds the last good value) or ``BAD`` (also ``None``, because the
server answered a Bad status for that node). An adapter that can tell the two apart offers ``bad_reads()``: the
indices of the read bindings whose value in the latest ``read()`` is missing because of a Bad status. It is
optional (asked only on a tick that has a missing value), so an adapter without it reports every gap as stale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Collection, Mapping, Protocol, Sequence

# Quality of a read binding's value on a tick (telemetry column ``<component>.<port>:quality``).
GOOD, STALE, BAD = 0, 1, 2
QUALITY_NAMES = ("good", "stale", "bad")
QUALITY_SUFFIX = ":quality"


@dataclass(frozen=True)
class EndpointSpec:
    """Where a PLC (or any OPC UA server) lives and how to log in."""

    name: str
    url: str
    security_policy: str = "None"  # None | Basic256Sha256
    security_mode: str = "None"  # None | Sign | SignAndEncrypt
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # Nodes per Read/Write service call at most, below what the server advertises (None: the server's limit).
    max_nodes_per_read: int | None = None
    max_nodes_per_write: int | None = None


@dataclass(frozen=True)
class BindingSpec:
    """One port of the twin mapped to one node of an endpoint."""

    port: str  # "component.port"
    endpoint: str  # EndpointSpec.name
    node_id: str  # "ns=2;s=Tag" or "nsu=urn:plant;s=Tag"
    direction: str  # "read" (endpoint -> twin) | "write" (twin -> endpoint)
    data_type: str | None = None  # expected type on the twin side: bool | int | float
    scale: float = 1.0
    offset: float = 0.0
    # True when data_type was taken from the port (the Simulator fills it in), not stated on the binding: a stated
    # data_type is the explicit consent to a narrowing conversion (float -> Int16, int -> UInt16, ...).
    inferred_type: bool = False


def round_half_away(value: float) -> int:
    """Round to the nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3), as IEC 61131-3 conversions
    (REAL_TO_INT) do on most PLCs; Python's round() goes to the even neighbour (2.5 -> 2). Raises ValueError for
    NaN and OverflowError for infinities."""
    whole = math.trunc(value)  # exact: the fraction of a float is representable
    if abs(value - whole) >= 0.5:
        whole += 1 if value > 0 else -1
    return whole


class PortIO(Protocol):
    """The narrow per-tick interface every I/O adapter implements."""

    def open(self, reads: Sequence[BindingSpec], writes: Sequence[BindingSpec]) -> None:
        """Connect and prepare; raise ``PortIOError`` listing every problem if the bindings cannot work."""

    def read(self) -> Sequence[Any]:
        """One raw value per read binding, in order; ``None`` where no fresh value is available."""

    def write(self, values: Sequence[Any]) -> None:
        """Send one raw value per write binding, in order."""

    def close(self) -> None:
        """Release connections; safe to call twice."""

    def stats(self) -> dict[str, Any]:
        """A JSON-able snapshot of the adapter's health (state, reconnects, timings, per-binding errors)."""


def is_degraded(status: Mapping[str, Any]) -> bool:
    """Whether an I/O status (``TwinLink.status()``, or an adapter's ``stats()`` with ``quality`` added) shows a
    degraded run: a PLC connection lost for a while, a stale or bad read sample, or a dropped write."""
    quality = status.get("quality") or {}
    return bool(
        status.get("state") in ("degraded", "failed")
        or (status.get("seconds_degraded") or 0) > 0
        or quality.get("stale")
        or quality.get("bad")
        or status.get("dropped_writes")
    )


class QualityIO(Protocol):
    """The optional extension of a ``PortIO`` that tells a Bad status from a missing value (see the module)."""

    def bad_reads(self) -> Collection[int]:
        """Indices of the read bindings whose value in the latest ``read()`` is None because of a Bad status."""


class InMemoryIO:
    """A ``PortIO`` over a dict of node values: the fake shipped beside the real adapter."""

    def __init__(self, nodes: dict[str, Any] | None = None) -> None:
        self.nodes: dict[str, Any] = dict(nodes or {})
        self.reads: list[BindingSpec] = []
        self.writes: list[BindingSpec] = []
        self.read_calls = 0
        self.write_calls = 0
        self.closed = False

    def open(self, reads: Sequence[BindingSpec], writes: Sequence[BindingSpec]) -> None:
        self.reads = list(reads)
        self.writes = list(writes)

    def read(self) -> list[Any]:
        self.read_calls += 1
        return [self.nodes.get(b.node_id) for b in self.reads]

    def write(self, values: Sequence[Any]) -> None:
        self.write_calls += 1
        for binding, value in zip(self.writes, values):
            self.nodes[binding.node_id] = value

    def close(self) -> None:
        self.closed = True

    def stats(self) -> dict[str, Any]:
        return {"state": "closed" if self.closed else "connected", "reads": self.read_calls, "writes": self.write_calls}
