"""Reading a run's telemetry: a time range and a subset of ports, exact or decimated, as JSON or streamed CSV.

Where the samples come from:

- an active run: its in-memory recording (the freshest; the database lags by up to a second);
- a run stored since telemetry chunks exist: ``run_telemetry_chunks``, only the chunks overlapping the range and
  only the columns asked for are decompressed, read with their own session so a CSV can stream after the
  request's session is gone;
- a run stored before: the single zlib JSON blob in ``run_telemetry.data``, read whole as before.

Each gives ``Block``s (times and one column per chosen port) in time order. ``max_points`` decimates by
min/max buckets: the samples in the range are cut into ``max_points // 2`` consecutive buckets and each bucket
gives two rows, at its first and last sample's time, holding every port's minimum and maximum in the order they
occurred (a bucket of one sample gives that sample). A spike of one sample therefore survives any decimation,
and a range with no more samples than ``max_points`` is returned exactly.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFoundError, UnprocessableError
from app.db.runs import RunTelemetry, SimulationRun
from app.db.telemetry import RunTelemetryChunk
from app.engine._hints import hint, hint_details
from app.services.run_manager import RunManager, decode_telemetry
from app.services.telemetry_codec import decode_chunk, decode_times, kind_for

__all__ = ["MAX_POINTS", "TelemetryQuery", "csv_stream", "decimate", "read"]

MAX_POINTS = 1_000_000  # the largest max_points a request may ask for
BLOCK_ROWS = 16_384  # rows per block read from memory or from a stored blob


@dataclass(frozen=True)
class TelemetryQuery:
    """What to read: simulated seconds ``start``..``end`` (inclusive; None: open), ports (names or globs; none:
    all recorded ones) and at most ``max_points`` rows (None: every sample)."""

    start: float | None = None
    end: float | None = None
    ports: list[str] = field(default_factory=list)
    max_points: int | None = None


@dataclass
class Block:
    """Consecutive samples: ``times[i]`` with ``columns[p][i]`` for each chosen port; ``kinds`` as in the codec."""

    times: Sequence[float]
    columns: list[Sequence[Any]]
    kinds: list[str]


class Source(Protocol):
    ports: list[str]
    every: int
    truncated: bool

    def count(self, lo: float, hi: float) -> int: ...

    def blocks(self, indexes: Sequence[int], lo: float, hi: float) -> Iterator[Block]: ...


class MemorySource:
    """Rows held in lists: an active run's recording (growing; read up to its length now) or a decoded blob."""

    def __init__(self, ports: list[str], every: int, truncated: bool, times: Sequence[float],
                 rows: Sequence[Sequence[Any]], kinds: list[str]) -> None:
        self.ports, self.every, self.truncated = ports, every, truncated
        self.n = min(len(rows), len(times))  # the tick loop appends times before rows
        self.times, self.rows, self.kinds = times, rows, kinds

    def _span(self, lo: float, hi: float) -> tuple[int, int]:
        return bisect_left(self.times, lo, 0, self.n), bisect_right(self.times, hi, 0, self.n)

    def count(self, lo: float, hi: float) -> int:
        a, b = self._span(lo, hi)
        return max(0, b - a)

    def blocks(self, indexes: Sequence[int], lo: float, hi: float) -> Iterator[Block]:
        a, b = self._span(lo, hi)
        kinds = [self.kinds[i] for i in indexes]
        for start in range(a, b, BLOCK_ROWS):
            stop = min(b, start + BLOCK_ROWS)
            columns = list(zip(*self.rows[start:stop]))
            yield Block(self.times[start:stop], [columns[i] for i in indexes], kinds)


class ChunkSource:
    """Chunks in ``run_telemetry_chunks``, read with a session of their own (see the module docstring)."""

    def __init__(self, session_factory: Callable[[], Session], run_id: int, header: RunTelemetry) -> None:
        self.session_factory, self.run_id = session_factory, run_id
        self.ports, self.every, self.truncated = list(header.ports), header.every, header.truncated

    def _overlapping(self, lo: float, hi: float) -> Any:
        return (RunTelemetryChunk.run_id == self.run_id) & (RunTelemetryChunk.last_time >= lo) & (
            RunTelemetryChunk.first_time <= hi
        )

    def count(self, lo: float, hi: float) -> int:
        total, partial = 0, []
        with self.session_factory() as session:
            rows = session.execute(
                select(RunTelemetryChunk.id, RunTelemetryChunk.first_time, RunTelemetryChunk.last_time,
                       RunTelemetryChunk.samples).where(self._overlapping(lo, hi))
            )
            for chunk_id, first, last, samples in rows:
                if first >= lo and last <= hi:
                    total += samples
                else:
                    partial.append(chunk_id)
            for chunk_id in partial:  # at most the two chunks at the ends of the range
                data = session.scalar(select(RunTelemetryChunk.data).where(RunTelemetryChunk.id == chunk_id))
                times = decode_times(data) if data is not None else []
                total += bisect_right(times, hi) - bisect_left(times, lo)
        return total

    def blocks(self, indexes: Sequence[int], lo: float, hi: float) -> Iterator[Block]:
        with self.session_factory() as session:
            result = session.execute(
                select(RunTelemetryChunk.data).where(self._overlapping(lo, hi)).order_by(RunTelemetryChunk.seq)
            ).yield_per(32)
            for (data,) in result:
                times, columns, kinds = decode_chunk(data, indexes)
                a, b = bisect_left(times, lo), bisect_right(times, hi)
                if a > 0 or b < len(times):
                    times, columns = times[a:b], [c[a:b] for c in columns]
                if len(times):
                    yield Block(times, columns, kinds)


