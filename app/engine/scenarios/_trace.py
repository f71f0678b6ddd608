"""Record and replay of live PLC inputs (a model's ``read`` bindings) as a CSV trace.

A trace has a ``time`` column and one column per read-binding port, one row per tick, holding the
*raw* value as the PLC delivered it (before the binding's scale/offset): ``true``/``false`` for
booleans, integers as written, floats in their shortest round-trip form, an empty cell where the
adapter had no fresh value. ``TraceReplayIO`` is a ``PortIO`` that serves such a trace back tick by
tick, so a replayed run performs exactly the arithmetic of the recorded one: same numbers, bit for bit.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Collection, Sequence

from ..io import BindingSpec, PortIO
from ._document import quantize
from ._errors import ScenarioError

__all__ = ["RecordingIO", "Trace", "TraceReplayIO", "read_trace", "trace_from_text", "trace_to_text", "write_trace"]


@dataclass
class Trace:
    """Raw read-binding values per tick: ``rows[i]`` holds one value (or None) per port at ``times[i]``."""

    ports: list[str]
    times: list[float] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _value(text: str) -> Any:
    text = text.strip()
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return float(text)


def trace_to_text(trace: Trace) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time", *trace.ports])
    for t, row in zip(trace.times, trace.rows):
        writer.writerow([repr(t), *map(_cell, row)])
    return out.getvalue()


def trace_from_text(text: str, name: str = "trace") -> Trace:
    """Parse a trace CSV; ScenarioError with the line of the first bad cell."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0] != "time" or len(header) < 2:
        raise ScenarioError(f"{name}: line 1: the header must be 'time' followed by one column per port",
                            [{"loc": "line 1", "message": "header must be time,<component.port>,..."}])
    trace = Trace(header[1:])
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise ScenarioError(f"{name}: line {line}: {len(row)} cells, expected {len(header)}",
                                [{"loc": f"line {line}", "message": f"{len(row)} cells, expected {len(header)}"}])
        try:
            trace.times.append(float(row[0]))
            trace.rows.append(tuple(_value(c) for c in row[1:]))
        except ValueError as exc:
            raise ScenarioError(f"{name}: line {line}: {exc}", [{"loc": f"line {line}", "message": str(exc)}]) from None
    return trace


def write_trace(path: str, trace: Trace) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(trace_to_text(trace))


def read_trace(path: str) -> Trace:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return trace_from_text(fh.read(), path)
    except OSError as exc:
        raise ScenarioError(f"cannot read trace {path}: {exc.strerror}",
                            [{"loc": "", "message": f"cannot read: {exc.strerror}"}]) from None


class TraceReplayIO:
    """A ``PortIO`` that serves a recorded trace to the read bindings, one row per tick; writes are kept."""

    def __init__(self, trace: Trace, dt: float) -> None:
        self.trace = trace
        self.dt = dt
        self._by_tick: dict[int, tuple[Any, ...]] = {quantize(t, dt): row for t, row in zip(trace.times, trace.rows)}
        self._columns: list[int] = []
        self.tick = 0
        self.written: list[Any] = []
        self.closed = False

    def open(self, reads: Sequence[BindingSpec], writes: Sequence[BindingSpec]) -> None:
        wanted = [b.port for b in reads]
        missing = [p for p in wanted if p not in self.trace.ports]
        extra = [p for p in self.trace.ports if p not in wanted]
        if missing or extra:
            problems = [{"loc": "header", "message": f"no column for read binding {p}"} for p in missing]
            problems += [{"loc": "header", "message": f"column {p} is not a read binding of the model"} for p in extra]
            raise ScenarioError("the trace does not match the model's read bindings: " + problems[0]["message"],
                                problems)
        self._columns = [self.trace.ports.index(p) for p in wanted]

    def seek(self, tick: int) -> None:
        """The simulator tick the next ``read`` belongs to."""
        self.tick = tick

    def read(self) -> list[Any]:
        row = self._by_tick.get(self.tick)
        self.tick += 1
        if row is None:
            return [None] * len(self._columns)  # past the end of the trace: hold the last values
        return [row[i] for i in self._columns]

    def write(self, values: Sequence[Any]) -> None:
        self.written = list(values)

    def close(self) -> None:
        self.closed = True

    def stats(self) -> dict[str, Any]:
        return {"state": "closed" if self.closed else "replaying", "tick": self.tick, "rows": len(self.trace.rows)}


class RecordingIO:
    """Wraps a ``PortIO`` and keeps every raw value its ``read`` returned: the trace of a HIL run."""

    def __init__(self, inner: PortIO, dt: float) -> None:
        self.inner = inner
        self.dt = dt
        self.tick = 0
        self.trace = Trace([])

    def open(self, reads: Sequence[BindingSpec], writes: Sequence[BindingSpec]) -> None:
        self.trace = Trace([b.port for b in reads])
        self.inner.open(reads, writes)

    def seek(self, tick: int) -> None:
        self.tick = tick
        seek = getattr(self.inner, "seek", None)
        if seek is not None:
            seek(tick)

    def read(self) -> Sequence[Any]:
        values = self.inner.read()
        self.trace.times.append(self.tick * self.dt)
        self.trace.rows.append(tuple(values))
        self.tick += 1
        return values

    def bad_reads(self) -> Collection[int]:
        """The wrapped adapter's Bad-status reads (``app.engine.io``: quality); none if it cannot tell."""
        bad_reads = getattr(self.inner, "bad_reads", None)
        return bad_reads() if bad_reads is not None else ()

    def write(self, values: Sequence[Any]) -> None:
        self.inner.write(values)

    def close(self) -> None:
        self.inner.close()

    def stats(self) -> dict[str, Any]:
        return self.inner.stats()
