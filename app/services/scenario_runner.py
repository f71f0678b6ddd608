"""The scenario runner: each scenario run is judged in its own daemon thread, its row written at start and end.

One runner per application. ``run_scenario`` is a pure engine call (no stop hook), so a run always goes to
its end; at shutdown the runner waits briefly and marks runs still going ``aborted`` (their late final write
is then ignored), and at start-up it marks runs a previous process left active ``aborted``.
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
from app.engine import ModelDocument, Simulator
from app.engine.scenarios import Scenario, run_scenario

logger = logging.getLogger(__name__)

ABORTED_MESSAGE = "the server stopped while the scenario was running"


class ScenarioRunner:
    """Starts scenario runs in threads and tracks the ones still going."""

    def __init__(self, database_url: str, yield_interval: float = 0.002, yield_pause: float = 0.0001) -> None:
        self.database_url = database_url
        self.yield_interval = yield_interval
        self.yield_pause = yield_pause
        self._threads: dict[int, threading.Thread] = {}
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

    def launch(self, run_id: int, scenario: Scenario, model_doc: ModelDocument) -> None:
        """Start the run's thread (call once its row is committed)."""
        thread = threading.Thread(
            target=self._run, args=(run_id, scenario, model_doc), name=f"scenario-run-{run_id}", daemon=True
        )
        with self._lock:
            self._threads[run_id] = thread
        thread.start()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Ask running scenarios to stop, wait up to ``timeout``, then mark the rest aborted."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = dict(self._threads)
        for thread in threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        left = [run_id for run_id, thread in threads.items() if thread.is_alive()]
        if left:
            try:
                self._abort(left)
            except SQLAlchemyError:
                logger.exception("could not mark scenario runs %s aborted", left)

    def _tick_hook(self) -> Callable[[Simulator], None]:
        """Share the GIL with request threads like simulation runs do, and stop when the server stops."""
        interval, pause, stopping = self.yield_interval, self.yield_pause, self._stopping
        next_yield = time.perf_counter() + interval

        def hook(sim: Simulator) -> None:
            nonlocal next_yield
            if interval and time.perf_counter() >= next_yield:
                time.sleep(pause)
                next_yield = time.perf_counter() + interval
                if stopping.is_set():
                    sim.stop_requested = True

        return hook

    def _write(self, run_id: int, values: dict[str, Any]) -> None:
        # Only an active row is written: a run marked aborted at shutdown keeps that status.
        with get_session_factory(self.database_url)() as session, session.begin():
            session.execute(
                update(ScenarioRun)
                .where(ScenarioRun.id == run_id, ScenarioRun.status.in_(ACTIVE_SCENARIO_STATUSES))
                .values(**values)
            )

    def _run(self, run_id: int, scenario: Scenario, model_doc: ModelDocument) -> None:
        t0 = time.perf_counter()
        final: dict[str, Any]
        try:
            self._write(run_id, {"status": "running", "started_at": utcnow()})
            result = run_scenario(scenario, model_doc, tick_hook=self._tick_hook())
            data = result.to_dict(series=False)
            series = zlib.compress(json.dumps(result.series).encode(), 6)
            final = {
                "result": data,
                "series": series,
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
