"""A fixed-bucket latency histogram cheap enough for the tick path (one bisect and two additions)."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

# Upper bounds in seconds, from a fast loopback PLC (sub-millisecond) to a request timeout.
BOUNDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class LatencyHistogram:
    """Counts of observed durations per bucket (``le`` semantics, as Prometheus reads them) and their sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BOUNDS) + 1)  # the last bucket is +Inf
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(BOUNDS, seconds)] += 1
        self.total += seconds

    def snapshot(self) -> dict[str, Any]:
        """Cumulative counts per upper bound (``inf`` last), the sum and the count, copied at one moment."""
        counts, total = list(self.counts), self.total
        cumulative, running = [], 0
        for count in counts:
            running += count
            cumulative.append(running)
        return {"bounds": [*BOUNDS, float("inf")], "cumulative": cumulative, "sum": total, "count": running}