def _source(session: Session, run: SimulationRun, manager: RunManager) -> Source:
    """Where the run's samples are; 404 ``no_telemetry`` if it records nothing."""
    handle = manager.get(run.id)
    if handle is not None and handle.sim.recording is not None:
        rec = handle.sim.recording
        types = handle.sim.plan.port_types
        return MemorySource(list(rec.ports), rec.every, handle.truncated, rec.times, rec.rows,
                            [kind_for(types.get(p)) for p in rec.ports])
    header = session.scalar(select(RunTelemetry).where(RunTelemetry.run_id == run.id))
    if header is None:
        reason = "records nothing (start it with `record`)" if run.record is None else f"is {run.status}"
        raise NotFoundError(
            f"simulation run {run.id} has no telemetry: it {reason}", [{"id": run.id}], code="no_telemetry"
        )
    if header.data is not None:
        times, rows = decode_telemetry(header.data)
        return MemorySource(list(header.ports), header.every, header.truncated, times, rows, ["j"] * len(header.ports))
    engine = session.get_bind()
    return ChunkSource(lambda: Session(bind=engine), run.id, header)


def _chosen(ports: list[str], patterns: list[str]) -> list[int]:
    """Indexes of the recorded ports named or matched by ``patterns`` (in recorded order); 422 for one that is not."""
    if not patterns:
        return list(range(len(ports)))
    chosen: set[int] = set()
    problems = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            found = [i for i, name in enumerate(ports) if fnmatchcase(name, pattern)]
        else:
            found = [ports.index(pattern)] if pattern in ports else []
        if not found:
            problems.append({"loc": "query.ports", "port": pattern, **hint_details(pattern, ports)})
        chosen.update(found)
    if problems:
        first = problems[0]["port"]
        sample = ", ".join(ports[:10]) + (", ..." if len(ports) > 10 else "")
        raise UnprocessableError(
            f"{first!r} is not a recorded port{hint(first, ports)}; the run recorded: {sample}",
            problems,
            code="unknown_port",
        )
    return sorted(chosen)


def _bounds(query: TelemetryQuery, dt: float) -> tuple[float, float]:
    """The time range to read, widened by a millionth of a tick so ``start=0.3`` finds t = 0.30000000000000004."""
    if query.start is not None and query.end is not None and query.start > query.end:
        raise UnprocessableError(
            f"start ({query.start:g} s) is after end ({query.end:g} s)",
            [{"loc": "query.start", "start": query.start, "end": query.end}],
            code="invalid_range",
        )
    slack = dt * 1e-6
    lo = -math.inf if query.start is None else query.start - slack
    hi = math.inf if query.end is None else query.end + slack
    return lo, hi


@dataclass
class Selection:
    """A checked query against one run's samples."""

    source: Source
    names: list[str]
    indexes: list[int]
    lo: float
    hi: float
    samples: int  # in the range, before decimation
    max_points: int | None

    @property
    def decimated(self) -> bool:
        return self.max_points is not None and self.samples > self.max_points

    def blocks(self) -> Iterator[Block]:
        if not self.decimated:
            yield from self.source.blocks(self.indexes, self.lo, self.hi)
            return
        assert self.max_points is not None
        yield decimate(self.source.blocks(self.indexes, self.lo, self.hi), self.samples, self.max_points,
                       len(self.indexes))


def _select(session: Session, run: SimulationRun, manager: RunManager, query: TelemetryQuery) -> Selection:
    lo, hi = _bounds(query, run.dt)
    source = _source(session, run, manager)
    indexes = _chosen(source.ports, query.ports)
    samples = source.count(lo, hi) if (query.max_points is not None) else -1
    return Selection(source, [source.ports[i] for i in indexes], indexes, lo, hi, samples, query.max_points)


# ---------------------------------------------------------------------------------------------- decimation


def _extremes(seg: Sequence[Any]) -> tuple[Any, int, Any, int]:
    """(min, its index, max, its index) of a segment; None and NaN are skipped (None, -1 if nothing is left)."""
    try:
        lo, hi = min(seg), max(seg)
        if lo == lo and hi == hi:  # no NaN came out (NaN compares false with everything)
            return lo, seg.index(lo), hi, seg.index(hi)
    except (TypeError, ValueError):
        pass
    lo = hi = None
    li = hi_i = -1
    for i, v in enumerate(seg):
        if v is None or v != v:
            continue
        if lo is None or v < lo:
            lo, li = v, i
        if hi is None or v > hi:
            hi, hi_i = v, i
    return lo, li, hi, hi_i


