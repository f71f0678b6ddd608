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
        events = self.events.unstored() if self.events is not None else []
        header = chunk is not None or self.truncated != self._stored_truncated
        if values is None and not header and not events:
            return
        with self.session_factory() as session, session.begin():
            if values is not None:
                session.execute(update(SimulationRun).where(SimulationRun.id == self.run_id).values(**values))
            if chunk is not None:
                session.execute(insert(RunTelemetryChunk).values(**chunk))
            if header:
                samples = self.stored_samples + (chunk["samples"] if chunk is not None else 0)
                session.execute(
                    update(RunTelemetry)
                    .where(RunTelemetry.run_id == self.run_id)
                    .values(samples=samples, truncated=self.truncated, updated_at=utcnow())
                )
            if events:
                session.execute(insert(RunEvent), event_rows(self.run_id, events))
        self._stored_truncated = self.truncated
        if chunk is not None:
            self.stored_samples += chunk["samples"]
            self.chunks += 1
        if self.events is not None:
            self.events.mark_stored(events)

    def _chunk(self, n: int) -> dict[str, Any] | None:
        """The row of a chunk holding the recorded rows not written yet (up to ``n`` and the sample cap)."""
        rec = self.recorded
        if rec is None:
            return None
        if n > rec.max_samples or rec.truncated:
            self.truncated = True
            n = min(n, rec.max_samples)
        start = self.stored_samples
        if n <= start:
            return None
        rows = rec.rows[start:n]
        times = rec.times[start:n]
        width = len(rec.ports)
        columns = list(zip(*rows)) if rows else []
        if len(columns) != width:  # rows of another width cannot be stored under these ports
            raise ValueError(f"recorded rows have {len(columns)} values, ports are {width}")
        now = utcnow()
        return {
            "run_id": self.run_id,
            "seq": self.chunks + 1,
            "first_tick": round(times[0] / rec.dt),
            "last_tick": round(times[-1] / rec.dt),
            "first_time": times[0],
            "last_time": times[-1],
            "samples": len(rows),
            "data": encode_chunk(times, columns, rec.kinds),
            "created_at": now,
            "updated_at": now,
        }
