"""Persisting a run as it ticks: counters, new events and a telemetry chunk, about once a second, from a thread.

``RunWriter`` is self-contained: it needs a session factory, the run id, the recording's lists (appended by the
tick loop; the writer only reads them) and optionally the run's event log. The tick thread calls ``progress``
(a few attribute reads: it notes how many rows exist and the counters to store) and goes on ticking; the
writer's thread packs the new rows into a chunk (``telemetry_codec``) and writes it in one transaction with the
counters and the events not stored yet. If a write takes longer than the interval, the next one covers
everything since (latest wins, never a backlog). ``finish`` writes what is left, with the final columns, in the
caller's thread: the end of a run costs at most one interval of samples, whatever the size of the recording.

After a crash the database holds every sample up to the last write and the row's ``tick`` is the tick the run
had reached at that write, so the two agree (``RunManager.abort_leftovers`` marks the run with that tick).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.runs import RunEvent, RunTelemetry, SimulationRun
from app.db.telemetry import RunTelemetryChunk
from app.services.run_events import RunEventLog, event_rows
from app.services.telemetry_codec import encode_chunk, kind_for

__all__ = ["RecordedRows", "RunWriter"]

# A chunk grows to about this many values (rewritten at each write until full), so a slow paced run does not
# store one tiny chunk per second, and a read of a long run decodes a few hundred chunks rather than 86,400 a day.
CHUNK_VALUES = 262_144
MIN_CHUNK_ROWS, MAX_CHUNK_ROWS = 256, 8192

logger = logging.getLogger(__name__)


class RecordedRows:
    """What a run records: port names and types, ``every``, and the live ``times``/``rows`` lists.

    The lists may grow while the writer reads them (the tick thread appends ``times`` before ``rows``), and
    anything past ``max_samples`` is never written (the run is then ``truncated``).
    """

    def __init__(
        self,
        ports: Sequence[str],
        times: list[float],
        rows: list[tuple[Any, ...]],
        *,
        every: int = 1,
        port_types: dict[str, str] | None = None,
        dt: float,
        max_samples: int,
    ) -> None:
        self.ports = list(ports)
        self.times = times
        self.rows = rows
        self.every = every
        self.kinds = [kind_for((port_types or {}).get(p)) for p in self.ports]
        self.dt = dt
        self.max_samples = max(1, max_samples)
        self.truncated = False  # set by whoever drops rows past max_samples from the lists

    @classmethod
    def of(cls, recording: Any, port_types: dict[str, str], dt: float, max_values: int) -> RecordedRows:
        """From an engine ``Recording``, keeping at most ``max_values`` values (samples x ports)."""
        return cls(recording.ports, recording.times, recording.rows, every=recording.every, port_types=port_types,
                   dt=dt, max_samples=max_values // max(1, len(recording.ports)))


class RunWriter:
    """Writes one run's progress from its own thread; the tick thread only calls ``progress`` and ``finish``."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        run_id: int,
        recorded: RecordedRows | None = None,
        events: RunEventLog | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.run_id = run_id
        self.recorded = recorded
        self.events = events
        self.stored_samples = 0  # rows written as chunks
        self.sealed_samples = 0  # of those, rows in full chunks (the last chunk may still grow)
        self.chunks = 0
        self.truncated = False
        self._stored_truncated = False
        self._pending: tuple[dict[str, Any] | None, int] | None = None
        self._cond = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ called by the run

    def begin(self, values: dict[str, Any]) -> None:
        """Write the first counters (and the telemetry header) now, then start the writer's thread."""
        events = self.events.unstored() if self.events is not None else []
        with self.session_factory() as session, session.begin():
            session.execute(update(SimulationRun).where(SimulationRun.id == self.run_id).values(**values))
            rec = self.recorded
            if rec is not None:
                now = utcnow()
                session.execute(insert(RunTelemetry).values(
                    run_id=self.run_id, ports=rec.ports, every=rec.every, samples=0, truncated=False, data=None,
                    created_at=now, updated_at=now,
                ))
            if events:
                session.execute(insert(RunEvent), event_rows(self.run_id, events))
        if self.events is not None:
            self.events.mark_stored(events)
        self._thread = threading.Thread(target=self._loop, name=f"run-writer-{self.run_id}", daemon=True)
        self._thread.start()

    def progress(self, values: dict[str, Any] | None) -> None:
        """Ask for a write of ``values`` (the row's columns) and every row recorded so far; returns at once."""
        n = len(self.recorded.rows) if self.recorded is not None else 0
        with self._cond:
            self._pending = (values, n)
            self._cond.notify()

    def finish(self, values: dict[str, Any] | None) -> None:
        """Stop the thread, then write ``values`` with the rows and events not stored yet, in this thread."""
        with self._cond:
            self._closing = True
            self._pending = None
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
        n = len(self.recorded.rows) if self.recorded is not None else 0
        self._write(values, n)

    def write_events(self) -> None:
        """Store the events not stored yet (an event logged after ``finish``)."""
        self._write(None, self.stored_samples)

    # ------------------------------------------------------------------ the writer's thread

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                pending, self._pending = self._pending, None
            values, n = pending  # type: ignore[misc]
            try:
                self._write(values, n)
            except SQLAlchemyError:
                logger.warning("could not write progress of simulation run %s", self.run_id, exc_info=True)
            except Exception:  # the run goes on; the next write retries what this one missed
                logger.exception("could not write progress of simulation run %s", self.run_id)

    def _write(self, values: dict[str, Any] | None, n: int) -> None:
        """One transaction: the row's ``values``, a chunk of rows ``stored_samples..n`` and the new events."""
        chunk = self._chunk(n)
        end = chunk.pop("end") if chunk is not None else self.stored_samples
        events = self.events.unstored() if self.events is not None else []
        header = chunk is not None or self.truncated != self._stored_truncated
        if values is None and not header and not events:
            return
        with self.session_factory() as session, session.begin():
            if values is not None:
                session.execute(update(SimulationRun).where(SimulationRun.id == self.run_id).values(**values))
            if chunk is not None and chunk["seq"] <= self.chunks:  # the open chunk grows: rewrite it
                session.execute(
                    update(RunTelemetryChunk)
                    .where(RunTelemetryChunk.run_id == self.run_id, RunTelemetryChunk.seq == chunk["seq"])
                    .values(**{k: v for k, v in chunk.items() if k not in ("run_id", "seq", "created_at")})
                )
            elif chunk is not None:
                session.execute(insert(RunTelemetryChunk).values(**chunk))
            if header:
                session.execute(
                    update(RunTelemetry)
                    .where(RunTelemetry.run_id == self.run_id)
                    .values(samples=end, truncated=self.truncated, updated_at=utcnow())
                )
            if events:
                session.execute(insert(RunEvent), event_rows(self.run_id, events))
        self._stored_truncated = self.truncated
        if chunk is not None:
            self.stored_samples = end
            self.chunks = chunk["seq"]
            if chunk["samples"] >= self._chunk_rows():
                self.sealed_samples = end
        if self.events is not None:
            self.events.mark_stored(events)

    def _chunk_rows(self) -> int:
        """Rows a chunk grows to before the next one starts (about 256 k values, 256 to 8,192 rows)."""
        width = len(self.recorded.ports) if self.recorded is not None else 1
        return min(MAX_CHUNK_ROWS, max(MIN_CHUNK_ROWS, CHUNK_VALUES // max(1, width)))

    def _chunk(self, n: int) -> dict[str, Any] | None:
        """The chunk row for the recorded rows not written yet (up to ``n`` and the sample cap): the last chunk
        again, grown, while it has room (a slow run would otherwise store a chunk of a few samples per second),
        else a new one. Pops the pseudo-column ``end`` (rows stored once it is written) before use."""
        rec = self.recorded
        if rec is None:
            return None
        if n > rec.max_samples or rec.truncated:
            self.truncated = True
            n = min(n, rec.max_samples)
        if n <= self.stored_samples:
            return None
        grow = self.stored_samples > self.sealed_samples and n - self.sealed_samples <= self._chunk_rows()
        if grow:
            start, seq = self.sealed_samples, self.chunks
        else:
            start, seq = self.stored_samples, self.chunks + 1
            self.sealed_samples = self.stored_samples  # the open chunk, if any, stays as it is
        rows = rec.rows[start:n]
        times = rec.times[start:n]
        width = len(rec.ports)
        if len(rows[0]) != width or len(rows[-1]) != width:  # rows of another width cannot go under these ports
            raise ValueError(f"recorded rows have {len(rows[-1])} values, ports are {width}")
        now = utcnow()
        return {
            "run_id": self.run_id,
            "seq": seq,
            "end": n,
            "first_tick": round(times[0] / rec.dt),
            "last_tick": round(times[-1] / rec.dt),
            "first_time": times[0],
            "last_time": times[-1],
            "samples": len(rows),
            "data": encode_chunk(times, rows, rec.kinds),
            "created_at": now,
            "updated_at": now,
        }
