"""The scenario runner: each scenario run is judged in its own daemon thread, its row written at start and end.

One runner per application. Each run has a cancel event that ``run_scenario`` checks at tick boundaries:
``stop(run_id)`` (the stop route, deleting the scenario) and shutdown set it, and the run ends ``aborted``
with the time it reached. At shutdown the runner waits briefly and marks runs still going ``aborted``
(their late final write is then ignored); at start-up it marks runs a previous process left active ``aborted``.
A ``hil`` run gets its PLC adapter from ``io_factory`` in its own thread: the connection is made there, so the
request never waits on a PLC, and a PLC that cannot be put in the loop ends the run ``failed`` naming the reason.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from typing import Any, Callable

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from app.db.base import utcnow
from app.db.scenarios import ACTIVE_SCENARIO_STATUSES, ScenarioRun
from app.db.session import get_session_factory
from app.engine import ModelDocument, PortIO, Simulator
from app.engine._exceptions import PortIOError
from app.engine.scenarios import Scenario, run_scenario

logger = logging.getLogger(__name__)

ABORTED_MESSAGE = "the server stopped while the scenario was running"
STOPPED_MESSAGE = "stopped by request"


class ScenarioRunner:
    """Starts scenario runs in threads and tracks the ones still going."""

    def __init__(self, database_url: str, yield_interval: float = 0.002, yield_pause: float = 0.0001) -> None:
        self.database_url = database_url
        self.yield_interval = yield_interval
        self.yield_pause = yield_pause
        self._threads: dict[int, threading.Thread] = {}
        self._cancels: dict[int, threading.Event] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def active(self) -> list[int]:
        with self._lock:
            return list(self._threads)

    def abort_leftovers(self) -> int:
        """Mark scenario runs a previous process left pending/running as aborted; returns how many."""
        return self._abort(None)

    def _abort(self, run_ids: list[int] | None) -> int:
        stmt = update(ScenarioRun).where(ScenarioRun.status.in_(ACTIVE_SCENARIO_STATUSES))
        if run_ids is not None:
            stmt = stmt.where(ScenarioRun.id.in_(run_ids))
        with get_session_factory(self.database_url)() as session, session.begin():
            result = session.execute(stmt.values(status="aborted", error=ABORTED_MESSAGE, finished_at=utcnow()))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def launch(
        self, run_id: int, scenario: Scenario, model_doc: ModelDocument, io_factory: Callable[[], PortIO] | None = None
    ) -> None:
        """Start the run's thread (call once its row is committed); ``io_factory`` makes a hil run's PLC adapter."""
        thread = threading.Thread(
            target=self._run, args=(run_id, scenario, model_doc, io_factory), name=f"scenario-run-{run_id}",
            daemon=True,
        )
        with self._lock:
            self._threads[run_id] = thread
            self._cancels.setdefault(run_id, threading.Event())
        thread.start()

    def stop(self, run_id: int, wait: float = 0.0) -> bool:
        """Ask a run to stop at its next tick boundary and wait up to ``wait`` seconds for it to end.

        Returns whether the run was still going in this process (a stop before its thread starts is kept).
        """
        with self._lock:
            self._cancels.setdefault(run_id, threading.Event()).set()
            thread = self._threads.get(run_id)
        if thread is None:
            return False
        thread.join(wait)
        return True

    def shutdown(self, timeout: float = 5.0) -> None:
        """Ask running scenarios to stop, wait up to ``timeout``, then mark the rest aborted."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = dict(self._threads)
            for event in self._cancels.values():
                event.set()
        for thread in threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        left = [run_id for run_id, thread in threads.items() if thread.is_alive()]
        if left:
            try:
                self._abort(left)
            except SQLAlchemyError:
                logger.exception("could not mark scenario runs %s aborted", left)

    def _tick_hook(self) -> Callable[[Simulator], None]:
        """Share the GIL with request threads like simulation runs do."""
        interval, pause = self.yield_interval, self.yield_pause
        next_yield = time.perf_counter() + interval

        def hook(sim: Simulator) -> None:
            nonlocal next_yield
            if interval and time.perf_counter() >= next_yield:
                time.sleep(pause)
                next_yield = time.perf_counter() + interval

        return hook

    def _write(self, run_id: int, values: dict[str, Any]) -> None:
        # Only an active row is written: a run marked aborted at shutdown keeps that status.
        with get_session_factory(self.database_url)() as session, session.begin():
            session.execute(
                update(ScenarioRun)
                .where(ScenarioRun.id == run_id, ScenarioRun.status.in_(ACTIVE_SCENARIO_STATUSES))
                .values(**values)
            )

    def _run(
        self, run_id: int, scenario: Scenario, model_doc: ModelDocument, io_factory: Callable[[], PortIO] | None = None
    ) -> None:
        t0 = time.perf_counter()
        final: dict[str, Any]
        with self._lock:
            cancel = self._cancels.setdefault(run_id, threading.Event())
        try:
            self._write(run_id, {"status": "running", "started_at": utcnow()})
            io = io_factory() if io_factory is not None else None
            try:
                result = run_scenario(scenario, model_doc, io=io, tick_hook=self._tick_hook(), cancel=cancel)
            except PortIOError as exc:  # the PLC could not be put in the loop: nothing ran
                if io is not None:
                    io.close()
                result = None
                final = {"status": "failed", "error": exc.message, "wall_time": time.perf_counter() - t0}
            if result is None:
                pass
            elif result.status == "stopped":
                reason = ABORTED_MESSAGE if self._stopping.is_set() else STOPPED_MESSAGE
                final = {"status": "aborted", "wall_time": result.wall_time, "error": f"{reason}: {result.error}"}
            else:
                final = {
                    "result": result.to_dict(series=False),
                    "series": zlib.compress(json.dumps(result.series).encode(), 6),
                    "wall_time": result.wall_time,
                    "status": "failed" if result.status == "error" else "completed",
                    "verdict": None if result.status == "error" else result.status,
                    "error": result.error,
                }
        except Exception as exc:  # never let a run thread die without recording why
            logger.exception("scenario run %s failed", run_id)
            final = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
            final.setdefault("wall_time", time.perf_counter() - t0)
        try:
            self._write(run_id, {**final, "finished_at": utcnow()})
        except SQLAlchemyError:
            logger.exception("could not write the end of scenario run %s", run_id)
        finally:
            with self._lock:
                self._threads.pop(run_id, None)
                self._cancels.pop(run_id, None)
