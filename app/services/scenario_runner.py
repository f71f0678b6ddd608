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
from app.services.job_threads import JobThreads

logger = logging.getLogger(__name__)

ABORTED_MESSAGE = "the server stopped while the scenario was running"
STOPPED_MESSAGE = "stopped by request"


class ScenarioRunner(JobThreads):
    """Starts scenario runs in threads and tracks the ones still going."""

    table = ScenarioRun
    active_statuses = ACTIVE_SCENARIO_STATUSES
    aborted_message = ABORTED_MESSAGE
    kind = "scenario-run"

    def __init__(self, database_url: str, yield_interval: float = 0.002, yield_pause: float = 0.0001) -> None:
        super().__init__(database_url)
        self.yield_interval = yield_interval
        self.yield_pause = yield_pause

    def launch(
        self, run_id: int, scenario: Scenario, model_doc: ModelDocument, io_factory: Callable[[], PortIO] | None = None
    ) -> None:
        """Start the run's thread (call once its row is committed); ``io_factory`` makes a hil run's PLC adapter."""
        self._start(run_id, self._run, scenario, model_doc, io_factory)

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
        cancel = self._cancel_event(run_id)
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
                reason = ABORTED_MESSAGE if self.stopping else STOPPED_MESSAGE
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
            self._forget(run_id)