def decimate(blocks: Iterator[Block], n: int, max_points: int, width: int) -> Block:
    """Min/max decimation of ``n`` samples (streamed as ``blocks``) to at most ``max_points`` rows."""
    nb = max(1, max_points // 2)
    out_times: list[float] = []
    out_cols: list[list[Any]] = [[] for _ in range(width)]
    kinds: list[str] = ["j"] * width
    acc: list[list[Any]] = []  # per port: [lo, lo_index, hi, hi_index] of the open bucket
    first_t = last_t = 0.0
    count = 0
    g = 0  # global index of the block's first sample

    def emit() -> None:
        nonlocal count
        if count == 1:
            out_times.append(first_t)
            for col, (lo, _li, _hi, _hi_i) in zip(out_cols, acc):
                col.append(lo)
        elif count > 1:
            out_times.extend((first_t, last_t))
            for col, (lo, li, hi, hi_i) in zip(out_cols, acc):
                col.extend((lo, hi) if li <= hi_i else (hi, lo))
        count = 0

    for block in blocks:
        kinds = block.kinds
        m = len(block.times)
        pos = 0
        while pos < m:
            b = (g + pos) * nb // n
            next_start = -(-(b + 1) * n // nb)  # the first index of bucket b + 1
            stop = min(next_start - g, m)
            if count == 0:
                first_t = block.times[pos]
                acc = [[None, -1, None, -1] for _ in range(width)]
            last_t = block.times[stop - 1]
            count += stop - pos
            for a, column in zip(acc, block.columns):
                lo, li, hi, hi_i = _extremes(column[pos:stop])
                if lo is not None and (a[0] is None or lo < a[0]):
                    a[0], a[1] = lo, g + pos + li
                if hi is not None and (a[2] is None or hi > a[2]):
                    a[2], a[3] = hi, g + pos + hi_i
            if g + stop >= next_start:
                emit()
            pos = stop
        g += m
    emit()
    for i, kind in enumerate(kinds):
        if kind == "b1":  # bytes give ints
            out_cols[i] = [None if v is None else bool(v) for v in out_cols[i]]
    return Block(out_times, list(out_cols), list(kinds))


# ---------------------------------------------------------------------------------------------- outputs


def _values(column: Sequence[Any], kind: str) -> list[Any]:
    if kind == "b1" and isinstance(column, (bytes, bytearray)):
        return [bool(v) for v in column]
    return list(column)


def read(session: Session, run: SimulationRun, manager: RunManager, query: TelemetryQuery) -> dict[str, Any]:
    """The samples of the query as ``times`` and ``series`` (port -> values), with how they were chosen."""
    selection = _select(session, run, manager, query)
    times: list[float] = []
    series: list[list[Any]] = [[] for _ in selection.names]
    for block in selection.blocks():
        times.extend(block.times)
        for values, column, kind in zip(series, block.columns, block.kinds):
            values.extend(_values(column, kind))
    return {
        "run_id": run.id,
        "ports": selection.names,
        "every": selection.source.every,
        "samples": len(times),
        "range_samples": selection.samples if selection.samples >= 0 else len(times),
        "decimated": selection.decimated,
        "truncated": selection.source.truncated,
        "times": times,
        "series": dict(zip(selection.names, series)),
    }


def _csv_float(v: Any) -> str:
    if v is None:
        return ""
    f = float(v)
    return repr(f) if math.isfinite(f) else ""  # an overflowed value is an empty cell


def _csv_int(v: Any) -> str:
    return "" if v is None else str(int(v))


def _csv_bool(v: Any) -> str:
    return "" if v is None else ("1" if v else "0")


def _csv_any(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return _csv_float(v)
    return "" if v is None else str(v)


_CSV_CELL = {"f8": _csv_float, "i8": _csv_int, "b1": _csv_bool, "j": _csv_any}


def csv_stream(session: Session, run: SimulationRun, manager: RunManager, query: TelemetryQuery) -> Iterator[str]:
    """The query as CSV text, one piece per block (the query is checked now, the samples read as it is consumed):
    a ``time`` column, then one column per port; booleans as 1/0 like ``run.py simulate``'s telemetry.csv,
    floats in ``repr`` (exact), an overflowed value as an empty cell."""
    selection = _select(session, run, manager, query)

    def pieces() -> Iterator[str]:
        yield ",".join(["time", *selection.names]) + "\n"
        for block in selection.blocks():
            cells = [list(map(_CSV_CELL[kind], column)) for column, kind in zip(block.columns, block.kinds)]
            lines = [",".join(row) for row in zip(map(repr, block.times), *cells)]
            if lines:
                yield "\n".join(lines) + "\n"

    return pieces()
