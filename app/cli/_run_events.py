"""The event log of a headless run, written as ``events.csv`` beside ``telemetry.csv``.

The same kinds and fields as a server run's events (``GET /api/v1/simulations/{id}/events``) where they apply
to a run without a server: ``started``, ``force`` (an OPC UA client writing an input of the served twin),
``io_disconnected`` / ``io_reconnected`` (``--hil``), ``finished``. Columns: ``seq,kind,tick,t,at,message,data``
(``t`` simulated seconds, ``at`` UTC wall time, ``data`` a JSON object).
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.engine import PortIO, Simulator

__all__ = ["EVENT_COLUMNS", "RunEvents"]

EVENT_COLUMNS = ("seq", "kind", "tick", "t", "at", "message", "data")
IO_CHECK_INTERVAL = 0.25  # seconds between looks at the PLC link's state


class RunEvents:
    """Events of one run of ``sim``, stamped with its tick, simulated time and the wall time."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.events: list[dict[str, Any]] = []

    def log(self, kind: str, message: str, /, **data: Any) -> None:
        tick = self.sim.tick
        self.events.append({
            "seq": len(self.events) + 1,
            "kind": kind,
            "tick": tick,
            "t": tick * self.sim.dt,
            "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "message": message,
            "data": data,
        })

    def client_force(self, ref: str, value: Any) -> None:
        """An OPC UA client wrote an input of the served twin (logged once per port, when the force begins)."""
        if not any(e["kind"] == "force" and e["data"].get("port") == ref for e in self.events):
            self.log("force", f"{ref} forced to {value!r} by an OPC UA client", port=ref, value=value, source="opcua")

    def io_watcher(self, io: PortIO) -> Callable[[Simulator], None]:
        """An ``on_tick`` piece that logs the moments the PLC link is lost and restored (looks 4 times a second)."""
        last: list[str | None] = [None]
        next_check = [time.perf_counter()]

        def check(_sim: Simulator) -> None:
            now = time.perf_counter()
            if now < next_check[0]:
                return
            next_check[0] = now + IO_CHECK_INTERVAL
            stats = io.stats() if hasattr(io, "stats") else {}
            state = stats.get("state")
            if state == last[0]:
                return
            was, last[0] = last[0], state
            endpoints = {name: {"state": e.get("state"), "last_error": e.get("last_error")}
                         for name, e in (stats.get("endpoints") or {}).items()}
            if state in ("degraded", "failed") and was not in ("degraded", "failed"):
                lost = ", ".join(n for n, e in endpoints.items() if e["state"] in ("degraded", "failed")) or "?"
                self.log("io_disconnected", f"PLC connection lost ({lost}); {state}", state=state, endpoints=endpoints)
            elif state == "connected" and was in ("degraded", "failed"):
                self.log("io_reconnected", "PLC connection restored", state=state, endpoints=endpoints)

        return check

    def write_csv(self, path: Path) -> int:
        """Write ``events.csv``; returns the number of events."""
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(EVENT_COLUMNS)
            for e in self.events:
                writer.writerow([e["seq"], e["kind"], e["tick"], repr(e["t"]), e["at"], e["message"],
                                 json.dumps(e["data"], separators=(",", ":"), default=str)])
        return len(self.events)
