"""Background jobs that each run in a daemon thread of the server: scenario runs and campaigns.

``JobThreads`` keeps one thread and one cancel event per job id: ``stop`` sets the event (a stop before the thread
starts is kept) and waits briefly, ``shutdown`` sets every event, waits up to a timeout and marks the jobs still
going ``aborted`` in their table, and ``abort_leftovers`` does the same at start-up for jobs a previous process
left active. A job's thread calls ``_cancel_event`` when it starts and ``_forget`` when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from app.db.base import utcnow
from app.db.session import get_session_factory

logger = logging.getLogger(__name__)


class JobThreads:
    """Threads of one kind of job; subclasses name the table, its active statuses and the abort message."""

    table: ClassVar[Any]  # an ORM class with id, status, error and finished_at
    active_statuses: ClassVar[Sequence[str]]
    aborted_message: ClassVar[str]
    kind: ClassVar[str]  # for logs and thread names, e.g. "scenario-run"

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._threads: dict[int, threading.Thread] = {}
        self._cancels: dict[int, threading.Event] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def active(self) -> list[int]:
        with self._lock:
            return list(self._threads)

    def abort_leftovers(self) -> int:
        """Mark jobs a previous process left active as aborted; returns how many."""
        return self._abort(None)

    def _abort(self, ids: list[int] | None) -> int:
        stmt = update(self.table).where(self.table.status.in_(self.active_statuses))
        if ids is not None:
            stmt = stmt.where(self.table.id.in_(ids))
        with get_session_factory(self.database_url)() as session, session.begin():
            result = session.execute(stmt.values(status="aborted", error=self.aborted_message, finished_at=utcnow()))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _start(self, job_id: int, target: Callable[..., None], *args: Any) -> None:
        """Start the job's thread (call once its row is committed)."""
        thread = threading.Thread(target=target, args=(job_id, *args), name=f"{self.kind}-{job_id}", daemon=True)
        with self._lock:
            self._threads[job_id] = thread
            self._cancels.setdefault(job_id, threading.Event())
        thread.start()

    def _cancel_event(self, job_id: int) -> threading.Event:
        with self._lock:
            return self._cancels.setdefault(job_id, threading.Event())

    def _forget(self, job_id: int) -> None:
        with self._lock:
            self._threads.pop(job_id, None)
            self._cancels.pop(job_id, None)

    @property
    def stopping(self) -> bool:
        """Whether the server is shutting down (a job cancelled now ends aborted, not stopped)."""
        return self._stopping.is_set()

    def stop(self, job_id: int, wait: float = 0.0) -> bool:
        """Ask a job to stop and wait up to ``wait`` seconds for it to end.

        Returns whether the job was still going in this process (a stop before its thread starts is kept)."""
        with self._lock:
            self._cancels.setdefault(job_id, threading.Event()).set()
            thread = self._threads.get(job_id)
        if thread is None:
            return False
        thread.join(wait)
        return True

    def shutdown(self, timeout: float = 5.0) -> None:
        """Ask every job to stop, wait up to ``timeout``, then mark the rest aborted."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = dict(self._threads)
            for event in self._cancels.values():
                event.set()
        for thread in threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        left = [job_id for job_id, thread in threads.items() if thread.is_alive()]
        if left:
            try:
                self._abort(left)
            except SQLAlchemyError:
                logger.exception("could not mark %ss %s aborted", self.kind, left)
