"""The campaign runner: each campaign is driven by a daemon thread that hands its runs to an executor.

The thread only submits and collects: the runs themselves go to local processes (``spawn``ed, so no lock held by a
server thread is copied into them) or to the Dask scheduler of ``CAMPAIGN_SCHEDULER``, never onto the server's
GIL. Progress is written to the row about once a second, the result once at the end. ``stop`` and shutdown set
the campaign's cancel event (no new chunk starts; the campaign ends ``aborted`` with the runs that finished); at
start-up campaigns a previous process left active are marked ``aborted``.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import time
import zlib
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from app.db.base import utcnow
from app.db.campaigns import ACTIVE_CAMPAIGN_STATUSES
from app.db.campaigns import Campaign as CampaignRow
from app.db.session import get_session_factory
from app.engine.campaigns import Campaign, CampaignResult, dask_executor, run_campaign
from app.services.job_threads import JobThreads

logger = logging.getLogger(__name__)

ABORTED_MESSAGE = "the server stopped while the campaign was running"
STOPPED_MESSAGE = "stopped by request"
PROGRESS_EVERY = 1.0  # seconds between progress writes


def encode_cases(result: CampaignResult) -> bytes:
    return zlib.compress(json.dumps([c.to_dict() for c in result.cases]).encode(), 6)


def decode_cases(blob: bytes | None) -> list[dict[str, Any]]:
    return [] if blob is None else list(json.loads(zlib.decompress(blob)))


class CampaignRunner(JobThreads):
    """Starts campaigns in threads and tracks the ones still going."""

    table = CampaignRow
    active_statuses = ACTIVE_CAMPAIGN_STATUSES
    aborted_message = ABORTED_MESSAGE
    kind = "campaign"

    def __init__(self, database_url: str, workers: int = 0, scheduler: str | None = None) -> None:
        super().__init__(database_url)
        self.workers = workers or None
        self.scheduler = scheduler

    def describe(self) -> str:
        return f"Dask {self.scheduler}" if self.scheduler else "local processes"

    def launch(self, campaign_id: int, campaign: Campaign, worst: int) -> None:
        """Start the campaign's thread (call once its row is committed)."""
        self._start(campaign_id, self._run, campaign, worst)

    def _write(self, campaign_id: int, values: dict[str, Any]) -> None:
        # Only an active row is written: a campaign marked aborted at shutdown keeps that status.
        with get_session_factory(self.database_url)() as session, session.begin():
            session.execute(
                update(CampaignRow)
                .where(CampaignRow.id == campaign_id, CampaignRow.status.in_(ACTIVE_CAMPAIGN_STATUSES))
                .values(**values)
            )

    def _execute(self, campaign: Campaign, progress: Any, cancel: threading.Event) -> CampaignResult:
        if self.scheduler:
            with dask_executor(self.scheduler) as (executor, threads):
                return run_campaign(campaign, executor=executor, workers=threads, progress=progress, cancel=cancel,
                                    executor_name=f"Dask {self.scheduler} ({threads} worker thread(s))")
        return run_campaign(campaign, workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                            progress=progress, cancel=cancel)

    def _run(self, campaign_id: int, campaign: Campaign, worst: int) -> None:
        t0 = time.perf_counter()
        cancel = self._cancel_event(campaign_id)
        last_write = 0.0

        def progress(done: int, total: int, passed: int) -> None:
            nonlocal last_write
            now = time.monotonic()
            if now - last_write >= PROGRESS_EVERY or done == total:
                last_write = now
                self._write(campaign_id, {"runs_done": done, "runs_passed": passed})

        final: dict[str, Any]
        try:
            self._write(campaign_id, {"status": "running", "started_at": utcnow()})
            result = self._execute(campaign, progress, cancel)
            counts = result.counts()
            final = {
                "summary": result.to_dict(cases=False, worst=worst),
                "cases": encode_cases(result),
                "runs_done": counts["done"],
                "runs_passed": counts["passed"],
                "executor": result.executor,
                "wall_time": result.wall_time,
            }
            if result.stopped:
                reason = ABORTED_MESSAGE if self.stopping else STOPPED_MESSAGE
                final.update(status="aborted", error=f"{reason} after {counts['done']} of {counts['runs']} run(s)")
            else:
                final.update(status="completed", verdict="passed" if result.passed else "failed")
        except Exception as exc:  # never let a campaign thread die without recording why
            logger.exception("campaign %s failed", campaign_id)
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            final = {"status": "failed", "error": message, "wall_time": time.perf_counter() - t0}
        try:
            self._write(campaign_id, {**final, "finished_at": utcnow()})
        except SQLAlchemyError:
            logger.exception("could not write the end of campaign %s", campaign_id)
        finally:
            self._forget(campaign_id)
