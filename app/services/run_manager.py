"""The run manager: every active simulation ticks in its own daemon thread with its own Simulator.

One manager per application. A run's row is written when its thread starts, about once a second while it
ticks, and once more with the final counters and values when it ends; each write also stores the events and a
chunk of the telemetry recorded since the previous one (``RunWriter``, app/services/telemetry_writer.py, which
does the periodic writes from a thread of its own). Requests read live counters from the manager while a run
is active and from the row afterwards.

The tick loop holds the GIL; to keep the API responsive the thread gives it up every ``yield_interval``
seconds of ticking (a ``yield_pause`` sleep from the ``on_tick`` hook) and the process switch interval is
lowered while any run is active (see ARCHITECTURE.md, "Simulation runs").
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.core.errors import ConflictError
from app.core.logs import run_context
from app.db.base import utcnow
from app.db.runs import ACTIVE_STATUSES, RunEvent, SimulationRun
from app.db.session import get_session_factory
from app.engine import FastClock, Plan, RunError, Simulator, WallClock
from app.engine.hil.runner import TwinLink
from app.services.run_events import RunEventLog, event_rows
from app.services.telemetry_writer import RecordedRows, RunWriter

logger = logging.getLogger(__name__)

ABORTED_MESSAGE = "the server stopped while the run was active"
IO_CHECK_INTERVAL = 0.25  # seconds between looks at a HIL run's link state (for io_* events)


@dataclass
class RunHandle:
    """An active run: its simulator, clock and outcome, shared by the run thread and request threads."""

    run_id: int
    sim: Simulator
    duration: float | None
    clock: FastClock | WallClock
    status: str = "pending"
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    truncated: bool = False
    aborting: bool = False
    forces: dict[str, Any] = field(default_factory=dict)
    thread: threading.Thread | None = None
    link: TwinLink | None = None  # HIL I/O and/or the served twin; opened before launch, closed by the run thread
    machine_model_id: int | None = None
    # Edits of the stored model pushed to this run (app/services/live_models.py).
    model_edits: dict[str, Any] = field(default_factory=lambda: {"applied": 0, "last": None, "error": None})
    events: RunEventLog = field(default_factory=RunEventLog)
    writer: RunWriter | None = None  # persists counters, events and telemetry chunks while the run ticks
    stopped_by: str | None = None  # the user who asked the run to stop (named by its finished event)
    _t0: float = 0.0
    _wall: float = 0.0

    @property
    def end_tick(self) -> int | None:
        return None if self.duration is None else max(0, round(self.duration / self.sim.dt))

    @property
    def wall_time(self) -> float:
        """Seconds spent ticking so far."""
        return self._wall if self.status not in ACTIVE_STATUSES or not self._t0 else time.perf_counter() - self._t0

    def log_event(self, kind: str, message: str, /, *, user: str | None = None, **data: Any) -> dict[str, Any]:
        """Add an event to the run's log at the current tick (see app/services/run_events.py); ``user`` caused it."""
        tick = self.sim.tick
        return self.events.log(kind, tick, tick * self.sim.dt, message, user=user, **data)

    @property
    def time_scale(self) -> float | None:
        """The pace of a paced run (simulated seconds per wall second); None when it runs as fast as it can."""
        return self.clock.time_scale if isinstance(self.clock, WallClock) else None

    def io_status(self) -> dict[str, Any] | None:
        """The link's I/O health without the pacing figures (those are columns of their own)."""
        if self.link is None:
            return None
        status = self.link.status()
        for key in ("overruns", "mean_lateness", "max_lateness"):
            status.pop(key, None)
        return status

    def counters(self) -> dict[str, Any]:
        """The live columns of the run row ("degraded" while a running HIL run has lost a PLC)."""
        io = self.io_status()
        status = self.status
        if status == "running" and io is not None and io.get("state") == "degraded":
            status = "degraded"
        return {
            "status": status,
            **({"io": io} if io is not None else {}),
            **({"time_scale": self.clock.time_scale} if isinstance(self.clock, WallClock) else {}),
            "tick": self.sim.tick,
            "sim_time": self.sim.tick * self.sim.dt,
            "wall_time": self.wall_time,
            "overruns": self.clock.overruns,
            "mean_lateness": self.clock.mean_lateness,
            "max_lateness": self.clock.max_lateness,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


class RunManager:
    """Starts, tracks and stops the runs of one application process."""

    def __init__(
        self,
        database_url: str,
        *,
        flush_interval: float = 1.0,
        check_every: int = 16,
        yield_interval: float = 0.002,
        yield_pause: float = 0.0001,
        switch_interval: float = 0.001,
        max_recorded_values: int = 20_000_000,
    ) -> None:
        self.database_url = database_url
        self.flush_interval = flush_interval
        self.check_every = check_every
        self.yield_interval = yield_interval
        self.yield_pause = yield_pause
        self.switch_interval = switch_interval
        self.max_recorded_values = max_recorded_values
        self._runs: dict[int, RunHandle] = {}
        self._lock = threading.Lock()
        self._saved_switch_interval: float | None = None

    # ------------------------------------------------------------------ bookkeeping

    def get(self, run_id: int) -> RunHandle | None:
        """The handle of an active run, or None once it has ended and been written."""
        with self._lock:
            return self._runs.get(run_id)

    def active(self) -> list[RunHandle]:
        with self._lock:
            return list(self._runs.values())

    def abort_leftovers(self) -> int:
        """Mark runs that a previous process left pending/running as aborted; returns how many.

        Each keeps what was stored before the process died: its row's tick is the tick its last write reached
        (the telemetry is stored up to there), which the error names, and its event log ends with ``finished``.
        """
        with get_session_factory(self.database_url)() as session, session.begin():
            left = session.execute(
                select(SimulationRun.id, SimulationRun.tick, SimulationRun.sim_time)
                .where(SimulationRun.status.in_(ACTIVE_STATUSES))
                .with_for_update()
            ).all()
            now = utcnow()
            for run_id, tick, sim_time in left:
                error = f"{ABORTED_MESSAGE}; kept what it stored up to tick {tick} (t = {sim_time:g} s)"
                result = session.execute(
                    update(SimulationRun)
                    .where(SimulationRun.id == run_id, SimulationRun.status.in_(ACTIVE_STATUSES))
                    .values(status="aborted", error=error, finished_at=now)
                )
                if not result.rowcount:  # type: ignore[attr-defined]
                    continue
                seq = session.scalar(select(func.coalesce(func.max(RunEvent.seq), 0)).where(RunEvent.run_id == run_id))
                event = {"seq": int(seq or 0) + 1, "kind": "finished", "tick": tick, "t": sim_time,
                         "at": now.isoformat(), "message": f"run aborted: {error}", "user": None,
                         "data": {"status": "aborted", "error": error}}
                session.execute(insert(RunEvent), event_rows(run_id, [event]))
            return len(left)

    def launch(self, handle: RunHandle) -> None:
        """Start the run's thread (call once its row is committed)."""
        thread = threading.Thread(target=self._run, args=(handle,), name=f"simulation-run-{handle.run_id}", daemon=True)
        handle.thread = thread
        with self._lock:
            if not self._runs and self.switch_interval > 0 and self._saved_switch_interval is None:
                self._saved_switch_interval = sys.getswitchinterval()
                sys.setswitchinterval(self.switch_interval)
            self._runs[handle.run_id] = handle
        thread.start()

    def _forget(self, run_id: int) -> None:
        with self._lock:
            self._runs.pop(run_id, None)
            if not self._runs and self._saved_switch_interval is not None:
                sys.setswitchinterval(self._saved_switch_interval)
                self._saved_switch_interval = None

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every active run and wait for its final write."""
        handles = self.active()
        for handle in handles:
            handle.aborting = True
            handle.sim.stop_requested = True
        deadline = time.monotonic() + timeout
        for handle in handles:
            if handle.thread is not None:
                handle.thread.join(max(0.0, deadline - time.monotonic()))

    # ------------------------------------------------------------------ the run thread

    def _writer(self, handle: RunHandle) -> RunWriter:
        sim, rec = handle.sim, handle.sim.recording
        recorded = RecordedRows.of(rec, sim.plan.port_types, sim.dt, self.max_recorded_values) if rec else None
        return RunWriter(get_session_factory(self.database_url), handle.run_id, recorded, handle.events)

    def _run(self, handle: RunHandle) -> None:
        sim = handle.sim
        run_context.set(handle.run_id)  # this thread's log records name the run
        writer = handle.writer = self._writer(handle)
        try:
            handle.started_at = utcnow()
            handle._t0 = time.perf_counter()
            handle.status = "running"
            mode = "HIL" if handle.link is not None and handle.link.io is not None else "simulation"
            pace = f"paced at {handle.time_scale:g}x real time" if handle.time_scale else "as fast as possible"
            length = f"{handle.duration:g} s" if handle.duration is not None else "open-ended"
            handle.log_event(
                "started",
                f"{mode} run started ({length}, {pace})",
                duration=handle.duration,
                time_scale=handle.time_scale,
            )
            writer.begin(handle.counters())
            sim.run(
                duration=handle.duration,
                clock=handle.clock,
                on_tick=self._ticker(handle),
                progress_every=self.check_every,
            )
            end = handle.end_tick
            if end is not None and sim.tick >= end:
                handle.status = "completed"
            elif handle.aborting:
                handle.status, handle.error = "aborted", ABORTED_MESSAGE
            else:
                handle.status = "stopped"
        except RunError as exc:
            handle.status, handle.error = "failed", exc.message
        except Exception as exc:  # never let a run thread die without recording why
            logger.exception("simulation run %s failed", handle.run_id)
            handle.status, handle.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            handle._wall = time.perf_counter() - handle._t0 if handle._t0 else 0.0
            handle.finished_at = utcnow()
            if handle.link is not None:
                try:
                    handle.link.close()
                except Exception:
                    logger.exception("could not close the I/O of simulation run %s", handle.run_id)
            handle.log_event(
                "finished",
                f"run {handle.status}" + (f": {handle.error}" if handle.error else ""),
                user=handle.stopped_by if handle.status == "stopped" else None,
                status=handle.status,
                error=handle.error,
            )
            try:  # the samples since the last periodic write: the end costs at most one interval of telemetry
                writer.finish({**handle.counters(), "final_values": self._final_values(handle)})
            except SQLAlchemyError:
                logger.exception("could not write the end of simulation run %s", handle.run_id)
            self._forget(handle.run_id)
            try:  # an event a request added between the final write and _forget
                if handle.events.unstored():
                    writer.write_events()
            except SQLAlchemyError:
                logger.exception("could not write the last events of simulation run %s", handle.run_id)

    def _ticker(self, handle: RunHandle) -> Any:
        """The on_tick hook: bound the recording, have counters, events and telemetry written about once a second
        (by the run's writer thread: here it costs a few attribute reads), give up the GIL briefly."""
        sim = handle.sim
        rec = sim.recording
        writer = handle.writer
        assert writer is not None
        limit = max(1, self.max_recorded_values // max(1, len(rec.ports))) if rec is not None else 0
        flush_interval, yield_interval, yield_pause = self.flush_interval, self.yield_interval, self.yield_pause
        clock = time.perf_counter
        next_flush = clock() + flush_interval
        next_yield = clock() + yield_interval
        watch_io = handle.link is not None and handle.link.io is not None
        next_io_check = clock() + IO_CHECK_INTERVAL
        io_state = [handle.link.io_state if watch_io else None]  # type: ignore[union-attr]

        def on_tick(_sim: Simulator) -> None:
            nonlocal next_flush, next_yield, next_io_check
            now = clock()
            if yield_interval and now >= next_yield:
                # A real (if tiny) sleep, not sleep(0): the GIL goes to a waiting request thread for certain.
                time.sleep(yield_pause)
                next_yield = clock() + yield_interval
            if watch_io and now >= next_io_check:
                next_io_check = now + IO_CHECK_INTERVAL
                self._check_io(handle, io_state)
            if now >= next_flush:
                next_flush = now + flush_interval
                if rec is not None and len(rec.rows) > limit:
                    del rec.rows[limit:]
                    del rec.times[limit:]
                    handle.truncated = True
                    if writer.recorded is not None:
                        writer.recorded.truncated = True
                writer.progress(handle.counters())

        return on_tick

    @staticmethod
    def _check_io(handle: RunHandle, last: list[str | None]) -> None:
        """Log the moments a HIL run loses its PLC connection(s) and gets them back."""
        status = handle.link.io.stats() if handle.link is not None and handle.link.io is not None else {}
        state = status.get("state")
        if state == last[0]:
            return
        was, last[0] = last[0], state
        endpoints = {
            name: {"state": e.get("state"), "last_error": e.get("last_error")}
            for name, e in (status.get("endpoints") or {}).items()
        }
        if state in ("degraded", "failed") and was not in ("degraded", "failed"):
            lost = ", ".join(n for n, e in endpoints.items() if e["state"] in ("degraded", "failed")) or "?"
            handle.log_event("io_disconnected", f"PLC connection lost ({lost}); {state}", state=state,
                             endpoints=endpoints)
        elif state == "connected" and was in ("degraded", "failed"):
            handle.log_event("io_reconnected", "PLC connection restored", state=state, endpoints=endpoints)

    @staticmethod
    def _final_values(handle: RunHandle) -> dict[str, Any]:
        # "ports" describes every port, so the stream can send the schema of a run that has ended.
        sim = handle.sim
        return {"tick": sim.tick, "values": sim.snapshot(), "forced": sim.forces, "ports": port_schema(sim.plan)}


def port_schema(plan: Plan) -> list[dict[str, Any]]:
    """Every port of a compiled model in ``port_names()`` order: name, component, port, direction, type, unit."""
    out = []
    for c in plan.components:
        for port in (*c.cls.input_ports.values(), *c.cls.output_ports.values()):
            out.append({
                "name": f"{c.name}.{port.name}",
                "component": c.name,
                "port": port.name,
                "direction": port.direction,
                "data_type": port.data_type,
                "unit": port.unit,
            })
    return out


def decode_telemetry(data: bytes) -> tuple[list[float], list[list[Any]]]:
    """The times and rows of a run stored before telemetry chunks (``run_telemetry.data``, one zlib JSON blob)."""
    payload = json.loads(zlib.decompress(data))
    return payload["times"], payload["rows"]


def active_handle(run: SimulationRun, manager: RunManager) -> RunHandle:
    """The live handle of a run that is still ticking; 409 ``run_not_active`` otherwise."""
    handle = manager.get(run.id)
    # A run that has stopped ticking stays registered until its final write is done, and already reports its
    # end status: it is no more active than a forgotten one.
    if handle is None or handle.status not in ACTIVE_STATUSES:
        status = handle.status if handle is not None else run.status
        raise ConflictError(
            f"simulation run {run.id} is {status}, not active",
            [{"id": run.id, "status": status}],
            code="run_not_active",
        )
    return handle
